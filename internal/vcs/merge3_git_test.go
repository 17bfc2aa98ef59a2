package vcs

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/qms-tool/qms/internal/gitcmd"
	"github.com/qms-tool/qms/internal/testkit/need"
)

// The differential tests below hold Merge3 against git on generated
// merges: whenever Merge3 is clean, git must be clean too, with the same
// bytes. Merge3 may refuse what git merges (it does on repeated lines);
// they log how often. QMS_MERGE3_CASES sets the number of cases of each
// kind.

type merge3Case struct{ base, ours, theirs []byte }

// merge3Cases generates n merges of one kind, the same ones every run.
func merge3Cases(n int, seed int64, gen func(*rand.Rand) merge3Case) []merge3Case {
	r := rand.New(rand.NewSource(seed))
	cs := make([]merge3Case, n)
	for i := range cs {
		cs[i] = gen(r)
	}
	return cs
}

// merge3Kinds: files of up to 8 lines of a, b and c, where changes collide
// and lines repeat, now and then without a last newline; and files of up
// to 30 lines more like prose, with blank lines and a few lines that
// recur ("---", "- item").
var merge3Kinds = []struct {
	name string
	seed int64
	gen  func(*rand.Rand) merge3Case
}{
	{"tiny alphabet", 1, func(r *rand.Rand) merge3Case {
		line := func() string { return string("abc"[r.Intn(3)]) }
		base := make([]string, r.Intn(9))
		for i := range base {
			base[i] = line()
		}
		nl := func() bool { return r.Intn(8) != 0 }
		return merge3Case{joinLines(base, nl()), joinLines(edit(r, base, line), nl()), joinLines(edit(r, base, line), nl())}
	}},
	{"prose", 2, func(r *rand.Rand) merge3Case {
		line := func() string {
			switch x := r.Intn(10); {
			case x < 2:
				return ""
			case x < 3:
				return []string{"---", "- item", "```", "}"}[r.Intn(4)]
			default:
				return fmt.Sprintf("line %d", r.Intn(200))
			}
		}
		base := make([]string, 5+r.Intn(26))
		for i := range base {
			base[i] = line()
		}
		return merge3Case{joinLines(base, true), joinLines(edit(r, base, line), true), joinLines(edit(r, base, line), true)}
	}},
}

// edit makes one to three random changes to l: a line inserted, deleted
// or replaced.
func edit(r *rand.Rand, l []string, line func() string) []string {
	l = append([]string(nil), l...)
	for e := 1 + r.Intn(3); e > 0; e-- {
		p := r.Intn(len(l) + 1)
		switch r.Intn(3) {
		case 0:
			l = append(l[:p], append([]string{line()}, l[p:]...)...)
		case 1:
			if p < len(l) {
				l = append(l[:p], l[p+1:]...)
			}
		case 2:
			if p < len(l) {
				l[p] = line()
			}
		}
	}
	return l
}

func joinLines(l []string, lastNewline bool) []byte {
	s := strings.Join(l, "\n")
	if lastNewline && len(l) > 0 {
		s += "\n"
	}
	return []byte(s)
}

func merge3CaseCount(t *testing.T, def int) int {
	if s := os.Getenv("QMS_MERGE3_CASES"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("QMS_MERGE3_CASES=%q: %v", s, err)
		}
		return n
	}
	if testing.Short() {
		return def / 10
	}
	return def
}

// compareMerge3 checks Merge3 against git's results (clean, and the bytes
// when clean) and tallies them; bad is where Merge3 is clean and git not,
// or not alike.
type merge3Tally struct{ cases, agree, clean, refused, bad int }

func (m *merge3Tally) add(c merge3Case, git []byte, gitClean bool) (bad bool) {
	got, clean := Merge3(c.base, c.ours, c.theirs)
	m.cases++
	switch {
	case clean && (!gitClean || !bytes.Equal(got, git)):
		m.bad++
		return true
	case clean:
		m.agree++
		m.clean++
	case gitClean:
		m.refused++
	default:
		m.agree++
	}
	return false
}

func (m merge3Tally) String() string {
	return fmt.Sprintf("%d cases: %d agree with git (%d clean, %d conflicts on both); Merge3 refused %d that git merged (%.1f%% of git's clean merges); %d clean where git is not, or differs",
		m.cases, m.agree, m.clean, m.agree-m.clean, m.refused, 100*float64(m.refused)/float64(max(1, m.clean+m.refused)), m.bad)
}

func TestMerge3GitMergeFile(t *testing.T) {
	need.Tool(t, need.Git, "git")
	n := merge3CaseCount(t, 1500)
	for _, kind := range merge3Kinds {
		t.Run(kind.name, func(t *testing.T) {
			cases := merge3Cases(n, kind.seed, kind.gen)
			git := make([][]byte, len(cases))
			gitClean := make([]bool, len(cases))
			var wg sync.WaitGroup
			const workers = 4
			errs := make([]error, workers)
			for w := range workers {
				dir := t.TempDir()
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := w; i < len(cases) && errs[w] == nil; i += workers {
						git[i], gitClean[i], errs[w] = mergeFile(dir, cases[i])
					}
				}()
			}
			wg.Wait()
			if err := errors.Join(errs...); err != nil {
				t.Fatal(err)
			}
			var tally merge3Tally
			for i, c := range cases {
				if tally.add(c, git[i], gitClean[i]) && tally.bad <= 5 {
					got, _ := Merge3(c.base, c.ours, c.theirs)
					t.Errorf("Merge3(%q, %q, %q) = %q, clean; git merge-file: %q (clean %v)", c.base, c.ours, c.theirs, got, git[i], gitClean[i])
				}
			}
			t.Log(tally)
		})
	}
}

// mergeFile runs git merge-file -p on a case in dir.
func mergeFile(dir string, c merge3Case) ([]byte, bool, error) {
	for name, b := range map[string][]byte{"base": c.base, "ours": c.ours, "theirs": c.theirs} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return nil, false, err
		}
	}
	cmd := exec.Command("git", "merge-file", "-p", "ours", "base", "theirs")
	cmd.Dir = dir
	cmd.Env = gitcmd.Env("HOME="+dir, "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return out, true, nil
	case errors.As(err, &ee) && ee.ExitCode() > 0 && ee.ExitCode() < 128: // the number of conflicts
		return out, false, nil
	}
	return nil, false, fmt.Errorf("git merge-file: %v: %s", err, stderr.Bytes())
}

// TestMerge3GitMergeTree holds Merge3 against the merge a forge makes,
// git merge-tree (merge-ort, which diffs with the histogram algorithm).
// Histogram diffs are not always shortest: on the tiny alphabet git may
// conflict, or merge otherwise, where Merge3 is clean, which is logged;
// on prose it must not happen. (In CleanMerge such a case is accepted only
// if someone resolved git's conflict exactly as Merge3 merges.)
func TestMerge3GitMergeTree(t *testing.T) {
	need.Tool(t, need.Git, "git")
	n := merge3CaseCount(t, 600)
	for _, kind := range merge3Kinds {
		t.Run(kind.name, func(t *testing.T) {
			cases := merge3Cases(n, kind.seed+100, kind.gen)
			git, gitClean := mergeTree(t, cases)
			var tally merge3Tally
			for i, c := range cases {
				if tally.add(c, git[i], gitClean[i]) && kind.name == "prose" && tally.bad <= 5 {
					got, _ := Merge3(c.base, c.ours, c.theirs)
					t.Errorf("Merge3(%q, %q, %q) = %q, clean; git merge-tree: %q (clean %v)", c.base, c.ours, c.theirs, got, git[i], gitClean[i])
				}
			}
			t.Log(tally)
		})
	}
}

// mergeTree makes, for each case, a commit holding base in a file and two
// children holding ours and theirs, and merges the children with git
// merge-tree --write-tree.
func mergeTree(t *testing.T, cases []merge3Case) ([][]byte, []bool) {
	dir := t.TempDir()
	env := gitcmd.Env("HOME="+dir, "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null")
	git := func(stdin io.Reader, args ...string) ([]byte, error) {
		cmd := exec.Command("git", args...)
		cmd.Dir, cmd.Env, cmd.Stdin = dir, env, stdin
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return out, fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, stderr.Bytes())
		}
		return out, nil
	}
	if _, err := git(nil, "init", "-q", "-b", "main"); err != nil {
		t.Fatal(err)
	}
	var fi bytes.Buffer
	data := func(b []byte) { fmt.Fprintf(&fi, "data %d\n%s\n", len(b), b) }
	for i, c := range cases {
		for j, content := range [][]byte{c.base, c.ours, c.theirs} {
			fmt.Fprintf(&fi, "commit refs/heads/c%d-%d\nmark :%d\ncommitter A <a@example.com> 0 +0000\n", i, j, 3*i+j+1)
			data([]byte("m"))
			if j > 0 {
				fmt.Fprintf(&fi, "from :%d\n", 3*i+1)
			}
			fmt.Fprintf(&fi, "M 100644 inline f\n")
			data(content)
		}
	}
	if _, err := git(&fi, "fast-import", "--quiet"); err != nil {
		t.Fatal(err)
	}
	cat := exec.Command("git", "cat-file", "--batch")
	cat.Dir, cat.Env = dir, env
	in, err := cat.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cat.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cat.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { in.Close(); cat.Wait() }()
	rd := bufio.NewReader(out)
	res, clean := make([][]byte, len(cases)), make([]bool, len(cases))
	for i := range cases {
		tree, err := git(nil, "merge-tree", "--write-tree", fmt.Sprintf("c%d-1", i), fmt.Sprintf("c%d-2", i))
		var ee *exec.ExitError
		switch {
		case errors.As(err, &ee) && ee.ExitCode() == 1: // conflicts
			continue
		case errors.As(err, &ee) && ee.ExitCode() == 129: // usage: before git 2.38
			need.Missing(t, "git merge-tree --write-tree (git 2.38)", need.Git)
		}
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(in, "%s:f\n", bytes.TrimSpace(tree))
		hdr, err := rd.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		var oid, typ string
		var size int
		if _, err := fmt.Sscanf(hdr, "%s %s %d", &oid, &typ, &size); err != nil || typ != "blob" {
			t.Fatalf("git cat-file: %q", hdr)
		}
		b := make([]byte, size+1)
		if _, err := io.ReadFull(rd, b); err != nil {
			t.Fatal(err)
		}
		res[i], clean[i] = b[:size], true
	}
	return res, clean
}
