package status

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/approval"
)

// Options are the knobs of Compute.
type Options struct {
	// Now is the date the report is made as of.
	Now time.Time
	// Window is how many days ahead something is "due soon" (the CLI's
	// default is 30).
	Window int
	// SupplierMonths is how often suppliers are evaluated (default 12).
	SupplierMonths int
	// Signers, when set, are the staff ids with a key that could sign at
	// Now, as the signing policy sees them (SignersAt); otherwise the
	// staff records' keys are taken at their word.
	Signers map[string]bool
	// Approval holds the records' approval states; nil when the history
	// could not be verified (no trust root): approval is then unknown.
	Approval []approval.State
}

// States a date-bound obligation can be in.
const (
	OK      = "ok"
	DueSoon = "due-soon"
	Overdue = "overdue"
	Never   = "never-run"
)

// Word is how reports show a state: OVERDUE, DUE SOON, never run, ok;
// any other state as it is.
func Word(state string) string {
	switch state {
	case Overdue:
		return "OVERDUE"
	case DueSoon:
		return "DUE SOON"
	case Never:
		return "never run"
	case OK:
		return "ok"
	}
	return state
}

// Report is the state of the QMS's obligations as of a date.
type Report struct {
	At     string `json:"at"`
	Window int    `json:"window_days"`
	// Plan is the plan in force, or nil when none is effective yet.
	Plan      *Plan          `json:"plan"`
	Tests     []Test         `json:"tests"`
	Open      []Incident     `json:"open_incidents"`
	OpenCount map[string]int `json:"open_by_level"`
	Breaches  []Breach       `json:"breaches"`
	Approval  Approval       `json:"approval"`
	Suppliers []Supplier     `json:"suppliers_due"`
	Uncovered []Role         `json:"uncovered_roles"`
	NoBackup  []Role         `json:"roles_without_backup"`
	// Problems counts what makes 'qms status --strict' fail: overdue plan
	// review, tests, or supplier evaluations; failed or off-target last
	// runs; uncovered roles and critical roles without a backup. Findings
	// say what each is and where.
	Problems int           `json:"problems"`
	Findings []qms.Finding `json:"-"`
	// Services are the services the plan in force declares, with their
	// contacts; Risks the risk register (nil without risks or scales);
	// Notices the next notice each open incident owes each audience;
	// Availability each service's availability per month and year.
	Services     []ServiceCover `json:"services"`
	Risks        *RiskRegister  `json:"risks"`
	Notices      []NoticeDue    `json:"notices_due"`
	Availability []Availability `json:"availability"`

	// Nonconformities are those open, or closed without a verification
	// of effectiveness (capa.go): nonconformities without one, overdue
	// actions and retests are problems too.
	Nonconformities []Nonconformity `json:"nonconformities"`
	// Reviews are the plan reviews owed after major and catastrophic
	// incidents (review.go); overdue ones are problems.
	Reviews []Review `json:"reviews_after_incidents"`
	// Training lists who is to be trained (training.go); overdue ones are
	// problems.
	Training []TrainingDue `json:"training_due"`
}

// problemHint is problem with a hint saying what to do.
func (r *Report) problemHint(path, rule, hint, format string, a ...any) {
	r.problem(path, rule, format, a...)
	r.Findings[len(r.Findings)-1].Hint = hint
}

func (r *Report) problem(path, rule, format string, a ...any) {
	r.Problems++
	r.Findings = append(r.Findings, qms.Finding{Path: path, Line: 1, Column: 1, Rule: rule, Severity: qms.Error, Message: fmt.Sprintf(format, a...)})
}

// missed lists the objectives a run missed.
func missed(run Run) string {
	var out []string
	for _, m := range run.Results {
		if m.RTO != nil && m.RTOGoal != nil && *m.RTO > *m.RTOGoal {
			out = append(out, fmt.Sprintf("the %s RTO (%d min, objective %d)", m.Service, *m.RTO, *m.RTOGoal))
		}
		if m.RPO != nil && m.RPOGoal != nil && *m.RPO > *m.RPOGoal {
			out = append(out, fmt.Sprintf("the %s RPO (%d min, objective %d)", m.Service, *m.RPO, *m.RPOGoal))
		}
	}
	return strings.Join(out, ", ")
}

// Plan is the plan in force.
type Plan struct {
	ID         string `json:"id"`
	Path       string `json:"path"`
	Title      string `json:"title"`
	Effective  string `json:"effective"`
	NextReview string `json:"next_review"`
	State      string `json:"state"`
	// Days until the next review (negative when overdue).
	Days int `json:"days"`
}

// Test is one continuity test the plan in force declares.
type Test struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	EveryMonths int    `json:"every_months"`
	// Last is the latest run, or nil when the test never ran.
	Last    *Run   `json:"last"`
	NextDue string `json:"next_due"`
	State   string `json:"state"`
	Days    int    `json:"days"`
	// Type is the exercise's type: tabletop, drill or automated ("" when
	// the plan does not say).
	Type string `json:"type,omitempty"`
	// Runs are every run of the test, oldest first (for charts).
	Runs []Run `json:"runs"`
	// RetestOf is the last run when it failed or missed its objectives:
	// NextDue is then its retest, RetestDays after it (capa.go).
	RetestOf   string `json:"retest_of,omitempty"`
	RetestDays int    `json:"retest_days,omitempty"`
	// Nonconformity is the one that names the failed run, or "".
	Nonconformity string `json:"nonconformity,omitempty"`
}

// Run is one test record.
type Run struct {
	Record   string    `json:"record"`
	Path     string    `json:"path"`
	Plan     string    `json:"plan"`
	Date     string    `json:"date"`
	Outcome  string    `json:"outcome"`
	Previous string    `json:"previous,omitempty"`
	Results  []Measure `json:"results"`
	// Met is false when a measured time missed its objective.
	Met bool `json:"objectives_met"`
}

// Measure is a service's measured recovery in a run, against the
// objectives of the run's plan and the previous run of the same test.
type Measure struct {
	Service string `json:"service"`
	RTO     *int   `json:"rto_minutes"`
	RPO     *int   `json:"rpo_minutes"`
	RTOGoal *int   `json:"rto_objective"`
	RPOGoal *int   `json:"rpo_objective"`
	PrevRTO *int   `json:"previous_rto_minutes,omitempty"`
	PrevRPO *int   `json:"previous_rpo_minutes,omitempty"`
	Met     bool   `json:"met"`
}

// Incident is an open incident.
type Incident struct {
	ID         string `json:"id"`
	Path       string `json:"path"`
	Title      string `json:"title"`
	Level      string `json:"level"`
	DetectedAt string `json:"detected_at"`
	AgeDays    int    `json:"age_days"`
}

// Breach is an incident whose measured downtime or data loss exceeded a
// service's objective in the plan in force when it was detected.
type Breach struct {
	Incident  string `json:"incident"`
	Path      string `json:"path"`
	Plan      string `json:"plan"`
	Service   string `json:"service"`
	What      string `json:"what"` // downtime or data loss
	Measured  int    `json:"measured_minutes"`
	Objective int    `json:"objective_minutes"`
}

// Approval sums up the records' approval states.
type Approval struct {
	// Known is false when the history was not verified.
	Known bool `json:"known"`
	// Reason says why it is unknown.
	Reason string `json:"reason,omitempty"`
	// Failures counts authentication failures in the history: signatures
	// in those commits do not count.
	Failures int      `json:"authentication_failures"`
	Approved int      `json:"approved"`
	Pending  []string `json:"pending"`
	Stale    []string `json:"stale"`
}

// Supplier is a supplier whose evaluation is overdue or due soon.
type Supplier struct {
	ID            string `json:"id"`
	Path          string `json:"path"`
	Name          string `json:"name"`
	Critical      bool   `json:"critical"`
	LastEvaluated string `json:"last_evaluated"`
	Due           string `json:"due"`
	State         string `json:"state"`
}

// Role is a matrix role lacking cover.
type Role struct {
	Code    string   `json:"code"`
	Title   string   `json:"title"`
	Holders []string `json:"holders"`
}

// Delta formats the change from a previous value: "+5", "-12", "±0", or
// "" when either is unknown.
func Delta(now, prev *int) string {
	if now == nil || prev == nil {
		return ""
	}
	d := *now - *prev
	switch {
	case d > 0:
		return "+" + strconv.Itoa(d)
	case d < 0:
		return strconv.Itoa(d)
	}
	return "±0"
}

// Minutes formats a number of minutes, or "-" when unknown.
func Minutes(v *int) string {
	if v == nil {
		return "-"
	}
	return strconv.Itoa(*v)
}
