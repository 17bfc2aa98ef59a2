package status

import (
	"time"

	"github.com/qms-tool/qms/internal/records"
)

// RuleContactUnfilled is a contact role of a service that nobody active
// holds.
const RuleContactUnfilled = "contact-unfilled"

// ServiceCover is a service the plan in force declares, with its contacts
// as of the report's date.
type ServiceCover struct {
	Name        string    `json:"name"`
	Description string    `json:"description"`
	RTO         *int      `json:"rto_minutes"`
	RPO         *int      `json:"rpo_minutes"`
	MTD         *int      `json:"mtd_minutes,omitempty"`
	Suppliers   []string  `json:"suppliers"`
	Contacts    []Contact `json:"contacts"`
	// Unfilled are the roles nobody active holds.
	Unfilled []string `json:"unfilled"`
}

// Contact is who holds a contact role of a service.
type Contact struct {
	Role  string `json:"role"`
	Staff string `json:"staff,omitempty"`
	Name  string `json:"name,omitempty"`
	// Active is false when the role is unfilled, or held by someone not
	// active on the report's date (who has left, or not started yet).
	Active bool `json:"active"`
}

// services reports the contacts of each service the plan in force
// declares, and every contact role that is unfilled or held only by
// someone who is not active on the report's date.
func (c *computation) services(ix *records.Index, cur *records.Plan) {
	if cur == nil {
		return
	}
	staff := map[string]*records.Staff{}
	for _, s := range ix.Staff {
		if _, dup := staff[s.DisplayID()]; !dup {
			staff[s.DisplayID()] = s
		}
	}
	for _, svc := range cur.Declared {
		sc := ServiceCover{Name: svc.Name, Description: svc.Description, RTO: svc.Objective.RTO, RPO: svc.Objective.RPO, MTD: svc.MTD,
			Suppliers: append([]string{}, svc.Suppliers...), Contacts: []Contact{}, Unfilled: []string{}}
		for _, role := range records.ContactRoles {
			ct := Contact{Role: role, Staff: svc.Contacts[role]}
			if s := staff[ct.Staff]; s != nil {
				ct.Name, ct.Active = s.Name, s.ActiveOn(c.today)
			}
			sc.Contacts = append(sc.Contacts, ct)
			if ct.Active {
				continue
			}
			sc.Unfilled = append(sc.Unfilled, role)
			switch {
			case ct.Staff == "":
				c.r.problem(cur.Path, RuleContactUnfilled, "service %s of plan %s names no %s", svc.Name, cur.DisplayID(), records.ContactTitle(role))
			case ct.Name == "":
				c.r.problem(cur.Path, RuleContactUnfilled, "the %s of service %s, %s, is no staff member", records.ContactTitle(role), svc.Name, ct.Staff)
			default:
				c.r.problem(cur.Path, RuleContactUnfilled, "the %s of service %s, %s (%s), is not active on %s", records.ContactTitle(role), svc.Name,
					ct.Staff, ct.Name, c.today.Format(time.DateOnly))
			}
		}
		c.r.Services = append(c.r.Services, sc)
	}
}

// continuity runs the rules of the plan as data: services and their
// contacts, the risk register, the notices open incidents owe, and
// availability.
func (c *computation) continuity(ix *records.Index, cur *records.Plan) {
	c.services(ix, cur)
	c.risks(ix, cur)
	c.notices(ix)
	c.availability(ix, cur)
}
