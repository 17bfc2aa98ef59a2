package records

import (
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/qms-tool/qms/internal/record"
)

// Dir serves the operating-system directory it names, like os.DirFS, and
// reads records faster and bounded (see ReadFile).
type Dir string

var (
	_ fs.StatFS     = Dir("")
	_ fs.ReadDirFS  = Dir("")
	_ fs.ReadLinkFS = Dir("")
)

func (d Dir) join(op, name string) (string, error) {
	if !fs.ValidPath(name) {
		return "", &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	return filepath.Join(string(d), filepath.FromSlash(name)), nil
}

// Open opens a file as os.DirFS does.
func (d Dir) Open(name string) (fs.File, error) { return os.DirFS(string(d)).Open(name) }

// Stat describes a file, following links.
func (d Dir) Stat(name string) (fs.FileInfo, error) {
	return os.DirFS(string(d)).(fs.StatFS).Stat(name)
}

// ReadDir lists a directory, sorted by name.
func (d Dir) ReadDir(name string) ([]fs.DirEntry, error) {
	return os.DirFS(string(d)).(fs.ReadDirFS).ReadDir(name)
}

// Lstat describes a file without following links.
func (d Dir) Lstat(name string) (fs.FileInfo, error) {
	full, err := d.join("lstat", name)
	if err != nil {
		return nil, err
	}
	fi, err := os.Lstat(full)
	if err != nil {
		return nil, &fs.PathError{Op: "lstat", Path: name, Err: underlying(err)}
	}
	return fi, nil
}

// ReadLink returns a link's target.
func (d Dir) ReadLink(name string) (string, error) {
	full, err := d.join("readlink", name)
	if err != nil {
		return "", err
	}
	t, err := os.Readlink(full)
	if err != nil {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: underlying(err)}
	}
	return t, nil
}

func underlying(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}

// readRecord is ReadFile's fast path: plain system calls, no poller.
func (d Dir) readRecord(name string) ([]byte, error) {
	full, err := d.join("read", name)
	if err != nil {
		return nil, err
	}
	return readFile(full)
}

// recordReader is implemented by file systems with their own way of
// reading a record within record.MaxSize.
type recordReader interface {
	readRecord(name string) ([]byte, error)
}

// ReadFile returns a file's content, but never more than one byte past
// record.MaxSize, so that a huge file is refused (record.Parse says why)
// without being loaded.
func ReadFile(fsys fs.FS, name string) ([]byte, error) {
	if r, ok := fsys.(recordReader); ok {
		return r.readRecord(name)
	}
	file, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	if st, err := file.Stat(); err == nil && st.Size() >= 0 && st.Size() <= record.MaxSize {
		// The usual case: one allocation of the right size.
		b := make([]byte, st.Size()+1)
		n, err := io.ReadFull(file, b)
		if err == io.ErrUnexpectedEOF || err == io.EOF {
			return b[:n], nil
		}
		if err != nil {
			return nil, err
		}
		// The file grew since Stat: read the rest, within the limit.
		rest, err := io.ReadAll(io.LimitReader(file, record.MaxSize+1-int64(n)))
		return append(b[:n], rest...), err
	}
	return io.ReadAll(io.LimitReader(file, record.MaxSize+1))
}

// Exists reports whether name exists in fsys.
func Exists(fsys fs.FS, name string) bool {
	_, err := fs.Stat(fsys, name)
	return err == nil
}

// blobIdentifier is implemented by file systems that know a file's Git
// blob id without reading it: the index, a commit's tree.
type blobIdentifier interface {
	BlobID(name string) (string, bool)
}

// BlobID returns the Git blob id of name when fsys knows it without
// reading the file, else "".
func BlobID(fsys fs.FS, name string) string {
	if b, ok := fsys.(blobIdentifier); ok {
		if id, ok := b.BlobID(name); ok {
			return id
		}
	}
	return ""
}

// Staged is what the Git index offers (vcs.Staged): its files under a
// directory, their content and blob ids.
type Staged interface {
	Paths(dir string) ([]string, error)
	Read(path string) ([]byte, error)
	Exists(path string) bool
	BlobID(path string) string
}

// GitIndex serves the files of the Git index, the content the next commit
// will have, as an fs.FS with blob ids. It lists the directories that hold
// files; the root, which the index cannot list, is refused.
func GitIndex(s Staged) fs.FS { return &indexFS{s: s, dirs: map[string][]fs.DirEntry{}} }

type indexFS struct {
	s Staged

	mu   sync.Mutex
	dirs map[string][]fs.DirEntry // listed so far
}

var (
	_ fs.ReadDirFS  = &indexFS{}
	_ fs.StatFS     = &indexFS{}
	_ fs.ReadFileFS = &indexFS{}
)

func (x *indexFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if x.s.Exists(name) {
		b, err := x.s.Read(name)
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
		return &memFile{info: fileInfo{name: path.Base(name), size: int64(len(b))}, data: b}, nil
	}
	ents, err := x.ReadDir(name)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: underlying(err)}
	}
	return &memDir{info: fileInfo{name: path.Base(name), dir: true}, ents: ents}, nil
}

func (x *indexFS) ReadFile(name string) ([]byte, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fs.ErrInvalid}
	}
	if !x.s.Exists(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return x.s.Read(name)
}

func (x *indexFS) Stat(name string) (fs.FileInfo, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrInvalid}
	}
	if x.s.Exists(name) {
		return x.fileInfo(name), nil
	}
	if name == "." {
		return fileInfo{name: ".", dir: true}, nil
	}
	if ps, _ := x.s.Paths(name); len(ps) > 0 {
		return fileInfo{name: path.Base(name), dir: true}, nil
	}
	return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
}

// ReadDir lists what the index holds directly under name. Listing a
// directory lists every directory under it at once: walking a tree of ten
// thousand staged records then reads their paths once.
func (x *indexFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrInvalid}
	}
	if name == "." {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errRootListing}
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if ents, ok := x.dirs[name]; ok {
		return slices.Clone(ents), nil
	}
	ps, err := x.s.Paths(name)
	if err != nil {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: err}
	}
	if len(ps) == 0 {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrNotExist}
	}
	found := map[string][]fs.DirEntry{}
	seen := map[string]bool{} // directories
	for _, p := range ps {
		// Every directory between name and the file lists its child.
		dir, rest := name, p[len(name)+1:]
		for {
			i := strings.IndexByte(rest, '/')
			if i < 0 {
				found[dir] = append(found[dir], &indexEntry{x: x, path: p, name: rest})
				break
			}
			sub := p[:len(p)-len(rest)+i]
			if !seen[sub] {
				seen[sub] = true
				found[dir] = append(found[dir], &indexEntry{x: x, path: sub, name: rest[:i], dir: true})
			}
			dir, rest = sub, rest[i+1:]
		}
	}
	for d, ents := range found {
		sort.Slice(ents, func(i, j int) bool { return ents[i].Name() < ents[j].Name() })
		if _, ok := x.dirs[d]; !ok {
			x.dirs[d] = ents
		}
	}
	return slices.Clone(x.dirs[name]), nil
}

func (x *indexFS) readRecord(name string) ([]byte, error) { return x.ReadFile(name) }

// walk lists the staged files under dir as List's walk does, without
// building the directories: the index has them sorted already.
func (x *indexFS) walk(dir string, fn func(p string, link bool)) error {
	ps, err := x.s.Paths(dir)
	if err != nil {
		return err
	}
	for _, p := range ps {
		// Skip files in folders whose names start with a dot.
		hidden := false
		for rest := p[len(dir)+1:]; ; {
			i := strings.IndexByte(rest, '/')
			if i < 0 {
				break
			}
			if rest[0] == '.' {
				hidden = true
				break
			}
			rest = rest[i+1:]
		}
		if !hidden {
			fn(p, false)
		}
	}
	return nil
}

// indexEntry is an entry of a staged directory.
type indexEntry struct {
	x          *indexFS
	path, name string
	dir        bool
}

func (e *indexEntry) Name() string { return e.name }
func (e *indexEntry) IsDir() bool  { return e.dir }
func (e *indexEntry) Type() fs.FileMode {
	if e.dir {
		return fs.ModeDir
	}
	return 0
}
func (e *indexEntry) Info() (fs.FileInfo, error) {
	if e.dir {
		return fileInfo{name: e.name, dir: true}, nil
	}
	return e.x.fileInfo(e.path), nil
}

// fileInfo describes a staged file; its size, asked for rarely, is found
// by reading it.
func (x *indexFS) fileInfo(name string) fileInfo {
	return fileInfo{name: path.Base(name), sizeOf: func() int64 {
		b, _ := x.s.Read(name)
		return int64(len(b))
	}}
}

// BlobID returns the staged blob id of name.
func (x *indexFS) BlobID(name string) (string, bool) {
	id := x.s.BlobID(name)
	return id, id != ""
}

type errString string

func (e errString) Error() string { return string(e) }

const errRootListing = errString("the Git index lists directories that hold files, not its root")

// Overlay serves files over base: content that is not written yet, such as
// a record 'qms new' is about to create, seen with the rest of the tree.
func Overlay(base fs.FS, files map[string][]byte) fs.FS { return overlayFS{base, files} }

type overlayFS struct {
	base  fs.FS
	files map[string][]byte
}

var (
	_ fs.ReadDirFS  = overlayFS{}
	_ fs.StatFS     = overlayFS{}
	_ fs.ReadLinkFS = overlayFS{}
)

func (o overlayFS) Open(name string) (fs.File, error) {
	if b, ok := o.files[name]; ok {
		return &memFile{info: fileInfo{name: path.Base(name), size: int64(len(b))}, data: b}, nil
	}
	f, err := o.base.Open(name)
	if err != nil && !o.holds(name) {
		return nil, err
	}
	if err == nil {
		st, serr := f.Stat()
		if serr != nil || !st.IsDir() {
			return f, nil
		}
		f.Close()
	}
	ents, err := o.ReadDir(name)
	if err != nil {
		return nil, err
	}
	return &memDir{info: fileInfo{name: path.Base(name), dir: true}, ents: ents}, nil
}

// holds reports whether an overlaid file lies under the directory name.
func (o overlayFS) holds(name string) bool {
	for p := range o.files {
		if name == "." || strings.HasPrefix(p, name+"/") {
			return true
		}
	}
	return false
}

func (o overlayFS) ReadDir(name string) ([]fs.DirEntry, error) {
	ents, err := fs.ReadDir(o.base, name)
	if err != nil && !o.holds(name) {
		return nil, err
	}
	have := map[string]bool{}
	for _, e := range ents {
		have[e.Name()] = true
	}
	for p, b := range o.files {
		rest := p
		if name != "." {
			if !strings.HasPrefix(p, name+"/") {
				continue
			}
			rest = p[len(name)+1:]
		}
		child, _, isDir := strings.Cut(rest, "/")
		if have[child] {
			continue
		}
		have[child] = true
		fi := fileInfo{name: child, dir: true}
		if !isDir {
			fi = fileInfo{name: child, size: int64(len(b))}
		}
		ents = append(ents, fs.FileInfoToDirEntry(fi))
	}
	sort.Slice(ents, func(i, j int) bool { return ents[i].Name() < ents[j].Name() })
	return ents, nil
}

func (o overlayFS) Stat(name string) (fs.FileInfo, error) {
	if b, ok := o.files[name]; ok {
		return fileInfo{name: path.Base(name), size: int64(len(b))}, nil
	}
	fi, err := fs.Stat(o.base, name)
	if err != nil && o.holds(name) {
		return fileInfo{name: path.Base(name), dir: true}, nil
	}
	return fi, err
}

// Lstat passes base's answer through for files not overlaid, so that
// symbolic links are still seen and a cache can still vouch for files by
// their metadata.
func (o overlayFS) Lstat(name string) (fs.FileInfo, error) {
	if _, ok := o.files[name]; ok {
		return o.Stat(name)
	}
	fi, err := fs.Lstat(o.base, name)
	if err != nil && o.holds(name) {
		return fileInfo{name: path.Base(name), dir: true}, nil
	}
	return fi, err
}

func (o overlayFS) ReadLink(name string) (string, error) {
	if _, ok := o.files[name]; ok {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: fs.ErrInvalid}
	}
	return fs.ReadLink(o.base, name)
}

func (o overlayFS) readRecord(name string) ([]byte, error) {
	if b, ok := o.files[name]; ok {
		return b, nil
	}
	return ReadFile(o.base, name)
}

func (o overlayFS) BlobID(name string) (string, bool) {
	if _, ok := o.files[name]; ok {
		return "", false
	}
	id := BlobID(o.base, name)
	return id, id != ""
}

// fileInfo describes a file served from memory.
type fileInfo struct {
	name   string
	size   int64
	sizeOf func() int64 // when set, finds the size
	dir    bool
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
	return 0o444
}
func (i fileInfo) ModTime() time.Time { return time.Time{} }
func (i fileInfo) IsDir() bool        { return i.dir }
func (i fileInfo) Sys() any           { return nil }

type memFile struct {
	info fileInfo
	data []byte
	off  int
}

func (f *memFile) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *memFile) Close() error               { return nil }
func (f *memFile) Read(b []byte) (int, error) {
	if f.off >= len(f.data) {
		return 0, io.EOF
	}
	n := copy(b, f.data[f.off:])
	f.off += n
	return n, nil
}

type memDir struct {
	info fileInfo
	ents []fs.DirEntry
	off  int
}

func (d *memDir) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *memDir) Close() error               { return nil }
func (d *memDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.info.name, Err: fs.ErrInvalid}
}
func (d *memDir) ReadDir(n int) ([]fs.DirEntry, error) {
	rest := d.ents[d.off:]
	if n <= 0 {
		d.off = len(d.ents)
		return rest, nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	n = min(n, len(rest))
	d.off += n
	return rest[:n], nil
}
