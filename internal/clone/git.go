package clone

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/qms-tool/qms/internal/gitcmd"
	"github.com/qms-tool/qms/internal/oid"
)

// Repo is a clone's layout as git sees it.
type Repo struct {
	// Dir is the working tree's top (the repository itself when bare).
	Dir string
	// CommonDir is the repository, or for a linked worktree the main
	// one's, holding the refs and objects the worktrees share.
	CommonDir string
	Bare      bool
}

// ErrNotRepository is returned by Open for a directory outside any Git repository.
var ErrNotRepository = errors.New("not a Git repository")

// Open finds the repository holding dir.
func Open(ctx context.Context, dir string) (*Repo, error) {
	args := []string{"rev-parse", "--path-format=absolute", "--git-dir", "--git-common-dir", "--is-bare-repository", "--show-object-format"}
	out, err := gitcmd.Run(ctx, dir, nil, append(args, "--show-toplevel")...)
	var ge *gitcmd.Error
	if errors.As(err, &ge) && strings.Contains(ge.Msg, "work tree") { // bare: no top level
		out, err = gitcmd.Run(ctx, dir, nil, args...)
	}
	if err != nil {
		if errors.As(err, &ge) && strings.Contains(ge.Msg, "not a git repository") {
			return nil, fmt.Errorf("%s: %w", dir, ErrNotRepository)
		}
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	f := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(f) != 4 && len(f) != 5 {
		return nil, fmt.Errorf("%s: git rev-parse said %q", dir, out)
	}
	if f[3] != "sha1" {
		return nil, fmt.Errorf("%s: object format %s is not supported (only sha1)", dir, f[3])
	}
	r := &Repo{CommonDir: f[1], Bare: f[2] == "true", Dir: f[0]}
	if len(f) == 5 && !r.Bare {
		r.Dir = f[4]
	}
	return r, nil
}

// ObjectsDir is where the repository keeps its objects.
func (r *Repo) ObjectsDir() string { return filepath.Join(r.CommonDir, "objects") }

// Refs lists every ref of the repository, HEAD included when it names a
// commit.
func (r *Repo) Refs(ctx context.Context) ([]Root, error) {
	// show-ref --head lists HEAD (when it names a commit) and every ref;
	// it fails, saying nothing, when there are none.
	out, err := gitcmd.Run(ctx, r.Dir, nil, "show-ref", "--head")
	var ge *gitcmd.Error
	if errors.As(err, &ge) && strings.TrimSpace(string(out)) == "" && !strings.Contains(ge.Msg, "fatal") {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var refs []Root
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if line == "" {
			continue
		}
		h, name, _ := strings.Cut(line, " ")
		id, err := oid.Parse(h)
		if err != nil {
			return nil, fmt.Errorf("git show-ref: %w", err)
		}
		refs = append(refs, Root{Name: name, ID: id})
	}
	return refs, nil
}

// Shallow lists the commits a shallow clone has no parents for.
func (r *Repo) Shallow() []oid.ID {
	b, err := os.ReadFile(filepath.Join(r.CommonDir, "shallow"))
	if err != nil {
		return nil
	}
	var ids []oid.ID
	for _, l := range strings.Fields(string(b)) {
		if id, err := oid.Parse(l); err == nil {
			ids = append(ids, id)
		}
	}
	return ids
}

// ErrNoRemote is matched (errors.Is) by the error RemoteURL, and so
// Check, return when the clone has no remote of the name asked for.
var ErrNoRemote = errors.New("no such remote")

type noRemoteError struct{ dir, name string }

func (e noRemoteError) Error() string        { return fmt.Sprintf("%s has no remote %q", e.dir, e.name) }
func (e noRemoteError) Is(target error) bool { return target == ErrNoRemote }

// RemoteURL is the URL configured for a remote, or an error matching
// ErrNoRemote when the clone has no such remote.
func (r *Repo) RemoteURL(ctx context.Context, name string) (string, error) {
	out, err := gitcmd.Run(ctx, r.Dir, nil, "config", "--get", "remote."+name+".url")
	if err != nil {
		return "", noRemoteError{r.Dir, name}
	}
	return strings.TrimSpace(string(out)), nil
}

// RemoteError is a remote that could not be read.
type RemoteError struct {
	Remote string // name or URL
	Err    error
}

func (e *RemoteError) Error() string { return fmt.Sprintf("cannot reach %s: %v", e.Remote, e.Err) }
func (e *RemoteError) Unwrap() error { return e.Err }

// LsRemote reads a remote's branches and tags without fetching anything;
// remote is a remote's name (read in dir) or a URL.
func LsRemote(ctx context.Context, dir, remote string) (Refs, error) {
	out, err := gitcmd.Run(ctx, dir, nil, "ls-remote", "--heads", "--tags", "--", remote)
	if err != nil {
		return nil, &RemoteError{Remote: remote, Err: err}
	}
	refs, err := ParseLsRemote(out)
	if err != nil {
		return nil, &RemoteError{Remote: remote, Err: err}
	}
	return refs, nil
}

// ParseLsRemote reads 'git ls-remote' output: "<id>\t<ref>" lines. Peeled
// tags (ref^{}) are skipped: tags are compared by their own ids.
func ParseLsRemote(b []byte) (Refs, error) {
	refs := Refs{}
	for n, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			continue
		}
		h, name, ok := strings.Cut(line, "\t")
		if !ok || name == "" || strings.ContainsAny(name, " \t\x00") {
			return nil, fmt.Errorf("ls-remote line %d: %q is not '<id> TAB <ref>'", n+1, line)
		}
		id, err := oid.Parse(h)
		if err != nil {
			return nil, fmt.Errorf("ls-remote line %d: %w", n+1, err)
		}
		if strings.HasSuffix(name, "^{}") {
			continue
		}
		refs[name] = id
	}
	return refs, nil
}

// Has reports which of ids the repository holds.
func (r *Repo) Has(ctx context.Context, ids []oid.ID) (map[oid.ID]bool, error) {
	var in bytes.Buffer
	for _, id := range ids {
		fmt.Fprintln(&in, id)
	}
	out, err := gitcmd.Run(ctx, r.Dir, in.Bytes(), "cat-file", "--batch-check=%(objectname)")
	if err != nil {
		return nil, err
	}
	has := map[oid.ID]bool{}
	for _, line := range strings.Split(string(out), "\n") {
		if id, err := oid.Parse(strings.TrimSpace(line)); err == nil {
			has[id] = true
		}
	}
	return has, nil
}

// gitGraph answers ancestry questions with git in a repository.
type gitGraph struct {
	ctx context.Context
	dir string
}

func (g gitGraph) Count(a, b oid.ID) (int, int, oid.ID, error) {
	out, err := gitcmd.Run(g.ctx, g.dir, nil, "rev-list", "--left-right", "--count", a.String()+"..."+b.String())
	if err != nil {
		return 0, 0, oid.ID{}, err
	}
	f := strings.Fields(string(out))
	if len(f) != 2 {
		return 0, 0, oid.ID{}, fmt.Errorf("git rev-list said %q", out)
	}
	x, err1 := strconv.Atoi(f[0])
	y, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil {
		return 0, 0, oid.ID{}, fmt.Errorf("git rev-list said %q", out)
	}
	var base oid.ID
	if x > 0 && y > 0 {
		if out, err := gitcmd.Run(g.ctx, g.dir, nil, "merge-base", a.String(), b.String()); err == nil {
			base, _ = oid.Parse(strings.TrimSpace(string(out)))
		}
	}
	return x, y, base, nil
}

func (g gitGraph) Unique(tip oid.ID, others []oid.ID) (int, error) {
	var in bytes.Buffer
	fmt.Fprintln(&in, tip)
	for _, o := range others {
		fmt.Fprintf(&in, "^%s\n", o)
	}
	out, err := gitcmd.Run(g.ctx, g.dir, in.Bytes(), "rev-list", "--count", "--stdin")
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(out)))
}

// scratch is a throwaway bare repository that borrows a clone's objects
// (as an alternate) and receives whatever must be fetched to count
// commits, so that nothing is ever written into the clone.
type scratch struct {
	dir string
	n   int
}

func newScratch(ctx context.Context, objectsDir string) (*scratch, error) {
	dir, err := os.MkdirTemp("", "qms-clone-*")
	if err != nil {
		return nil, err
	}
	if _, err := gitcmd.Run(ctx, dir, nil, "init", "-q", "--bare", "--template=", "."); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	alt := filepath.Join(dir, "objects", "info", "alternates")
	if err := os.WriteFile(alt, []byte(objectsDir+"\n"), 0o644); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return &scratch{dir: dir}, nil
}

// fetch brings the named refs of remote (a URL) into the scratch repository.
func (s *scratch) fetch(ctx context.Context, remote string, refs []string) error {
	// The fetched objects are kept as a pack: unpacked into loose objects,
	// git would "freshen" (touch) the clone's copies of objects it
	// already has, changing the clone.
	args := []string{"-c", "gc.auto=0", "-c", "maintenance.auto=false", "-c", "fetch.writeCommitGraph=false",
		"-c", "fetch.unpackLimit=1", "-c", "transfer.unpackLimit=1",
		"fetch", "-q", "--no-tags", "--no-write-fetch-head", "--", remote}
	for _, r := range refs {
		s.n++
		args = append(args, fmt.Sprintf("+%s:refs/qms/%d", r, s.n))
	}
	_, err := gitcmd.Run(ctx, s.dir, nil, args...)
	return err
}

func (s *scratch) close() { os.RemoveAll(s.dir) }
