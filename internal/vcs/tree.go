package vcs

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/go-git/go-git/v5/plumbing"
)

// entry is one tree entry as stored: mode, name and object id.
type entry struct {
	name    string
	dir     bool // a tree (mode 40000)
	link    bool // a gitlink (submodule commit): not a file of this repository
	symlink bool // mode 120000
	id      plumbing.Hash
}

// treeCache keeps raw trees: verifying a history diffs each commit's tree
// against its parent's, so every tree is read at least twice in a row.
type treeCache struct {
	mu    sync.Mutex
	trees map[plumbing.Hash][]byte
	size  int
	// index holds the entries' offsets of large trees looked up more
	// than once (a folder of 5,000 records: 'qms render' looks up every
	// one of its files), so that a lookup is a binary search, not a scan;
	// looked counts the first lookup. Both are emptied with trees.
	index  map[plumbing.Hash][]uint32
	looked map[plumbing.Hash]bool
}

// indexedTree is the number of bytes above which a tree looked up twice
// is indexed (about 60 entries).
const indexedTree = 4 << 10

// maxCachedTrees bounds the cache, in bytes of raw trees (a folder of a
// thousand records is about 40 KB).
const maxCachedTrees = 16 << 20

// ErrMalformedTree is wrapped by the errors for tree objects that git fsck
// reports as broken: entries out of git's order, the same name twice,
// unusual modes, names that are empty, ".", "..", ".git" or hold a slash,
// null ids. Such a tree can be read in more than one way (git, go-git, a
// tar extractor each pick another of two same-named entries), so qms reads
// it in none: every reader refuses it alike.
var ErrMalformedTree = errors.New("malformed tree")

// TreeError says which tree is malformed and how.
type TreeError struct {
	Tree    string // the tree object's id
	Name    string // the entry at fault, when one is
	Problem string // what git fsck would call it, in words
}

func (e *TreeError) Error() string {
	if e.Name != "" {
		return fmt.Sprintf("tree %s: %s %q", e.Tree, e.Problem, e.Name)
	}
	return fmt.Sprintf("tree %s: %s", e.Tree, e.Problem)
}

func (e *TreeError) Unwrap() error { return ErrMalformedTree }

// rawTree reads a tree object's bytes, checked to be well formed.
func (r *Repo) rawTree(id plumbing.Hash) ([]byte, error) {
	r.cache.mu.Lock()
	raw, ok := r.cache.trees[id]
	r.cache.mu.Unlock()
	if ok {
		return raw, nil
	}
	raw, err := r.readObject(plumbing.TreeObject, id, 0)
	if err != nil {
		return nil, fmt.Errorf("read tree %s: %w", id, err)
	}
	if err := checkTree(raw); err != nil {
		err.Tree = id.String()
		return nil, err
	}
	r.cache.mu.Lock()
	if r.cache.trees == nil || r.cache.size+len(raw) > maxCachedTrees {
		r.cache.trees, r.cache.size = map[plumbing.Hash][]byte{}, 0
		r.cache.index, r.cache.looked = nil, nil
	}
	r.cache.trees[id] = raw
	r.cache.size += len(raw)
	r.cache.mu.Unlock()
	return raw, nil
}

// checkTree applies git fsck's tree rules (fsck.c, fsck_tree) that decide
// how a tree reads, all as errors: entries parse, modes are the canonical
// ones (no zero padding), names are not empty, ".", "..", ".git" (in any
// case, or as NTFS and HFS+ spell it) and hold no slash, ids are not null,
// and entries are strictly in git's order, which leaves no name twice.
func checkTree(raw []byte) *TreeError {
	var prevName []byte
	prevDir := false
	var files [][]byte // file names since the last entry that cannot precede a same-named directory
	for rest := raw; len(rest) > 0; {
		mode, name, id, next, ok := next(rest)
		if !ok {
			return &TreeError{Problem: "entry that does not parse"}
		}
		dir := isDir(mode)
		switch string(mode) {
		case "100644", "100755", "120000", "40000", "160000":
		default:
			if len(mode) > 0 && mode[0] == '0' {
				return &TreeError{Name: string(name), Problem: "zero-padded file mode " + string(mode) + " of"}
			}
			return &TreeError{Name: string(name), Problem: "unusual file mode " + string(mode) + " of"}
		}
		if p := badName(name); p != "" {
			return &TreeError{Name: string(name), Problem: p}
		}
		if allZero(id) {
			return &TreeError{Name: string(name), Problem: "null object id for"}
		}
		if prevName != nil {
			if c := compare(prevName, prevDir, name, dir); c >= 0 {
				if bytes.Equal(prevName, name) {
					return &TreeError{Name: string(name), Problem: "duplicate entry"}
				}
				return &TreeError{Name: string(name), Problem: "entries not sorted at"}
			}
		}
		// A file and a directory of the same name sort apart: "a" (file),
		// "a.b", "a-c", then "a" (directory). Keep the files whose names
		// could still meet a directory of the same name.
		if dir {
			for i := len(files) - 1; i >= 0; i-- {
				if bytes.Equal(files[i], name) {
					return &TreeError{Name: string(name), Problem: "duplicate entry (a file and a directory)"}
				}
			}
		}
		kept := files[:0]
		for _, f := range files {
			if bytes.HasPrefix(name, f) {
				kept = append(kept, f)
			}
		}
		files = kept
		if !dir {
			files = append(files, name)
		}
		prevName, prevDir = name, dir
		rest = next
	}
	return nil
}

// badName says what is wrong with a tree entry's name, or "".
func badName(name []byte) string {
	switch {
	case len(name) == 0:
		return "empty name"
	case bytes.IndexByte(name, '/') >= 0:
		return "name holding a slash"
	case string(name) == "." || string(name) == "..":
		return "name"
	case isDotGit(name):
		return "name that git reserves"
	}
	return ""
}

// isDotGit reports whether a name means ".git" to git or to a file system
// git runs on: any case, NTFS's trailing dots and spaces and its short name
// GIT~1, HFS+'s ignorable code points.
func isDotGit(name []byte) bool {
	// The common case, cheaply: a name without "git" in any case, and
	// only ASCII, means nothing to any of them.
	ascii, git := true, false
	for i, c := range name {
		if c >= 0x80 {
			ascii = false
			break
		}
		if i+3 <= len(name) && c|0x20 == 'g' && name[i+1]|0x20 == 'i' && name[i+2]|0x20 == 't' {
			git = true
		}
	}
	if ascii && !git {
		return false
	}
	n := strings.ToLower(string(name))
	for _, ign := range hfsIgnorable {
		n = strings.ReplaceAll(n, ign, "")
	}
	n = strings.TrimRight(n, ". ")
	return n == ".git" || n == "git~1"
}

// hfsIgnorable are the code points HFS+ ignores in file names.
var hfsIgnorable = []string{"\u200c", "\u200d", "\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u206a", "\u206b", "\u206c", "\u206d", "\u206e", "\u206f", "\ufeff"}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// CheckTree reads every tree under tree (a commit's root tree) and returns
// the first malformation (an error wrapping ErrMalformedTree), or nil.
// Subtrees seen well formed before are not read again.
func (r *Repo) CheckTree(tree string) error {
	return r.checkTreeRec(plumbing.NewHash(tree))
}

func (r *Repo) checkTreeRec(id plumbing.Hash) error {
	r.checked.mu.Lock()
	ok := r.checked.ids[id]
	r.checked.mu.Unlock()
	if ok {
		return nil
	}
	raw, err := r.rawTree(id)
	if err != nil {
		return err
	}
	for len(raw) > 0 {
		mode, _, oid, rest, _ := next(raw)
		raw = rest
		if isDir(mode) {
			if err := r.checkTreeRec(plumbing.Hash(oid)); err != nil {
				return err
			}
		}
	}
	r.checked.mu.Lock()
	if r.checked.ids == nil {
		r.checked.ids = map[plumbing.Hash]bool{}
	}
	r.checked.ids[id] = true
	r.checked.mu.Unlock()
	return nil
}

// readObject reads an object of a type, at most limit bytes of it (0: all).
func (r *Repo) readObject(t plumbing.ObjectType, id plumbing.Hash, limit int64) ([]byte, error) {
	r.objects.Lock()
	defer r.objects.Unlock()
	o, err := r.r.Storer.EncodedObject(t, id)
	if err != nil {
		return nil, err
	}
	rd, err := o.Reader()
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	if limit > 0 {
		return io.ReadAll(io.LimitReader(rd, limit))
	}
	return io.ReadAll(rd)
}

// objectSize returns an object's size without reading its content where
// the storage allows, or -1 if it cannot be read.
func (r *Repo) objectSize(id plumbing.Hash) int64 {
	r.objects.Lock()
	defer r.objects.Unlock()
	if s, ok := r.r.Storer.(interface {
		EncodedObjectSize(plumbing.Hash) (int64, error)
	}); ok {
		if n, err := s.EncodedObjectSize(id); err == nil {
			return n
		}
	}
	o, err := r.r.Storer.EncodedObject(plumbing.AnyObject, id)
	if err != nil {
		return -1
	}
	return o.Size()
}

// next cuts the first entry off a raw tree: "MODE NAME\0" and 20 bytes of
// id.
func next(raw []byte) (mode, name, id, rest []byte, ok bool) {
	sp := bytes.IndexByte(raw, ' ')
	if sp <= 0 {
		return nil, nil, nil, nil, false
	}
	nul := bytes.IndexByte(raw[sp:], 0) + sp
	if nul <= sp+1 || len(raw) < nul+21 {
		return nil, nil, nil, nil, false
	}
	return raw[:sp], raw[sp+1 : nul], raw[nul+1 : nul+21], raw[nul+21:], true
}

func isDir(mode []byte) bool { return string(mode) == "40000" || string(mode) == "040000" }

func toEntry(mode, name, id []byte) entry {
	e := entry{name: string(name), dir: isDir(mode)}
	switch string(mode) {
	case "160000":
		e.link = true
	case "120000":
		e.symlink = true
	}
	copy(e.id[:], id)
	return e
}

// tree reads and parses a tree object.
func (r *Repo) tree(id plumbing.Hash) ([]entry, error) {
	raw, err := r.rawTree(id)
	if err != nil {
		return nil, err
	}
	var es []entry
	for len(raw) > 0 {
		mode, name, oid, rest, _ := next(raw)
		es = append(es, toEntry(mode, name, oid))
		raw = rest
	}
	return es, nil
}

// lookup follows a slash-separated path from a tree.
func (r *Repo) lookup(tree plumbing.Hash, p string) (entry, bool, error) {
	cur := entry{dir: true, id: tree}
	for _, part := range strings.Split(p, "/") {
		if !cur.dir {
			return entry{}, false, nil
		}
		raw, err := r.rawTree(cur.id)
		if err != nil {
			return entry{}, false, err
		}
		var found bool
		if len(raw) > indexedTree {
			cur, found = search(raw, r.treeIndex(cur.id, raw), part)
		} else {
			cur, found = scan(raw, part)
		}
		if !found {
			return entry{}, false, nil
		}
	}
	return cur, true, nil
}

// scan finds a name in a raw tree, entry by entry.
func scan(raw []byte, part string) (entry, bool) {
	for len(raw) > 0 {
		mode, name, oid, rest, _ := next(raw)
		raw = rest
		if string(name) == part {
			return toEntry(mode, name, oid), true
		}
	}
	return entry{}, false
}

// treeIndex returns the offsets of a tree's entries once the tree has
// been looked up before (nil the first time: one lookup is cheaper as a
// scan than as an index and a search, and verification looks up most
// trees once).
func (r *Repo) treeIndex(id plumbing.Hash, raw []byte) []uint32 {
	r.cache.mu.Lock()
	defer r.cache.mu.Unlock()
	if idx, ok := r.cache.index[id]; ok {
		return idx
	}
	if !r.cache.looked[id] {
		if r.cache.looked == nil {
			r.cache.looked = map[plumbing.Hash]bool{}
		}
		r.cache.looked[id] = true
		return nil
	}
	idx := offsets(raw)
	if r.cache.index == nil {
		r.cache.index = map[plumbing.Hash][]uint32{}
	}
	r.cache.index[id] = idx
	return idx
}

// offsets returns where each entry of a raw tree starts.
func offsets(raw []byte) []uint32 {
	idx := []uint32{}
	for off := 0; off < len(raw); {
		_, _, _, rest, ok := next(raw[off:])
		if !ok {
			break
		}
		idx = append(idx, uint32(off))
		off = len(raw) - len(rest)
	}
	return idx
}

// search finds a name in a raw tree by binary search over its entries'
// offsets (scanning when there are none). A well-formed tree is in git's
// order, where a directory sorts as if its name ended in '/': the name is
// looked for as a file first, then as a directory, as scan would find it.
func search(raw []byte, idx []uint32, part string) (entry, bool) {
	if idx == nil {
		return scan(raw, part)
	}
	at := func(i int) (mode, name, oid []byte) {
		mode, name, oid, _, _ = next(raw[idx[i]:])
		return mode, name, oid
	}
	want := []byte(part)
	for _, asDir := range []bool{false, true} {
		i := sort.Search(len(idx), func(i int) bool {
			mode, name, _ := at(i)
			return compare(name, isDir(mode), want, asDir) >= 0
		})
		if i < len(idx) {
			if mode, name, oid := at(i); string(name) == part && isDir(mode) == asDir {
				return toEntry(mode, name, oid), true
			}
		}
	}
	return entry{}, false
}

// compare orders two entries as git sorts a tree: by name, a directory's
// name as if it ended in '/'.
func compare(a []byte, aDir bool, b []byte, bDir bool) int {
	n := min(len(a), len(b))
	if c := bytes.Compare(a[:n], b[:n]); c != 0 {
		return c
	}
	end := func(s []byte, dir bool) byte {
		if len(s) > n {
			return s[n]
		}
		if dir {
			return '/'
		}
		return 0
	}
	ca, cb := end(a, aDir), end(b, bDir)
	switch {
	case ca < cb:
		return -1
	case ca > cb:
		return 1
	}
	return 0
}

// changed adds to out every file under tree (at prefix) whose blob differs
// from the same path under base (zero: no base). Both trees are walked
// together in git's order, so unchanged entries cost a comparison.
func (r *Repo) changed(prefix string, tree, base plumbing.Hash, out map[string]string) error {
	if tree == base {
		return nil
	}
	raw, err := r.rawTree(tree)
	if err != nil {
		return err
	}
	var braw []byte
	if !base.IsZero() {
		if braw, err = r.rawTree(base); err != nil {
			return err
		}
	}
	bmode, bname, bid, brest, bok := next(braw)
	for len(raw) > 0 {
		mode, name, id, rest, _ := next(raw)
		raw = rest
		dir := isDir(mode)
		// Skip base entries that sort before this one.
		for bok && compare(bname, isDir(bmode), name, dir) < 0 {
			bmode, bname, bid, brest, bok = next(brest)
		}
		same := bok && compare(bname, isDir(bmode), name, dir) == 0
		if same && bytes.Equal(bid, id) {
			continue
		}
		if string(mode) == "160000" {
			continue
		}
		p := string(name)
		if prefix != "" {
			p = prefix + "/" + p
		}
		if dir {
			var sub plumbing.Hash
			if same {
				copy(sub[:], bid)
			}
			if err := r.changed(p, plumbing.Hash(id), sub, out); err != nil {
				return err
			}
			continue
		}
		out[p] = hex.EncodeToString(id)
	}
	return nil
}
