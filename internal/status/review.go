package status

import (
	"fmt"
	"time"

	"github.com/qms-tool/qms/internal/records"
)

// RuleReviewAfterIncident is the problem of a major or catastrophic
// incident, resolved, whose plan review is overdue.
const RuleReviewAfterIncident = "review-after-incident"

// Review is the review of the plan owed after a major or catastrophic
// incident was resolved: a revision with reason incident, or a recorded
// plan_review on the incident deciding that none is needed.
type Review struct {
	Incident string `json:"incident"`
	Path     string `json:"path"`
	Title    string `json:"title"`
	Level    string `json:"level"`
	Resolved string `json:"resolved"`
	Due      string `json:"due"`
	State    string `json:"state"`
	Days     int    `json:"days"`
}

// disaster reports whether an incident's level obliges a plan review.
func disaster(level string) bool { return level == "major" || level == "catastrophic" }

// reviews reports the major and catastrophic incidents resolved on or
// before the report's date whose plan review is still owed: due within
// the follow_up.incident_review_days of the plan in force when they were
// resolved. A revision with reason incident effective between the
// resolution and the report's date settles every incident before it; so
// does the incident's own plan_review, dated by then, that decides no
// revision is needed or names the revision made, once that is effective.
func (c *computation) reviews(ix *records.Index) {
	for _, in := range ix.Incidents {
		if !disaster(in.Level) || in.Status == "open" {
			continue
		}
		res, ok := records.Time(in.ResolvedAt)
		if !ok || dateOnly(res).After(c.today) {
			continue
		}
		day := records.Day(in.ResolvedAt)
		if c.reviewed(ix, in, day) {
			continue
		}
		days := DefaultIncidentReviewDays
		if p := ix.InForce(day); p != nil {
			days = period(p.FollowUp.IncidentReviewDays, DefaultIncidentReviewDays)
		}
		from, _ := time.Parse(time.DateOnly, day)
		due := from.AddDate(0, 0, days)
		rv := Review{Incident: in.DisplayID(), Path: in.Path, Title: in.Title, Level: in.Level, Resolved: day, Due: due.Format(time.DateOnly)}
		rv.State, rv.Days = c.state(due)
		c.r.Reviews = append(c.r.Reviews, rv)
		if rv.State == Overdue {
			c.r.problemHint(in.Path, RuleReviewAfterIncident,
				fmt.Sprintf("make a plan revision with 'reason: incident', or record 'plan_review: {date, by, decision: no-revision, rationale}' on %s", in.DisplayID()),
				"the %s incident %s was resolved on %s; the plan review after it was due on %s", in.Level, in.DisplayID(), day, rv.Due)
		}
	}
}

// reviewed reports whether the plan review after an incident resolved on
// day has happened by the report's date.
func (c *computation) reviewed(ix *records.Index, in *records.Incident, day string) bool {
	// Only real dates count: an impossible one (2026-02-30) is no review.
	valid := func(v string) (string, bool) {
		_, ok := records.Date(v)
		return records.Day(v), ok
	}
	effective := func(p *records.Plan) bool {
		e, ok := valid(p.Effective)
		return ok && e >= day && e <= c.r.At
	}
	if rv := in.Review; rv != nil {
		if d, ok := valid(rv.Date); ok && d <= c.r.At {
			switch {
			case rv.Decision == "no-revision":
				return true
			case rv.Plan != "":
				if p := ix.Plan(rv.Plan); p != nil && effective(p) {
					return true
				}
			}
		}
	}
	for _, p := range ix.Plans {
		if p.Reason == "incident" && effective(p) {
			return true
		}
	}
	return false
}
