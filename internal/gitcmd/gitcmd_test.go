package gitcmd

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func needGit(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
}

// TestRunRepoVariables: a GIT_DIR (or GIT_INDEX_FILE…) set by a hook does
// not redirect git away from the directory given; one the caller passes
// does.
func TestRunRepoVariables(t *testing.T) {
	needGit(t)
	dir := t.TempDir()
	for _, r := range []string{"here", "elsewhere"} {
		if _, err := Run(context.Background(), dir, nil, "init", "-q", "-b", "main", r); err != nil {
			t.Fatal(err)
		}
	}
	here, elsewhere := filepath.Join(dir, "here"), filepath.Join(dir, "elsewhere")
	tests := []struct {
		name    string
		set     map[string]string // in the process environment
		env     []string          // passed to RunEnv
		args    []string
		wantDir string
	}{
		{name: "GIT_DIR from a hook", set: map[string]string{"GIT_DIR": filepath.Join(elsewhere, ".git")},
			args: []string{"rev-parse", "--absolute-git-dir"}, wantDir: filepath.Join(here, ".git")},
		{name: "GIT_WORK_TREE and GIT_COMMON_DIR from a hook",
			set:  map[string]string{"GIT_WORK_TREE": elsewhere, "GIT_COMMON_DIR": filepath.Join(elsewhere, ".git")},
			args: []string{"rev-parse", "--show-toplevel"}, wantDir: here},
		{name: "GIT_INDEX_FILE from a hook", set: map[string]string{"GIT_INDEX_FILE": filepath.Join(elsewhere, "index")},
			args: []string{"rev-parse", "--git-path", "index"}, wantDir: ".git/index"},
		{name: "GIT_DIR passed on purpose", set: map[string]string{"GIT_DIR": filepath.Join(here, ".git")},
			env:  []string{"GIT_DIR=" + filepath.Join(elsewhere, ".git")},
			args: []string{"rev-parse", "--absolute-git-dir"}, wantDir: filepath.Join(elsewhere, ".git")},
		{name: "GIT_INDEX_FILE passed on purpose", env: []string{"GIT_INDEX_FILE=" + filepath.Join(elsewhere, "index")},
			args: []string{"rev-parse", "--git-path", "index"}, wantDir: filepath.Join(elsewhere, "index")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.set {
				t.Setenv(k, v)
			}
			out, err := RunEnv(context.Background(), here, tc.env, nil, tc.args...)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.TrimSpace(string(out)); got != tc.wantDir {
				t.Errorf("git %s = %s, want %s", strings.Join(tc.args, " "), got, tc.wantDir)
			}
		})
	}
}

func TestEnv(t *testing.T) {
	t.Setenv("GIT_DIR", "/elsewhere")
	t.Setenv("LC_ALL", "de_CH.UTF-8")
	t.Setenv("GNUPGHOME", "/home/x/.gnupg")
	tests := []struct {
		name  string
		extra []string
		key   string
		want  string // "" when absent
	}{
		{name: "repository variable dropped", key: "GIT_DIR"},
		{name: "repository variable passed", extra: []string{"GIT_DIR=/there"}, key: "GIT_DIR", want: "/there"},
		{name: "messages in English", key: "LC_ALL", want: "C"},
		{name: "locale passed", extra: []string{"LC_ALL=fr_CH.UTF-8"}, key: "LC_ALL", want: "fr_CH.UTF-8"},
		{name: "no credential prompt", key: "GIT_TERMINAL_PROMPT", want: "0"},
		{name: "other variables kept", key: "GNUPGHOME", want: "/home/x/.gnupg"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// exec uses the last of duplicate variables, as a shell does.
			got := ""
			for _, kv := range Env(tc.extra...) {
				if k, v, _ := strings.Cut(kv, "="); k == tc.key {
					got = v
				}
			}
			if got != tc.want {
				t.Errorf("Env(%q): %s=%q, want %q", tc.extra, tc.key, got, tc.want)
			}
		})
	}
}

func TestRunError(t *testing.T) {
	needGit(t)
	_, err := Run(context.Background(), t.TempDir(), nil, "rev-parse", "--verify", "nosuchref")
	var ge *Error
	if !errors.As(err, &ge) || ge.Args[0] != "rev-parse" || !strings.HasPrefix(err.Error(), "git rev-parse: ") || ge.Stderr == "" {
		t.Fatalf("Run(bad) = %v, want a *gitcmd.Error naming rev-parse, with git's stderr", err)
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Errorf("Run(bad) does not unwrap to the exit error: %v", err)
	}
}

func TestErrorMessage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		msg  string
		want string
	}{
		{"one line", []string{"ls-remote", "origin"}, "fatal: no such remote", "git ls-remote: fatal: no such remote"},
		{"after -c options", []string{"-c", "gc.auto=0", "-c", "x=y", "fetch", "-q"}, "fatal: x", "git fetch: fatal: x"},
		{"after -C and a flag", []string{"-C", "/r", "--no-optional-locks", "status"}, "boom", "git status: boom"},
		{"last three lines", []string{"commit"}, "a\n\nb\n c \nd\n", "git commit: b; c; d"},
		{"only options", []string{"--version"}, "x", "git --version: x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := &Error{Args: tc.args, Msg: tc.msg}
			if got := e.Error(); got != tc.want {
				t.Errorf("Error{%q, %q}.Error() = %q, want %q", tc.args, tc.msg, got, tc.want)
			}
		})
	}
}
