package vcs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Commit is a commit as qms verifies it: the raw object (what the
// signature covers is cut from it, never rebuilt) and the fields read from
// it.
type Commit struct {
	ID      string
	Raw     []byte
	Tree    string
	Parents []string
	// Committer is the committer's time as recorded in the object.
	Committer time.Time
	Message   string
}

// ErrNotCommit is returned for an object that is not a commit.
var ErrNotCommit = errors.New("not a commit")

// maxCommitSize bounds the raw commits qms reads.
const maxCommitSize = 16 << 20

// Commit reads a commit by id (a full hex id or a revision such as HEAD).
func (r *Repo) Commit(rev string) (*Commit, error) {
	var h *plumbing.Hash
	if isHex40(rev) {
		// A full id: no need to look for refs of that name (that lookup,
		// done per commit, cost more than reading the commits).
		id := plumbing.NewHash(rev)
		h = &id
	} else {
		var err error
		if h, err = r.r.ResolveRevision(plumbing.Revision(rev)); err != nil {
			return nil, fmt.Errorf("%s: %w", rev, err)
		}
	}
	o, err := r.r.Storer.EncodedObject(plumbing.AnyObject, *h)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", h, err)
	}
	if o.Type() != plumbing.CommitObject {
		return nil, fmt.Errorf("%s: %w (%s)", h, ErrNotCommit, o.Type())
	}
	rd, err := o.Reader()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", h, err)
	}
	defer rd.Close()
	raw, err := io.ReadAll(io.LimitReader(rd, maxCommitSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", h, err)
	}
	if len(raw) > maxCommitSize {
		return nil, fmt.Errorf("commit %s is larger than %d bytes", h, maxCommitSize)
	}
	c := &Commit{ID: h.String(), Raw: raw}
	if err := c.parseHeaders(); err != nil {
		return nil, fmt.Errorf("commit %s: %w", h, err)
	}
	return c, nil
}

// parseHeaders reads tree, parents and committer time the way git's
// parse_commit_buffer does: the tree header first, the parent headers
// right after it (a "parent" line anywhere else is not a parent), the
// first committer header.
func (c *Commit) parseHeaders() error {
	head, msg, _ := bytes.Cut(c.Raw, []byte("\n\n"))
	c.Message = string(msg)
	lines := strings.Split(string(head), "\n")
	tree, ok := strings.CutPrefix(lines[0], "tree ")
	if !ok || !isHex40(tree) {
		return errors.New("does not start with a tree header")
	}
	c.Tree = tree
	i := 1
	for ; i < len(lines); i++ {
		p, ok := strings.CutPrefix(lines[i], "parent ")
		if !ok {
			break
		}
		if !isHex40(p) {
			return fmt.Errorf("bad parent %q", p)
		}
		c.Parents = append(c.Parents, p)
	}
	for ; i < len(lines); i++ {
		if val, ok := strings.CutPrefix(lines[i], "committer "); ok {
			c.Committer = identTime(val)
			break
		}
	}
	return nil
}

func isHex40(s string) bool {
	if len(s) != 40 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// identTime reads the time of "Name <email> 1700000000 +0100".
func identTime(ident string) time.Time {
	i := strings.LastIndexByte(ident, '>')
	if i < 0 {
		return time.Time{}
	}
	f := strings.Fields(ident[i+1:])
	if len(f) != 2 {
		return time.Time{}
	}
	var secs int64
	if _, err := fmt.Sscan(f[0], &secs); err != nil {
		return time.Time{}
	}
	t := time.Unix(secs, 0)
	if z, err := time.Parse("-0700", f[1]); err == nil {
		t = t.In(z.Location())
	}
	return t
}

// TreeHash returns the id of the tree or blob at p in a commit's tree ("" if
// absent): cheap to compare between commits to see whether p changed.
func (r *Repo) TreeHash(commitTree, p string) (string, error) {
	t, err := r.r.TreeObject(plumbing.NewHash(commitTree))
	if err != nil {
		return "", fmt.Errorf("read tree %s: %w", commitTree, err)
	}
	e, err := t.FindEntry(p)
	if errors.Is(err, object.ErrEntryNotFound) || errors.Is(err, object.ErrDirectoryNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return e.Hash.String(), nil
}

// TreeFS is a read-only file system over a tree object: what the files
// were at a commit, for reading staff records and keys as they stood then.
func (r *Repo) TreeFS(tree string) (fs.FS, error) {
	t, err := r.r.TreeObject(plumbing.NewHash(tree))
	if err != nil {
		return nil, fmt.Errorf("read tree %s: %w", tree, err)
	}
	return treeFS{r: r, root: t}, nil
}

type treeFS struct {
	r    *Repo
	root *object.Tree
}

var (
	_ fs.ReadDirFS  = treeFS{}
	_ fs.ReadFileFS = treeFS{}
)

func (t treeFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if ents, err := t.ReadDir(name); err == nil {
		return &memDir{name: path.Base(name), ents: ents}, nil
	}
	b, err := t.ReadFile(name)
	if err != nil {
		return nil, err
	}
	return &memFile{name: path.Base(name), r: bytes.NewReader(b), size: int64(len(b))}, nil
}

type memDir struct {
	name string
	ents []fs.DirEntry
	off  int
}

func (d *memDir) Stat() (fs.FileInfo, error) { return fileInfo{name: d.name, dir: true}, nil }
func (d *memDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.name, Err: errors.New("is a directory")}
}
func (d *memDir) Close() error { return nil }

func (d *memDir) ReadDir(n int) ([]fs.DirEntry, error) {
	rest := d.ents[d.off:]
	if n <= 0 {
		d.off = len(d.ents)
		return rest, nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	if n > len(rest) {
		n = len(rest)
	}
	d.off += n
	return rest[:n], nil
}

func (t treeFS) ReadFile(name string) ([]byte, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fs.ErrInvalid}
	}
	f, err := t.root.File(name)
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fs.ErrNotExist}
	}
	if !f.Mode.IsFile() || f.Mode == filemode.Symlink {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fs.ErrInvalid}
	}
	rd, err := f.Reader()
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	defer rd.Close()
	return io.ReadAll(io.LimitReader(rd, 4<<20+1))
}

func (t treeFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrInvalid}
	}
	tree := t.root
	if name != "." {
		sub, err := t.root.Tree(name)
		if err != nil {
			return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrNotExist}
		}
		tree = sub
	}
	out := make([]fs.DirEntry, 0, len(tree.Entries))
	for _, e := range tree.Entries {
		out = append(out, dirEntry{e: e, r: t.r})
	}
	return out, nil
}

type dirEntry struct {
	e object.TreeEntry
	r *Repo
}

func (d dirEntry) Name() string { return d.e.Name }
func (d dirEntry) IsDir() bool  { return d.e.Mode == filemode.Dir }
func (d dirEntry) Type() fs.FileMode {
	if d.IsDir() {
		return fs.ModeDir
	}
	return 0
}
func (d dirEntry) Info() (fs.FileInfo, error) {
	fi := fileInfo{name: d.e.Name, dir: d.IsDir()}
	if !fi.dir {
		o, err := d.r.r.Storer.EncodedObject(plumbing.BlobObject, d.e.Hash)
		if err != nil {
			return nil, err
		}
		fi.size = o.Size()
	}
	return fi, nil
}

type memFile struct {
	name string
	r    *bytes.Reader
	size int64
}

func (f *memFile) Stat() (fs.FileInfo, error) { return fileInfo{name: f.name, size: f.size}, nil }
func (f *memFile) Read(b []byte) (int, error) { return f.r.Read(b) }
func (f *memFile) Close() error               { return nil }

type fileInfo struct {
	name string
	size int64
	dir  bool
}

func (i fileInfo) Name() string { return i.name }
func (i fileInfo) Size() int64  { return i.size }
func (i fileInfo) Mode() fs.FileMode {
	if i.dir {
		return fs.ModeDir | 0o555
	}
	return 0o444
}
func (i fileInfo) ModTime() time.Time { return time.Time{} }
func (i fileInfo) IsDir() bool        { return i.dir }
func (i fileInfo) Sys() any           { return nil }

// Written returns the files (path -> blob id) whose content in tree differs
// from their content in every one of the parent trees: what the commit
// itself wrote, as opposed to what it inherited or merged unchanged.
// Deleted files are left out.
func (r *Repo) Written(tree string, parents []string) (map[string]string, error) {
	t, err := r.r.TreeObject(plumbing.NewHash(tree))
	if err != nil {
		return nil, fmt.Errorf("read tree %s: %w", tree, err)
	}
	var out map[string]string
	if len(parents) == 0 {
		out = map[string]string{}
		err := t.Files().ForEach(func(f *object.File) error {
			out[f.Name] = f.Hash.String()
			return nil
		})
		return out, err
	}
	for i, p := range parents {
		pt, err := r.r.TreeObject(plumbing.NewHash(p))
		if err != nil {
			return nil, fmt.Errorf("read tree %s: %w", p, err)
		}
		changes, err := object.DiffTree(pt, t)
		if err != nil {
			return nil, fmt.Errorf("diff %s %s: %w", p, tree, err)
		}
		seen := map[string]string{}
		for _, c := range changes {
			if c.To.Name == "" {
				continue // deleted
			}
			seen[c.To.Name] = c.To.TreeEntry.Hash.String()
		}
		if i == 0 {
			out = seen
			continue
		}
		for name := range out {
			if _, ok := seen[name]; !ok {
				delete(out, name) // as in this parent: merged unchanged
			}
		}
	}
	return out, nil
}
