package status

import (
	"fmt"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/records"
	"github.com/qms-tool/qms/internal/schema"
	"github.com/qms-tool/qms/internal/testkit/testrepo"
)

// exampleWith loads the example QMS with edits (path → old → new) and
// added files.
func exampleWith(t *testing.T, edits map[string][2]string, add map[string]string) *records.Index {
	t.Helper()
	m := testrepo.Example(t)
	for p, e := range edits {
		f, ok := m[p]
		if !ok || !strings.Contains(string(f.Data), e[0]) {
			t.Fatalf("%s has no %q", p, e[0])
		}
		m[p] = &fstest.MapFile{Data: []byte(strings.Replace(string(f.Data), e[0], e[1], 1))}
	}
	for p, s := range add {
		m[p] = &fstest.MapFile{Data: []byte(s)}
	}
	kinds, fs := schema.Load(qms.Defaults, nil)
	if len(fs) > 0 {
		t.Fatal(fs)
	}
	paths, _, err := records.List(kinds, m)
	if err != nil {
		t.Fatal(err)
	}
	es, err := records.Load(m, kinds, paths, records.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return records.NewIndex(es)
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// incident is an incident record for the tables.
func incident(id, level, status, detected, resolved string, services string, downtime int, extra string) string {
	res := ""
	if resolved != "" {
		res = fmt.Sprintf("resolved_at: %s\ndowntime_minutes: %d\ndata_loss_minutes: 0\n", resolved, downtime)
	} else if downtime > 0 {
		res = fmt.Sprintf("downtime_minutes: %d\n", downtime)
	}
	return fmt.Sprintf("---\nid: %s\ntitle: Test incident\nlevel: %s\nstatus: %s\ndetected_at: %s\n%sservices: [%s]\nreported_by: tmeier\nowner: tmeier\ndrp_activated: true\n%s---\n\n## Summary\n\nx\n",
		id, level, status, detected, res, services, extra)
}

func hasRule(r *Report, rule string) bool { return hasFinding(r, rule, "") }

// hasFinding reports whether a finding of the rule has a message
// containing about.
func hasFinding(r *Report, rule, about string) bool {
	for _, f := range r.Findings {
		if f.Rule == rule && strings.Contains(f.Message, about) {
			return true
		}
	}
	return false
}

func TestNotices(t *testing.T) {
	const p = "records/incidents/INC-2026-0009.md"
	// Detected 07:00 UTC. Internal: first within 30 min, then every 60;
	// external (major): within 60, then every 120; catastrophic external:
	// within 30, then every 60.
	const internalInitial = "notices:\n  - {stage: initial, audience: internal, sent_at: \"2026-11-23T08:20:00+01:00\", by: tmeier}\n"
	for _, tc := range []struct {
		name, level, status, resolved, extra, now string
		audience, stage, due, state               string
		minutes                                   int
	}{
		{name: "initial on time to the second", level: "major", now: "2026-11-23T07:30:59Z", audience: "internal", stage: "initial", due: "2026-11-23T08:30:00+01:00", state: OK},
		{name: "initial exactly due", level: "major", now: "2026-11-23T07:30:00Z", audience: "internal", stage: "initial", due: "2026-11-23T08:30:00+01:00", state: OK},
		{name: "initial a minute late", level: "major", now: "2026-11-23T07:31:00Z", audience: "internal", stage: "initial", due: "2026-11-23T08:30:00+01:00", state: Overdue, minutes: -1},
		{name: "external initial exactly due", level: "major", now: "2026-11-23T08:00:00Z", audience: "external", stage: "initial", due: "2026-11-23T09:00:00+01:00", state: OK},
		{name: "external initial a minute late", level: "major", now: "2026-11-23T08:01:00Z", audience: "external", stage: "initial", due: "2026-11-23T09:00:00+01:00", state: Overdue, minutes: -1},
		{name: "catastrophic external initial", level: "catastrophic", now: "2026-11-23T07:31:00Z", audience: "external", stage: "initial", due: "2026-11-23T08:30:00+01:00", state: Overdue, minutes: -1},
		{name: "update exactly due", level: "major", extra: internalInitial, now: "2026-11-23T08:20:00Z", audience: "internal", stage: "update", due: "2026-11-23T09:20:00+01:00", state: OK},
		{name: "update a minute late", level: "major", extra: internalInitial, now: "2026-11-23T08:21:00Z", audience: "internal", stage: "update", due: "2026-11-23T09:20:00+01:00", state: Overdue, minutes: -1},
		{name: "a notice sent after the report's time does not count", level: "major", extra: internalInitial, now: "2026-11-23T07:10:00Z", audience: "internal", stage: "initial", due: "2026-11-23T08:30:00+01:00", state: OK, minutes: 20},
		{name: "minimal incidents owe no notice", level: "minimal", now: "2026-11-23T09:00:00Z"},
		{name: "resolved incidents owe no notice", level: "major", status: "resolved", resolved: "2026-11-23T08:10:00+01:00", now: "2026-11-23T09:00:00Z"},
		{name: "resolved after the report's time: still open then", level: "major", status: "resolved", resolved: "2026-11-23T12:00:00+01:00",
			now: "2026-11-23T07:31:00Z", audience: "internal", stage: "initial", due: "2026-11-23T08:30:00+01:00", state: Overdue, minutes: -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := tc.status
			if st == "" {
				st = "open"
			}
			ix := exampleWith(t, nil, map[string]string{p: incident("INC-2026-0009", tc.level, st, "2026-11-23T08:00:00+01:00", tc.resolved, "backend", 0, tc.extra)})
			r := Compute(ix, Options{Now: at(tc.now), Window: 30})
			var got *NoticeDue
			for i, n := range r.Notices {
				if n.Incident == "INC-2026-0009" && n.Audience == tc.audience {
					got = &r.Notices[i]
				}
			}
			if tc.audience == "" {
				for _, n := range r.Notices {
					if n.Incident == "INC-2026-0009" {
						t.Fatalf("notices due = %+v, want none", r.Notices)
					}
				}
				return
			}
			if got == nil {
				t.Fatalf("no %s notice due in %+v", tc.audience, r.Notices)
			}
			if got.Stage != tc.stage || got.Due != tc.due || got.State != tc.state || got.Minutes != tc.minutes {
				t.Errorf("notice due = %s %s %s %s (%d min), want %s %s %s (%d min)", got.Stage, got.Due, got.State, got.Audience, got.Minutes, tc.stage, tc.due, tc.state, tc.minutes)
			}
			if got.Responsible == "" || got.Staff != "lrossi" && got.Responsible == "primary" || got.Staff != "tmeier" && got.Responsible == "operations_lead" {
				t.Errorf("responsible = %s %s, want the backend's contact for the role", got.Responsible, got.Staff)
			}
			if overdue := hasFinding(r, RuleNoticeOverdue, "the "+tc.audience+" "); overdue != (tc.state == Overdue) {
				t.Errorf("notice-overdue finding = %v, want %v: %v", overdue, tc.state == Overdue, r.Findings)
			}
		})
	}
}

func TestAvailability(t *testing.T) {
	// As of 2028-12-15 the window is 2028-01 .. 2028-12; GP-100-r3 (99.9 %)
	// is in force throughout. 43.2 min a 30-day month is the budget.
	for _, tc := range []struct {
		name     string
		detected string
		minutes  int
		extra    string
		service  string
		month    string
		length   int // minutes in the month
		down     int
		below    bool
	}{
		{"29-day February within", "2028-02-10T10:00:00Z", 41, "", "backend", "2028-02", 41760, 41, false},
		{"29-day February below", "2028-02-10T10:00:00Z", 42, "", "backend", "2028-02", 41760, 42, true},
		{"30-day April within", "2028-04-10T10:00:00Z", 43, "", "backend", "2028-04", 43200, 43, false},
		{"30-day April below", "2028-04-10T10:00:00Z", 44, "", "backend", "2028-04", 43200, 44, true},
		{"31-day May within", "2028-05-10T10:00:00Z", 44, "", "backend", "2028-05", 44640, 44, false},
		{"31-day May below", "2028-05-10T10:00:00Z", 45, "", "backend", "2028-05", 44640, 45, true},
		{"planned maintenance left out", "2028-05-10T10:00:00Z", 300, "planned_maintenance: true\n", "backend", "2028-05", 44640, 0, false},
		{"split at the month's end: March's part", "2028-03-31T23:30:00Z", 60, "", "backend", "2028-03", 44640, 30, false},
		{"split at the month's end: April's part", "2028-03-31T23:30:00Z", 60, "", "backend", "2028-04", 43200, 30, false},
		{"other services untouched", "2028-05-10T10:00:00Z", 45, "", "admin-portal", "2028-05", 44640, 0, false},
		{"the current month counts to the report's day", "2028-12-01T00:00:00Z", 21, "", "backend", "2028-12", 14 * 1440, 21, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := at(tc.detected).Add(time.Duration(tc.minutes) * time.Minute).Format(time.RFC3339)
			ix := exampleWith(t, nil, map[string]string{"records/incidents/INC-2028-0001.md": incident("INC-2028-0001", "moderate", "closed", tc.detected, res, "backend", tc.minutes, tc.extra)})
			r := Compute(ix, Options{Now: day_("2028-12-15"), Window: 30})
			var got *Period
			for _, a := range r.Availability {
				for i, m := range a.Months {
					if a.Service == tc.service && m.Period == tc.month {
						got = &a.Months[i]
					}
				}
			}
			if got == nil {
				t.Fatalf("no %s %s in %+v", tc.service, tc.month, r.Availability)
			}
			if got.Minutes != tc.length || got.Down != tc.down || got.Below != tc.below || got.Target != 99.9 {
				t.Errorf("%s %s = %d of %d min down, below %v (%.4f %% of %g), want %d of %d, below %v", tc.service, tc.month, got.Down, got.Minutes, got.Below,
					got.Percent, got.Target, tc.down, tc.length, tc.below)
			}
		})
	}
}

func TestAvailabilityOverlapCountedOnce(t *testing.T) {
	ix := exampleWith(t, nil, map[string]string{
		"records/incidents/INC-2028-0001.md": incident("INC-2028-0001", "moderate", "closed", "2028-05-10T10:00:00Z", "2028-05-10T10:30:00Z", "backend", 30, ""),
		"records/incidents/INC-2028-0002.md": incident("INC-2028-0002", "moderate", "closed", "2028-05-10T10:20:00Z", "2028-05-10T10:50:00Z", "backend", 30, ""),
	})
	r := Compute(ix, Options{Now: day_("2028-12-15"), Window: 30})
	for _, a := range r.Availability {
		for _, m := range a.Months {
			if a.Service == "backend" && m.Period == "2028-05" && m.Down != 50 {
				t.Errorf("backend 2028-05 down %d min, want 50", m.Down)
			}
		}
		if a.Service == "backend" && (len(a.Years) != 1 || a.Years[0].Period != "2028" || a.Years[0].Down != 50) {
			t.Errorf("backend years = %+v, want 2028 with 50 min down", a.Years)
		}
	}
}

func TestServiceContacts(t *testing.T) {
	const plan = "records/plans/GP-100-r4.md" // in force from 2026-10-05
	for _, tc := range []struct {
		name     string
		at       string
		edits    map[string][2]string
		service  string
		unfilled string
	}{
		{name: "all filled", at: "2026-11-23", service: "patient-app"},
		{name: "role not named", at: "2026-11-23", service: "patient-app", unfilled: "operations_lead",
			edits: map[string][2]string{plan: {"contacts: {primary: lrossi, secondary: tmeier, it_lead: lrossi, operations_lead: tmeier}", "contacts: {primary: lrossi, secondary: tmeier, it_lead: lrossi}"}}},
		{name: "last day of the contact", at: "2026-10-31", service: "patient-app",
			edits: map[string][2]string{"records/staff/lrossi.md": {"active_from:", "active_until: 2026-10-31\nactive_from:"}}},
		{name: "the day after the contact left", at: "2026-11-01", service: "patient-app", unfilled: "primary it_lead",
			edits: map[string][2]string{"records/staff/lrossi.md": {"active_from:", "active_until: 2026-10-31\nactive_from:"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Compute(exampleWith(t, tc.edits, nil), Options{Now: day_(tc.at), Window: 30})
			for _, s := range r.Services {
				if s.Name != tc.service {
					continue
				}
				if got := strings.Join(s.Unfilled, " "); got != tc.unfilled {
					t.Errorf("unfilled roles of %s = %q, want %q", s.Name, got, tc.unfilled)
				}
				if hasRule(r, RuleContactUnfilled) != (tc.unfilled != "") {
					t.Errorf("contact-unfilled finding = %v, want %v", !(tc.unfilled != ""), tc.unfilled != "")
				}
				return
			}
			t.Fatalf("no service %s in %+v", tc.service, r.Services)
		})
	}
}

func TestRisks(t *testing.T) {
	const rsk = "records/risks/RSK-0002.md"
	for _, tc := range []struct {
		name        string
		at          string
		edits       map[string][2]string
		due, state  string
		unmitigated bool
	}{
		{name: "not due", at: "2026-11-23", due: "", state: OK},
		{name: "due soon", at: "2027-01-21", due: "2027-02-20", state: DueSoon},
		{name: "due on the day", at: "2027-02-20", due: "2027-02-20", state: DueSoon},
		{name: "a day late", at: "2027-02-21", due: "2027-02-20", state: Overdue},
		{name: "the plan's quarter comes before a later next_review", at: "2027-02-21", due: "2027-02-20", state: Overdue,
			edits: map[string][2]string{rsk: {"next_review: 2027-02-20", "next_review: 2027-05-20"}}},
		{name: "a quarter from November 30 ends on February 28", at: "2027-03-01", due: "2027-02-28", state: Overdue,
			edits: map[string][2]string{rsk: {"last_review: 2026-11-20\nnext_review: 2027-02-20", "last_review: 2026-11-30\nnext_review: 2027-05-30"}}},
		{name: "an earlier next_review wins", at: "2027-01-11", due: "2027-01-10", state: Overdue,
			edits: map[string][2]string{rsk: {"next_review: 2027-02-20", "next_review: 2027-01-10"}}},
		{name: "high without mitigation", at: "2026-11-23", state: OK, unmitigated: true,
			edits: map[string][2]string{rsk: {"mitigations:\n  - Reminders are also shown in the app when it is opened\n  - Stakeholder notices fall back to the company mail server\n  - Evaluate a second push and SMS provider by 2027-03-31\n", "mitigations: []\n"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Compute(exampleWith(t, tc.edits, nil), Options{Now: day_(tc.at), Window: 30})
			if r.Risks == nil || r.Risks.Total != 2 {
				t.Fatalf("risks = %+v, want the 2 of the example", r.Risks)
			}
			var got *RiskDue
			for i, d := range r.Risks.Due {
				if d.ID == "RSK-0002" {
					got = &r.Risks.Due[i]
				}
			}
			switch {
			case tc.due == "" && got != nil:
				t.Errorf("RSK-0002 due %+v, want not due", got)
			case tc.due != "" && (got == nil || got.Due != tc.due || got.State != tc.state):
				t.Errorf("RSK-0002 due %+v, want %s %s", got, tc.due, tc.state)
			}
			if hasFinding(r, RuleRiskReviewOverdue, "RSK-0002") != (tc.state == Overdue) {
				t.Errorf("risk-review-overdue = %v, want %v", !(tc.state == Overdue), tc.state == Overdue)
			}
			if un := len(r.Risks.Unmitigated) == 1 && r.Risks.Unmitigated[0].ID == "RSK-0002"; un != tc.unmitigated || hasRule(r, RuleRiskUnmitigated) != tc.unmitigated {
				t.Errorf("unmitigated = %+v, want RSK-0002: %v", r.Risks.Unmitigated, tc.unmitigated)
			}
			// The matrix's cells: RSK-0001 rare/critical, RSK-0002 likely/serious.
			if r.Risks.Counts[0][2] != 1 || r.Risks.Counts[2][1] != 1 || r.Risks.Levels[2][1] != "high" {
				t.Errorf("counts = %v, levels = %v", r.Risks.Counts, r.Risks.Levels)
			}
		})
	}
}

func TestExerciseType(t *testing.T) {
	r := Compute(exampleWith(t, nil, nil), Options{Now: day_("2026-11-23"), Window: 30})
	var got []string
	for _, x := range r.Tests {
		got = append(got, x.ID+":"+x.Type+":"+x.NextDue)
	}
	if s := strings.Join(got, " "); s != "T01:automated:2027-03-18 T02:drill:2027-05-20" {
		t.Errorf("tests = %s", s)
	}
	// A semi-annual tabletop declared on its own: due six months after the
	// plan took effect, never run.
	r = Compute(exampleWith(t, map[string][2]string{"records/plans/GP-100-r3.md": {"activators:", "  - {id: T03, name: Tabletop exercise, every_months: 6, type: tabletop}\nactivators:"}}, nil),
		Options{Now: day_("2026-07-14"), Window: 30})
	found := false
	for _, x := range r.Tests {
		found = found || x.ID == "T03"
		if x.ID == "T03" && (x.Type != "tabletop" || x.NextDue != "2026-07-15" || x.State != Never) {
			t.Errorf("T03 = %s %s %s, want tabletop 2026-07-15 never-run", x.Type, x.NextDue, x.State)
		}
	}
	if !found {
		t.Errorf("no T03 in %+v", r.Tests)
	}
}
