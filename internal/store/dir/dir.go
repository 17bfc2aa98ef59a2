package dir

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/qms-tool/qms/internal/safefile"
	"github.com/qms-tool/qms/internal/store"
)

// SidecarSuffix ends the name of the JSON file kept next to each object.
const SidecarSuffix = ".qms.json"

const tmpMark = ".tmp-"

// Sidecar is the JSON record kept next to each object.
type Sidecar struct {
	SHA256      string    `json:"sha256"`
	Size        int64     `json:"size"`
	Class       string    `json:"storage_class"`
	LockMode    string    `json:"retention_mode"`
	RetainUntil time.Time `json:"retain_until"`
}

// Store is a directory of objects.
type Store struct {
	root string
}

var _ store.Store = (*Store)(nil)

// New returns the store rooted at the absolute directory root; Put creates
// it when missing.
func New(root string) (*Store, error) {
	if !filepath.IsAbs(root) {
		return nil, fmt.Errorf("archive directory %q is not absolute", root)
	}
	return &Store{root: filepath.Clean(root)}, nil
}

func (s *Store) String() string { return "file://" + filepath.ToSlash(s.root) }

// Local reports true: the files are on this machine, cheap to hash.
func (s *Store) Local() bool { return true }

func (s *Store) path(key string) (string, error) {
	if err := store.CheckKey(key); err != nil {
		return "", err
	}
	if strings.HasSuffix(key, SidecarSuffix) || strings.Contains(key, tmpMark) {
		return "", fmt.Errorf("%q: %w (reserved)", key, store.ErrBadKey)
	}
	return filepath.Join(s.root, filepath.FromSlash(key)), nil
}

// Stat reads the file's size and its sidecar. Class and retention come
// from the sidecar, that is from what was asked at upload: Info.Enforced
// is false, since a directory keeps no storage class and locks nothing.
func (s *Store) Stat(_ context.Context, key string) (store.Info, error) {
	p, err := s.path(key)
	if err != nil {
		return store.Info{}, err
	}
	st, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return store.Info{}, fmt.Errorf("%s/%s: %w", s, key, store.ErrNotFound)
	}
	if err != nil {
		return store.Info{}, err
	}
	if !st.Mode().IsRegular() {
		return store.Info{}, fmt.Errorf("%s: not a regular file", p)
	}
	info := store.Info{Key: key, Size: st.Size(), Restore: store.Readable}
	b, err := os.ReadFile(p + SidecarSuffix)
	if errors.Is(err, fs.ErrNotExist) {
		info.Problems = append(info.Problems, "no sidecar "+filepath.Base(p)+SidecarSuffix+" (checksum, class and retention unknown)")
		return info, nil
	}
	if err != nil {
		return store.Info{}, err
	}
	var sc Sidecar
	if err := json.Unmarshal(b, &sc); err != nil {
		info.Problems = append(info.Problems, fmt.Sprintf("unreadable sidecar %s: %v", filepath.Base(p)+SidecarSuffix, err))
		return info, nil
	}
	info.SHA256, info.Class, info.LockMode, info.RetainUntil = sc.SHA256, store.Class(sc.Class), sc.LockMode, sc.RetainUntil
	if sc.Size != st.Size() {
		info.Problems = append(info.Problems, fmt.Sprintf("size %d differs from the %d bytes recorded at upload", st.Size(), sc.Size))
	}
	if st.Mode().Perm()&0o222 != 0 {
		info.Problems = append(info.Problems, fmt.Sprintf("writable (mode %v), should be read-only", st.Mode().Perm()))
	}
	return info, nil
}

// List walks the directory.
func (s *Store) List(_ context.Context) ([]store.Info, error) {
	var out []store.Info
	err := filepath.WalkDir(s.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() || strings.HasSuffix(name, SidecarSuffix) || strings.Contains(name, tmpMark) || !d.Type().IsRegular() {
			return nil
		}
		st, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(s.root, p)
		out = append(out, store.Info{Key: filepath.ToSlash(rel), Size: st.Size()})
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Put copies src into a temporary file next to the target, makes it
// read-only, writes the sidecar, and links the file into place (which
// fails rather than overwrite).
func (s *Store) Put(ctx context.Context, key string, src io.ReaderAt, o store.PutOptions) (bool, error) {
	p, err := s.path(key)
	if err != nil {
		return false, err
	}
	if done, err := s.existing(ctx, key, src, o); done || err != nil {
		return false, err
	}
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false, err
	}
	// Leftovers of an interrupted run for this key.
	if old, _ := filepath.Glob(filepath.Join(dir, "."+globEscape(filepath.Base(p))+tmpMark+"*")); len(old) > 0 {
		for _, f := range old {
			os.Remove(f)
		}
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(p)+tmpMark+"*")
	if err != nil {
		return false, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	h := sha256.New()
	w := io.MultiWriter(tmp, h)
	r := io.NewSectionReader(src, 0, o.Size)
	buf := make([]byte, 1<<20)
	var done int64
	for {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		n, rerr := r.Read(buf)
		if n > 0 {
			if _, err := w.Write(buf[:n]); err != nil {
				return false, err
			}
			done += int64(n)
			if o.Progress != nil {
				o.Progress(done)
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return false, rerr
		}
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if done != o.Size || (o.SHA256 != "" && sum != o.SHA256) {
		return false, fmt.Errorf("%s: %w", key, store.ErrChanged)
	}
	if err := tmp.Chmod(0o444); err != nil {
		return false, err
	}
	if err := tmp.Sync(); err != nil {
		return false, err
	}
	if err := tmp.Close(); err != nil {
		return false, err
	}
	sc := Sidecar{SHA256: sum, Size: done, Class: string(o.Class), LockMode: store.Compliance, RetainUntil: o.RetainUntil.UTC()}
	b, _ := json.MarshalIndent(sc, "", "  ")
	if err := safefile.Write(p+SidecarSuffix, append(b, '\n'), 0o444); err != nil {
		return false, err
	}
	if err := os.Link(tmp.Name(), p); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return false, fmt.Errorf("%s: %w", key, store.ErrConflict)
		}
		return false, err
	}
	syncDir(dir)
	return true, nil
}

// existing reports whether key holds the same data already, and
// ErrConflict when it holds other data.
func (s *Store) existing(ctx context.Context, key string, src io.ReaderAt, o store.PutOptions) (bool, error) {
	info, err := s.Stat(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	want := o.SHA256
	if want == "" {
		if want, err = store.Hash(src, o.Size); err != nil {
			return false, err
		}
	}
	if info.SHA256 == want && info.Size == o.Size {
		return true, nil
	}
	return false, fmt.Errorf("%s/%s: %w", s, key, store.ErrConflict)
}

// Extend rewrites the sidecar with the later date.
func (s *Store) Extend(ctx context.Context, key string, until time.Time) error {
	p, err := s.path(key)
	if err != nil {
		return err
	}
	if _, err := s.Stat(ctx, key); err != nil {
		return err
	}
	b, err := os.ReadFile(p + SidecarSuffix)
	if err != nil {
		return err
	}
	var sc Sidecar
	if err := json.Unmarshal(b, &sc); err != nil {
		return fmt.Errorf("%s%s: %w", p, SidecarSuffix, err)
	}
	if !until.After(sc.RetainUntil) {
		return nil
	}
	sc.RetainUntil, sc.LockMode = until.UTC(), store.Compliance
	b, _ = json.MarshalIndent(sc, "", "  ")
	return safefile.Write(p+SidecarSuffix, append(b, '\n'), 0o444)
}

// Restore has nothing to do: a local file is always readable.
func (s *Store) Restore(ctx context.Context, key string, _ int, _ store.Tier) error {
	_, err := s.Stat(ctx, key)
	return err
}

// Get opens the file.
func (s *Store) Get(_ context.Context, key string) (io.ReadCloser, error) {
	p, err := s.path(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s/%s: %w", s, key, store.ErrNotFound)
	}
	return f, err
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

func globEscape(s string) string {
	r := strings.NewReplacer(`*`, `\*`, `?`, `\?`, `[`, `\[`, `\`, `\\`)
	return r.Replace(s)
}
