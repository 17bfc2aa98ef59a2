package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/qms-tool/qms/internal/cli"
	"github.com/qms-tool/qms/internal/testkit/need"
)

var update = flag.Bool("update", false, "rewrite the cmp files embedded in testdata/script with the actual output")

// testNow is the clock of the scenarios unless a script sets QMS_TEST_NOW:
// ids (INC-2026-0004), "plan in force" and "previous run" depend on it.
const testNow = "2026-11-23T10:00:00Z"

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"qms": qmsMain,
	})
}

// qmsMain is the qms command of the scenarios: main's run, with the clock
// pinned when QMS_TEST_NOW is set.
func qmsMain() {
	now := os.Getenv("QMS_TEST_NOW")
	if now == "" {
		os.Exit(run())
	}
	t, err := time.Parse(time.RFC3339, now)
	if err != nil {
		fmt.Fprintf(os.Stderr, "QMS_TEST_NOW=%q: %v\n", now, err)
		os.Exit(cli.ExitFailure)
	}
	os.Exit(runWith(func(env *cli.Env) { env.Now = func() time.Time { return t.Local() } }))
}

func TestScript(t *testing.T) {
	// The scenarios run real git, gpg and ssh-keygen.
	need.Tool(t, need.Git, "git")
	need.Tool(t, need.GPG, "gpg")
	need.Tool(t, need.SSHKeygen, "ssh-keygen")
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		UpdateScripts:       *update,
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Setup:               setup,
		Cmds:                scriptCmds(),
	})
}

// extraCmds holds the scenario commands that other _test.go files of this
// package add in their init (servers for clone check, S3 for the archive),
// so that each feature keeps its test helpers in its own file.
var extraCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){}

// extraSetup holds setup steps that other _test.go files add in their init.
var extraSetup []func(e *testscript.Env) error

func scriptCmds() map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	cmds := map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"exits":      cmdExits,
		"writebytes": cmdWriteBytes,
		"replace":    cmdReplace,
		"edit":       cmdEdit,
		"grow":       cmdGrow,
	}
	for name, f := range extraCmds {
		if _, dup := cmds[name]; dup {
			panic("scenario command defined twice: " + name)
		}
		cmds[name] = f
	}
	return cmds
}

// setup keeps everything a scenario touches inside its work directory: no
// user configuration, a fixed identity for git, a fixed time zone and clock.
func setup(e *testscript.Env) error {
	home := filepath.Join(e.WorkDir, "home")
	gnupg := filepath.Join(e.WorkDir, "gnupg")
	if err := os.MkdirAll(home, 0o755); err != nil {
		return err
	}
	if err := os.MkdirAll(gnupg, 0o700); err != nil {
		return err
	}
	for k, v := range map[string]string{
		"HOME":                home,
		"GNUPGHOME":           gnupg,
		"XDG_CONFIG_HOME":     filepath.Join(home, ".config"),
		"GIT_CONFIG_NOSYSTEM": "1",
		"GIT_CONFIG_GLOBAL":   filepath.Join(home, ".gitconfig"),
		"GIT_AUTHOR_NAME":     "Test User",
		"GIT_AUTHOR_EMAIL":    "test@example.com",
		"GIT_COMMITTER_NAME":  "Test User",
		"GIT_COMMITTER_EMAIL": "test@example.com",
		"TZ":                  "UTC",
		"QMS_TEST_NOW":        testNow,
	} {
		e.Setenv(k, v)
	}
	// Scenarios that sign start a gpg-agent for their GNUPGHOME: stop it.
	e.Defer(func() { _ = exec.Command("gpgconf", "--homedir", gnupg, "--kill", "gpg-agent").Run() })
	for _, f := range extraSetup {
		if err := f(e); err != nil {
			return err
		}
	}
	return nil
}

// exits N program [args...] runs a program like exec and checks that its
// exit status is exactly N; stdout and stderr are kept for the next
// commands, as with exec.
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("exits does not take '!': give the expected status")
	}
	if len(args) < 2 {
		ts.Fatalf("usage: exits N program [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: bad status %q", args[0])
	}
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		got = ee.ExitCode()
	default:
		ts.Fatalf("exits: %v", err)
	}
	if got != want {
		ts.Fatalf("%s exited with status %d, want %d", args[1], got, want)
	}
}

// writebytes FILE TEXT writes TEXT to FILE after interpreting Go escapes
// (\xff, \x00, \r\n, \ufeff), for bytes a txtar archive cannot hold.
func cmdWriteBytes(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: writebytes FILE TEXT")
	}
	s, err := strconv.Unquote(`"` + args[1] + `"`)
	if err != nil {
		ts.Fatalf("writebytes: %v", err)
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte(s), 0o644))
}

// replace FILE OLD NEW replaces every OLD in FILE with NEW, both with Go
// escapes interpreted, and fails if OLD is not there.
func cmdReplace(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: replace FILE OLD NEW")
	}
	var s [2]string
	for i, a := range args[1:] {
		u, err := strconv.Unquote(`"` + a + `"`)
		if err != nil {
			ts.Fatalf("replace: %q: %v", a, err)
		}
		s[i] = u
	}
	p := ts.MkAbs(args[0])
	b, err := os.ReadFile(p)
	ts.Check(err)
	if !bytes.Contains(b, []byte(s[0])) {
		ts.Fatalf("replace: %q is not in %s", s[0], args[0])
	}
	ts.Check(os.WriteFile(p, bytes.ReplaceAll(b, []byte(s[0]), []byte(s[1])), 0o644))
}

// edit FILE REGEXP REPLACEMENT edits FILE as 'sed -i s/REGEXP/REPLACEMENT/g'
// would, portably: REGEXP is a Go regular expression in multi-line mode
// (^ and $ match at line ends), REPLACEMENT may use $1 and Go escapes such
// as \n. It fails if REGEXP does not match.
func cmdEdit(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: edit FILE REGEXP REPLACEMENT")
	}
	re, err := regexp.Compile("(?m)" + args[1])
	if err != nil {
		ts.Fatalf("edit: %v", err)
	}
	repl, err := strconv.Unquote(`"` + args[2] + `"`)
	if err != nil {
		ts.Fatalf("edit: %q: %v", args[2], err)
	}
	p := ts.MkAbs(args[0])
	b, err := os.ReadFile(p)
	ts.Check(err)
	if !re.Match(b) {
		ts.Fatalf("edit: %q does not match in %s", args[1], args[0])
	}
	ts.Check(os.WriteFile(p, re.ReplaceAll(b, []byte(repl)), 0o644))
}

// grow FILE SIZE appends markdown lines to FILE until it has at least
// SIZE bytes (SIZE may end in KiB or MiB).
func cmdGrow(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: grow FILE SIZE")
	}
	size, mult := args[1], 1
	for suf, m := range map[string]int{"KiB": 1 << 10, "MiB": 1 << 20} {
		if len(size) > len(suf) && size[len(size)-len(suf):] == suf {
			size, mult = size[:len(size)-len(suf)], m
		}
	}
	n, err := strconv.Atoi(size)
	if err != nil {
		ts.Fatalf("grow: bad size %q", args[1])
	}
	n *= mult
	p := ts.MkAbs(args[0])
	b, err := os.ReadFile(p)
	ts.Check(err)
	line := []byte("Filler text of a record that is far too long to be a document people write.\n")
	if len(b) < n {
		b = append(b, bytes.Repeat(line, (n-len(b))/len(line)+1)...)
	}
	ts.Check(os.WriteFile(p, b, 0o644))
}
