package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/qms-tool/qms/internal/testkit/testrepo"
)

// signedQMS is a QMS with Anna (JD-001, governs), Lucia (JD-003) and Tobias
// (JD-004), its trust root pinned in qms.yaml, and an incident written by
// Lucia.
type signedQMS struct {
	*testrepo.Lab
	anna, lucia, tobias string
}

func newSignedQMS(t *testing.T) *signedQMS {
	l := &signedQMS{Lab: testrepo.New(t)}
	// qms approve signs through git, which reads this environment.
	for _, kv := range l.Env {
		if k, v, ok := strings.Cut(kv, "="); ok && (k == "HOME" || k == "GNUPGHOME" || strings.HasPrefix(k, "GIT_")) {
			t.Setenv(k, v)
		}
	}
	l.anna = l.GPGKey("Anna Keller <anna.keller@example.com>", "ed25519")
	l.lucia = l.GPGKey("Lucia Rossi <lucia.rossi@example.com>", "ed25519")
	l.tobias = l.GPGKey("Tobias Meier <tobias.meier@example.com>", "ed25519")
	l.qms(t, 0, "init", l.Repo)
	l.Git("config", "commit.gpgSign", "true")
	l.as("anna")
	for _, p := range []struct{ id, name, role, fpr string }{
		{"akeller", "Anna Keller", "JD-001", l.anna}, {"lrossi", "Lucia Rossi", "JD-003", l.lucia},
		{"tmeier", "Tobias Meier", "JD-004", l.tobias},
	} {
		l.Write("keys/"+p.id+".asc", l.ExportGPG(p.fpr))
		l.Write("records/staff/"+p.id+".md", fmt.Sprintf("---\nid: %s\nname: %s\nposition: Staff\nroles: [%s]\nemail: %s\nphone: +41 44 555 0100\nactive_from: 2020-01-01\nkeys:\n  - {type: openpgp, fingerprint: %s, file: %s.asc}\n---\n", p.id, p.name, p.role, staffEmail(p.name), p.fpr, p.id))
	}
	plan, err := os.ReadFile("../../records/plans/GP-100-r1.md")
	if err != nil {
		t.Fatal(err)
	}
	l.Write("records/plans/GP-100-r1.md", strings.NewReplacer("activators: [JD-001, JD-003]", "activators: [JD-001]").Replace(string(plan)))
	root := l.Commit(l.anna, "Start the QMS")
	cfg, _ := os.ReadFile(l.Repo + "/qms.yaml")
	l.Write("qms.yaml", string(cfg)+fmt.Sprintf("trust_root:\n  commit: %s\n  fingerprint: %s\n", root, l.anna))
	l.Commit(l.anna, "Trust root")
	l.Write("records/incidents/INC-2026-0001.md", "---\nid: INC-2026-0001\ntitle: VPN down\nlevel: minimal\nstatus: open\ndetected_at: 2026-03-04T10:15:00+01:00\nservices: [backend]\nreported_by: akeller\nowner: akeller\ndrp_activated: false\n---\n## Summary\nx\n## Timeline\nx\n## Actions taken\nx\n")
	l.Commit(l.lucia, "An incident")
	return l
}

// staffEmail is the address of a lab person, as in their key's user id.
func staffEmail(name string) string {
	return strings.ToLower(strings.ReplaceAll(name, " ", ".")) + "@example.com"
}

// as makes qms approve sign and author as the person, as their own git
// would.
func (l *signedQMS) as(who string) {
	name := map[string]string{"anna": "Anna Keller", "lucia": "Lucia Rossi", "tobias": "Tobias Meier"}[who]
	l.Git("config", "user.signingkey", map[string]string{"anna": l.anna, "lucia": l.lucia, "tobias": l.tobias}[who])
	l.T.(*testing.T).Setenv("GIT_AUTHOR_NAME", name)
	l.T.(*testing.T).Setenv("GIT_AUTHOR_EMAIL", staffEmail(name))
}

// qms runs the command in the repository and checks its exit status.
func (l *signedQMS) qms(t *testing.T, want int, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	env := &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Dir: l.Repo, Now: time.Now, Getenv: os.Getenv}
	if code := Run(context.Background(), env, append([]string{"qms"}, args...)); code != want {
		t.Fatalf("qms %s: exit %d, want %d\n%s%s", strings.Join(args, " "), code, want, out.String(), errb.String())
	}
	return out.String() + errb.String()
}

func TestVerifyApproveStaleRollback(t *testing.T) {
	l := newSignedQMS(t)
	inc := "records/incidents/INC-2026-0001.md"
	out := l.qms(t, 0, "verify")
	if !strings.Contains(out, "draft    "+inc) || !strings.Contains(out, "needs review by 1 more of JD-003, JD-004") {
		t.Errorf("before signing:\n%s", out)
	}
	l.qms(t, 1, "verify", "--strict")

	// Lucia wrote the incident: her review does not count (separation of
	// duties); Tobias's does.
	l.as("lucia")
	l.qms(t, 0, "approve", inc, "--meaning", "review")
	l.as("anna")
	l.qms(t, 0, "approve", inc, "--meaning", "approval")
	out = l.qms(t, 0, "verify")
	if !strings.Contains(out, "draft    "+inc) || !strings.Contains(out, "needs review by 1 more of JD-003, JD-004 (not by its author)") {
		t.Errorf("reviewed by its author:\n%s", out)
	}
	l.as("tobias")
	l.qms(t, 0, "approve", inc, "--meaning", "review")
	l.as("anna")
	out = l.qms(t, 0, "verify")
	if !strings.Contains(out, "approved "+inc) || !strings.Contains(out, "review     Tobias Meier (tmeier, JD-004)") ||
		!strings.Contains(out, "approval   Anna Keller (akeller, JD-001)") || !strings.Contains(out, "key "+l.tobias) {
		t.Errorf("after review and approval:\n%s", out)
	}
	out = l.qms(t, 0, "log", inc)
	if !strings.Contains(out, inc+": approved") || strings.Count(out, "[current version") != 3 {
		t.Errorf("log:\n%s", out)
	}
	js := l.qms(t, 0, "verify", "--format", "json")
	// No gpg, no keyring, no home: the same answer from the repository alone.
	t.Setenv("GNUPGHOME", t.TempDir())
	t.Setenv("HOME", "")
	os.Unsetenv("HOME")
	if alone := l.qms(t, 0, "verify", "--format", "json"); alone != js {
		t.Errorf("with an empty GNUPGHOME and no HOME the output differs:\n%s\n---\n%s", alone, js)
	}
	for _, kv := range l.Env {
		if k, v, ok := strings.Cut(kv, "="); ok && (k == "HOME" || k == "GNUPGHOME") {
			t.Setenv(k, v)
		}
	}
	if !strings.Contains(js, `"state": "approved"`) || !strings.Contains(js, `"failures": []`) {
		t.Errorf("json:\n%s", js)
	}
	if st, err := os.Stat(l.Repo + "/.git/qms/verified/refs/heads/main"); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("verified head: %v %v", st, err)
	}

	// One byte changed: the signatures no longer cover it.
	l.Write(inc, strings.Replace(readFile(t, l.Repo+"/"+inc), "VPN down", "VPN Down", 1))
	l.Commit(l.anna, "Edit")
	if out := l.qms(t, 0, "verify"); !strings.Contains(out, "stale    "+inc) {
		t.Errorf("after an edit:\n%s", out)
	}
	if out := l.qms(t, 0, "log", inc); !strings.Contains(out, inc+": stale") || strings.Count(out, "[earlier version") != 3 {
		t.Errorf("log after an edit:\n%s", out)
	}

	// A rewritten history is refused, unless allowed.
	l.Git("reset", "-q", "--hard", "HEAD~3")
	out = l.qms(t, 1, "verify")
	if !strings.Contains(out, "[rollback]") {
		t.Errorf("after a rollback:\n%s", out)
	}
	l.qms(t, 0, "verify", "--allow-downgrade")

	// An unsigned commit fails the whole verification.
	l.Git("-c", "commit.gpgSign=false", "commit", "-q", "--allow-empty", "-m", "unsigned")
	if out := l.qms(t, 1, "verify"); !strings.Contains(out, "is not signed [unsigned]") {
		t.Errorf("unsigned commit:\n%s", out)
	}
}

func TestVerifyUsage(t *testing.T) {
	l := newSignedQMS(t)
	// Dropping trust_root from qms.yaml does not unmoor verification: it
	// still starts from the history's introduction.
	l.Write("qms.yaml", "version: 1\n")
	l.Commit(l.anna, "Drop the trust root")
	l.qms(t, 0, "verify")
	// A history that never stated a root has none, and says how to set one.
	l2 := newSignedQMS(t)
	l2.Git("checkout", "-q", "--orphan", "fresh")
	l2.Write("qms.yaml", "version: 1\n")
	first := l2.Commit(l2.anna, "Start again")
	out := l2.qms(t, 2, "verify")
	if !strings.Contains(out, "no trust root") || !strings.Contains(out, "the history begins with commit "+first+", signed by key "+l2.anna) {
		t.Errorf("without a trust root:\n%s", out)
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
