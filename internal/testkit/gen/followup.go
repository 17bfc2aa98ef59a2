package gen

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// The follow-up records (Options.FollowUp): nonconformities of failed
// test runs and training records.

type nonconformity struct {
	id      string
	run     *testRun
	opened  time.Time
	owner   *person
	actions []ncAction
	closed  bool
	closeAt time.Time
}

type ncAction struct {
	id, kind, text string
	owner          *person
	due            time.Time
	done           bool
}

type training struct {
	id         string
	date       time.Time
	plan       *plan  // nil for an onboarding on a role
	role       string // for an onboarding
	trainees   []*person
	trainer    *person
	onboarding bool
}

// buildFollowUp makes about n follow-up records: a nonconformity for each
// failed test run (as many as half the budget allows, the newest first),
// then training on each plan revision for the holders of its critical
// roles (in groups of up to eight) and an onboarding for staff who joined
// after the first revision, as far as the budget goes.
func (g *generator) buildFollowUp(n int) error {
	var failed []*testRun
	for _, t := range g.tests {
		if !t.met {
			failed = append(failed, t)
		}
	}
	sort.SliceStable(failed, func(i, j int) bool { return failed[i].start.After(failed[j].start) })
	failed = failed[:min(len(failed), n/2)]
	for _, t := range failed {
		opened := dayOf(t.end.AddDate(0, 0, g.between(1, 6)))
		nc := &nonconformity{run: t, opened: opened, owner: g.staffOn(opened, "JD-003", "JD-004")}
		for i, kind := range []string{"corrective", "preventive"} {
			a := ncAction{id: fmt.Sprintf("A%d", i+1), kind: kind, owner: g.staffOn(opened, "JD-004", "JD-005"),
				due: opened.AddDate(0, 0, g.between(14, 45)*(i+1))}
			a.text = fmt.Sprintf("%s the %s runbook step that let the %s miss its objective", pick(g, []string{"Fix", "Rework", "Automate"}), t.runbook, t.failService)
			if i == 1 {
				a.text = fmt.Sprintf("Add a check of the %s objective to the monthly drill", t.failService)
			}
			a.done = a.due.Before(lastDay.AddDate(0, 0, -30))
			nc.actions = append(nc.actions, a)
		}
		last := nc.actions[len(nc.actions)-1].due
		if nc.closed = last.Before(lastDay.AddDate(0, 0, -60)); nc.closed {
			nc.closeAt = last.AddDate(0, 0, g.between(5, 20))
		}
		g.ncs = append(g.ncs, nc)
	}
	sort.SliceStable(g.ncs, func(i, j int) bool { return g.ncs[i].opened.Before(g.ncs[j].opened) })
	if err := number(len(g.ncs), "NC", func(i int) time.Time { return g.ncs[i].opened },
		func(i int, id string) { g.ncs[i].id = id }); err != nil {
		return err
	}
	budget := n - len(g.ncs)
	critical := []string{"JD-001", "JD-002", "JD-003", "JD-004"}
	for _, p := range g.plans {
		if budget <= 0 {
			break
		}
		d := dayOf(p.eff.AddDate(0, 0, g.between(3, 25)))
		var group []*person
		flush := func() {
			if len(group) > 0 && budget > 0 {
				g.trains = append(g.trains, &training{date: d, plan: p, trainees: group, trainer: g.staffOn(d, "JD-002")})
				budget--
			}
			group = nil
		}
		for _, s := range g.staff {
			if s.activeOn(date(d)) && s.has(critical) {
				if group = append(group, s); len(group) == 8 {
					flush()
				}
			}
		}
		flush()
	}
	first := date(g.plans[0].eff)
	for _, s := range g.staff {
		if budget <= 0 {
			break
		}
		if s.from <= first || len(s.roles) == 0 {
			continue
		}
		joined, _ := time.Parse(time.DateOnly, s.from)
		d := joined.AddDate(0, 0, g.between(2, 20))
		if d.After(lastDay) {
			continue
		}
		g.trains = append(g.trains, &training{date: d, role: s.roles[0], trainees: []*person{s}, trainer: g.staffOn(d, "JD-002", "JD-003"), onboarding: true})
		budget--
	}
	sort.SliceStable(g.trains, func(i, j int) bool { return g.trains[i].date.Before(g.trains[j].date) })
	return number(len(g.trains), "TRN", func(i int) time.Time { return g.trains[i].date },
		func(i int, id string) { g.trains[i].id = id })
}

func dayOf(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

func (g *generator) nonconformityFile(nc *nonconformity) []byte {
	var f frontmatter
	t := nc.run
	f.kv("id", nc.id)
	f.text("title", fmt.Sprintf("The %s missed its objective in test run %s", t.failService, t.id))
	f.kv("source", "test")
	f.kv("source_record", t.id)
	f.kv("opened", date(nc.opened))
	f.kv("owner", nc.owner.id)
	status := "open"
	if nc.closed {
		status = "closed"
	}
	f.kv("status", status)
	f.WriteString("actions:\n")
	for _, a := range nc.actions {
		done := ""
		if a.done {
			done = ", done: " + date(a.due.AddDate(0, 0, -g.between(0, 7)))
		}
		fmt.Fprintf(&f, "  - {id: %s, type: %s, description: %s, owner: %s, due: %s%s}\n", a.id, a.kind, yamlText(a.text), a.owner.id, date(a.due), done)
	}
	if nc.closed {
		f.WriteString("verification:\n")
		fmt.Fprintf(&f, "  date: %s\n  by: %s\n  effective: true\n  evidence: %s\n", date(nc.closeAt), g.staffOn(nc.closeAt, "JD-002").id,
			yamlText("The next run of "+t.test+" met every objective"))
		f.kv("closed_at", date(nc.closeAt))
	}
	secs := []section{
		{heading: "Description", base: []string{wrap(fmt.Sprintf("In test run %s (%s) the %s missed its recovery objective of plan %s.", t.id, t.test, t.failService, t.plan.id))}},
		{heading: "Containment and correction", base: []string{wrap("The on-call rota was told to expect the longer recovery until the correction is in place.")}},
		{heading: "Root cause analysis", base: []string{wrap(fmt.Sprintf("Five whys led to runbook %s: a step assumed a state the failover does not guarantee.", t.runbook))}},
		{heading: "Actions", base: []string{wrap("The corrective action removes the cause; the preventive one makes the drill catch it.")}},
	}
	secs[0].extra = []string{
		wrap("The deviation was found during the post-test review and recorded in the test report; production was not affected, since the nonconformity is in the recovery capability."),
		wrap("Other services of the plan met their objectives in the same run; the extent is limited to the one service and the runbook step it depends on."),
	}
	secs[2].extra = []string{
		wrap("Why did the service miss its objective? The failover waited for a dependency. Why? The runbook step ran in the wrong order. Why? The order was written for an older topology and never re-checked against the plan's objectives."),
	}
	if nc.closed {
		secs = append(secs, section{heading: "Verification of effectiveness", base: []string{wrap("The next run met every objective; the actions are effective.")}})
	}
	return compose(f.String(), "", secs, g.between(minSize, 2600))
}

func (g *generator) trainingFile(tr *training) []byte {
	var f frontmatter
	f.kv("id", tr.id)
	var ids []string
	for _, p := range tr.trainees {
		ids = append(ids, p.id)
	}
	what := "the procedure of role " + tr.role
	if tr.plan != nil {
		what = "plan " + tr.plan.id
	}
	f.text("title", "Training on "+what)
	f.kv("trainees", flow(ids))
	if tr.plan != nil {
		f.kv("plan", tr.plan.id)
	} else {
		f.kv("role", tr.role)
	}
	f.kv("onboarding", fmt.Sprint(tr.onboarding))
	f.kv("date", date(tr.date))
	f.kv("method", pick(g, []string{"classroom", "self-study", "exercise", "e-learning"}))
	f.text("trainer", tr.trainer.name())
	f.text("evidence", "Attendance list in the QMS share, folder training/"+date(tr.date))
	secs := []section{
		{heading: "Content", base: []string{wrap("The sections of " + what + " and what changed since the previous revision.")}, extra: []string{
			wrap("The trainer walked through the incident levels and the remedy steps of each, who activates the disaster recovery plan, and who stands in for whom when a role holder cannot be reached."),
			wrap("The recovery objectives per service were compared with the last test runs, and the trainees found the runbooks of the continuity tests in the repository without help."),
			wrap("Stakeholder notices were rehearsed from the templates: the initial notice within the hour, updates at the agreed cadence, and the resolution notice."),
		}},
		{heading: "Assessment", base: []string{wrap(strings.TrimSpace("A short quiz; every trainee passed."))}, extra: []string{
			wrap("Each trainee explained, on a past incident, which level it had and which steps followed from that; answers were recorded in the attendance list."),
			wrap("Open questions were collected and answered in the next team meeting; none required a change to the plan."),
		}},
	}
	return compose(f.String(), "", secs, g.between(minSize, 2400))
}
