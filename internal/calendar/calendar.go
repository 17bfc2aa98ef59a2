package calendar

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	ics "github.com/arran4/golang-ical"

	"github.com/qms-tool/qms/internal/records"
	"github.com/qms-tool/qms/internal/status"
)

// The categories of events.
const (
	PlanReview         = "plan-review"
	Test               = "test"
	Retest             = "retest"
	RiskReview         = "risk-review"
	SupplierEvaluation = "supplier-evaluation"
	Action             = "nonconformity-action"
	IncidentReview     = "review-after-incident"
	Training           = "training"
)

// Event is one obligation due on a day.
type Event struct {
	// UID names the obligation, not its date: when the date moves, a
	// calendar app updates the event instead of adding another.
	UID      string `json:"uid"`
	Date     string `json:"date"` // YYYY-MM-DD
	Category string `json:"category"`
	Summary  string `json:"summary"`
	// Description says where the obligation comes from.
	Description string `json:"description"`
	// Path is the record it concerns.
	Path string `json:"path"`
	// State is where the date stands on the report's date (status.OK,
	// DueSoon, Overdue, Never).
	State string `json:"state"`
}

// testType names an exercise's type after its name: "a tabletop
// exercise", "a drill", "an automated test".
func testType(t string) string {
	switch t {
	case "tabletop":
		return ", a tabletop exercise"
	case "drill":
		return ", a drill"
	case "automated":
		return ", an automated test"
	}
	return ""
}

// riskReviews are the risk register's reviews: each risk's next review by
// its next_review or the plan's cadence, whichever comes first, as status
// counts them.
func riskReviews(ix *records.Index, r *status.Report) []Event {
	months := 0
	if r.Risks != nil {
		months = r.Risks.ReviewMonths
	}
	today, _ := time.Parse(time.DateOnly, r.At)
	var out []Event
	for _, k := range ix.Risks {
		due, ok := status.RiskReviewDue(k, months)
		if !ok {
			continue
		}
		why := "due by its next_review"
		if d, ok := records.Date(k.NextReview); !ok || !d.Equal(due) {
			why = fmt.Sprintf("due by the plan, which reviews risks every %d months (last reviewed on %s)", months, records.Day(k.LastReview))
		}
		out = append(out, Event{UID: "risk-review-" + k.DisplayID(), Date: due.Format(time.DateOnly), Category: RiskReview,
			Path: k.Path, State: state(today, due, r.Window),
			Summary:     fmt.Sprintf("Review of risk %s %s", k.DisplayID(), k.Title),
			Description: fmt.Sprintf("Risk %s (%s), level %s, owner %s: %s.", k.DisplayID(), k.Title, k.Level, k.Owner, why)})
	}
	return out
}

// Events lists everything due in a status report (status.Compute of ix),
// with every supplier's next evaluation (supplierMonths after the last,
// as status counts them), sorted by date, then UID.
func Events(ix *records.Index, r *status.Report, supplierMonths int) []Event {
	if supplierMonths <= 0 {
		supplierMonths = 12
	}
	var out []Event
	doc := ""
	if p := r.Plan; p != nil {
		if cur := ix.Plan(p.ID); cur != nil {
			doc = cur.Document
		}
		if day(p.NextReview) {
			out = append(out, Event{UID: "plan-review-" + orID(doc, p.ID), Date: p.NextReview, Category: PlanReview, Path: p.Path, State: p.State,
				Summary:     fmt.Sprintf("Review of plan %s", p.ID),
				Description: fmt.Sprintf("The review of %s %s (next_review).", p.ID, p.Title)})
		}
	}
	for _, t := range r.Tests {
		if !day(t.NextDue) {
			continue
		}
		e := Event{UID: "test-" + orID(doc, r.Plan.ID) + "-" + t.ID, Date: t.NextDue, Category: Test, State: t.State,
			Summary:     fmt.Sprintf("Test %s %s", t.ID, t.Name),
			Description: fmt.Sprintf("Continuity test %s (%s%s) of plan %s, every %d months.", t.ID, t.Name, testType(t.Type), r.Plan.ID, t.EveryMonths)}
		e.Path = r.Plan.Path
		if t.Last != nil {
			e.Path = t.Last.Path
		}
		if t.RetestOf != "" {
			e.UID, e.Category = "retest-"+t.RetestOf, Retest
			e.Summary = fmt.Sprintf("Retest %s %s", t.ID, t.Name)
			e.Description = fmt.Sprintf("The retest of %s (%s), which failed or missed its objectives, within %d days.", t.ID, t.RetestOf, t.RetestDays)
			if t.Nonconformity != "" {
				e.Description += " Nonconformity " + t.Nonconformity + "."
			}
		}
		out = append(out, e)
	}
	out = append(out, riskReviews(ix, r)...)
	today, _ := time.Parse(time.DateOnly, r.At)
	for _, s := range ix.Suppliers {
		last, ok := records.Date(s.LastEvaluated)
		if !ok {
			continue
		}
		due := addMonths(last, supplierMonths)
		out = append(out, Event{UID: "supplier-evaluation-" + s.DisplayID(), Date: due.Format(time.DateOnly), Category: SupplierEvaluation,
			Path: s.Path, State: state(today, due, r.Window),
			Summary:     fmt.Sprintf("Evaluation of supplier %s %s", s.DisplayID(), s.Name),
			Description: fmt.Sprintf("Supplier %s (%s), last evaluated %s.", s.DisplayID(), s.Name, s.LastEvaluated[:10])})
	}
	for _, n := range r.Nonconformities {
		for _, a := range n.Open {
			out = append(out, Event{UID: "action-" + n.ID + "-" + a.ID, Date: a.Due, Category: Action, Path: n.Path, State: a.State,
				Summary:     fmt.Sprintf("%s %s: %s", n.ID, a.ID, a.Description),
				Description: fmt.Sprintf("The %s action %s of nonconformity %s (%s), owner %s.", a.Type, a.ID, n.ID, n.Title, a.Owner)})
		}
	}
	for _, rv := range r.Reviews {
		out = append(out, Event{UID: "review-after-" + rv.Incident, Date: rv.Due, Category: IncidentReview, Path: rv.Path, State: rv.State,
			Summary:     fmt.Sprintf("Plan review after %s", rv.Incident),
			Description: fmt.Sprintf("The %s incident %s (%s) was resolved on %s: revise the plan (reason incident) or record a plan_review.", rv.Level, rv.Incident, rv.Title, rv.Resolved)})
	}
	for _, t := range r.Training {
		e := Event{UID: "onboarding-" + t.Staff, Date: t.Due, Category: Training, Path: t.Path, State: t.State,
			Summary:     fmt.Sprintf("Onboarding training of %s", t.Staff),
			Description: fmt.Sprintf("%s joined and has no training record yet.", t.Staff)}
		if t.What == "plan" {
			e.UID = "training-" + t.Staff + "-" + t.Plan
			e.Summary = fmt.Sprintf("Training of %s on %s", t.Staff, t.Plan)
			e.Description = fmt.Sprintf("%s (%s) is to be trained on the plan in force, %s.", t.Staff, strings.Join(t.Roles, ", "), t.Plan)
		}
		out = append(out, e)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Date != out[j].Date {
			return out[i].Date < out[j].Date
		}
		return out[i].UID < out[j].UID
	})
	return out
}

// Feed is what a calendar file says about itself.
type Feed struct {
	// Name is the calendar's name, e.g. the company's quality calendar.
	Name string
	// Domain makes the UIDs unique beyond this QMS: their right-hand
	// side, e.g. silvretta-medical-software-ag.qms.
	Domain string
	// Stamp is the DTSTAMP of every event: the date the calendar is made
	// as of, so that the same records give the same bytes.
	Stamp time.Time
}

// Write writes the events as an iCalendar feed: one all-day event each,
// its UID the event's UID at the feed's domain.
func Write(w io.Writer, f Feed, events []Event) error {
	cal := ics.NewCalendarFor("qms")
	cal.SetProductId("-//qms//quality calendar//EN")
	cal.SetMethod(ics.MethodPublish)
	cal.SetCalscale("GREGORIAN")
	if f.Name != "" {
		cal.SetName(f.Name)
		cal.SetXWRCalName(f.Name)
	}
	domain := f.Domain
	if domain == "" {
		domain = "qms"
	}
	for _, e := range events {
		d, err := time.Parse(time.DateOnly, e.Date)
		if err != nil {
			return fmt.Errorf("event %s: %w", e.UID, err)
		}
		ev := cal.AddEvent(e.UID + "@" + domain)
		ev.SetDtStampTime(f.Stamp)
		ev.SetAllDayStartAt(d)
		ev.SetAllDayEndAt(d.AddDate(0, 0, 1))
		ev.SetSummary(e.Summary)
		ev.SetDescription(e.Description + " (" + e.Path + ")")
		ev.AddCategory(e.Category)
		ev.SetProperty(ics.ComponentProperty("X-QMS-STATE"), e.State)
		ev.SetProperty(ics.ComponentProperty("X-QMS-PATH"), e.Path)
	}
	// RFC 5545 lines end in CRLF, whatever the system's newline.
	return cal.SerializeTo(w, ics.WithNewLineWindows)
}

// Domain makes a feed domain of a company name: lowercase letters and
// digits, words joined by hyphens, then ".qms".
func Domain(company string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(company) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		default:
			dash = true
		}
	}
	if b.Len() == 0 {
		return "qms"
	}
	return b.String() + ".qms"
}

func orID(doc, id string) string {
	if doc != "" {
		return doc
	}
	return id
}

func day(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}

func state(today, due time.Time, window int) string {
	days := int(due.Sub(today) / (24 * time.Hour))
	switch {
	case days < 0:
		return status.Overdue
	case days <= window:
		return status.DueSoon
	}
	return status.OK
}

// addMonths is status's: n calendar months, clamped to the month's end.
func addMonths(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	first := time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	if last := first.AddDate(0, 1, -1).Day(); d > last {
		d = last
	}
	return time.Date(first.Year(), first.Month(), d, 0, 0, 0, 0, time.UTC)
}
