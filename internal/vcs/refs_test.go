package vcs

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestBranchesAndFolders(t *testing.T) {
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
			tree, err := r.Folder(tc.commit, tc.dir)
			if err != nil {
				t.Fatalf("Folder(%s, %q): %v", tc.commit[:7], tc.dir, err)
			}
			var names []string
			if tree != "" {
				if err := r.EachFile(tree, func(name []byte) { names = append(names, string(name)) }); err != nil {
					t.Fatal(err)
				}
			}
			if strings.Join(names, " ") != strings.Join(tc.want, " ") {
				t.Errorf("files of %q at %s = %v, want %v", tc.dir, tc.commit[:7], names, tc.want)
			}
		})
	}
	// A folder that no commit changed has one tree id everywhere.
	a, _ := r.Folder(first, "records/staff")
	b, _ := r.Folder(second, "records")
	c, _ := r.Folder(first, "records")
	if a != "" || b == "" || b == c {
		t.Errorf("Folder ids: staff %q, records %q then %q; want none, then two different ids", a, c, b)
	}
	if _, err := r.Folder(git("rev-parse", "HEAD^{tree}"), "records"); err == nil {
		t.Errorf("Folder(a tree id) succeeded, want an error")
	}
	if _, err := r.Folder("HEAD", "records"); err == nil {
		t.Errorf("Folder(HEAD) succeeded, want an error: it takes commit ids")
	}
	if err := r.EachFile(first, func([]byte) {}); err == nil {
		t.Errorf("EachFile(a commit id) succeeded, want an error")
	}
}
