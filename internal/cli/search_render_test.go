package cli

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/qms-tool/qms/internal/testkit/need"
)

// pageDOM opens a site page (with a query string, or "") in headless
// Chromium and returns its DOM once the page's scripts have run.
func pageDOM(t *testing.T, file, query string) string {
	t.Helper()
	bin := need.Tool(t, need.Chromium, "chromium", "chromium-browser")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
		"--user-data-dir="+t.TempDir(), "--virtual-time-budget=5000", "--dump-dom", "file://"+filepath.ToSlash(file)+query)
	var errb strings.Builder
	cmd.Stderr = &errb
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, errb.String())
	}
	return string(out)
}

// renderExample makes the example QMS and its site (in DIR/site), as of
// 2026-11-23, and returns DIR.
func renderExample(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	var out, errb bytes.Buffer
	env := &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Dir: dir,
		Now: func() time.Time { return time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC) }, Getenv: func(string) string { return "" }}
	for _, args := range [][]string{{"init", "--example", "."}, {"render", "--out", "site", "--at", "2026-11-23"}} {
		if code := Run(context.Background(), env, append([]string{"qms"}, args...)); code != 0 {
			t.Fatalf("qms %v: exit %d\n%s%s", args, code, out.String(), errb.String())
		}
	}
	return dir
}

// TestSearchChromium renders the example QMS and searches it as a reader
// does, from file:// in headless Chromium: by words of a record's text, by
// id, and for something no record holds.
func TestSearchChromium(t *testing.T) {
	dir := renderExample(t)
	page := filepath.Join(dir, "site", "search.html")
	results := regexp.MustCompile(`(?s)<ol id="qms-results">(.*?)</ol>`)
	links := regexp.MustCompile(`<a href="([^"]+)">([^<]+)</a>`)
	hits := func(dom string) [][]string {
		m := results.FindStringSubmatch(dom)
		if m == nil {
			t.Fatalf("no result list in the DOM:\n%s", dom)
		}
		var out [][]string
		for _, l := range links.FindAllStringSubmatch(m[1], -1) {
			out = append(out, l[1:])
		}
		return out
	}

	// Words from the body and the title, one of them only begun ("failov").
	dom := pageDOM(t, page, "?q=power+failov")
	got := hits(dom)
	if len(got) == 0 || got[0][0] != "records/incident/INC-2026-0002.html" ||
		got[0][1] != "INC-2026-0002: Loss of primary hosting region ch-north-1 after data centre power failure" {
		t.Errorf("search for 'power failov' found %q", got)
	}
	if !strings.Contains(dom, `<input id="qms-q" name="q" type="search" autocomplete="off">`) || !strings.Contains(dom, "match “power failov”") {
		t.Errorf("the search page does not say what it searched for:\n%s", dom)
	}
	// An exact id comes first, even where other records mention it.
	got = hits(pageDOM(t, page, "?q=GP-100-r4"))
	if len(got) == 0 || !strings.HasPrefix(got[0][1], "GP-100-r4") {
		t.Errorf("search for GP-100-r4 found %q", got)
	}
	// Nothing matches: an empty list and a sentence saying so.
	dom = pageDOM(t, page, "?q=zebracrossing")
	if got := hits(dom); len(got) != 0 || !strings.Contains(dom, "0 records match “zebracrossing”.") {
		t.Errorf("search for a word no record holds found %q", got)
	}
	// The header's form on a record page leads to the search page.
	rec := readFile(t, filepath.Join(dir, "site", "records", "incident", "INC-2026-0002.html"))
	if !strings.Contains(rec, `<form class="qms-find" role="search" aria-label="Site search" action="../../search.html">`) {
		t.Errorf("the record page has no search form in its header")
	}
}

// TestAuditTrailChromium signs an incident (review by Tobias, approval by
// Anna), renders the site and filters its audit trail in headless
// Chromium by person from the page's address: only Tobias's rows stay.
func TestAuditTrailChromium(t *testing.T) {
	_, site := signedSite(t)
	page := filepath.Join(site, "audit.html")
	row := regexp.MustCompile(`<tr data-person="([a-z]+)" data-record=" INC-2026-0001 "( hidden="")?>`)
	rows := func(dom string) map[string]bool {
		shown := map[string]bool{}
		for _, m := range row.FindAllStringSubmatch(dom, -1) {
			shown[m[1]] = shown[m[1]] || m[2] == ""
		}
		return shown
	}
	all := rows(pageDOM(t, page, ""))
	if !all["tmeier"] || !all["akeller"] {
		t.Fatalf("unfiltered audit trail shows %v, want both signers", all)
	}
	dom := pageDOM(t, page, "?person=tmeier&record=INC-2026-0001")
	if got := rows(dom); !got["tmeier"] || got["akeller"] {
		t.Errorf("filtered by tmeier the audit trail shows %v", got)
	}
	if !strings.Contains(dom, "1 of 2 entries by Tobias Meier (tmeier) on INC-2026-0001.") {
		t.Errorf("the filter does not say what it shows:\n%s", dom)
	}
}

// TestListsAndFactsChromium renders the example QMS and checks, as
// headless Chromium builds the pages, an incident's header facts in the
// schema's order with their labels, and the incident list sorted by
// downtime (the column the address names), numerically.
func TestListsAndFactsChromium(t *testing.T) {
	dir := renderExample(t)
	dom := pageDOM(t, filepath.Join(dir, "site", "records", "incident", "INC-2026-0002.html"), "")
	var labels []string
	for _, m := range regexp.MustCompile(`<div><dt>([^<]+)</dt>`).FindAllStringSubmatch(dom, -1) {
		labels = append(labels, m[1])
	}
	if got, want := strings.Join(labels, "|"), "Level|Status|Detected at|Resolved at|Services|Owner|Reported by|Downtime (minutes)|Data loss (minutes)|Disaster recovery plan activated"; got != want {
		t.Errorf("header facts %s, want %s", got, want)
	}
	for _, want := range []string{
		`<dd><time datetime="2026-09-08T03:12:00+02:00">2026-09-08 03:12 +02:00</time> <span class="utc">(2026-09-08 01:12 UTC)</span></dd>`,
		`<dd><a href="../../records/staff/tmeier.html">Tobias Meier <small>(tmeier)</small></a></dd>`,
		`<dd>97 min (1 h 37 min)</dd>`,
		`<h2 id="qms-data">Other fields</h2>`,
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("record page lacks %q", want)
		}
	}

	list := filepath.Join(dir, "site", "kinds", "incident.html")
	heads := regexp.MustCompile(`<th scope="col" aria-sort="(\w+)"><button type="button" data-col="(\d)">([^<]+)</button></th>`)
	col := -1
	for _, m := range heads.FindAllStringSubmatch(pageDOM(t, list, ""), -1) {
		if m[3] == "Downtime (minutes)" {
			col = int(m[2][0] - '0')
		}
	}
	if col < 0 {
		t.Fatal("the incident list has no downtime column")
	}
	dom = pageDOM(t, list, "?sort="+string(rune('0'+col)))
	var sorted []int
	for _, m := range regexp.MustCompile(`<td data-sort="(\d*)">[^<]*min[^<]*</td>|<td data-sort="">`).FindAllStringSubmatch(dom, -1) {
		if m[1] == "" {
			sorted = append(sorted, -1)
			continue
		}
		n := 0
		for _, c := range m[1] {
			n = n*10 + int(c-'0')
		}
		sorted = append(sorted, n)
	}
	nums := 0
	for i, n := range sorted {
		if n >= 0 {
			nums++
			if i > 0 && sorted[i-1] > n {
				t.Errorf("downtime not sorted ascending: %v", sorted)
				break
			}
		} else if i+1 < len(sorted) && sorted[i+1] >= 0 {
			t.Errorf("an incident without downtime sorts before one with: %v", sorted)
			break
		}
	}
	if nums < 2 {
		t.Errorf("only %d incidents with downtime in the list: %v", nums, sorted)
	}
	if !strings.Contains(dom, `aria-sort="ascending"><button type="button" data-col="`+string(rune('0'+col))+`">Downtime (minutes)</button>`) {
		t.Error("the sorted column's heading does not say so (aria-sort)")
	}
}
