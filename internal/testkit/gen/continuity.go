package gen

import (
	"fmt"
	"strings"
	"time"
)

// The plan as data (Options.Continuity): the later half of the plan
// revisions declare risk scales and a communication plan, incidents under
// them keep a notice log, and a risk register takes about a twentieth of
// the records from the incidents' share. Downtime never overlaps per
// service, with or without the option.

// riskScale is the plans' risk scale and matrix (as the example QMS's).
var (
	riskLikelihood = []string{"rare", "possible", "likely"}
	riskImpact     = []string{"minor", "serious", "critical"}
	riskMatrix     = map[string][]string{
		"rare":     {"low", "low", "medium"},
		"possible": {"low", "medium", "high"},
		"likely":   {"medium", "high", "high"},
	}
	riskCategories = []string{"infrastructure", "supplier", "security", "people", "data"}
)

const riskBlock = `risk:
  likelihood: [rare, possible, likely]
  impact: [minor, serious, critical]
  levels: [low, medium, high]
  matrix:
    rare: [low, low, medium]
    possible: [low, medium, high]
    likely: [medium, high, high]
  mitigate: [high]
  categories: [infrastructure, supplier, security, people, data]
  review_months: 3
`

// cadence is one entry of the communication plan the generated plans
// declare.
type cadence struct {
	audience, channels, responsible string
	levels                          []string
	first, every                    int
}

var cadences = []cadence{
	{"internal", "[email, sms, chat]", "operations_lead", []string{"moderate", "major", "catastrophic"}, 30, 60},
	{"external", "[email, website]", "primary", []string{"moderate", "major"}, 60, 120},
	{"external", "[email, sms, website]", "primary", []string{"catastrophic"}, 30, 60},
}

func communicationBlock() string {
	var b strings.Builder
	b.WriteString("communication:\n")
	for _, c := range cadences {
		fmt.Fprintf(&b, "  - {audience: %s, channels: %s, responsible: %s, levels: [%s], first_within_minutes: %d, update_every_minutes: %d}\n",
			c.audience, c.channels, c.responsible, strings.Join(c.levels, ", "), c.first, c.every)
	}
	return b.String()
}

type risk struct {
	id, title, scenario, category string
	likelihood, impact, level     string
	services, mitigations         []string
	owner                         *person
	last                          time.Time
}

type notice struct {
	stage, audience string
	at              time.Time
	by              *person
}

// noOverlap keeps each service's downtime apart (incidents come in order
// of detection): a service still down from an earlier incident is left
// out of the later one when others remain, else the later one records no
// downtime of its own.
func noOverlap(inc *incident, busy map[string]time.Time) {
	if inc.downtime <= 0 {
		return
	}
	var keep []string
	for _, s := range inc.services {
		if !inc.detected.Before(busy[s]) {
			keep = append(keep, s)
		}
	}
	if len(keep) == 0 {
		inc.downtime = 0
		return
	}
	inc.services = keep
	end := inc.detected.Add(time.Duration(inc.downtime) * time.Minute)
	for _, s := range keep {
		busy[s] = end
	}
}

// notices makes the notice log of an incident whose plan declares a
// communication plan: every audience's initial notice within its cadence,
// updates until resolution (at most two), and the resolved notices once
// resolved.
func (g *generator) notices(inc *incident) {
	if !inc.plan.comm {
		return
	}
	end := inc.resolved
	if inc.status == "open" {
		end = lastDay
	}
	for _, c := range cadences {
		if !contains(c.levels, inc.level) {
			continue
		}
		at := inc.detected.Add(time.Duration(g.between(3, c.first)) * time.Minute)
		if !at.Before(end) && inc.status != "open" {
			at = inc.detected
		}
		inc.notices = append(inc.notices, notice{"initial", c.audience, at, inc.owner})
		for k := 0; k < 2; k++ {
			at = at.Add(time.Duration(c.every-g.between(0, 10)) * time.Minute)
			if !at.Before(end) {
				break
			}
			inc.notices = append(inc.notices, notice{"update", c.audience, at, inc.owner})
		}
		if inc.status != "open" {
			inc.notices = append(inc.notices, notice{"resolved", c.audience, inc.resolved.Add(time.Duration(g.between(1, 45)) * time.Minute), inc.owner})
		}
	}
}

func (g *generator) noticeLog(f *frontmatter, inc *incident) {
	if len(inc.notices) == 0 {
		return
	}
	f.WriteString("notices:\n")
	for _, n := range inc.notices {
		fmt.Fprintf(f, "  - {stage: %s, audience: %s, sent_at: %q, by: %s}\n", n.stage, n.audience, stamp(n.at), n.by.id)
	}
}

// buildRisks makes n risks, each last reviewed within a quarter before
// lastDay under a plan with risk scales.
func (g *generator) buildRisks(n int) error {
	if n == 0 {
		return nil
	}
	for i := 0; i < n; i++ {
		last := lastDay.AddDate(0, 0, -g.intn(80))
		p := g.inForce(last)
		if !p.risk {
			return fmt.Errorf("gen: the plan in force on %s has no risk scales", date(last))
		}
		sc := pick(g, scenarios)
		r := &risk{id: fmt.Sprintf("RSK-%04d", i+1), category: pick(g, riskCategories), last: last,
			likelihood: pick(g, riskLikelihood), impact: pick(g, riskImpact), owner: g.staffOn(last, "JD-003", "JD-004", "JD-005")}
		r.title = capital(strings.NewReplacer("{Svc}", "a service", "{svc}", "a service", "{comp}", "a component", "{sup}", "a supplier",
			"{region}", region(g.co.regions[0])).Replace(sc.title))
		r.scenario = capital(strings.TrimSuffix(strings.NewReplacer("{Svc}", "the service", "{svc}", "the service", "{comp}", "a component",
			"{sup}", "a supplier", "{region}", region(g.co.regions[0]), "{rep}", "the on-call engineer").Replace(sc.symptom), "."))
		r.level = riskMatrix[r.likelihood][indexOf(riskImpact, r.impact)]
		perm := g.r.Perm(len(p.services))
		for _, j := range perm[:g.between(1, len(p.services))] {
			r.services = append(r.services, p.services[j])
		}
		for _, j := range g.r.Perm(len(riskMitigations))[:g.between(1, 3)] {
			r.mitigations = append(r.mitigations, riskMitigations[j])
		}
		if r.level != "high" && g.chance(15) {
			r.mitigations = nil
		}
		g.risks = append(g.risks, r)
	}
	return nil
}

var riskMitigations = []string{
	"Warm standby in the second region, failover tested by T01",
	"Off-site backups restored every year by T02",
	"Runbook reviewed at every plan revision",
	"A second supplier evaluated and contracted",
	"On-call rota with a named stand-in for every role",
	"Alerting on the symptom before users notice it",
	"Change freeze before releases and a tested rollback",
}

func indexOf(xs []string, x string) int {
	for i, s := range xs {
		if s == x {
			return i
		}
	}
	return -1
}

func (g *generator) riskFile(r *risk) []byte {
	var f frontmatter
	f.kv("id", r.id)
	f.text("title", r.title)
	f.text("scenario", r.scenario)
	f.kv("category", r.category)
	f.kv("likelihood", r.likelihood)
	f.kv("impact", r.impact)
	f.kv("level", r.level)
	f.kv("services", flow(r.services))
	f.list("mitigations", r.mitigations)
	f.kv("owner", r.owner.id)
	f.kv("last_review", date(r.last))
	f.kv("next_review", date(r.last.AddDate(0, 3, 0)))
	secs := []section{
		{heading: "Scenario", base: []string{wrap(r.scenario + ". It would interrupt " + joinAnd(r.services) + ".")},
			extra: []string{
				wrap(fmt.Sprintf("Rated %s likelihood and %s impact on the plan's scales, which the matrix makes a %s risk.", r.likelihood, r.impact, r.level)),
				wrap("The monitoring dashboards and the synthetic checks would show it first; the on-call engineer confirms and classes it as an incident."),
				wrap("Similar incidents are linked from the incident reports; the risk is reviewed after each of them and every quarter."),
			}},
		{heading: "Mitigation", base: []string{bullets(append([]string{"Owner: " + r.owner.name()}, r.mitigations...))},
			extra: []string{
				wrap("The mitigations are checked at every continuity test and their owners report on them at the quarterly review."),
				wrap("Residual risk is accepted by the General Manager at the review when no further mitigation is proportionate."),
				wrap("Where a mitigation depends on a supplier, its contract and its last evaluation are checked at the same review, and the supplier's emergency contact is kept in its supplier record."),
			}},
		{heading: "Review", base: []string{wrap(fmt.Sprintf("Last reviewed on %s by %s; the next review is due within a quarter.", date(r.last), r.owner.name()))}},
	}
	return compose(f.String(), "", secs, g.between(minSize, 2400))
}
