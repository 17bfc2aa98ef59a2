package schema

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/qms-tool/qms"
)

func TestDefaultsLoad(t *testing.T) {
	set, fs := Load(qms.Defaults, nil)
	if len(fs) > 0 {
		t.Fatalf("Load(defaults) findings %v", fs)
	}
	want := "document incident matrix nonconformity plan risk staff supplier test training"
	if got := strings.Join(set.Names, " "); got != want {
		t.Errorf("kinds = %q, want %q", got, want)
	}
	inc := set.Kinds["incident"]
	if inc.Folder != "records/incidents" || inc.IDTemplate != "INC-{year}-{seq:4}" {
		t.Errorf("incident kind = %+v", inc)
	}
	var refs []string
	for _, s := range inc.Sites {
		if s.Ref != "" {
			refs = append(refs, strings.Join(s.Path, "/")+"="+s.Ref)
		}
	}
	if got := strings.Join(sorted(refs), " "); got != "notices/*/by=staff owner=staff plan_review/by=staff plan_review/plan=plan related/*=* reported_by=staff" {
		t.Errorf("incident refs = %q", got)
	}
}

func sorted(s []string) []string {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s
}

func TestIDTemplates(t *testing.T) {
	set, _ := Load(qms.Defaults, nil)
	tests := []struct {
		name     string
		kind, id string
		data     map[string]any
		want     bool
	}{
		{"sequence", "incident", "INC-2026-0001", nil, true},
		{"longer sequence", "incident", "INC-2026-12345", nil, true},
		{"short year", "incident", "INC-26-0001", nil, false},
		{"named by fields", "plan", "GP-100-r3", map[string]any{"document": "GP-100", "revision": uint64(3)}, true},
		{"other revision", "plan", "GP-100-r3", map[string]any{"document": "GP-100", "revision": uint64(4)}, false},
		{"other document", "plan", "GP-100-r3", map[string]any{"document": "GP-200", "revision": uint64(3)}, false},
		{"named by people", "staff", "anyone", nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := set.Kinds[tc.kind].MatchID(tc.id, tc.data); got != tc.want {
				t.Errorf("%s.MatchID(%q, %v) = %v, want %v", tc.kind, tc.id, tc.data, got, tc.want)
			}
		})
	}
	inc := set.Kinds["incident"]
	if got := inc.FormatID(nil, 2027, 42); got != "INC-2027-0042" {
		t.Errorf("FormatID(2027, 42) = %q", got)
	}
	re := inc.SeqPattern(2026)
	if m := re.FindStringSubmatch("INC-2026-0107"); m == nil || m[1] != "0107" {
		t.Errorf("SeqPattern(2026) on INC-2026-0107 = %v", m)
	}
	if re.MatchString("INC-2025-0107") {
		t.Error("SeqPattern(2026) matched a 2025 id")
	}
}

func TestSeqOf(t *testing.T) {
	set, _ := Load(qms.Defaults, nil)
	for _, tc := range []struct {
		name, kind, id string
		year, seq      int
		ok             bool
	}{
		{"incident", "incident", "INC-2026-0008", 2026, 8, true},
		{"long sequence", "incident", "INC-2027-12345", 2027, 12345, true},
		{"test report", "test", "TST-2026-0002", 2026, 2, true},
		{"no year in the template", "supplier", "SUP-0004", 0, 4, true},
		{"not of the kind", "incident", "TST-2026-0008", 0, 0, false},
		{"a copy's name", "incident", "INC-2026-0008-copy", 0, 0, false},
		{"named by fields", "plan", "GP-100-r3", 0, 0, false},
		{"named by people", "staff", "jdoe", 0, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			year, seq, ok := set.Kinds[tc.kind].SeqOf(tc.id)
			if year != tc.year || seq != tc.seq || ok != tc.ok {
				t.Errorf("%s.SeqOf(%q) = %d, %d, %v; want %d, %d, %v", tc.kind, tc.id, year, seq, ok, tc.year, tc.seq, tc.ok)
			}
		})
	}
}

func TestCond(t *testing.T) {
	c := Cond{Unless: map[string][]any{"status": {"open"}}}
	if c.Holds(map[string]any{"status": "open"}) || !c.Holds(map[string]any{"status": "closed"}) || !c.Holds(map[string]any{}) {
		t.Error("unless status open")
	}
	c = Cond{When: map[string][]any{"revision": {1.0}}}
	if !c.Holds(map[string]any{"revision": uint64(1)}) || c.Holds(map[string]any{"revision": uint64(2)}) {
		t.Error("when revision 1 must compare numbers by value")
	}
	c = Cond{WhenPresent: []string{"previous"}}
	if c.Holds(map[string]any{"previous": nil}) || !c.Holds(map[string]any{"previous": "X"}) {
		t.Error("when_present")
	}
	if got := (Cond{When: map[string][]any{"level": {"major", "catastrophic"}}}).String(); got != "when level is major or catastrophic" {
		t.Errorf("String() = %q", got)
	}
}

func TestInvalidSchemas(t *testing.T) {
	tests := map[string]string{
		"not json":                        `{`,
		"no folder":                       `{"type": "object"}`,
		"both places":                     `{"x-qms-folder": "records/a", "x-qms-file": "records/a.md"}`,
		"bad keyword":                     `{"x-qms-folder": "records/a", "properties": {"b": {"x-qms-ref": 3}}}`,
		"unknown x-qms":                   `{"x-qms-folder": "records/a", "x-qms-required": [{"felds": ["a"]}]}`,
		"escaping folder":                 `{"x-qms-folder": "../elsewhere"}`,
		"remote ref":                      `{"x-qms-folder": "records/a", "$ref": "https://example.com/s.json"}`,
		"dangling ref":                    `{"x-qms-folder": "records/a", "properties": {"a": {"$ref": "#/$defs/none"}}}`,
		"folder collision":                `{"x-qms-folder": "records/incidents"}`,
		"unknown column":                  `{"x-qms-folder": "records/a", "properties": {"a": {}}, "x-qms-columns": ["b"]}`,
		"computed column of another kind": `{"x-qms-folder": "records/a", "properties": {"a": {}}, "x-qms-columns": ["qms:next_due"]}`,
		"computed fact":                   `{"x-qms-folder": "records/a", "properties": {"a": {}}, "x-qms-facts": ["qms:active"]}`,
	}
	for name, src := range tests {
		t.Run(name, func(t *testing.T) {
			m := fstest.MapFS{"schema/zz.schema.json": &fstest.MapFile{Data: []byte(src)}}
			set, fs := Load(qms.Defaults, m)
			if len(fs) != 1 || fs[0].Rule != "schema-invalid" || fs[0].Path != "schema/zz.schema.json" {
				t.Fatalf("Load(%s) findings = %v, want one schema-invalid on the file", name, fs)
			}
			if _, ok := set.Kinds["zz"]; ok {
				t.Errorf("Load(%s) kept the broken kind", name)
			}
		})
	}
}

// TestComputedColumns: the default schemas name the computed columns of
// their kinds, and an unknown column's message lists the computed ones.
func TestComputedColumns(t *testing.T) {
	set, fs := Load(qms.Defaults, fstest.MapFS{})
	if len(fs) != 0 {
		t.Fatal(fs)
	}
	for col, c := range Computed {
		if !slices.Contains(set.Kinds[c.Kind].Columns, col) {
			t.Errorf("the %s schema's list does not show %s", c.Kind, col)
		}
	}
	m := fstest.MapFS{"schema/zz.schema.json": &fstest.MapFile{Data: []byte(`{"x-qms-folder": "records/a", "properties": {"a": {}}, "x-qms-columns": ["b"]}`)}}
	_, fs = Load(qms.Defaults, m)
	if len(fs) != 1 || !strings.Contains(fs[0].Message, "qms:objectives_met (test)") {
		t.Errorf("findings = %v, want the computed columns named", fs)
	}
}
