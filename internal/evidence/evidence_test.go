package evidence

import (
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/records"
	"github.com/qms-tool/qms/internal/schema"
	"github.com/qms-tool/qms/internal/status"
	"github.com/qms-tool/qms/internal/testkit/testrepo"
)

func TestLoad(t *testing.T) {
	repo := fstest.MapFS{
		"schema/iso22301.evidence.json": {Data: []byte(`{"framework": "ISO 22301 (ours)", "title": "t", "clauses": [{"id": "8.5", "title": "Exercises", "kinds": ["test"]}]}`)},
		"schema/iso27001.evidence.json": {Data: []byte(`{"framework": "ISO/IEC 27001:2022", "title": "ISMS", "clauses": [{"id": "A.5.30", "title": "ICT readiness", "kinds": ["test", "plan"]}]}`)},
		"schema/bad.evidence.json":      {Data: []byte(`{"framework": "X", "clauses": [{"id": "1"}, {"id": "1"}]}`)},
		"schema/typo.evidence.json":     {Data: []byte(`{"framework": "Y", "clause": []}`)},
		"schema/test.schema.json":       {Data: []byte(`{}`)},
	}
	fws, fs := Load(qms.Defaults, repo)
	var names []string
	for _, f := range fws {
		names = append(names, f.Name+"="+f.Framework)
	}
	if got, want := strings.Join(names, " "), "cfr11=21 CFR Part 11 dspt=NHS DSPT iso13485=ISO 13485:2016 iso22301=ISO 22301 (ours) iso27001=ISO/IEC 27001:2022"; got != want {
		t.Errorf("frameworks = %q, want %q", got, want)
	}
	var bad []string
	for _, f := range fs {
		bad = append(bad, f.Path+": "+f.Message)
	}
	if got, want := strings.Join(bad, "; "), `schema/bad.evidence.json: evidence map: clause 1 appears twice; schema/typo.evidence.json: evidence map: json: unknown field "clause"`; got != want {
		t.Errorf("findings = %q, want %q", got, want)
	}
	def, fs := Load(qms.Defaults, nil)
	if len(fs) > 0 || len(def) != 4 {
		t.Fatalf("built-in maps: %d frameworks, findings %v", len(def), fs)
	}
	for _, f := range def {
		if !strings.HasPrefix(f.Source, "(built-in) schema/") || len(f.Clauses) == 0 {
			t.Errorf("built-in %s: source %q, %d clauses", f.Name, f.Source, len(f.Clauses))
		}
	}
}

// example holds the built-in map against the example QMS with edits, as
// of a date.
func example(t *testing.T, at string, edits map[string][2]string) map[string]Entry {
	t.Helper()
	m := testrepo.Example(t)
	for p, e := range edits {
		f := m[p]
		if f == nil || !strings.Contains(string(f.Data), e[0]) {
			t.Fatalf("%s has no %q", p, e[0])
		}
		m[p] = &fstest.MapFile{Data: []byte(strings.Replace(string(f.Data), e[0], e[1], 1))}
	}
	kinds, _ := schema.Load(qms.Defaults, nil)
	paths, _, err := records.List(kinds, m)
	if err != nil {
		t.Fatal(err)
	}
	es, err := records.Load(m, kinds, paths, records.Options{})
	if err != nil {
		t.Fatal(err)
	}
	byKind := map[string][]string{}
	kindOf := map[string]string{}
	for _, e := range es {
		byKind[e.Kind.Name] = append(byKind[e.Kind.Name], e.DisplayID())
		kindOf[e.Path] = e.Kind.Name
	}
	now, _ := time.Parse(time.DateOnly, at)
	ix := records.NewIndex(es)
	rep := status.Compute(ix, status.Options{Now: now, Window: 30})
	fws, _ := Load(qms.Defaults, nil)
	out := map[string]Entry{}
	for _, e := range Map(fws, Repo{Records: byKind, KindOf: func(p string) string { return kindOf[p] }, Report: rep}) {
		out[e.Framework+" "+e.ID] = e
	}
	return out
}

func TestMap(t *testing.T) {
	for _, tc := range []struct {
		name   string
		at     string
		edits  map[string][2]string
		clause string
		gaps   string
	}{
		{"exercises evidenced", "2026-11-23", nil, "ISO 22301:2019 8.5", ""},
		{"a test overdue is a gap", "2027-03-19", nil, "ISO 22301:2019 8.5", "1 open problem"},
		{"a failed run without a nonconformity", "2026-11-23", map[string][2]string{"records/tests/TST-2026-0002.md": {"outcome: pass", "outcome: fail"}},
			"ISO 22301:2019 10.1", "1 open problem"},
		{"corrective action evidenced", "2026-11-23", nil, "ISO 13485:2016 8.5.2", ""},
		{"approvals unknown", "2026-11-23", nil, "21 CFR Part 11 11.70", "approvals unknown ()"},
		{"training", "2026-11-23", map[string][2]string{"records/training/TRN-2026-0002.md": {"trainees: [akeller, ", "trainees: ["}},
			"ISO 22301:2019 7.2", "1 open problem"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := example(t, tc.at, tc.edits)
			e, ok := got[tc.clause]
			if !ok {
				t.Fatalf("no clause %s", tc.clause)
			}
			if g := strings.Join(e.Gaps, "; "); g != tc.gaps {
				t.Errorf("%s gaps = %q, want %q (problems %v)", tc.clause, g, tc.gaps, e.Problems)
			}
		})
	}
	e := example(t, "2026-11-23", nil)["ISO 22301:2019 8.5"]
	if e.Records["test"] != 5 {
		t.Errorf("8.5 records = %v, want 5 tests", e.Records)
	}
}

func TestMapGaps(t *testing.T) {
	fws := []Framework{{Framework: "F", Clauses: []Clause{
		{ID: "1", Kinds: []string{"risk", "test"}},
		{ID: "2", Kinds: []string{"test"}, Approval: true},
		{ID: "3", Kinds: []string{"plan"}, Approval: true},
	}}}
	rep := &status.Report{Approval: status.Approval{Known: true, Pending: []string{"records/tests/TST-2026-0001.md"}, Stale: []string{}}}
	kindOf := func(p string) string { return strings.TrimSuffix(strings.Split(p, "/")[1], "s") }
	got := Map(fws, Repo{Records: map[string][]string{"test": {"TST-2026-0001"}, "plan": {"GP-100-r1"}}, KindOf: kindOf, Report: rep})
	for i, want := range []string{"no risk records", "1 record not approved", ""} {
		if g := strings.Join(got[i].Gaps, "; "); g != want {
			t.Errorf("clause %s gaps = %q, want %q", got[i].ID, g, want)
		}
	}
}

// FuzzParse checks that a map file, whatever it holds, is read or refused
// without a panic, and that what is read has a framework and unique ids.
func FuzzParse(f *testing.F) {
	for _, s := range []string{`{"framework": "F", "title": "t", "clauses": [{"id": "1", "kinds": ["test"], "approval": true}]}`,
		`{"framework": "F", "clauses": [{"id": "1"}, {"id": "1"}]}`, `{}`, `[]`, `{"framework": "F"} {}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fw, err := parse(b)
		if err != nil {
			return
		}
		if fw.Framework == "" {
			t.Fatalf("parse(%q) gave a framework without a name", b)
		}
		seen := map[string]bool{}
		for _, c := range fw.Clauses {
			if c.ID == "" || seen[c.ID] {
				t.Fatalf("parse(%q) gave clause id %q twice or empty", b, c.ID)
			}
			seen[c.ID] = true
		}
		Map([]Framework{fw}, Repo{})
	})
}
