package gen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Record files are between minSize and maxSize bytes: each body has its
// required sections, then optional blocks until a random target size.
const (
	minSize = 1100
	maxSize = 4000
)

// section is a markdown section: its base blocks are always written, its
// extra blocks as long as the file stays under its target size. A section
// without base blocks is left out when none of its extras fit.
type section struct {
	heading string
	base    []string
	extra   []string
}

// compose renders a record: frontmatter, an optional title, and sections
// filled round-robin with extra blocks up to target bytes.
func compose(front, title string, secs []section, target int) []byte {
	target = min(max(target, minSize), maxSize)
	for i := range secs {
		var keep []string
		for _, blk := range secs[i].extra {
			if blk != "" {
				keep = append(keep, blk)
			}
		}
		secs[i].extra = keep
	}
	size := len(front) + 8
	if title != "" {
		size += len(title) + 4
	}
	for _, s := range secs {
		if len(s.base) > 0 && s.heading != "" {
			size += len(s.heading) + 5
		}
		for _, b := range s.base {
			size += len(b) + 2
		}
	}
	taken := make([]int, len(secs))
	add := func(limit int) bool {
		added := false
		for i, s := range secs {
			if taken[i] == len(s.extra) {
				continue
			}
			n := len(s.extra[taken[i]]) + 2
			if len(s.base) == 0 && taken[i] == 0 {
				n += len(s.heading) + 5
			}
			if size+n <= limit {
				size += n
				taken[i]++
				added = true
			}
		}
		return added
	}
	for add(target) {
	}
	// Too short still: take whatever fits under the hard limit.
	for size < minSize && add(maxSize) {
	}
	var b bytes.Buffer
	b.Grow(size + 64)
	b.WriteString("---\n")
	b.WriteString(front)
	b.WriteString("---\n")
	if title != "" {
		b.WriteString("\n# " + title + "\n")
	}
	for i, s := range secs {
		if len(s.base) == 0 && taken[i] == 0 {
			continue
		}
		if s.heading != "" {
			b.WriteString("\n## " + s.heading + "\n")
		}
		for _, blk := range s.base {
			b.WriteString("\n" + blk + "\n")
		}
		for _, blk := range s.extra[:taken[i]] {
			b.WriteString("\n" + blk + "\n")
		}
	}
	return b.Bytes()
}

// frontmatter writes YAML in the style people write records by hand.
type frontmatter struct{ strings.Builder }

func (f *frontmatter) kv(k, v string) { f.WriteString(k + ": " + v + "\n") }
func (f *frontmatter) text(k, v string) {
	f.kv(k, yamlText(v))
}

// list writes a block list of text, or [] when empty.
func (f *frontmatter) list(k string, items []string) {
	if len(items) == 0 {
		f.kv(k, "[]")
		return
	}
	f.WriteString(k + ":\n")
	for _, it := range items {
		f.WriteString("  - " + yamlText(it) + "\n")
	}
}

// flow writes a list of ids: [a, b].
func flow(ids []string) string { return "[" + strings.Join(ids, ", ") + "]" }

var plainText = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9 ,.()/'&+%-]*[A-Za-z0-9.)%]$`)

var yamlWords = map[string]bool{"true": true, "false": true, "yes": true, "no": true, "on": true, "off": true,
	"null": true, "y": true, "n": true}

// yamlText writes a string as a YAML scalar, plain when that is safe and
// double-quoted otherwise.
func yamlText(s string) string {
	if plainText.MatchString(s) && !yamlWords[strings.ToLower(s)] {
		return s
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // JSON strings are YAML double-quoted scalars
	return strings.TrimSuffix(b.String(), "\n")
}

func capital(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

func bullets(items []string) string {
	var b strings.Builder
	for i, it := range items {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString("- " + it)
	}
	return b.String()
}

// wrap breaks a paragraph into lines of at most 78 characters, as people
// write markdown.
func wrap(s string) string {
	var b strings.Builder
	n := 0
	for _, w := range strings.Fields(s) {
		switch {
		case n == 0:
		case n+1+utf8.RuneCountInString(w) > 78:
			b.WriteByte('\n')
			n = 0
		default:
			b.WriteByte(' ')
			n++
		}
		b.WriteString(w)
		n += utf8.RuneCountInString(w)
	}
	return b.String()
}

func joinAnd(xs []string) string {
	switch len(xs) {
	case 0:
		return ""
	case 1:
		return xs[0]
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " and " + xs[len(xs)-1]
}

func region(s string) string { return strings.Fields(s)[0] }

func svcName(id string) string {
	if s, ok := services[id]; ok {
		return s.name
	}
	return id
}

// fill replaces the placeholders of test texts with a service.
func (g *generator) fill(s string, svcs []string) string {
	svc := pick(g, svcs)
	return strings.NewReplacer("{svc}", svc, "{Svc}", svcName(svc)).Replace(s)
}

func (g *generator) resources(t *testRun) []string {
	pool := testResources[t.test]
	r := strings.NewReplacer("{runbook}", t.runbook, "{tag}", t.tag,
		"{ym}", t.start.AddDate(0, -g.between(1, 3), 0).Format("2006-01"))
	var out []string
	for _, i := range g.r.Perm(len(pool))[:g.between(2, 5)] {
		out = append(out, r.Replace(pool[i]))
	}
	return out
}

func (g *generator) planFile(p, prev, next *plan) []byte {
	var f frontmatter
	f.kv("id", p.id)
	f.kv("document", "GP-100")
	f.kv("title", "Business Continuity and Disaster Recovery Plan")
	f.kv("revision", fmt.Sprint(p.rev))
	f.kv("effective", date(p.eff))
	f.kv("next_review", date(p.eff.AddDate(0, 12, 0)))
	f.kv("reason", p.reason)
	if prev != nil {
		f.kv("supersedes", prev.id)
	}
	f.kv("availability", p.availability)
	f.WriteString("objectives:\n")
	for _, s := range p.services {
		o := p.obj[s]
		fmt.Fprintf(&f, "  %s: {rto_minutes: %d, rpo_minutes: %d}\n", s, o.rto, o.rpo)
	}
	f.WriteString("tests:\n")
	for _, t := range p.tests {
		fmt.Fprintf(&f, "  - {id: %s, name: %s, every_months: %d}\n", t.id, t.name, t.every)
	}
	f.kv("activators", flow(p.activators))
	if p.risk {
		f.WriteString(riskBlock)
	}
	if p.comm {
		f.WriteString(communicationBlock())
	}

	var secs []section
	if prev != nil {
		var ch []string
		switch p.reason {
		case "incident":
			ch = append(ch, "Unscheduled revision after the lessons learned from the year's major incidents.")
		case "unscheduled":
			ch = append(ch, "Unscheduled revision after a change of the hosting architecture.")
		default:
			ch = append(ch, "Periodic yearly review: contacts, supplier references and runbook versions updated.")
		}
		for _, s := range p.services {
			o, was := p.obj[s], prev.obj[s]
			switch {
			case was == (objective{}):
				ch = append(ch, fmt.Sprintf("New service %s in scope, with RTO %s and RPO %s.", s, minutes(o.rto), minutes(o.rpo)))
			case o.rto != was.rto:
				ch = append(ch, fmt.Sprintf("%s RTO changed from %s to %s.", capital(svcName(s)), minutes(was.rto), minutes(o.rto)))
			case o.rpo != was.rpo:
				ch = append(ch, fmt.Sprintf("%s RPO changed from %s to %s after moving to more frequent log archiving.", capital(svcName(s)), minutes(was.rpo), minutes(o.rpo)))
			}
		}
		if p.availability != prev.availability {
			ch = append(ch, fmt.Sprintf("Target availability raised from %s %% to %s %%.", prev.availability, p.availability))
		}
		if len(p.activators) != len(prev.activators) {
			ch = append(ch, "The Head of Operations (JD-004) may now activate the disaster recovery plan.")
		}
		if p.tests[0].every != prev.tests[0].every {
			ch = append(ch, fmt.Sprintf("Automated failover test (T01) every %d months instead of every %d.", p.tests[0].every, prev.tests[0].every))
		}
		secs = append(secs, section{heading: fmt.Sprintf("Changes from revision %d", prev.rev), base: []string{bullets(ch)}})
	}
	var scope []string
	for _, s := range p.services {
		scope = append(scope, fmt.Sprintf("**%s**: %s", s, serviceAbout[s]))
	}
	secs = append(secs,
		section{heading: "Scope",
			base: []string{wrap(fmt.Sprintf("This plan applies to the production services of %s:", g.co.name)) + "\n\n" + bullets(scope)},
			extra: []string{
				wrap(fmt.Sprintf("It covers the infrastructure in the primary region %s and the standby region %s, the managed databases and off-site backups, the notification provider, and the staff listed in the QMS with their stand-ins. Office IT, development and staging environments are out of scope, except that the staging account is used for the environment replication test.", g.co.regions[0], g.co.regions[1])),
				wrap("The plan is reviewed at least every 12 months and after every incident of level major or catastrophic."),
			}},
		section{heading: "Recovery objectives",
			base:  []string{objectivesTable(p), wrap(fmt.Sprintf("Target availability: %s %% per calendar month and service, excluding maintenance windows announced at least five working days ahead.", p.availability))},
			extra: []string{wrap("The RTO is measured from detection to the moment the service passes its synthetic health checks again; the RPO is the age of the newest data that could not be recovered. Incident reports record both as downtime_minutes and data_loss_minutes; test reports record them per service.")}},
		section{heading: "Incident levels",
			base: []string{bullets([]string{
				"**Minimal**: one component degraded, users hardly affected. Monitor, alert, assess, communicate, reboot.",
				"**Moderate**: one service unavailable or degraded for users. Contain, inform, check buffering, restore, send the resolution notice.",
				fmt.Sprintf("**Major**: several services down or data at risk. An activator (%s) activates the disaster recovery plan; fail over, restore, inform.", strings.Join(p.activators, ", ")),
				"**Catastrophic**: the primary region or the production data is lost. Invoke the plan, fail over to the standby region, restore from off-site backups, keep stakeholders informed.",
			})},
			extra: []string{wrap("Every incident is recorded in the QMS with a level. The incident owner may raise the level at any time; lowering it needs the agreement of an activator.")}},
		section{heading: "Continuity tests",
			base: []string{testsTable(p)},
			extra: []string{
				wrap("T01 stops the primary database and the application nodes of each service in production during a maintenance window and measures the time until the service is healthy on the standby nodes. T02 rebuilds the whole environment in the isolated staging account from infrastructure code and off-site backups."),
				wrap("Each run is recorded as a test report with the measured RTO and RPO per service, deviations from this plan, a comparison with the previous run and a post-test review. A test whose measured times miss an objective fails and leads to corrective action."),
			}},
		section{heading: "Communication",
			base:  []string{wrap("Clinics and distributors receive an initial notice within one hour of a moderate or higher incident (30 minutes for catastrophic), updates every two hours (every hour for catastrophic) and a resolution notice, from the QMS notice templates.")},
			extra: []string{wrap("Notices go by email and, for major and catastrophic incidents, by SMS. If the notification provider is itself affected, notices are sent from the company mail server. The General Manager informs the notified body and competent authorities where the vigilance procedure requires it.")}},
	)
	title := fmt.Sprintf("GP-100 Business Continuity and Disaster Recovery Plan, revision %d", p.rev)
	return compose(f.String(), title, secs, g.between(2400, maxSize))
}

var serviceAbout = map[string]string{
	"patient-app":    "the mobile app and its web API used by patients;",
	"admin-portal":   "the web portal used by clinics and our support staff;",
	"backend":        "the core API, PostgreSQL databases and job workers;",
	"device-gateway": "the endpoint that receives measurements from patients' devices.",
}

func minutes(m int) string {
	if m >= 60 && m%60 == 0 {
		return fmt.Sprintf("%d h", m/60)
	}
	return fmt.Sprintf("%d min", m)
}

func objectivesTable(p *plan) string {
	var b strings.Builder
	b.WriteString("| Service        | RTO (recovery time) | RPO (data loss) |\n")
	b.WriteString("|----------------|---------------------|-----------------|")
	for _, s := range p.services {
		o := p.obj[s]
		fmt.Fprintf(&b, "\n| %-14s | %-19s | %-15s |", s, minutes(o.rto), minutes(o.rpo))
	}
	return b.String()
}

func testsTable(p *plan) string {
	var b strings.Builder
	b.WriteString("| Test | Name                    | Interval         |\n")
	b.WriteString("|------|-------------------------|------------------|")
	for _, t := range p.tests {
		fmt.Fprintf(&b, "\n| %-4s | %-23s | every %-2d months  |", t.id, t.name, t.every)
	}
	return b.String()
}

func (g *generator) staffFile(p *person) []byte {
	var f frontmatter
	f.kv("id", p.id)
	f.text("name", p.name())
	f.text("position", p.position)
	f.kv("roles", flow(p.roles))
	f.kv("email", p.email)
	f.kv("phone", p.phone)
	if len(p.backup) > 0 || g.chance(50) {
		f.kv("backup_for", flow(p.backup))
	}
	f.kv("active_from", p.from)
	if p.until != "" {
		f.kv("active_until", p.until)
	}
	f.kv("keys", "[]")

	role := p.roles[0]
	intro := fmt.Sprintf("%s joined %s on %s as %s (%s).", p.name(), g.co.name, p.from, p.position, strings.Join(p.roles, ", "))
	ds := duties[role]
	intro += " In this role " + p.first + " " + joinAnd(ds[:min(len(ds), g.between(1, 2))]) + "."
	var standIn string
	if len(p.backup) > 0 {
		var names []string
		for _, id := range p.backup {
			names = append(names, g.byID(id).name())
		}
		standIn = fmt.Sprintf("%s stands in for %s during absences and holidays, with the same access to the runbooks and the QMS repository.", p.first, joinAnd(names))
	} else {
		standIn = fmt.Sprintf("%s is not named as a stand-in for anyone; the stand-ins for %s's own role are given in the records of the people concerned.", p.first, p.first)
	}
	var train []string
	for _, i := range g.r.Perm(len(trainings))[:g.between(2, 5)] {
		train = append(train, trainings[i])
	}
	secs := []section{
		{base: []string{wrap(intro)}, extra: []string{wrap(standIn)}},
		{heading: "Responsibilities", extra: []string{bullets(ds)}},
		{heading: "Training", extra: []string{bullets(train)}},
		{heading: "Availability", extra: []string{
			wrap(fmt.Sprintf("Reachable on the phone number above during office hours; during a declared disaster also outside office hours. Takes part in the on-call rotation %s.", pick(g, []string{"every sixth week", "every fourth week", "as a second-level contact", "only as an escalation contact"}))),
		}},
	}
	if p.until != "" {
		secs = append(secs, section{heading: "Leaving", extra: []string{wrap(fmt.Sprintf("%s left the company on %s. Access was revoked on the last working day; records %s authored stay valid and keep their signatures.", p.first, p.until, p.first))}})
	}
	if len(p.roles) > 1 || role != "JD-005" {
		secs = append(secs, section{heading: "Signing", extra: []string{wrap(fmt.Sprintf("As holder of %s, %s signs records through signed commits in the QMS repository, as the responsibility matrix requires. A signing key will be added to this record once it has been issued.", strings.Join(p.roles, " and "), p.first))}})
	}
	return compose(f.String(), "", secs, g.between(minSize, 2600))
}

func (g *generator) byID(id string) *person {
	for _, p := range g.staff {
		if p.id == id {
			return p
		}
	}
	return g.staff[0]
}

func (g *generator) supplierFile(s *supplier) []byte {
	var f frontmatter
	f.kv("id", s.id)
	f.text("name", s.name)
	f.text("tax_id", s.taxID)
	f.kv("email", s.email)
	f.kv("phone", s.phone)
	f.text("address", s.address)
	f.list("services", s.services)
	f.kv("critical", fmt.Sprint(s.critical))
	f.kv("last_evaluated", s.evaluated)

	year, _ := strconv.Atoi(s.evaluated[:4])
	crit := "Not a critical supplier: an outage does not stop the production services."
	if s.critical {
		crit = "Critical supplier: an outage affects the production services directly, so it is evaluated every year and its emergency contacts are tested in the continuity tests."
	}
	ev := []string{
		pick(g, []string{"ISO/IEC 27001 certificate checked, valid.", "ISO/IEC 27001 and ISO 22301 certificates checked, valid.", "SOC 2 Type II report reviewed; no exceptions relevant to us.", "Self-assessment questionnaire returned complete."}),
		pick(g, []string{"Data processing agreement in place.", "No personal data processed; no data processing agreement needed.", "Data processing agreement in place; data stays in the EU and Switzerland."}),
		pick(g, []string{"Support with a 15-minute response time for severity 1 cases.", "Support during business hours; response within four hours.", "24/7 emergency line tested during the last continuity test."}),
		fmt.Sprintf("%s evaluation: %s.", s.evaluated[:4], pick(g, []string{"approved", "approved", "approved with conditions (see below)", "approved; action items from the previous evaluation closed"})),
	}
	secs := []section{
		{base: []string{wrap(fmt.Sprintf("%s %s. %s", s.name, s.cat.about, crit))}},
		{heading: "Evaluation", base: []string{bullets(ev[:g.between(2, 4)])}, extra: []string{
			wrap(fmt.Sprintf("The evaluation follows the supplier procedure SOP-007: quality and security certificates, contract terms, support performance over the year, and incidents in which the supplier was involved. The next evaluation is due by %d-%s.", year+1, s.evaluated[5:7])),
		}},
		{heading: "Contacts", extra: []string{bullets([]string{
			fmt.Sprintf("Support: %s, %s", s.email, s.phone),
			fmt.Sprintf("Account manager: %s %s, reachable through the support address", pick(g, firstNames), pick(g, lastNames)),
			"Escalation: through the support portal, severity 1, with the contract number",
		})}},
		{heading: "Contract", extra: []string{
			wrap(fmt.Sprintf("Framework agreement since %d, renewed yearly; notice period three months. The agreement names %s as place of jurisdiction.", year-g.between(1, 6), s.city)),
			wrap("Service levels, maintenance windows and the notice period for planned maintenance are part of the agreement; deviations are raised in the quarterly service review."),
		}},
	}
	return compose(f.String(), "", secs, g.between(minSize, 3200))
}

func (g *generator) testFile(t *testRun) []byte {
	var f frontmatter
	name := t.plan.tests[0].name
	if t.test == "T02" {
		name = t.plan.tests[1].name
	}
	f.kv("id", t.id)
	f.text("title", fmt.Sprintf("%s test %s %d", name, t.start.Month(), t.start.Year()))
	f.kv("plan", t.plan.id)
	f.kv("test", t.test)
	var exec []string
	for _, p := range t.exec {
		exec = append(exec, p.id)
	}
	f.kv("executed_by", flow(exec))
	f.kv("started_at", stamp(t.start))
	f.kv("finished_at", stamp(t.end))
	f.text("environment", t.environment)
	f.list("resources", t.resources)
	f.WriteString("results:\n")
	for _, m := range t.results {
		fmt.Fprintf(&f, "  %s: {rto_minutes: %d, rpo_minutes: %d}\n", m.service, m.rto, m.rpo)
	}
	if t.prev != nil {
		f.kv("previous", t.prev.id)
	}
	f.list("incidents_detected", t.incidents)
	f.list("deviations", t.deviations)
	f.WriteString("review:\n")
	fmt.Fprintf(&f, "  parameters_correct: %t\n  objectives_met: %t\n  criteria_correct: %t\n", t.params, t.met, t.criteria)
	outcome := "pass"
	if !t.met {
		outcome = "fail"
	}
	f.kv("outcome", outcome)

	var names []string
	for _, p := range t.exec {
		names = append(names, p.name())
	}
	steps := testSteps[t.test]
	var sb strings.Builder
	for i, s := range steps[:g.between(4, len(steps))] {
		fmt.Fprintf(&sb, "%d. %s;\n", i+1, s)
	}
	proc := wrap(fmt.Sprintf("The test followed runbook %s. %s %s the test, which started at %s and ended at %s:", t.runbook,
		joinAnd(names), pick(g, []string{"ran", "executed", "carried out"}), t.start.Format("15:04"), t.end.Format("15:04"))) +
		"\n\n" + strings.TrimSuffix(strings.TrimSuffix(sb.String(), "\n"), ";") + "."
	secs := []section{
		{heading: "Procedure", base: []string{proc}, extra: []string{
			wrap(fmt.Sprintf("The test was announced to clinics five working days ahead. %s observed and timed the test from the bridge call.", g.staffOn(t.start, "JD-003", "JD-004").name())),
			wrap("Before the test, the pre-test checklist was completed: backups of the day verified, on-call engineer informed, rollback plan ready, and no deployment scheduled in the window."),
		}},
	}
	var tb strings.Builder
	tb.WriteString(fmt.Sprintf("| Service        | Measured RTO | Measured RPO | Objective (%s) | Met |\n", t.plan.id))
	tb.WriteString("|----------------|--------------|--------------|-----------------------|-----|")
	var missed []string
	for _, m := range t.results {
		o := t.plan.obj[m.service]
		met := "yes"
		if m.rto > o.rto || m.rpo > o.rpo {
			met = "no"
			what := "RTO"
			got, want := m.rto, o.rto
			if m.rpo > o.rpo {
				what, got, want = "RPO", m.rpo, o.rpo
			}
			missed = append(missed, fmt.Sprintf("the %s %s of %d min exceeded its objective of %d min", svcName(m.service), what, got, want))
		}
		fmt.Fprintf(&tb, "\n| %-14s | %-12s | %-12s | %-21s | %-3s |", m.service, fmt.Sprintf("%d min", m.rto), fmt.Sprintf("%d min", m.rpo),
			fmt.Sprintf("%d min / %d min", o.rto, o.rpo), met)
	}
	verdict := "All services recovered within their objectives; the test passed."
	if len(missed) > 0 {
		verdict = capital(joinAnd(missed)) + "; the test therefore failed."
	}
	secs = append(secs, section{heading: "Results", base: []string{tb.String(), wrap(verdict)}, extra: []string{
		wrap("Times were taken from the synthetic checks' logs, not by hand; the RPO is the age of the newest transaction or measurement found after recovery compared with the moment the failure was injected."),
	}})
	if p := t.prev; p != nil {
		var cb strings.Builder
		fmt.Fprintf(&cb, "| Service        | RTO %s | RTO this run | Change  |\n", p.id)
		cb.WriteString("|----------------|-------------------|--------------|---------|")
		faster := 0
		for _, m := range t.results {
			for _, pm := range p.results {
				if pm.service == m.service {
					fmt.Fprintf(&cb, "\n| %-14s | %-17s | %-12s | %+4d min |", m.service, fmt.Sprintf("%d min", pm.rto), fmt.Sprintf("%d min", m.rto), m.rto-pm.rto)
					if m.rto <= pm.rto {
						faster++
					}
				}
			}
		}
		secs = append(secs, section{heading: "Comparison with previous run",
			base:  []string{wrap(fmt.Sprintf("The previous run of %s was %s on %s.", t.test, p.id, date(p.start))), cb.String()},
			extra: []string{wrap(fmt.Sprintf("%d of %d services recovered as fast as or faster than in the previous run. Differences of a few minutes are within the variation we see between runs; larger ones are explained under Deviations.", faster, len(t.results)))},
		})
	}
	dev := "No deviations from the plan or the runbook."
	if len(t.deviations) > 0 {
		dev = bullets(t.deviations)
	}
	secs = append(secs, section{heading: "Deviations", base: []string{dev}})
	rev := g.team(t.end, 2, "JD-003", "JD-004")
	var rn []string
	for _, p := range rev {
		rn = append(rn, p.name())
	}
	review := fmt.Sprintf("Reviewed on %s by %s.", date(t.end.AddDate(0, 0, g.between(1, 10))), joinAnd(rn))
	if t.params {
		review += " The test parameters match the failure modes in the plan."
	} else {
		review += " The test parameters were not right: the injected failure was milder than the failure modes in the plan, and the next run will stop the whole availability zone."
	}
	if t.met {
		review += fmt.Sprintf(" All objectives of %s were met.", t.plan.id)
	} else {
		review += fmt.Sprintf(" The objectives of %s were not met for the %s.", t.plan.id, svcName(t.failService))
	}
	if t.criteria {
		review += " The success criteria are right."
	} else {
		review += " The success criteria need revision: the synthetic checks pass before background jobs have caught up, so the measured RTO is too optimistic."
	}
	var recs []string
	for _, i := range g.r.Perm(len(recommendations))[:g.between(1, 4)] {
		recs = append(recs, g.fill(recommendations[i], t.plan.services))
	}
	secs = append(secs,
		section{heading: "Post-test review", base: []string{wrap(review)}, extra: []string{
			wrap("The review compared the measured times with the objectives of the plan in force and with the previous run, and checked that every deviation has an owner and a due date."),
		}},
		section{heading: "Recommendations", base: []string{bullets(recs[:1])}, extra: []string{bullets(recs[1:])}},
	)
	return compose(f.String(), "", secs, g.between(minSize, maxSize))
}

func (g *generator) incidentFile(inc *incident) []byte {
	sc := inc.sc
	svc := inc.services[0]
	comp := pick(g, services[svc].parts)
	var svcNames []string
	for _, s := range inc.services {
		svcNames = append(svcNames, svcName(s))
	}
	sup, supID := "the supplier", ""
	if inc.supplier != nil {
		sup, supID = inc.supplier.name, inc.supplier.id
	}
	year := fmt.Sprint(inc.detected.Year())
	down, loss := fmt.Sprint(inc.downtime), fmt.Sprint(inc.dataLoss)
	if inc.status == "open" {
		// Not known yet: the report says what is known so far.
		down, loss = fmt.Sprintf("more than %d", max(5, inc.downtime/2)), fmt.Sprintf("up to %d", max(1, inc.dataLoss))
	}
	rep := strings.NewReplacer(
		"{Svc}", joinAnd(svcNames), "{svc}", svc, "{svcs}", strings.Join(inc.services, ", "), "{comp}", comp,
		"{sup}", sup, "{supid}", supID, "{owner}", inc.owner.name(), "{rep}", inc.reporter.name(),
		"{rel}", inc.release, "{region}", region(g.co.regions[0]), "{standby}", region(g.co.regions[1]),
		"{down}", down, "{loss}", loss,
		"{chg}", fmt.Sprintf("CHG-%s-%03d", year, g.between(1, 400)), "{n}", fmt.Sprint(g.between(2, 40)),
		"{year}", year, "{n3}", fmt.Sprintf("%03d", g.between(1, 120)), "{end}", inc.resolved.Format("15:04"),
	)
	open := inc.status == "open"

	var f frontmatter
	f.kv("id", inc.id)
	f.text("title", capital(rep.Replace(sc.title)))
	f.kv("level", inc.level)
	f.kv("status", inc.status)
	f.kv("detected_at", stamp(inc.detected))
	if !open {
		f.kv("resolved_at", stamp(inc.resolved))
	}
	f.kv("services", flow(inc.services))
	f.kv("reported_by", inc.reporter.id)
	f.kv("owner", inc.owner.id)
	f.kv("drp_activated", fmt.Sprint(inc.drp))
	if !open {
		f.kv("downtime_minutes", fmt.Sprint(inc.downtime))
		f.kv("data_loss_minutes", fmt.Sprint(inc.dataLoss))
	}
	if len(inc.related) > 0 || g.chance(60) {
		f.kv("related", flow(inc.related))
	}
	g.noticeLog(&f, inc)

	summary := rep.Replace(sc.summary)
	if open {
		summary += " The incident is still open: " + pick(g, []string{
			"recovery is under way and this report is updated as it progresses.",
			"the service is running again on a workaround, and the permanent fix is pending.",
			"the cause is still being investigated.",
		})
	} else {
		summary += fmt.Sprintf(" Measured downtime: %d minutes; data loss: %d minutes.", inc.downtime, inc.dataLoss)
	}
	var sumExtra []string
	for _, i := range g.r.Perm(len(summaryExtras))[:g.between(1, 3)] {
		sumExtra = append(sumExtra, wrap(rep.Replace(summaryExtras[i])))
	}
	secs := []section{
		{heading: "Summary", base: []string{wrap(summary)}, extra: sumExtra},
		{heading: "Timeline", base: []string{g.timeline(inc, rep)}},
	}
	steps := remedies[inc.level]
	done := len(steps)
	if open {
		done = g.between(1, len(steps)-1)
	}
	var acts []string
	for i, s := range steps {
		mark := "[x]"
		if i >= done {
			mark = "[ ]"
		}
		if i == 0 && i < done {
			who := fmt.Sprintf("%s, %s", inc.owner.name(), inc.detected.Add(time.Duration(g.between(2, 15))*time.Minute).Format("15:04"))
			if strings.HasSuffix(s, ")") {
				s = strings.TrimSuffix(s, ")") + "; " + who + ")"
			} else {
				s += " (" + who + ")"
			}
		}
		acts = append(acts, "- "+mark+" "+s)
	}
	secs = append(secs, section{heading: "Actions taken", base: []string{strings.Join(acts, "\n")},
		extra: []string{wrap(rep.Replace(pick(g, actionNotes)))}})
	if !open {
		var ev []string
		for _, i := range g.r.Perm(len(evidence))[:g.between(2, 5)] {
			ev = append(ev, rep.Replace(evidence[i]))
		}
		var rca []string
		for _, i := range g.r.Perm(len(rcaExtras))[:g.between(1, 3)] {
			rca = append(rca, wrap(rep.Replace(rcaExtras[i])))
		}
		secs = append(secs,
			section{heading: "Restoration evidence", base: []string{bullets(ev)}},
			section{heading: "Root cause analysis", base: []string{wrap(rep.Replace(sc.rca))}, extra: rca},
		)
	}
	if inc.status == "closed" {
		var ls []string
		for _, l := range sc.lessons {
			ls = append(ls, rep.Replace(l))
		}
		for _, i := range g.r.Perm(len(lessonExtras))[:g.between(0, 2)] {
			ls = append(ls, lessonExtras[i])
		}
		secs = append(secs, section{heading: "Lessons learned", base: []string{bullets(ls)}})
	}
	if open {
		secs = append(secs, section{heading: "Next steps", base: []string{wrap(fmt.Sprintf("%s keeps this report up to date. When the incident is resolved, the report gets the resolution time, the measured downtime and data loss, the restoration evidence and the root cause analysis.", inc.owner.name()))}})
	}
	return compose(f.String(), "", secs, g.between(minSize, maxSize))
}

// timeline is the incident's timeline table, in the local time of
// detection.
func (g *generator) timeline(inc *incident, rep *strings.Replacer) string {
	open := inc.status == "open"
	dur := inc.resolved.Sub(inc.detected)
	type row struct {
		at   time.Time
		what string
	}
	rows := []row{{inc.detected, rep.Replace(inc.sc.symptom) + "; " + inc.reporter.name() + " alerted"}}
	evs := timelineEvents[inc.level]
	k := g.between(min(2, len(evs)), len(evs))
	last := 0.6
	if !open {
		last = 0.85
	}
	for i, e := range evs[:k] {
		frac := 0.05 + (last-0.05)*float64(i)/float64(k)
		at := inc.detected.Add(time.Duration(frac * float64(dur)))
		rows = append(rows, row{at, rep.Replace(e)})
	}
	if open {
		rows = append(rows, row{inc.detected.Add(time.Duration(0.7 * float64(dur))), "Work in progress; next update at the latest in two hours"})
	} else {
		rows = append(rows,
			row{inc.detected.Add(time.Duration(0.92 * float64(dur))), rep.Replace(inc.sc.fix)},
			row{inc.resolved, "All synthetic checks green; incident resolved"})
	}
	layout := "15:04"
	if !open && date(inc.resolved) != date(inc.detected) {
		layout = "01-02 15:04"
	}
	var b strings.Builder
	_, off := inc.detected.Zone()
	zn, _ := inc.detected.Zone()
	fmt.Fprintf(&b, "All times %s (UTC+%02d:00).\n\n", zn, off/3600)
	w := len(layout)
	fmt.Fprintf(&b, "| %-*s | Event |\n|%s|-------|", w, "Time", strings.Repeat("-", w+2))
	for _, r := range rows {
		fmt.Fprintf(&b, "\n| %-*s | %s |", w, r.at.Format(layout), r.what)
	}
	return b.String()
}
