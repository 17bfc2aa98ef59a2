package vcs

import "bytes"

// maxMerge3Size is the largest input Merge3 merges, in bytes: a text file
// two branches both edit is small; anything larger is refused.
const maxMerge3Size = 1 << 20

// Bounds on the work of each side's diff, past which Merge3 refuses, so
// that a crafted pair of files cannot make verification slow: the edit
// distance from base in lines, the steps of the search for it, and the
// cells of the table that tells what every shortest diff does with each
// line (16 MiB at most).
const (
	maxMerge3Edits = 1000
	maxMerge3Steps = 1 << 24
	maxMerge3Cells = 1 << 23
)

// Merge3 merges, line by line, the changes ours and theirs each made to
// base, as diff3 does (Khanna, Kunal and Pierce, "A formal investigation of
// Diff3"): the base lines both sides keep are stable, and each run of base
// lines between two stable ones takes the lines of the side that changed
// it, or, if both did, their lines only if both made them the same;
// otherwise the sides conflict. So changes of the two sides with no line
// between them that both keep conflict, as they do in git. A line ends at
// '\n' (a last line without one is a line too), and lines are compared as
// bytes: "\r\n" is not "\n".
//
// Equally short diffs of a side (fewest lines deleted and inserted) can
// differ on where a change sits, along repeated lines mostly, and where it
// sits can decide whether it touches the other side's. git takes one of
// them and shapes it: it slides each change down along repeated lines,
// unless that lines it up with a change of the other file. Merge3 takes a
// base line as stable only where every shortest diff of each side, shaped
// so, keeps it as the same line, and a change both sides made as one only
// where both delete the same base lines for it; elsewhere it calls the
// sides in conflict. So it is at times stricter than git, never laxer:
// whenever it is clean, git merge-file is clean with the same bytes, as
// long as git's diffs are shortest ones (its Myers diff is, but for
// heuristics on large or very repetitive files; the histogram diff of git
// merge is not always, and on very repetitive text it can conflict where
// Merge3 is clean).
//
// clean is false on a conflict and, failing closed, where Merge3 will not
// judge: an input over 1 MiB or holding a NUL byte (binary, which git does
// not merge either), or a diff past the bounds above.
func Merge3(base, ours, theirs []byte) (merged []byte, clean bool) {
	for _, b := range [][]byte{base, ours, theirs} {
		if len(b) > maxMerge3Size || bytes.IndexByte(b, 0) >= 0 {
			return nil, false
		}
	}
	switch {
	case bytes.Equal(ours, theirs), bytes.Equal(base, theirs):
		return bytes.Clone(ours), true
	case bytes.Equal(base, ours):
		return bytes.Clone(theirs), true
	}
	ids := map[string]int32{}
	o, a, b := newText(base, ids), newText(ours, ids), newText(theirs, ids)
	ka, ok := keeps(o.id, a.id)
	if !ok {
		return nil, false
	}
	kb, ok := keeps(o.id, b.id)
	if !ok {
		return nil, false
	}
	sa, sb := settle(o.id, a.id, ka), settle(o.id, b.id, kb)
	var out []byte
	// Between two stable base lines p and q: base lines (p, q), ours
	// (sa[p], sa[q]), theirs (sb[p], sb[q]); -1 and the line counts stand
	// for the start and the end.
	p, pa, pb := -1, -1, -1
	for q := 0; q <= o.lines(); q++ {
		qa, qb := a.lines(), b.lines()
		if q < o.lines() {
			if sa[q] < 0 || sb[q] < 0 {
				continue
			}
			qa, qb = int(sa[q]), int(sb[q])
		}
		ro, ra, rb := o.span(p+1, q), a.span(pa+1, qa), b.span(pb+1, qb)
		switch {
		case bytes.Equal(ra, rb) && (bytes.Equal(ra, ro) || deletedAll(sa[p+1:q]) && deletedAll(sb[p+1:q])):
			out = append(out, ra...)
		case bytes.Equal(ra, ro):
			out = append(out, rb...)
		case bytes.Equal(rb, ro):
			out = append(out, ra...)
		default:
			return nil, false
		}
		if q < o.lines() {
			out = append(out, o.span(q, q+1)...)
		}
		p, pa, pb = q, qa, qb
	}
	return out, true
}

// deletedAll says whether git's diff deletes all these base lines (see
// settle): when both sides do and put the same lines in their place, git
// sees the same change twice, not two that touch.
func deletedAll(k []int32) bool {
	for _, j := range k {
		if j != deleted {
			return false
		}
	}
	return true
}

// text is a file cut into lines: line i is data[start[i]:start[i+1]], and
// id[i] is the same number for lines with the same bytes.
type text struct {
	data  []byte
	start []int
	id    []int32
}

func newText(data []byte, ids map[string]int32) *text {
	t := &text{data: data, start: []int{0}}
	for p := 0; p < len(data); {
		n := bytes.IndexByte(data[p:], '\n') + 1
		if n == 0 {
			n = len(data) - p
		}
		line := data[p : p+n]
		id, ok := ids[string(line)]
		if !ok {
			id = int32(len(ids))
			ids[string(line)] = id
		}
		t.id = append(t.id, id)
		p += n
		t.start = append(t.start, p)
	}
	return t
}

func (t *text) lines() int { return len(t.id) }

// span returns lines [i, j) as bytes.
func (t *text) span(i, j int) []byte { return t.data[t.start[i]:t.start[j]] }

// What keeps says of a base line that is not kept, as one line, by every
// shortest diff.
const (
	deleted = -1 // every shortest diff deletes it
	fuzzy   = -2 // shortest diffs differ on it
)

// keeps tells, for each line of x, what every shortest diff from x to y
// (fewest lines deleted and inserted) does with it: keeps it as line j of
// y (k[i] = j), deletes it, or, when they differ, fuzzy. ok is false past
// the bounds.
//
// It computes the edit distance (Myers, "An O(ND) Difference Algorithm and
// Its Variations"), then the distance from the start (f) and to the end
// (g) of every point (i, j) near enough to the diagonal to be on a
// shortest diff; a step from column i to i+1 is on one when f + its cost +
// g is the edit distance.
func keeps(x, y []int32) (k []int32, ok bool) {
	n, m := len(x), len(y)
	d, ok := distance(x, y)
	if !ok {
		return nil, false
	}
	// A point on diagonal i-j = c is at least |c| from the start and
	// |c-(n-m)| from the end: the diagonals within reach of a shortest
	// diff are lo..hi.
	lo, hi := max(-m, (n-m-d)/2-1), min(n, (n-m+d)/2+1)
	w := hi - lo + 1
	if (n+1)*w > maxMerge3Cells {
		return nil, false
	}
	const far = 1<<16 - 1
	at := func(col []uint16, i, c int) int {
		if c < lo || c > hi || i-c < 0 || i-c > m {
			return far
		}
		return int(col[c-lo])
	}
	// g, for each column i (point (i, i-c) at g[i*w+c-lo]).
	g := make([]uint16, (n+1)*w)
	for i := n; i >= 0; i-- {
		col, next := g[i*w:(i+1)*w], []uint16(nil)
		if i < n {
			next = g[(i+1)*w : (i+2)*w]
		}
		for c := lo; c <= hi; c++ {
			j := i - c
			v := far
			switch {
			case j < 0 || j > m:
			case i == n && j == m:
				v = 0
			default:
				if i < n {
					v = min(v, at(next, i+1, c+1)+1)
				}
				if j < m {
					v = min(v, at(col, i, c-1)+1)
				}
				if i < n && j < m && x[i] == y[j] {
					v = min(v, at(next, i+1, c))
				}
			}
			col[c-lo] = uint16(min(v, far))
		}
	}
	k = make([]int32, n)
	f, prev := make([]uint16, w), make([]uint16, w)
	for i := 0; i <= n; i++ {
		f, prev = prev, f
		for c := hi; c >= lo; c-- {
			j := i - c
			v := far
			switch {
			case j < 0 || j > m:
			case i == 0 && j == 0:
				v = 0
			default:
				if i > 0 {
					v = min(v, at(prev, i-1, c-1)+1)
				}
				if j > 0 {
					v = min(v, at(f, i, c+1)+1)
				}
				if i > 0 && j > 0 && x[i-1] == y[j-1] {
					v = min(v, at(prev, i-1, c))
				}
			}
			f[c-lo] = uint16(min(v, far))
		}
		if i == n {
			// The table must agree with the search, or it cannot be trusted.
			if at(f, n, n-m) != d {
				return nil, false
			}
			break
		}
		// The steps from column i to i+1 on a shortest diff.
		next := g[(i+1)*w : (i+2)*w]
		kept, dels := -1, 0
		for c := lo; c <= hi; c++ {
			j := i - c
			fv := at(f, i, c)
			if fv == far {
				continue
			}
			if fv+1+at(next, i+1, c+1) == d {
				dels++
			}
			if j < m && x[i] == y[j] && fv+at(next, i+1, c) == d {
				if kept >= 0 {
					kept = -2
				} else if kept == -1 {
					kept = j
				}
			}
		}
		switch {
		case kept >= 0 && dels == 0:
			k[i] = int32(kept)
		case kept == -1:
			k[i] = deleted
		default:
			k[i] = fuzzy
		}
	}
	return k, true
}

// distance returns the number of lines to delete from x and insert into
// it to make y, at fewest (Myers' greedy search), or false past the bounds.
func distance(x, y []int32) (int, bool) {
	n, m := len(x), len(y)
	limit := min(n+m, maxMerge3Edits)
	// v[off+c] is how far along x the search has come on diagonal c.
	off := limit + 1
	v := make([]int, 2*limit+3)
	steps := 0
	for d := 0; d <= limit; d++ {
		for c := -d; c <= d; c += 2 {
			var i int
			switch {
			case d == 0:
			case c == -d || c != d && v[off+c-1] < v[off+c+1]:
				i = v[off+c+1] // down: a line of y inserted
			default:
				i = v[off+c-1] + 1 // right: a line of x deleted
			}
			j := i - c
			for i < n && j < m && x[i] == y[j] {
				i, j = i+1, j+1
				steps++
			}
			steps++
			v[off+c] = i
			if i >= n && j >= m {
				return d, true
			}
			if steps > maxMerge3Steps {
				return 0, false
			}
		}
	}
	return 0, false
}

// settle returns k (see keeps) with each stretch of lines that shortest
// diffs differ on decided as git's diff decides it, where that can be
// told (see shape). A stretch lies between lines every shortest diff
// keeps, and no change slides past those, so each is shaped on its own.
func settle(x, y []int32, k []int32) []int32 {
	out := append([]int32(nil), k...)
	n := len(x)
	for i := 0; i < n; {
		if k[i] >= 0 {
			i++
			continue
		}
		e, unsure := i, false
		for e < n && k[e] < 0 {
			unsure = unsure || k[e] == fuzzy
			e++
		}
		if unsure {
			y0, y1 := 0, len(y)
			if i > 0 {
				y0 = int(k[i-1]) + 1
			}
			if e < n {
				y1 = int(k[e])
			}
			if s, ok := shape(x[i:e], y[y0:y1]); ok {
				for t, j := range s {
					if j >= 0 {
						j += int32(y0)
					}
					out[i+t] = j
				}
			}
		}
		i = e
	}
	return out
}

// Bounds on settling a stretch: its lines, and the shortest diffs of it
// tried.
const (
	maxShapeLines = 32
	maxShapeDiffs = 64
	maxShapeSteps = 1 << 12
)

// shape returns, for each line of x, what git's diff from x to y does with
// it (keeps it as line j of y, or deletes it) when that does not depend on
// which shortest diff git found: all of them, shaped by compact, come out
// the same. It returns false when they do not, or past the bounds.
func shape(x, y []int32) ([]int32, bool) {
	n, m := len(x), len(y)
	if n > maxShapeLines || m > maxShapeLines {
		return nil, false
	}
	// g[i][j]: the fewest edits from (i, j) to the end.
	g := make([][]int, n+1)
	for i := range g {
		g[i] = make([]int, m+1)
	}
	for i := n; i >= 0; i-- {
		for j := m; j >= 0; j-- {
			switch {
			case i == n:
				g[i][j] = m - j
			case j == m:
				g[i][j] = n - i
			case x[i] == y[j]:
				g[i][j] = g[i+1][j+1]
			default:
				g[i][j] = 1 + min(g[i+1][j], g[i][j+1])
			}
		}
	}
	// Each shortest diff once: in a run of changes, deletions first.
	var found []int32
	diffs, steps := 0, 0
	cx, cy := make([]bool, n), make([]bool, m)
	var walk func(i, j, cost int, inserting bool) bool
	walk = func(i, j, cost int, inserting bool) bool {
		if steps++; steps > maxShapeSteps {
			return false
		}
		if i == n && j == m {
			if diffs++; diffs > maxShapeDiffs {
				return false
			}
			fx, fy := append([]bool(nil), cx...), append([]bool(nil), cy...)
			compact(x, fx, fy)
			compact(y, fy, fx)
			s := make([]int32, n)
			for a, b := 0, 0; a < n; a++ {
				for b < m && fy[b] {
					b++
				}
				if fx[a] {
					s[a] = deleted
				} else {
					s[a] = int32(b)
					b++
				}
			}
			if found == nil {
				found = s
				return true
			}
			for a := range s {
				if s[a] != found[a] {
					return false
				}
			}
			return true
		}
		d := g[0][0]
		if i < n && j < m && x[i] == y[j] && cost+g[i+1][j+1] == d {
			if !walk(i+1, j+1, cost, false) {
				return false
			}
		}
		if i < n && !inserting && cost+1+g[i+1][j] == d {
			cx[i] = true
			ok := walk(i+1, j, cost+1, false)
			cx[i] = false
			if !ok {
				return false
			}
		}
		if j < m && cost+1+g[i][j+1] == d {
			cy[j] = true
			ok := walk(i, j+1, cost+1, true)
			cy[j] = false
			if !ok {
				return false
			}
		}
		return true
	}
	if !walk(0, 0, 0, false) {
		return nil, false
	}
	return found, true
}

// compact slides each run of changed lines of file f (its changed flags in
// cf; co are the other file's) up and down as far as its lines allow,
// joining runs it meets, then leaves it as low as it goes or, if some
// position lines it up with changed lines of the other file, at the lowest
// such: the shape git gives every diff (xdiff's change compaction, without
// the indent heuristic, which git's merges do not use), run on the base
// then on the side.
func compact(f []int32, cf, co []bool) {
	n := len(f)
	// other[g] says whether the other file has changed lines in gap g,
	// before its g-th unchanged line (or after its last).
	var other []bool
	run := false
	for _, c := range co {
		if c {
			run = true
			continue
		}
		other = append(other, run)
		run = false
	}
	other = append(other, run)
	gap := 0 // unchanged lines of f before s
	for s := 0; s < n; {
		if !cf[s] {
			s++
			gap++
			continue
		}
		e := s
		for e < n && cf[e] {
			e++
		}
		var earliest, match int
		for {
			size := e - s
			for s > 0 && f[s-1] == f[e-1] {
				s, e = s-1, e-1
				cf[s], cf[e] = true, false
				gap--
				for s > 0 && cf[s-1] {
					s--
				}
			}
			earliest, match = e, -1
			if other[gap] {
				match = e
			}
			for e < n && f[s] == f[e] {
				cf[s], cf[e] = false, true
				s, e = s+1, e+1
				gap++
				for e < n && cf[e] {
					e++
				}
				if other[gap] {
					match = e
				}
			}
			if e-s == size {
				break
			}
		}
		if e != earliest && match >= 0 {
			for e > match {
				s, e = s-1, e-1
				cf[s], cf[e] = true, false
				gap--
			}
		}
		s = e
	}
}
