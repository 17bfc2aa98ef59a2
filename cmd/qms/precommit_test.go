package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qms-tool/qms/internal/testkit/need"
)

// TestPreCommitFramework runs the real pre-commit framework with this
// project's .pre-commit-hooks.yaml and sees a bad record refused.
func TestPreCommitFramework(t *testing.T) {
	need.Tool(t, need.PreCommit, "pre-commit")
	work := t.TempDir()
	bin := filepath.Join(work, "bin")
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "qms"), ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	env := append(os.Environ(),
		"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"HOME="+filepath.Join(work, "home"),
		"PRE_COMMIT_HOME="+filepath.Join(work, "pre-commit-cache"),
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=Anna Keller", "GIT_AUTHOR_EMAIL=anna.keller@example.com",
		"GIT_COMMITTER_NAME=Anna Keller", "GIT_COMMITTER_EMAIL=anna.keller@example.com",
	)
	run := func(dir string, name string, args ...string) (string, error) {
		cmd := exec.Command(name, args...)
		cmd.Dir, cmd.Env = dir, env
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	must := func(dir string, name string, args ...string) string {
		t.Helper()
		out, err := run(dir, name, args...)
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return out
	}

	// The hook repository pre-commit clones: this project's hook file.
	hooks := filepath.Join(work, "hooks")
	must(work, "git", "init", "-q", "-b", "main", hooks)
	def, err := os.ReadFile("../../.pre-commit-hooks.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(hooks, ".pre-commit-hooks.yaml"), def, 0o644); err != nil {
		t.Fatal(err)
	}
	must(hooks, "git", "add", ".")
	must(hooks, "git", "commit", "-q", "-m", "hooks")
	rev := strings.TrimSpace(must(hooks, "git", "rev-parse", "HEAD"))

	repo := filepath.Join(work, "qms")
	must(work, filepath.Join(bin, "qms"), "init", "--example", repo)
	cfg := "repos:\n  - repo: " + hooks + "\n    rev: " + rev + "\n    hooks:\n      - id: qms-validate\n"
	if err := os.WriteFile(filepath.Join(repo, ".pre-commit-config.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	must(repo, "pre-commit", "install")
	must(repo, "git", "add", ".")
	out := must(repo, "git", "commit", "-q", "-m", "Start the QMS")
	if !strings.Contains(out, "qms validate") || !strings.Contains(out, "Passed") {
		t.Errorf("first commit: hook did not run and pass:\n%s", out)
	}

	p := filepath.Join(repo, "records", "incidents", "INC-2026-0003.md")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(b), "level: minimal", "level: severe", 1)
	if bad == string(b) {
		t.Fatal("fixture changed: INC-2026-0003 has no 'level: minimal'")
	}
	if err := os.WriteFile(p, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	must(repo, "git", "add", ".")
	out, err = run(repo, "git", "commit", "-q", "-m", "Break a record")
	if err == nil {
		t.Fatalf("commit of a bad record was accepted:\n%s", out)
	}
	if !strings.Contains(out, "records/incidents/INC-2026-0003.md:") || !strings.Contains(out, "[enum]") {
		t.Errorf("hook output does not name the finding:\n%s", out)
	}
	if head := must(repo, "git", "log", "--oneline"); strings.Count(head, "\n") != 1 {
		t.Errorf("history should hold only the first commit:\n%s", head)
	}
}
