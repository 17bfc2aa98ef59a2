package gitcmd

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunIgnoresRepoVariables: a GIT_DIR set by a hook does not redirect
// git away from the directory given.
func TestRunIgnoresRepoVariables(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir := t.TempDir()
	if _, err := Run(context.Background(), dir, nil, "init", "-q", "-b", "main", "here"); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GIT_DIR", filepath.Join(dir, "elsewhere.git"))
	out, err := Run(context.Background(), filepath.Join(dir, "here"), nil, "rev-parse", "--absolute-git-dir")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.TrimSpace(string(out)), filepath.Join(dir, "here", ".git"); got != want {
		t.Errorf("git dir = %s, want %s", got, want)
	}
}

func TestRunError(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	_, err := Run(context.Background(), t.TempDir(), nil, "rev-parse", "--verify", "nosuchref")
	var ge *Error
	if !errors.As(err, &ge) || ge.Args[0] != "rev-parse" || !strings.Contains(err.Error(), "git rev-parse: ") {
		t.Fatalf("Run(bad) = %v, want a *gitcmd.Error naming rev-parse", err)
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Errorf("Run(bad) does not unwrap to the exit error: %v", err)
	}
}
