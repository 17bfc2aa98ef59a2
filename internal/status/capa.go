package status

import (
	"fmt"
	"time"

	"github.com/qms-tool/qms/internal/records"
)

// The periods qms status assumes when the plan in force sets none in its
// follow_up, in days.
const (
	DefaultRetestDays         = 60
	DefaultIncidentReviewDays = 30
	DefaultOnboardingDays     = 30
)

// The rules of the problems about nonconformities and retests.
const (
	RuleRetestOverdue        = "retest-overdue"
	RuleNonconformityMissing = "nonconformity-missing"
	RuleActionOverdue        = "action-overdue"
	RuleVerificationMissing  = "verification-missing"
)

// Nonconformity is a nonconformity that is open, or closed without a
// verification that its actions were effective.
type Nonconformity struct {
	ID           string `json:"id"`
	Path         string `json:"path"`
	Title        string `json:"title"`
	Source       string `json:"source"`
	SourceRecord string `json:"source_record,omitempty"`
	Status       string `json:"status"`
	// Opened is the date it was opened, "" when that is no date.
	Opened string `json:"opened"`
	// Verified is true when a verification found the actions effective.
	Verified bool `json:"verified"`
	// Open are the actions not done yet.
	Open []Action `json:"open_actions"`
}

// Action is a nonconformity's action that is not done yet.
type Action struct {
	ID          string `json:"id"`
	Type        string `json:"type"`
	Description string `json:"description"`
	Owner       string `json:"owner"`
	Due         string `json:"due"`
	State       string `json:"state"`
	Days        int    `json:"days"`
}

func period(days, def int) int {
	if days > 0 {
		return days
	}
	return def
}

// retestDays is how soon the plan in force wants a failed test repeated.
func retestDays(cur *records.Plan) int { return period(cur.FollowUp.RetestDays, DefaultRetestDays) }

// failed reports whether a run failed or missed an objective: either
// needs a retest and a nonconformity.
func failed(r Run) bool { return r.Outcome != "pass" || !r.Met }

// retest sets when a test whose last run failed is to be repeated: within
// the plan's retest period, not a full interval later.
func (c *computation) retest(cur *records.Plan, t *Test, due time.Time) time.Time {
	if t.Last == nil || !failed(*t.Last) {
		return due
	}
	from, _ := time.Parse(time.DateOnly, t.Last.Date)
	t.RetestDays = retestDays(cur)
	t.RetestOf = t.Last.Record
	t.Nonconformity = c.ncOf[t.Last.Record]
	if r := from.AddDate(0, 0, t.RetestDays); r.Before(due) || t.EveryMonths <= 0 {
		return r
	}
	return due
}

// linkNonconformities indexes the nonconformities by the record they
// name, the first (by id) of each.
func (c *computation) linkNonconformities(ix *records.Index) {
	c.ncOf = map[string]string{}
	for _, n := range ix.Nonconformities {
		if n.SourceRecord != "" && c.ncOf[n.SourceRecord] == "" {
			c.ncOf[n.SourceRecord] = n.DisplayID()
		}
	}
}

// unlinked reports every failed run up to the report's date that no
// nonconformity names as its source.
func (c *computation) unlinked(runs map[string][]Run) {
	for _, tid := range sortedKeys(runs) {
		for _, r := range runs[tid] {
			if r.Date > c.r.At || !failed(r) || c.ncOf[r.Record] != "" {
				continue
			}
			what := "missed its objectives"
			if r.Outcome != "pass" {
				what = fmt.Sprintf("has outcome %q", r.Outcome)
			}
			c.r.problemHint(r.Path, RuleNonconformityMissing,
				fmt.Sprintf("run 'qms new nonconformity --set source=test --set source_record=%s'", r.Record),
				"test run %s (%s) %s, and no nonconformity names it as its source_record", r.Record, tid, what)
		}
	}
}

// nonconformities reports the nonconformities not done with: open ones,
// their actions due soon or overdue, and those closed without a
// verification of effectiveness.
func (c *computation) nonconformities(ix *records.Index) {
	for _, n := range ix.Nonconformities {
		opened := ""
		if d, ok := records.Date(n.Opened); ok {
			if d.After(c.today) {
				continue
			}
			opened = d.Format(time.DateOnly)
		}
		closed := n.Status == "closed"
		if cl, ok := records.Date(n.ClosedAt); ok && cl.After(c.today) {
			closed = false
		}
		verified := n.Verification != nil && n.Verification.Effective
		if v := n.Verification; v != nil {
			if d, ok := records.Date(v.Date); ok && d.After(c.today) {
				verified = false
			}
		}
		st := n.Status
		if !closed && st == "closed" {
			st = "open" // as of the report's date
		}
		out := Nonconformity{ID: n.DisplayID(), Path: n.Path, Title: n.Title, Source: n.Source, SourceRecord: n.SourceRecord,
			Status: st, Opened: opened, Verified: verified, Open: []Action{}}
		for _, a := range n.Actions {
			if d, ok := records.Date(a.Done); ok && !d.After(c.today) {
				continue
			}
			due, ok := records.Date(a.Due)
			if !ok {
				continue
			}
			act := Action{ID: a.ID, Type: a.Type, Description: a.Description, Owner: a.Owner, Due: due.Format(time.DateOnly)}
			act.State, act.Days = c.state(due)
			out.Open = append(out.Open, act)
			if act.State == Overdue {
				c.r.problemHint(n.Path, RuleActionOverdue, fmt.Sprintf("do it and set its done date, or agree a new due date in %s", n.DisplayID()),
					"action %s of nonconformity %s (owner %s) was due on %s", a.ID, n.DisplayID(), a.Owner, act.Due)
			}
		}
		switch {
		case closed && n.Verification != nil && !n.Verification.Effective:
			c.r.problemHint(n.Path, RuleVerificationMissing, "reopen it with further actions, or record a verification that finds them effective",
				"nonconformity %s is closed although its verification found the actions not effective", n.DisplayID())
		case closed && !verified:
			c.r.problemHint(n.Path, RuleVerificationMissing, "add 'verification: {date, by, effective, evidence}' to its frontmatter",
				"nonconformity %s is closed without a verification of effectiveness", n.DisplayID())
		case closed && len(out.Open) == 0:
			continue
		}
		c.r.Nonconformities = append(c.r.Nonconformities, out)
	}
}
