package check

import (
	"errors"
	"io"
	"io/fs"
	"path"
	"path/filepath"

	"github.com/qms-tool/qms/internal/record"
)

// FS serves a directory tree (the working tree: os.DirFS(root)) as a Source.
type FS struct {
	FS fs.FS
	// Dir, when set, is the operating-system directory FS serves; files
	// are then read from it directly, which is faster.
	Dir string
}

var _ Source = FS{}

// Paths lists the regular files under dir; a missing dir has none.
func (f FS) Paths(dir string) ([]string, error) {
	var out []string
	err := fs.WalkDir(f.FS, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == dir {
				return fs.SkipDir
			}
			return err
		}
		if d.IsDir() {
			if p != dir && path.Base(p)[0] == '.' {
				return fs.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() || d.Type()&fs.ModeSymlink != 0 {
			out = append(out, p)
		}
		return nil
	})
	return out, err
}

// isSymlink reports whether p is a symbolic link.
func (f FS) isSymlink(p string) bool {
	fi, err := fs.Lstat(f.FS, p)
	return err == nil && fi.Mode()&fs.ModeSymlink != 0
}

// Read returns a file's content, but never more than one byte past
// record.MaxSize, so that a huge file is refused without being loaded.
func (f FS) Read(p string) ([]byte, error) {
	if f.Dir != "" {
		if !fs.ValidPath(p) {
			return nil, &fs.PathError{Op: "read", Path: p, Err: fs.ErrInvalid}
		}
		return readFile(filepath.Join(f.Dir, filepath.FromSlash(p)))
	}
	file, err := f.FS.Open(p)
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

// stat identifies p's content by its metadata, where the platform allows.
func (f FS) stat(p string) (fileStat, bool) {
	fi, err := fs.Stat(f.FS, p)
	if err != nil {
		return fileStat{}, false
	}
	return statOf(fi)
}

// Exists reports whether p exists.
func (f FS) Exists(p string) bool {
	_, err := fs.Stat(f.FS, p)
	return err == nil
}

// Overlay serves Files over Base: for checking content that is not written
// yet, such as a record 'qms new' is about to create.
type Overlay struct {
	Base  Source
	Files map[string][]byte
}

var _ Source = Overlay{}

// Paths lists Base's paths under dir plus the overlaid ones.
func (o Overlay) Paths(dir string) ([]string, error) {
	ps, err := o.Base.Paths(dir)
	if err != nil {
		return nil, err
	}
	for p := range o.Files {
		if len(p) > len(dir) && p[:len(dir)+1] == dir+"/" {
			ps = append(ps, p)
		}
	}
	return ps, nil
}

// Read prefers the overlaid content.
func (o Overlay) Read(p string) ([]byte, error) {
	if b, ok := o.Files[p]; ok {
		return b, nil
	}
	return o.Base.Read(p)
}

// stat passes Base's file metadata through for files not overlaid, so
// that a cache can vouch for them.
func (o Overlay) stat(p string) (fileStat, bool) {
	if _, ok := o.Files[p]; ok {
		return fileStat{}, false
	}
	if s, ok := o.Base.(statter); ok {
		return s.stat(p)
	}
	return fileStat{}, false
}

// isSymlink passes Base's answer through for files not overlaid.
func (o Overlay) isSymlink(p string) bool {
	if _, ok := o.Files[p]; ok {
		return false
	}
	l, ok := o.Base.(linker)
	return ok && l.isSymlink(p)
}

// Exists reports whether p is overlaid or in Base.
func (o Overlay) Exists(p string) bool {
	_, ok := o.Files[p]
	return ok || o.Base.Exists(p)
}
