package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/approval"
	"github.com/qms-tool/qms/internal/policy"
	"github.com/qms-tool/qms/internal/records"
	"github.com/qms-tool/qms/internal/report"
	"github.com/qms-tool/qms/internal/status"
)

type statusOptions struct {
	at             string
	strict         bool
	format         string
	window         int
	supplierMonths int
	noCache        bool
	evidence       bool
}

func statusCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:  "status",
		Usage: "what is due, overdue, pending approval, or off target",
		Description: "Reports, as of today or --at: the plan in force and its next review; for each test the\n" +
			"plan declares, the last run, its outcome, the next due date and the measured RTO/RPO per\n" +
			"service against the objectives, with the change from the previous run; open incidents by\n" +
			"level and age, and incidents whose downtime or data loss exceeded the objectives; records\n" +
			"pending approval or stale (as 'qms verify' finds them; unknown without a trust root);\n" +
			"suppliers due for evaluation; matrix roles without an active holder with a valid key,\n" +
			"and critical roles (the plan's activators, the matrix's governors) without a backup.\n" +
			"With --strict, exits 1 when anything is overdue, failing or uncovered.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "at", Usage: "report as of this date (YYYY-MM-DD) instead of today"},
			&cli.BoolFlag{Name: "strict", Usage: "exit 1 when anything is overdue, failing or uncovered"},
			&cli.IntFlag{Name: "window", Value: 30, Usage: "days ahead in which a date is due soon"},
			&cli.IntFlag{Name: "supplier-months", Value: 12, Usage: "months between supplier evaluations"},
			&cli.BoolFlag{Name: "no-cache", Usage: "parse every record again instead of reusing .git/qms/records-cache"},
			&cli.BoolFlag{Name: "evidence", Usage: "list, per clause of the evidence map (schema/*.evidence.json), the records and checks that evidence it and the gaps"},
			ciFormatFlag(),
		},
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			return runStatus(c.Context, statusOptions{at: c.String("at"), strict: c.Bool("strict"), format: c.String("format"),
				window: c.Int("window"), supplierMonths: c.Int("supplier-months"), noCache: c.Bool("no-cache"), evidence: c.Bool("evidence")}, env)
		},
	}
}

// parseAt reads --at, or takes today from the clock.
func parseAt(env *Env, at string) (time.Time, error) {
	if at == "" {
		return env.Now(), nil
	}
	t, err := time.Parse(time.DateOnly, at)
	if err != nil {
		return time.Time{}, usagef("--at %q is not a date (YYYY-MM-DD)", at)
	}
	return t, nil
}

// signersAt reads the signing policy of fsys: who has a usable key at t.
func signersAt(w *workspace, fsys fs.FS, t time.Time) (map[string]bool, error) {
	return status.SignersAt(fsys, w.kinds, t)
}

// approvalStates runs the engine of 'qms verify' when the repository has
// a trust root; otherwise (or when the history cannot be read) the states
// are unknown, and reason says why.
func approvalStates(env *Env, w *workspace) (states []approval.State, v *verified, reason string) {
	v, err := verifyHistory(env, w, verifyRun{})
	switch {
	case errors.Is(err, approval.ErrNoRoot):
		return nil, nil, "no trust root; run 'qms verify' to see how to set one"
	case err != nil:
		return nil, nil, err.Error()
	}
	return v.states, v, ""
}

func runStatus(_ context.Context, opts statusOptions, env *Env) error {
	defer lessGC()()
	if err := checkCIFormat(opts.format); err != nil {
		return err
	}
	if opts.window < 0 || opts.supplierMonths <= 0 {
		return usagef("--window must be 0 or more and --supplier-months more than 0")
	}
	now, err := parseAt(env, opts.at)
	if err != nil {
		return err
	}
	w, err := openWorkspace(env, false)
	if err != nil {
		return err
	}
	defer w.close()
	ix, err := loadIndex(env, w, !opts.noCache)
	if err != nil {
		return err
	}
	states, v, reason := approvalStates(env, w)
	o := status.Options{Now: now, Window: opts.window, SupplierMonths: opts.supplierMonths, Approval: states}
	if o.Signers, err = signersAt(w, os.DirFS(w.root), now); err != nil {
		return err
	}
	rep := status.Compute(ix, o)
	// A matrix nobody could change any more, as validate reports it.
	if pol, err := policy.Load(os.DirFS(w.root), w.kinds); err == nil {
		for _, f := range pol.Check(now) {
			if f.Rule == policy.RuleNoGovernor && f.Severity == qms.Error {
				rep.Problems++
				rep.Findings = append(rep.Findings, f)
			}
		}
	}
	rep.Approval.Reason = reason
	if v != nil {
		rep.Approval.Failures = len(v.report.Failures)
	}
	if opts.evidence {
		return runEvidence(env, w, rep, opts)
	}
	switch opts.format {
	case "json":
		// The report's fields next to the findings every checking
		// command gives.
		var extra map[string]any
		b, err := json.Marshal(rep)
		if err == nil {
			err = json.Unmarshal(b, &extra)
		}
		if err != nil {
			return err
		}
		if err := printFindings(env.Stdout, "json", rep.Findings, extra); err != nil {
			return err
		}
	case "github", "codequality":
		if err := printFindings(env.Stdout, opts.format, rep.Findings, nil); err != nil {
			return err
		}
	case "markdown":
		if err := report.Markdown(env.Stdout, statusSummary(rep, opts.strict), 0); err != nil {
			return err
		}
	default:
		printStatus(env.Stdout, rep)
		for _, line := range archiveStatusLines(w, rep) {
			fmt.Fprintln(env.Stdout, line)
		}
		fmt.Fprintf(env.Stderr, "qms: status as of %s: %s\n", rep.At, plural(rep.Problems, "problem"))
	}
	if opts.strict && rep.Problems > 0 {
		return errFindings
	}
	return nil
}

// statusSummary is the markdown summary of a status report: the problems
// (those --strict fails on) as findings, and the whole text report
// collapsed below them.
func statusSummary(r *status.Report, strict bool) report.Summary {
	v := plural(r.Problems, "problem")
	if r.Problems == 0 {
		v = "no problems"
	}
	if strict {
		v = verdict(r.Problems > 0) + ": " + v
	}
	s := report.Summary{Title: "qms status", Verdict: v, Full: "qms status --format json",
		Paragraphs: []report.Line{{report.P(fmt.Sprintf("Status as of %s (due soon: within %d days): %s.", r.At, r.Window, plural(r.Problems, "problem")))}}}
	if p := r.Plan; p != nil {
		s.Paragraphs = append(s.Paragraphs, report.Line{report.P("Plan in force: "), report.C(p.ID), report.P(fmt.Sprintf(" %s, effective %s; next review %s (%s): %s.", p.Title, p.Effective, p.NextReview, inDays(p.Days), stateWord(p.State)))})
	}
	if a := r.Approval; a.Known {
		s.Paragraphs = append(s.Paragraphs, report.Line{report.P(fmt.Sprintf("Approvals: %d approved, %d pending, %d stale.", a.Approved, len(a.Pending), len(a.Stale)))})
	} else {
		s.Paragraphs = append(s.Paragraphs, report.Line{report.P(fmt.Sprintf("Approvals: unknown (%s).", a.Reason))})
	}
	s.Tables = append(s.Tables, report.FindingTable("Problems", r.Findings))
	s.Tables[0].Empty = "Nothing is overdue, failing or uncovered."
	var text strings.Builder
	printStatus(&text, r)
	s.Details = append(s.Details, report.Detail{Summary: "The full status report", Text: text.String()})
	return s
}

// loadIndex reads every record of the workspace (through the records
// cache unless cached is false, saving it) as typed views.
func loadIndex(env *Env, w *workspace, cached bool) (*records.Index, error) {
	var c *records.Cache
	if cached {
		c = w.cache() // read while the records are listed
	}
	paths, _, err := records.List(w.kinds, w.src)
	if err != nil {
		return nil, err
	}
	es, err := records.Load(w.src, w.kinds, paths, records.Options{Cache: c, Fields: records.ViewFields()})
	if err != nil {
		return nil, err
	}
	w.saveCache(env, c)
	return records.NewIndex(es), nil
}

// inDays describes a number of days from today.
func inDays(d int) string {
	switch {
	case d == 0:
		return "today"
	case d == 1:
		return "tomorrow"
	case d > 0:
		return fmt.Sprintf("in %d days", d)
	case d == -1:
		return "1 day ago"
	}
	return fmt.Sprintf("%d days ago", -d)
}

// stateWord is status.Word, and ok for a date that is not set.
func stateWord(s string) string {
	if s == "" {
		return "ok"
	}
	return status.Word(s)
}

func printStatus(w io.Writer, r *status.Report) {
	fmt.Fprintf(w, "Status as of %s (due soon: within %d days)\n\n", r.At, r.Window)
	if p := r.Plan; p != nil {
		fmt.Fprintf(w, "Plan in force: %s %s, effective %s\n", p.ID, p.Title, p.Effective)
		fmt.Fprintf(w, "  next review %s (%s): %s\n", p.NextReview, inDays(p.Days), stateWord(p.State))
	} else {
		fmt.Fprintf(w, "Plan in force: none effective on %s\n", r.At)
	}
	fmt.Fprintf(w, "\nContinuity tests\n")
	if len(r.Tests) == 0 {
		fmt.Fprintf(w, "  none declared\n")
	}
	for _, t := range r.Tests {
		if t.NextDue == "" {
			fmt.Fprintf(w, "  %s %s: the plan sets no interval (every_months)\n", t.ID, t.Name)
		} else {
			fmt.Fprintf(w, "  %s %s (every %d months): next due %s (%s): %s\n", t.ID, t.Name, t.EveryMonths, t.NextDue, inDays(t.Days), stateWord(t.State))
		}
		if t.Type != "" {
			fmt.Fprintf(w, "    exercise: %s\n", t.Type)
		}
		l := t.Last
		if l == nil {
			fmt.Fprintf(w, "    never run\n")
			continue
		}
		met := "objectives met"
		if !l.Met {
			met = "OBJECTIVES MISSED"
		}
		outcome := l.Outcome
		if outcome != "pass" {
			outcome = strings.ToUpper(outcome)
		}
		prev := ""
		if l.Previous != "" {
			prev = ", previous " + l.Previous
		}
		fmt.Fprintf(w, "    last run %s on %s: %s, %s (objectives of %s%s)\n", l.Record, l.Date, outcome, met, l.Plan, prev)
		fmt.Fprintf(w, "    %-16s %5s %5s %6s   %5s %5s %6s\n", "service", "RTO", "goal", "change", "RPO", "goal", "change")
		for _, m := range l.Results {
			flag := ""
			if !m.Met {
				flag = "  MISSED"
			}
			fmt.Fprintf(w, "    %-16s %5s %5s %6s   %5s %5s %6s%s\n", m.Service, status.Minutes(m.RTO), status.Minutes(m.RTOGoal), status.Delta(m.RTO, m.PrevRTO),
				status.Minutes(m.RPO), status.Minutes(m.RPOGoal), status.Delta(m.RPO, m.PrevRPO), flag)
		}
		printRetest(w, t)
	}

	fmt.Fprintf(w, "\nOpen incidents: %d", len(r.Open))
	var lv []string
	for _, l := range status.Levels {
		if n := r.OpenCount[l]; n > 0 {
			lv = append(lv, fmt.Sprintf("%s %d", l, n))
		}
	}
	others := []string{}
	for l, n := range r.OpenCount {
		if !contains(status.Levels, l) {
			others = append(others, fmt.Sprintf("%s %d", l, n))
		}
	}
	sort.Strings(others)
	lv = append(lv, others...)
	if len(lv) > 0 {
		fmt.Fprintf(w, " (%s)", strings.Join(lv, ", "))
	}
	fmt.Fprintln(w)
	for _, in := range r.Open {
		fmt.Fprintf(w, "  %s %-12s open %s: %s\n", in.ID, in.Level, ageWord(in.AgeDays), in.Title)
	}

	fmt.Fprintf(w, "\nIncidents beyond the objectives: %d\n", len(r.Breaches))
	for _, b := range r.Breaches {
		fmt.Fprintf(w, "  %s %s: %s %d min, objective %d min (%s)\n", b.Incident, b.Service, b.What, b.Measured, b.Objective, b.Plan)
	}

	a := r.Approval
	if !a.Known {
		fmt.Fprintf(w, "\nApprovals: unknown (%s)\n", a.Reason)
	} else {
		fmt.Fprintf(w, "\nApprovals: %d approved, %d pending, %d stale", a.Approved, len(a.Pending), len(a.Stale))
		if a.Failures > 0 {
			fmt.Fprintf(w, "; the history has %s (run 'qms verify')", plural(a.Failures, "authentication failure"))
		}
		fmt.Fprintln(w)
		for _, p := range a.Stale {
			fmt.Fprintf(w, "  stale    %s\n", p)
		}
		for _, p := range a.Pending {
			fmt.Fprintf(w, "  pending  %s\n", p)
		}
	}

	fmt.Fprintf(w, "\nSupplier evaluations due: %d\n", len(r.Suppliers))
	for _, s := range r.Suppliers {
		crit := ""
		if s.Critical {
			crit = ", critical"
		}
		fmt.Fprintf(w, "  %s %s%s: last evaluated %s, due %s: %s\n", s.ID, s.Name, crit, s.LastEvaluated, s.Due, stateWord(s.State))
	}

	fmt.Fprintf(w, "\nRoles without an active holder with a valid key: %d\n", len(r.Uncovered))
	for _, ro := range r.Uncovered {
		fmt.Fprintf(w, "  %s %s\n", ro.Code, ro.Title)
	}
	fmt.Fprintf(w, "Critical roles without a backup: %d\n", len(r.NoBackup))
	for _, ro := range r.NoBackup {
		fmt.Fprintf(w, "  %s %s: held only by %s, whom no one stands in for\n", ro.Code, ro.Title, strings.Join(ro.Holders, ", "))
	}
	printContinuity(w, r)
	printFollowUp(w, r)
	if len(r.Findings) > 0 {
		fmt.Fprintf(w, "\nProblems (--strict fails on these):\n")
		printFindings(w, "text", r.Findings, nil)
	}
}

func ageWord(d int) string {
	if d == 1 {
		return "for 1 day"
	}
	return fmt.Sprintf("for %d days", d)
}

// lessGC lets the heap grow further between collections while every
// record is parsed (about a fifth less CPU on 10,000 records, for some
// more memory); it returns the function that restores the setting.
func lessGC() func() {
	old := debug.SetGCPercent(200)
	return func() { debug.SetGCPercent(old) }
}
