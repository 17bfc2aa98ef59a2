package vcs

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qms-tool/qms/internal/testkit/need"
)

// TestCleanMerge merges branches with git and asks CleanMerge about the
// merge commits: one where git merged the lines of a file both branches
// edited adds nothing; one where the merger changed a line besides, or
// resolved a conflict by hand, does.
func TestCleanMerge(t *testing.T) {
	need.Tool(t, need.Git, "git")
	dir, git := gitRepo(t)
	numbered := func(edits map[int]string) string {
		var b strings.Builder
		for i := 1; i <= 10; i++ {
			l, ok := edits[i]
			if !ok {
				l = fmt.Sprintf("line %d", i)
			}
			b.WriteString(l + "\n")
		}
		return b.String()
	}
	const notes = "docs/notes.md"
	write(t, dir, notes, numbered(nil))
	write(t, dir, "README.md", "readme\n")
	git("add", ".")
	git("commit", "-q", "-m", "base")
	// branch makes a branch off base that rewrites notes.md.
	branch := func(name string, edits map[int]string) {
		t.Helper()
		git("checkout", "-q", "-b", name, "main")
		write(t, dir, notes, numbered(edits))
		git("commit", "-q", "-am", name)
	}
	branch("two", map[int]string{2: "line two"})
	branch("eight", map[int]string{8: "line eight"})
	branch("five", map[int]string{5: "line five"})
	branch("FIVE", map[int]string{5: "LINE FIVE"})
	git("checkout", "-q", "-b", "mode", "main")
	if err := os.Chmod(filepath.Join(dir, notes), 0o755); err != nil {
		t.Fatal(err)
	}
	git("commit", "-q", "-am", "mode")

	// merge merges theirs into a new branch off ours with git merge
	// --no-ff; when edits is not nil, it then rewrites notes.md with them
	// (to change the merge, or to resolve a conflict) and commits. It
	// returns the merge commit, and whether git found a conflict.
	merge := func(name, ours, theirs string, edits map[int]string) (string, bool) {
		t.Helper()
		git("checkout", "-q", "-b", name, ours)
		if edits == nil {
			git("merge", "-q", "--no-ff", "--no-edit", theirs)
			return git("rev-parse", "HEAD"), false
		}
		_, err := tryGit(dir, "merge", "-q", "--no-ff", "--no-commit", theirs)
		write(t, dir, notes, numbered(edits))
		git("add", notes)
		git("commit", "-q", "--no-edit")
		return git("rev-parse", "HEAD"), err != nil
	}
	tests := []struct {
		name         string
		ours, theirs string
		edits        map[int]string // what the merger wrote, if not git
		conflict     bool           // whether git's merge conflicts
		path         string         // the path not clean, "" for a clean merge
	}{
		{"git merged the lines", "two", "eight", nil, false, ""},
		{"git merged the lines, the sides swapped", "eight", "two", nil, false, ""},
		{"the merger changed another line", "two", "eight", map[int]string{2: "line two", 8: "line eight", 5: "line five"}, false, notes},
		{"the merger kept one side only", "two", "eight", map[int]string{2: "line two"}, false, notes},
		{"a conflict resolved by hand", "five", "FIVE", map[int]string{5: "line five, LINE FIVE"}, true, notes},
		{"a conflict resolved as one side", "five", "FIVE", map[int]string{5: "line five"}, true, notes},
		// git merges these, but one side changed the mode and the other
		// the lines: not a case CleanMerge merges.
		{"one side's mode, the other's lines", "mode", "two", nil, false, notes},
	}
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	tree := func(rev string) string { return git("rev-parse", rev+"^{tree}") }
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, conflict := merge(fmt.Sprintf("m%d", i), tc.ours, tc.theirs, tc.edits)
			if conflict != tc.conflict {
				t.Fatalf("git merge %s into %s: conflict %v, want %v", tc.theirs, tc.ours, conflict, tc.conflict)
			}
			base := git("merge-base", m+"^1", m+"^2")
			mc, err := r.CleanMerge(tree(m), tree(base), tree(m+"^1"), tree(m+"^2"))
			path, ok := mc.Path, mc.Clean
			if err != nil || ok != (tc.path == "") || path != tc.path {
				t.Errorf("CleanMerge(%s) = %q, %v, %v; want %q, %v", tc.name, path, ok, err, tc.path, tc.path == "")
			}
			// A clean merge names the file it merged line by line, with
			// the blobs of each side.
			if ok {
				blob := func(rev string) string { return git("rev-parse", rev+":"+notes) }
				want := []LineMerge{{Path: notes, Merged: blob(m), Ours: blob(m + "^1"), Theirs: blob(m + "^2")}}
				if fmt.Sprint(mc.LineMerged) != fmt.Sprint(want) {
					t.Errorf("CleanMerge(%s).LineMerged = %v, want %v", tc.name, mc.LineMerged, want)
				}
			} else if len(mc.LineMerged) > 0 {
				t.Errorf("CleanMerge(%s) is not clean but lists line merges %v", tc.name, mc.LineMerged)
			}
		})
	}
}
