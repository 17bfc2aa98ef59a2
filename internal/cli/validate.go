package cli

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/check"
	"github.com/qms-tool/qms/internal/config"
	"github.com/qms-tool/qms/internal/policy"
	"github.com/qms-tool/qms/internal/records"
	"github.com/qms-tool/qms/internal/report"
)

type validateOptions struct {
	paths   []string
	staged  bool
	noCache bool
	format  string
}

func validateCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "validate",
		Usage:     "check records: schema, body sections and rules across records",
		ArgsUsage: "[PATH...]",
		Description: "Checks every record of the repository, or reports only on the given files and folders\n" +
			"(rules across records still see the whole repository). With --staged, checks the Git\n" +
			"index as it will be committed instead of the working tree.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "staged", Usage: "check the index (what the next commit will hold), not the working tree"},
			&cli.BoolFlag{Name: "no-cache", Usage: "parse every record again instead of reusing results for unchanged content (.git/qms/records-cache)"},
			ciFormatFlag(),
		},
		Action: func(c *cli.Context) error {
			return runValidate(c.Context, validateOptions{
				paths:   c.Args().Slice(),
				staged:  c.Bool("staged"),
				noCache: c.Bool("no-cache"),
				format:  c.String("format"),
			}, env)
		},
	}
}

func runValidate(_ context.Context, opts validateOptions, env *Env) error {
	if err := checkCIFormat(opts.format); err != nil {
		return err
	}
	w, err := openWorkspace(env, opts.staged)
	if err != nil {
		return err
	}
	defer w.close()
	var only []string
	for _, p := range opts.paths {
		r, err := w.rel(env, p)
		if err != nil {
			return err
		}
		if r != "." && !records.Exists(w.src, r) {
			if _, err := os.Stat(filepath.Join(w.root, r)); err != nil {
				return usagef("%s: no such file or directory", p)
			}
			if opts.staged {
				return withHint(usagef("%s is not staged", p), "'git add %s' first", p)
			}
		}
		only = append(only, r)
	}
	chk := &check.Checker{Kinds: w.kinds}
	if !opts.noCache {
		chk.Cache = w.cache() // read while the records are listed
	}
	paths, fs_, err := records.List(w.kinds, w.src)
	if err != nil {
		return err
	}
	findings := append(w.setup, fs_...)
	tuneGC(env, len(paths))
	res, err := chk.Check(w.src, paths)
	if err != nil {
		return err
	}
	w.saveCache(env, chk.Cache)
	findings = append(findings, res.Findings...)
	// The signing policy as verify will read it: keys that cannot sign
	// now, shared keys and emails, a matrix nobody could change any more.
	// The hook (--staged) checks it when the commit changes it.
	if !opts.staged || w.policyStaged() {
		// Every record was just checked: the policy takes those findings
		// instead of checking the staff records again.
		byPath := make(map[string][]qms.Finding, len(paths))
		for _, p := range paths {
			byPath[p] = nil
		}
		for _, f := range res.Findings {
			if _, ok := byPath[f.Path]; ok && !check.Cross[f.Rule] {
				byPath[f.Path] = append(byPath[f.Path], f)
			}
		}
		if pol, err := policy.LoadChecked(w.src, w.kinds, byPath); err == nil {
			for _, f := range pol.Check(env.Now()) {
				if policy.ValidateRules[f.Rule] {
					findings = append(findings, f)
				}
			}
			findings = append(findings, forgeFindings(w, pol)...)
		}
	}
	checked := len(paths)
	if len(only) > 0 {
		findings = filterPaths(findings, only)
		checked = len(filterStrings(paths, only))
	}
	qms.SortFindings(findings)
	for i := range findings {
		if opts.format == "text" {
			findings[i].Path = w.display(env, findings[i].Path)
		}
	}
	if opts.format == "markdown" {
		err = report.Markdown(env.Stdout, validateSummary(findings, checked, opts.staged), 0)
	} else {
		err = printFindings(env.Stdout, opts.format, findings, map[string]any{"checked": checked})
	}
	if err != nil {
		return err
	}
	errs, warns := count(findings)
	if opts.format == "text" {
		what := "records"
		if opts.staged {
			what = "staged records"
		}
		if checked == 1 {
			what = strings.TrimSuffix(what, "s")
		}
		if errs+warns == 0 {
			fmt.Fprintf(env.Stderr, "qms: %d %s valid\n", checked, what)
		} else {
			fmt.Fprintf(env.Stderr, "qms: %d %s checked: %s, %s\n", checked, what, plural(errs, "error"), plural(warns, "warning"))
		}
	}
	if errs > 0 {
		return errFindings
	}
	return nil
}

// validateSummary is the markdown summary of a validation: the verdict,
// the counts and every finding.
func validateSummary(fs []qms.Finding, checked int, staged bool) report.Summary {
	errs, warns := count(fs)
	what, full := "records", "qms validate --format json"
	if staged {
		what, full = "staged records", "qms validate --staged --format json"
	}
	if checked == 1 {
		what = strings.TrimSuffix(what, "s")
	}
	counts := fmt.Sprintf("%d %s checked: %s, %s.", checked, what, plural(errs, "error"), plural(warns, "warning"))
	if errs+warns == 0 {
		counts = fmt.Sprintf("%d %s valid.", checked, what)
	}
	s := report.Summary{Title: "qms validate", Verdict: verdict(errs > 0), Paragraphs: []report.Line{{report.P(counts)}}, Full: full}
	if len(fs) > 0 {
		s.Tables = append(s.Tables, report.FindingTable("Findings", fs))
	}
	return s
}

// tuneGC trades memory for speed within a budget that grows with the
// repository: checking records allocates far more than it keeps (about
// 65 KB per record, of which 2 KB stay), so the collector's default of
// running whenever the heap doubles makes it run dozens of times. The
// budget, 64 MiB plus 8 KiB a record, bounds what that costs in memory.
// GOGC or GOMEMLIMIT in the environment take precedence.
func tuneGC(env *Env, records int) {
	if env.Getenv("GOGC") != "" || env.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetGCPercent(300)
	debug.SetMemoryLimit(64<<20 + int64(records)*8<<10)
}

func under(p string, only []string) bool {
	for _, o := range only {
		if o == "." || p == o || strings.HasPrefix(p, o+"/") {
			return true
		}
	}
	return false
}

func filterPaths(fs []qms.Finding, only []string) []qms.Finding {
	var out []qms.Finding
	for _, f := range fs {
		if under(f.Path, only) {
			out = append(out, f)
		}
	}
	return out
}

func filterStrings(ps []string, only []string) []string {
	var out []string
	for _, p := range ps {
		if under(p, only) {
			out = append(out, p)
		}
	}
	return out
}

// forgeFindings reports the forge keys qms.yaml declares that verify
// cannot use: a merge signed with one would fail as signed by nobody.
func forgeFindings(w *workspace, pol *policy.Policy) []qms.Finding {
	if w.cfg == nil || len(w.cfg.Forges) == 0 {
		return nil
	}
	b, _ := fs.ReadFile(w.src, config.File)
	line := 1
	if i := bytes.Index(b, []byte("\nforges:")); i >= 0 {
		line = bytes.Count(b[:i+1], []byte("\n")) + 1
	}
	var out []qms.Finding
	for _, f := range (*policy.Memo)(nil).Forges(w.src, w.cfg.Forges, pol) {
		if f.Refused != nil {
			out = append(out, qms.Finding{Path: config.File, Line: line, Column: 1, Rule: "forge", Severity: qms.Error,
				Message: fmt.Sprintf("forge key %s of %s cannot be used: %v", f.Fingerprint, f.Name, f.Refused),
				Hint:    "a forge key is the forge's own public key (e.g. https://github.com/web-flow.gpg), alone in its file in keys/, with the fingerprint qms.yaml gives"})
		}
	}
	return out
}
