package check_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/check"
	"github.com/qms-tool/qms/internal/records"
	"github.com/qms-tool/qms/internal/schema"
	"github.com/qms-tool/qms/internal/testkit/testrepo"
)

// example returns the embedded example QMS as an editable file system.
func example(t testing.TB) fstest.MapFS {
	return testrepo.Example(t)
}

func run(t testing.TB, m fstest.MapFS) []qms.Finding {
	t.Helper()
	return runWith(t, m, nil)
}

// runWith checks m, through a cache when cache is not nil.
func runWith(t testing.TB, m fstest.MapFS, cache func(*schema.Set) *records.Cache) []qms.Finding {
	t.Helper()
	set, fs_ := schema.Load(qms.Defaults, m)
	src := check.FS{FS: m}
	paths, listed, err := check.List(set, src)
	if err != nil {
		t.Fatal(err)
	}
	chk := &check.Checker{Kinds: set}
	if cache != nil {
		chk.Cache = cache(set)
		defer func() {
			if err := chk.Cache.Save(); err != nil {
				t.Fatal(err)
			}
		}()
	}
	res, err := chk.Check(src, paths)
	if err != nil {
		t.Fatal(err)
	}
	return append(append(fs_, listed...), res.Findings...)
}

func TestExampleIsValid(t *testing.T) {
	if fs_ := run(t, example(t)); len(fs_) > 0 {
		t.Errorf("example QMS has findings: %v", fs_)
	}
}

func TestRules(t *testing.T) {
	const (
		inc  = "records/incidents/INC-2026-0001.md"
		open = "records/incidents/INC-2026-0003.md"
		tst  = "records/tests/TST-2026-0001.md"
		plan = "records/plans/GP-100-r3.md"
		st   = "records/staff/lrossi.md"
		rsk  = "records/risks/RSK-0001.md"
	)
	tests := []struct {
		name      string
		path      string
		old, new  string
		rule      string
		line, col int
		msg       string // part of the message
	}{
		{"id differs from file name", inc, "id: INC-2026-0001", "id: INC-2026-0009", "id-filename", 2, 1, "INC-2026-0001.md"},
		{"id format", st, "id: lrossi", "id: Lrossi", "id-filename", 2, 1, ""},
		{"unknown staff", inc, "owner: lrossi", "owner: dave", "ref-missing", 10, 1, `no staff record has id "dave"`},
		{"reference of the wrong kind", inc, "owner: lrossi", "owner: SUP-0001", "ref-kind", 10, 1, "SUP-0001 is a supplier, not a staff"},
		{"related to nothing", inc, "related: [SUP-0002, TST-2026-0001]", "related: [SUP-0002, TST-2026-0404]", "ref-missing", 14, 21, "TST-2026-0404"},
		{"resolved before detected", inc, "resolved_at: 2026-04-21T11:05:00+02:00", "resolved_at: 2026-04-21T09:05:00+02:00", "date-order", 7, 1, "resolved_at is before detected_at"},
		{"resolved needs root cause", inc, "## Root cause analysis", "## Causes", "section-missing", 26, 1, `"Root cause analysis" (required unless status is open)`},
		{"resolved needs downtime", inc, "downtime_minutes: 48\n", "", "required", 5, 1, "downtime_minutes is required unless status is open"},
		{"major needs the DR plan", inc, "drp_activated: true", "drp_activated: false", "const", 11, 1, "disaster recovery plan"},
		{"unknown service", inc, "services: [backend, patient-app, admin-portal]", "services: [backend, billing]", "service-unknown", 8, 21, "GP-100-r3, the plan in force on 2026-04-21"},
		{"no plan in force", inc, "detected_at: 2026-04-21T10:17:00+02:00", "detected_at: 2020-04-21T10:17:00+02:00", "no-plan", 6, 1, "no plan was in force on 2020-04-21"},
		{"typo in a field", inc, "title:", "titel:", "unknown-field", 3, 1, `did you mean`},
		{"string for a list", inc, "services: [backend, patient-app, admin-portal]", "services: backend", "type", 8, 1, "expected a list, got text"},
		{"not a date-time", inc, "detected_at: 2026-04-21T10:17:00+02:00", "detected_at: 2026-04-21 10:17", "format", 6, 1, "RFC 3339"},
		{"bad level", inc, "level: major", "level: severe", "enum", 4, 1, "not one of"},
		{"open incident needs no root cause", open, "status: open", "status: open", "", 0, 0, ""},
		{"previous of another test", tst, "previous: TST-2025-0001", "previous: TST-2025-0002", "previous", 20, 1, "has test \"T02\""},
		{"previous that is later", "records/tests/TST-2025-0001.md", "test: T01", "test: T01\nprevious: TST-2026-0001", "previous", 6, 1, "not before"},
		{"undeclared test", tst, "test: T01", "test: T09", "test-undeclared", 5, 1, "GP-100-r3 declares no test \"T09\""},
		{"result for an unknown service", tst, "  backend: {rto_minutes: 12", "  billing: {rto_minutes: 12", "service-unknown", 16, 3, `"billing"`},
		{"objectives claimed but missed", tst, "backend: {rto_minutes: 12,", "backend: {rto_minutes: 500,", "objectives-claim", 26, 3, "backend RTO was 500 min"},
		{"unknown role", st, "roles: [JD-003, JD-005]", "roles: [JD-003, JD-099]", "role-unknown", 5, 17, `"JD-099"`},
		{"missing key file", st, "file: lrossi.asc", "file: lrossi2.asc", "file-missing", 13, 5, "keys/lrossi2.asc does not exist"},
		{"key file escaping keys/", st, "file: lrossi.asc", "file: ../qms.yaml", "pattern", 13, 5, ""},
		{"review too late", plan, "next_review: 2027-01-15", "next_review: 2027-02-16", "interval", 7, 1, "more than 12 months after effective"},
		{"revision 2 needs supersedes", "records/plans/GP-100-r2.md", "supersedes: GP-100-r1\n", "", "required", 5, 1, "supersedes is required unless revision is 1"},
		{"supersedes another document", plan, "document: GP-100", "document: GP-100", "", 0, 0, ""},
		{"plan id and fields disagree", plan, "revision: 3", "revision: 4", "id-format", 2, 1, "{document}-r{revision}"},
		{"duplicate test ids in a plan", plan, "{id: T02, name", "{id: T01, name", "duplicate", 13, 6, `id "T01" appears more than once`},
		// The plan as data: services, risks, notices, downtime.
		{"contact not staff", plan, "contacts: {primary: lrossi, secondary: tmeier", "contacts: {primary: dave, secondary: tmeier", "ref-missing", 20, 16, `no staff record has id "dave"`},
		{"contact has left", plan, "contacts: {primary: lrossi, secondary: tmeier", "contacts: {primary: snguyen, secondary: tmeier", "contact-inactive", 20, 16, "snguyen (Samuel Nguyen) is not active on 2026-01-15"},
		{"primary and secondary the same", plan, "contacts: {primary: lrossi, secondary: tmeier", "contacts: {primary: lrossi, secondary: lrossi", "contact-same", 20, 33, "services.patient-app.contacts.secondary: lrossi is also the primary contact"},
		{"supplier of a service unknown", plan, "suppliers: [SUP-0001, SUP-0003]", "suppliers: [SUP-0001, SUP-0007]", "ref-missing", 19, 27, `no supplier record has id "SUP-0007"`},
		{"service declared twice", plan, "  admin-portal:\n", "  patient-app:\n", "yaml-duplicate-key", 21, 3, `key "patient-app" appears more than once (first on line 16)`},
		{"services and objectives both", plan, "services:\n", "objectives: {backend: {rto_minutes: 120, rpo_minutes: 30}}\nservices:\n", "objectives-twice", 15, 1, "then drop objectives"},
		{"matrix row too short", plan, "    rare: [low, low, medium]", "    rare: [low, low]", "risk-matrix", 46, 5, "risk.matrix.rare has 2 levels for 3 impacts"},
		{"one audience and level planned twice", plan, "    levels: [catastrophic]", "    levels: [major, catastrophic]", "cadence-duplicate", 68, 14, "external notices for major incidents are already planned"},
		{"likelihood off the scale", rsk, "likelihood: rare", "likelihood: never", "risk-scale", 6, 1, "rare, possible, likely"},
		{"level not the matrix's", rsk, "level: medium", "level: high", "risk-level", 8, 1, "set level: medium"},
		{"category not declared", rsk, "category: infrastructure", "category: weather", "risk-scale", 5, 1, "categories: infrastructure"},
		{"risk under a plan without scales", rsk, "last_review: 2026-10-20\nnext_review: 2027-01-20", "last_review: 2025-10-20\nnext_review: 2026-01-20", "risk-scale", 6, 1, "add risk: {likelihood, impact, levels, matrix, review_months}"},
		{"risk of an unknown service", rsk, "services: [backend,", "services: [billing,", "service-unknown", 9, 12, "services there: admin-portal, backend, device-gateway, patient-app"},
		{"notice before detection", inc, `sent_at: "2026-04-21T10:25:00+02:00"`, `sent_at: "2026-04-21T09:25:00+02:00"`, "notice-time", 16, 42, "is before detected_at"},
		{"update after resolution", "records/incidents/INC-2026-0002.md", `sent_at: "2026-09-08T04:20:00+02:00"`, `sent_at: "2026-09-08T05:20:00+02:00"`, "notice-time", 18, 41, "after resolved_at"},
		{"resolved notice missing", inc, "  - {stage: resolved, audience: external, sent_at: \"2026-04-21T14:10:00+02:00\", by: lrossi, channels: [email, website]}\n", "", "notice-missing", 15, 1, "without the notices GP-100-r3 plans: resolved to external"},
		{"notice by someone unknown", inc, "by: tmeier, channels: [chat, sms]", "by: dave, channels: [chat, sms]", "ref-missing", 16, 80, `no staff record has id "dave"`},
		{"overlapping downtime", "records/incidents/INC-2025-0002.md", "detected_at: 2025-08-19T14:05:00+02:00\nresolved_at: 2025-08-19T14:58:00+02:00", "detected_at: 2026-09-08T04:00:00+02:00\nresolved_at: 2026-09-08T04:53:00+02:00",
			"downtime-overlap", 12, 1, "overlaps that of INC-2026-0002"},
		{"matrix kind unknown", "records/matrix.md", "kinds: [incident, test]", "kinds: [incident, tests]", "kind-unknown", 0, 0, `no record kind "tests"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := example(t)
			f, ok := m[tc.path]
			if !ok {
				t.Fatalf("no %s in the example", tc.path)
			}
			src := string(f.Data)
			if !strings.Contains(src, tc.old) {
				t.Fatalf("%s has no %q: the example changed", tc.path, tc.old)
			}
			m[tc.path] = &fstest.MapFile{Data: []byte(strings.Replace(src, tc.old, tc.new, 1))}
			got := run(t, m)
			// The cache keeps only what the rules across records read: the
			// same findings must come out of a cold and a warm cache.
			cachePath := filepath.Join(t.TempDir(), "cache")
			open := func(set *schema.Set) *records.Cache {
				return records.OpenCache(cachePath, set, []byte("t"), time.Now())
			}
			for _, state := range []string{"cold", "warm"} {
				if cached := runWith(t, m, open); !reflect.DeepEqual(cached, got) {
					t.Errorf("with a %s cache: findings = %v, want %v", state, cached, got)
				}
			}
			if tc.rule == "" {
				if len(got) > 0 {
					t.Errorf("findings = %v, want none", got)
				}
				return
			}
			for _, f := range got {
				if f.Rule != tc.rule || f.Path != tc.path {
					continue
				}
				if tc.line > 0 && (f.Line != tc.line || f.Column != tc.col) {
					t.Errorf("%s at %d:%d, want %d:%d (%s)", tc.rule, f.Line, f.Column, tc.line, tc.col, f.Message)
				}
				if !strings.Contains(f.Message+" "+f.Hint, tc.msg) {
					t.Errorf("message %q (hint %q) does not say %q", f.Message, f.Hint, tc.msg)
				}
				return
			}
			t.Errorf("findings = %v, want rule %s in %s", got, tc.rule, tc.path)
		})
	}
}

func TestDuplicateID(t *testing.T) {
	m := example(t)
	b := m["records/suppliers/SUP-0001.md"].Data
	m["records/suppliers/SUP-0009.md"] = &fstest.MapFile{Data: b}
	got := run(t, m)
	var rules []string
	for _, f := range got {
		if f.Path == "records/suppliers/SUP-0009.md" {
			rules = append(rules, f.Rule)
		}
	}
	// The copy's id SUP-0001 is taken and is not its file name.
	if strings.Join(rules, ",") != "duplicate-id,id-filename" {
		t.Errorf("findings on the copy = %v, want duplicate-id and id-filename", got)
	}
	m["records/suppliers/SUP-0009.md"] = &fstest.MapFile{Data: []byte(strings.Replace(string(b), "SUP-0001", "SUP-0009", 1))}
	m["records/suppliers/sub"] = &fstest.MapFile{Data: []byte("x")}
	if got := run(t, m); len(got) > 0 {
		t.Errorf("a distinct copy should be valid, got %v", got)
	}
}

// TestDuplicateIDHint checks how the finding says to renumber: the
// example has INC-2026-0001 to 0003 and SUP-0001 to 0003.
func TestDuplicateIDHint(t *testing.T) {
	inc := "records/incidents/"
	for _, tc := range []struct {
		name   string
		copies map[string]string // new file -> the record it copies, or "id ID": a new incident of that id
		want   map[string]string // file with the finding -> its hint
	}{
		{"its file name is a free id", map[string]string{inc + "INC-2026-0007.md": inc + "INC-2026-0003.md"},
			map[string]string{inc + "INC-2026-0007.md": "set id: INC-2026-0007, as its file name says"}},
		{"its file name is no id: the next free one", map[string]string{inc + "INC-2026-0003-bob.md": inc + "INC-2026-0003.md"},
			// The copy sorts first and the original gets the finding;
			// the hint moves the copy. The next free id is after the
			// copy's name too.
			map[string]string{inc + "INC-2026-0003.md": "git mv " + inc + "INC-2026-0003-bob.md " + inc + "INC-2026-0004.md and set id: INC-2026-0004"}},
		{"two duplicates get two ids", map[string]string{inc + "INC-2026-0002-x.md": inc + "INC-2026-0002.md", inc + "INC-2026-0003-y.md": inc + "INC-2026-0003.md"},
			map[string]string{
				inc + "INC-2026-0002.md": "git mv " + inc + "INC-2026-0002-x.md " + inc + "INC-2026-0004.md and set id: INC-2026-0004",
				inc + "INC-2026-0003.md": "git mv " + inc + "INC-2026-0003-y.md " + inc + "INC-2026-0005.md and set id: INC-2026-0005",
			}},
		{"a kind without a year", map[string]string{"records/suppliers/SUP-0001-copy.md": "records/suppliers/SUP-0001.md"},
			map[string]string{"records/suppliers/SUP-0001.md": "git mv records/suppliers/SUP-0001-copy.md records/suppliers/SUP-0004.md and set id: SUP-0004"}},
		{"its file name is another record's id", map[string]string{inc + "INC-2026-0005.md": inc + "INC-2026-0003.md", inc + "INC-2026-0006.md": "id INC-2026-0005"},
			map[string]string{inc + "INC-2026-0005.md": "git mv " + inc + "INC-2026-0005.md " + inc + "INC-2026-0007.md and set id: INC-2026-0007"}},
		{"a kind named by fields", map[string]string{"records/plans/GP-100-r3b.md": "records/plans/GP-100-r3.md"},
			map[string]string{"records/plans/GP-100-r3b.md": "give each record its own id"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := example(t)
			for to, from := range tc.copies {
				if id, ok := strings.CutPrefix(from, "id "); ok {
					b := strings.Replace(string(m[inc+"INC-2026-0001.md"].Data), "id: INC-2026-0001", "id: "+id, 1)
					m[to] = &fstest.MapFile{Data: []byte(b)}
					continue
				}
				m[to] = &fstest.MapFile{Data: m[from].Data}
			}
			got := map[string]string{}
			for _, f := range run(t, m) {
				if f.Rule == check.RuleDuplicateID {
					got[f.Path] = f.Hint
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("duplicate-id hints = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestDuplicateIDAcrossKinds(t *testing.T) {
	m := example(t)
	// A staff member whose handle equals a supplier id cannot exist (the
	// pattern forbids it), so make two plans claim one id instead.
	b := string(m["records/plans/GP-100-r3.md"].Data)
	m["records/plans/GP-100-r3.md"] = &fstest.MapFile{Data: []byte(b)}
	m["records/plans/GP-100-r3b.md"] = &fstest.MapFile{Data: []byte(b)}
	got := run(t, m)
	found := false
	for _, f := range got {
		if f.Rule == "duplicate-id" && f.Path == "records/plans/GP-100-r3b.md" && strings.Contains(f.Message, "records/plans/GP-100-r3.md") {
			found = true
		}
	}
	if !found {
		t.Errorf("findings = %v, want duplicate-id on GP-100-r3b.md", got)
	}
}

func TestUnknownKindFolder(t *testing.T) {
	m := example(t)
	m["records/capa/CAPA-1.md"] = &fstest.MapFile{Data: []byte("---\nid: CAPA-1\n---\n")}
	got := run(t, m)
	if len(got) != 1 || got[0].Rule != "unknown-kind" || got[0].Path != "records/capa/CAPA-1.md" {
		t.Fatalf("findings = %v, want one unknown-kind", got)
	}
	// A repository schema adds the kind.
	m["schema/capa.schema.json"] = &fstest.MapFile{Data: []byte(`{
		"$schema": "https://json-schema.org/draft/2020-12/schema",
		"x-qms-folder": "records/capa", "x-qms-id": "CAPA-{seq:1}",
		"type": "object", "required": ["id", "owner"], "additionalProperties": false,
		"properties": {"id": {"type": "string"}, "owner": {"type": "string", "x-qms-ref": "staff"}}
	}`)}
	got = run(t, m)
	if len(got) != 1 || got[0].Rule != "required" || !strings.Contains(got[0].Message, `"owner"`) {
		t.Fatalf("findings = %v, want the capa kind's required owner", got)
	}
}

func TestSchemaOverride(t *testing.T) {
	m := example(t)
	b, _ := fs.ReadFile(qms.Defaults, "schema/supplier.schema.json")
	// Make tax_id optional for this company.
	m["schema/supplier.schema.json"] = &fstest.MapFile{Data: []byte(strings.Replace(string(b), `"tax_id", `, "", 1))}
	s := string(m["records/suppliers/SUP-0001.md"].Data)
	i := strings.Index(s, "tax_id:")
	j := strings.Index(s[i:], "\n")
	m["records/suppliers/SUP-0001.md"] = &fstest.MapFile{Data: []byte(s[:i] + s[i+j+1:])}
	if got := run(t, m); len(got) > 0 {
		t.Errorf("findings = %v, want none with tax_id optional", got)
	}
	m["schema/supplier.schema.json"] = &fstest.MapFile{Data: []byte(`{"type": "object"`)}
	got := run(t, m)
	if len(got) == 0 || got[0].Rule != "schema-invalid" || got[0].Path != "schema/supplier.schema.json" {
		t.Errorf("findings = %v, want schema-invalid for the broken override", got)
	}
}

func FuzzCheckFile(f *testing.F) {
	set, fs_ := schema.Load(qms.Defaults, nil)
	if len(fs_) > 0 {
		f.Fatal(fs_)
	}
	_ = fs.WalkDir(qms.Example, "records", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := fs.ReadFile(qms.Example, p)
			f.Add(p, b)
		}
		return nil
	})
	f.Fuzz(func(t *testing.T, p string, b []byte) {
		k := check.KindOf(set, p)
		if k == nil {
			// Still exercise every kind with this content.
			k = set.Kinds[set.Names[len(b)%len(set.Names)]]
			p = k.Folder + "/x.md"
			if k.File != "" {
				p = k.File
			}
		}
		_, fs_ := check.CheckFile(k, p, b)
		for _, f := range fs_ {
			if f.Line < 1 || f.Column < 1 || f.Rule == "" || f.Message == "" {
				t.Fatalf("bad finding %+v", f)
			}
		}
	})
}

func TestFilesThatWouldGoUnchecked(t *testing.T) {
	m := example(t)
	m["records/suppliers/SUP-0005.MD"] = m["records/suppliers/SUP-0001.md"]
	m["records/suppliers/evidence.pdf"] = &fstest.MapFile{Data: []byte("%PDF")}
	got := run(t, m)
	if len(got) != 1 || got[0].Rule != "extension" || got[0].Path != "records/suppliers/SUP-0005.MD" {
		t.Errorf("findings = %v, want one extension finding", got)
	}
}

func TestSymlinkedRecord(t *testing.T) {
	dir := writeExample(t)
	link := filepath.Join(dir, "records/incidents/INC-2026-0099.md")
	if err := os.Symlink("INC-2026-0003.md", link); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	got := checkDir(t, dir, filepath.Join(t.TempDir(), "cache"), "v1", time.Now())
	if !hasRule(got, "symlink") {
		t.Errorf("findings = %v, want symlink", got)
	}
}
