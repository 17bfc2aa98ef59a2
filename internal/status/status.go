package status

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/approval"
)

// Record is a parsed record as status reads it: its kind (incident, test,
// plan, staff, supplier, matrix), id and frontmatter.
type Record struct {
	Path, Kind, ID string
	Data           map[string]any
	// Body is the markdown after the frontmatter (status does not read it).
	Body []byte
}

// Options are the knobs of Compute.
type Options struct {
	// Now is the date the report is made as of.
	Now time.Time
	// Window is how many days ahead something is "due soon" (the CLI's
	// default is 30).
	Window int
	// SupplierMonths is how often suppliers are evaluated (default 12).
	SupplierMonths int
	// Signers, when set, are the staff ids with a key that could sign at
	// Now, as the signing policy sees them (SignersAt); otherwise the
	// staff records' keys are taken at their word.
	Signers map[string]bool
	// Approval holds the records' approval states; nil when the history
	// could not be verified (no trust root): approval is then unknown.
	Approval []approval.State
}

// States a date-bound obligation can be in.
const (
	OK      = "ok"
	DueSoon = "due-soon"
	Overdue = "overdue"
	Never   = "never-run"
)

// Word is how reports show a state: OVERDUE, DUE SOON, never run, ok;
// any other state as it is.
func Word(state string) string {
	switch state {
	case Overdue:
		return "OVERDUE"
	case DueSoon:
		return "DUE SOON"
	case Never:
		return "never run"
	case OK:
		return "ok"
	}
	return state
}

// Report is the state of the QMS's obligations as of a date.
type Report struct {
	At     string `json:"at"`
	Window int    `json:"window_days"`
	// Plan is the plan in force, or nil when none is effective yet.
	Plan      *Plan          `json:"plan"`
	Tests     []Test         `json:"tests"`
	Open      []Incident     `json:"open_incidents"`
	OpenCount map[string]int `json:"open_by_level"`
	Breaches  []Breach       `json:"breaches"`
	Approval  Approval       `json:"approval"`
	Suppliers []Supplier     `json:"suppliers_due"`
	Uncovered []Role         `json:"uncovered_roles"`
	NoBackup  []Role         `json:"roles_without_backup"`
	// Problems counts what makes 'qms status --strict' fail: overdue plan
	// review, tests, or supplier evaluations; failed or off-target last
	// runs; uncovered roles and critical roles without a backup. Findings
	// say what each is and where.
	Problems int           `json:"problems"`
	Findings []qms.Finding `json:"-"`
}

func (r *Report) problem(path, rule, format string, a ...any) {
	r.Problems++
	r.Findings = append(r.Findings, qms.Finding{Path: path, Line: 1, Column: 1, Rule: rule, Severity: qms.Error, Message: fmt.Sprintf(format, a...)})
}

// missed lists the objectives a run missed.
func missed(run Run) string {
	var out []string
	for _, m := range run.Results {
		if m.RTO != nil && m.RTOGoal != nil && *m.RTO > *m.RTOGoal {
			out = append(out, fmt.Sprintf("the %s RTO (%d min, objective %d)", m.Service, *m.RTO, *m.RTOGoal))
		}
		if m.RPO != nil && m.RPOGoal != nil && *m.RPO > *m.RPOGoal {
			out = append(out, fmt.Sprintf("the %s RPO (%d min, objective %d)", m.Service, *m.RPO, *m.RPOGoal))
		}
	}
	return strings.Join(out, ", ")
}

// Plan is the plan in force.
type Plan struct {
	ID         string `json:"id"`
	Path       string `json:"path"`
	Title      string `json:"title"`
	Effective  string `json:"effective"`
	NextReview string `json:"next_review"`
	State      string `json:"state"`
	// Days until the next review (negative when overdue).
	Days int `json:"days"`
}

// Test is one continuity test the plan in force declares.
type Test struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	EveryMonths int    `json:"every_months"`
	// Last is the latest run, or nil when the test never ran.
	Last    *Run   `json:"last"`
	NextDue string `json:"next_due"`
	State   string `json:"state"`
	Days    int    `json:"days"`
	// Runs are every run of the test, oldest first (for charts).
	Runs []Run `json:"runs"`
}

// Run is one test record.
type Run struct {
	Record   string    `json:"record"`
	Path     string    `json:"path"`
	Plan     string    `json:"plan"`
	Date     string    `json:"date"`
	Outcome  string    `json:"outcome"`
	Previous string    `json:"previous,omitempty"`
	Results  []Measure `json:"results"`
	// Met is false when a measured time missed its objective.
	Met bool `json:"objectives_met"`
}

// Measure is a service's measured recovery in a run, against the
// objectives of the run's plan and the previous run of the same test.
type Measure struct {
	Service string `json:"service"`
	RTO     *int   `json:"rto_minutes"`
	RPO     *int   `json:"rpo_minutes"`
	RTOGoal *int   `json:"rto_objective"`
	RPOGoal *int   `json:"rpo_objective"`
	PrevRTO *int   `json:"previous_rto_minutes,omitempty"`
	PrevRPO *int   `json:"previous_rpo_minutes,omitempty"`
	Met     bool   `json:"met"`
}

// Incident is an open incident.
type Incident struct {
	ID         string `json:"id"`
	Path       string `json:"path"`
	Title      string `json:"title"`
	Level      string `json:"level"`
	DetectedAt string `json:"detected_at"`
	AgeDays    int    `json:"age_days"`
}

// Breach is an incident whose measured downtime or data loss exceeded a
// service's objective in the plan in force when it was detected.
type Breach struct {
	Incident  string `json:"incident"`
	Path      string `json:"path"`
	Plan      string `json:"plan"`
	Service   string `json:"service"`
	What      string `json:"what"` // downtime or data loss
	Measured  int    `json:"measured_minutes"`
	Objective int    `json:"objective_minutes"`
}

// Approval sums up the records' approval states.
type Approval struct {
	// Known is false when the history was not verified.
	Known bool `json:"known"`
	// Reason says why it is unknown.
	Reason string `json:"reason,omitempty"`
	// Failures counts authentication failures in the history: signatures
	// in those commits do not count.
	Failures int      `json:"authentication_failures"`
	Approved int      `json:"approved"`
	Pending  []string `json:"pending"`
	Stale    []string `json:"stale"`
}

// Supplier is a supplier whose evaluation is overdue or due soon.
type Supplier struct {
	ID            string `json:"id"`
	Path          string `json:"path"`
	Name          string `json:"name"`
	Critical      bool   `json:"critical"`
	LastEvaluated string `json:"last_evaluated"`
	Due           string `json:"due"`
	State         string `json:"state"`
}

// Role is a matrix role lacking cover.
type Role struct {
	Code    string   `json:"code"`
	Title   string   `json:"title"`
	Holders []string `json:"holders"`
}

const day = 24 * time.Hour

// Compute makes the report from every record. It never fails: missing or
// malformed fields (which 'qms validate' reports) leave their part out.
func Compute(recs []Record, o Options) *Report {
	if o.Window < 0 {
		o.Window = 0
	}
	if o.SupplierMonths <= 0 {
		o.SupplierMonths = 12
	}
	today := dateOnly(o.Now)
	r := &Report{At: today.Format(time.DateOnly), Window: o.Window, OpenCount: map[string]int{},
		Approval: Approval{Pending: []string{}, Stale: []string{}},
		Tests:    []Test{}, Open: []Incident{}, Breaches: []Breach{}, Suppliers: []Supplier{}, Uncovered: []Role{}, NoBackup: []Role{}}
	by := map[string][]Record{}
	for _, rec := range recs {
		by[rec.Kind] = append(by[rec.Kind], rec)
	}
	for _, l := range by {
		sort.Slice(l, func(i, j int) bool { return l[i].ID < l[j].ID })
	}
	plans := by["plan"]
	planByID := map[string]Record{}
	for _, p := range plans {
		planByID[p.ID] = p
	}
	inForce := func(t time.Time) *Record {
		var best *Record
		for i := range plans {
			eff, ok := date(plans[i].Data["effective"])
			if !ok || eff.After(t) {
				continue
			}
			if best == nil {
				best = &plans[i]
				continue
			}
			be, _ := date(best.Data["effective"])
			if eff.After(be) || eff.Equal(be) && num(plans[i].Data["revision"]) > num(best.Data["revision"]) {
				best = &plans[i]
			}
		}
		return best
	}
	state := func(due time.Time) (string, int) {
		days := int(due.Sub(today) / day)
		switch {
		case days < 0:
			return Overdue, days
		case days <= o.Window:
			return DueSoon, days
		}
		return OK, days
	}

	// The plan in force and its review.
	cur := inForce(today)
	if cur != nil {
		p := &Plan{ID: cur.ID, Path: cur.Path, Title: str(cur.Data["title"]), Effective: str(cur.Data["effective"]), NextReview: str(cur.Data["next_review"])}
		if nr, ok := date(cur.Data["next_review"]); ok {
			p.State, p.Days = state(nr)
			if p.State == Overdue {
				r.problem(cur.Path, "review-overdue", "the review of plan %s was due on %s", cur.ID, p.NextReview)
			}
		}
		r.Plan = p
	}

	// Tests: every run, grouped by the plan's test id.
	runs := map[string][]Run{}
	runByID := map[string]*Run{}
	for _, t := range by["test"] {
		tid := str(t.Data["test"])
		start, ok := when(t.Data["started_at"])
		if tid == "" || !ok {
			continue
		}
		run := Run{Record: t.ID, Path: t.Path, Plan: str(t.Data["plan"]), Date: start.Format(time.DateOnly),
			Outcome: str(t.Data["outcome"]), Previous: str(t.Data["previous"]), Met: true}
		objectives := objectivesOf(planByID[run.Plan])
		results, _ := t.Data["results"].(map[string]any)
		for _, svc := range slices.Sorted(maps.Keys(results)) {
			m, _ := results[svc].(map[string]any)
			me := Measure{Service: svc, RTO: intp(m["rto_minutes"]), RPO: intp(m["rpo_minutes"]), Met: true}
			if g, ok := objectives[svc]; ok {
				me.RTOGoal, me.RPOGoal = g[0], g[1]
			}
			if me.RTO != nil && me.RTOGoal != nil && *me.RTO > *me.RTOGoal || me.RPO != nil && me.RPOGoal != nil && *me.RPO > *me.RPOGoal {
				me.Met = false
				run.Met = false
			}
			run.Results = append(run.Results, me)
		}
		runs[tid] = append(runs[tid], run)
	}
	for tid, l := range runs {
		sort.SliceStable(l, func(i, j int) bool {
			if l[i].Date != l[j].Date {
				return l[i].Date < l[j].Date
			}
			return l[i].Record < l[j].Record
		})
		for i := range l {
			runByID[l[i].Record] = &l[i]
		}
		runs[tid] = l
	}
	// Compare each run with its previous one (the named one, else the
	// run before it).
	for _, l := range runs {
		for i := range l {
			prev := runByID[l[i].Previous]
			if prev == nil && i > 0 {
				prev = &l[i-1]
			}
			if prev == nil {
				continue
			}
			for j := range l[i].Results {
				m := &l[i].Results[j]
				for _, pm := range prev.Results {
					if pm.Service == m.Service {
						m.PrevRTO, m.PrevRPO = pm.RTO, pm.RPO
					}
				}
			}
		}
	}
	if cur != nil {
		tests, _ := cur.Data["tests"].([]any)
		eff, _ := date(cur.Data["effective"])
		for _, x := range tests {
			m, _ := x.(map[string]any)
			t := Test{ID: str(m["id"]), Name: str(m["name"]), EveryMonths: int(num(m["every_months"])), Runs: []Run{}}
			if t.ID == "" {
				continue
			}
			// Only runs up to the report's date count.
			for _, run := range runs[t.ID] {
				if run.Date <= r.At {
					t.Runs = append(t.Runs, run)
				}
			}
			from := eff
			if n := len(t.Runs); n > 0 {
				last := t.Runs[n-1]
				t.Last = &last
				from, _ = time.Parse(time.DateOnly, last.Date)
				switch {
				case last.Outcome != "pass":
					r.problem(last.Path, "test-failed", "the last run of test %s (%s) has outcome %q", t.ID, t.Name, last.Outcome)
				case !last.Met:
					r.problem(last.Path, "objective-missed", "the last run of test %s (%s) missed %s", t.ID, t.Name, missed(last))
				}
			}
			if t.EveryMonths > 0 {
				due := addMonths(from, t.EveryMonths)
				t.NextDue = due.Format(time.DateOnly)
				t.State, t.Days = state(due)
				if t.State == Overdue {
					at := cur.Path
					if t.Last != nil {
						at = t.Last.Path
					}
					r.problem(at, "test-overdue", "test %s (%s) of plan %s was due on %s", t.ID, t.Name, cur.ID, t.NextDue)
				}
				if t.Last == nil && t.State != Overdue {
					t.State = Never
				}
			}
			r.Tests = append(r.Tests, t)
		}
	}

	// Incidents: open ones by level and age, and objective breaches.
	for _, in := range by["incident"] {
		det, ok := when(in.Data["detected_at"])
		if !ok || dateOnly(det).After(today) {
			continue
		}
		resolved, isResolved := when(in.Data["resolved_at"])
		open := str(in.Data["status"]) == "open" || isResolved && dateOnly(resolved).After(today)
		if open {
			lvl := str(in.Data["level"])
			r.OpenCount[lvl]++
			r.Open = append(r.Open, Incident{ID: in.ID, Path: in.Path, Title: str(in.Data["title"]), Level: lvl,
				DetectedAt: str(in.Data["detected_at"]), AgeDays: int(today.Sub(dateOnly(det)) / day)})
		}
		pl := inForce(det)
		if pl == nil {
			continue
		}
		obj := objectivesOf(*pl)
		svcs, _ := in.Data["services"].([]any)
		for _, s := range svcs {
			svc := str(s)
			g, ok := obj[svc]
			if !ok {
				continue
			}
			for _, c := range []struct {
				what  string
				field string
				goal  *int
			}{{"downtime", "downtime_minutes", g[0]}, {"data loss", "data_loss_minutes", g[1]}} {
				v := intp(in.Data[c.field])
				if v != nil && c.goal != nil && *v > *c.goal {
					r.Breaches = append(r.Breaches, Breach{Incident: in.ID, Path: in.Path, Plan: pl.ID, Service: svc,
						What: c.what, Measured: *v, Objective: *c.goal})
				}
			}
		}
	}
	sort.SliceStable(r.Open, func(i, j int) bool {
		if a, b := levelRank(r.Open[i].Level), levelRank(r.Open[j].Level); a != b {
			return a > b
		}
		return r.Open[i].DetectedAt < r.Open[j].DetectedAt
	})

	// Approval states.
	if o.Approval != nil {
		r.Approval.Known = true
		for _, s := range o.Approval {
			switch s.State {
			case approval.Approved:
				r.Approval.Approved++
			case approval.Stale:
				r.Approval.Stale = append(r.Approval.Stale, s.Path)
			default:
				r.Approval.Pending = append(r.Approval.Pending, s.Path)
			}
		}
	}

	// Suppliers.
	for _, s := range by["supplier"] {
		last, ok := date(s.Data["last_evaluated"])
		if !ok {
			continue
		}
		due := addMonths(last, o.SupplierMonths)
		st, _ := state(due)
		if st == OK {
			continue
		}
		crit, _ := s.Data["critical"].(bool)
		r.Suppliers = append(r.Suppliers, Supplier{ID: s.ID, Path: s.Path, Name: str(s.Data["name"]), Critical: crit,
			LastEvaluated: last.Format(time.DateOnly), Due: due.Format(time.DateOnly), State: st})
		if st == Overdue {
			r.problem(s.Path, "evaluation-overdue", "the evaluation of supplier %s (%s) was due on %s", s.ID, str(s.Data["name"]), due.Format(time.DateOnly))
		}
	}

	// Roles: every matrix role needs an active holder with a valid key;
	// critical roles (the plan's activators and the matrix's governors)
	// need a second person: another holder, or a stand-in (backup_for).
	var matrix map[string]any
	matrixPath := ""
	if m := by["matrix"]; len(m) > 0 {
		matrix, matrixPath = m[0].Data, m[0].Path
	}
	roles, _ := matrix["roles"].(map[string]any)
	holders := map[string][]string{}
	active := map[string]bool{}
	backedUp := map[string]bool{}
	for _, s := range by["staff"] {
		if !activeOn(s.Data, today) {
			continue
		}
		active[s.ID] = true
		if o.Signers != nil && !o.Signers[s.ID] || o.Signers == nil && !hasValidKey(s.Data, o.Now) {
			continue
		}
		for _, x := range list(s.Data["roles"]) {
			holders[x] = append(holders[x], s.ID)
		}
	}
	for _, s := range by["staff"] {
		if !active[s.ID] {
			continue
		}
		for _, x := range list(s.Data["backup_for"]) {
			if x != s.ID {
				backedUp[x] = true
			}
		}
	}
	critical := map[string]bool{}
	for _, x := range list(matrix["govern"]) {
		critical[x] = true
	}
	if cur != nil {
		for _, x := range list(cur.Data["activators"]) {
			critical[x] = true
		}
	}
	for _, code := range slices.Sorted(maps.Keys(roles)) {
		h := holders[code]
		if h == nil {
			h = []string{}
		}
		role := Role{Code: code, Title: str(roles[code]), Holders: h}
		if len(h) == 0 {
			r.Uncovered = append(r.Uncovered, role)
			r.problem(matrixPath, "role-uncovered", "no active staff member with a usable key holds role %s (%s)", code, role.Title)
			continue
		}
		if !critical[code] || len(h) > 1 {
			continue
		}
		covered := false
		for _, p := range h {
			covered = covered || backedUp[p]
		}
		if !covered {
			r.NoBackup = append(r.NoBackup, role)
			r.problem(matrixPath, "no-backup", "critical role %s (%s) is held only by %s, and no active colleague stands in (backup_for)", code, role.Title, strings.Join(h, ", "))
		}
	}
	return r
}

// Levels lists incident levels from least to most severe.
var Levels = []string{"minimal", "moderate", "major", "catastrophic"}

func levelRank(l string) int {
	for i, x := range Levels {
		if x == l {
			return i
		}
	}
	return -1
}

func objectivesOf(p Record) map[string][2]*int {
	out := map[string][2]*int{}
	obj, _ := p.Data["objectives"].(map[string]any)
	for svc, v := range obj {
		m, _ := v.(map[string]any)
		out[svc] = [2]*int{intp(m["rto_minutes"]), intp(m["rpo_minutes"])}
	}
	return out
}

func activeOn(d map[string]any, today time.Time) bool {
	if from, ok := date(d["active_from"]); ok && from.After(today) {
		return false
	}
	if until, ok := date(d["active_until"]); ok && until.Before(today) {
		return false
	}
	return true
}

// hasValidKey reports whether the staff member has a key not revoked at t.
func hasValidKey(d map[string]any, t time.Time) bool {
	keys, _ := d["keys"].([]any)
	for _, k := range keys {
		m, _ := k.(map[string]any)
		if m == nil {
			continue
		}
		rev, _ := m["revoked"].(map[string]any)
		if rev == nil {
			return true
		}
		if str(rev["reason"]) == "compromised" {
			continue
		}
		at, ok := when(rev["at"])
		if !ok {
			at, ok = date(rev["at"])
		}
		if ok && at.After(t) {
			return true
		}
	}
	return false
}

func dateOnly(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// addMonths adds n calendar months, clamping to the month's last day
// (2026-01-31 + 1 month = 2026-02-28), as 'qms validate' counts intervals.
func addMonths(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	first := time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	if d > last {
		d = last
	}
	return time.Date(first.Year(), first.Month(), d, 0, 0, 0, 0, time.UTC)
}

func str(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

func num(v any) float64 {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case uint64:
		return float64(x)
	case float64:
		return x
	case int:
		return float64(x)
	}
	return 0
}

func intp(v any) *int {
	switch v.(type) {
	case int64, uint64, float64, int:
		n := num(v)
		if math.IsNaN(n) || math.IsInf(n, 0) || math.Abs(n) > 1e12 {
			return nil
		}
		i := int(math.Round(n))
		return &i
	}
	return nil
}

func list(v any) []string {
	l, _ := v.([]any)
	var out []string
	for _, x := range l {
		if s := str(x); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func date(v any) (time.Time, bool) {
	s := str(v)
	if len(s) < 10 {
		return time.Time{}, false
	}
	t, err := time.Parse(time.DateOnly, s[:10])
	return t, err == nil
}

// when reads an RFC 3339 time (a date alone is midnight UTC).
func when(v any) (time.Time, bool) {
	s := str(v)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true
	}
	return date(s)
}

// Delta formats the change from a previous value: "+5", "-12", "±0", or
// "" when either is unknown.
func Delta(now, prev *int) string {
	if now == nil || prev == nil {
		return ""
	}
	d := *now - *prev
	switch {
	case d > 0:
		return "+" + strconv.Itoa(d)
	case d < 0:
		return strconv.Itoa(d)
	}
	return "±0"
}

// Minutes formats a number of minutes, or "-" when unknown.
func Minutes(v *int) string {
	if v == nil {
		return "-"
	}
	return strconv.Itoa(*v)
}
