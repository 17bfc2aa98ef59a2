package approval

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/qms-tool/qms/internal/config"
	"github.com/qms-tool/qms/internal/gitcmd"
)

// trailerCases are messages whose trailers git and qms must read alike.
var trailerCases = []struct {
	name, msg string
	want      []string // "Token: value", as git interpret-trailers --parse prints them
}{
	{"approval", "Approval of INC-2026-0001\n\nQMS-Sign: approval records/incidents/INC-2026-0001.md 0123456789abcdef0123456789abcdef01234567\n",
		[]string{"QMS-Sign: approval records/incidents/INC-2026-0001.md 0123456789abcdef0123456789abcdef01234567"}},
	{"subject only", "QMS-Sign: approval a.md 0123456789abcdef0123456789abcdef01234567\n", nil},
	{"quoted in the body, then prose", "Withdraw\n\nQMS-Sign: approval a.md 0123456789abcdef0123456789abcdef01234567\n\nThis signature was wrong.\n", nil},
	{"after a paragraph with prose in the block", "Subject\n\nSome words\nQMS-Sign: review a.md b\n", nil},
	{"a quarter trailers with Signed-off-by", "Subject\n\nprose one\nprose two\nprose three\nSigned-off-by: A <a@example.com>\nQMS-Sign: review a.md b\n",
		[]string{"Signed-off-by: A <a@example.com>", "QMS-Sign: review a.md b"}},
	{"folded value", "Subject\n\nQMS-Sign: review\n  a.md b\n", []string{"QMS-Sign: review a.md b"}},
	{"blanks before the separator", "Subject\n\nQMS-Sign   : review a.md b\n", []string{"QMS-Sign: review a.md b"}},
	{"other case", "Subject\n\nqms-sign: review a.md b\n", []string{"qms-sign: review a.md b"}},
	{"comment lines", "Subject\n\n# QMS-Sign: approval a.md b\nQMS-Sign: review a.md b\n# trailing comment\n", []string{"QMS-Sign: review a.md b"}},
	{"scissors", "Subject\n\nQMS-Sign: review a.md b\n# ------------------------ >8 ------------------------\nQMS-Sign: approval a.md c\n", []string{"QMS-Sign: review a.md b"}},
	{"a NUL byte ends the message", "Subject\n\nQMS-Sign: review a.md b\n\x00\nQMS-Sign: approval a.md c\n", []string{"QMS-Sign: review a.md b"}},
	{"patch divider is no divider here, but prose", "Subject\n\n--- \nQMS-Sign: review a.md b\n", nil},
	{"patch divider above the block", "Subject\n\n---\n\nQMS-Sign: review a.md b\n", []string{"QMS-Sign: review a.md b"}},
	{"trailing blank lines", "Subject\n\nQMS-Sign: review a.md b\n\n\n", []string{"QMS-Sign: review a.md b"}},
	{"spaces-only line", "Subject\n\nQMS-Sign: review a.md b\n   \n", []string{"QMS-Sign: review a.md b"}},
	{"carriage returns", "Subject\r\n\r\nQMS-Sign: review a.md b\r\n", []string{"QMS-Sign: review a.md b"}},
	{"old conflicts block", "Subject\n\nQMS-Sign: review a.md b\n\nConflicts:\n\ta.md\n", []string{"QMS-Sign: review a.md b"}},
	{"no newline at the end", "Subject\n\nQMS-Sign: review a.md b", []string{"QMS-Sign: review a.md b"}},
	{"empty", "", nil},
	{"separator first", "Subject\n\n: x\nQMS-Sign: review a.md b\n", nil},
	{"cherry pick line", "Subject\n\nprose\nprose\nprose\n(cherry picked from commit 0123)\nQMS-Sign: review a.md b\n",
		[]string{"QMS-Sign: review a.md b"}},
	{"vertical tab is no space to git", "Subject\n\nQMS-Sign: review a.md b\n\vcontinued\n", nil},
}

func format(ts []Line) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Token+": "+t.Value)
	}
	return out
}

func TestTrailers(t *testing.T) {
	for _, tc := range trailerCases {
		t.Run(tc.name, func(t *testing.T) {
			got := format(Trailers(tc.msg))
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("Trailers(%q) = %q, want %q", tc.msg, got, tc.want)
			}
		})
	}
}

// gitTrailers is what git interpret-trailers --parse --no-divider reads in
// msg, with no configuration: the reading of git log's %(trailers).
func gitTrailers(t testing.TB, msg string) []string {
	t.Helper()
	cmd := exec.Command("git", "interpret-trailers", "--parse", "--no-divider")
	cmd.Env = gitcmd.Env("GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "HOME="+os.TempDir())
	cmd.Dir = os.TempDir()
	cmd.Stdin = strings.NewReader(msg)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git interpret-trailers: %v", err)
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
		if l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

// TestTrailersAgreeWithGit: on every case, git reads the same trailers.
func TestTrailersAgreeWithGit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	for _, tc := range trailerCases {
		t.Run(tc.name, func(t *testing.T) {
			if g, q := gitTrailers(t, tc.msg), format(Trailers(tc.msg)); strings.Join(g, "\n") != strings.Join(q, "\n") {
				t.Errorf("message %q: git reads %q, qms %q", tc.msg, g, q)
			}
		})
	}
}

// FuzzTrailers: never a panic, never more than the message holds, and
// when git is installed, the same trailers as git reads.
func FuzzTrailers(f *testing.F) {
	for _, tc := range trailerCases {
		f.Add(tc.msg)
	}
	f.Add("Accept\n\nQMS-Accept: " + strings.Repeat("ab", 20) + " merged on GitHub before its key was declared\nQMS-Accept: HEAD because\n")
	_, gitErr := exec.LookPath("git")
	f.Fuzz(func(t *testing.T, msg string) {
		ts := Trailers(msg)
		for _, tr := range ts {
			if !strings.Contains(msg, strings.TrimSpace(tr.Token)) {
				t.Fatalf("token %q is not in the message", tr.Token)
			}
		}
		signs, malformed := Signs(msg)
		if len(signs)+len(malformed) > len(ts) {
			t.Fatalf("%d signs from %d trailers", len(signs)+len(malformed), len(ts))
		}
		acc, badAcc := accepts(msg)
		if len(acc)+len(badAcc) > len(ts) {
			t.Fatalf("%d acceptances from %d trailers", len(acc)+len(badAcc), len(ts))
		}
		for _, a := range acc {
			if !config.IsCommitID(a.commit) || a.reason == "" || !strings.Contains(msg, a.commit) {
				t.Fatalf("acceptance %+v from %q", a, msg)
			}
		}
		if gitErr != nil || bytes.ContainsAny([]byte(msg), "\x00") && strings.IndexByte(msg, 0) == 0 {
			return
		}
		if g, q := gitTrailers(t, msg), format(ts); strings.Join(g, "\n") != strings.Join(q, "\n") {
			t.Fatalf("message %q: git reads %q, qms %q", msg, g, q)
		}
	})
}
