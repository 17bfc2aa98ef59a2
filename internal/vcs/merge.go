package vcs

import (
	"sort"

	"github.com/go-git/go-git/v5/plumbing"
)

// CleanMerge reports whether the tree merged is the file-level merge of
// ours and theirs over base: every path is as one side has it where the
// other left it as in base, or as both have it. A path both sides changed
// differently is not clean, even where git would merge its lines: a merge
// that adds nothing cannot be told from one that adds something without
// trusting a merge program. It returns the first path that is not clean
// ("" when all are). base may be "" (no common ancestor: an empty tree).
func (r *Repo) CleanMerge(merged, base, ours, theirs string) (string, bool, error) {
	h := func(s string) plumbing.Hash {
		if s == "" {
			return plumbing.ZeroHash
		}
		return plumbing.NewHash(s)
	}
	return r.cleanMerge("", h(merged), h(base), h(ours), h(theirs))
}

// mergeEntry is a tree entry for the merge check; ok is false for absent.
type mergeEntry struct {
	mode string
	id   plumbing.Hash
	ok   bool
}

func (e mergeEntry) same(o mergeEntry) bool {
	return e.ok == o.ok && (!e.ok || e.mode == o.mode && e.id == o.id)
}

func (e mergeEntry) dir() bool { return e.ok && isDir([]byte(e.mode)) }

// mergeEntries reads a tree's entries by name (none for the zero hash).
func (r *Repo) mergeEntries(id plumbing.Hash) (map[string]mergeEntry, error) {
	out := map[string]mergeEntry{}
	if id.IsZero() {
		return out, nil
	}
	raw, err := r.rawTree(id)
	if err != nil {
		return nil, err
	}
	for len(raw) > 0 {
		mode, name, oid, rest, _ := next(raw)
		raw = rest
		var h plumbing.Hash
		copy(h[:], oid)
		out[string(name)] = mergeEntry{mode: string(mode), id: h, ok: true}
	}
	return out, nil
}

func (r *Repo) cleanMerge(prefix string, m, b, o, t plumbing.Hash) (string, bool, error) {
	if m == o && o == t {
		return "", true, nil
	}
	var trees [4]map[string]mergeEntry
	for i, id := range []plumbing.Hash{m, b, o, t} {
		es, err := r.mergeEntries(id)
		if err != nil {
			return "", false, err
		}
		trees[i] = es
	}
	names := map[string]bool{}
	for _, es := range trees {
		for n := range es {
			names[n] = true
		}
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	for _, n := range sorted {
		mm, bb, oo, tt := trees[0][n], trees[1][n], trees[2][n], trees[3][n]
		p := n
		if prefix != "" {
			p = prefix + "/" + n
		}
		switch {
		case oo.same(tt):
			if !mm.same(oo) {
				return r.differs(p, mm, oo)
			}
		case bb.same(oo):
			if !mm.same(tt) {
				return r.differs(p, mm, tt)
			}
		case bb.same(tt):
			if !mm.same(oo) {
				return r.differs(p, mm, oo)
			}
		case mm.dir() && oo.dir() && tt.dir() && (bb.dir() || !bb.ok):
			var base plumbing.Hash
			if bb.ok {
				base = bb.id
			}
			if bad, ok, err := r.cleanMerge(p, mm.id, base, oo.id, tt.id); err != nil || !ok {
				return bad, ok, err
			}
		default:
			return p, false, nil
		}
	}
	return "", true, nil
}

// differs reports a merged entry that is not the one the merge should
// have, by the first path that differs below it when both are folders.
func (r *Repo) differs(p string, merged, want mergeEntry) (string, bool, error) {
	if merged.dir() && want.dir() {
		return r.cleanMerge(p, merged.id, want.id, want.id, want.id)
	}
	return p, false, nil
}
