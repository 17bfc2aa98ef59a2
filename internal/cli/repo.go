package cli

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/check"
	"github.com/qms-tool/qms/internal/config"
	"github.com/qms-tool/qms/internal/records"
	"github.com/qms-tool/qms/internal/schema"
	"github.com/qms-tool/qms/internal/vcs"
)

// workspace is an opened QMS repository: its root, settings, record kinds,
// and the tree its files are read from (working tree or index).
type workspace struct {
	root  string
	cfg   *config.Config
	kinds *schema.Set
	src   fs.FS
	// findings about qms.yaml and schema files.
	setup []qms.Finding

	git    *vcs.Repo // opened once, by gitRepo
	gitErr error
	staged *vcs.Staged // the index, with --staged
}

// gitRepo opens the Git repository holding the workspace, once.
func (w *workspace) gitRepo() (*vcs.Repo, error) {
	if w.git == nil && w.gitErr == nil {
		w.git, w.gitErr = vcs.Open(w.root)
	}
	return w.git, w.gitErr
}

// close releases the repository's open files; a nil workspace (outside a
// repository) has none.
func (w *workspace) close() {
	if w != nil && w.git != nil {
		w.git.Close()
	}
}

// openWorkspace finds the QMS root above env.Dir. With staged, files come
// from the Git index rather than the working tree.
func openWorkspace(env *Env, staged bool) (*workspace, error) {
	root, err := config.FindRoot(env.Dir)
	if errors.Is(err, config.ErrNoRoot) {
		return nil, withHint(usageError{msg: err.Error()}, "run 'qms init' to make one, or cd into one")
	}
	if err != nil {
		return nil, err
	}
	w := &workspace{root: root}
	var src fs.FS = records.Dir(root)
	if staged {
		repo, err := w.gitRepo()
		if errors.Is(err, vcs.ErrNotRepository) {
			return nil, withHint(usagef("--staged checks the Git index, and %s is not in a Git repository", root), "run 'git init' or check the working tree without --staged")
		}
		if err != nil {
			return nil, err
		}
		if filepath.Clean(repo.Root) != filepath.Clean(root) {
			return nil, fmt.Errorf("--staged needs qms.yaml at the top of the git working tree (%s), not in %s", repo.Root, root)
		}
		st, err := repo.Staged(env.Getenv("GIT_INDEX_FILE"))
		if err != nil {
			return nil, err
		}
		for _, p := range st.Unmerged {
			w.setup = append(w.setup, qms.Finding{Path: p, Line: 1, Column: 1, Rule: ruleUnmerged, Severity: qms.Error,
				Message: "file has unresolved merge conflicts", Hint: "resolve the conflict and 'git add' the file"})
		}
		src = records.GitIndex(st)
		w.staged = st
	}
	w.src = src
	cfg, fs_, err := config.Load(src)
	if err != nil {
		if staged {
			return nil, withHint(err, "'git add qms.yaml' first")
		}
		return nil, err
	}
	w.cfg = cfg
	w.setup = append(w.setup, fs_...)
	kinds, fs_ := schema.Load(qms.Defaults, src)
	w.kinds = kinds
	w.setup = append(w.setup, fs_...)
	return w, nil
}

// The index is read through the records layer.
var _ records.Staged = (*vcs.Staged)(nil)

// ruleUnmerged is the finding on a file with merge conflicts in the index.
const ruleUnmerged = "unmerged"

// cacheFile is the records cache, under .git/qms; legacyCaches are the
// files earlier versions kept there, removed when it is saved.
const cacheFile = "records-cache"

var legacyCaches = []string{"check-cache", "status-cache"}

// cache opens the records cache, or returns nil outside Git. It compares
// files' times with when the run began by the wall clock, not the
// (possibly pinned) clock of a report.
func (w *workspace) cache() *records.Cache {
	repo, err := w.gitRepo()
	if err != nil {
		return nil
	}
	return records.OpenCache(filepath.Join(repo.GitDir(), "qms", cacheFile), w.kinds, toolIdentity(), time.Now())
}

// saveCache writes the records cache when it changed; failing to is worth
// a warning, not a failed command.
func (w *workspace) saveCache(env *Env, c *records.Cache) {
	if c == nil {
		return
	}
	if err := c.Save(); err != nil {
		fmt.Fprintf(env.Stderr, "qms: warning: cannot save the records cache: %v\n", err)
		return
	}
	if repo, err := w.gitRepo(); err == nil {
		for _, name := range legacyCaches {
			os.Remove(filepath.Join(repo.GitDir(), "qms", name))
		}
	}
}

// toolIdentity identifies this qms binary, so that a cache written by
// another build (whose rules may differ) is never trusted: its version and
// the executable's path, size, times and inode. Replacing or rebuilding the
// binary changes its change time, which no one can set.
var toolIdentity = sync.OnceValue(func() []byte {
	h := sha256.New()
	io.WriteString(h, Version)
	exe, err := os.Executable()
	if err == nil {
		var st os.FileInfo
		if st, err = os.Stat(exe); err == nil {
			if id := records.FileIdentity(st); id != "" {
				fmt.Fprintf(h, "\x00%s\x00%s", exe, id)
				return h.Sum(nil)
			}
		}
	}
	// Nothing identifies this build: make the key unique so that no cache
	// is ever reused.
	fmt.Fprintf(h, "%d", time.Now().UnixNano())
	return h.Sum(nil)
})

// checkAll checks every record of the workspace through the records cache
// and saves it; listed are the findings about files that are no records.
func (w *workspace) checkAll(env *Env) (res *check.Result, paths []string, listed []qms.Finding, err error) {
	chk := &check.Checker{Kinds: w.kinds, Cache: w.cache()}
	paths, listed, err = records.List(w.kinds, w.src)
	if err != nil {
		return nil, nil, nil, err
	}
	if res, err = chk.Check(w.src, paths); err != nil {
		return nil, nil, nil, err
	}
	w.saveCache(env, chk.Cache)
	return res, paths, listed, nil
}

// absPath makes a command-line path absolute against the working
// directory ("" is the working directory itself).
func absPath(env *Env, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(env.Dir, p)
}

// rel turns a command-line path into a slash path relative to the root.
func (w *workspace) rel(env *Env, p string) (string, error) {
	p = absPath(env, p)
	r, err := filepath.Rel(w.root, p)
	if err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return "", usagef("%s is outside the QMS repository %s", p, w.root)
	}
	return filepath.ToSlash(r), nil
}

// display turns a root-relative path into one relative to env.Dir, as
// people typed it.
func (w *workspace) display(env *Env, p string) string {
	full := filepath.Join(w.root, filepath.FromSlash(p))
	if r, err := filepath.Rel(env.Dir, full); err == nil {
		return r
	}
	return full
}

// policyStaged reports whether the index changes anything the signing
// policy is read from (staff records, the matrix, keys/, schema/,
// qms.yaml) against HEAD: the pre-commit hook checks the policy only then,
// which keeps it fast on a repository of thousands of staff records.
func (w *workspace) policyStaged() bool {
	repo, err := w.gitRepo()
	if err != nil || w.staged == nil {
		return true
	}
	head, err := repo.Commit("HEAD")
	if err != nil {
		return true
	}
	places := []string{"keys", schema.Dir, config.File}
	if k := w.kinds.Kinds["staff"]; k != nil {
		places = append(places, k.Folder)
	}
	if k := w.kinds.Kinds["matrix"]; k != nil {
		places = append(places, k.File)
	}
	for _, place := range places {
		committed, err := repo.Blobs(head.Tree, place)
		if err != nil {
			return true
		}
		files, _ := w.staged.Paths(place)
		if w.staged.Exists(place) {
			files = append(files, place)
		}
		if len(files) != len(committed) {
			return true
		}
		for _, p := range files {
			if committed[p] != w.staged.BlobID(p) {
				return true
			}
		}
	}
	return false
}
