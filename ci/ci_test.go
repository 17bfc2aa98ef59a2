// Package ci holds no code: its tests run the CI integrations the project
// ships (action.yml with ci/action.sh, and ci/qms.gitlab-ci.yml) the way
// GitHub Actions and GitLab CI would, on temporary QMS repositories, with
// nothing from the network: qms is built from this checkout.
package ci

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/qms-tool/qms/internal/testkit/gitlab"
	"github.com/qms-tool/qms/internal/testkit/testrepo"
)

// root is this checkout: the action's own path, as GitHub checks it out.
const root = ".."

// action is action.yml, read strictly: a key this does not know is an
// error, so a typo in the action fails the test.
type action struct {
	Name, Description string
	Branding          map[string]string
	Inputs            map[string]struct {
		Description string
		Required    bool
		Default     string
	}
	Outputs map[string]struct{ Description, Value string }
	Runs    struct {
		Using string
		Steps []step
	}
}

type step struct {
	Name, ID, If, Uses, Shell, Run string
	With, Env                      map[string]string
	WorkingDirectory               string `yaml:"working-directory"`
}

func readAction(t *testing.T) *action {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var a action
	if err := yaml.UnmarshalWithOptions(b, &a, yaml.DisallowUnknownField(), yaml.Strict()); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	return &a
}

// qmsLab is a signed QMS: the example, with Anna Keller (the governor)
// holding a key of the lab, her first commit the trust root.
type qmsLab struct {
	*testrepo.Lab
	anna, root string
}

func newQMS(t *testing.T) *qmsLab {
	l := &qmsLab{Lab: testrepo.New(t)}
	l.anna = l.GPGKey("Anna Keller <anna.keller@example.com>", "ed25519")
	l.Run(l.Dir, nil, qmsBinary(t), "init", "--example", l.Repo)
	staff := filepath.Join(l.Repo, "records/staff/akeller.md")
	b, err := os.ReadFile(staff)
	if err != nil {
		t.Fatal(err)
	}
	l.Write("records/staff/akeller.md", regexp.MustCompile(`fingerprint: [0-9A-F]+`).ReplaceAllString(string(b), "fingerprint: "+l.anna))
	l.Write("keys/akeller.asc", l.ExportGPG(l.anna))
	first := l.Commit(l.anna, "Start the QMS")
	l.root = first + ":" + l.anna
	cfg, err := os.ReadFile(filepath.Join(l.Repo, "qms.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	l.Write("qms.yaml", string(cfg)+fmt.Sprintf("trust_root:\n  commit: %s\n  fingerprint: %s\n", first, l.anna))
	l.Commit(l.anna, "Trust root")
	return l
}

// clone is the checkout CI makes of the lab's repository: depth 0 for all
// of it, else that many commits. It is detached, as CI runners leave it.
func (l *qmsLab) clone(t *testing.T, depth int) string {
	dir := filepath.Join(t.TempDir(), "checkout")
	args := []string{"clone", "-q"}
	if depth > 0 {
		args = append(args, "--depth", fmt.Sprint(depth))
	}
	l.Run(l.Dir, nil, "git", append(args, "file://"+l.Repo, dir)...)
	l.Run(dir, nil, "git", "checkout", "-q", "--detach")
	return dir
}

// prClone is the checkout CI makes of a pull request: a branch "pr" with
// one signed change of an incident on top of main, checked out detached.
// The lab's repository stays on main.
func (l *qmsLab) prClone(t *testing.T) string {
	if out := l.Run(l.Repo, nil, "git", "branch", "--list", "pr"); strings.TrimSpace(out) == "" {
		l.Run(l.Repo, nil, "git", "checkout", "-q", "-b", "pr")
		p := filepath.Join(l.Repo, "records/incidents/INC-2026-0003.md")
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		l.Write("records/incidents/INC-2026-0003.md", string(b)+"\nThe provider confirmed the delay.\n")
		l.Commit(l.anna, "Update INC-2026-0003")
		l.Run(l.Repo, nil, "git", "checkout", "-q", "main")
	}
	dir := l.clone(t, 0)
	l.Run(dir, nil, "git", "checkout", "-q", "--detach", "origin/pr")
	return dir
}

// broken commits a record that does not validate.
func (l *qmsLab) broken() {
	p := filepath.Join(l.Repo, "records/staff/snguyen.md")
	b, err := os.ReadFile(p)
	if err != nil {
		l.T.Fatal(err)
	}
	l.Write("records/staff/snguyen.md", strings.Replace(string(b), "roles: [JD-005]", "roles: [JD-009]", 1))
	l.Commit(l.anna, "A role nobody declared")
}

var (
	buildOnce sync.Once
	built     string
	buildErr  error
	tempDir   string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if tempDir != "" {
		os.RemoveAll(tempDir)
	}
	os.Exit(code)
}

// runnerTemp is $RUNNER_TEMP, shared by the tests: the action's install
// step builds qms there once.
func runnerTemp(t *testing.T) string {
	if tempDir == "" {
		d, err := os.MkdirTemp("", "qms-ci")
		if err != nil {
			t.Fatal(err)
		}
		tempDir = d
	}
	return tempDir
}

// qmsBinary is qms as the action's install step builds it from this
// checkout (the real step, run once).
func qmsBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		a := readAction(t)
		var install *step
		for i, s := range a.Runs.Steps {
			if s.ID == "install" {
				install = &a.Runs.Steps[i]
			}
		}
		if install == nil {
			buildErr = fmt.Errorf("action.yml has no step with id install")
			return
		}
		r := newRunner(t, a, t.TempDir(), nil)
		res := r.step(install, map[string]string{})
		if res.code != 0 {
			buildErr = fmt.Errorf("install step: exit %d\n%s", res.code, res.log)
			return
		}
		if !strings.Contains(res.log, "building qms from ") || !strings.Contains(res.log, "qms version test") {
			buildErr = fmt.Errorf("install step did not build qms from this checkout:\n%s", res.log)
			return
		}
		built = filepath.Join(runnerTemp(t), "qms-action", "qms")
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return built
}

// runner runs the steps of action.yml as GitHub Actions does: each step
// in bash (-eo pipefail) with its env and working directory, its own
// $GITHUB_OUTPUT and $GITHUB_STEP_SUMMARY, expressions replaced.
type runner struct {
	t         *testing.T
	a         *action
	workspace string
	env       []string
}

type result struct {
	ran     bool
	code    int
	log     string // stdout and stderr
	summary string
	outputs map[string]string
}

// newRunner makes a runner on a checkout; extra adds to the environment
// (GITHUB_EVENT_NAME and such).
func newRunner(t *testing.T, a *action, workspace string, extra []string) *runner {
	// A home of its own and no git configuration but the repository's,
	// as on a fresh runner; Go's caches as the test's, and no network.
	home := t.TempDir()
	base := []string{"HOME=" + home, "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=" + filepath.Join(home, "gitconfig"),
		"GOPROXY=off", "GOSUMDB=off", "GOTOOLCHAIN=local"}
	for _, k := range []string{"GOCACHE", "GOMODCACHE", "GOPATH", "GOFLAGS"} {
		out, err := exec.Command("go", "env", k).Output()
		if err != nil {
			t.Fatalf("go env %s: %v", k, err)
		}
		base = append(base, k+"="+strings.TrimSpace(string(out)))
	}
	var clean []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "GITHUB_") || strings.HasPrefix(k, "RUNNER_") || strings.HasPrefix(k, "QMS_") || strings.HasPrefix(k, "CI_") || strings.HasPrefix(k, "GIT_") {
			continue
		}
		clean = append(clean, kv)
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	env := append(clean, base...)
	env = append(env, "GITHUB_ACTIONS=true", "GITHUB_WORKSPACE="+workspace, "GITHUB_ACTION_PATH="+abs, "RUNNER_TEMP="+runnerTemp(t))
	return &runner{t: t, a: a, workspace: workspace, env: append(env, extra...)}
}

var expression = regexp.MustCompile(`\$\{\{\s*(.*?)\s*\}\}`)

// eval replaces the expressions the action uses; any other fails the test.
func (r *runner) eval(s string, inputs map[string]string) string {
	abs, _ := filepath.Abs(root)
	return expression.ReplaceAllStringFunc(s, func(m string) string {
		e := expression.FindStringSubmatch(m)[1]
		switch {
		case strings.HasPrefix(e, "inputs."):
			name := strings.TrimPrefix(e, "inputs.")
			in, ok := r.a.Inputs[name]
			if !ok {
				r.t.Fatalf("action.yml uses input %q, which it does not declare", name)
			}
			if v, ok := inputs[name]; ok {
				return v
			}
			return in.Default
		case e == "github.action_path":
			return abs
		case e == "github.action_ref":
			return "test"
		}
		r.t.Fatalf("action.yml: this test does not know the expression %s", m)
		return ""
	})
}

// step runs one run step.
func (r *runner) step(s *step, inputs map[string]string) result {
	t := r.t
	if s.Shell != "bash" {
		t.Fatalf("step %q: shell %q, want bash (the script is bash)", s.Name, s.Shell)
	}
	dir := t.TempDir()
	script := filepath.Join(dir, "step.sh")
	if err := os.WriteFile(script, []byte(r.eval(s.Run, inputs)), 0o644); err != nil {
		t.Fatal(err)
	}
	summary, output := filepath.Join(dir, "summary.md"), filepath.Join(dir, "output")
	for _, f := range []string{summary, output} {
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", script)
	cmd.Dir = filepath.Join(r.workspace, r.eval(s.WorkingDirectory, inputs))
	cmd.Env = append(append([]string{}, r.env...), "GITHUB_STEP_SUMMARY="+summary, "GITHUB_OUTPUT="+output)
	for k, v := range s.Env {
		cmd.Env = append(cmd.Env, k+"="+r.eval(v, inputs))
	}
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	res := result{ran: true, outputs: map[string]string{}}
	if err := cmd.Run(); err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("step %q: %v", s.Name, err)
		}
		res.code = ee.ExitCode()
	}
	res.log = log.String()
	b, _ := os.ReadFile(summary)
	res.summary = string(b)
	b, _ = os.ReadFile(output)
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			res.outputs[k] = v
		}
	}
	return res
}

var stepCondition = regexp.MustCompile(`^\$\{\{ !cancelled\(\) && steps\.([a-z-]+)\.outcome == 'success' \}\}$`)

// run runs the action's steps after install (done once, by qmsBinary)
// and returns each step's result by id.
func (r *runner) run(inputs map[string]string) map[string]result {
	qmsBinary(r.t)
	results := map[string]result{"install": {ran: true}}
	failed := false
	for i := range r.a.Runs.Steps {
		s := &r.a.Runs.Steps[i]
		if s.Uses != "" || s.ID == "install" {
			continue
		}
		switch m := stepCondition.FindStringSubmatch(s.If); {
		case s.If == "" && failed:
			continue
		case s.If != "" && m == nil:
			r.t.Fatalf("step %q: this test does not know the condition %q", s.Name, s.If)
		case m != nil && (!results[m[1]].ran || results[m[1]].code != 0):
			continue
		}
		res := r.step(s, inputs)
		results[s.ID] = res
		failed = failed || res.code != 0
	}
	return results
}

// TestActionFile checks action.yml itself: a composite action with the
// documented inputs, setting up Go from qms's own go.mod, every shell
// step in ci/action.sh, outputs that name real steps.
func TestActionFile(t *testing.T) {
	a := readAction(t)
	if a.Runs.Using != "composite" {
		t.Errorf("runs.using = %q, want composite", a.Runs.Using)
	}
	for _, in := range []string{"version", "trust-root", "strict", "working-directory", "go-version"} {
		if _, ok := a.Inputs[in]; !ok {
			t.Errorf("no input %q", in)
		}
	}
	if d := a.Inputs["trust-root"].Description; !strings.Contains(d, "never") || !strings.Contains(d, "vars.QMS_TRUST_ROOT") {
		t.Errorf("the trust-root input does not say it must come from the settings: %q", d)
	}
	ids := map[string]bool{}
	setupGo := false
	for _, s := range a.Runs.Steps {
		ids[s.ID] = true
		switch {
		case strings.HasPrefix(s.Uses, "actions/setup-go@"):
			setupGo = true
			if s.With["go-version-file"] != "${{ github.action_path }}/go.mod" {
				t.Errorf("setup-go takes the Go version from %q, want qms's go.mod", s.With["go-version-file"])
			}
		case s.Uses != "":
			t.Errorf("step %q uses %s: the action needs only setup-go", s.Name, s.Uses)
		case !strings.HasPrefix(s.Run, `"$GITHUB_ACTION_PATH/ci/action.sh" `):
			t.Errorf("step %q runs %q: the steps belong in ci/action.sh, where the test runs them", s.Name, s.Run)
		}
	}
	if !setupGo {
		t.Error("no actions/setup-go step")
	}
	for name, o := range a.Outputs {
		m := regexp.MustCompile(`^\$\{\{ steps\.([a-z-]+)\.outputs\.exit \}\}$`).FindStringSubmatch(o.Value)
		if m == nil || !ids[m[1]] {
			t.Errorf("output %s = %q names no step's exit", name, o.Value)
		}
	}
}

// TestAction runs the action's steps on checkouts of a signed QMS.
func TestAction(t *testing.T) {
	a := readAction(t)
	l := newQMS(t)
	full := l.clone(t, 0)

	t.Run("passed", func(t *testing.T) {
		res := newRunner(t, a, full, []string{"GITHUB_EVENT_NAME=push"}).run(map[string]string{"trust-root": l.root})
		val, ver := res["validate"], res["verify"]
		if val.code != 0 || ver.code != 0 {
			t.Fatalf("validate exit %d, verify exit %d, want 0, 0\n%s%s", val.code, ver.code, val.log, ver.log)
		}
		if val.outputs["exit"] != "0" || ver.outputs["exit"] != "0" {
			t.Errorf("outputs: validate %v, verify %v; want exit=0", val.outputs, ver.outputs)
		}
		want(t, val.summary, "^## qms validate: passed$", "^29 records valid\\.$")
		want(t, ver.summary, "^## qms verify: passed$", "\\(from QMS\\\\_TRUST\\\\_ROOT\\)", "^0 of 29 records approved\\.$",
			"^\\| `records/plans/GP-100-r3.md` \\| draft \\| needs review")
		want(t, ver.log, "^::notice title=qms verify::29 of 29 records are not approved")
		dont(t, ver.log, "::warning", "::error")
	})

	t.Run("strict", func(t *testing.T) {
		res := newRunner(t, a, full, nil).run(map[string]string{"trust-root": l.root, "strict": "true"})
		ver := res["verify"]
		if ver.code != 1 || ver.outputs["exit"] != "1" {
			t.Fatalf("verify --strict: exit %d, outputs %v; want 1\n%s", ver.code, ver.outputs, ver.log)
		}
		want(t, ver.log, "^::error file=records/plans/GP-100-r3.md,line=1,title=qms draft::", "^qms verify: problems found; every finding is in the job summary$")
		want(t, ver.summary, "^## qms verify: failed$", "With --strict, every record must be\\.$")
	})

	t.Run("no trust root", func(t *testing.T) {
		res := newRunner(t, a, l.clone(t, 0), nil).run(nil)
		ver := res["verify"]
		if ver.code != 0 {
			t.Fatalf("verify: exit %d\n%s", ver.code, ver.log)
		}
		want(t, ver.log, "^::warning title=qms verify: no trust root::no trust-root was given")
		want(t, ver.summary, `\(from qms.yaml \(the earliest introduction in the history\)\)`)
	})

	t.Run("shallow", func(t *testing.T) {
		res := newRunner(t, a, l.clone(t, 1), nil).run(map[string]string{"trust-root": l.root})
		val, ver := res["validate"], res["verify"]
		if val.code != 0 {
			t.Errorf("validate on a shallow clone: exit %d\n%s", val.code, val.log)
		}
		if ver.code != 3 || ver.outputs["exit"] != "3" {
			t.Fatalf("verify on a shallow clone: exit %d, outputs %v; want 3\n%s", ver.code, ver.outputs, ver.log)
		}
		want(t, ver.log, "^::error title=qms verify: shallow clone::.*set 'fetch-depth: 0' on actions/checkout",
			"^qms: this clone is shallow", "^::error title=qms verify::qms verify could not run \\(exit status 3\\)")
		want(t, ver.summary, "^## qms verify: could not run$", "^qms: this clone is shallow",
			"in GitHub Actions set fetch-depth: 0 on actions/checkout", "^Exit status 3: an operational failure\\.$")
	})

	t.Run("pull request", func(t *testing.T) {
		dir := l.prClone(t)
		res := newRunner(t, a, dir, []string{"GITHUB_EVENT_NAME=pull_request", "GITHUB_BASE_REF=main", "GITHUB_HEAD_REF=pr"}).run(map[string]string{"trust-root": l.root})
		ver := res["verify"]
		if ver.code != 0 {
			t.Fatalf("verify of a pull request: exit %d\n%s", ver.code, ver.log)
		}
		want(t, ver.summary, "^## qms verify --base origin/main: passed$", "^1 commit on top of `origin/main`",
			"^### Merge strategies$", "^\\| squash \\| no \\|", "^\\| `records/incidents/INC-2026-0003.md` \\| draft \\|")
		dont(t, ver.summary, "GP-100-r3")
		// 'none' verifies HEAD alone.
		res = newRunner(t, a, dir, []string{"GITHUB_EVENT_NAME=pull_request", "GITHUB_BASE_REF=main"}).run(map[string]string{"trust-root": l.root, "base": "none"})
		want(t, res["verify"].summary, "^## qms verify: passed$")
	})

	t.Run("findings", func(t *testing.T) {
		l.broken()
		res := newRunner(t, a, l.clone(t, 0), nil).run(map[string]string{"trust-root": l.root})
		val, ver := res["validate"], res["verify"]
		if val.code != 1 || val.outputs["exit"] != "1" {
			t.Fatalf("validate: exit %d, outputs %v; want 1\n%s", val.code, val.outputs, val.log)
		}
		if !ver.ran {
			t.Fatal("verify did not run after validate failed")
		}
		want(t, val.log, `^::error file=records/staff/snguyen.md,line=5,col=9,title=qms role-unknown::roles\[0\]: role "JD-009"`)
		want(t, val.summary, "^## qms validate: failed$", "^29 records checked: 1 error, 0 warnings\\.$",
			"^\\| `records/staff/snguyen.md:5:9` \\| `role-unknown` \\| error \\| roles\\\\\\[0\\\\\\]: role \"JD-009\"")
	})
}

// TestGitLabTemplate runs the script of the GitLab template's job as a
// GitLab runner does (one bash, -eo pipefail) in a checkout, and checks
// its reports: the Code Quality file against GitLab's format, the
// markdown report.
func TestGitLabTemplate(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, "ci", "qms.gitlab-ci.yml"))
	if err != nil {
		t.Fatal(err)
	}
	type job struct {
		Stage, Image string
		Variables    map[string]string
		Script       []string
		Artifacts    struct {
			When     string
			ExposeAs string `yaml:"expose_as"`
			Paths    []string
			Reports  struct{ Codequality string }
		}
	}
	var tpl struct{ Qms job }
	if err := yaml.UnmarshalWithOptions(b, &tpl, yaml.DisallowUnknownField(), yaml.Strict()); err != nil {
		t.Fatalf("ci/qms.gitlab-ci.yml: %v", err)
	}
	j := tpl.Qms
	if j.Variables["GIT_DEPTH"] != "0" {
		t.Errorf("GIT_DEPTH = %q, want \"0\" (verification needs the whole history)", j.Variables["GIT_DEPTH"])
	}
	if j.Artifacts.Reports.Codequality != "gl-code-quality-report.json" || j.Artifacts.When != "always" || len(j.Artifacts.Paths) != 1 || j.Artifacts.Paths[0] != "qms-report.md" {
		t.Errorf("artifacts = %+v, want the Code Quality report and qms-report.md, always", j.Artifacts)
	}
	if _, set := j.Variables["QMS_TRUST_ROOT"]; set {
		t.Error("the template sets QMS_TRUST_ROOT: it must come from the CI/CD settings")
	}
	bin := filepath.Dir(qmsBinary(t))
	l := newQMS(t)

	run := func(t *testing.T, dir string, env ...string) (int, string) {
		cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", strings.Join(j.Script, "\n"))
		cmd.Dir = dir
		cmd.Env = newRunner(t, nil, dir, nil).env
		cmd.Env = append(cmd.Env, "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "CI=true", "GITLAB_CI=true", "CI_PROJECT_DIR="+dir)
		for k, v := range j.Variables {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		cmd.Env = append(cmd.Env, env...)
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return code, string(out)
	}
	reports := func(t *testing.T, dir string) (issues []map[string]any, md string) {
		b, err := os.ReadFile(filepath.Join(dir, "gl-code-quality-report.json"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := gitlab.CheckCodeQuality(b); err != nil {
			t.Fatalf("%v\n%s", err, b)
		}
		if err := json.Unmarshal(b, &issues); err != nil {
			t.Fatal(err)
		}
		m, err := os.ReadFile(filepath.Join(dir, "qms-report.md"))
		if err != nil {
			t.Fatal(err)
		}
		return issues, string(m)
	}

	t.Run("passed", func(t *testing.T) {
		dir := l.clone(t, 0)
		code, log := run(t, dir, "QMS_TRUST_ROOT="+l.root)
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, log)
		}
		dont(t, log, "warning")
		issues, md := reports(t, dir)
		if len(issues) != 29 || issues[0]["severity"] != "info" || issues[0]["check_name"] != "not-approved" {
			t.Errorf("%d issues, the first %v; want the 29 records not approved, as info", len(issues), issues[0])
		}
		want(t, md, "^## qms validate: passed$", "^## qms verify: passed$", "\\(from QMS\\\\_TRUST\\\\_ROOT\\)")
	})

	t.Run("merge request", func(t *testing.T) {
		dir := l.prClone(t)
		code, log := run(t, dir, "QMS_TRUST_ROOT="+l.root, "CI_MERGE_REQUEST_TARGET_BRANCH_NAME=main")
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, log)
		}
		issues, md := reports(t, dir)
		if len(issues) != 1 || issues[0]["location"].(map[string]any)["path"] != "records/incidents/INC-2026-0003.md" {
			t.Errorf("issues %v: want the one record the merge request changes", issues)
		}
		want(t, md, "^## qms verify --base origin/main: passed$", "^### Merge strategies$")
	})

	t.Run("findings, shallow, strict", func(t *testing.T) {
		l.broken()
		// A working copy left shallow: the script fetches the rest.
		dir := l.clone(t, 2)
		code, log := run(t, dir, "QMS_TRUST_ROOT="+l.root, "QMS_STRICT=true")
		if code != 1 {
			t.Fatalf("exit %d, want 1\n%s", code, log)
		}
		want(t, log, `^records/staff/snguyen.md:5:9: roles\[0\]: role "JD-009" is not declared`)
		issues, md := reports(t, dir)
		if issues[0]["check_name"] != "role-unknown" || issues[0]["severity"] != "major" || issues[1]["severity"] != "major" {
			t.Errorf("issues %v, %v: want validate's error first, then records not approved, major under --strict", issues[0], issues[1])
		}
		want(t, md, "^## qms validate: failed$", "^## qms verify: failed$", "With --strict, every record must be\\.$")
	})

	t.Run("no trust root", func(t *testing.T) {
		dir := l.clone(t, 0)
		_, log := run(t, dir)
		want(t, log, "^qms: warning: QMS_TRUST_ROOT is not set")
	})
}

func want(t *testing.T, text string, patterns ...string) {
	t.Helper()
	for _, p := range patterns {
		if !regexp.MustCompile("(?m)" + p).MatchString(text) {
			t.Errorf("no match for %s in:\n%s", p, text)
		}
	}
}

func dont(t *testing.T, text string, substrings ...string) {
	t.Helper()
	for _, s := range substrings {
		if strings.Contains(text, s) {
			t.Errorf("%q in:\n%s", s, text)
		}
	}
}
