package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/qms-tool/qms/internal/archive/vault"
	"github.com/qms-tool/qms/internal/gitcmd"
	"github.com/qms-tool/qms/internal/records"
	"github.com/qms-tool/qms/internal/store"
)

type drillOptions struct {
	locationOptions
	name, key, tier, test, service string
	days                           int
	wait                           time.Duration
	keep                           bool
	executedBy                     []string
}

func archiveDrillCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "drill",
		Usage:     "the plan's periodic restoration test: restore an archive, check it, and write the test report",
		ArgsUsage: "[NAME]",
		Description: "Takes the newest archive at the location (or NAME), restores it from Glacier when\n" +
			"needed and downloads it into a temporary directory, checks signature, bag and\n" +
			"manifests, clones the bundle, runs 'qms validate' and 'qms verify' on the clone and\n" +
			"compares its files with the archive's data/tree, timing every step. Then it writes a\n" +
			"draft test report (a 'test' record of the plan's drill test, archive.drill_test or\n" +
			"--test, with the times given for archive.drill_service or --service) that validates\n" +
			"as written, and exits 1 when the drill found deviations.",
		Flags: append(locationFlags(),
			&cli.StringFlag{Name: "key", Usage: "armored OpenPGP public key `FILE` the signature must verify against"},
			&cli.StringFlag{Name: "tier", Value: "Standard", Usage: "Glacier restore tier: Expedited, Standard or Bulk"},
			&cli.IntFlag{Name: "days", Value: 1, Usage: "how many days the restored copy stays readable"},
			&cli.DurationFlag{Name: "wait", Value: 48 * time.Hour, Usage: "how long to wait for the restore before giving up"},
			&cli.StringFlag{Name: "test", Usage: "the plan's test `ID` the report is a run of (default: qms.yaml archive.drill_test)"},
			&cli.StringFlag{Name: "service", Usage: "the plan's `SERVICE` the measured times are for (default: qms.yaml archive.drill_service)"},
			&cli.BoolFlag{Name: "keep", Usage: "keep the temporary directory (its path is printed)"},
			&cli.StringSliceFlag{Name: "executed-by", Usage: "staff `ID` who ran the drill (default: the staff record of your git user.email)"},
		),
		Action: func(c *cli.Context) error {
			if c.NArg() > 1 {
				return usagef("archive drill takes at most one archive name, got %d", c.NArg())
			}
			o := drillOptions{name: c.Args().First(), key: c.String("key"), tier: c.String("tier"), test: c.String("test"),
				service: c.String("service"), days: c.Int("days"), wait: c.Duration("wait"), keep: c.Bool("keep"), executedBy: c.StringSlice("executed-by")}
			o.read(c)
			return runDrill(c.Context, o, env)
		},
	}
}

// drillStep is one timed step of the drill.
type drillStep struct {
	name   string
	took   time.Duration
	result string
}

func runDrill(ctx context.Context, o drillOptions, env *Env) error {
	tier, err := store.ParseTier(o.tier)
	if err != nil {
		return usageError{msg: err.Error()}
	}
	if o.name != "" {
		if err := vault.CheckLocalName(o.name); err != nil {
			return usagef("%q is not an archive name", o.name)
		}
	}
	ws, st, err := openLocation(ctx, env, o.locationOptions)
	if err != nil {
		return err
	}
	defer ws.close()
	if ws == nil {
		return withHint(usagef("archive drill writes its report into the QMS repository: run it there"), "cd into the repository")
	}
	test, service := firstSet(o.test, ws.cfg.Archive.DrillTest), firstSet(o.service, ws.cfg.Archive.DrillService)
	if test == "" || service == "" {
		return withHint(usagef("which test of the plan is the restoration drill, and for which service: set archive.drill_test and archive.drill_service in qms.yaml (or --test, --service)"),
			"declare it in the plan, e.g. tests: [{id: T03, name: Archive restoration drill, every_months: 12}], and a service for the QMS records in its services, e.g. qms-records: {description: The quality records, objectives: {rto_minutes: 2880, rpo_minutes: 1440}, contacts: {primary: ...}}")
	}
	var pub []byte
	if o.key != "" {
		if pub, err = os.ReadFile(absPath(env, o.key)); err != nil {
			return err
		}
	}
	name := o.name
	if name == "" {
		if name, err = vault.Latest(ctx, st); err != nil {
			return archiveError(st, err)
		}
	}
	tmp, err := os.MkdirTemp("", "qms-drill-*")
	if err != nil {
		return err
	}
	if o.keep {
		fmt.Fprintf(env.Stdout, "working in %s (kept)\n", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	fmt.Fprintf(env.Stdout, "drill of %s from %s\n", name, st)

	start := env.Now()
	var steps []drillStep
	var deviations []string
	step := func(name string, fn func() (string, []string, error)) error {
		t0 := env.Now()
		result, dev, err := fn()
		s := drillStep{name: name, took: env.Now().Sub(t0), result: result}
		steps = append(steps, s)
		deviations = append(deviations, dev...)
		fmt.Fprintf(env.Stdout, "%-9s %7s  %s\n", s.name, s.took.Round(time.Millisecond), s.result)
		return err
	}

	// 1. Restore: Glacier, download, signature, bag, manifests, extract.
	var res vault.Restored
	err = step("restore", func() (string, []string, error) {
		var err error
		res, err = vault.Restore(ctx, st, name, vault.RestoreOptions{Out: tmp, Days: o.days, Tier: tier, Key: pub, KeyName: o.key,
			Wait: vault.WaitOptions{Max: o.wait, Progress: restoreProgress(env, tier, o.days)}})
		if err != nil {
			return "failed", []string{fmt.Sprintf("restore of %s failed: %v", name, err)}, archiveError(st, err)
		}
		var dev []string
		for _, f := range res.Findings {
			dev = append(dev, fmt.Sprintf("restore: %s: %s [%s]", f.Path, f.Message, f.Rule))
		}
		if len(dev) > 0 {
			return fmt.Sprintf("%s: do not trust this copy", plural(len(dev), "problem")), dev, nil
		}
		return fmt.Sprintf("signature good (%s), bag and manifests checked, extracted", res.Signer), nil, nil
	})
	if err != nil {
		return err
	}
	clone := filepath.Join(tmp, "clone")
	if res.Dir != "" {
		tree, bundle := vault.Layout(res.Dir)
		cloned := false
		step("clone", func() (string, []string, error) {
			if _, err := gitcmd.Run(ctx, tmp, nil, "clone", "--quiet", bundle, clone); err != nil {
				return "failed", []string{fmt.Sprintf("git clone of the bundle failed: %v", err)}, nil
			}
			cloned = true
			return "the bundle cloned", nil, nil
		})
		if cloned {
			sub := *env
			sub.Dir = clone
			step("validate", func() (string, []string, error) {
				return drillRun("qms validate", &sub, func(e *Env) error { return runValidate(ctx, validateOptions{format: "text", noCache: true}, e) })
			})
			step("verify", func() (string, []string, error) {
				return drillRun("qms verify", &sub, func(e *Env) error { return runVerify(ctx, verifyOptions{format: "text", noCache: true}, e) })
			})
			step("compare", func() (string, []string, error) {
				diff, err := vault.CompareTree(tree, clone)
				if err != nil {
					return "failed", []string{fmt.Sprintf("comparing the clone with data/tree failed: %v", err)}, nil
				}
				if len(diff) > 0 {
					return fmt.Sprintf("%s differ", plural(len(diff), "file")), diff, nil
				}
				return "the clone's files are the archive's data/tree", nil, nil
			})
		}
	}
	finish := env.Now()
	p, err := writeDrillReport(ctx, env, ws, drillReport{name: name, store: st.String(), test: test, service: service,
		start: start, finish: finish, steps: steps, deviations: deviations, restored: res, executedBy: o.executedBy})
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "report    %s (a draft: complete the review, then approve it)\n", p)
	if len(deviations) > 0 {
		fmt.Fprintf(env.Stdout, "%s: the drill found %s\n", name, plural(len(deviations), "deviation"))
		return errFindings
	}
	fmt.Fprintf(env.Stdout, "%s: restored and checked in %s\n", name, finish.Sub(start).Round(time.Millisecond))
	return nil
}

// drillRun runs one of qms's own checks on the clone and turns its
// verdict into deviations.
func drillRun(what string, env *Env, run func(*Env) error) (string, []string, error) {
	var out bytes.Buffer
	e := *env
	e.Stdout, e.Stderr, e.IsTerminal = &out, &out, false
	err := run(&e)
	switch {
	case err == nil:
		return "ok", nil, nil
	case errors.Is(err, errFindings):
		var dev []string
		for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			if strings.Contains(line, ": ") && strings.HasSuffix(line, "]") {
				dev = append(dev, what+" on the clone: "+line)
			}
		}
		if len(dev) == 0 {
			dev = []string{what + " on the clone found problems"}
		}
		return plural(len(dev), "finding"), dev, nil
	default:
		return "failed", []string{fmt.Sprintf("%s on the clone failed: %v", what, err)}, nil
	}
}

type drillReport struct {
	name, store, test, service string
	start, finish              time.Time
	steps                      []drillStep
	deviations                 []string
	restored                   vault.Restored
	executedBy                 []string
}

// writeDrillReport writes the drill's test report as 'qms new test' would
// (the next id, the plan in force, the author), with what the drill
// measured, and checks that it validates as written.
func writeDrillReport(ctx context.Context, env *Env, ws *workspace, r drillReport) (string, error) {
	// Whole minutes, rounded up: a drill of 10 s took at most 1 minute.
	minutes := func(d time.Duration) string { return fmt.Sprint(int64(math.Ceil(d.Minutes()))) }
	commitTime, ok := vault.CommitTime(r.name)
	rpo := r.start.Sub(commitTime)
	if !ok || rpo < 0 {
		rpo = 0
	}
	jsonList := func(v []string) string {
		if v == nil {
			v = []string{}
		}
		b, _ := json.Marshal(v)
		return string(b)
	}
	outcome := "pass"
	if len(r.deviations) > 0 {
		outcome = "fail"
	}
	sets := []string{
		"test=" + r.test,
		"started_at=" + r.start.Format(time.RFC3339),
		"finished_at=" + r.finish.Format(time.RFC3339),
		"environment=" + jsonString(fmt.Sprintf("temporary directory on %s/%s, restored from %s by qms %s", runtime.GOOS, runtime.GOARCH, r.store, Version)),
		"resources=" + jsonList([]string{"archive " + r.name, "store " + r.store, "qms " + Version, "git", "gpg"}),
		"results." + r.service + ".rto_minutes=" + minutes(r.finish.Sub(r.start)),
		"results." + r.service + ".rpo_minutes=" + minutes(rpo),
		"deviations=" + jsonList(r.deviations),
		"outcome=" + outcome,
	}
	if len(r.executedBy) > 0 {
		sets = append(sets, "executed_by="+jsonList(r.executedBy))
	}
	var out bytes.Buffer
	e := *env
	e.Stdout = &out
	err := runNew(ctx, newOptions{kind: records.KindTest, title: "Archive restoration drill of " + strings.TrimSuffix(r.name, ".tar.gz"), sets: sets}, &e)
	if err != nil {
		return "", fmt.Errorf("writing the drill's report: %w", err)
	}
	p := strings.TrimSpace(out.String())
	full := p
	if !filepath.IsAbs(full) {
		full = filepath.Join(env.Dir, p)
	}
	b, err := os.ReadFile(full)
	if err != nil {
		return "", err
	}
	front, _, ok := strings.Cut(strings.TrimPrefix(string(b), "---\n"), "\n---\n")
	if !ok {
		return "", fmt.Errorf("%s: no frontmatter", p)
	}
	body := drillBody(r, strings.Contains(front, "\nprevious:"))
	if err := os.WriteFile(full, []byte("---\n"+front+"\n---\n"+body), 0o644); err != nil {
		return "", err
	}
	var vout bytes.Buffer
	ve := *env
	ve.Stdout, ve.Stderr = &vout, &vout
	if err := runValidate(ctx, validateOptions{paths: []string{full}, format: "text"}, &ve); err != nil {
		return p, fmt.Errorf("the drill's report %s does not validate: %w\n%s", p, err, vout.String())
	}
	return p, nil
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// drillBody is the report's prose: the steps with their times, the
// results, the deviations; the review is left to people.
func drillBody(r drillReport, previous bool) string {
	var b strings.Builder
	b.WriteString("\n## Procedure\n\n")
	fmt.Fprintf(&b, "`qms archive drill` restored the archive %s from %s into a temporary directory,\n", r.name, r.store)
	b.WriteString("checked its signature, its BagIt bag and manifests, cloned the bundle, ran `qms validate`\n")
	b.WriteString("and `qms verify` on the clone and compared its files with the archive's `data/tree`.\n\n")
	b.WriteString("| step | time | result |\n|---|---|---|\n")
	for _, s := range r.steps {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", s.name, s.took.Round(time.Millisecond), strings.ReplaceAll(s.result, "|", "/"))
	}
	b.WriteString("\n## Results\n\n")
	fmt.Fprintf(&b, "The QMS records were restored and checked in %s (from %s to %s).\n",
		r.finish.Sub(r.start).Round(time.Millisecond), r.start.UTC().Format(time.RFC3339), r.finish.UTC().Format(time.RFC3339))
	if r.restored.Signer != "" {
		fmt.Fprintf(&b, "The archive's signature was made by the key %s (checked against %s).\n", r.restored.Signer, r.restored.KeyName)
	}
	if previous {
		b.WriteString("\n## Comparison with previous run\n\n_Compare the times with the previous run of this test._\n")
	}
	b.WriteString("\n## Deviations\n\n")
	if len(r.deviations) == 0 {
		b.WriteString("None.\n")
	}
	for _, d := range r.deviations {
		fmt.Fprintf(&b, "- %s\n", d)
	}
	b.WriteString("\n## Post-test review\n\n_Were the test parameters correct? Were the objectives met? Were the success\ncriteria correct? Name the reviewers and the review date._\n")
	b.WriteString("\n## Recommendations\n\n_What to improve before the next run, with owners and due dates._\n")
	return b.String()
}
