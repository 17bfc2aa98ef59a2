package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

// TestErrorInFormat: a run that fails before it can report prints the
// error in the format asked for on stdout, with the same exit status, and
// as text on stderr as always.
func TestErrorInFormat(t *testing.T) {
	dir := t.TempDir() // no QMS here
	notQMS := "not in a QMS repository (no qms.yaml here or in any parent directory)"
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stdout string // "" for nothing; "json" to check the JSON error
	}{
		{"json", []string{"validate", "--format", "json"}, ExitUsage, "json"},
		{"json with =", []string{"status", "--format=json"}, ExitUsage, "json"},
		{"json before a bad flag", []string{"verify", "--format", "json", "--nonsense"}, ExitUsage, "json"},
		{"json after a bad flag", []string{"validate", "--nonsense", "-format", "json"}, ExitUsage, "json"},
		{"json of another command", []string{"clone", "check", "--format", "json"}, ExitUsage, "json"},
		{"last one wins", []string{"validate", "--format", "codequality", "--format", "json"}, ExitUsage, "json"},
		{"codequality", []string{"verify", "--format", "codequality"}, ExitUsage, "[]\n"},
		{"markdown", []string{"validate", "--format", "markdown"}, ExitUsage, "## qms validate: could not run\n\nqms: " + notQMS +
			"\n\n*hint:* run 'qms init' to make one, or cd into one\n\nExit status 2: a usage error.\n"},
		{"json of a subcommand", []string{"archive", "build", "--format", "json"}, ExitUsage, "json"},
		{"github", []string{"validate", "--format", "github"}, ExitUsage, ""},
		{"text", []string{"validate"}, ExitUsage, ""},
		{"a format the command lacks", []string{"log", "--format", "markdown", "x"}, ExitUsage, ""},
		{"after --", []string{"validate", "--", "--format", "json"}, ExitUsage, ""},
		{"no value", []string{"validate", "--format"}, ExitUsage, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			env := &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Dir: dir, Now: time.Now, Getenv: os.Getenv}
			code := Run(context.Background(), env, append([]string{"qms"}, tc.args...))
			if code != tc.code {
				t.Fatalf("qms %s: exit %d, want %d\n%s%s", strings.Join(tc.args, " "), code, tc.code, out.String(), errb.String())
			}
			if !strings.HasPrefix(errb.String(), "qms: ") {
				t.Errorf("stderr = %q, want the error as text", errb.String())
			}
			if tc.stdout != "json" {
				if out.String() != tc.stdout {
					t.Errorf("stdout = %q, want %q", out.String(), tc.stdout)
				}
				return
			}
			var doc struct {
				Findings []any `json:"findings"`
				Errors   int   `json:"errors"`
				Warnings *int  `json:"warnings"`
				Error    struct {
					Message string `json:"message"`
					Hint    string `json:"hint"`
					Exit    int    `json:"exit"`
				} `json:"error"`
			}
			dec := json.NewDecoder(&out)
			dec.DisallowUnknownFields()
			if err := dec.Decode(&doc); err != nil {
				t.Fatalf("stdout is not the JSON error: %v\n%s", err, out.String())
			}
			if dec.More() {
				t.Errorf("stdout holds more than one JSON document")
			}
			first, _, _ := strings.Cut(strings.TrimPrefix(errb.String(), "qms: "), "\n")
			if doc.Findings == nil || len(doc.Findings) != 0 || doc.Errors != 1 || doc.Warnings == nil || *doc.Warnings != 0 ||
				doc.Error.Exit != code || doc.Error.Message != first {
				t.Errorf("JSON error = %+v, want no findings, 1 error, exit %d, message %q", doc, code, first)
			}
		})
	}
}

// TestErrorAfterOutput: a command that printed its report and then failed
// does not get a second document on stdout.
func TestErrorAfterOutput(t *testing.T) {
	var out, errb bytes.Buffer
	env := &Env{Stdout: &out, Stderr: &errb}
	if code := exitCode(env, output{command: "clone check", format: "json"}, true, errors.New("cannot reach the mirror")); code != ExitFailure {
		t.Errorf("exit %d, want %d", code, ExitFailure)
	}
	if out.Len() != 0 || errb.String() != "qms: cannot reach the mirror\n" {
		t.Errorf("stdout %q, stderr %q; want nothing, the error", out.String(), errb.String())
	}
}
