package vcs

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestBranchesAndFileNames(t *testing.T) {
	dir, git := gitRepo(t)
	empty, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if tips, err := empty.Branches(); err != nil || len(tips) != 0 {
		t.Errorf("Branches() without commits = %v, %v; want none", tips, err)
	}
	empty.Close()

	write(t, dir, "records/incidents/INC-2026-0001.md", "one\n")
	write(t, dir, "records/incidents/attachments/log.txt", "a folder, not a record\n")
	write(t, dir, "records/matrix.md", "m\n")
	git("add", ".")
	git("commit", "-q", "-m", "first")
	first := git("rev-parse", "HEAD")
	git("tag", "v1")
	git("checkout", "-q", "-b", "feature-x")
	write(t, dir, "records/incidents/INC-2026-0002.md", "two\n")
	git("add", ".")
	git("commit", "-q", "-m", "second")
	second := git("rev-parse", "HEAD")
	git("checkout", "-q", "main")
	// A clone of it has remote-tracking branches and origin/HEAD.
	clone := filepath.Join(t.TempDir(), "clone")
	git("clone", "-q", dir, clone)

	r, err := Open(clone)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	tips, err := r.Branches()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tip := range tips {
		got = append(got, tip.Name+"="+tip.Commit[:7])
	}
	want := []string{"main=" + first[:7], "origin/feature-x=" + second[:7], "origin/main=" + first[:7]}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("Branches() = %v, want %v (no tags, no origin/HEAD)", got, want)
	}

	for _, tc := range []struct {
		name, commit, dir string
		want              []string
	}{
		{"a folder's files", second, "records/incidents", []string{"INC-2026-0001.md", "INC-2026-0002.md"}},
		{"another commit", first, "records/incidents", []string{"INC-2026-0001.md"}},
		{"files only, not subfolders", first, "records", []string{"matrix.md"}},
		{"absent folder", first, "records/tests", nil},
		{"a file, not a folder", first, "records/matrix.md", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			names, err := r.FileNames(tc.commit, tc.dir)
			if err != nil || strings.Join(names, " ") != strings.Join(tc.want, " ") {
				t.Errorf("FileNames(%s, %q) = %v, %v; want %v", tc.commit[:7], tc.dir, names, err, tc.want)
			}
		})
	}
	if _, err := r.FileNames(git("rev-parse", "HEAD^{tree}"), "records"); err == nil {
		t.Errorf("FileNames(a tree id) succeeded, want an error")
	}
	if _, err := r.FileNames("HEAD", "records"); err == nil {
		t.Errorf("FileNames(HEAD) succeeded, want an error: it takes commit ids")
	}
}
