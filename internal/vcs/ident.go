package vcs

import (
	"context"
	"strings"
)

// AuthorIdent returns the name and email git would write as the author of
// a commit made now ('git var GIT_AUTHOR_IDENT': configuration and the
// GIT_AUTHOR_* environment, as git itself resolves them).
func (r *Repo) AuthorIdent(ctx context.Context, env []string) (name, email string, err error) {
	out, err := r.git(ctx, env, "var", "GIT_AUTHOR_IDENT")
	if err != nil {
		return "", "", err
	}
	ident := strings.TrimSpace(out)
	who, mail := identName(ident)
	if i := strings.IndexByte(who, '<'); i >= 0 {
		who = strings.TrimSpace(who[:i])
	}
	return who, mail, nil
}
