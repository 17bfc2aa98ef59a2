package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDashboardContinuityChromium renders the example QMS with an open
// major incident whose notices are overdue, and checks the dashboard's
// parts for the plan as data as headless Chromium builds them: services
// and contacts, the notices due, the risk matrix and the availability
// chart and table.
func TestDashboardContinuityChromium(t *testing.T) {
	dir := t.TempDir()
	run := func(want int, args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		env := &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Dir: dir,
			Now: func() time.Time { return time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC) }, Getenv: func(string) string { return "" }}
		if code := Run(context.Background(), env, append([]string{"qms"}, args...)); code != want {
			t.Fatalf("qms %s: exit %d, want %d\n%s%s", strings.Join(args, " "), code, want, out.String(), errb.String())
		}
		return out.String()
	}
	run(0, "init", "--example", ".")
	inc := "---\nid: INC-2026-0009\ntitle: Backend API errors after a failed deployment\nlevel: major\nstatus: open\n" +
		"detected_at: 2026-11-22T20:00:00+01:00\nservices: [backend]\nreported_by: tmeier\nowner: lrossi\ndrp_activated: true\n" +
		"notices:\n  - {stage: initial, audience: external, sent_at: \"2026-11-22T20:40:00+01:00\", by: lrossi}\n---\n\n## Summary\n\nx\n\n## Timeline\n\nx\n\n## Actions taken\n\nx\n"
	if err := os.WriteFile(filepath.Join(dir, "records", "incidents", "INC-2026-0009.md"), []byte(inc), 0o644); err != nil {
		t.Fatal(err)
	}
	run(0, "validate")
	run(0, "render", "--out", "site", "--at", "2026-11-23")

	dom := chromiumDOM(t, filepath.Join(dir, "site", "status.html"))
	for _, want := range []string{
		`<h2 id="qms-services">Services: 4</h2>`,
		`<th>Primary contact</th><th>Secondary contact</th><th>IT lead</th><th>Operations lead</th>`,
		`<h2 id="qms-notices">Notices due on open incidents: 2</h2>`,
		// As of 2026-11-23 00:00 UTC: the external update was due at 22:40, the internal initial notice at 20:30.
		`<td>external</td><td>update</td><td>2026-11-22T22:40:00+01:00</td><td>2026-11-22T20:40:00+01:00</td>`,
		`<td>internal</td><td>initial</td><td>2026-11-22T20:30:00+01:00</td><td></td>`,
		`<span class="badge overdue">OVERDUE</span>`,
		`<h2 id="qms-risks">Risks: 2</h2>`,
		`<td class="num level-high" data-level="high">1</td>`,
		`<h2 id="qms-availability">Availability</h2>`,
		`class="availability-chart"`,
		`data-service="device-gateway" data-month="2026-09"`,
		`<td class="num missed" title="97 min down of 43200">99.775</td>`,
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("dashboard DOM lacks %q", want)
		}
	}
	// The month below the target is drawn red, one within it green.
	if !strings.Contains(dom, `fill="#d62728" class="below" data-service="device-gateway" data-month="2026-09"`) ||
		!strings.Contains(dom, `fill="#2ca02c" class="met" data-service="device-gateway" data-month="2026-10"`) {
		t.Errorf("availability chart does not colour September red and October green")
	}
}
