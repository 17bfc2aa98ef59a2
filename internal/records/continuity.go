package records

import (
	"maps"
	"slices"
)

// KindRisk is the risk register's kind.
const KindRisk = "risk"

// ContactRoles are the roles a plan's service names its contacts by, in the
// order reports list them.
var ContactRoles = []string{"primary", "secondary", "it_lead", "operations_lead"}

// ContactTitle is how reports name a contact role.
func ContactTitle(role string) string {
	switch role {
	case "primary":
		return "primary contact"
	case "secondary":
		return "secondary contact"
	case "it_lead":
		return "IT lead"
	case "operations_lead":
		return "operations lead"
	}
	return role
}

// Service is a service a plan declares (Plan.Declared is sorted by name): what it is, its recovery
// objectives (maximum tolerable downtime where given), the suppliers it
// depends on and its contacts by role (staff ids).
type Service struct {
	Name, Description string
	Objective         Objective
	MTD               *int
	Suppliers         []string
	Contacts          map[string]string
}

// RiskScales are the plan's risk scales (each from lowest to highest) and
// matrix: Matrix[likelihood][i] is the level of the i-th impact.
type RiskScales struct {
	Likelihood, Impact, Levels []string
	Matrix                     map[string][]string
	// Mitigate are the levels a risk must have a mitigation at.
	Mitigate     []string
	Categories   []string
	ReviewMonths int
}

// Level is the level the matrix gives a likelihood and an impact, or ""
// when either is not on its scale or the matrix has no such cell.
func (s *RiskScales) Level(likelihood, impact string) string {
	i := slices.Index(s.Impact, impact)
	row := s.Matrix[likelihood]
	if i < 0 || i >= len(row) || !slices.Contains(s.Likelihood, likelihood) {
		return ""
	}
	return row[i]
}

// Cadence is what a plan's communication plan asks of the notices to one
// audience for incidents of some levels.
type Cadence struct {
	Audience    string
	Channels    []string
	Responsible string // a contact role
	Levels      []string
	FirstWithin int // minutes after detection
	UpdateEvery int // minutes between notices until resolved
	// Index is the entry's position in the communication plan.
	Index int
}

// readContinuity reads the parts of a plan that declare its services, risk
// scales and communication plan. Objectives of the declared services take
// the place of the objectives of plans written before services were.
func (p *Plan) readContinuity(f Fields) {
	svcs, _ := f.Get("services").(map[string]any)
	for _, name := range slices.Sorted(maps.Keys(svcs)) {
		m, _ := svcs[name].(map[string]any)
		if m == nil {
			continue
		}
		o, _ := m["objectives"].(map[string]any)
		s := Service{Name: name, Description: str(m["description"]), Objective: Objective{intValue(o["rto_minutes"]), intValue(o["rpo_minutes"])},
			MTD: intValue(o["mtd_minutes"]), Suppliers: texts(m["suppliers"]), Contacts: map[string]string{}}
		c, _ := m["contacts"].(map[string]any)
		for _, role := range ContactRoles {
			if id := str(c[role]); id != "" {
				s.Contacts[role] = id
			}
		}
		p.Declared = append(p.Declared, s)
		if f.Get("objectives") == nil {
			p.Objectives[s.Name] = s.Objective
		}
	}
	if r, ok := f.Get("risk").(map[string]any); ok {
		rs := &RiskScales{Likelihood: texts(r["likelihood"]), Impact: texts(r["impact"]), Levels: texts(r["levels"]),
			Matrix: map[string][]string{}, Mitigate: texts(r["mitigate"]), Categories: texts(r["categories"]), ReviewMonths: int(num(r["review_months"]))}
		mx, _ := r["matrix"].(map[string]any)
		for k, row := range mx {
			l, _ := row.([]any)
			cells := make([]string, len(l))
			for i, c := range l {
				cells[i] = str(c)
			}
			rs.Matrix[k] = cells
		}
		p.Risk = rs
	}
	comm, _ := f.Get("communication").([]any)
	for i, x := range comm {
		m, _ := x.(map[string]any)
		if m == nil {
			continue
		}
		p.Communication = append(p.Communication, Cadence{Index: i, Audience: str(m["audience"]), Channels: texts(m["channels"]), Responsible: str(m["responsible"]),
			Levels: texts(m["levels"]), FirstWithin: int(num(m["first_within_minutes"])), UpdateEvery: int(num(m["update_every_minutes"]))})
	}
}

// Service returns the declared service of that name, or nil.
func (p *Plan) Service(name string) *Service {
	for i := range p.Declared {
		if p.Declared[i].Name == name {
			return &p.Declared[i]
		}
	}
	return nil
}

// CadenceFor returns what the plan asks of notices to audience about an
// incident of level, or nil when it asks nothing.
func (p *Plan) CadenceFor(audience, level string) *Cadence {
	for i, c := range p.Communication {
		if c.Audience == audience && slices.Contains(c.Levels, level) {
			return &p.Communication[i]
		}
	}
	return nil
}

// Audiences lists the audiences of the plan's communication plan, in order
// of first mention.
func (p *Plan) Audiences() []string {
	var out []string
	for _, c := range p.Communication {
		if !slices.Contains(out, c.Audience) {
			out = append(out, c.Audience)
		}
	}
	return out
}

// Notice is an entry of an incident's notice log.
type Notice struct {
	Stage, Audience, SentAt, By string
	Channels                    []string
	// Index is the entry's position in the log.
	Index int
}

func notices(v any) []Notice {
	l, _ := v.([]any)
	var out []Notice
	for i, x := range l {
		m, _ := x.(map[string]any)
		if m == nil {
			continue
		}
		out = append(out, Notice{Stage: str(m["stage"]), Audience: str(m["audience"]), SentAt: str(m["sent_at"]), By: str(m["by"]),
			Channels: texts(m["channels"]), Index: i})
	}
	return out
}

// Risk is an entry of the risk register.
type Risk struct {
	*Entry
	Title, Category           string
	Likelihood, Impact, Level string
	Services, Mitigations     []string
	Owner                     string
	LastReview, NextReview    string // as written
}

// NewRisk reads a risk.
func NewRisk(e *Entry) *Risk {
	f := e.Fields
	return &Risk{Entry: e, Title: str(f.Get("title")), Category: str(f.Get("category")), Likelihood: str(f.Get("likelihood")),
		Impact: str(f.Get("impact")), Level: str(f.Get("level")), Services: texts(f.Get("services")), Mitigations: texts(f.Get("mitigations")),
		Owner: str(f.Get("owner")), LastReview: str(f.Get("last_review")), NextReview: str(f.Get("next_review"))}
}
