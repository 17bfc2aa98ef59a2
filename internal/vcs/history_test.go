package vcs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
)

func gitRepo(t *testing.T) (string, func(args ...string) string) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir := t.TempDir()
	git := func(args ...string) string {
		t.Helper()
		out, err := tryGit(dir, args...)
		if err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	git("init", "-q", "-b", "main")
	return dir, git
}

// tryGit runs git in dir, a repository gitRepo made, and returns its
// output, trimmed.
func tryGit(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "HOME="+dir,
		"GIT_AUTHOR_NAME=A", "GIT_AUTHOR_EMAIL=a@example.com", "GIT_COMMITTER_NAME=A", "GIT_COMMITTER_EMAIL=a@example.com",
		"GIT_COMMITTER_DATE=2026-03-04T10:15:00+01:00", "GIT_AUTHOR_DATE=2026-03-04T10:15:00+01:00")
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func write(t *testing.T, dir, p, content string) {
	t.Helper()
	full := filepath.Join(dir, p)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestHistory(t *testing.T) {
	dir, git := gitRepo(t)
	write(t, dir, "records/staff/anna.md", "v1\n")
	write(t, dir, "keys/anna.asc", "key\n")
	git("add", ".")
	git("commit", "-q", "-m", "first")
	first := git("rev-parse", "HEAD")
	git("checkout", "-q", "-b", "side")
	write(t, dir, "records/staff/anna.md", "v2\n")
	git("commit", "-q", "-am", "second")
	git("checkout", "-q", "main")
	write(t, dir, "records/matrix.md", "m\n")
	git("add", ".")
	git("commit", "-q", "-m", "third")
	git("merge", "-q", "--no-edit", "side")

	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	c, err := r.Commit("HEAD")
	if err != nil {
		t.Fatal(err)
	}
	if raw := git("cat-file", "commit", "HEAD"); strings.TrimSpace(string(c.Raw)) != raw {
		t.Errorf("Raw differs from git cat-file:\n%s\n---\n%s", c.Raw, raw)
	}
	if len(c.Parents) != 2 || c.Tree != git("rev-parse", "HEAD^{tree}") {
		t.Errorf("commit = %+v", c)
	}
	if got := c.Committer.Format("2006-01-02T15:04:05-07:00"); got != "2026-03-04T10:15:00+01:00" {
		t.Errorf("Committer = %s", got)
	}
	if !strings.HasPrefix(c.Message, "Merge branch 'side'") {
		t.Errorf("Message = %q", c.Message)
	}

	old, err := r.Commit(first)
	if err != nil {
		t.Fatal(err)
	}
	tfs, err := r.TreeFS(old.Tree)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := fs.ReadFile(tfs, "records/staff/anna.md"); err != nil || string(b) != "v1\n" {
		t.Errorf("anna.md at the first commit = %q, %v", b, err)
	}
	if _, err := fs.ReadFile(tfs, "records/matrix.md"); err == nil {
		t.Error("matrix.md exists at the first commit")
	}
	if err := fstest.TestFS(tfs, "records/staff/anna.md", "keys/anna.asc"); err != nil {
		t.Error(err)
	}
	h1, _ := r.TreeHash(old.Tree, "records/staff")
	h2, _ := r.TreeHash(c.Tree, "records/staff")
	k1, _ := r.TreeHash(old.Tree, "keys")
	k2, _ := r.TreeHash(c.Tree, "keys")
	none, _ := r.TreeHash(old.Tree, "records/matrix.md")
	if h1 == "" || h1 == h2 || k1 != k2 || none != "" {
		t.Errorf("TreeHash: staff %s -> %s (want a change), keys %s -> %s (want none), matrix at first %q", h1, h2, k1, k2, none)
	}
	// What each commit wrote itself: a clean merge wrote nothing.
	p1, _ := r.Commit(c.Parents[0])
	p2, _ := r.Commit(c.Parents[1])
	if w, err := r.Written(c.Tree, []string{p1.Tree, p2.Tree}); err != nil || len(w) != 0 {
		t.Errorf("Written(merge) = %v, %v; want nothing", w, err)
	}
	pp, _ := r.Commit(p2.Parents[0])
	if w, err := r.Written(p2.Tree, []string{pp.Tree}); err != nil || len(w) != 1 || w["records/staff/anna.md"] == "" {
		t.Errorf("Written(second) = %v, %v; want anna.md", w, err)
	}
	if w, err := r.Written(old.Tree, nil); err != nil || len(w) != 2 {
		t.Errorf("Written(root) = %v, %v; want both files", w, err)
	}
	// A "parent" line after the author is not a parent, for git either.
	tree := git("rev-parse", "HEAD^{tree}")
	raw := "tree " + tree + "\nauthor A <a@example.com> 1772615700 +0100\nparent " + first + "\ncommitter A <a@example.com> 1772615700 +0100\n\nodd\n"
	odd := gitStdin(t, dir, raw, "hash-object", "-t", "commit", "--literally", "-w", "--stdin")
	if oc, err := r.Commit(odd); err != nil || len(oc.Parents) != 0 {
		t.Errorf("Commit(parent after author) = %+v, %v; want no parents", oc, err)
	}
	if _, err := r.Commit(git("rev-parse", "HEAD^{tree}")); err == nil {
		t.Error("Commit accepted a tree id")
	}
}

func gitStdin(t *testing.T, dir, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestTreeFSConcurrent: a tree's files read from many goroutines of a
// packed repository come out whole ('qms render' and 'qms archive build'
// render pages in parallel; unserialized pack reads tore objects).
func TestTreeFSConcurrent(t *testing.T) {
	dir, git := gitRepo(t)
	want := map[string]string{}
	for i := range 40 {
		p := fmt.Sprintf("records/r%02d.md", i)
		want[p] = strings.Repeat(fmt.Sprintf("line %d of %s\n", i, p), 200+i)
		write(t, dir, p, want[p])
	}
	git("add", "-A")
	git("commit", "-q", "-m", "records")
	git("gc", "-q", "--aggressive")
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	c, err := r.Commit("HEAD")
	if err != nil {
		t.Fatal(err)
	}
	tfs, err := r.TreeFS(c.Tree)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 40 {
				p := fmt.Sprintf("records/r%02d.md", (i+g*5)%40)
				b, err := fs.ReadFile(tfs, p)
				if err != nil || string(b) != want[p] {
					t.Errorf("ReadFile(%s) = %d bytes, %v; want %d bytes", p, len(b), err, len(want[p]))
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestLargeTreeLookup: in a folder large enough to be indexed, every file
// is found on its first lookup (a scan) and its later ones (the index),
// and a same-size folder holding a name twice (git mktree keeps both) is
// refused on every lookup, as a small one is: the index is only ever
// built over a tree checkTree passed.
func TestLargeTreeLookup(t *testing.T) {
	dir, git := gitRepo(t)
	for i := range 200 {
		write(t, dir, fmt.Sprintf("records/incidents/INC-2026-%04d.md", i), fmt.Sprintf("v%d\n", i))
	}
	git("add", "-A")
	git("commit", "-q", "-m", "records")
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	c, err := r.Commit("HEAD")
	if err != nil {
		t.Fatal(err)
	}
	tfs, _ := r.TreeFS(c.Tree)
	for round := range 3 {
		for i := range 200 {
			p := fmt.Sprintf("records/incidents/INC-2026-%04d.md", i)
			if b, err := fs.ReadFile(tfs, p); err != nil || string(b) != fmt.Sprintf("v%d\n", i) {
				t.Fatalf("round %d: ReadFile(%s) = %q, %v", round, p, b, err)
			}
		}
		if _, err := fs.ReadFile(tfs, "records/incidents/INC-2026-9999.md"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("round %d: a missing file: %v", round, err)
		}
	}
	// The same folder with INC-2026-0100.md twice, the second another blob.
	ls := git("ls-tree", "HEAD:records/incidents")
	evil := gitStdin(t, dir, "evil\n", "hash-object", "-w", "--stdin")
	var lines []string
	for _, l := range strings.Split(ls, "\n") {
		lines = append(lines, l)
		if strings.HasSuffix(l, "\tINC-2026-0100.md") {
			lines = append(lines, "100644 blob "+evil+"\tINC-2026-0100.md")
		}
	}
	sub := gitStdin(t, dir, strings.Join(lines, "\n")+"\n", "mktree")
	top := gitStdin(t, dir, "040000 tree "+sub+"\tincidents\n", "mktree")
	root := gitStdin(t, dir, "040000 tree "+top+"\trecords\n", "mktree")
	bad, _ := r.TreeFS(root)
	for round := range 3 {
		for _, p := range []string{"records/incidents/INC-2026-0100.md", "records/incidents/INC-2026-0001.md"} {
			if _, err := fs.ReadFile(bad, p); !errors.Is(err, ErrMalformedTree) {
				t.Errorf("round %d: ReadFile(%s) in a tree with a duplicate = %v, want a malformed tree", round, p, err)
			}
		}
	}
}
