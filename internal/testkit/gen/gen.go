package gen

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// MinRecords is the smallest repository Write makes: the matrix, a plan
// revision, four staff and a few other records.
const MinRecords = 10

// MaxRecords bounds Options.Records, to keep the generator's memory use
// reasonable.
const MaxRecords = 1_000_000

// lastYear and lastDay bound the dates records carry. They are fixed, not
// taken from the clock, so that the output depends on the options only.
const lastYear = 2026

var lastDay = time.Date(lastYear, time.October, 31, 0, 0, 0, 0, time.UTC)

// Options says what to generate.
type Options struct {
	// Records is the number of record files to write, the responsibility
	// matrix and the plan revisions included: 'qms validate' reports exactly
	// this many records.
	Records int
	// Seed selects the data: the same Records and Seed give the same files.
	Seed int64
	// Git makes the directory a Git repository holding everything in one
	// commit, for benchmarks of 'qms validate --staged'. It runs the git
	// binary.
	Git bool
	// FollowUp adds nonconformities for failed test runs and training
	// records, about a tenth of the records, taken from the incidents'
	// share (followup.go). Without it the output is as it always was.
	FollowUp bool
	// Continuity makes the later half of the plan revisions declare risk
	// scales and a communication plan, gives incidents under them notice
	// logs and adds a risk register of about a twentieth of the records,
	// taken from the incidents' share (continuity.go).
	Continuity bool
}

// Stats says what Write wrote.
type Stats struct {
	// Records counts every record file, matrix and plan revisions included.
	Records   int
	Plans     int
	Staff     int
	Suppliers int
	Tests     int
	Incidents int
	// Nonconformities and Training count the follow-up records.
	Nonconformities, Training int
	// Risks counts the risk register's records.
	Risks int
	// Bytes is the total size of the record files.
	Bytes int64
	// FirstYear and LastYear span the years of incident and test ids.
	FirstYear, LastYear int
}

// ErrNotEmpty is returned by Write when the directory exists and is not
// empty: Write never overwrites files.
var ErrNotEmpty = errors.New("directory is not empty")

// Write generates a QMS repository in dir, which must be empty or not exist:
// qms.yaml, the responsibility matrix, yearly plan revisions (plus a few
// unscheduled ones), staff, suppliers, continuity test reports and incident
// reports, all valid and consistent with each other. Incident and test ids
// are spread over as many years as needed to keep per-year sequence numbers
// at four digits.
func Write(dir string, opts Options) (Stats, error) {
	if opts.Records < MinRecords || opts.Records > MaxRecords {
		return Stats{}, fmt.Errorf("gen: cannot generate %d records: between %d and %d are possible", opts.Records, MinRecords, MaxRecords)
	}
	if err := mkEmpty(dir); err != nil {
		return Stats{}, err
	}
	g := newGenerator(opts)
	if err := g.build(); err != nil {
		return Stats{}, err
	}
	st, err := g.write(dir)
	if err != nil {
		return st, err
	}
	if st.Records != opts.Records {
		return st, fmt.Errorf("gen: wrote %d records instead of %d", st.Records, opts.Records)
	}
	if opts.Git {
		if err := commit(dir, st); err != nil {
			return st, err
		}
	}
	return st, nil
}

func mkEmpty(dir string) error {
	ents, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return os.MkdirAll(dir, 0o755)
	case err != nil:
		return err
	case len(ents) > 0:
		return fmt.Errorf("gen: %s: %w", dir, ErrNotEmpty)
	}
	return nil
}

// Central European time, as the fictional companies keep it; a fixed
// offset per month is close enough for synthetic records.
var (
	cet  = time.FixedZone("CET", 3600)
	cest = time.FixedZone("CEST", 7200)
)

func zone(m time.Month) *time.Location {
	if m >= time.April && m <= time.October {
		return cest
	}
	return cet
}

func date(t time.Time) string  { return t.Format(time.DateOnly) }
func stamp(t time.Time) string { return t.Format(time.RFC3339) }

type objective struct{ rto, rpo int }

type planTest struct {
	id, name string
	every    int
}

type plan struct {
	id           string
	rev          int
	eff          time.Time
	reason       string
	availability string
	services     []string
	obj          map[string]objective
	tests        []planTest
	activators   []string
	// risk and comm: the plan declares risk scales and a communication
	// plan (Options.Continuity).
	risk, comm bool
}

type person struct {
	id, first, last, position string
	roles                     []string
	email, phone              string
	backup                    []string
	from, until               string // dates; until "" while employed
}

func (p *person) activeOn(d string) bool {
	return p.from <= d && (p.until == "" || d <= p.until)
}

func (p *person) has(roles []string) bool {
	for _, r := range p.roles {
		for _, w := range roles {
			if r == w {
				return true
			}
		}
	}
	return false
}

func (p *person) name() string { return p.first + " " + p.last }

type supplier struct {
	id, name, taxID, email, phone, address, city string
	cat                                          *category
	services                                     []string
	critical                                     bool
	evaluated                                    string
}

type measure struct {
	service  string
	rto, rpo int
}

type testRun struct {
	id, test     string
	start, end   time.Time
	plan         *plan
	prev         *testRun
	exec         []*person
	environment  string
	resources    []string
	results      []measure
	incidents    []string
	deviations   []string
	params, met  bool
	criteria     bool
	failService  string
	runbook, tag string
}

type incident struct {
	id                 string
	level, status      string
	detected, resolved time.Time
	plan               *plan
	services           []string
	reporter, owner    *person
	drp                bool
	downtime, dataLoss int
	related            []string
	sc                 *scenario
	supplier           *supplier
	release            string
	notices            []notice
}

type generator struct {
	opts    Options
	r       *rand.Rand
	co      company
	first   int       // first year of plans, tests and incidents
	from    time.Time // earliest date of a test or incident
	days    int       // days from 'from' to lastDay
	plans   []*plan
	staff   []*person
	sups    []*supplier
	tests   []*testRun
	incs    []*incident
	ncs     []*nonconformity
	trains  []*training
	risks   []*risk
	handles map[string]int
}

func newGenerator(opts Options) *generator {
	r := rand.New(rand.NewPCG(uint64(opts.Seed), 0x9e3779b97f4a7c15))
	return &generator{opts: opts, r: r, co: companies[r.IntN(len(companies))], handles: map[string]int{}}
}

func (g *generator) intn(n int) int { return g.r.IntN(n) }

// chance is true with probability pct percent.
func (g *generator) chance(pct int) bool { return g.r.IntN(100) < pct }

func pick[T any](g *generator, xs []T) T { return xs[g.r.IntN(len(xs))] }

// between returns a uniform integer in [lo, hi].
func (g *generator) between(lo, hi int) int {
	if hi <= lo {
		return lo
	}
	return lo + g.r.IntN(hi-lo+1)
}

func (g *generator) build() error {
	n := g.opts.Records
	// Enough years that incidents (about half the records) stay far below
	// 9999 a year, and about 20 records a year in small repositories.
	years := max(1, min(11, n/20), (n+3999)/4000)
	g.first = lastYear - years + 1
	g.buildPlans(years, n >= 100)
	g.from = g.plans[0].eff.AddDate(0, 0, 10)
	g.days = int(lastDay.Sub(g.from).Hours()/24) + 1

	rest := n - 1 - len(g.plans)
	nStaff := max(4, rest/10)
	nSup := min(9999, max(1, rest/10))
	nTests := max(1, rest/4)
	nInc := rest - nStaff - nSup - nTests
	nFollow := 0
	if g.opts.FollowUp {
		nFollow = rest / 10
		nInc -= nFollow
	}
	nRisk := 0
	if g.opts.Continuity {
		nRisk = max(1, rest/20)
		nInc -= nRisk
	}
	if nInc < 1 {
		return fmt.Errorf("gen: %d records are too few", n)
	}
	g.buildStaff(nStaff)
	g.buildSuppliers(nSup)
	if err := g.buildTests(nTests); err != nil {
		return err
	}
	if err := g.buildFollowUp(nFollow); err != nil {
		return err
	}
	if err := g.buildRisks(nRisk); err != nil {
		return err
	}
	// Incidents fill what the follow-up records left of their budget.
	return g.buildIncidents(nInc + nFollow - len(g.ncs) - len(g.trains))
}

// day returns a random date between g.from and lastDay, at midnight UTC.
func (g *generator) day() time.Time {
	return g.from.AddDate(0, 0, g.intn(g.days))
}

// at puts a wall-clock time of day on a date, in the local zone.
func at(d time.Time, hour, minute int) time.Time {
	return time.Date(d.Year(), d.Month(), d.Day(), hour, minute, 0, 0, zone(d.Month()))
}

func (g *generator) buildPlans(years int, extras bool) {
	type slot struct {
		eff    time.Time
		reason string
	}
	var slots []slot
	extra := 0
	if extras {
		extra = years / 4
	}
	for y := g.first; y <= lastYear; y++ {
		slots = append(slots, slot{time.Date(y, time.January, g.between(6, 20), 0, 0, 0, 0, time.UTC), "periodic"})
		if extra > 0 && (y-g.first)%4 == 2 {
			reason := "incident"
			if g.chance(40) {
				reason = "unscheduled"
			}
			slots = append(slots, slot{time.Date(y, time.Month(g.between(4, 9)), g.between(1, 28), 0, 0, 0, 0, time.UTC), reason})
			extra--
		}
	}
	for i, s := range slots {
		frac := 1.0
		if len(slots) > 1 {
			frac = float64(i) / float64(len(slots)-1)
		}
		p := &plan{id: fmt.Sprintf("GP-100-r%d", i+1), rev: i + 1, eff: s.eff, reason: s.reason,
			availability: "99.5", obj: map[string]objective{}}
		if frac >= 0.5 {
			p.availability = "99.9"
		}
		p.services = []string{"patient-app", "admin-portal", "backend"}
		p.obj["patient-app"] = objective{240, 60}
		p.obj["admin-portal"] = objective{480, 120}
		p.obj["backend"] = objective{120, 60}
		if frac >= 0.5 {
			p.obj["backend"] = objective{120, 30}
		}
		if frac >= 0.3 || len(slots) == 1 {
			p.services = append(p.services, "device-gateway")
			p.obj["device-gateway"] = objective{120, 60}
			if frac >= 0.7 {
				p.obj["device-gateway"] = objective{60, 60}
			}
		}
		t01 := planTest{"T01", "Automated failover", 12}
		if frac >= 0.7 {
			t01.every = 6
		}
		p.tests = []planTest{t01, {"T02", "Environment replication", 12}}
		p.activators = []string{"JD-001", "JD-003"}
		if frac >= 0.5 {
			p.activators = append(p.activators, "JD-004")
		}
		p.risk = g.opts.Continuity && (frac >= 0.5 || len(slots) == 1)
		p.comm = p.risk
		g.plans = append(g.plans, p)
	}
}

// inForce is the plan revision in force on t's local date.
func (g *generator) inForce(t time.Time) *plan {
	d := date(t)
	i := sort.Search(len(g.plans), func(i int) bool { return date(g.plans[i].eff) > d })
	if i == 0 {
		return g.plans[0] // cannot happen: records start after the first plan
	}
	return g.plans[i-1]
}

var leaders = []struct{ role, position string }{
	{"JD-001", "General Manager"},
	{"JD-002", "Quality Manager"},
	{"JD-003", "Head of Engineering"},
	{"JD-004", "Head of Operations"},
}

func (g *generator) buildStaff(n int) {
	start := time.Date(g.first-2, time.January, 1, 0, 0, 0, 0, time.UTC)
	span := int(lastDay.AddDate(0, 0, -90).Sub(start).Hours() / 24)
	for i := 0; i < n; i++ {
		first, last := pick(g, firstNames), pick(g, lastNames)
		id, num := g.handle(first, last)
		p := &person{id: id, first: first, last: last}
		local := ascii(first) + "." + ascii(last)
		if num > 1 {
			local += fmt.Sprint(num)
		}
		p.email = local + "@" + g.co.domain
		p.phone = fmt.Sprintf("+41 %d %03d %02d %02d", pick(g, areaCodes), g.intn(1000), g.intn(100), g.intn(100))
		if i < len(leaders) {
			// The leaders have been there from before the first plan and stay.
			p.roles = []string{leaders[i].role}
			p.position = leaders[i].position
			p.from = date(time.Date(g.first-3, time.Month(g.between(1, 12)), 1, 0, 0, 0, 0, time.UTC))
		} else {
			role := roleFor(g.intn(100))
			p.roles = []string{role}
			p.position = pick(g, positions[role])
			if role == "JD-005" && g.chance(8) {
				p.roles = append(p.roles, "JD-004")
				p.position = "Site Reliability Engineer"
			}
			from := start.AddDate(0, 0, g.intn(span))
			p.from = date(from)
			if left := int(lastDay.Sub(from).Hours()/24) - 180; left > 180 && g.chance(12) {
				p.until = date(from.AddDate(0, 0, 180+g.intn(left)))
			}
		}
		g.staff = append(g.staff, p)
	}
	for i, p := range g.staff {
		k := 0
		switch r := g.intn(10); {
		case r < 6:
			k = 1
		case r < 8:
			k = 2
		}
		if i < len(leaders) {
			k = 1
		}
		for j := 0; j < k; j++ {
			var o *person
			for try := 0; try < 8; try++ {
				c := g.staff[g.intn(len(g.staff))]
				if c != p && (o == nil || c.roles[0] == p.roles[0]) {
					o = c
				}
			}
			if i < len(leaders) {
				o = g.staff[(i+1)%len(leaders)]
			}
			if o == nil || o == p || contains(p.backup, o.id) {
				continue
			}
			p.backup = append(p.backup, o.id)
		}
	}
}

func roleFor(r int) string {
	switch {
	case r < 2:
		return "JD-001"
	case r < 6:
		return "JD-002"
	case r < 14:
		return "JD-003"
	case r < 26:
		return "JD-004"
	}
	return "JD-005"
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// handle makes a unique lowercase staff id from a name: akeller, akeller2.
func (g *generator) handle(first, last string) (string, int) {
	base := ascii(first)[:1] + ascii(last)
	if len(base) > 24 {
		base = base[:24]
	}
	g.handles[base]++
	n := g.handles[base]
	if n == 1 {
		return base, 1
	}
	id := fmt.Sprintf("%s%d", base, n)
	g.handles[id]++ // a generated "akeller2" can never clash with a base
	return id, n
}

// staffOn picks a staff member employed on t's date, holding one of roles
// when roles are given; the leaders, employed throughout, are the fallback.
func (g *generator) staffOn(t time.Time, roles ...string) *person {
	d := date(t)
	for try := 0; try < 40; try++ {
		p := g.staff[g.intn(len(g.staff))]
		if p.activeOn(d) && (len(roles) == 0 || p.has(roles)) {
			return p
		}
	}
	for _, i := range g.r.Perm(len(leaders)) {
		if p := g.staff[i]; len(roles) == 0 || p.has(roles) {
			return p
		}
	}
	return g.staff[0]
}

// team picks n distinct staff employed on t's date, the first holding one of
// roles when given.
func (g *generator) team(t time.Time, n int, roles ...string) []*person {
	out := []*person{g.staffOn(t, roles...)}
	for try := 0; len(out) < n && try < 4*n; try++ {
		p := g.staffOn(t)
		dup := false
		for _, q := range out {
			dup = dup || q == p
		}
		if !dup {
			out = append(out, p)
		}
	}
	return out
}

func (g *generator) buildSuppliers(n int) {
	for i := 0; i < n; i++ {
		// The first suppliers cover every category, the others are random.
		c := &categories[i%len(categories)]
		if i >= len(categories) || g.chance(30) {
			c = &categories[g.intn(len(categories))]
		}
		ctry := pick(g, countries)
		name := pick(g, supplierWords) + " " + pick(g, c.nouns) + " " + pick(g, ctry.forms)
		s := &supplier{id: fmt.Sprintf("SUP-%04d", i+1), name: name, cat: c}
		s.taxID = ctry.taxID(g)
		s.email = pick(g, c.mailboxes) + "@" + slug(name) + ".example." + pick(g, []string{"org", "net", "com"})
		s.phone = fmt.Sprintf("%s %s", ctry.phone, ctry.local(g))
		s.city = pick(g, ctry.cities)
		s.address = fmt.Sprintf(ctry.addr, pick(g, ctry.streets), g.between(1, 140), ctry.postcode(g), s.city)
		perm := g.r.Perm(len(c.services))
		for _, j := range perm[:g.between(1, min(4, len(c.services)))] {
			s.services = append(s.services, c.services[j])
		}
		s.critical = g.chance(c.critical)
		s.evaluated = date(lastDay.AddDate(0, 0, -g.intn(700)))
		g.sups = append(g.sups, s)
	}
}

func (g *generator) buildTests(n int) error {
	chains := map[string][]*testRun{}
	for i := 0; i < n; i++ {
		t := &testRun{test: "T01"}
		if g.chance(50) {
			t.test = "T02"
		}
		d := g.day()
		if t.test == "T01" {
			// In the maintenance window.
			t.start = at(d, g.between(20, 22), 15*g.intn(4))
		} else {
			t.start = at(d, g.between(7, 9), 15*g.intn(4))
		}
		chains[t.test] = append(chains[t.test], t)
	}
	for _, id := range []string{"T01", "T02"} {
		c := chains[id]
		sort.SliceStable(c, func(i, j int) bool { return c[i].start.Before(c[j].start) })
		for i := 1; i < len(c); i++ {
			if !c[i].start.After(c[i-1].start) {
				c[i].start = c[i-1].start.Add(15 * time.Minute)
			}
			c[i].prev = c[i-1]
		}
		g.tests = append(g.tests, c...)
	}
	sort.SliceStable(g.tests, func(i, j int) bool { return g.tests[i].start.Before(g.tests[j].start) })
	if err := number(len(g.tests), "TST", func(i int) time.Time { return g.tests[i].start },
		func(i int, id string) { g.tests[i].id = id }); err != nil {
		return err
	}
	for _, t := range g.tests {
		g.fillTest(t)
	}
	return nil
}

// number gives records sorted by time ids PREFIX-YYYY-NNNN, numbered from 1
// in each year.
func number(n int, prefix string, when func(int) time.Time, set func(int, string)) error {
	seq := map[int]int{}
	for i := 0; i < n; i++ {
		y := when(i).Year()
		seq[y]++
		if seq[y] > 9999 {
			return fmt.Errorf("gen: more than 9999 %s records in %d", prefix, y)
		}
		set(i, fmt.Sprintf("%s-%d-%04d", prefix, y, seq[y]))
	}
	return nil
}

func (g *generator) fillTest(t *testRun) {
	t.plan = g.inForce(t.start)
	if t.test == "T01" {
		t.end = t.start.Add(time.Duration(g.between(6, 20)*15) * time.Minute)
		t.environment = fmt.Sprintf("Production, region %s, maintenance window %02d:00-01:00", pick(g, g.co.regions[:1]), t.start.Hour())
		t.runbook = "RB-07"
	} else {
		t.end = t.start.Add(time.Duration(g.between(12, 36)*15) * time.Minute)
		t.environment = fmt.Sprintf("Isolated staging account, region %s", g.co.regions[1])
		t.runbook = "RB-09"
	}
	t.tag = fmt.Sprintf("infra-%d.%02d.%d", t.start.Year(), t.start.Month(), g.between(1, 4))
	t.exec = g.team(t.start, g.between(1, 3), "JD-004", "JD-005")
	t.resources = g.resources(t)
	fail := g.chance(18)
	if fail {
		t.failService = pick(g, t.plan.services)
	}
	for _, s := range t.plan.services {
		o := t.plan.obj[s]
		m := measure{service: s, rto: max(1, o.rto*g.between(15, 95)/100), rpo: o.rpo * g.between(0, 90) / 100}
		if t.test == "T01" && m.rpo > 5 {
			m.rpo = g.between(0, 5)
		}
		if s == t.failService {
			if g.chance(50) {
				m.rto = o.rto * g.between(105, 170) / 100
			} else {
				m.rpo = max(o.rpo+1, o.rpo*g.between(110, 200)/100)
			}
		}
		t.results = append(t.results, m)
	}
	t.met = !fail
	t.params = g.chance(92)
	t.criteria = g.chance(94)
	for k := g.weighted(60, 30, 10); k > 0; k-- {
		x := g.fill(pick(g, testIncidents), t.plan.services)
		if !contains(t.incidents, x) {
			t.incidents = append(t.incidents, x)
		}
	}
	for k := g.weighted(45, 35, 20); k > 0; k-- {
		x := g.fill(pick(g, testDeviations), t.plan.services)
		if !contains(t.deviations, x) {
			t.deviations = append(t.deviations, x)
		}
	}
}

// weighted returns i with probability ws[i] percent.
func (g *generator) weighted(ws ...int) int {
	r := g.intn(100)
	for i, w := range ws {
		if r < w {
			return i
		}
		r -= w
	}
	return len(ws) - 1
}

func (g *generator) buildIncidents(n int) error {
	for i := 0; i < n; i++ {
		d := g.day()
		h := g.intn(24)
		if g.chance(60) {
			h = g.between(7, 18)
		}
		g.incs = append(g.incs, &incident{detected: at(d, h, g.intn(60))})
	}
	sort.SliceStable(g.incs, func(i, j int) bool { return g.incs[i].detected.Before(g.incs[j].detected) })
	if err := number(len(g.incs), "INC", func(i int) time.Time { return g.incs[i].detected },
		func(i int, id string) { g.incs[i].id = id }); err != nil {
		return err
	}
	busy := map[string]time.Time{}
	for i, inc := range g.incs {
		g.fillIncident(i, inc)
		noOverlap(inc, busy)
		g.notices(inc)
	}
	return nil
}

var levels = []string{"minimal", "moderate", "major", "catastrophic"}

func (g *generator) fillIncident(i int, inc *incident) {
	inc.level = levels[g.weighted(52, 31, 13, 4)]
	var cands []*scenario
	for j := range scenarios {
		if contains(scenarios[j].levels, inc.level) {
			cands = append(cands, &scenarios[j])
		}
	}
	inc.sc = pick(g, cands)
	inc.plan = g.inForce(inc.detected)
	inc.release = fmt.Sprintf("%d.%d.%d", inc.detected.Year()-2000+1, g.intn(12), g.intn(20))
	svcs := inc.plan.services
	switch inc.level {
	case "catastrophic":
		inc.services = append([]string(nil), svcs...)
	case "major":
		perm := g.r.Perm(len(svcs))
		for _, j := range perm[:g.between(2, len(svcs))] {
			inc.services = append(inc.services, svcs[j])
		}
	default:
		if s := inc.sc.service; s != "" && inc.plan.obj[s] != (objective{}) {
			inc.services = []string{s}
		} else {
			inc.services = []string{pick(g, svcs)}
		}
		if inc.level == "moderate" && g.chance(20) {
			if s := pick(g, svcs); s != inc.services[0] {
				inc.services = append(inc.services, s)
			}
		}
	}
	inc.reporter = g.staffOn(inc.detected)
	switch inc.level {
	case "major", "catastrophic":
		inc.owner = g.staffOn(inc.detected, inc.plan.activators...)
		inc.drp = true
	default:
		inc.owner = g.staffOn(inc.detected, "JD-003", "JD-004", "JD-005")
		inc.drp = inc.level == "moderate" && g.chance(8)
	}
	if inc.sc.supplier != "" {
		for try := 0; try < 20 && inc.supplier == nil; try++ {
			if s := pick(g, g.sups); s.cat.key == inc.sc.supplier {
				inc.supplier = s
			}
		}
		if inc.supplier == nil {
			inc.supplier = g.sups[0]
		}
	}

	age := lastDay.Sub(inc.detected).Hours() / 24
	switch {
	case age < 45:
		inc.status = []string{"open", "resolved", "closed"}[g.weighted(45, 45, 10)]
	case age < 180:
		inc.status = []string{"open", "resolved", "closed"}[g.weighted(4, 40, 56)]
	default:
		inc.status = []string{"open", "resolved", "closed"}[g.weighted(1, 8, 91)]
	}
	var dur, loss int
	switch inc.level {
	case "minimal":
		dur, loss = g.between(8, 150), 0
	case "moderate":
		dur, loss = g.between(25, 480), g.between(0, 15)*g.weighted(60, 40)
	case "major":
		dur, loss = g.between(45, 720), g.between(0, 60)
	default:
		dur, loss = g.between(90, 2880), g.between(1, 240)
	}
	inc.resolved = inc.detected.Add(time.Duration(dur) * time.Minute)
	if inc.status != "open" && inc.resolved.After(lastDay.Add(24*time.Hour)) {
		inc.status = "open"
	}
	inc.downtime = dur * g.between(40, 100) / 100
	if inc.level == "minimal" && g.chance(40) {
		inc.downtime = 0
	}
	inc.dataLoss = loss

	if inc.supplier != nil {
		inc.related = append(inc.related, inc.supplier.id)
	}
	if i > 0 && g.chance(15) {
		inc.related = append(inc.related, g.incs[g.intn(i)].id)
	}
	if g.chance(20) {
		// A test run before the incident, e.g. the failover test that
		// exercised the same path.
		k := sort.Search(len(g.tests), func(k int) bool { return !g.tests[k].start.Before(inc.detected) })
		if k > 0 {
			inc.related = append(inc.related, g.tests[g.intn(k)].id)
		}
	}
}

func (g *generator) write(dir string) (Stats, error) {
	st := Stats{FirstYear: g.first, LastYear: lastYear}
	for _, d := range []string{"records/plans", "records/staff", "records/suppliers", "records/tests", "records/incidents"} {
		if err := os.MkdirAll(filepath.Join(dir, filepath.FromSlash(d)), 0o755); err != nil {
			return st, err
		}
	}
	put := func(p string, b []byte) error {
		if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(p)), b, 0o644); err != nil {
			return err
		}
		if p != "qms.yaml" {
			st.Records++
			st.Bytes += int64(len(b))
		}
		return nil
	}
	conf := fmt.Sprintf("# qms.yaml: marks the root of a QMS repository.\n# Generated by qmsgen (seed %d): every person, company, address and\n# phone number is made up.\nversion: 1\ncompany: %s\n", g.opts.Seed, yamlText(g.co.name))
	if err := put("qms.yaml", []byte(conf)); err != nil {
		return st, err
	}
	if err := put("records/matrix.md", []byte(fmt.Sprintf(matrixText, g.co.name))); err != nil {
		return st, err
	}
	for i, p := range g.plans {
		var prev *plan
		if i > 0 {
			prev = g.plans[i-1]
		}
		var next *plan
		if i+1 < len(g.plans) {
			next = g.plans[i+1]
		}
		if err := put("records/plans/"+p.id+".md", g.planFile(p, prev, next)); err != nil {
			return st, err
		}
		st.Plans++
	}
	for _, p := range g.staff {
		if err := put("records/staff/"+p.id+".md", g.staffFile(p)); err != nil {
			return st, err
		}
		st.Staff++
	}
	for _, s := range g.sups {
		if err := put("records/suppliers/"+s.id+".md", g.supplierFile(s)); err != nil {
			return st, err
		}
		st.Suppliers++
	}
	for _, t := range g.tests {
		if err := put("records/tests/"+t.id+".md", g.testFile(t)); err != nil {
			return st, err
		}
		st.Tests++
	}
	for _, inc := range g.incs {
		if err := put("records/incidents/"+inc.id+".md", g.incidentFile(inc)); err != nil {
			return st, err
		}
		st.Incidents++
	}
	for _, d := range []string{"records/nonconformities", "records/training"} {
		if len(g.ncs)+len(g.trains) > 0 {
			if err := os.MkdirAll(filepath.Join(dir, filepath.FromSlash(d)), 0o755); err != nil {
				return st, err
			}
		}
	}
	for _, nc := range g.ncs {
		if err := put("records/nonconformities/"+nc.id+".md", g.nonconformityFile(nc)); err != nil {
			return st, err
		}
		st.Nonconformities++
	}
	for _, tr := range g.trains {
		if err := put("records/training/"+tr.id+".md", g.trainingFile(tr)); err != nil {
			return st, err
		}
		st.Training++
	}
	if len(g.risks) > 0 {
		if err := os.MkdirAll(filepath.Join(dir, "records", "risks"), 0o755); err != nil {
			return st, err
		}
	}
	for _, r := range g.risks {
		if err := put("records/risks/"+r.id+".md", g.riskFile(r)); err != nil {
			return st, err
		}
		st.Risks++
	}
	return st, nil
}
