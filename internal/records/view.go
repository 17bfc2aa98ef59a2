package records

import (
	"maps"
	"slices"
	"sort"
	"strings"
	"time"
)

// The kinds the rules and reports know by their fields.
const (
	KindPlan     = "plan"
	KindIncident = "incident"
	KindTest     = "test"
	KindStaff    = "staff"
	KindSupplier = "supplier"
	KindMatrix   = "matrix"
	// KindNonconformity and KindTraining are the CAPA and training records
	// (nonconformity.go).
	KindNonconformity = "nonconformity"
	KindTraining      = "training"
)

// viewFields are the top-level fields the typed views read.
var viewFields = []string{
	"id", "title", "name", "email",
	// plan
	"document", "revision", "effective", "next_review", "supersedes", "objectives", "tests", "activators",
	// incident
	"level", "status", "detected_at", "resolved_at", "services", "downtime_minutes", "data_loss_minutes",
	// test
	"plan", "test", "started_at", "outcome", "previous", "results", "review",
	// staff
	"roles", "backup_for", "active_from", "active_until", "keys",
	// supplier
	"critical", "last_evaluated",
	// matrix
	"govern",
	// continuity: the plan's services, risk scales and communication plan;
	// incidents' notice logs and maintenance; risks
	"availability", "risk", "communication", "notices", "planned_maintenance", "owner",
	"category", "likelihood", "impact", "mitigations", "last_review",
	// plan, incident: reviews after disasters (nonconformity.go)
	"reason", "follow_up", "plan_review",
	// nonconformity
	"source", "source_record", "opened", "owner", "actions", "verification", "closed_at",
	// training
	"trainees", "role", "onboarding", "date",
}

// Objective is a service's recovery time and point, in minutes: a plan's
// objectives or what a test or incident measured (nil when not given).
type Objective struct {
	RTO, RPO *int
}

func objectives(v any) map[string]Objective {
	out := map[string]Objective{}
	obj, _ := v.(map[string]any)
	for svc, x := range obj {
		m, _ := x.(map[string]any)
		out[svc] = Objective{intValue(m["rto_minutes"]), intValue(m["rpo_minutes"])}
	}
	return out
}

// Plan is a revision of the continuity plan.
type Plan struct {
	*Entry
	Document, Title string
	Revision        float64
	Effective       string // as written
	NextReview      string // as written
	Objectives      map[string]Objective
	Tests           []PlanTest
	Activators      []string
	// Declared are the services the plan declares (none in plans written
	// before services were), Risk its risk scales (nil when it has none),
	// Communication its communication plan, Availability its target in
	// percent (0 when not set).
	Declared      []Service
	Risk          *RiskScales
	Communication []Cadence
	Availability  float64
	// Reason is why the revision was made: periodic, unscheduled, incident.
	Reason string
	// FollowUp holds the periods the plan sets for what failures and
	// disasters set in motion.
	FollowUp     FollowUp
	effectiveDay string // YYYY-MM-DD, "" when Effective is not a date
}

// PlanTest is a continuity test a plan declares.
type PlanTest struct {
	ID, Name    string
	EveryMonths int
	// Type is tabletop, drill or automated ("" when the plan does not say).
	Type string
}

// NewPlan reads a plan revision.
func NewPlan(e *Entry) *Plan {
	f := e.Fields
	p := &Plan{Entry: e, Document: str(f.Get("document")), Title: str(f.Get("title")), Revision: num(f.Get("revision")),
		Effective: str(f.Get("effective")), NextReview: str(f.Get("next_review")),
		Objectives: objectives(f.Get("objectives")), Activators: texts(f.Get("activators")),
		Reason: str(f.Get("reason")), FollowUp: followUp(f.Get("follow_up")), Availability: num(f.Get("availability"))}
	p.readContinuity(f)
	if _, ok := Date(p.Effective); ok {
		p.effectiveDay = p.Effective[:10]
	}
	tests, _ := f.Get("tests").([]any)
	for _, x := range tests {
		m, _ := x.(map[string]any)
		t := PlanTest{ID: str(m["id"]), Name: str(m["name"]), EveryMonths: int(num(m["every_months"])), Type: str(m["type"])}
		if t.ID != "" {
			p.Tests = append(p.Tests, t)
		}
	}
	return p
}

// Services lists the services the plan sets objectives for, sorted.
func (p *Plan) Services() []string { return slices.Sorted(maps.Keys(p.Objectives)) }

// SortPlans orders plans as InForce expects them: by effective date, then
// revision, then id.
func SortPlans(plans []*Plan) {
	sort.SliceStable(plans, func(i, j int) bool {
		a, b := plans[i], plans[j]
		if a.effectiveDay != b.effectiveDay {
			return a.effectiveDay < b.effectiveDay
		}
		if a.Revision != b.Revision {
			return a.Revision < b.Revision
		}
		return a.DisplayID() < b.DisplayID()
	})
}

// InForce is the one rule for which plan applies on a day (YYYY-MM-DD, or
// a time as written: its calendar date counts): the latest revision that
// is effective on or before that day; between revisions effective on the
// same day, the higher revision number. Plans must be in SortPlans order.
// It returns nil when none is effective yet.
func InForce(plans []*Plan, day string) *Plan {
	day = Day(day)
	if day == "" {
		return nil
	}
	var found *Plan
	for _, p := range plans {
		if p.effectiveDay != "" && p.effectiveDay <= day {
			found = p
		}
	}
	return found
}

// Incident is an incident report.
type Incident struct {
	*Entry
	Title, Level, Status   string
	DetectedAt, ResolvedAt string // as written
	Services               []string
	Downtime, DataLoss     *int // measured, in minutes
	// Planned marks planned maintenance (left out of availability).
	Planned bool
	// Notices is the log of the notices sent, as written.
	Notices []Notice
	Owner   string
	// Review is the recorded review of the plan after the incident, or
	// nil (plan_review).
	Review *PlanReview
}

// NewIncident reads an incident report.
func NewIncident(e *Entry) *Incident {
	f := e.Fields
	in := &Incident{Entry: e, Title: str(f.Get("title")), Level: str(f.Get("level")), Status: str(f.Get("status")),
		DetectedAt: str(f.Get("detected_at")), ResolvedAt: str(f.Get("resolved_at")),
		Downtime: intValue(f.Get("downtime_minutes")), DataLoss: intValue(f.Get("data_loss_minutes")),
		Notices: notices(f.Get("notices")), Owner: str(f.Get("owner")),
		Review: planReview(f.Get("plan_review"))}
	in.Planned, _ = f.Get("planned_maintenance").(bool)
	svcs, _ := f.Get("services").([]any)
	for _, s := range svcs {
		in.Services = append(in.Services, str(s))
	}
	return in
}

// Test is a continuity test report: one run of a test a plan declares.
type Test struct {
	*Entry
	Title, Plan, Test string
	StartedAt         string // as written
	Outcome, Previous string
	// Results are the measured times by service.
	Results map[string]Objective
}

// NewTest reads a test report.
func NewTest(e *Entry) *Test {
	f := e.Fields
	return &Test{Entry: e, Title: str(f.Get("title")), Plan: str(f.Get("plan")), Test: str(f.Get("test")),
		StartedAt: str(f.Get("started_at")), Outcome: str(f.Get("outcome")), Previous: str(f.Get("previous")),
		Results: objectives(f.Get("results"))}
}

// Staff is a staff member.
type Staff struct {
	*Entry
	Name, Email             string
	Roles, BackupFor        []string
	ActiveFrom, ActiveUntil string // as written
	Keys                    []Key
}

// Key is a signing key a staff record lists, as written there.
type Key struct {
	Type, Fingerprint, File string
	// Revoked is nil unless the key entry has a revoked mapping.
	Revoked *Revocation
}

// Revocation is a key's revoked entry.
type Revocation struct {
	At, Reason string
}

// NewStaff reads a staff record.
func NewStaff(e *Entry) *Staff {
	f := e.Fields
	s := &Staff{Entry: e, Name: str(f.Get("name")), Email: str(f.Get("email")), Roles: texts(f.Get("roles")),
		BackupFor: texts(f.Get("backup_for")), ActiveFrom: str(f.Get("active_from")), ActiveUntil: str(f.Get("active_until"))}
	keys, _ := f.Get("keys").([]any)
	for _, k := range keys {
		m, _ := k.(map[string]any)
		if m == nil {
			continue
		}
		key := Key{Type: str(m["type"]), Fingerprint: str(m["fingerprint"]), File: str(m["file"])}
		if rev, ok := m["revoked"].(map[string]any); ok && rev != nil {
			key.Revoked = &Revocation{At: str(rev["at"]), Reason: str(rev["reason"])}
		}
		s.Keys = append(s.Keys, key)
	}
	return s
}

// Supplier is a supplier.
type Supplier struct {
	*Entry
	Name          string
	Critical      bool
	LastEvaluated string // as written
}

// NewSupplier reads a supplier record.
func NewSupplier(e *Entry) *Supplier {
	f := e.Fields
	crit, _ := f.Get("critical").(bool)
	return &Supplier{Entry: e, Name: str(f.Get("name")), Critical: crit, LastEvaluated: str(f.Get("last_evaluated"))}
}

// Matrix is the responsibility matrix, as far as reports read it.
type Matrix struct {
	*Entry
	// Roles maps each role code to its title.
	Roles  map[string]string
	Govern []string
}

// NewMatrix reads the responsibility matrix.
func NewMatrix(e *Entry) *Matrix {
	m := &Matrix{Entry: e, Roles: map[string]string{}, Govern: texts(e.Fields.Get("govern"))}
	roles, _ := e.Fields.Get("roles").(map[string]any)
	for code, title := range roles {
		m.Roles[code] = str(title)
	}
	return m
}

// Index holds a repository's records as typed views, each kind sorted by
// id (Entry.Name). Files that are no records are left out.
type Index struct {
	// Plans are in SortPlans order.
	Plans     []*Plan
	Incidents []*Incident
	Tests     []*Test
	Staff     []*Staff
	Suppliers []*Supplier
	// Matrix is nil when there is none.
	Matrix          *Matrix
	Risks           []*Risk
	Nonconformities []*Nonconformity
	Training        []*Training

	plans map[string]*Plan // by id, the first of each
}

// NewIndex reads the entries of the known kinds (nil entries and broken
// files are skipped).
func NewIndex(entries []*Entry) *Index {
	sorted := make([]*Entry, 0, len(entries))
	for _, e := range entries {
		if e != nil && !e.Broken && e.Kind != nil {
			sorted = append(sorted, e)
		}
	}
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].DisplayID() < sorted[j].DisplayID() })
	ix := &Index{plans: map[string]*Plan{}}
	for _, e := range sorted {
		switch e.Kind.Name {
		case KindPlan:
			p := NewPlan(e)
			ix.Plans = append(ix.Plans, p)
			if _, dup := ix.plans[p.DisplayID()]; !dup {
				ix.plans[p.DisplayID()] = p
			}
		case KindIncident:
			ix.Incidents = append(ix.Incidents, NewIncident(e))
		case KindTest:
			ix.Tests = append(ix.Tests, NewTest(e))
		case KindStaff:
			ix.Staff = append(ix.Staff, NewStaff(e))
		case KindSupplier:
			ix.Suppliers = append(ix.Suppliers, NewSupplier(e))
		case KindMatrix:
			if ix.Matrix == nil {
				ix.Matrix = NewMatrix(e)
			}
		case KindRisk:
			ix.Risks = append(ix.Risks, NewRisk(e))
		case KindNonconformity:
			ix.Nonconformities = append(ix.Nonconformities, NewNonconformity(e))
		case KindTraining:
			ix.Training = append(ix.Training, NewTraining(e))
		}
	}
	SortPlans(ix.Plans)
	return ix
}

// ActiveOn reports whether the staff member is active on day: from the
// start of active_from to the end of active_until (an unreadable date
// limits nothing: validate reports it).
func (s *Staff) ActiveOn(day time.Time) bool {
	if from, ok := Date(s.ActiveFrom); ok && from.After(day) {
		return false
	}
	if until, ok := Date(s.ActiveUntil); ok && until.Before(day) {
		return false
	}
	return true
}

// Plan returns the plan revision with the given id, or nil.
func (ix *Index) Plan(id string) *Plan { return ix.plans[id] }

// InForce returns the plan in force on day (see InForce).
func (ix *Index) InForce(day string) *Plan { return InForce(ix.Plans, day) }

// StaffByEmail returns the id of the staff member with the email address
// (case does not matter), or "".
func (ix *Index) StaffByEmail(email string) string {
	email = strings.ToLower(email)
	found := ""
	for _, s := range ix.Staff {
		if id, _ := s.Fields.Get("id").(string); id != "" && s.Email != "" && strings.ToLower(s.Email) == email {
			found = id
		}
	}
	return found
}
