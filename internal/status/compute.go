package status

import (
	"sort"
	"strings"
	"time"

	"github.com/qms-tool/qms/internal/approval"
	"github.com/qms-tool/qms/internal/records"
)

// The rules of the problems a report counts.
const (
	RuleReviewOverdue     = "review-overdue"
	RuleTestFailed        = "test-failed"
	RuleObjectiveMissed   = "objective-missed"
	RuleTestOverdue       = "test-overdue"
	RuleEvaluationOverdue = "evaluation-overdue"
	RuleRoleUncovered     = "role-uncovered"
	RuleNoBackup          = "no-backup"
)

const day = 24 * time.Hour

// Compute makes the report from every record. It never fails: missing or
// malformed fields (which 'qms validate' reports) leave their part out.
func Compute(ix *records.Index, o Options) *Report {
	if o.Window < 0 {
		o.Window = 0
	}
	if o.SupplierMonths <= 0 {
		o.SupplierMonths = 12
	}
	c := &computation{o: o, today: dateOnly(o.Now)}
	c.r = &Report{At: c.today.Format(time.DateOnly), Window: o.Window, OpenCount: map[string]int{},
		Approval: Approval{Pending: []string{}, Stale: []string{}},
		Tests:    []Test{}, Open: []Incident{}, Breaches: []Breach{}, Suppliers: []Supplier{}, Uncovered: []Role{}, NoBackup: []Role{},
		Services: []ServiceCover{}, Notices: []NoticeDue{}, Availability: []Availability{},
		Nonconformities: []Nonconformity{}, Reviews: []Review{}, Training: []TrainingDue{}}
	cur := ix.InForce(c.r.At)
	c.linkNonconformities(ix)
	all := runs(ix)
	c.planReview(cur)
	c.tests(cur, all)
	c.incidents(ix)
	c.approvals(o.Approval)
	c.suppliers(ix)
	c.roles(ix, cur)
	c.continuity(ix, cur)
	c.unlinked(all)
	c.nonconformities(ix)
	c.reviews(ix)
	c.training(ix, cur)
	return c.r
}

// computation is a report being made.
type computation struct {
	o     Options
	today time.Time
	r     *Report
	ncOf  map[string]string // record id → the first nonconformity naming it
}

// state is where a due date stands today.
func (c *computation) state(due time.Time) (string, int) {
	days := int(due.Sub(c.today) / day)
	switch {
	case days < 0:
		return Overdue, days
	case days <= c.o.Window:
		return DueSoon, days
	}
	return OK, days
}

// planReview reports the plan in force and when its review is due.
func (c *computation) planReview(cur *records.Plan) {
	if cur == nil {
		return
	}
	p := &Plan{ID: cur.DisplayID(), Path: cur.Path, Title: cur.Title, Effective: cur.Effective, NextReview: cur.NextReview}
	if nr, ok := records.Date(cur.NextReview); ok {
		p.State, p.Days = c.state(nr)
		if p.State == Overdue {
			c.r.problem(cur.Path, RuleReviewOverdue, "the review of plan %s was due on %s", cur.DisplayID(), p.NextReview)
		}
	}
	c.r.Plan = p
}

// runs groups every test report by the plan's test id, oldest first, each
// measured against the objectives of the plan it names and compared with
// its previous run (the one it names, else the run before it).
func runs(ix *records.Index) map[string][]Run {
	out := map[string][]Run{}
	for _, t := range ix.Tests {
		start, ok := records.Time(t.StartedAt)
		if t.Test == "" || !ok {
			continue
		}
		run := Run{Record: t.DisplayID(), Path: t.Path, Plan: t.Plan, Date: start.Format(time.DateOnly),
			Outcome: t.Outcome, Previous: t.Previous, Met: true}
		var objectives map[string]records.Objective
		if p := ix.Plan(run.Plan); p != nil {
			objectives = p.Objectives
		}
		for _, svc := range sortedKeys(t.Results) {
			got := t.Results[svc]
			me := Measure{Service: svc, RTO: got.RTO, RPO: got.RPO, Met: true}
			if g, ok := objectives[svc]; ok {
				me.RTOGoal, me.RPOGoal = g.RTO, g.RPO
			}
			if me.RTO != nil && me.RTOGoal != nil && *me.RTO > *me.RTOGoal || me.RPO != nil && me.RPOGoal != nil && *me.RPO > *me.RPOGoal {
				me.Met = false
				run.Met = false
			}
			run.Results = append(run.Results, me)
		}
		out[t.Test] = append(out[t.Test], run)
	}
	byID := map[string]*Run{}
	for tid, l := range out {
		sort.SliceStable(l, func(i, j int) bool {
			if l[i].Date != l[j].Date {
				return l[i].Date < l[j].Date
			}
			return l[i].Record < l[j].Record
		})
		for i := range l {
			byID[l[i].Record] = &l[i]
		}
		out[tid] = l
	}
	for _, l := range out {
		for i := range l {
			prev := byID[l[i].Previous]
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
	return out
}

// tests reports each test the plan in force declares: its runs up to the
// report's date, the last one's outcome and when the next is due.
func (c *computation) tests(cur *records.Plan, runs map[string][]Run) {
	if cur == nil {
		return
	}
	eff, _ := records.Date(cur.Effective)
	for _, pt := range cur.Tests {
		t := Test{ID: pt.ID, Name: pt.Name, EveryMonths: pt.EveryMonths, Type: pt.Type, Runs: []Run{}}
		for _, run := range runs[t.ID] {
			if run.Date <= c.r.At {
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
				c.r.problem(last.Path, RuleTestFailed, "the last run of test %s (%s) has outcome %q", t.ID, t.Name, last.Outcome)
			case !last.Met:
				c.r.problem(last.Path, RuleObjectiveMissed, "the last run of test %s (%s) missed %s", t.ID, t.Name, missed(last))
			}
		}
		var due time.Time
		if t.EveryMonths > 0 {
			due = addMonths(from, t.EveryMonths)
		}
		if due = c.retest(cur, &t, due); !due.IsZero() {
			t.NextDue = due.Format(time.DateOnly)
			t.State, t.Days = c.state(due)
			switch {
			case t.State == Overdue && t.RetestOf != "":
				c.r.problem(t.Last.Path, RuleRetestOverdue, "the retest of %s (%s) after the failed run %s was due on %s", t.ID, t.Name, t.RetestOf, t.NextDue)
			case t.State == Overdue:
				at := cur.Path
				if t.Last != nil {
					at = t.Last.Path
				}
				c.r.problem(at, RuleTestOverdue, "test %s (%s) of plan %s was due on %s", t.ID, t.Name, cur.DisplayID(), t.NextDue)
			}
			if t.Last == nil && t.State != Overdue {
				t.State = Never
			}
		}
		c.r.Tests = append(c.r.Tests, t)
	}
}

// incidents reports the incidents open on the report's date, most severe
// first, and those whose measured downtime or data loss exceeded the
// objectives of the plan in force when they were detected.
func (c *computation) incidents(ix *records.Index) {
	for _, in := range ix.Incidents {
		det, ok := records.Time(in.DetectedAt)
		if !ok || dateOnly(det).After(c.today) {
			continue
		}
		resolved, isResolved := records.Time(in.ResolvedAt)
		if in.Status == "open" || isResolved && dateOnly(resolved).After(c.today) {
			c.r.OpenCount[in.Level]++
			c.r.Open = append(c.r.Open, Incident{ID: in.DisplayID(), Path: in.Path, Title: in.Title, Level: in.Level,
				DetectedAt: in.DetectedAt, AgeDays: int(c.today.Sub(dateOnly(det)) / day)})
		}
		pl := ix.InForce(in.DetectedAt)
		if pl == nil {
			continue
		}
		for _, svc := range in.Services {
			g, ok := pl.Objectives[svc]
			if !ok {
				continue
			}
			for _, m := range []struct {
				what string
				v    *int
				goal *int
			}{{"downtime", in.Downtime, g.RTO}, {"data loss", in.DataLoss, g.RPO}} {
				if m.v != nil && m.goal != nil && *m.v > *m.goal {
					c.r.Breaches = append(c.r.Breaches, Breach{Incident: in.DisplayID(), Path: in.Path, Plan: pl.DisplayID(), Service: svc,
						What: m.what, Measured: *m.v, Objective: *m.goal})
				}
			}
		}
	}
	sort.SliceStable(c.r.Open, func(i, j int) bool {
		if a, b := levelRank(c.r.Open[i].Level), levelRank(c.r.Open[j].Level); a != b {
			return a > b
		}
		return c.r.Open[i].DetectedAt < c.r.Open[j].DetectedAt
	})
}

// approvals sums up the records' approval states, when they are known.
func (c *computation) approvals(states []approval.State) {
	if states == nil {
		return
	}
	c.r.Approval.Known = true
	for _, s := range states {
		switch s.State {
		case approval.Approved:
			c.r.Approval.Approved++
		case approval.Stale:
			c.r.Approval.Stale = append(c.r.Approval.Stale, s.Path)
		default:
			c.r.Approval.Pending = append(c.r.Approval.Pending, s.Path)
		}
	}
}

// suppliers reports the suppliers whose evaluation is due soon or overdue.
func (c *computation) suppliers(ix *records.Index) {
	for _, s := range ix.Suppliers {
		last, due, ok := EvaluationDue(s, c.o.SupplierMonths)
		if !ok {
			continue
		}
		st, _ := c.state(due)
		if st == OK {
			continue
		}
		c.r.Suppliers = append(c.r.Suppliers, Supplier{ID: s.DisplayID(), Path: s.Path, Name: s.Name, Critical: s.Critical,
			LastEvaluated: last.Format(time.DateOnly), Due: due.Format(time.DateOnly), State: st})
		if st == Overdue {
			c.r.problem(s.Path, RuleEvaluationOverdue, "the evaluation of supplier %s (%s) was due on %s", s.DisplayID(), s.Name, due.Format(time.DateOnly))
		}
	}
}

// roles reports the matrix roles without an active holder with a usable
// key, and the critical roles (the plan's activators and the matrix's
// governors) without a second person: another holder, or a stand-in
// (backup_for).
func (c *computation) roles(ix *records.Index, cur *records.Plan) {
	var roles map[string]string
	matrixPath := ""
	var govern []string
	if m := ix.Matrix; m != nil {
		roles, matrixPath, govern = m.Roles, m.Path, m.Govern
	}
	holders := map[string][]string{}
	active := map[string]bool{}
	for _, s := range ix.Staff {
		if !s.ActiveOn(c.today) {
			continue
		}
		active[s.DisplayID()] = true
		if c.o.Signers != nil && !c.o.Signers[s.DisplayID()] || c.o.Signers == nil && !hasValidKey(s, c.o.Now) {
			continue
		}
		for _, x := range s.Roles {
			holders[x] = append(holders[x], s.DisplayID())
		}
	}
	backedUp := map[string]bool{}
	for _, s := range ix.Staff {
		if !active[s.DisplayID()] {
			continue
		}
		for _, x := range s.BackupFor {
			if x != s.DisplayID() {
				backedUp[x] = true
			}
		}
	}
	critical := map[string]bool{}
	for _, x := range govern {
		critical[x] = true
	}
	if cur != nil {
		for _, x := range cur.Activators {
			critical[x] = true
		}
	}
	for _, code := range sortedKeys(roles) {
		h := holders[code]
		if h == nil {
			h = []string{}
		}
		role := Role{Code: code, Title: roles[code], Holders: h}
		if len(h) == 0 {
			c.r.Uncovered = append(c.r.Uncovered, role)
			c.r.problem(matrixPath, RuleRoleUncovered, "no active staff member with a usable key holds role %s (%s)", code, role.Title)
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
			c.r.NoBackup = append(c.r.NoBackup, role)
			c.r.problem(matrixPath, RuleNoBackup, "critical role %s (%s) is held only by %s, and no active colleague stands in (backup_for)", code, role.Title, strings.Join(h, ", "))
		}
	}
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

// hasValidKey reports whether the staff member has a key not revoked at t.
func hasValidKey(s *records.Staff, t time.Time) bool {
	for _, k := range s.Keys {
		if k.Revoked == nil {
			return true
		}
		if k.Revoked.Reason == "compromised" {
			continue
		}
		if at, ok := records.Time(k.Revoked.At); ok && at.After(t) {
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

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
