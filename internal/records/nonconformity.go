package records

// FollowUp is what a plan's follow_up sets, in days; 0 where it is unset
// (the reports then take their defaults).
type FollowUp struct {
	// RetestDays is how soon a failed test, or one that missed its
	// objectives, is repeated.
	RetestDays int
	// IncidentReviewDays is how soon after a major or catastrophic
	// incident is resolved the plan is revised or a review decides that
	// no revision is needed.
	IncidentReviewDays int
	// OnboardingDays is how soon new staff, and holders of critical roles
	// after a revision, are trained.
	OnboardingDays int
}

func followUp(v any) FollowUp {
	m, _ := v.(map[string]any)
	return FollowUp{RetestDays: int(num(m["retest_days"])), IncidentReviewDays: int(num(m["incident_review_days"])),
		OnboardingDays: int(num(m["onboarding_days"]))}
}

// PlanReview is an incident's plan_review: the recorded review of the
// plan after the incident, deciding on a revision or that none is needed.
type PlanReview struct {
	Date, By, Decision, Plan string // as written
}

func planReview(v any) *PlanReview {
	m, ok := v.(map[string]any)
	if !ok || m == nil {
		return nil
	}
	return &PlanReview{Date: str(m["date"]), By: str(m["by"]), Decision: str(m["decision"]), Plan: str(m["plan"])}
}

// Nonconformity is a nonconformity with its corrective and preventive
// actions (CAPA).
type Nonconformity struct {
	*Entry
	Title, Source, SourceRecord, Status, Owner string
	Opened, ClosedAt                           string // as written
	Actions                                    []Action
	// Verification is the verification of effectiveness, or nil.
	Verification *Verification
}

// Action is a correction, corrective or preventive action.
type Action struct {
	ID, Type, Description, Owner string
	Due, Done                    string // as written; Done is "" until done
}

// Verification is a nonconformity's verification of effectiveness.
type Verification struct {
	Date, By  string
	Effective bool
}

// NewNonconformity reads a nonconformity.
func NewNonconformity(e *Entry) *Nonconformity {
	f := e.Fields
	n := &Nonconformity{Entry: e, Title: str(f.Get("title")), Source: str(f.Get("source")), SourceRecord: str(f.Get("source_record")),
		Status: str(f.Get("status")), Owner: str(f.Get("owner")), Opened: str(f.Get("opened")), ClosedAt: str(f.Get("closed_at"))}
	acts, _ := f.Get("actions").([]any)
	for _, x := range acts {
		m, _ := x.(map[string]any)
		if m == nil {
			continue
		}
		n.Actions = append(n.Actions, Action{ID: str(m["id"]), Type: str(m["type"]), Description: str(m["description"]),
			Owner: str(m["owner"]), Due: str(m["due"]), Done: str(m["done"])})
	}
	if m, ok := f.Get("verification").(map[string]any); ok && m != nil {
		eff, _ := m["effective"].(bool)
		n.Verification = &Verification{Date: str(m["date"]), By: str(m["by"]), Effective: eff}
	}
	return n
}

// Training is a training record: who was trained on what, and when.
type Training struct {
	*Entry
	Title      string
	Trainees   []string
	Plan, Role string
	Onboarding bool
	Date       string // as written
}

// NewTraining reads a training record.
func NewTraining(e *Entry) *Training {
	f := e.Fields
	onb, _ := f.Get("onboarding").(bool)
	return &Training{Entry: e, Title: str(f.Get("title")), Trainees: texts(f.Get("trainees")), Plan: str(f.Get("plan")),
		Role: str(f.Get("role")), Onboarding: onb, Date: str(f.Get("date"))}
}
