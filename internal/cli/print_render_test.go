package cli

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qms-tool/qms/internal/testkit/need"
)

// chromiumRun runs headless Chromium with args on a page.
func chromiumRun(t *testing.T, args ...string) {
	t.Helper()
	bin := need.Tool(t, need.Chromium, "chromium", "chromium-browser")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-background-networking", "--hide-scrollbars", "--user-data-dir=" + t.TempDir()}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, out)
	}
}

// signedSite renders a signed QMS (an incident reviewed by Tobias and
// approved by Anna) and returns the site's folder.
func signedSite(t *testing.T) (*signedQMS, string) {
	l := newSignedQMS(t)
	approveIncident(t, l)
	l.qms(t, 0, "render", "--out", "site", "--at", "2026-11-23")
	return l, filepath.Join(l.Repo, "site")
}

// approveIncident has Tobias review and Anna approve INC-2026-0001, and
// returns its path.
func approveIncident(t *testing.T, l *signedQMS) string {
	inc := "records/incidents/INC-2026-0001.md"
	l.as("tobias")
	l.qms(t, 0, "approve", inc, "--meaning", "review")
	l.as("anna")
	l.qms(t, 0, "approve", inc, "--meaning", "approval")
	return inc
}

// TestPrintRecordChromium prints an approved record with Chromium's
// print-to-pdf, as a quality manager would from the browser, and reads
// the PDF as text: the document id and page numbers on every page, the
// signature manifest on the last page, no navigation.
func TestPrintRecordChromium(t *testing.T) {
	_, site := signedSite(t)
	pdf := filepath.Join(t.TempDir(), "INC-2026-0001.pdf")
	chromiumRun(t, "--no-pdf-header-footer", "--print-to-pdf="+pdf, "file://"+filepath.Join(site, "records", "incident", "INC-2026-0001.html"))
	bin := need.Tool(t, need.Pdftotext, "pdftotext")
	out, err := exec.Command(bin, "-layout", pdf, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	pages := strings.Split(strings.TrimRight(string(out), "\f\n"), "\f")
	if len(pages) < 2 {
		t.Fatalf("the printed record has %d page(s), want the signature manifest on a page of its own:\n%s", len(pages), out)
	}
	for i, p := range pages {
		if !strings.Contains(p, "INC-2026-0001") {
			t.Errorf("page %d lacks the document id:\n%s", i+1, p)
		}
		if want := fmt.Sprintf("Page %d of %d", i+1, len(pages)); !strings.Contains(p, want) {
			t.Errorf("page %d lacks %q:\n%s", i+1, want, p)
		}
	}
	last := pages[len(pages)-1]
	for _, want := range []string{"Signatures", "Printed name", "Tobias Meier", "Anna Keller", "Head of Operations (JD-004)", "review", "approval"} {
		if !strings.Contains(last, want) {
			t.Errorf("the last page lacks %q:\n%s", want, last)
		}
	}
	for _, nav := range []string{"Audit trail", "Search", "incident records", "Status ·"} {
		if strings.Contains(string(out), nav) {
			t.Errorf("the printed record shows navigation %q:\n%s", nav, out)
		}
	}
}

// TestScreenshotsChromium takes screenshots of a record page, a list and
// the dashboard at desktop and phone width, kept as artifacts in
// $QMS_ARTIFACTS (else the test's temporary folder) for people to look
// at; it checks that each is an image of the asked width, and that the
// record page declares a viewport for phones.
func TestScreenshotsChromium(t *testing.T) {
	_, site := signedSite(t)
	dir := os.Getenv("QMS_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	dir = filepath.Join(dir, "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, pg := range []struct{ name, file string }{
		{"record", "records/incident/INC-2026-0001.html"}, {"list", "kinds/incident.html"}, {"dashboard", "status.html"}, {"audit", "audit.html"},
	} {
		for _, size := range []struct {
			name string
			w, h int
		}{{"desktop", 1280, 900}, {"phone", 390, 844}} {
			out := filepath.Join(dir, pg.name+"-"+size.name+".png")
			chromiumRun(t, fmt.Sprintf("--window-size=%d,%d", size.w, size.h), "--screenshot="+out, "file://"+filepath.Join(site, pg.file))
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := png.DecodeConfig(bytes.NewReader(b))
			if err != nil || cfg.Width != size.w {
				t.Errorf("%s: %v, width %d, want a PNG %d wide", out, err, cfg.Width, size.w)
			}
		}
	}
	t.Logf("screenshots in %s", dir)
	// On a phone nothing makes the page wider than the screen.
	dom := pageDOM(t, filepath.Join(site, "records", "incident", "INC-2026-0001.html"), "")
	if !strings.Contains(dom, `<meta name="viewport" content="width=device-width, initial-scale=1">`) {
		t.Error("the record page has no viewport for phones")
	}
}

// TestRecordHistory signs an incident, edits it in a signed commit and
// renders the site: the record's page lists each version with its commit,
// time, signer and signatures, marks the approved one, and shows what
// changed since it line by line; the released site shows no unapproved
// text even there.
func TestRecordHistory(t *testing.T) {
	l := newSignedQMS(t)
	inc := approveIncident(t, l)
	l.Write(inc, strings.Replace(readFile(t, l.Repo+"/"+inc), "title: VPN down", "title: VPN down again", 1))
	edit := l.Commit(l.lucia, "Retitle the incident")
	l.qms(t, 0, "render", "--out", "site", "--at", "2026-11-23")
	page := readFile(t, filepath.Join(l.Repo, "site", "records", "incident", "INC-2026-0001.html"))
	sec := page[strings.Index(page, `<section class="history" id="qms-history">`):strings.Index(page, `<section class="signatures"`)]
	rows := strings.Count(sec, "<tr><td>")
	if rows < 2 {
		t.Fatalf("history has %d versions:\n%s", rows, sec)
	}
	first := sec[strings.Index(sec, "<tbody>"):]
	first = first[:strings.Index(first, "</tr>")]
	for _, want := range []string{"<code>" + edit[:12] + "</code>", "Lucia Rossi <small>(lrossi)</small>", `<span class="badge">current</span>`, "<td>none</td>"} {
		if !strings.Contains(first, want) {
			t.Errorf("the newest version's row lacks %q:\n%s", want, first)
		}
	}
	for _, want := range []string{
		`<span class="badge approved">approved</span>`,
		"review: Tobias Meier, ", "approval: Anna Keller, ",
		`<h3 id="qms-changes">Changes since the last approved version</h3>`,
		"<del>− title: VPN down</del>", "<ins>+ title: VPN down again</ins>",
	} {
		if !strings.Contains(sec, want) {
			t.Errorf("history lacks %q:\n%s", want, sec)
		}
	}
	// A grafts file that makes the edit a child of the first commit hides
	// the approved version from git log, not from the page: the history
	// is the verified one, which grafts do not change.
	root := strings.TrimSpace(l.Git("rev-list", "--max-parents=0", "HEAD"))
	if err := os.WriteFile(filepath.Join(l.Repo, ".git", "info", "grafts"), []byte(edit+" "+root+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	l.qms(t, 0, "render", "--out", "grafted", "--at", "2026-11-23")
	grafted := readFile(t, filepath.Join(l.Repo, "grafted", "records", "incident", "INC-2026-0001.html"))
	if g := grafted[strings.Index(grafted, `<section class="history" id="qms-history">`):strings.Index(grafted, `<section class="signatures"`)]; g != sec {
		t.Errorf("with a grafts file the history reads:\n%s\nwant:\n%s", g, sec)
	}
	os.Remove(filepath.Join(l.Repo, ".git", "info", "grafts"))
	l.qms(t, 0, "render", "--out", "released", "--released", "--at", "2026-11-23")
	rel := readFile(t, filepath.Join(l.Repo, "released", "records", "incident", "INC-2026-0001.html"))
	if strings.Contains(rel, "VPN down again") || !strings.Contains(rel, "Not shown: this site publishes approved versions only.") {
		t.Errorf("the released page's history shows unapproved text or no note")
	}
}
