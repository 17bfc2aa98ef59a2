package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	site_ "github.com/qms-tool/qms/internal/render"
)

// readSite reads a folder written by 'qms render'.
func readSite(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestRenderReleased signs an incident, changes it, and checks that the
// released site shows the approved version with its signatures while the
// full site shows the draft; then opens both in headless Chromium.
func TestRenderReleased(t *testing.T) {
	l := newSignedQMS(t)
	inc := "records/incidents/INC-2026-0001.md"
	l.as("tobias")
	l.qms(t, 0, "approve", inc, "--meaning", "review")
	l.as("anna")
	l.qms(t, 0, "approve", inc, "--meaning", "approval")
	l.Write(inc, strings.Replace(readFile(t, l.Repo+"/"+inc), "VPN down", "VPN down again", 1))
	// A test run, for the dashboard's chart (rendering does not validate).
	l.Write("records/tests/TST-2026-0001.md", "---\nid: TST-2026-0001\ntitle: Failover\nplan: GP-100-r1\ntest: T01\n"+
		"started_at: 2026-03-18T21:00:00+01:00\nresults:\n  backend: {rto_minutes: 12, rpo_minutes: 1}\noutcome: pass\n---\n## Procedure\nx\n")
	l.Commit(l.anna, "Edit the incident, add a test")

	out := l.qms(t, 0, "render", "--out", "released", "--released", "--at", "2026-11-23")
	if !strings.Contains(out, "from commit ") {
		t.Errorf("render --released:\n%s", out)
	}
	site := readSite(t, filepath.Join(l.Repo, "released"))
	delete(site, ".qms-site")
	if bad := site_.CheckLinks(site); len(bad) > 0 {
		t.Errorf("broken links:\n%s", strings.Join(bad, "\n"))
	}
	page := string(site["records/incident/INC-2026-0001.html"])
	for _, want := range []string{"VPN down", "A newer version exists that is not approved yet (stale)", "Tobias Meier", "Anna Keller",
		"<td>review</td>", "<td>approval</td>", l.tobias, "JD-004"} {
		if !strings.Contains(page, want) {
			t.Errorf("released page lacks %q:\n%s", want, page)
		}
	}
	if strings.Contains(page, "VPN down again") {
		t.Errorf("released page shows the unapproved edit")
	}
	if _, ok := site["records/plan/GP-100-r1.html"]; ok {
		t.Errorf("a never-approved plan is published")
	}

	l.qms(t, 0, "render", "--out", "full", "--at", "2026-11-23")
	full := readSite(t, filepath.Join(l.Repo, "full"))
	page = string(full["records/incident/INC-2026-0001.html"])
	if !strings.Contains(page, "VPN down again") || !strings.Contains(page, `class="badge stale"`) || !strings.Contains(page, "No valid signature over this version (stale)") {
		t.Errorf("full site's page:\n%s", page)
	}
	if _, ok := full["records/plan/GP-100-r1.html"]; !ok {
		t.Errorf("the full site lacks the draft plan")
	}
	// Rendering again replaces the site; a folder of other files is refused.
	l.qms(t, 0, "render", "--out", "full", "--at", "2026-11-23")
	again := readSite(t, filepath.Join(l.Repo, "full"))
	for n, b := range full {
		if string(again[n]) != string(b) {
			t.Errorf("%s differs between two renders", n)
		}
	}
	l.Write("notes/a.txt", "mine")
	if out := l.qms(t, 2, "render", "--out", "notes"); !strings.Contains(out, "not a site qms made") {
		t.Errorf("render into a folder of other files:\n%s", out)
	}

	out = l.qms(t, 0, "status", "--at", "2026-11-23")
	if !strings.Contains(out, "Approvals: 0 approved, ") || !strings.Contains(out, "stale    "+inc) {
		t.Errorf("status:\n%s", out)
	}

	t.Run("chromium", func(t *testing.T) {
		dom := chromiumDOM(t, filepath.Join(l.Repo, "full", "status.html"))
		for _, want := range []string{"Continuity status as of 2026-11-23", "<svg", `class="objective"`, "TST-2026-0001", "Open incidents: 1", "INC-2026-0001"} {
			if !strings.Contains(dom, want) {
				t.Errorf("dashboard DOM lacks %q:\n%s", want, dom)
			}
		}
		dom = chromiumDOM(t, filepath.Join(l.Repo, "released", "records", "incident", "INC-2026-0001.html"))
		for _, want := range []string{`<section class="signatures" id="qms-signatures">`, "<th>Printed name</th>", "<td>Tobias Meier</td>", "<td>Anna Keller</td>", l.anna} {
			if !strings.Contains(dom, want) {
				t.Errorf("record page DOM lacks %q:\n%s", want, dom)
			}
		}
	})
}

// chromiumDOM opens a file in headless Chromium and returns the DOM it
// dumps. Without Chromium the test fails in CI and is skipped elsewhere.
func chromiumDOM(t *testing.T, file string) string {
	t.Helper()
	return pageDOM(t, file, "")
}
