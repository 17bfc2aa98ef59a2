package render

import (
	"fmt"
	"html/template"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/qms-tool/qms/internal/approval"
	"github.com/qms-tool/qms/internal/policy"
	"github.com/qms-tool/qms/internal/records"
)

// The audit trail: every signature and every accepted exception of the
// verified history in time order (21 CFR 11.10(e)), filterable in the
// browser, and the responsibility matrix with its roles' holders.
const (
	AuditFile   = "audit.html"
	AuditScript = "audit.js"
)

// auditEvent is one row of the audit trail.
type auditEvent struct {
	at      time.Time
	commit  string
	what    string // "signature" or "accepted exception"
	person  string // staff id
	name    string
	meaning string
	records []string // record ids (or paths of records not published)
	html    string   // the row's cells after the time
}

// auditTrail is the page.
func (s *site) auditTrail() []byte {
	const name = AuditFile
	var b strings.Builder
	b.WriteString("<h1 id=\"qms-audit\">Audit trail</h1>\n")
	roles, rules, govern, sod := s.matrixOf()
	now := s.in.Now.UTC()
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	title := func(code string) string {
		if t := roles[code]; t != "" {
			return t + " (" + code + ")"
		}
		return code
	}
	var events []auditEvent
	a := s.in.Approval
	switch {
	case a == nil || a.Report == nil:
		b.WriteString("<p class=\"note\">No signature is listed: the repository has no trust root, so its history was not verified. Run <code>qms verify</code> to see how to set one.</p>\n")
	default:
		rep := a.Report
		fmt.Fprintf(&b, "<p>Every signature and every accepted exception of the verified history, oldest first: %d commits from the trust root <code>%s</code> to <code>%s</code>.", rep.Commits, h(short(rep.Root.Commit)), h(short(rep.Head)))
		if n := len(rep.Failures); n > 0 {
			fmt.Fprintf(&b, " The history has %d authentication failure(s) that no governor accepted: signatures in those commits do not count and are not listed; run <code>qms verify</code>.", n)
		}
		b.WriteString("</p>\n")
		events = s.auditEvents(rep, title)
	}
	if len(events) > 0 {
		people := map[string]string{}
		recs := map[string]bool{}
		for _, e := range events {
			people[e.person] = e.name
			for _, r := range e.records {
				recs[r] = true
			}
		}
		b.WriteString("<form id=\"qms-audit-filter\" class=\"filter\">\n<label for=\"qms-audit-person\">Person</label>\n<select id=\"qms-audit-person\" name=\"person\"><option value=\"\">everyone</option>")
		ids := make([]string, 0, len(people))
		for id := range people {
			ids = append(ids, id)
		}
		sort.Slice(ids, func(i, j int) bool {
			return people[ids[i]] < people[ids[j]] || people[ids[i]] == people[ids[j]] && ids[i] < ids[j]
		})
		for _, id := range ids {
			fmt.Fprintf(&b, "<option value=\"%s\">%s (%s)</option>", h(id), h(people[id]), h(id))
		}
		b.WriteString("</select>\n<label for=\"qms-audit-record\">Record</label>\n<select id=\"qms-audit-record\" name=\"record\"><option value=\"\">all records</option>")
		for _, r := range slices.Sorted(func(yield func(string) bool) {
			for r := range recs {
				if !yield(r) {
					return
				}
			}
		}) {
			fmt.Fprintf(&b, "<option value=\"%s\">%s</option>", h(r), h(r))
		}
		b.WriteString("</select>\n<button type=\"submit\">Filter</button>\n</form>\n")
		fmt.Fprintf(&b, "<p id=\"qms-audit-count\" aria-live=\"polite\">%d entries.</p>\n", len(events))
		b.WriteString("<div class=\"wide\"><table id=\"qms-audit-trail\">\n<thead><tr><th scope=\"col\">Date and time (UTC)</th><th scope=\"col\">Entry</th><th scope=\"col\">Person</th><th scope=\"col\">Role</th><th scope=\"col\">Meaning or reason</th><th scope=\"col\">Record</th><th scope=\"col\">Commit</th></tr></thead>\n<tbody>\n")
		for _, e := range events {
			fmt.Fprintf(&b, "<tr data-person=\"%s\" data-record=\"%s\"><td>%s</td>%s</tr>\n",
				h(e.person), h(" "+strings.Join(e.records, " ")+" "), h(e.at.UTC().Format("2006-01-02 15:04:05")), e.html)
		}
		b.WriteString("</tbody>\n</table></div>\n")
		fmt.Fprintf(&b, "<script src=\"%s\"></script>\n", rel(name, AuditScript))
	} else if a != nil && a.Report != nil {
		b.WriteString("<p>The verified history holds no signature yet.</p>\n")
	}

	b.WriteString("<h2 id=\"qms-matrix\">Responsibility matrix</h2>\n")
	if roles == nil && rules == nil {
		b.WriteString("<p class=\"note\">No responsibility matrix could be read: no record is approved by anyone.</p>\n")
	} else {
		if s.in.Approval == nil || s.in.Approval.Report == nil || s.in.Approval.Report.Matrix == nil {
			if m, ok := s.byID["matrix"]; ok {
				fmt.Fprintf(&b, "<p>As written in <a href=\"%s\">the matrix record</a>; not verified.</p>\n", rel(name, m.name))
			}
		} else {
			b.WriteString("<p>The matrix in force at the verified head.</p>\n")
		}
		b.WriteString("<div class=\"wide\"><table id=\"qms-matrix-rules\">\n<thead><tr><th scope=\"col\">Kinds</th><th scope=\"col\">Review by</th><th scope=\"col\">Approval by</th></tr></thead>\n<tbody>\n")
		signers := func(sg matrixSigners) string {
			var parts []string
			for _, r := range sg.anyOf {
				parts = append(parts, h(title(r)))
			}
			return fmt.Sprintf("%d of %s", sg.min, strings.Join(parts, " or "))
		}
		for _, r := range rules {
			var ks []string
			for _, k := range r.kinds {
				if slices.Contains(s.in.Kinds.Names, k) {
					ks = append(ks, fmt.Sprintf("<a href=\"%s\">%s</a>", rel(name, "kinds/"+k+".html"), h(k)))
				} else {
					ks = append(ks, h(k))
				}
			}
			fmt.Fprintf(&b, "<tr><td>%s</td><td>%s</td><td>%s</td></tr>\n", strings.Join(ks, ", "), signers(r.review), signers(r.approve))
		}
		b.WriteString("</tbody>\n</table></div>\n")
		var gv []string
		for _, g := range govern {
			gv = append(gv, h(title(g)))
		}
		fmt.Fprintf(&b, "<p>Governing roles (may change staff records, keys, the schema and this matrix): %s. Separation of duties: %s.</p>\n",
			strings.Join(gv, ", "), map[bool]string{true: "in force (nobody signs what they wrote)", false: "not in force"}[sod])
		b.WriteString("<h3 id=\"qms-roles\">Roles and their holders</h3>\n<div class=\"wide\"><table id=\"qms-roles-table\">\n<thead><tr><th scope=\"col\">Role</th><th scope=\"col\">Title</th><th scope=\"col\">Held by (active staff)</th></tr></thead>\n<tbody>\n")
		for _, code := range slices.Sorted(func(yield func(string) bool) {
			for c := range roles {
				if !yield(c) {
					return
				}
			}
		}) {
			var holders []string
			for _, p := range s.ofKind("staff") {
				st := records.NewStaff(&records.Entry{Fields: records.FieldsOf(p.rec.Data, nil)})
				if !st.ActiveOn(day) || !slices.Contains(st.Roles, code) {
					continue
				}
				n := p.title
				if n == "" {
					n = p.rec.ID
				}
				holders = append(holders, fmt.Sprintf("<a href=\"%s\">%s</a>", rel(name, p.name), h(n)))
			}
			held := strings.Join(holders, ", ")
			if held == "" {
				held = "<span class=\"badge overdue\">nobody</span>"
			}
			fmt.Fprintf(&b, "<tr><td>%s</td><td>%s</td><td>%s</td></tr>\n", h(code), h(roles[code]), held)
		}
		b.WriteString("</tbody>\n</table></div>\n")
	}
	return s.layout(name, "Audit trail", template.HTML(b.String()))
}

// auditEvents are the signatures and the accepted exceptions, oldest
// first (ties: by commit, then record).
func (s *site) auditEvents(rep *approval.Report, title func(string) string) []auditEvent {
	recordOf := func(p string) (string, string) {
		if q, ok := s.byPath[p]; ok {
			return q.rec.ID, fmt.Sprintf("<a href=\"%s\">%s</a>", rel(AuditFile, q.name), h(q.rec.ID))
		}
		return p, "<code>" + h(p) + "</code>"
	}
	var events []auditEvent
	seen := map[string]bool{}
	for _, g := range rep.Signatures {
		// One signature per person, meaning and content (as the record
		// pages show them).
		k := g.Person + "\x00" + g.Meaning + "\x00" + g.Blob + "\x00" + g.Path
		if seen[k] {
			continue
		}
		seen[k] = true
		id, link := recordOf(g.Path)
		var rs []string
		for _, r := range g.Roles {
			rs = append(rs, h(title(r)))
		}
		events = append(events, auditEvent{at: g.Time, commit: g.Commit, what: "signature", person: g.Person, name: g.Name, meaning: g.Meaning, records: []string{id},
			html: fmt.Sprintf("<td>signature</td><td>%s (%s)</td><td>%s</td><td>%s</td><td>%s <small>version <code>%s</code></small></td><td><code>%s</code></td>",
				h(g.Name), h(g.Person), strings.Join(rs, ", "), h(g.Meaning), link, h(short(g.Blob)), h(short(g.Commit)))})
	}
	for _, x := range rep.Accepted {
		var ids, links []string
		for _, p := range x.Wrote {
			id, link := recordOf(p)
			if !slices.Contains(ids, id) {
				ids, links = append(ids, id), append(links, link)
			}
		}
		var rules []string
		for _, f := range x.Failures {
			if !slices.Contains(rules, f.Rule) {
				rules = append(rules, f.Rule)
			}
		}
		wrote := strings.Join(links, ", ")
		if wrote == "" {
			wrote = "no record"
		}
		person := x.By
		var pr string
		if p, ok := s.byID[person]; ok && p.rec.Kind == "staff" {
			pr = strings.Join(func() []string {
				var out []string
				for _, r := range stringsOf(p.rec.Data["roles"]) {
					out = append(out, h(title(r)))
				}
				return out
			}(), ", ")
		}
		events = append(events, auditEvent{at: x.Time, commit: x.Acceptance, what: "accepted exception", person: person, name: x.Name, records: ids,
			html: fmt.Sprintf("<td><span class=\"badge stale\">accepted exception</span></td><td>%s (%s)</td><td>%s</td><td>accepted commit <code>%s</code>, which failed %s: %s</td><td>%s</td><td><code>%s</code> (acceptance)</td>",
				h(x.Name), h(person), pr, h(short(x.Commit)), h(strings.Join(rules, ", ")), h(x.Reason), wrote, h(short(x.Acceptance)))})
	}
	sort.SliceStable(events, func(i, j int) bool {
		a, b := events[i], events[j]
		if !a.at.Equal(b.at) {
			return a.at.Before(b.at)
		}
		if a.commit != b.commit {
			return a.commit < b.commit
		}
		return strings.Join(a.records, " ") < strings.Join(b.records, " ")
	})
	return events
}

type matrixSigners struct {
	anyOf []string
	min   int
}

type matrixRule struct {
	kinds           []string
	review, approve matrixSigners
}

// matrixOf is the responsibility matrix the audit trail shows: the one in
// force at the verified head, else the published matrix record as written.
func (s *site) matrixOf() (roles map[string]string, rules []matrixRule, govern []string, sod bool) {
	var m *policy.Matrix
	if a := s.in.Approval; a != nil && a.Report != nil && a.Report.Matrix != nil {
		m = a.Report.Matrix
	} else if p, ok := s.byID["matrix"]; ok {
		// The published record, read as verification reads it: a matrix
		// it could not use is shown as none.
		m, _ = policy.ReadMatrix(p.rec.Data)
	}
	if m == nil {
		return nil, nil, nil, false
	}
	for _, r := range m.Rules {
		rules = append(rules, matrixRule{kinds: r.Kinds, review: matrixSigners{r.Review.AnyOf, r.Review.Min}, approve: matrixSigners{r.Approve.AnyOf, r.Approve.Min}})
	}
	return m.Roles, rules, m.Govern, m.SeparationOfDuties
}

// stringsOf is a list of strings from a YAML value (other items dropped).
func stringsOf(v any) []string {
	xs, _ := v.([]any)
	var out []string
	for _, x := range xs {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// short is a commit or blob id as the site shows it.
func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// auditJS filters the audit trail by person and record, from the form or
// from ?person=ID&record=ID in the page's address.
const auditJS = `// Audit trail filter of qms render: no server, no external asset.
(function () {
  "use strict";
  var form = document.getElementById("qms-audit-filter");
  if (!form) { return; }
  var person = document.getElementById("qms-audit-person");
  var record = document.getElementById("qms-audit-record");
  var count = document.getElementById("qms-audit-count");
  var rows = document.querySelectorAll("#qms-audit-trail tbody tr");
  function apply() {
    var p = person.value, r = record.value, n = 0;
    for (var i = 0; i < rows.length; i++) {
      var ok = (p === "" || rows[i].getAttribute("data-person") === p) &&
        (r === "" || rows[i].getAttribute("data-record").indexOf(" " + r + " ") >= 0);
      rows[i].hidden = !ok;
      if (ok) { n++; }
    }
    count.textContent = n + " of " + rows.length + " entries" + (p ? " by " + person.options[person.selectedIndex].text : "") +
      (r ? " on " + r : "") + ".";
  }
  function param(name) {
    var m = new RegExp("[?&]" + name + "=([^&]*)").exec(location.search);
    if (!m) { return ""; }
    try { return decodeURIComponent(m[1].replace(/\+/g, " ")); } catch (x) { return ""; }
  }
  person.value = param("person");
  record.value = param("record");
  if (person.selectedIndex < 0) { person.value = ""; }
  if (record.selectedIndex < 0) { record.value = ""; }
  form.addEventListener("submit", function (ev) { ev.preventDefault(); apply(); });
  person.addEventListener("change", apply);
  record.addEventListener("change", apply);
  apply();
})();
`
