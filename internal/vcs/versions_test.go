package vcs

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/qms-tool/qms/internal/testkit/testrepo"
)

// TestVersions: one walk gives each record's changes newest first, with
// the blob each wrote (none for a removal); merges add nothing of their own.
func TestVersions(t *testing.T) {
	l := testrepo.New(t)
	write := func(p, s string) {
		t.Helper()
		full := filepath.Join(l.Repo, p)
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git := func(args ...string) string { t.Helper(); return l.Git(args...) }
	write("records/a.md", "one\n")
	write("other.txt", "x\n")
	git("add", "-A")
	git("-c", "commit.gpgSign=false", "commit", "-qm", "first")
	first := git("rev-parse", "HEAD")
	git("checkout", "-qb", "side")
	write("records/b c.md", "spaced\n")
	git("add", "-A")
	git("-c", "commit.gpgSign=false", "commit", "-qm", "side")
	side := git("rev-parse", "HEAD")
	git("checkout", "-q", "-")
	write("records/a.md", "two\n")
	git("-c", "commit.gpgSign=false", "commit", "-qam", "second")
	second := git("rev-parse", "HEAD")
	git("-c", "commit.gpgSign=false", "merge", "-q", "--no-edit", "side")
	git("rm", "-q", "records/b c.md")
	git("-c", "commit.gpgSign=false", "commit", "-qm", "remove")
	removed := git("rev-parse", "HEAD")

	r, err := Open(l.Repo)
	if err != nil {
		t.Fatal(err)
	}
	vs, err := r.Versions(context.Background(), "HEAD", "records")
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 2 || vs["other.txt"] != nil {
		t.Fatalf("versions of %d paths: %v", len(vs), vs)
	}
	a := vs["records/a.md"]
	if len(a) != 2 || a[0].Commit != second || a[1].Commit != first || a[0].Blob == "" || a[0].Blob == a[1].Blob || a[0].Time.IsZero() {
		t.Errorf("records/a.md: %+v", a)
	}
	b := vs["records/b c.md"]
	if len(b) != 2 || b[0].Commit != removed || b[0].Blob != "" || b[1].Commit != side || b[1].Blob == "" {
		t.Errorf("records/b c.md: %+v", b)
	}
}

func FuzzParseVersions(f *testing.F) {
	f.Add([]byte("\x01" + "0123456789012345678901234567890123456789" + "\x021796288087\x00\n:100644 100644 75c56dc60adea1ea883e97b1d738ce7019f24955 e608d49c6ca049b6b1cbc25448f3389b6f7bd3b6 M\x00records/a.md\x00"))
	f.Add([]byte("\x01x\x02"))
	f.Fuzz(func(t *testing.T, b []byte) {
		vs, err := parseVersions(b)
		if err != nil {
			return
		}
		for p, list := range vs {
			for _, v := range list {
				if v.Path != p || v.Commit == "" {
					t.Fatalf("version %+v under %q", v, p)
				}
			}
		}
	})
}
