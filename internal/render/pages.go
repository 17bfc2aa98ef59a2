package render

import (
	"bytes"
	"fmt"
	"html/template"
	"maps"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	extast "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"

	"github.com/qms-tool/qms/internal/approval"
	"github.com/qms-tool/qms/internal/schema"
	"github.com/qms-tool/qms/internal/status"
)

// h escapes text for HTML.
func h(s string) string { return template.HTMLEscapeString(s) }

func (s *site) index() []byte {
	const name = "index.html"
	var b strings.Builder
	title := "Quality records"
	if s.in.Company != "" {
		title = s.in.Company + ": quality records"
	}
	fmt.Fprintf(&b, "<h1>%s</h1>\n", h(title))
	if s.in.Released {
		b.WriteString("<p>Only approved versions are published: each record as it was last approved; records never approved are left out.</p>\n")
	}
	fmt.Fprintf(&b, "<p><a href=\"%s\">Continuity status as of %s</a> · <a href=\"%s\">Audit trail: every signature and accepted exception, and the responsibility matrix</a></p>\n", rel(name, "status.html"), h(s.report.At), rel(name, AuditFile))
	b.WriteString("<table>\n<thead><tr><th>Kind</th><th>Records</th>")
	if s.in.Approval != nil {
		b.WriteString("<th>Approved</th>")
	}
	b.WriteString("</tr></thead>\n<tbody>\n")
	for _, k := range s.kinds() {
		ps := s.ofKind(k)
		fmt.Fprintf(&b, "<tr><td><a href=\"%s\">%s</a></td><td class=\"num\">%d</td>", rel(name, "kinds/"+k+".html"), h(k), len(ps))
		if s.in.Approval != nil {
			n := 0
			for _, p := range ps {
				if p.state == approval.Approved {
					n++
				}
			}
			fmt.Fprintf(&b, "<td class=\"num\">%d</td>", n)
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</tbody>\n</table>\n")
	if s.in.Approval == nil {
		b.WriteString("<p class=\"note\">Approvals were not verified: the repository has no trust root, so no signature is shown as valid.</p>\n")
	} else if n := failures(s.in.Approval); n > 0 {
		fmt.Fprintf(&b, "<p class=\"note\">The history has %d authentication failure(s): signatures in those commits do not count. Run <code>qms verify</code>.</p>\n", n)
	}
	return s.layout(name, title, template.HTML(b.String()))
}

func (s *site) kindPage(k string) []byte {
	name := "kinds/" + k + ".html"
	var b strings.Builder
	ps := s.ofKind(k)
	fmt.Fprintf(&b, "<h1>%s records</h1>\n", h(k))
	if len(ps) == 0 {
		b.WriteString("<p>No records of this kind are published.</p>\n")
		return s.layout(name, k, template.HTML(b.String()))
	}
	kd := s.in.Kinds.Kinds[k]
	var cols []string
	if kd != nil {
		cols = kd.Columns
	}
	n := fmt.Sprintf("%d records", len(ps))
	if len(ps) == 1 {
		n = "1 record"
	}
	fmt.Fprintf(&b, "<p>%s. Select a column's heading to sort by it.</p>\n", n)
	b.WriteString("<div class=\"wide\"><table class=\"list\" id=\"qms-list\">\n<thead><tr>")
	heads := append([]string{"Id", "Title"}, func() []string {
		var out []string
		for _, c := range cols {
			out = append(out, label(kd, c))
		}
		return out
	}()...)
	heads = append(heads, "Approval")
	for i, l := range heads {
		fmt.Fprintf(&b, "<th scope=\"col\" aria-sort=\"none\"><button type=\"button\" data-col=\"%d\">%s</button></th>", i, h(l))
	}
	b.WriteString("</tr></thead>\n<tbody>\n")
	for _, p := range ps {
		fmt.Fprintf(&b, "<tr><td><a href=\"%s\">%s</a></td><td>%s</td>", rel(name, p.name), h(p.rec.ID), h(p.title))
		for _, c := range cols {
			if _, ok := schema.Computed[c]; ok {
				x := s.columns[c][p.rec.Path]
				fmt.Fprintf(&b, "<td data-sort=\"%s\">%s</td>", h(x.sort), x.html)
				continue
			}
			v, ok := p.rec.Data[c]
			if !ok || v == nil {
				b.WriteString("<td data-sort=\"\"></td>")
				continue
			}
			fmt.Fprintf(&b, "<td data-sort=\"%s\">%s</td>", h(sortKey(v)), s.listCell(name, c, v))
		}
		fmt.Fprintf(&b, "<td>%s</td></tr>\n", stateBadge(p.state))
	}
	b.WriteString("</tbody>\n</table></div>\n")
	fmt.Fprintf(&b, "<script src=\"%s\"></script>\n", rel(name, SortScript))
	return s.layout(name, k, template.HTML(b.String()))
}

func stateBadge(st string) string {
	if st == "" {
		return `<span class="badge">unknown</span>`
	}
	return fmt.Sprintf(`<span class="badge %s">%s</span>`, h(st), h(st))
}

// newMarkdown makes a goldmark instance (not shared between goroutines:
// the heading id generator is per document, but the parser keeps state).
func newMarkdown() goldmark.Markdown {
	return goldmark.New(
		goldmark.WithExtensions(extension.GFM),
		goldmark.WithParserOptions(parser.WithAutoHeadingID()),
		goldmark.WithRendererOptions(renderer.WithNodeRenderers(util.Prioritized(taskBoxes{}, 100))),
	)
}

// taskBoxes renders a task list's boxes (- [x] done) as GFM does, with a
// name a screen reader says: GFM's are form controls without a label.
type taskBoxes struct{}

func (taskBoxes) RegisterFuncs(r renderer.NodeRendererFuncRegisterer) {
	r.Register(extast.KindTaskCheckBox, func(w util.BufWriter, _ []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		if n.(*extast.TaskCheckBox).IsChecked {
			_, _ = w.WriteString(`<input checked="" disabled="" type="checkbox" aria-label="done"> `)
		} else {
			_, _ = w.WriteString(`<input disabled="" type="checkbox" aria-label="not done"> `)
		}
		return ast.WalkContinue, nil
	})
}

// headingShift is how many levels a body's headings move down so that
// its top level is an h2 under the page's h1 (a body that starts at "#"
// would give the page a second h1).
func headingShift(doc ast.Node) int {
	top := 7
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if hd, ok := n.(*ast.Heading); ok && entering {
			top = min(top, hd.Level)
		}
		return ast.WalkContinue, nil
	})
	if top < 2 {
		return 2 - top
	}
	return 0
}

func (s *site) recordPage(md goldmark.Markdown, p *page) ([]byte, error) {
	var b strings.Builder
	title := p.rec.ID
	if p.title != "" {
		title += ": " + p.title
	}
	// The document id (and company) in the header of every printed page.
	fmt.Fprintf(&b, "<style>@page{@top-left{content:%s;font-size:9pt;color:#333}}</style>\n", cssString(printHeader(p.rec.ID, s.in.Company)))
	fmt.Fprintf(&b, "<p class=\"noprint\"><a href=\"%s\">%s records</a></p>\n", rel(p.name, "kinds/"+p.rec.Kind+".html"), h(p.rec.Kind))
	fmt.Fprintf(&b, "<h1 id=\"qms-top\">%s</h1>\n", h(title))
	fmt.Fprintf(&b, "<p>%s <code>%s</code></p>\n", stateBadge(p.state), h(p.rec.Path))
	facts := s.factsHeader(p)
	b.WriteString(facts)
	if p.note != "" {
		fmt.Fprintf(&b, "<p class=\"note\">%s</p>\n", h(p.note))
	}

	// The body, parsed once: its headings make the contents list.
	src := p.rec.Body
	doc := md.Parser().Parse(text.NewReader(src))
	var toc []string
	var guidance []ast.Node
	shift := headingShift(doc)
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Heading:
			level := n.Level
			n.Level = min(6, level+shift)
			if id, ok := n.AttributeString("id"); ok && level <= 3 {
				if idb, ok := id.([]byte); ok {
					toc = append(toc, fmt.Sprintf("<li><a href=\"#%s\">%s</a></li>", h(string(idb)), h(plain(n, src))))
				}
			}
		case *ast.Paragraph:
			if isGuidance(n, src) {
				guidance = append(guidance, n)
				return ast.WalkSkipChildren, nil
			}
		case *ast.Link:
			n.Destination = s.linkTarget(p, n.Destination)
		case *ast.Image:
			n.Destination = s.linkTarget(p, n.Destination)
		}
		return ast.WalkContinue, nil
	})
	// The template's guidance (a paragraph in _italics_, as the templates
	// write it) left in the record: left out of an approved page, marked
	// as not filled in on any other.
	for _, n := range guidance {
		if p.state == approval.Approved {
			n.Parent().RemoveChild(n.Parent(), n)
		} else {
			n.SetAttributeString("class", []byte("guidance"))
		}
	}
	b.WriteString("<nav aria-label=\"Contents\"><ul>\n<li><a href=\"#qms-data\">Fields</a></li>\n")
	for _, t := range toc {
		b.WriteString(t + "\n")
	}
	b.WriteString("<li><a href=\"#qms-history\">History</a></li>\n<li><a href=\"#qms-signatures\">Signatures</a></li>\n</ul></nav>\n")

	fields := "Fields"
	if facts != "" {
		fields = "Other fields"
	}
	fmt.Fprintf(&b, "<h2 id=\"qms-data\">%s</h2>\n", fields)
	if t := s.dataTable(p, p.rec.Data); t != "" {
		b.WriteString(t)
	} else {
		b.WriteString("<p>None: every field is shown above.</p>\n")
	}

	b.WriteString("<article>\n")
	var body bytes.Buffer
	if err := md.Renderer().Render(&body, src, doc); err != nil {
		return nil, err
	}
	b.Write(body.Bytes())
	b.WriteString("</article>\n")
	b.WriteString(s.historySection(p))
	b.WriteString(s.signatureBlock(p))
	return s.layout(p.name, title, template.HTML(b.String())), nil
}

// isGuidance reports whether a paragraph is the template's guidance: all
// of it in emphasis (_like this_), as check's section-empty rule sees it.
func isGuidance(n *ast.Paragraph, src []byte) bool {
	found := false
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch c := c.(type) {
		case *ast.Emphasis:
			if c.Level != 1 {
				return false
			}
			found = true
		case *ast.Text:
			if len(bytes.TrimSpace(c.Segment.Value(src))) > 0 {
				return false
			}
		default:
			return false
		}
	}
	return found
}

// plain is a heading's text.
func plain(n ast.Node, src []byte) string {
	var b strings.Builder
	_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering {
			if t, ok := c.(*ast.Text); ok {
				b.Write(t.Segment.Value(src))
			} else if t, ok := c.(*ast.String); ok {
				b.Write(t.Value)
			}
		}
		return ast.WalkContinue, nil
	})
	return b.String()
}

// linkTarget turns a link to another record's .md file into a link to its
// page; other links are left as written.
func (s *site) linkTarget(p *page, dest []byte) []byte {
	d := string(dest)
	if d == "" || strings.HasPrefix(d, "#") || strings.Contains(d, ":") || strings.HasPrefix(d, "/") {
		return dest
	}
	target, frag, _ := strings.Cut(d, "#")
	if !strings.HasSuffix(target, ".md") {
		return dest
	}
	full := path.Clean(path.Join(path.Dir(p.rec.Path), target))
	q, ok := s.byPath[full]
	if !ok {
		return dest
	}
	out := rel(p.name, q.name)
	if frag != "" {
		out += "#" + frag
	}
	return util.StringToReadOnlyBytes(out)
}

// dataTable shows the frontmatter, linking values that are ids of
// published records.
func (s *site) dataTable(p *page, d map[string]any) string {
	k := s.in.Kinds.Kinds[p.rec.Kind]
	var b strings.Builder
	b.WriteString("<div class=\"wide\"><table class=\"data\">\n<tbody>\n")
	for _, f := range fieldOrder(k, d) {
		if k != nil && slices.Contains(k.Facts, f) {
			continue // in the header
		}
		fmt.Fprintf(&b, "<tr><th scope=\"row\" title=\"%s\">%s</th><td>%s</td></tr>\n", h(f), h(label(k, f)), s.field(p, f, d[f]))
	}
	b.WriteString("</tbody>\n</table></div>\n")
	if !strings.Contains(b.String(), "<tr>") {
		return ""
	}
	return b.String()
}

func (s *site) value(p *page, v any, depth int) string {
	if depth > 8 {
		return "…"
	}
	switch x := v.(type) {
	case nil:
		return ""
	case map[string]any:
		var b strings.Builder
		b.WriteString("<table>")
		for _, k := range slices.Sorted(maps.Keys(x)) {
			fmt.Fprintf(&b, "<tr><th>%s</th><td>%s</td></tr>", h(k), s.value(p, x[k], depth+1))
		}
		b.WriteString("</table>")
		return b.String()
	case []any:
		if len(x) == 0 {
			return "none"
		}
		var b strings.Builder
		b.WriteString("<ul>")
		for _, e := range x {
			fmt.Fprintf(&b, "<li>%s</li>", s.value(p, e, depth+1))
		}
		b.WriteString("</ul>")
		return b.String()
	case string:
		if q, ok := s.byID[x]; ok && q != p {
			return fmt.Sprintf("<a href=\"%s\">%s</a>", rel(p.name, q.name), refText(q))
		}
		if t, err := time.Parse(time.RFC3339, x); err == nil && strings.Contains(x, "T") {
			return dateTime(t)
		}
		return h(x)
	case float64:
		return h(strconv.FormatFloat(x, 'f', -1, 64))
	}
	return h(fmt.Sprint(v))
}

// signatureBlock shows what 21 CFR 11.50 asks of each signature: printed
// name, role, meaning, date and time; plus the key and the commit.
func (s *site) signatureBlock(p *page) string {
	var b strings.Builder
	b.WriteString("<section class=\"signatures\" id=\"qms-signatures\">\n<h2>Signatures</h2>\n")
	switch {
	case s.in.Approval == nil:
		b.WriteString("<p>Approval state unknown: the repository has no trust root, so signatures were not verified.</p>\n")
	case len(p.sigs) == 0:
		fmt.Fprintf(&b, "<p>No valid signature over this version (%s).</p>\n", h(p.state))
	default:
		b.WriteString("<table>\n<thead><tr><th>Printed name</th><th>Role</th><th>Meaning</th><th>Date and time (UTC)</th><th>Key fingerprint</th><th>Commit</th></tr></thead>\n<tbody>\n")
		sigs := append([]approval.Signature{}, p.sigs...)
		sort.SliceStable(sigs, func(i, j int) bool { return sigs[i].Time.Before(sigs[j].Time) })
		for _, g := range sigs {
			fmt.Fprintf(&b, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td><code>%s</code></td><td><code>%s</code></td></tr>\n",
				h(g.Name), h(strings.Join(s.roleTitles(g.Roles), ", ")), h(g.Meaning), h(g.Time.UTC().Format("2006-01-02 15:04:05")), h(g.Fingerprint), h(g.Commit))
		}
		b.WriteString("</tbody>\n</table>\n")
	}
	if s.in.Approval != nil && p.earlier > 0 {
		fmt.Fprintf(&b, "<p>%d signature(s) over earlier versions are not shown (<code>qms log %s</code> lists them).</p>\n", p.earlier, h(p.rec.Path))
	}
	b.WriteString("</section>\n")
	return b.String()
}

// dashboard is the status report as a page, with a chart per test.
func (s *site) dashboard() []byte {
	const name = "status.html"
	r := s.report
	var b strings.Builder
	fmt.Fprintf(&b, "<h1 id=\"qms-status\">Continuity status as of %s</h1>\n", h(r.At))
	b.WriteString(extrasLinks())
	link := func(id string) string {
		if q, ok := s.byID[id]; ok {
			return fmt.Sprintf("<a href=\"%s\">%s</a>", rel(name, q.name), h(id))
		}
		return h(id)
	}
	badge := func(st string) string {
		return fmt.Sprintf(`<span class="badge %s">%s</span>`, h(st), h(status.Word(st)))
	}
	if len(r.Findings) == 0 {
		b.WriteString("<p><span class=\"badge ok\">nothing overdue, failing or uncovered</span></p>\n")
	} else {
		fmt.Fprintf(&b, "<h2 id=\"qms-problems\">Problems: %d</h2>\n<ul>\n", len(r.Findings))
		for _, f := range r.Findings {
			where := h(f.Path)
			if q, ok := s.byPath[f.Path]; ok {
				where = fmt.Sprintf("<a href=\"%s\">%s</a>", rel(name, q.name), h(q.rec.ID))
			}
			fmt.Fprintf(&b, "<li><span class=\"badge overdue\">%s</span> %s: %s</li>\n", h(f.Rule), where, h(f.Message))
		}
		b.WriteString("</ul>\n")
	}
	b.WriteString("<h2 id=\"qms-plan\">Plan in force</h2>\n")
	if p := r.Plan; p != nil {
		fmt.Fprintf(&b, "<p>%s %s, effective %s. Next review %s %s.</p>\n", link(p.ID), h(p.Title), h(p.Effective), h(p.NextReview), badge(p.State))
	} else {
		b.WriteString("<p>No plan is in force.</p>\n")
	}
	b.WriteString("<h2 id=\"qms-tests\">Continuity tests</h2>\n")
	for _, t := range r.Tests {
		fmt.Fprintf(&b, "<h3 id=\"test-%s\">%s %s</h3>\n", h(t.ID), h(t.ID), h(t.Name))
		fmt.Fprintf(&b, "<p>Every %d months. Next due %s %s.", t.EveryMonths, h(t.NextDue), badge(t.State))
		if l := t.Last; l != nil {
			met := "objectives met"
			if !l.Met {
				met = `<span class="badge missed">objectives missed</span>`
			}
			fmt.Fprintf(&b, " Last run %s on %s: <span class=\"badge %s\">%s</span>, %s (objectives of %s).", link(l.Record), h(l.Date), h(l.Outcome), h(l.Outcome), met, link(l.Plan))
		}
		b.WriteString("</p>\n")
		if l := t.Last; l != nil {
			b.WriteString("<table>\n<thead><tr><th>Service</th><th>RTO (min)</th><th>Objective</th><th>Change</th><th>RPO (min)</th><th>Objective</th><th>Change</th></tr></thead>\n<tbody>\n")
			for _, m := range l.Results {
				cls := ""
				if !m.Met {
					cls = ` class="missed"`
				}
				fmt.Fprintf(&b, "<tr%s><td>%s</td><td class=\"num\">%s</td><td class=\"num\">%s</td><td class=\"num\">%s</td><td class=\"num\">%s</td><td class=\"num\">%s</td><td class=\"num\">%s</td></tr>\n",
					cls, h(m.Service), status.Minutes(m.RTO), status.Minutes(m.RTOGoal), h(status.Delta(m.RTO, m.PrevRTO)),
					status.Minutes(m.RPO), status.Minutes(m.RPOGoal), h(status.Delta(m.RPO, m.PrevRPO)))
			}
			b.WriteString("</tbody>\n</table>\n")
		}
		b.WriteString(chart(t))
	}
	fmt.Fprintf(&b, "<h2 id=\"qms-incidents\">Open incidents: %d</h2>\n", len(r.Open))
	if len(r.Open) > 0 {
		b.WriteString("<table>\n<thead><tr><th>Incident</th><th>Level</th><th>Detected</th><th>Age (days)</th><th>Title</th></tr></thead>\n<tbody>\n")
		for _, in := range r.Open {
			fmt.Fprintf(&b, "<tr><td>%s</td><td>%s</td><td>%s</td><td class=\"num\">%d</td><td>%s</td></tr>\n", link(in.ID), h(in.Level), h(in.DetectedAt), in.AgeDays, h(in.Title))
		}
		b.WriteString("</tbody>\n</table>\n")
	}
	fmt.Fprintf(&b, "<h2 id=\"qms-breaches\">Incidents beyond the objectives: %d</h2>\n", len(r.Breaches))
	if len(r.Breaches) > 0 {
		b.WriteString("<table>\n<thead><tr><th>Incident</th><th>Service</th><th>What</th><th>Measured (min)</th><th>Objective (min)</th><th>Plan</th></tr></thead>\n<tbody>\n")
		for _, x := range r.Breaches {
			fmt.Fprintf(&b, "<tr><td>%s</td><td>%s</td><td>%s</td><td class=\"num\">%d</td><td class=\"num\">%d</td><td>%s</td></tr>\n", link(x.Incident), h(x.Service), h(x.What), x.Measured, x.Objective, link(x.Plan))
		}
		b.WriteString("</tbody>\n</table>\n")
	}
	b.WriteString("<h2 id=\"qms-approvals\">Approvals</h2>\n")
	if a := r.Approval; !a.Known {
		b.WriteString("<p>Unknown: the history was not verified (no trust root).</p>\n")
	} else {
		fmt.Fprintf(&b, "<p>%d approved, %d pending, %d stale.</p>\n", a.Approved, len(a.Pending), len(a.Stale))
		list := func(word string, paths []string) {
			for _, p := range paths {
				if q, ok := s.byPath[p]; ok {
					fmt.Fprintf(&b, "<li>%s <a href=\"%s\">%s</a></li>\n", word, rel(name, q.name), h(p))
				} else {
					fmt.Fprintf(&b, "<li>%s %s</li>\n", word, h(p))
				}
			}
		}
		if len(a.Pending)+len(a.Stale) > 0 && len(a.Pending)+len(a.Stale) <= 200 {
			b.WriteString("<ul>\n")
			list("stale", a.Stale)
			list("pending", a.Pending)
			b.WriteString("</ul>\n")
		}
	}
	fmt.Fprintf(&b, "<h2 id=\"qms-suppliers\">Supplier evaluations due: %d</h2>\n", len(r.Suppliers))
	if len(r.Suppliers) > 0 {
		b.WriteString("<table>\n<thead><tr><th>Supplier</th><th>Name</th><th>Critical</th><th>Last evaluated</th><th>Due</th><th></th></tr></thead>\n<tbody>\n")
		for _, x := range r.Suppliers {
			fmt.Fprintf(&b, "<tr><td>%s</td><td>%s</td><td>%t</td><td>%s</td><td>%s</td><td>%s</td></tr>\n", link(x.ID), h(x.Name), x.Critical, h(x.LastEvaluated), h(x.Due), badge(x.State))
		}
		b.WriteString("</tbody>\n</table>\n")
	}
	fmt.Fprintf(&b, "<h2 id=\"qms-roles\">Role cover</h2>\n<p>Roles without an active holder with a valid key: %d. Critical roles without a backup: %d.</p>\n", len(r.Uncovered), len(r.NoBackup))
	if len(r.Uncovered)+len(r.NoBackup) > 0 {
		b.WriteString("<ul>\n")
		for _, ro := range r.Uncovered {
			fmt.Fprintf(&b, "<li><span class=\"badge overdue\">uncovered</span> %s %s</li>\n", h(ro.Code), h(ro.Title))
		}
		for _, ro := range r.NoBackup {
			var hs []string
			for _, x := range ro.Holders {
				hs = append(hs, link(x))
			}
			fmt.Fprintf(&b, "<li><span class=\"badge due-soon\">no backup</span> %s %s: held only by %s</li>\n", h(ro.Code), h(ro.Title), strings.Join(hs, ", "))
		}
		b.WriteString("</ul>\n")
	}
	b.WriteString(s.continuity(name))
	return s.layout(name, "Continuity status", template.HTML(b.String()))
}

func failures(a *Approval) int {
	if a == nil || a.Report == nil {
		return 0
	}
	return len(a.Report.Failures)
}
