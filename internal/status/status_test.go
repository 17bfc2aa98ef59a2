package status

import (
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/approval"
	"github.com/qms-tool/qms/internal/records"
	"github.com/qms-tool/qms/internal/schema"
	"github.com/qms-tool/qms/internal/testkit/testrepo"
)

// example loads the example QMS with edits: path → old → new.
func example(t *testing.T, edits map[string][2]string) *records.Index {
	t.Helper()
	m := testrepo.Example(t)
	for p, e := range edits {
		f, ok := m[p]
		if !ok {
			t.Fatalf("no %s in the example", p)
		}
		if !strings.Contains(string(f.Data), e[0]) {
			t.Fatalf("%s has no %q", p, e[0])
		}
		m[p] = &fstest.MapFile{Data: []byte(strings.Replace(string(f.Data), e[0], e[1], 1))}
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

func day_(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestPlanReview(t *testing.T) {
	recs := example(t, nil)
	for _, tc := range []struct {
		at, plan, state string
		days            int
	}{
		{"2026-01-14", "GP-100-r2", DueSoon, 6}, // r2, its review due on 2026-01-20
		{"2026-01-15", "GP-100-r3", OK, 365},
		{"2026-12-15", "GP-100-r4", OK, 31},
		{"2026-12-16", "GP-100-r4", DueSoon, 30},
		{"2027-01-15", "GP-100-r4", DueSoon, 0},
		{"2027-01-16", "GP-100-r4", Overdue, -1},
	} {
		t.Run(tc.at, func(t *testing.T) {
			r := Compute(recs, Options{Now: day_(tc.at), Window: 30})
			if r.Plan == nil || r.Plan.ID != tc.plan {
				t.Fatalf("plan in force on %s = %+v, want %s", tc.at, r.Plan, tc.plan)
			}
			if r.Plan.State != tc.state || r.Plan.Days != tc.days {
				t.Errorf("review on %s = %s in %d days, want %s in %d", tc.at, r.Plan.State, r.Plan.Days, tc.state, tc.days)
			}
			// The failed T02 run of 2025 was retested, so only an overdue
			// review is a problem.
			if wantProblem := tc.state == Overdue; (r.Problems > 0) != wantProblem {
				t.Errorf("problems = %d, want some: %v", r.Problems, wantProblem)
			}
		})
	}
}

func TestTests(t *testing.T) {
	for _, tc := range []struct {
		name   string
		at     string
		edits  map[string][2]string
		test   string
		last   string
		next   string
		state  string
		met    bool
		deltas string // service:rto-change for the last run
	}{
		{name: "ok", at: "2026-11-23", test: "T01", last: "TST-2026-0001", next: "2027-03-18", state: OK, met: true,
			deltas: "admin-portal:-9 backend:-6 device-gateway:-15 patient-app:-7"},
		{name: "due soon edge", at: "2027-02-16", test: "T01", last: "TST-2026-0001", next: "2027-03-18", state: DueSoon, met: true},
		{name: "due today", at: "2027-03-18", test: "T01", last: "TST-2026-0001", next: "2027-03-18", state: DueSoon, met: true},
		{name: "overdue edge", at: "2027-03-19", test: "T01", last: "TST-2026-0001", next: "2027-03-18", state: Overdue, met: true},
		{name: "before this year's run", at: "2026-03-17", test: "T01", last: "TST-2025-0001", next: "2026-04-09", state: DueSoon, met: true},
		// A missed objective makes the next due date the retest, 60 days
		// after the run (GP-100-r4's follow_up.retest_days), not a year.
		{name: "objective missed", at: "2026-11-23", test: "T01", last: "TST-2026-0001", next: "2026-05-17", state: Overdue, met: false,
			edits:  map[string][2]string{"records/tests/TST-2026-0001.md": {"device-gateway: {rto_minutes: 26", "device-gateway: {rto_minutes: 75"}},
			deltas: "device-gateway:+34"},
		{name: "never run", at: "2026-11-23", test: "T01", next: "2027-10-05", state: Never,
			edits: map[string][2]string{
				"records/tests/TST-2026-0001.md": {"test: T01", "test: T02"},
				"records/tests/TST-2025-0001.md": {"test: T01", "test: T02"},
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Compute(example(t, tc.edits), Options{Now: day_(tc.at), Window: 30})
			var got *Test
			for i := range r.Tests {
				if r.Tests[i].ID == tc.test {
					got = &r.Tests[i]
				}
			}
			if got == nil {
				t.Fatalf("no test %s in %+v", tc.test, r.Tests)
			}
			last := ""
			if got.Last != nil {
				last = got.Last.Record
			}
			if last != tc.last || got.NextDue != tc.next || got.State != tc.state {
				t.Errorf("%s on %s: last %q next %s %s, want last %q next %s %s", tc.test, tc.at, last, got.NextDue, got.State, tc.last, tc.next, tc.state)
			}
			if got.Last != nil && got.Last.Met != tc.met {
				t.Errorf("objectives met = %v, want %v", got.Last.Met, tc.met)
			}
			if got.Last != nil && tc.deltas != "" {
				have := map[string]string{}
				for _, m := range got.Last.Results {
					have[m.Service] = Delta(m.RTO, m.PrevRTO)
				}
				for _, d := range strings.Fields(tc.deltas) {
					svc, want, _ := strings.Cut(d, ":")
					if have[svc] != want {
						t.Errorf("RTO change of %s = %q, want %q", svc, have[svc], want)
					}
				}
			}
			// After 2027-01-15, the plan review is overdue (the failed T02
			// run of 2025 was retested within weeks).
			wantProblem := tc.state == Overdue || !tc.met && tc.last != "" || tc.at > "2027-01-15"
			if (r.Problems > 0) != wantProblem {
				t.Errorf("problems = %d, want some: %v", r.Problems, wantProblem)
			}
		})
	}
}

func TestIncidents(t *testing.T) {
	recs := example(t, nil)
	for _, tc := range []struct {
		at       string
		open     string // id:age
		breaches string
	}{
		{"2026-11-23", "INC-2026-0003:5", "INC-2026-0002/device-gateway/downtime"},
		// As of a day before its resolution, an incident was open.
		{"2026-09-08", "", "INC-2026-0002/device-gateway/downtime"},
		{"2025-03-10", "", ""},
	} {
		t.Run(tc.at, func(t *testing.T) {
			r := Compute(recs, Options{Now: day_(tc.at), Window: 30})
			var open, br []string
			for _, in := range r.Open {
				open = append(open, in.ID+":"+itoa(in.AgeDays))
			}
			for _, b := range r.Breaches {
				br = append(br, b.Incident+"/"+b.Service+"/"+b.What)
			}
			if strings.Join(open, " ") != tc.open || strings.Join(br, " ") != tc.breaches {
				t.Errorf("open %q breaches %q, want %q %q", open, br, tc.open, tc.breaches)
			}
		})
	}
}

func itoa(i int) string { return Minutes(&i) }

func TestCover(t *testing.T) {
	for _, tc := range []struct {
		name      string
		at        string
		edits     map[string][2]string
		uncovered string
		noBackup  string
	}{
		{name: "all covered", at: "2026-11-23"},
		{name: "role without a holder", at: "2026-11-23",
			edits:     map[string][2]string{"records/staff/lrossi.md": {"roles: [JD-003, JD-005]", "roles: [JD-003]"}},
			uncovered: "JD-005"},
		{name: "holder left", at: "2026-11-23",
			edits: map[string][2]string{"records/staff/tmeier.md": {"active_from:", "active_until: 2026-11-01\nactive_from:"}},
			// ... and Lucia (JD-003) loses her stand-in.
			uncovered: "JD-004", noBackup: "JD-003"},
		{name: "critical role without backup", at: "2026-11-23",
			edits:    map[string][2]string{"records/staff/mbrunner.md": {"backup_for: [akeller]", "backup_for: []"}},
			noBackup: "JD-001"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Compute(example(t, tc.edits), Options{Now: day_(tc.at), Window: 30})
			var un, nb []string
			for _, ro := range r.Uncovered {
				un = append(un, ro.Code)
			}
			for _, ro := range r.NoBackup {
				nb = append(nb, ro.Code)
			}
			if strings.Join(un, " ") != tc.uncovered || strings.Join(nb, " ") != tc.noBackup {
				t.Errorf("uncovered %q, no backup %q; want %q, %q", un, nb, tc.uncovered, tc.noBackup)
			}
			if want := tc.uncovered != "" || tc.noBackup != ""; (r.Problems > 0) != want {
				t.Errorf("problems = %d, want some: %v", r.Problems, want)
			}
		})
	}
}

func TestSuppliersAndApproval(t *testing.T) {
	recs := example(t, nil)
	// SUP-0003 was evaluated on 2026-03-19.
	for _, tc := range []struct {
		at, want string
	}{
		{"2027-02-16", ""},
		{"2027-02-17", "SUP-0003:due-soon"},
		{"2027-03-20", "SUP-0003:overdue"},
	} {
		t.Run(tc.at, func(t *testing.T) {
			r := Compute(recs, Options{Now: day_(tc.at), Window: 30})
			var got []string
			for _, s := range r.Suppliers {
				got = append(got, s.ID+":"+s.State)
			}
			if strings.Join(got, " ") != tc.want {
				t.Errorf("suppliers due on %s = %q, want %q", tc.at, got, tc.want)
			}
		})
	}
	r := Compute(recs, Options{Now: day_("2026-11-23")})
	if r.Approval.Known {
		t.Errorf("approval known without states")
	}
	r = Compute(recs, Options{Now: day_("2026-11-23"), Approval: []approval.State{
		{Path: "a", State: approval.Approved}, {Path: "b", State: approval.Stale}, {Path: "c", State: approval.Draft}}})
	if a := r.Approval; !a.Known || a.Approved != 1 || strings.Join(a.Stale, ",") != "b" || strings.Join(a.Pending, ",") != "c" {
		t.Errorf("approval = %+v", a)
	}
}

func TestMalformedNeverPanics(t *testing.T) {
	type Record struct {
		Kind, ID string
		Data     map[string]any
	}
	recs := []Record{
		{Kind: "plan", ID: "P-r1", Data: map[string]any{"effective": "2020-01-01", "tests": []any{"x", map[string]any{"id": 5}}, "objectives": "nope", "activators": 3}},
		{Kind: "test", ID: "T", Data: map[string]any{"test": "5", "started_at": "garbage", "results": []any{}}},
		{Kind: "test", ID: "T2", Data: map[string]any{"test": "5", "started_at": "2021-01-01", "results": map[string]any{"a": 3, "b": map[string]any{"rto_minutes": 1e300}}}},
		{Kind: "incident", ID: "I", Data: map[string]any{"detected_at": "2021-01-01", "status": "open", "services": "x"}},
		{Kind: "staff", ID: "s", Data: map[string]any{"keys": []any{1, map[string]any{"revoked": "x"}}, "roles": "x"}},
		{Kind: "matrix", ID: "matrix", Data: map[string]any{"roles": []any{}}},
		{Kind: "supplier", ID: "S", Data: map[string]any{"last_evaluated": 7}},
	}
	kinds, _ := schema.Load(qms.Defaults, nil)
	var es []*records.Entry
	for _, r := range recs {
		es = append(es, &records.Entry{Kind: kinds.Kinds[r.Kind], ID: r.ID, Fields: records.FieldsOf(r.Data, nil)})
	}
	_ = Compute(records.NewIndex(es), Options{Now: day_("2026-01-01")})
}

func TestAddMonths(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"2026-01-31", "2026-02-28"},
		{"2024-02-29", "2025-02-28"},
		{"2026-03-18", "2027-03-18"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			n := 12
			if tc.in == "2026-01-31" {
				n = 1
			}
			if got := addMonths(day_(tc.in), n).Format(time.DateOnly); got != tc.want {
				t.Errorf("addMonths(%s, %d) = %s, want %s", tc.in, n, got, tc.want)
			}
		})
	}
}
