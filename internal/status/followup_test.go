package status

import (
	"slices"
	"strings"
	"testing"

	"github.com/qms-tool/qms"
)

// rules lists the rules of a report's problems.
func rules(r *Report) []string {
	var out []string
	for _, f := range r.Findings {
		out = append(out, f.Rule)
	}
	slices.Sort(out)
	return out
}

func TestNonconformities(t *testing.T) {
	const nc = "records/nonconformities/NC-2025-0001.md"
	for _, tc := range []struct {
		name  string
		at    string
		edits map[string][2]string
		rules string // the problems' rules, sorted
		list  string // nonconformities listed: id/status/open actions
		next  string // T02's next due date
		of    string // T02's retest_of
	}{
		{name: "failed run, retest due soon", at: "2025-08-01", rules: "test-failed", list: "NC-2025-0001/open/A3", next: "2025-08-16", of: "TST-2025-0002"},
		{name: "retest on its last day", at: "2025-08-16", edits: map[string][2]string{"records/tests/TST-2025-0003.md": {"started_at: 2025-08-12", "started_at: 2025-08-18"}},
			rules: "test-failed", list: "NC-2025-0001/open/A3", next: "2025-08-16", of: "TST-2025-0002"},
		{name: "retest a day late", at: "2025-08-17", edits: map[string][2]string{"records/tests/TST-2025-0003.md": {"started_at: 2025-08-12", "started_at: 2025-08-18"}},
			rules: "retest-overdue test-failed", list: "NC-2025-0001/open/A3", next: "2025-08-16", of: "TST-2025-0002"},
		{name: "retested", at: "2025-08-20", list: "NC-2025-0001/open/A3", next: "2026-08-12"},
		{name: "action overdue", at: "2025-10-01", edits: map[string][2]string{nc: {", done: 2025-09-16}", "}"}},
			rules: "action-overdue", list: "NC-2025-0001/closed/A3", next: "2026-08-12"},
		{name: "closed and verified", at: "2025-10-01", next: "2026-08-12"},
		{name: "closed without verification", at: "2025-10-01", edits: map[string][2]string{nc: {"verification:\n  date: 2025-08-14\n  by: mbrunner\n  effective: true\n  evidence: \"Retest TST-2025-0003: backend RPO 4 min against the objective of 30 min\"\n", ""}},
			rules: "verification-missing", list: "NC-2025-0001/closed/", next: "2026-08-12"},
		{name: "closed, found not effective", at: "2025-10-01", edits: map[string][2]string{nc: {"effective: true", "effective: false"}},
			rules: "verification-missing", list: "NC-2025-0001/closed/", next: "2026-08-12"},
		// An impossible date is never shown as one.
		{name: "impossible opened date", at: "2025-08-01", edits: map[string][2]string{nc: {"opened: 2025-06-23", "opened: 2025-06-31"}},
			rules: "test-failed", list: "NC-2025-0001/open/A3@", next: "2025-08-16", of: "TST-2025-0002"},
		{name: "failed run without a nonconformity", at: "2025-08-01", edits: map[string][2]string{nc: {"source_record: TST-2025-0002", "source_record: TST-2025-0001"}},
			rules: "nonconformity-missing test-failed", list: "NC-2025-0001/open/A3", next: "2025-08-16", of: "TST-2025-0002"},
		// A plan's follow_up sets the retest period: GP-100-r4's 60 days,
		// here 14.
		{name: "retest period of the plan", at: "2026-11-23", edits: map[string][2]string{
			"records/tests/TST-2026-0002.md": {"outcome: pass", "outcome: fail"},
			"records/plans/GP-100-r4.md":     {"retest_days: 60", "retest_days: 14"}},
			rules: "nonconformity-missing retest-overdue test-failed", next: "2026-06-03", of: "TST-2026-0002"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Compute(example(t, tc.edits), Options{Now: day_(tc.at), Window: 30})
			if got := strings.Join(rules(r), " "); got != tc.rules {
				t.Errorf("problems on %s = %q, want %q: %v", tc.at, got, tc.rules, r.Findings)
			}
			var list []string
			for _, n := range r.Nonconformities {
				var ids []string
				for _, a := range n.Open {
					ids = append(ids, a.ID)
				}
				at := ""
				if n.Opened == "" {
					at = "@"
				}
				list = append(list, n.ID+"/"+n.Status+"/"+strings.Join(ids, ",")+at)
			}
			if got := strings.Join(list, " "); got != tc.list {
				t.Errorf("nonconformities = %q, want %q", got, tc.list)
			}
			for _, x := range r.Tests {
				if x.ID == "T02" && (x.NextDue != tc.next || x.RetestOf != tc.of) {
					t.Errorf("T02 next due %s (retest of %q), want %s (%q)", x.NextDue, x.RetestOf, tc.next, tc.of)
				}
			}
		})
	}
}

func TestReviewsAfterIncidents(t *testing.T) {
	const inc1, inc2 = "records/incidents/INC-2026-0001.md", "records/incidents/INC-2026-0002.md"
	noReview := [2]string{"  decision: no-revision", "  decision: revise"}
	for _, tc := range []struct {
		name  string
		at    string
		edits map[string][2]string
		want  string // incident/state of the reviews owed
		rules string
	}{
		{name: "review recorded, revision made", at: "2026-11-23"},
		{name: "before the revision, due soon", at: "2026-09-20", want: "INC-2026-0002/due-soon"},
		{name: "on its last day", at: "2026-10-08", edits: map[string][2]string{"records/plans/GP-100-r4.md": {"effective: 2026-10-05", "effective: 2026-10-09"}},
			want: "INC-2026-0002/due-soon"},
		{name: "a day late", at: "2026-10-09", edits: map[string][2]string{"records/plans/GP-100-r4.md": {"effective: 2026-10-05", "effective: 2026-10-10"}},
			want: "INC-2026-0002/overdue", rules: "review-after-incident"},
		// An insider cannot settle the review with a revision from before
		// the incident was resolved.
		{name: "a revision before the resolution does not count", at: "2026-09-20", edits: map[string][2]string{"records/plans/GP-100-r4.md": {"effective: 2026-10-05", "effective: 2026-09-01"}},
			want: "INC-2026-0002/due-soon"},
		{name: "a revision for another reason does not count", at: "2026-11-23", edits: map[string][2]string{"records/plans/GP-100-r4.md": {"reason: incident", "reason: unscheduled"}},
			want: "INC-2026-0002/overdue", rules: "review-after-incident"},
		{name: "a decision to revise needs the revision", at: "2026-06-30", edits: map[string][2]string{inc1: noReview},
			want: "INC-2026-0001/overdue", rules: "review-after-incident"},
		{name: "a decision to revise names the revision", at: "2026-11-23", edits: map[string][2]string{inc1: {"  decision: no-revision", "  decision: revise\n  plan: GP-100-r4"}}},
		{name: "a review dated later does not count yet", at: "2026-05-01", edits: map[string][2]string{inc1: {"date: 2026-05-06", "date: 2026-05-20"}},
			want: "INC-2026-0001/due-soon"},
		{name: "an impossible review date is no review", at: "2026-06-30", edits: map[string][2]string{inc1: {"date: 2026-05-06", "date: 2026-02-30"}},
			want: "INC-2026-0001/overdue", rules: "review-after-incident"},
		{name: "minor incidents need none", at: "2026-06-30", edits: map[string][2]string{inc1: {"level: major", "level: moderate"}}},
		{name: "open incidents need none yet", at: "2026-09-20", edits: map[string][2]string{inc2: {"status: closed", "status: open"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Compute(example(t, tc.edits), Options{Now: day_(tc.at), Window: 30})
			var got []string
			for _, rv := range r.Reviews {
				got = append(got, rv.Incident+"/"+rv.State)
			}
			if g := strings.Join(got, " "); g != tc.want {
				t.Errorf("reviews owed on %s = %q, want %q", tc.at, g, tc.want)
			}
			var rs []string
			for _, x := range rules(r) {
				if x == RuleReviewAfterIncident {
					rs = append(rs, x)
				}
			}
			if g := strings.Join(rs, " "); g != tc.rules {
				t.Errorf("problems = %q, want %q", g, tc.rules)
			}
		})
	}
}

func TestTraining(t *testing.T) {
	const r4 = "records/training/TRN-2026-0002.md"
	for _, tc := range []struct {
		name  string
		at    string
		edits map[string][2]string
		want  string // staff/what/state
		rules string
		// message is a problem's message that must be among them.
		message string
	}{
		{name: "all trained", at: "2026-11-23"},
		{name: "new revision, within the period", at: "2026-10-10",
			want: "akeller/plan/due-soon lrossi/plan/due-soon mbrunner/plan/due-soon tmeier/plan/due-soon"},
		{name: "a critical role holder left out", at: "2026-11-23", edits: map[string][2]string{r4: {"[akeller, mbrunner, ", "[mbrunner, "}},
			want: "akeller/plan/overdue", rules: "training-missing"},
		{name: "the last day of the period", at: "2026-11-04", edits: map[string][2]string{r4: {"[akeller, mbrunner, ", "[mbrunner, "}},
			want: "akeller/plan/due-soon"},
		{name: "a day after it", at: "2026-11-05", edits: map[string][2]string{r4: {"[akeller, mbrunner, ", "[mbrunner, "}},
			want: "akeller/plan/overdue", rules: "training-missing"},
		{name: "period of the plan", at: "2026-10-20", edits: map[string][2]string{
			r4:                           {"date: 2026-10-14", "date: 2026-10-30"},
			"records/plans/GP-100-r4.md": {"onboarding_days: 30", "onboarding_days: 14"}},
			want: "akeller/plan/overdue lrossi/plan/overdue mbrunner/plan/overdue tmeier/plan/overdue", rules: "training-missing training-missing training-missing training-missing"},
		{name: "new staff, not yet onboarded", at: "2026-11-23", edits: map[string][2]string{"records/staff/snguyen.md": {"active_from: 2022-01-10\nactive_until: 2025-09-30", "active_from: 2026-11-02"}},
			want: "snguyen/onboarding/due-soon"},
		{name: "new staff, onboarding overdue", at: "2026-12-03", edits: map[string][2]string{"records/staff/snguyen.md": {"active_from: 2022-01-10\nactive_until: 2025-09-30", "active_from: 2026-11-02"}},
			want: "snguyen/onboarding/overdue", rules: "onboarding-overdue"},
		{name: "new staff, onboarded", at: "2026-12-03", edits: map[string][2]string{"records/staff/snguyen.md": {"active_from: 2022-01-10\nactive_until: 2025-09-30", "active_from: 2026-10-02"}, r4: {"tmeier]", "tmeier, snguyen]"}}},
		{name: "a new governor is trained from joining", at: "2026-11-20", edits: map[string][2]string{
			"records/staff/snguyen.md": {"roles: [JD-005]\nemail: samuel.nguyen@example.com\nphone: +41 44 555 0105\nbackup_for: []\nactive_from: 2022-01-10\nactive_until: 2025-09-30", "roles: [JD-002, JD-005]\nemail: samuel.nguyen@example.com\nphone: +41 44 555 0105\nbackup_for: []\nactive_from: 2026-11-02"}},
			want: "snguyen/plan/due-soon snguyen/onboarding/due-soon"},
		// A service contact who holds no critical role is trained on the plan
		// too; the problem names the duty.
		{name: "a service contact", at: "2026-11-23", edits: map[string][2]string{
			"records/staff/snguyen.md":   {"active_until: 2025-09-30\n", ""},
			"records/plans/GP-100-r4.md": {"contacts: {primary: tmeier, secondary: lrossi, it_lead: lrossi, operations_lead: tmeier}", "contacts: {primary: tmeier, secondary: snguyen, it_lead: lrossi, operations_lead: tmeier}"}},
			want: "snguyen/plan/overdue", rules: "training-missing",
			message: "snguyen is the secondary contact of admin-portal and is not trained on the plan in force, GP-100-r4 (due on 2026-11-04)"},
		// Staff who joined before the first plan need no onboarding record.
		{name: "staff from before the QMS", at: "2026-11-23", edits: map[string][2]string{"records/staff/snguyen.md": {"active_until: 2025-09-30\n", ""}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Compute(example(t, tc.edits), Options{Now: day_(tc.at), Window: 30})
			var got []string
			for _, x := range r.Training {
				got = append(got, x.Staff+"/"+x.What+"/"+x.State)
			}
			if g := strings.Join(got, " "); g != tc.want {
				t.Errorf("training due on %s = %q, want %q", tc.at, g, tc.want)
			}
			var rs []string
			for _, x := range rules(r) {
				if x == RuleTrainingMissing || x == RuleOnboardingOverdue {
					rs = append(rs, x)
				}
			}
			if g := strings.Join(rs, " "); g != tc.rules {
				t.Errorf("problems = %q, want %q", g, tc.rules)
			}
			if tc.message != "" && !slices.ContainsFunc(r.Findings, func(f qms.Finding) bool { return f.Message == tc.message }) {
				t.Errorf("no problem %q in %v", tc.message, r.Findings)
			}
		})
	}
}
