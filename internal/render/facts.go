package render

import (
	"fmt"
	"html/template"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/qms-tool/qms/internal/records"
	"github.com/qms-tool/qms/internal/schema"
	"github.com/qms-tool/qms/internal/status"
)

// label is a field's human name: the schema's title, else the field name
// with its underscores as spaces.
func label(k *schema.Kind, field string) string {
	if c, ok := schema.Computed[field]; ok {
		return c.Title
	}
	if k != nil {
		if t := k.Titles[field]; t != "" {
			return t
		}
	}
	s := strings.ReplaceAll(field, "_", " ")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// factsHeader shows the kind's key facts (x-qms-facts) in the schema's
// order with their labels; unset facts are left out.
func (s *site) factsHeader(p *page) string {
	k := s.in.Kinds.Kinds[p.rec.Kind]
	if k == nil || len(k.Facts) == 0 {
		return ""
	}
	var b strings.Builder
	for _, f := range k.Facts {
		v, ok := p.rec.Data[f]
		if !ok || v == nil {
			continue
		}
		fmt.Fprintf(&b, "<div><dt>%s</dt><dd>%s</dd></div>\n", h(label(k, f)), s.field(p, f, v))
	}
	if b.Len() == 0 {
		return ""
	}
	return "<dl class=\"facts\" id=\"qms-facts\">\n" + b.String() + "</dl>\n"
}

// fieldOrder is the record's fields in the schema's order, then any
// others sorted; id, and the title or name the page's heading shows, are
// left out.
func fieldOrder(k *schema.Kind, d map[string]any) []string {
	var out []string
	seen := map[string]bool{"id": true, "title": true}
	if k != nil && k.Name == "staff" || k != nil && k.Name == "supplier" {
		seen["name"] = true
	}
	if k != nil {
		for _, f := range k.Order {
			if _, ok := d[f]; ok && !seen[f] {
				out = append(out, f)
				seen[f] = true
			}
		}
	}
	for _, f := range slices.Sorted(maps.Keys(d)) {
		if !seen[f] {
			out = append(out, f)
		}
	}
	return out
}

// field formats one top-level value: dates and times in UTC and the
// record's own offset, durations in minutes readably, booleans as yes or
// no, references to records with their titles and staff by name.
func (s *site) field(p *page, name string, v any) string {
	switch x := v.(type) {
	case bool:
		if x {
			return "yes"
		}
		return "no"
	case string:
		if t, err := time.Parse(time.RFC3339, x); err == nil && strings.Contains(x, "T") {
			return dateTime(t)
		}
	case int64, uint64, float64:
		if strings.HasSuffix(name, "_minutes") {
			return h(minutes(v))
		}
	}
	return s.value(p, v, 0)
}

// dateTime shows an instant in the offset it was written in and in UTC.
func dateTime(t time.Time) string {
	_, off := t.Zone()
	u := t.UTC().Format("2006-01-02 15:04 UTC")
	if off == 0 {
		return fmt.Sprintf("<time datetime=\"%s\">%s</time>", h(t.Format(time.RFC3339)), h(u))
	}
	return fmt.Sprintf("<time datetime=\"%s\">%s</time> <span class=\"utc\">(%s)</span>", h(t.Format(time.RFC3339)), h(t.Format("2006-01-02 15:04 -07:00")), h(u))
}

// minutes shows a number of minutes, with hours and days from an hour on.
func minutes(v any) string {
	var n int64
	switch x := v.(type) {
	case int64:
		n = x
	case uint64:
		n = int64(x)
	case float64:
		if x != float64(int64(x)) {
			return strconv.FormatFloat(x, 'f', -1, 64) + " min"
		}
		n = int64(x)
	}
	s := strconv.FormatInt(n, 10) + " min"
	if n < 60 {
		return s
	}
	d, hr, m := n/1440, n%1440/60, n%60
	var parts []string
	if d > 0 {
		parts = append(parts, fmt.Sprintf("%d d", d))
	}
	if hr > 0 {
		parts = append(parts, fmt.Sprintf("%d h", hr))
	}
	if m > 0 {
		parts = append(parts, fmt.Sprintf("%d min", m))
	}
	return s + " (" + strings.Join(parts, " ") + ")"
}

// refText is how a reference to a published record reads: a staff member
// or supplier by name, another record by its id and title.
func refText(q *page) string {
	switch {
	case q.title == "":
		return h(q.rec.ID)
	case q.rec.Kind == "staff" || q.rec.Kind == "supplier":
		return h(q.title) + " <small>(" + h(q.rec.ID) + ")</small>"
	}
	return h(q.rec.ID) + " <small>" + h(q.title) + "</small>"
}

// roleTitle is a role code with its title from the matrix.
func (s *site) roleTitle(code string) string {
	if t := s.roles[code]; t != "" {
		return t + " (" + code + ")"
	}
	return code
}

func (s *site) roleTitles(codes []string) []string {
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = s.roleTitle(c)
	}
	return out
}

// SortScript sorts the kind lists in the browser.
const SortScript = "sort.js"

// listCell is a value in a kind's list: as on the record page, but with
// references by id only (lists are for scanning) and times in UTC.
func (s *site) listCell(from, field string, v any) string {
	switch x := v.(type) {
	case string:
		if t, err := time.Parse(time.RFC3339, x); err == nil && strings.Contains(x, "T") {
			return fmt.Sprintf("<time datetime=\"%s\">%s</time>", h(x), h(t.UTC().Format("2006-01-02 15:04 UTC")))
		}
		if q, ok := s.byID[x]; ok {
			text := h(x)
			if q.rec.Kind == "staff" && q.title != "" {
				text = h(q.title)
			}
			return fmt.Sprintf("<a href=\"%s\">%s</a>", rel(from, q.name), text)
		}
		return h(x)
	case []any:
		var parts []string
		for _, e := range x {
			parts = append(parts, s.listCell(from, field, e))
		}
		return strings.Join(parts, ", ")
	case bool:
		if x {
			return "yes"
		}
		return "no"
	case int64, uint64, float64:
		if strings.HasSuffix(field, "_minutes") {
			return h(minutes(v))
		}
		return h(sortKey(v))
	}
	return h(fmt.Sprint(v))
}

// sortKey is what a list sorts a value by: numbers as numbers (the script
// compares keys that parse as numbers numerically), times in UTC.
func sortKey(v any) string {
	switch x := v.(type) {
	case string:
		if t, err := time.Parse(time.RFC3339, x); err == nil {
			return t.UTC().Format(time.RFC3339)
		}
		return x
	case bool:
		if x {
			return "yes"
		}
		return "no"
	case []any:
		var parts []string
		for _, e := range x {
			parts = append(parts, sortKey(e))
		}
		return strings.Join(parts, ", ")
	}
	if t := schema.Scalar(v); t != "" {
		return t
	}
	return fmt.Sprint(v)
}

// sortJS sorts a kind list by the column whose heading button is pressed
// (again: the other way), keeping aria-sort in step; a table without the
// script keeps its order by id.
const sortJS = `// Sortable lists of qms render: no server, no external asset.
(function () {
  "use strict";
  var table = document.getElementById("qms-list");
  if (!table) { return; }
  var body = table.tBodies[0];
  var heads = table.tHead.rows[0].cells;
  function key(row, col) {
    var c = row.cells[col];
    var k = c.hasAttribute("data-sort") ? c.getAttribute("data-sort") : c.textContent;
    return k.trim();
  }
  function sortBy(col) {
    var th = heads[col];
    var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = key(a, col), y = key(b, col);
      if (x === "" && y !== "") { return 1; }
      if (y === "" && x !== "") { return -1; }
      var nx = Number(x), ny = Number(y);
      var c = (x !== "" && y !== "" && !isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
      return c * dir || key(a, 0).localeCompare(key(b, 0));
    });
    for (var i = 0; i < rows.length; i++) { body.appendChild(rows[i]); }
    for (var j = 0; j < heads.length; j++) { heads[j].setAttribute("aria-sort", "none"); }
    th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
  }
  for (var i = 0; i < heads.length; i++) {
    (function (col) {
      var b = heads[col].querySelector("button");
      if (b) { b.addEventListener("click", function () { sortBy(col); }); }
    })(i);
  }
  var m = /[?&]sort=(\d+)(?:&|$)/.exec(location.search);
  if (m && +m[1] < heads.length) { sortBy(+m[1]); }
})();
`

// printHeader is what a printed record page says at the top of each page.
func printHeader(id, company string) string {
	if company == "" {
		return id
	}
	return id + " · " + company
}

// cssString quotes s as a CSS string, inside an HTML <style> element: no
// character of s can end the string or the element.
func cssString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\' || r == '<' || r == '>' || r == '&' || r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, "\\%x ", r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// cell is a computed list cell: its HTML and what it sorts by.
type cell struct {
	html template.HTML
	sort string
}

// computedColumns computes the list columns no record stores
// (schema.Computed), from the records as 'qms status' reads them: whether
// a test run met the objectives of its plan, when a supplier's next
// evaluation is due, whether a person is active on the day of the site.
func computedColumns(ix *records.Index, now time.Time) map[string]map[string]cell {
	out := map[string]map[string]cell{}
	met := map[string]cell{}
	for p, r := range status.RunsByPath(ix) {
		switch {
		case len(r.Results) == 0:
			met[p] = cell{html: "not measured", sort: "not measured"}
		case r.Met:
			met[p] = cell{html: "yes", sort: "yes"}
		default:
			met[p] = cell{html: template.HTML("<strong>no</strong>: missed " + h(status.Missed(r))), sort: "no"}
		}
	}
	out["qms:objectives_met"] = met
	due := map[string]cell{}
	day := status.Today(now).Format(time.DateOnly)
	for _, s := range ix.Suppliers {
		_, d, ok := status.EvaluationDue(s, 0)
		if !ok {
			continue
		}
		ds := d.Format(time.DateOnly)
		c := cell{html: template.HTML(fmt.Sprintf("<time datetime=\"%s\">%s</time>", ds, ds)), sort: ds}
		if ds < day {
			c.html += " <strong>overdue</strong>"
		}
		due[s.Path] = c
	}
	out["qms:next_due"] = due
	active := map[string]cell{}
	today := status.Today(now)
	for _, s := range ix.Staff {
		if s.ActiveOn(today) {
			active[s.Path] = cell{html: "yes", sort: "yes"}
		} else {
			active[s.Path] = cell{html: "no", sort: "no"}
		}
	}
	out["qms:active"] = active
	return out
}
