package status

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/qms-tool/qms/internal/records"
)

// The rules of the problems about training.
const (
	// RuleTrainingMissing: a holder of a critical role is not trained on
	// the plan revision in force.
	RuleTrainingMissing = "training-missing"
	// RuleOnboardingOverdue: a new staff member is not trained within the
	// onboarding period.
	RuleOnboardingOverdue = "onboarding-overdue"
)

// TrainingDue is a person to be trained: on the plan in force, for a
// critical role, or at onboarding.
type TrainingDue struct {
	Staff string `json:"staff"`
	Path  string `json:"path"`
	// What is "plan" (the revision in force, Plan) or "onboarding".
	What string `json:"what"`
	Plan string `json:"plan,omitempty"`
	// Roles are the critical roles the person holds (for "plan"); Duties
	// their contact duties for the plan's services ("IT lead of backend").
	Roles  []string `json:"roles,omitempty"`
	Duties []string `json:"duties,omitempty"`
	Due    string   `json:"due"`
	State  string   `json:"state"`
	Days   int      `json:"days"`
}

// serviceContacts are the contacts of the plan's services (primary,
// secondary, IT lead, operations lead), who take part in the continuity
// procedure and are trained on it like the activators: staff id → their
// duties ("IT lead of backend"), in the order the plan's services and
// contact roles are listed.
func serviceContacts(p *records.Plan) map[string][]string {
	out := map[string][]string{}
	for _, s := range p.Declared {
		for _, role := range records.ContactRoles {
			if id := s.Contacts[role]; id != "" {
				out[id] = append(out[id], records.ContactTitle(role)+" of "+s.Name)
			}
		}
	}
	return out
}

// training reports who is to be trained: every active holder of a critical
// role (the plan's activators, the matrix's governors) and every service
// contact, on the plan revision in force, within onboarding_days of its
// effective date (or of their joining, if later); and every new staff
// member (who joined once the QMS had its first plan) within
// onboarding_days of joining, by any training from that day on.
func (c *computation) training(ix *records.Index, cur *records.Plan) {
	type person struct{ plans, any map[string]bool }
	trained := map[string]*person{}
	for _, t := range ix.Training {
		d := records.Day(t.Date)
		if _, ok := records.Date(d); !ok || d > c.r.At {
			continue
		}
		for _, s := range t.Trainees {
			p := trained[s]
			if p == nil {
				p = &person{plans: map[string]bool{}, any: map[string]bool{}}
				trained[s] = p
			}
			if t.Plan != "" {
				p.plans[t.Plan] = true
			}
			p.any[d] = true
		}
	}
	days := DefaultOnboardingDays
	if cur != nil {
		days = period(cur.FollowUp.OnboardingDays, DefaultOnboardingDays)
	}
	critical := map[string]bool{}
	if ix.Matrix != nil {
		for _, x := range ix.Matrix.Govern {
			critical[x] = true
		}
	}
	var contacts map[string][]string
	if cur != nil {
		for _, x := range cur.Activators {
			critical[x] = true
		}
		contacts = serviceContacts(cur)
	}
	first := ""
	for _, p := range ix.Plans {
		if d := records.Day(p.Effective); d != "" && (first == "" || d < first) {
			first = d
		}
	}
	for _, s := range ix.Staff {
		if !s.ActiveOn(c.today) {
			continue
		}
		id := s.DisplayID()
		joined, hasJoined := records.Date(s.ActiveFrom)
		p := trained[id]
		if cur != nil {
			var roles []string
			for _, x := range s.Roles {
				if critical[x] {
					roles = append(roles, x)
				}
			}
			sort.Strings(roles)
			duties := contacts[id]
			if (len(roles) > 0 || len(duties) > 0) && (p == nil || !p.plans[cur.DisplayID()]) {
				from, _ := records.Date(cur.Effective)
				if hasJoined && joined.After(from) {
					from = joined
				}
				var why []string
				if len(roles) > 0 {
					why = append(why, "holds the critical role "+strings.Join(roles, ", "))
				}
				if len(duties) > 0 {
					why = append(why, "is the "+strings.Join(duties, ", the "))
				}
				c.due(TrainingDue{Staff: id, Path: s.Path, What: "plan", Plan: cur.DisplayID(), Roles: roles, Duties: duties}, from.AddDate(0, 0, days),
					RuleTrainingMissing, fmt.Sprintf("record the training with 'qms new training --set plan=%s --set trainees=[%s]'", cur.DisplayID(), id),
					"%s %s and is not trained on the plan in force, %s", id, strings.Join(why, " and "), cur.DisplayID())
			}
		}
		if !hasJoined || first == "" || s.ActiveFrom[:10] < first {
			continue
		}
		onboarded := false
		if p != nil {
			for d := range p.any {
				onboarded = onboarded || d >= s.ActiveFrom[:10]
			}
		}
		if !onboarded {
			c.due(TrainingDue{Staff: id, Path: s.Path, What: "onboarding"}, joined.AddDate(0, 0, days),
				RuleOnboardingOverdue, fmt.Sprintf("record it with 'qms new training --set onboarding=true --set trainees=[%s]'", id),
				"%s joined on %s and has no training record since", id, s.ActiveFrom[:10])
		}
	}
}

// due adds a training due on a date, and a problem once it is overdue.
func (c *computation) due(t TrainingDue, due time.Time, rule, hint, format string, a ...any) {
	t.Due = due.Format(time.DateOnly)
	t.State, t.Days = c.state(due)
	c.r.Training = append(c.r.Training, t)
	if t.State == Overdue {
		c.r.problemHint(t.Path, rule, hint, format+" (due on %s)", append(a, t.Due)...)
	}
}
