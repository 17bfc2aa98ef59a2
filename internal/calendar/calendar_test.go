package calendar

import (
	"bytes"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	goical "github.com/emersion/go-ical"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/records"
	"github.com/qms-tool/qms/internal/schema"
	"github.com/qms-tool/qms/internal/status"
	"github.com/qms-tool/qms/internal/testkit/testrepo"
)

// feed writes the example QMS's calendar as of a date, with edits to its
// records (path → old → new).
func feed(t *testing.T, at string, edits map[string][2]string) ([]byte, []Event) {
	t.Helper()
	m := testrepo.Example(t)
	for p, e := range edits {
		f := m[p]
		if f == nil || !strings.Contains(string(f.Data), e[0]) {
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
	ix := records.NewIndex(es)
	now, _ := time.Parse(time.DateOnly, at)
	evs := Events(ix, status.Compute(ix, status.Options{Now: now, Window: 30}), 12)
	var b bytes.Buffer
	if err := Write(&b, Feed{Name: "Silvretta quality calendar", Domain: Domain("Silvretta Medical Software AG"), Stamp: now}, evs); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), evs
}

// parse reads a feed with the other library, and encodes it again with
// it, which checks the properties RFC 5545 requires; it returns each
// event's UID → DTSTART date, summary and category.
func parse(t *testing.T, b []byte) map[string][3]string {
	t.Helper()
	cal, err := goical.NewDecoder(bytes.NewReader(b)).Decode()
	if err != nil {
		t.Fatalf("go-ical cannot read the feed: %v\n%s", err, b)
	}
	if err := goical.NewEncoder(&bytes.Buffer{}).Encode(cal); err != nil {
		t.Fatalf("go-ical finds the feed invalid: %v", err)
	}
	if v := cal.Props.Get(goical.PropVersion); v == nil || v.Value != "2.0" {
		t.Errorf("VERSION = %v, want 2.0", v)
	}
	out := map[string][3]string{}
	for _, e := range cal.Events() {
		uid, err := e.Props.Text(goical.PropUID)
		if err != nil || uid == "" {
			t.Fatalf("event without UID: %v", err)
		}
		if _, dup := out[uid]; dup {
			t.Errorf("UID %s appears twice", uid)
		}
		start, err := e.DateTimeStart(time.UTC)
		if err != nil {
			t.Fatalf("%s: DTSTART: %v", uid, err)
		}
		if p := e.Props.Get(goical.PropDateTimeStart); p.ValueType() != goical.ValueDate {
			t.Errorf("%s: DTSTART is a %s, want an all-day DATE", uid, p.ValueType())
		}
		end, err := e.DateTimeEnd(time.UTC)
		if err != nil || !end.Equal(start.AddDate(0, 0, 1)) {
			t.Errorf("%s: DTEND %v, want the day after %v (%v)", uid, end, start, err)
		}
		sum, _ := e.Props.Text(goical.PropSummary)
		cat := ""
		if p := e.Props.Get(goical.PropCategories); p != nil {
			cat = p.Value
		}
		out[uid] = [3]string{start.Format(time.DateOnly), sum, cat}
	}
	return out
}

const dom = "@silvretta-medical-software-ag.qms"

func TestFeed(t *testing.T) {
	b, evs := feed(t, "2026-11-23", nil)
	got := parse(t, b)
	want := map[string][3]string{
		"plan-review-GP-100" + dom:           {"2027-01-15", "Review of plan GP-100-r4", PlanReview},
		"test-GP-100-T01" + dom:              {"2027-03-18", "Test T01 Automated failover", Test},
		"test-GP-100-T02" + dom:              {"2027-05-20", "Test T02 Environment replication", Test},
		"risk-review-RSK-0001" + dom:         {"2027-01-20", "Review of risk RSK-0001 Loss of the primary hosting region", RiskReview},
		"risk-review-RSK-0002" + dom:         {"2027-02-20", "Review of risk RSK-0002 Outage of the notification provider", RiskReview},
		"supplier-evaluation-SUP-0001" + dom: {"", "", SupplierEvaluation},
		"supplier-evaluation-SUP-0002" + dom: {"", "", SupplierEvaluation},
		"supplier-evaluation-SUP-0003" + dom: {"2027-03-19", "Evaluation of supplier SUP-0003 Quillcast Notify Inc.", SupplierEvaluation},
	}
	if len(got) != len(want) || len(evs) != len(want) {
		t.Errorf("%d events (%d listed), want %d: %v", len(got), len(evs), len(want), got)
	}
	for uid, w := range want {
		g, ok := got[uid]
		switch {
		case !ok:
			t.Errorf("no event %s", uid)
		case w[0] != "" && g != w:
			t.Errorf("%s = %q, want %q", uid, g, w)
		case g[2] != w[2]:
			t.Errorf("%s category %q, want %q", uid, g[2], w[2])
		}
	}
	for i, l := range bytes.SplitAfter(b, []byte("\n")) {
		if len(l) > 0 && !bytes.HasSuffix(l, []byte("\r\n")) {
			t.Errorf("line %d does not end in CRLF: %q", i+1, l)
		}
		if len(l) > 75+2 {
			t.Errorf("line %d is longer than 75 octets: %q", i+1, l)
		}
	}
	again, _ := feed(t, "2026-11-23", nil)
	if !bytes.Equal(b, again) {
		t.Error("the same records as of the same date give different bytes")
	}
}

// TestStableUIDs: when dates move (a failed run, time passing), the
// obligations keep their UIDs; a retest is an obligation of its own.
func TestStableUIDs(t *testing.T) {
	before := parse(t, first(feed(t, "2026-11-23", nil)))
	later := parse(t, first(feed(t, "2027-02-01", nil)))
	for uid, ev := range before {
		l, ok := later[uid]
		if !ok {
			t.Errorf("%s is gone from the later feed", uid)
			continue
		}
		if l[0] != ev[0] {
			t.Errorf("%s moved from %s to %s with nothing changed", uid, ev[0], l[0])
		}
	}
	failed := parse(t, first(feed(t, "2026-11-23", map[string][2]string{
		"records/tests/TST-2026-0002.md": {"outcome: pass", "outcome: fail"},
	})))
	if _, ok := failed["test-GP-100-T02"+dom]; ok {
		t.Error("a test whose last run failed still has its yearly event")
	}
	if got := failed["retest-TST-2026-0002"+dom]; got != [3]string{"2026-07-19", "Retest T02 Environment replication", Retest} {
		t.Errorf("retest = %q", got)
	}
	nc := parse(t, first(feed(t, "2025-08-01", nil)))
	if got := nc["action-NC-2025-0001-A3"+dom]; got[0] != "2025-09-30" || got[2] != Action {
		t.Errorf("action A3 = %q, want due 2025-09-30", got)
	}
	if got := nc["retest-TST-2025-0002"+dom]; got[0] != "2025-08-16" {
		t.Errorf("retest of TST-2025-0002 = %q, want 2025-08-16", got)
	}
	rv := parse(t, first(feed(t, "2026-09-20", nil)))
	if got := rv["review-after-INC-2026-0002"+dom]; got[0] != "2026-10-08" || got[2] != IncidentReview {
		t.Errorf("review after INC-2026-0002 = %q, want 2026-10-08", got)
	}
	tr := parse(t, first(feed(t, "2026-10-10", nil)))
	if got := tr["training-akeller-GP-100-r4"+dom]; got[0] != "2026-11-04" || got[2] != Training {
		t.Errorf("training of akeller = %q, want 2026-11-04", got)
	}
}

func first(b []byte, _ []Event) []byte { return b }

func TestDomain(t *testing.T) {
	for in, want := range map[string]string{
		"Silvretta Medical Software AG": "silvretta-medical-software-ag.qms",
		"  Ärzte & Co. ":                "rzte-co.qms",
		"":                              "qms",
	} {
		if got := Domain(in); got != want {
			t.Errorf("Domain(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestRiskReviews: a risk is due by its next_review or by the plan's
// cadence after its last review, whichever comes first, in the state
// status gives it.
func TestRiskReviews(t *testing.T) {
	rsk := "records/risks/RSK-0002.md"
	for _, tc := range []struct {
		name, at    string
		edits       map[string][2]string
		date, state string
	}{
		{"next_review first", "2026-11-23", nil, "2027-02-20", status.OK},
		{"within the window", "2027-01-25", nil, "2027-02-20", status.DueSoon},
		{"overdue", "2027-02-21", nil, "2027-02-20", status.Overdue},
		// A next_review beyond the plan's three months: the cadence wins.
		{"cadence first", "2026-11-23", map[string][2]string{rsk: {"next_review: 2027-02-20", "next_review: 2027-06-30"}}, "2027-02-20", status.OK},
		// Without a next_review, the cadence alone.
		{"cadence only", "2026-11-23", map[string][2]string{rsk: {"next_review: 2027-02-20\n", ""}}, "2027-02-20", status.OK},
		// A review due earlier than the cadence stays earlier.
		{"earlier next_review", "2026-11-23", map[string][2]string{rsk: {"next_review: 2027-02-20", "next_review: 2026-12-15"}}, "2026-12-15", status.DueSoon},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, evs := feed(t, tc.at, tc.edits)
			var got *Event
			for i := range evs {
				if evs[i].UID == "risk-review-RSK-0002" {
					got = &evs[i]
				}
			}
			if got == nil {
				t.Fatalf("no review of RSK-0002 in %v", evs)
			}
			if got.Date != tc.date || got.State != tc.state || got.Path != rsk || got.Category != RiskReview {
				t.Errorf("review = %+v, want %s %s", *got, tc.date, tc.state)
			}
		})
	}
}

// TestTestTypes: a test's event says what kind of exercise it is.
func TestTestTypes(t *testing.T) {
	_, evs := feed(t, "2026-11-23", map[string][2]string{"records/plans/GP-100-r4.md": {"every_months: 12, type: drill}", "every_months: 6, type: tabletop}"}})
	want := map[string]string{
		"test-GP-100-T01": "Continuity test T01 (Automated failover, an automated test) of plan GP-100-r4, every 12 months.",
		"test-GP-100-T02": "Continuity test T02 (Environment replication, a tabletop exercise) of plan GP-100-r4, every 6 months.",
	}
	for _, e := range evs {
		if w, ok := want[e.UID]; ok {
			if e.Description != w {
				t.Errorf("%s: %q, want %q", e.UID, e.Description, w)
			}
			delete(want, e.UID)
		}
	}
	if len(want) > 0 {
		t.Errorf("no events %v", want)
	}
}
