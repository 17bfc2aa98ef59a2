package gen_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/approval"
	"github.com/qms-tool/qms/internal/check"
	"github.com/qms-tool/qms/internal/gitcmd"
	"github.com/qms-tool/qms/internal/schema"
	"github.com/qms-tool/qms/internal/testkit/gen"
	"github.com/qms-tool/qms/internal/vcs"
)

// validate runs the real checker over dir, as 'qms validate' does, and
// returns the record paths and every finding.
func validate(t *testing.T, dir string) ([]string, []qms.Finding) {
	t.Helper()
	set, setup := schema.Load(qms.Defaults, os.DirFS(dir))
	src := check.FS{FS: os.DirFS(dir)}
	paths, listed, err := check.List(set, src)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	res, err := (&check.Checker{Kinds: set}).Check(src, paths)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	fs_ := append(append(setup, listed...), res.Findings...)
	return paths, fs_
}

func TestWriteValidates(t *testing.T) {
	tests := []struct {
		name     string
		records  int
		seed     int64
		followUp bool
		cont     bool
	}{
		{"smallest", gen.MinRecords, 1, false, false},
		{"small", 57, 2, false, false},
		{"hundreds", 300, 1, false, false},
		{"hundreds other seed", 300, 7, false, false},
		{"with follow-up records", 300, 1, true, false},
		{"thousands with follow-up records", 2000, 5, true, false},
		{"hundreds with the plan as data", 300, 3, false, true},
		{"thousands with everything", 2000, 6, true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			st, err := gen.Write(dir, gen.Options{Records: tc.records, Seed: tc.seed, FollowUp: tc.followUp, Continuity: tc.cont})
			if err != nil {
				t.Fatalf("Write(%d records) = %v", tc.records, err)
			}
			if tc.cont && st.Risks == 0 {
				t.Errorf("Stats = %+v: no risks", st)
			}
			if tc.followUp && (st.Nonconformities == 0 || st.Training == 0) {
				t.Errorf("Stats = %+v: no nonconformities or training records", st)
			}
			paths, findings := validate(t, dir)
			for i, f := range findings {
				if i == 20 {
					t.Errorf("... and %d more", len(findings)-20)
					break
				}
				b, _ := os.ReadFile(filepath.Join(dir, f.Path))
				t.Errorf("%s\n%s", f, b)
			}
			if len(paths) != tc.records {
				t.Errorf("checker found %d records, want %d", len(paths), tc.records)
			}
			sum := 1 + st.Plans + st.Staff + st.Suppliers + st.Tests + st.Incidents + st.Nonconformities + st.Training + st.Risks
			if st.Records != tc.records || sum != tc.records {
				t.Errorf("Stats = %+v: %d records by kind, want %d", st, sum, tc.records)
			}
			for _, p := range paths {
				fi, err := os.Stat(filepath.Join(dir, p))
				if err != nil {
					t.Fatal(err)
				}
				if n := fi.Size(); n < 1024 || n > 4096 {
					t.Errorf("%s is %d bytes, want 1-4 KB", p, n)
				}
			}
		})
	}
}

// TestProportions checks that a repository looks like a real one: mostly
// incidents and tests, every level and status, test chains.
func TestProportions(t *testing.T) {
	dir := t.TempDir()
	st, err := gen.Write(dir, gen.Options{Records: 1000, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if st.Incidents < 450 || st.Tests < 200 || st.Staff < 80 || st.Suppliers < 80 {
		t.Errorf("Stats = %+v, want about 50%% incidents, 25%% tests, 10%% staff and suppliers", st)
	}
	var all []byte
	err = filepath.WalkDir(filepath.Join(dir, "records", "incidents"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		all = append(all, b...)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"level: minimal", "level: moderate", "level: major", "level: catastrophic",
		"status: open", "status: resolved", "status: closed"} {
		if !strings.Contains(string(all), want) {
			t.Errorf("no incident has %q", want)
		}
	}
	ents, _ := os.ReadDir(filepath.Join(dir, "records", "tests"))
	previous := 0
	for _, e := range ents {
		b, _ := os.ReadFile(filepath.Join(dir, "records", "tests", e.Name()))
		if strings.Contains(string(b), "\nprevious: TST-") {
			previous++
		}
	}
	if previous != len(ents)-2 {
		t.Errorf("%d of %d tests have a previous run, want all but the first run of T01 and T02", previous, len(ents))
	}
}

func TestWriteDeterministic(t *testing.T) {
	a, b, c := t.TempDir(), t.TempDir(), t.TempDir()
	for _, x := range []struct {
		dir  string
		seed int64
	}{{a, 5}, {b, 5}, {c, 6}} {
		if _, err := gen.Write(x.dir, gen.Options{Records: 120, Seed: x.seed}); err != nil {
			t.Fatal(err)
		}
	}
	if ta, tb := tree(t, a), tree(t, b); ta != tb {
		t.Errorf("same seed, different files")
	}
	if tree(t, a) == tree(t, c) {
		t.Errorf("different seeds, same files")
	}
}

// tree returns every file of dir with its content, in one string.
func tree(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		c, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		b.WriteString(rel + "\n" + string(c) + "\n")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestWriteRefuses(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := gen.Write(dir, gen.Options{Records: 50}); !errors.Is(err, gen.ErrNotEmpty) {
		t.Errorf("Write(non-empty dir) = %v, want ErrNotEmpty", err)
	}
	tests := []struct {
		name    string
		records int
	}{
		{"negative", -1},
		{"none", 0},
		{"fewer than the minimum", gen.MinRecords - 1},
		{"more than the maximum", gen.MaxRecords + 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := gen.Write(t.TempDir(), gen.Options{Records: tc.records}); err == nil {
				t.Errorf("Write(%d records) = nil error, want one", tc.records)
			}
		})
	}
}

func TestWriteGit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	t.Setenv("HOME", t.TempDir())
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	var heads []string
	for i := 0; i < 2; i++ {
		dir := t.TempDir()
		if _, err := gen.Write(dir, gen.Options{Records: 40, Seed: 9, Git: true}); err != nil {
			t.Fatal(err)
		}
		if out := git(t, dir, "status", "--porcelain"); out != "" {
			t.Errorf("git status after Write:\n%s", out)
		}
		if n := git(t, dir, "rev-list", "--count", "HEAD"); n != "1" {
			t.Errorf("%s commits, want 1", n)
		}
		if n := git(t, dir, "ls-files", "records"); strings.Count(n, "\n")+1 != 40 {
			t.Errorf("%d files committed under records/, want 40", strings.Count(n, "\n")+1)
		}
		heads = append(heads, git(t, dir, "rev-parse", "HEAD"))
	}
	if heads[0] != heads[1] {
		t.Errorf("same options, different commits %s and %s", heads[0], heads[1])
	}
	// The benchmarks' repositories must not change under them: the same
	// options have given this commit since the generator was written.
	if want := "ecc8fdd70397d51c3b5ebf181705095dd7c4e377"; heads[0] != want {
		t.Errorf("Write(40 records, seed 9) made commit %s, want %s: the generator's output changed", heads[0], want)
	}
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := gitcmd.Run(context.Background(), dir, nil, args...)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

// TestWriteHistory checks that a generated signed history, with every kind
// of key, authenticates from its trust root and approves records.
func TestWriteHistory(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("needs git")
	}
	dir := filepath.Join(t.TempDir(), "repo")
	st, err := gen.WriteHistory(dir, gen.HistoryOptions{Records: 60, Seed: 3, Commits: 600})
	if err != nil {
		t.Fatal(err)
	}
	if st.Commits != 600 || st.Merges == 0 || st.Governance == 0 || st.Approvals == 0 {
		t.Errorf("WriteHistory stats = %+v, want 600 commits with merges, staff changes and approvals", st)
	}
	for _, kind := range []string{"ed25519", "rsa3072", "ssh"} {
		if st.Signers[kind] == 0 {
			t.Errorf("no %s signer: %v", kind, st.Signers)
		}
	}
	repo, err := vcs.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	rep, err := approval.Verify(repo, "HEAD", approval.Config{Root: approval.Root{Commit: st.TrustRoot, Signer: st.RootSigner}, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Commits != 600 || len(rep.Failures) != 0 {
		t.Fatalf("Verify = %d commits, failures %v; want 600 and none", rep.Commits, rep.Failures)
	}
	approvals := 0
	for _, s := range rep.Signatures {
		if s.Meaning == "approval" {
			approvals++
		}
	}
	if approvals == 0 {
		t.Errorf("Verify found no approval signatures")
	}
	if len(rep.Warnings) > 0 {
		t.Errorf("Verify warned: %d warnings, the first %+v", len(rep.Warnings), rep.Warnings[0])
	}
}

// TestWriteHistoryForge checks a history whose merges a forge signed, with
// a pull-request branch on top: every merge counts as a forge merge that
// adds nothing, and the branch verifies from the same root.
func TestWriteHistoryForge(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("needs git")
	}
	dir := filepath.Join(t.TempDir(), "repo")
	st, err := gen.WriteHistory(dir, gen.HistoryOptions{Records: 60, Seed: 4, Commits: 300, Forge: true, Branch: 20})
	if err != nil {
		t.Fatal(err)
	}
	if st.ForgeMerges == 0 || st.ForgeMerges != st.Merges || st.BranchCommits != 20 {
		t.Fatalf("WriteHistory stats = %+v, want every merge signed by the forge and 20 branch commits", st)
	}
	repo, err := vcs.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	root := approval.Root{Commit: st.TrustRoot, Signer: st.RootSigner}
	for _, head := range []string{"main", "pr"} {
		rep, err := approval.Verify(repo, head, approval.Config{Root: root, Now: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Failures) != 0 || len(rep.Warnings) != 0 {
			t.Fatalf("Verify %s: failures %v, warnings %v", head, rep.Failures, rep.Warnings)
		}
		if len(rep.HeadForges) != 1 || rep.HeadForges[0] != "GitHub" {
			t.Errorf("Verify %s: head forges %v, want [GitHub]", head, rep.HeadForges)
		}
	}
}
