package vcs

import (
	"context"
	"errors"
	"os/exec"
	"strings"

	"github.com/qms-tool/qms/internal/gitcmd"
)

// AuthorIdent returns the name and email git would write as the author of
// a commit made now ('git var GIT_AUTHOR_IDENT': configuration and the
// GIT_AUTHOR_* environment, as git itself resolves them).
func (r *Repo) AuthorIdent(ctx context.Context, env []string) (name, email string, err error) {
	out, err := gitcmd.RunEnv(ctx, r.Root, env, nil, "var", "GIT_AUTHOR_IDENT")
	if err != nil {
		return "", "", err
	}
	ident := strings.TrimSpace(string(out))
	who, mail := identName(ident)
	if i := strings.IndexByte(who, '<'); i >= 0 {
		who = strings.TrimSpace(who[:i])
	}
	return who, mail, nil
}

// IsAncestor reports whether commit anc is an ancestor of (or is) commit
// desc, both full ids.
func (r *Repo) IsAncestor(ctx context.Context, anc, desc string) (bool, error) {
	_, err := gitcmd.Run(ctx, r.Root, nil, "merge-base", "--is-ancestor", anc, desc)
	if err == nil {
		return true, nil
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 1 {
		return false, nil
	}
	return false, err
}
