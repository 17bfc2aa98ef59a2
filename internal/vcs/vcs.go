package vcs

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/format/index"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// ErrNotRepository is returned when a directory is in no Git repository.
var ErrNotRepository = errors.New("not in a git repository")

// Repo is an opened Git repository with a working tree.
type Repo struct {
	// Root is the working tree's top directory.
	Root   string
	r      *git.Repository
	closer interface{ Close() error }
	cache  treeCache
	// objects serializes reading objects: go-git's pack reader seeks a
	// shared file and is not safe for concurrent use, and callers read
	// trees from several goroutines ('qms render' renders pages in
	// parallel). Reading a torn object showed as "flate: corrupt input".
	objects sync.Mutex
	// checked holds the trees CheckTree found well formed, subtrees
	// included.
	checked struct {
		mu  sync.Mutex
		ids map[plumbing.Hash]bool
	}
}

// objectCache bounds go-git's cache of decoded objects (delta bases
// mostly). Its default, 96 MiB, made verifying 10,000 commits peak above
// 350 MB; a third of that costs no measurable time.
const objectCache = 32 * cache.MiByte

// largeObject is the size above which go-git streams an object instead of
// reading it whole into memory: a hostile history may hold commits of
// gigabytes, of which qms reads only the first MaxCommitSize bytes.
const largeObject = 1 << 20

// Open finds the repository containing dir.
func Open(dir string) (*Repo, error) {
	r, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{DetectDotGit: true, EnableDotGitCommonDir: true})
	if errors.Is(err, git.ErrRepositoryNotExists) {
		return nil, fmt.Errorf("%s: %w", dir, ErrNotRepository)
	}
	if err != nil {
		return nil, fmt.Errorf("open git repository at %s: %w", dir, err)
	}
	wt, err := r.Worktree()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	repo := &Repo{Root: wt.Filesystem.Root(), r: r}
	// Reopen with pack files kept open: by default go-git opens the pack
	// again for every object it reads, which made walking a history of
	// thousands of commits mostly system calls.
	if st, ok := r.Storer.(*filesystem.Storage); ok && st.Filesystem() != nil {
		kept := filesystem.NewStorageWithOptions(st.Filesystem(), cache.NewObjectLRU(objectCache),
			filesystem.Options{KeepDescriptors: true, MaxOpenDescriptors: 64, LargeObjectThreshold: largeObject})
		if r2, err := git.Open(kept, wt.Filesystem); err == nil {
			repo.r, repo.closer = r2, kept
		}
	}
	return repo, nil
}

// Close releases the files the repository keeps open.
func (r *Repo) Close() error {
	if r.closer != nil {
		return r.closer.Close()
	}
	return nil
}

// Init makes dir a Git repository (branch main) unless it already is in one,
// and reports whether it made one.
func Init(dir string) (bool, error) {
	if _, err := Open(dir); err == nil {
		return false, nil
	}
	_, err := git.PlainInitWithOptions(dir, &git.PlainInitOptions{
		InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName("main")},
	})
	if err != nil {
		return false, fmt.Errorf("git init %s: %w", dir, err)
	}
	return true, nil
}

// GitDir returns the repository's .git directory.
func (r *Repo) GitDir() string {
	if st, ok := r.r.Storer.(*filesystem.Storage); ok {
		return st.Filesystem().Root()
	}
	return filepath.Join(r.Root, ".git")
}

// Identity returns user.name and user.email as git would use them (local,
// then global and, unless noSystem (GIT_CONFIG_NOSYSTEM), system
// configuration).
func (r *Repo) Identity(noSystem bool) (name, email string) {
	scope := config.SystemScope
	if noSystem {
		scope = config.GlobalScope
	}
	cfg, err := r.r.ConfigScoped(scope)
	if err != nil {
		return "", ""
	}
	return cfg.User.Name, cfg.User.Email
}

// HooksDir returns where git runs hooks from: core.hooksPath (relative to
// the working tree) or .git/hooks.
func (r *Repo) HooksDir() string {
	cfg, err := r.r.ConfigScoped(config.SystemScope)
	if err == nil {
		if p := cfg.Raw.Section("core").Option("hooksPath"); p != "" {
			if strings.HasPrefix(p, "~/") {
				if home, err := os.UserHomeDir(); err == nil {
					p = filepath.Join(home, p[2:])
				}
			}
			if !filepath.IsAbs(p) {
				p = filepath.Join(r.Root, p)
			}
			return p
		}
	}
	return filepath.Join(r.GitDir(), "hooks")
}

// Staged serves the files of the index, the content the next commit will
// have. Unmerged paths are reported by Unmerged.
type Staged struct {
	repo    *Repo
	entries map[string]*index.Entry
	sorted  []string
	// Unmerged lists paths with merge conflicts in the index.
	Unmerged []string
	// indexTime is the index file's modification time: worktree files
	// changed at or after it may differ from their entries (racy git).
	indexTime time.Time
}

// Staged reads the index. indexFile, when not empty, is the index git
// told a hook to use (GIT_INDEX_FILE: 'git commit -a' and 'git commit PATH'
// commit from a temporary index); a relative path is taken from the root.
func (r *Repo) Staged(indexFile string) (*Staged, error) {
	if indexFile == "" {
		indexFile = filepath.Join(r.GitDir(), "index")
	} else if !filepath.IsAbs(indexFile) {
		indexFile = filepath.Join(r.Root, indexFile)
	}
	idx := &index.Index{}
	f, err := os.Open(indexFile)
	switch {
	case errors.Is(err, os.ErrNotExist):
		// A new repository before the first 'git add': nothing staged.
	case err != nil:
		return nil, fmt.Errorf("read git index: %w", err)
	default:
		err = index.NewDecoder(f).Decode(idx)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("read git index %s: %w", indexFile, err)
		}
	}
	s := &Staged{repo: r, entries: make(map[string]*index.Entry, len(idx.Entries))}
	if st, err := os.Stat(indexFile); err == nil {
		s.indexTime = st.ModTime()
	}
	for _, e := range idx.Entries {
		// Stage 0 is a merged entry (go-git's index.Merged constant is 1, the
		// ancestor stage of a conflict).
		if e.Stage != 0 {
			s.Unmerged = append(s.Unmerged, e.Name)
			continue
		}
		if e.IntentToAdd || !e.Mode.IsFile() {
			continue
		}
		s.entries[e.Name] = e
		s.sorted = append(s.sorted, e.Name)
	}
	sort.Strings(s.sorted)
	return s, nil
}

// Paths lists staged files under dir.
func (s *Staged) Paths(dir string) ([]string, error) {
	prefix := dir + "/"
	i := sort.SearchStrings(s.sorted, prefix)
	var out []string
	for ; i < len(s.sorted) && strings.HasPrefix(s.sorted[i], prefix); i++ {
		out = append(out, s.sorted[i])
	}
	return out, nil
}

// BlobID returns the staged blob id of p, or "".
func (s *Staged) BlobID(p string) string {
	if e, ok := s.entries[p]; ok {
		return e.Hash.String()
	}
	return ""
}

// Exists reports whether p is staged.
func (s *Staged) Exists(p string) bool {
	_, ok := s.entries[path.Clean(p)]
	return ok
}

// Read returns the staged content of p. When the working-tree file provably
// has the same content (same size and modification time as recorded in the
// index, and not modified after the index was written) it is read from the
// working tree, which is much faster than inflating the object.
func (s *Staged) Read(p string) ([]byte, error) {
	e, ok := s.entries[p]
	if !ok {
		return nil, fmt.Errorf("%s: %w", p, os.ErrNotExist)
	}
	full := filepath.Join(s.repo.Root, filepath.FromSlash(p))
	if st, err := os.Lstat(full); err == nil && st.Mode().IsRegular() &&
		uint32(st.Size()) == e.Size && st.ModTime().Equal(e.ModifiedAt) && st.ModTime().Before(s.indexTime) {
		if b, err := os.ReadFile(full); err == nil && uint32(len(b)) == e.Size {
			return b, nil
		}
	}
	return s.repo.blob(e.Hash)
}

// blobLimit is one byte past the record size cap: callers see an oversized
// file without it being held whole in memory.
const blobLimit = 4<<20 + 1

// blob reads a blob, at most blobLimit bytes of it.
func (r *Repo) blob(h plumbing.Hash) ([]byte, error) {
	b, err := r.readObject(plumbing.BlobObject, h, blobLimit)
	if err != nil {
		return nil, fmt.Errorf("read object %s: %w", h, err)
	}
	return b, nil
}

// HeadRef returns the branch HEAD points to (refs/heads/main), or "" for
// a detached HEAD.
func (r *Repo) HeadRef() (string, error) {
	ref, err := r.r.Storer.Reference(plumbing.HEAD)
	if err != nil {
		return "", fmt.Errorf("read HEAD: %w", err)
	}
	if ref.Type() == plumbing.SymbolicReference {
		return ref.Target().String(), nil
	}
	return "", nil
}

// Overrides says what in a clone makes git show another history than its
// objects hold, or less of it: replace refs (refs/replace/), a grafts file,
// and the boundary commits of a shallow clone.
type Overrides struct {
	Replace int
	Grafts  bool
	Shallow []string
}

// Overrides reads the clone's replace refs, grafts and shallow file.
func (r *Repo) Overrides() Overrides {
	var o Overrides
	if refs, err := r.r.References(); err == nil {
		_ = refs.ForEach(func(ref *plumbing.Reference) error {
			if strings.HasPrefix(ref.Name().String(), "refs/replace/") {
				o.Replace++
			}
			return nil
		})
	}
	dir := r.GitDir()
	if st, err := os.Stat(filepath.Join(dir, "info", "grafts")); err == nil && st.Size() > 0 {
		o.Grafts = true
	}
	if b, err := os.ReadFile(filepath.Join(dir, "shallow")); err == nil {
		o.Shallow = strings.Fields(string(b))
	}
	return o
}
