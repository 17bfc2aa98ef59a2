package vcs_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qms-tool/qms/internal/gitcmd"
	"github.com/qms-tool/qms/internal/testkit/testrepo"
	"github.com/qms-tool/qms/internal/vcs"
)

// TestCommitSigned: the signature commit lands in the repository opened,
// even when a hook's GIT_DIR and GIT_INDEX_FILE point elsewhere, and is
// signed with the key that the environment given to it (GNUPGHOME, git
// configuration) names; a failure is a *gitcmd.Error with git's words.
func TestCommitSigned(t *testing.T) {
	l := testrepo.New(t)
	fpr := l.GPGKey("Lucia Rossi <lucia.rossi@example.com>", "ed25519")
	l.Write("a.md", "a\n")
	first := l.Commit("", "first")
	// Only what signing needs is passed; nothing of it is in the process's
	// environment.
	var env []string
	for _, kv := range l.Env {
		if k, _, _ := strings.Cut(kv, "="); k == "HOME" || k == "GNUPGHOME" || strings.HasPrefix(k, "GIT_CONFIG") ||
			strings.HasPrefix(k, "GIT_AUTHOR_") || strings.HasPrefix(k, "GIT_COMMITTER_") {
			env = append(env, kv)
		}
	}
	other := filepath.Join(l.Dir, "other")
	l.Run(l.Dir, nil, "git", "init", "-q", "-b", "main", other)
	t.Setenv("GIT_DIR", filepath.Join(other, ".git"))
	t.Setenv("GIT_INDEX_FILE", filepath.Join(other, ".git", "index"))
	repo, err := vcs.Open(l.Repo)
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	ctx := context.Background()

	tests := []struct {
		name    string
		config  []string // git config in the repository
		wantErr string   // in the error, "" for success
	}{
		{name: "no signing key", config: []string{"user.signingkey", "nobody@example.com"}, wantErr: "git commit: "},
		{name: "signed", config: []string{"user.signingkey", fpr}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l.Run(l.Repo, nil, "git", append([]string{"--git-dir=.git", "config"}, tc.config...)...)
			staged, err := repo.HasStagedChanges(ctx)
			if err != nil || staged {
				t.Fatalf("HasStagedChanges = %v, %v; want false", staged, err)
			}
			id, err := repo.CommitSigned(ctx, env, "Review of a", []string{"QMS-Sign: review a.md " + strings.Repeat("0", 40)})
			if tc.wantErr != "" {
				var ge *gitcmd.Error
				if !errors.As(err, &ge) || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(ge.Stderr, "sign") {
					t.Fatalf("CommitSigned = %q, %v; want a *gitcmd.Error %q saying why it could not sign", id, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			head := strings.TrimSpace(l.Run(l.Repo, nil, "git", "--git-dir=.git", "rev-parse", "HEAD"))
			if id != head {
				t.Errorf("CommitSigned = %s, want the repository's new HEAD %s", id, head)
			}
			if parent := strings.TrimSpace(l.Run(l.Repo, nil, "git", "--git-dir=.git", "rev-parse", "HEAD^")); parent != first {
				t.Errorf("parent of the signature commit = %s, want %s", parent, first)
			}
			if out := l.Run(l.Repo, nil, "git", "--git-dir=.git", "verify-commit", "--raw", id); !strings.Contains(out, "GOODSIG") {
				t.Errorf("verify-commit %s:\n%s", id, out)
			}
			if out, err := l.Try(other, nil, "git", "--git-dir=.git", "rev-parse", "--verify", "-q", "HEAD"); err == nil {
				t.Errorf("the hook's repository got a commit: %s", out)
			}
		})
	}
}
