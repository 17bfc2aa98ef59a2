package render

import (
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/qms-tool/qms/internal/approval"
	"github.com/qms-tool/qms/internal/policy"
	"github.com/qms-tool/qms/internal/testkit/testrepo"
)

// TestAuditTrail: the signatures and the accepted exceptions of a
// verified history, oldest first, each row carrying the person and the
// records the filter selects by; duplicates once; the matrix in force
// with role titles and holders.
func TestAuditTrail(t *testing.T) {
	at := func(h, m int) time.Time { return time.Date(2026, 3, 4, h, m, 0, 0, time.UTC) }
	inc := "records/incidents/INC-2026-0001.md"
	rep := &approval.Report{Head: strings.Repeat("b", 40), Root: approval.Root{Commit: strings.Repeat("a", 40)}, Commits: 7,
		Signatures: []approval.Signature{
			{Meaning: "approval", Path: inc, Blob: strings.Repeat("1", 40), Person: "akeller", Name: "Anna Keller", Roles: []string{"JD-001"}, Time: at(12, 0), Commit: strings.Repeat("c", 40)},
			{Meaning: "review", Path: inc, Blob: strings.Repeat("1", 40), Person: "tmeier", Name: "Tobias Meier", Roles: []string{"JD-004"}, Time: at(11, 0), Commit: strings.Repeat("d", 40)},
			// The same signature again (re-signed): listed once.
			{Meaning: "review", Path: inc, Blob: strings.Repeat("1", 40), Person: "tmeier", Name: "Tobias Meier", Roles: []string{"JD-004"}, Time: at(11, 30), Commit: strings.Repeat("e", 40)},
			{Meaning: "review", Path: "records/incidents/INC-2025-0099.md", Blob: strings.Repeat("2", 40), Person: "lrossi", Name: "Lucia Rossi", Roles: []string{"JD-003"}, Time: at(9, 0), Commit: strings.Repeat("f", 40)},
		},
		Accepted: []approval.Exception{{Commit: strings.Repeat("9", 40), Failures: []approval.Failure{{Rule: "unsigned"}}, By: "akeller", Name: "Anna Keller",
			Reason: "Key not set up on a new laptop; content checked", Acceptance: strings.Repeat("8", 40), Time: at(11, 45), Wrote: []string{inc}}},
		Matrix: &policy.Matrix{Roles: map[string]string{"JD-001": "General Manager", "JD-004": "Head of Operations", "JD-009": "Auditor"},
			Rules:  []policy.Rule{{Kinds: []string{"incident"}, Review: policy.Signers{AnyOf: []string{"JD-004"}, Min: 1}, Approve: policy.Signers{AnyOf: []string{"JD-001"}, Min: 2}}},
			Govern: []string{"JD-001"}, SeparationOfDuties: true},
	}
	files := site_(t, testrepo.Example(t), Input{Company: "Silvretta Medical Software AG", Approval: &Approval{Report: rep, States: []approval.State{}}})
	page := string(files[AuditFile])
	rows := regexp.MustCompile(`<tr data-person="([^"]*)" data-record="([^"]*)"><td>([^<]*)</td><td>(.*?)</td>`).FindAllStringSubmatch(page, -1)
	want := [][3]string{
		{"lrossi", " records/incidents/INC-2025-0099.md ", "2026-03-04 09:00:00"},
		{"tmeier", " INC-2026-0001 ", "2026-03-04 11:00:00"},
		{"akeller", " INC-2026-0001 ", "2026-03-04 11:45:00"},
		{"akeller", " INC-2026-0001 ", "2026-03-04 12:00:00"},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d:\n%s", len(rows), len(want), page)
	}
	for i, w := range want {
		if rows[i][1] != w[0] || rows[i][2] != w[1] || rows[i][3] != w[2] {
			t.Errorf("row %d: person %q record %q at %q, want %q", i, rows[i][1], rows[i][2], rows[i][3], w)
		}
	}
	for _, s := range []string{
		`<span class="badge stale">accepted exception</span></td><td>Anna Keller (akeller)</td><td>General Manager (JD-001)</td><td>accepted commit <code>999999999999</code>, which failed unsigned: Key not set up on a new laptop; content checked</td><td><a href="records/incident/INC-2026-0001.html">INC-2026-0001</a></td><td><code>888888888888</code> (acceptance)</td>`,
		`<td>signature</td><td>Tobias Meier (tmeier)</td><td>Head of Operations (JD-004)</td><td>review</td>`,
		`<code>records/incidents/INC-2025-0099.md</code>`, // not published: named, not linked
		`<option value="akeller">Anna Keller (akeller)</option>`,
		`<option value="INC-2026-0001">INC-2026-0001</option>`,
		`<label for="qms-audit-person">Person</label>`,
		`<p>The matrix in force at the verified head.</p>`,
		`<td><a href="kinds/incident.html">incident</a></td><td>1 of Head of Operations (JD-004)</td><td>2 of General Manager (JD-001)</td>`,
		`<tr><td>JD-009</td><td>Auditor</td><td><span class="badge overdue">nobody</span></td></tr>`,
		`<tr><td>JD-001</td><td>General Manager</td><td><a href="records/staff/akeller.html">Anna Keller</a></td></tr>`,
		`7 commits from the trust root <code>aaaaaaaaaaaa</code> to <code>bbbbbbbbbbbb</code>`,
		`<script src="audit.js"></script>`,
	} {
		if !strings.Contains(page, s) {
			t.Errorf("audit trail lacks %q", s)
		}
	}
	if strings.Contains(page, "eeeeeeeeeeee") {
		t.Error("a re-signed signature is listed twice")
	}
	if !strings.Contains(string(files["index.html"]), `<a href="audit.html">Audit trail`) {
		t.Error("the index does not link the audit trail")
	}
	if bad := CheckLinks(files); len(bad) > 0 {
		t.Errorf("broken links:\n%s", strings.Join(bad, "\n"))
	}
}

// TestAuditMatrixFailsClosed: without a verified history the audit trail
// shows the matrix record as verification reads it: a count that is not
// a positive integer makes it no matrix, never one that asks for less.
func TestAuditMatrixFailsClosed(t *testing.T) {
	m := testrepo.Example(t)
	mx := m["records/matrix.md"]
	m["records/matrix.md"] = &fstest.MapFile{Data: []byte(strings.Replace(string(mx.Data), "min: 1}", `min: "1"}`, 1))}
	page := string(site_(t, m, Input{})[AuditFile])
	if !strings.Contains(page, "No responsibility matrix could be read: no record is approved by anyone.") || strings.Contains(page, `id="qms-matrix-rules"`) {
		t.Errorf("a matrix verification refuses is shown:\n%s", page)
	}
}
