package records

import "testing"

func plan(id string, revision float64, effective string) *Plan {
	return NewPlan(&Entry{Path: "records/plans/" + id + ".md", ID: id,
		Fields: Fields{{"id", id}, {"revision", revision}, {"effective", effective}}})
}

func TestInForce(t *testing.T) {
	for _, tc := range []struct {
		name  string
		plans []*Plan
		day   string
		want  string
	}{
		{"none yet", []*Plan{plan("P-r1", 1, "2026-01-15")}, "2026-01-14", ""},
		{"effective that day", []*Plan{plan("P-r1", 1, "2026-01-15")}, "2026-01-15", "P-r1"},
		{"the latest effective", []*Plan{plan("P-r2", 2, "2026-03-01"), plan("P-r1", 1, "2026-01-15"), plan("P-r3", 3, "2027-01-01")}, "2026-06-30", "P-r2"},
		// Ties go by revision, whatever order the files come in.
		{"same day, higher revision", []*Plan{plan("P-r3", 3, "2026-01-15"), plan("P-r2", 2, "2026-01-15")}, "2026-02-01", "P-r3"},
		{"same day, higher revision listed first", []*Plan{plan("P-r2", 2, "2026-01-15"), plan("P-r3", 3, "2026-01-15")}, "2026-02-01", "P-r3"},
		// A time counts by its date as written, whatever its offset.
		{"a time early on the effective day", []*Plan{plan("P-r1", 1, "2026-01-15")}, "2026-01-15T00:30:00+01:00", "P-r1"},
		{"no date", []*Plan{plan("P-r1", 1, "2026-01-15")}, "", ""},
		{"effective is no date", []*Plan{plan("P-r1", 1, "soon")}, "2026-01-15", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			SortPlans(tc.plans)
			got := ""
			if p := InForce(tc.plans, tc.day); p != nil {
				got = p.ID
			}
			if got != tc.want {
				t.Errorf("InForce(%q) = %q, want %q", tc.day, got, tc.want)
			}
		})
	}
}
