package gen

import (
	"reflect"
	"testing"
)

func TestSplitWords(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		want  []block
		panic bool
	}{
		{name: "comments and blank lines", in: "# head\n\n[a]\nx: 1\n\n# note\n[b]\ny\n",
			want: []block{{file: "f", name: "a", lines: []string{"x: 1"}}, {file: "f", name: "b", lines: []string{"y"}}}},
		{name: "no trailing newline", in: "[a]\none", want: []block{{file: "f", name: "a", lines: []string{"one"}}}},
		{name: "empty section", in: "[a]\n[b]\nx\n", want: []block{{file: "f", name: "a"}, {file: "f", name: "b", lines: []string{"x"}}}},
		{name: "line before any section", in: "x\n[a]\n", panic: true},
		{name: "space around a phrase", in: "[a]\n x\n", panic: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if r := recover(); (r != nil) != tc.panic {
					t.Errorf("splitBlocks(%q) panicked: %v, want panic %v", tc.in, r, tc.panic)
				}
			}()
			got := splitBlocks("f", splitWords("f", []byte(tc.in)))
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("splitBlocks(%q) = %+v, want %+v", tc.in, got, tc.want)
			}
		})
	}
}

// TestWordLists: every list the generator picks from has something in it,
// and every field it needs is there.
func TestWordLists(t *testing.T) {
	lists := map[string]int{
		"first-names": len(firstNames), "last-names": len(lastNames), "area-codes": len(areaCodes),
		"trainings": len(trainings), "supplier-words": len(supplierWords), "evidence": len(evidence),
		"summary-extras": len(summaryExtras), "rca-extras": len(rcaExtras), "lesson-extras": len(lessonExtras),
		"action-notes": len(actionNotes), "test-incidents": len(testIncidents), "test-deviations": len(testDeviations),
		"recommendations": len(recommendations), "companies": len(companies), "countries": len(countries),
		"categories": len(categories), "scenarios": len(scenarios), "services": len(services),
	}
	for _, name := range []string{"JD-001", "JD-002", "JD-003", "JD-004", "JD-005"} {
		lists["positions "+name], lists["duties "+name] = len(positions[name]), len(duties[name])
	}
	for _, level := range []string{"minimal", "moderate", "major", "catastrophic"} {
		lists["remedies "+level], lists["timeline "+level] = len(remedies[level]), len(timelineEvents[level])
	}
	for _, test := range []string{"T01", "T02"} {
		lists["test-resources "+test], lists["test-steps "+test] = len(testResources[test]), len(testSteps[test])
	}
	for name, n := range lists {
		if n == 0 {
			t.Errorf("words: %s is empty", name)
		}
	}
	for _, c := range companies {
		if c.domain == "" || c.city == "" || len(c.regions) != 2 {
			t.Errorf("company %s: %+v, want a domain, a city and two regions", c.name, c)
		}
	}
	for _, s := range scenarios {
		if len(s.levels) == 0 || s.symptom == "" || s.fix == "" || s.summary == "" || s.rca == "" || len(s.lessons) == 0 {
			t.Errorf("scenario %q lacks a field: %+v", s.title, s)
		}
	}
	for _, c := range countries {
		if len(c.forms) == 0 || len(c.cities) == 0 || len(c.streets) == 0 || c.addr == "" {
			t.Errorf("country %s lacks a field: %+v", c.phone, c)
		}
	}
	for _, c := range categories {
		if len(c.nouns) == 0 || len(c.mailboxes) == 0 || len(c.services) == 0 || c.about == "" {
			t.Errorf("category %s lacks a field: %+v", c.key, c)
		}
	}
}
