package render

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/schema"
	"github.com/qms-tool/qms/internal/testkit/testrepo"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

var testNow = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func site_(t testing.TB, m fstest.MapFS, in Input) map[string][]byte {
	t.Helper()
	kinds, fs := schema.Load(qms.Defaults, nil)
	if len(fs) > 0 {
		t.Fatal(fs)
	}
	in.FS, in.Kinds = m, kinds
	if in.Now.IsZero() {
		in.Now = testNow
	}
	files := map[string][]byte{}
	var order []string
	err := Write(context.Background(), in, func(name string, data []byte) error {
		if _, dup := files[name]; dup {
			t.Errorf("%s emitted twice", name)
		}
		files[name] = data
		order = append(order, name)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !sort.StringsAreSorted(order) {
		t.Errorf("files not emitted in sorted order: %q", order)
	}
	return files
}

// golden are the pages compared with testdata/golden: one of each sort.
var golden = []string{
	"index.html",
	"style.css",
	"status.html",
	"kinds/test.html",
	"records/test/TST-2026-0001.html",
	"records/incident/INC-2026-0002.html",
	"records/staff/akeller.html",
	"search.html",
	"audit.html",
}

func TestGolden(t *testing.T) {
	files := site_(t, testrepo.Example(t), Input{Company: "Silvretta Medical Software AG"})
	again := site_(t, testrepo.Example(t), Input{Company: "Silvretta Medical Software AG"})
	if len(files) != len(again) {
		t.Fatalf("two runs made %d and %d files", len(files), len(again))
	}
	for n, b := range files {
		if !bytes.Equal(b, again[n]) {
			t.Errorf("%s differs between two runs", n)
		}
	}
	// index, dashboard, style, calendar, evidence map, search page, its
	// index and script, audit trail and its script, the lists' sort script,
	// 10 kinds, 29 records.
	if want := 11 + 10 + 29; len(files) != want {
		t.Errorf("%d files, want %d", len(files), want)
	}
	for _, n := range golden {
		p := filepath.Join("testdata", "golden", filepath.FromSlash(n))
		if *update {
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, files[n], 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("%v (run go test -update to make it)", err)
		}
		if !bytes.Equal(files[n], want) {
			t.Errorf("%s differs from %s (run go test -update and review the diff)", n, p)
		}
	}
}

func TestLinks(t *testing.T) {
	m := testrepo.Example(t)
	// Links between records, to headings, outside, and broken ones.
	inc := m["records/incidents/INC-2026-0003.md"]
	inc.Data = append(inc.Data, []byte("\n## Links\n\nSee [the test](../tests/TST-2026-0001.md#results), [the plan](../plans/GP-100-r3.md),\n[a heading](#summary), [elsewhere](https://example.com/x) and [mail](mailto:a@example.com).\n\n<script>alert(1)</script>\n\n[bad](javascript:alert(1))\n")...)
	files := site_(t, m, Input{Company: "Silvretta <Medical> & Co"})
	if bad := CheckLinks(files); len(bad) > 0 {
		t.Errorf("broken links:\n%s", strings.Join(bad, "\n"))
	}
	page := string(files["records/incident/INC-2026-0003.html"])
	for _, want := range []string{`href="../../records/test/TST-2026-0001.html#results"`, `href="../../records/plan/GP-100-r3.html"`, `href="#summary"`,
		"Silvretta &lt;Medical&gt; &amp; Co", `id="qms-signatures"`} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	for _, bad := range []string{"<script>", "javascript:"} {
		if strings.Contains(page, bad) {
			t.Errorf("page has %s", bad)
		}
	}
	// The checker itself finds what is broken.
	files["x.html"] = []byte(`<a href="nowhere.html">a</a><a href="index.html#nope">b</a><img src="https://cdn.example.com/x.png"><link href="">`)
	if bad := CheckLinks(files); len(bad) != 4 {
		t.Errorf("CheckLinks found %d problems, want 4: %q", len(bad), bad)
	}
}

func TestDashboard(t *testing.T) {
	files := site_(t, testrepo.Example(t), Input{})
	dash := string(files["status.html"])
	for _, want := range []string{"GP-100-r3", `<svg xmlns="http://www.w3.org/2000/svg"`, "class=\"objective\"", "INC-2026-0003", "Incidents beyond the objectives: 1",
		"TST-2025-0001", "TST-2026-0001", "Approvals</h2>\n<p>Unknown"} {
		if !strings.Contains(dash, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
}

func TestDashboardProblems(t *testing.T) {
	files := site_(t, testrepo.Example(t), Input{Now: time.Date(2027, 3, 20, 0, 0, 0, 0, time.UTC)})
	dash := string(files["status.html"])
	for _, want := range []string{`<h2 id="qms-problems">Problems: 5</h2>`,
		`<span class="badge overdue">review-overdue</span> <a href="records/plan/GP-100-r4.html">GP-100-r4</a>: the review of plan GP-100-r4 was due on 2027-01-15`,
		`test-overdue`, `evaluation-overdue`} {
		if !strings.Contains(dash, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
	if bad := CheckLinks(files); len(bad) > 0 {
		t.Errorf("broken links:\n%s", strings.Join(bad, "\n"))
	}
}

func TestReleasedNeedsApproval(t *testing.T) {
	kinds, _ := schema.Load(qms.Defaults, nil)
	err := Write(context.Background(), Input{FS: testrepo.Example(t), Kinds: kinds, Released: true, Now: testNow}, func(string, []byte) error { return nil })
	if !errors.Is(err, ErrNoApproval) {
		t.Errorf("Write(Released, no approval) = %v, want ErrNoApproval", err)
	}
}

// FuzzRecord renders a site holding one arbitrary incident: it must not
// fail or panic, and every link must resolve.
func FuzzRecord(f *testing.F) {
	f.Add([]byte("---\nid: INC-2026-0001\ntitle: x\n---\n# A\n[b](../tests/T.md#c) [d](#a)\n"))
	f.Add([]byte("---\nid: INC-2026-0001\nlevel: major\nstatus: open\ndetected_at: 2026-01-01T00:00:00Z\nservices: [backend]\n---\n| a | b |\n|---|---|\n| 1 | 2 |\n"))
	f.Add([]byte("no frontmatter <b>"))
	kinds, _ := schema.Load(qms.Defaults, nil)
	f.Fuzz(func(t *testing.T, b []byte) {
		m := fstest.MapFS{"records/incidents/INC-2026-0001.md": {Data: b}, "records/tests/T.md": {Data: []byte("---\nid: T\n---\n# c\n")}}
		files := map[string][]byte{}
		err := Write(context.Background(), Input{FS: m, Kinds: kinds, Now: testNow}, func(name string, data []byte) error {
			files[name] = data
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range CheckLinks(files) {
			// Links the user wrote to files that do not exist stay as
			// written; only the site's own links must resolve.
			if !strings.Contains(bad, "INC-2026-0001.html") {
				t.Error(bad)
			}
		}
	})
}

// TestComputedColumns: the lists show what no record stores, computed as
// status computes it: a test run's objectives (the failed run of
// 2025-06-17 missed the backend RPO), a supplier's next evaluation
// (overdue once its day has passed), whether a person is active on the
// site's day.
func TestComputedColumns(t *testing.T) {
	tests := []struct {
		name, page string
		now        time.Time
		want, not  []string
	}{
		{"objectives", "kinds/test.html", testNow,
			[]string{`<th scope="col" aria-sort="none"><button type="button" data-col="5">Objectives met</button></th>`,
				`<td data-sort="no"><strong>no</strong>: missed the backend RPO (45 min, objective 30)</td>`, `<td data-sort="yes">yes</td>`}, nil},
		{"evaluation due", "kinds/supplier.html", testNow,
			[]string{`>Next evaluation due</button>`, `<td data-sort="2027-03-19"><time datetime="2027-03-19">2027-03-19</time></td>`},
			[]string{"overdue"}},
		{"evaluation overdue", "kinds/supplier.html", time.Date(2027, 3, 20, 0, 0, 0, 0, time.UTC),
			[]string{`<time datetime="2027-03-19">2027-03-19</time> <strong>overdue</strong>`}, nil},
		{"active staff", "kinds/staff.html", testNow,
			[]string{`>Active</button>`, `<td data-sort="no">no</td><td data-sort="2022-01-10">`, `<td data-sort="yes">yes</td><td data-sort="2019-04-01">`}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			page := string(site_(t, testrepo.Example(t), Input{Now: tc.now})[tc.page])
			for _, w := range tc.want {
				if !strings.Contains(page, w) {
					t.Errorf("%s lacks %q", tc.page, w)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(page, w) {
					t.Errorf("%s has %q", tc.page, w)
				}
			}
		})
	}
}
