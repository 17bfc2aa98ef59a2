package gitcmd

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"time"
)

// repoVars are the variables with which a hook (or a user) points git at
// another repository, index or object store: a qms command run from a
// hook must act on the directory it is given, not on those.
var repoVars = map[string]bool{
	"GIT_DIR": true, "GIT_WORK_TREE": true, "GIT_INDEX_FILE": true, "GIT_OBJECT_DIRECTORY": true,
	"GIT_ALTERNATE_OBJECT_DIRECTORIES": true, "GIT_COMMON_DIR": true, "GIT_NAMESPACE": true,
	"GIT_PREFIX": true, "GIT_QUARANTINE_PATH": true,
}

// Env is the environment git runs in: the process's, without the
// variables that point git at another repository (GIT_DIR and friends),
// with no terminal prompt for credentials (a credential helper or
// GIT_ASKPASS still works), no optional locks (so reading never rewrites
// the index) and messages in English (LC_ALL=C). The variables in extra
// come last and win, repository variables included: what a caller passes
// on purpose is kept.
func Env(extra ...string) []string {
	env := []string{"GIT_TERMINAL_PROMPT=0", "GIT_OPTIONAL_LOCKS=0", "LC_ALL=C", "LANG=C"}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case repoVars[k], k == "GIT_TERMINAL_PROMPT", k == "GIT_OPTIONAL_LOCKS", k == "LC_ALL", k == "LANG":
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// Command is git with args in dir, in the environment of Env(). A helper
// git starts (git-remote-http, ssh) is waited for at most 2 s after the
// context kills git.
func Command(ctx context.Context, dir string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	cmd.WaitDelay = 2 * time.Second
	cmd.Env = Env()
	return cmd
}

// Run runs git with args in dir (stdin, when not nil, as its input) and
// returns its standard output; a failure is an *Error.
func Run(ctx context.Context, dir string, stdin []byte, args ...string) ([]byte, error) {
	return RunEnv(ctx, dir, nil, stdin, args...)
}

// RunEnv is Run with the variables of env added to the environment, as
// Env(env...) adds them.
func RunEnv(ctx context.Context, dir string, env []string, stdin []byte, args ...string) ([]byte, error) {
	cmd := Command(ctx, dir, args...)
	if len(env) > 0 {
		cmd.Env = append(cmd.Env, env...)
	}
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.Bytes(), Failed(ctx, args, errb.String(), err)
	}
	return out.Bytes(), nil
}

// Failed makes the *Error of a git command that ended with err after
// writing stderr.
func Failed(ctx context.Context, args []string, stderr string, err error) *Error {
	msg := strings.TrimSpace(stderr)
	if ctx.Err() != nil {
		msg = "timed out"
	}
	if msg == "" {
		msg = err.Error()
	}
	return &Error{Args: args, Msg: msg, Stderr: stderr, Err: err}
}

// Error is a git command that failed: the one error type of every git
// qms runs. Msg is what it said, or "timed out"; Stderr is all it wrote
// to standard error; Err is the *exec.ExitError or the failure to start.
type Error struct {
	Args   []string
	Msg    string
	Stderr string
	Err    error
}

// Error is "git <command>: " and the last three lines of Msg, on one line.
func (e *Error) Error() string { return "git " + e.Command() + ": " + lastLines(e.Msg, 3) }
func (e *Error) Unwrap() error { return e.Err }

// Command is the git command that failed (commit, fetch…): the first of
// Args after git's own options (-c name=value, -C dir, --no-optional-locks).
func (e *Error) Command() string {
	for i := 0; i < len(e.Args); i++ {
		switch a := e.Args[i]; {
		case a == "-c" || a == "-C":
			i++
		case !strings.HasPrefix(a, "-"):
			return a
		}
	}
	if len(e.Args) > 0 {
		return e.Args[0]
	}
	return ""
}

func lastLines(s string, n int) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "; ")
}
