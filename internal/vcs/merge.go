package vcs

import (
	"bytes"
	"fmt"
	"sort"

	"github.com/go-git/go-git/v5/plumbing"
)

// CleanMerge reports whether the tree merged is the merge of ours and
// theirs over base that adds nothing: every path is as one side has it
// where the other left it as in base, or as both have it, or, for a file
// both sides changed differently, is the clean line-by-line merge of the
// two (Merge3), byte for byte. Such a file must be a regular file in base,
// ours, theirs and merged, of one mode in the last three; any other path
// both sides changed differently is not clean. It merges without git's
// machinery, whose drivers and rename detection a repository's
// .gitattributes and settings can change, and refuses where git might not
// agree. It says which path is not clean, and which files were merged
// line by line (a new blob made of both sides' lines). base may be "" (no
// common ancestor: an empty tree).
func (r *Repo) CleanMerge(merged, base, ours, theirs string) (MergeCheck, error) {
	h := func(s string) plumbing.Hash {
		if s == "" {
			return plumbing.ZeroHash
		}
		return plumbing.NewHash(s)
	}
	var mc MergeCheck
	path, ok, err := r.cleanMerge(&mc.LineMerged, "", h(merged), h(base), h(ours), h(theirs))
	mc.Path, mc.Clean = path, ok
	if !ok {
		mc.LineMerged = nil
	}
	return mc, err
}

// MergeCheck is what CleanMerge found.
type MergeCheck struct {
	// Clean is set when the merge adds nothing; otherwise Path is the
	// first path that is not as a clean merge has it.
	Clean bool
	Path  string
	// LineMerged are the files of a clean merge that both sides changed,
	// merged line by line.
	LineMerged []LineMerge
}

// LineMerge is a file both sides of a merge changed: its path and the
// blobs of the merge and of each side.
type LineMerge struct {
	Path, Merged, Ours, Theirs string
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

// file says whether the entry is a regular file, executable or not.
func (e mergeEntry) file() bool { return e.ok && (e.mode == "100644" || e.mode == "100755") }

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

// cleanMerge checks one folder; acc collects the files merged line by
// line.
func (r *Repo) cleanMerge(acc *[]LineMerge, prefix string, m, b, o, t plumbing.Hash) (string, bool, error) {
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
				return r.differs(acc, p, mm, oo)
			}
		case bb.same(oo):
			if !mm.same(tt) {
				return r.differs(acc, p, mm, tt)
			}
		case bb.same(tt):
			if !mm.same(oo) {
				return r.differs(acc, p, mm, oo)
			}
		case mm.dir() && oo.dir() && tt.dir() && (bb.dir() || !bb.ok):
			var base plumbing.Hash
			if bb.ok {
				base = bb.id
			}
			if bad, ok, err := r.cleanMerge(acc, p, mm.id, base, oo.id, tt.id); err != nil || !ok {
				return bad, ok, err
			}
		case mm.file() && bb.file() && oo.file() && tt.file() && oo.mode == tt.mode && mm.mode == oo.mode:
			if ok, err := r.mergedLines(mm.id, bb.id, oo.id, tt.id); err != nil || !ok {
				return p, false, err
			}
			*acc = append(*acc, LineMerge{Path: p, Merged: mm.id.String(), Ours: oo.id.String(), Theirs: tt.id.String()})
		default:
			return p, false, nil
		}
	}
	return "", true, nil
}

// differs reports a merged entry that is not the one the merge should
// have, by the first path that differs below it when both are folders.
func (r *Repo) differs(acc *[]LineMerge, p string, merged, want mergeEntry) (string, bool, error) {
	if merged.dir() && want.dir() {
		return r.cleanMerge(acc, p, merged.id, want.id, want.id, want.id)
	}
	return p, false, nil
}

// mergedLines reports whether blob merged is the clean line-by-line merge
// (Merge3) of blobs ours and theirs over base. Blobs too large for Merge3
// are not read whole.
func (r *Repo) mergedLines(merged, base, ours, theirs plumbing.Hash) (bool, error) {
	var blobs [4][]byte
	for i, id := range []plumbing.Hash{merged, base, ours, theirs} {
		if r.objectSize(id) > maxMerge3Size {
			return false, nil
		}
		b, err := r.readObject(plumbing.BlobObject, id, maxMerge3Size+1)
		if err != nil {
			return false, fmt.Errorf("read object %s: %w", id, err)
		}
		if len(b) > maxMerge3Size {
			return false, nil
		}
		blobs[i] = b
	}
	m, clean := Merge3(blobs[1], blobs[2], blobs[3])
	return clean && bytes.Equal(m, blobs[0]), nil
}
