package vcs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/qms-tool/qms/internal/gitcmd"
)

// ErrNoCommit is returned when the repository has no commit yet.
var ErrNoCommit = errors.New("the repository has no commit yet")

// FileState is a file's content id (Git blob id, hex) in the last commit,
// the index and the working tree; empty where the file is absent.
type FileState struct {
	Head, Index, Worktree string
}

// Clean reports whether the file is the same in all three places.
func (s FileState) Clean() bool {
	return s.Head != "" && s.Head == s.Index && s.Index == s.Worktree
}

// State returns the blob ids of the slash path p at HEAD, in the index and
// in the working tree.
func (r *Repo) State(p string) (FileState, error) {
	var st FileState
	head, err := r.r.Head()
	if err != nil {
		if errors.Is(err, plumbing.ErrReferenceNotFound) {
			return st, ErrNoCommit
		}
		return st, fmt.Errorf("read HEAD: %w", err)
	}
	c, err := r.r.CommitObject(head.Hash())
	if err != nil {
		return st, fmt.Errorf("read commit %s: %w", head.Hash(), err)
	}
	if f, err := c.File(p); err == nil {
		st.Head = f.Hash.String()
	} else if !errors.Is(err, object.ErrFileNotFound) {
		return st, fmt.Errorf("read %s at HEAD: %w", p, err)
	}
	idx, err := r.r.Storer.Index()
	if err != nil {
		return st, fmt.Errorf("read git index: %w", err)
	}
	if e, err := idx.Entry(p); err == nil {
		st.Index = e.Hash.String()
	}
	b, err := os.ReadFile(filepath.Join(r.Root, filepath.FromSlash(p)))
	switch {
	case err == nil:
		st.Worktree = plumbing.ComputeHash(plumbing.BlobObject, b).String()
	case !errors.Is(err, os.ErrNotExist):
		return st, err
	}
	return st, nil
}

// HasStagedChanges reports whether the index differs from HEAD, that is
// whether a commit now would record more than its message.
func (r *Repo) HasStagedChanges(ctx context.Context) (bool, error) {
	_, err := gitcmd.Run(ctx, r.Root, nil, "diff", "--cached", "--quiet")
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 1 {
		return true, nil
	}
	return false, err
}

// CommitSigned makes an empty commit with the message and trailers, signed
// through the user's own git setup (user.signingkey, gpg.format, agents):
// qms never holds a private key. Signing goes through git itself because
// only git knows that setup. env, when not empty, adds variables to the
// environment git runs in (and so the signing program, GNUPGHOME for
// instance); a repository variable (GIT_DIR…) counts only when given in
// env. It returns the new commit's id; a failure is a *gitcmd.Error.
func (r *Repo) CommitSigned(ctx context.Context, env []string, message string, trailers []string) (string, error) {
	args := []string{"commit", "--quiet", "--allow-empty", "--gpg-sign", "--cleanup=strip", "-m", message}
	for _, t := range trailers {
		args = append(args, "--trailer", t)
	}
	// The signing program talks to the user (gpg's pinentry asks for the
	// passphrase): it keeps the user's language and character set.
	env = append(userLocale(), env...)
	if _, err := gitcmd.RunEnv(ctx, r.Root, env, nil, args...); err != nil {
		return "", err
	}
	out, err := gitcmd.RunEnv(ctx, r.Root, env, nil, "rev-parse", "HEAD")
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

// userLocale is the process's LC_ALL and LANG, empty when unset (an empty
// LC_ALL counts as unset), to put back what gitcmd's LC_ALL=C replaces.
func userLocale() []string {
	return []string{"LC_ALL=" + os.Getenv("LC_ALL"), "LANG=" + os.Getenv("LANG")}
}
