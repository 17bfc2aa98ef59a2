package vcs

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
)

// Tip is a branch and the commit it points to.
type Tip struct {
	// Ref is the full name: refs/heads/main, refs/remotes/origin/feature-x.
	Ref string
	// Name is how git shows it: main, origin/feature-x.
	Name   string
	Commit string
}

// Branches lists the local branches and the remote-tracking branches,
// sorted by ref: what 'qms new' must not take ids from. Tags, other refs
// and the remotes' symbolic HEADs are left out; so, in a repository
// without commits, is everything.
func (r *Repo) Branches() ([]Tip, error) {
	it, err := r.r.Storer.IterReferences()
	if err != nil {
		return nil, fmt.Errorf("list branches: %w", err)
	}
	var out []Tip
	err = it.ForEach(func(ref *plumbing.Reference) error {
		if ref.Type() != plumbing.HashReference {
			return nil
		}
		name := ref.Name().String()
		short, local := strings.CutPrefix(name, "refs/heads/")
		if !local {
			var remote bool
			if short, remote = strings.CutPrefix(name, "refs/remotes/"); !remote || strings.HasSuffix(short, "/HEAD") {
				return nil
			}
		}
		out = append(out, Tip{Ref: name, Name: short, Commit: ref.Hash().String()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list branches: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Ref < out[j].Ref })
	return out, nil
}

// commitHead is enough of a commit object to hold its first header,
// "tree <40 hex digits>\n".
const commitHead = len("tree ") + 40 + 1

// Folder returns the id of the tree at the folder dir of a commit's tree,
// or "" when there is none. It reads the commit's first header and the
// trees on the way, never a blob: cheap to ask of every branch, and
// branches that did not change the folder give the same id.
func (r *Repo) Folder(commit, dir string) (string, error) {
	if !isHex40(commit) {
		return "", fmt.Errorf("read commit %q: not a commit id", commit)
	}
	raw, err := r.readObject(plumbing.CommitObject, plumbing.NewHash(commit), int64(commitHead))
	if err != nil {
		return "", fmt.Errorf("read commit %s: %w", commit, err)
	}
	tree, ok := bytes.CutPrefix(raw, []byte("tree "))
	if !ok || len(tree) != 41 || tree[40] != '\n' || !isHex40(string(tree[:40])) {
		return "", fmt.Errorf("commit %s: does not start with a tree header", commit)
	}
	e, found, err := r.lookup(plumbing.NewHash(string(tree[:40])), dir)
	if err != nil || !found || !e.dir {
		return "", err
	}
	return e.id.String(), nil
}

// EachFile calls fn with the name of each file (not folder or submodule)
// directly in a tree, in git's order. The name is valid only during the
// call: a folder of thousands of records allocates nothing per name.
func (r *Repo) EachFile(tree string, fn func(name []byte)) error {
	if !isHex40(tree) {
		return fmt.Errorf("read tree %q: not a tree id", tree)
	}
	raw, err := r.rawTree(plumbing.NewHash(tree))
	if err != nil {
		return err
	}
	for len(raw) > 0 {
		mode, name, _, rest, _ := next(raw)
		raw = rest
		if !isDir(mode) && string(mode) != "160000" {
			fn(name)
		}
	}
	return nil
}
