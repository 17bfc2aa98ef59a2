package vcs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
)

// Commit is a commit as qms verifies it: the raw object (what the
// signature covers is cut from it, never rebuilt) and the fields read from
// it.
type Commit struct {
	ID      string
	Raw     []byte
	Tree    string
	Parents []string
	// Committer is the committer's time as recorded in the object, and
	// CommitterName its identity ("Name <email>").
	Committer     time.Time
	CommitterName string
	// Author is the author header's identity ("Name <email>") and
	// AuthorEmail its address, as recorded.
	Author, AuthorEmail string
	Message             string
	// Oversize is set for a commit object larger than MaxCommitSize: only
	// its headers were read (Raw and Message are empty), and it cannot be
	// verified.
	Oversize bool
	Size     int64
}

// ErrNotCommit is returned for an object that is not a commit.
var ErrNotCommit = errors.New("not a commit")

// MaxCommitSize bounds the raw commits qms reads whole. An approval that
// signs a thousand records is about 100 KB; anything near this size is an
// attempt to exhaust the verifier, and is refused as a finding.
const MaxCommitSize = 4 << 20

// maxHeaderRead is how much of an oversize commit is read to find its
// parents.
const maxHeaderRead = 64 << 10

// Commit reads a commit by id (a full hex id or a revision such as HEAD).
func (r *Repo) Commit(rev string) (*Commit, error) {
	r.objects.Lock()
	defer r.objects.Unlock()
	var h *plumbing.Hash
	if isHex40(rev) {
		// A full id: no need to look for refs of that name (that lookup,
		// done per commit, cost more than reading the commits).
		id := plumbing.NewHash(rev)
		h = &id
	} else {
		var err error
		if h, err = r.r.ResolveRevision(plumbing.Revision(rev)); err != nil {
			if rev == "HEAD" && errors.Is(err, plumbing.ErrReferenceNotFound) {
				return nil, ErrNoCommit
			}
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
	limit := int64(MaxCommitSize)
	oversize := o.Size() > MaxCommitSize
	if oversize {
		limit = maxHeaderRead
	}
	raw, err := io.ReadAll(io.LimitReader(rd, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", h, err)
	}
	if int64(len(raw)) > MaxCommitSize {
		oversize = true
	}
	if oversize {
		c := &Commit{ID: h.String(), Oversize: true, Size: o.Size()}
		head, _, _ := bytes.Cut(raw, []byte("\n\n"))
		c.Raw = head
		if err := c.parseHeaders(); err != nil {
			return nil, fmt.Errorf("commit %s: %w", h, err)
		}
		c.Raw, c.Message = nil, ""
		return c, nil
	}
	c := &Commit{ID: h.String(), Raw: raw, Size: int64(len(raw))}
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
	// The first author and committer headers, as git reads them.
	haveAuthor := false
	for ; i < len(lines); i++ {
		if val, ok := strings.CutPrefix(lines[i], "author "); ok && !haveAuthor {
			haveAuthor = true
			c.Author, c.AuthorEmail = identName(val)
			continue
		}
		if val, ok := strings.CutPrefix(lines[i], "committer "); ok {
			c.Committer = identTime(val)
			c.CommitterName, _ = identName(val)
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

// identName returns "Name <email>" and the email of an ident line
// "Name <email> 1700000000 +0100".
func identName(ident string) (who, email string) {
	lt := strings.IndexByte(ident, '<')
	gt := strings.LastIndexByte(ident, '>')
	if lt < 0 || gt < lt {
		return strings.TrimSpace(ident), ""
	}
	return strings.TrimSpace(ident[:gt+1]), strings.TrimSpace(ident[lt+1 : gt])
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
	e, ok, err := r.lookup(plumbing.NewHash(commitTree), p)
	if err != nil || !ok {
		return "", err
	}
	return e.id.String(), nil
}

// TreeFS is a read-only file system over a tree object: what the files
// were at a commit, for reading staff records and keys as they stood then.
func (r *Repo) TreeFS(tree string) (fs.FS, error) {
	id := plumbing.NewHash(tree)
	if _, err := r.tree(id); err != nil {
		return nil, err
	}
	return treeFS{r: r, root: id}, nil
}

type treeFS struct {
	r    *Repo
	root plumbing.Hash
}

var (
	_ fs.ReadDirFS  = treeFS{}
	_ fs.ReadFileFS = treeFS{}
	_ fs.StatFS     = treeFS{}
	_ fs.ReadLinkFS = treeFS{}
)

// entry finds a path's tree entry ("." is the root).
func (t treeFS) entry(op, name string) (entry, error) {
	if !fs.ValidPath(name) {
		return entry{}, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	if name == "." {
		return entry{name: ".", dir: true, id: t.root}, nil
	}
	e, ok, err := t.r.lookup(t.root, name)
	if err != nil {
		return entry{}, &fs.PathError{Op: op, Path: name, Err: err}
	}
	if !ok {
		return entry{}, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
	}
	return e, nil
}

func (t treeFS) Open(name string) (fs.File, error) {
	e, err := t.entry("open", name)
	if err != nil {
		return nil, err
	}
	if e.dir {
		ents, err := t.ReadDir(name)
		if err != nil {
			return nil, err
		}
		return &memDir{name: path.Base(name), ents: ents}, nil
	}
	b, err := t.ReadFile(name)
	if err != nil {
		return nil, err
	}
	return &memFile{name: path.Base(name), r: bytes.NewReader(b), size: int64(len(b))}, nil
}

// BlobID returns the id of a file's blob, so that callers can remember
// what they parsed of it across trees.
func (t treeFS) BlobID(name string) (string, bool) {
	e, err := t.entry("stat", name)
	if err != nil || e.dir || e.link {
		return "", false
	}
	return e.id.String(), true
}

// Stat describes a file without reading it; links are not followed.
func (t treeFS) Stat(name string) (fs.FileInfo, error) { return t.Lstat(name) }

// Lstat describes a file without reading it.
func (t treeFS) Lstat(name string) (fs.FileInfo, error) {
	e, err := t.entry("stat", name)
	if err != nil {
		return nil, err
	}
	return t.info(e)
}

// ReadLink returns a symbolic link's target.
func (t treeFS) ReadLink(name string) (string, error) {
	e, err := t.entry("readlink", name)
	if err != nil {
		return "", err
	}
	if !e.symlink {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: fs.ErrInvalid}
	}
	b, err := t.r.blob(e.id)
	if err != nil {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: err}
	}
	return string(b), nil
}

func (t treeFS) info(e entry) (fs.FileInfo, error) {
	fi := fileInfo{name: path.Base(e.name), dir: e.dir, symlink: e.symlink}
	if !e.dir {
		// The size is asked for rarely (listing records asks only whether
		// a path is a link): find it when asked, from the object's header.
		r, id := t.r, e.id
		fi.sizeOf = func() int64 { return r.objectSize(id) }
	}
	return fi, nil
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
	e, err := t.entry("read", name)
	if err != nil {
		return nil, err
	}
	if e.dir || e.symlink || e.link {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fs.ErrInvalid}
	}
	b, err := t.r.blob(e.id)
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	return b, nil
}

func (t treeFS) ReadDir(name string) ([]fs.DirEntry, error) {
	e, err := t.entry("readdir", name)
	if err != nil {
		return nil, err
	}
	if !e.dir {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errors.New("not a directory")}
	}
	es, err := t.r.tree(e.id)
	if err != nil {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: err}
	}
	out := make([]fs.DirEntry, 0, len(es))
	for _, e := range es {
		out = append(out, dirEntry{e: e, t: t})
	}
	// fs.ReadDirFS promises entries sorted by name; git sorts directories
	// as if their names ended in '/'.
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out, nil
}

type dirEntry struct {
	e entry
	t treeFS
}

func (d dirEntry) Name() string { return d.e.name }
func (d dirEntry) IsDir() bool  { return d.e.dir }
func (d dirEntry) Type() fs.FileMode {
	switch {
	case d.e.dir:
		return fs.ModeDir
	case d.e.symlink:
		return fs.ModeSymlink
	}
	return 0
}
func (d dirEntry) Info() (fs.FileInfo, error) { return d.t.info(d.e) }

type memFile struct {
	name string
	r    *bytes.Reader
	size int64
}

func (f *memFile) Stat() (fs.FileInfo, error) { return fileInfo{name: f.name, size: f.size}, nil }
func (f *memFile) Read(b []byte) (int, error) { return f.r.Read(b) }
func (f *memFile) Close() error               { return nil }

type fileInfo struct {
	name    string
	size    int64
	sizeOf  func() int64 // when set, the size
	dir     bool
	symlink bool
}

func (i fileInfo) Name() string { return i.name }
func (i fileInfo) Size() int64 {
	if i.sizeOf != nil {
		return i.sizeOf()
	}
	return i.size
}
func (i fileInfo) Mode() fs.FileMode {
	if i.dir {
		return fs.ModeDir | 0o555
	}
	if i.symlink {
		return fs.ModeSymlink | 0o777
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
	out := map[string]string{}
	if len(parents) == 0 {
		return out, r.changed("", plumbing.NewHash(tree), plumbing.ZeroHash, out)
	}
	for i, p := range parents {
		seen := map[string]string{}
		if err := r.changed("", plumbing.NewHash(tree), plumbing.NewHash(p), seen); err != nil {
			return nil, err
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

// Blobs returns every file (path -> blob id) under dir in a commit's tree,
// or the file dir itself; none when dir is absent. One walk of the subtree,
// where asking BlobID for each file would search the tree once per file.
func (r *Repo) Blobs(tree, dir string) (map[string]string, error) {
	out := map[string]string{}
	e, ok, err := r.lookup(plumbing.NewHash(tree), dir)
	if err != nil || !ok {
		return out, err
	}
	if !e.dir {
		if !e.link {
			out[dir] = e.id.String()
		}
		return out, nil
	}
	return out, r.changed(dir, e.id, plumbing.ZeroHash, out)
}
