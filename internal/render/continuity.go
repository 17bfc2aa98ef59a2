package render

import (
	"fmt"
	"strings"

	"github.com/qms-tool/qms/internal/records"
	"github.com/qms-tool/qms/internal/status"
)

// continuity is the dashboard's part for the plan as data: the services
// and their contacts, the notices open incidents owe, the risk register
// on the plan's matrix, and availability per service and month, drawn and
// tabled. name is the dashboard's file name, for links.
func (s *site) continuity(name string) string {
	r := s.report
	var b strings.Builder
	link := func(id string) string {
		if q, ok := s.byID[id]; ok {
			return fmt.Sprintf("<a href=\"%s\">%s</a>", rel(name, q.name), h(id))
		}
		return h(id)
	}
	if len(r.Services) > 0 {
		fmt.Fprintf(&b, "<h2 id=\"qms-services\">Services: %d</h2>\n", len(r.Services))
		b.WriteString("<table>\n<thead><tr><th>Service</th><th>RTO (min)</th><th>RPO (min)</th><th>MTD (min)</th>")
		for _, role := range records.ContactRoles {
			fmt.Fprintf(&b, "<th>%s</th>", h(capitalise(records.ContactTitle(role))))
		}
		b.WriteString("</tr></thead>\n<tbody>\n")
		for _, sv := range r.Services {
			fmt.Fprintf(&b, "<tr><td title=\"%s\">%s</td><td class=\"num\">%s</td><td class=\"num\">%s</td><td class=\"num\">%s</td>",
				h(sv.Description), h(sv.Name), status.Minutes(sv.RTO), status.Minutes(sv.RPO), status.Minutes(sv.MTD))
			for _, c := range sv.Contacts {
				switch {
				case c.Staff == "":
					b.WriteString(`<td class="contact"><span class="badge overdue">unfilled</span></td>`)
				case !c.Active:
					fmt.Fprintf(&b, `<td class="contact">%s <span class="badge overdue">not active</span></td>`, link(c.Staff))
				default:
					fmt.Fprintf(&b, `<td class="contact">%s</td>`, link(c.Staff))
				}
			}
			b.WriteString("</tr>\n")
		}
		b.WriteString("</tbody>\n</table>\n")
	}
	if len(r.Notices) > 0 {
		fmt.Fprintf(&b, "<h2 id=\"qms-notices\">Notices due on open incidents: %d</h2>\n", len(r.Notices))
		b.WriteString("<table>\n<thead><tr><th>Incident</th><th>Level</th><th>Audience</th><th>Notice</th><th>Due</th><th>Last sent</th><th>Sends</th><th></th></tr></thead>\n<tbody>\n")
		for _, n := range r.Notices {
			who := h(records.ContactTitle(n.Responsible))
			if n.Staff != "" {
				who += " " + link(n.Staff)
			}
			fmt.Fprintf(&b, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td><span class=\"badge %s\">%s</span></td></tr>\n",
				link(n.Incident), h(n.Level), h(n.Audience), h(n.Stage), h(n.Due), h(n.Last), who, h(n.State), h(status.Word(n.State)))
		}
		b.WriteString("</tbody>\n</table>\n")
	}
	if rg := r.Risks; rg != nil {
		fmt.Fprintf(&b, "<h2 id=\"qms-risks\">Risks: %d</h2>\n", rg.Total)
		if len(rg.Likelihood) > 0 {
			b.WriteString("<table class=\"risk-matrix\">\n<caption>Risks by likelihood (rows) and impact (columns), with the matrix's level</caption>\n<thead><tr><th></th>")
			for _, im := range rg.Impact {
				fmt.Fprintf(&b, "<th>%s</th>", h(im))
			}
			b.WriteString("</tr></thead>\n<tbody>\n")
			for i := len(rg.Likelihood) - 1; i >= 0; i-- {
				fmt.Fprintf(&b, "<tr><th>%s</th>", h(rg.Likelihood[i]))
				for j := range rg.Impact {
					fmt.Fprintf(&b, "<td class=\"num level-%s\" data-level=\"%s\">%d</td>", h(rg.Levels[i][j]), h(rg.Levels[i][j]), rg.Counts[i][j])
				}
				b.WriteString("</tr>\n")
			}
			b.WriteString("</tbody>\n</table>\n")
		}
		if len(rg.Due)+len(rg.Unmitigated) > 0 {
			b.WriteString("<ul>\n")
			for _, d := range rg.Due {
				fmt.Fprintf(&b, "<li><span class=\"badge %s\">%s</span> %s %s (%s): review due %s</li>\n", h(d.State), h(status.Word(d.State)), link(d.ID), h(d.Title), h(d.Level), h(d.Due))
			}
			for _, d := range rg.Unmitigated {
				fmt.Fprintf(&b, "<li><span class=\"badge overdue\">no mitigation</span> %s %s (%s)</li>\n", link(d.ID), h(d.Title), h(d.Level))
			}
			b.WriteString("</ul>\n")
		}
	}
	if len(r.Availability) > 0 {
		b.WriteString("<h2 id=\"qms-availability\">Availability</h2>\n")
		b.WriteString(availabilityChart(r.Availability))
		b.WriteString("<table class=\"availability\">\n<thead><tr><th>Service</th>")
		for _, m := range r.Availability[0].Months {
			fmt.Fprintf(&b, "<th>%s</th>", h(m.Period))
		}
		for _, y := range r.Availability[0].Years {
			fmt.Fprintf(&b, "<th>%s</th>", h(y.Period))
		}
		b.WriteString("</tr></thead>\n<tbody>\n")
		for _, a := range r.Availability {
			fmt.Fprintf(&b, "<tr><td>%s</td>", h(a.Service))
			for _, p := range append(append([]status.Period{}, a.Months...), a.Years...) {
				cls := "num"
				if p.Below {
					cls += " missed"
				}
				fmt.Fprintf(&b, "<td class=\"%s\" title=\"%d min down of %d\">%.3f</td>", cls, p.Down, p.Minutes, p.Percent)
			}
			b.WriteString("</tr>\n")
		}
		b.WriteString("</tbody>\n</table>\n")
	}
	return b.String()
}

// availabilityChart draws one row of months per service: green at or
// above the target, red below it, no fill where no target applies.
func availabilityChart(as []status.Availability) string {
	const cell, gap, left, top = 34, 4, 120, 22
	months := len(as[0].Months)
	w, hgt := left+months*(cell+gap), top+len(as)*(cell/2+gap)+4
	var b strings.Builder
	fmt.Fprintf(&b, "<figure>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"Availability per service and month against the plan's target\" class=\"availability-chart\">\n", w, hgt, w, hgt)
	b.WriteString("<title>Availability per service and month: red below the plan's target</title>\n")
	for j, m := range as[0].Months {
		fmt.Fprintf(&b, "<text x=\"%d\" y=\"14\" text-anchor=\"middle\" font-size=\"10\">%s</text>\n", left+j*(cell+gap)+cell/2, h(m.Period[2:]))
	}
	for i, a := range as {
		y := top + i*(cell/2+gap)
		fmt.Fprintf(&b, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" font-size=\"11\">%s</text>\n", left-6, y+cell/2-5, h(a.Service))
		for j, m := range a.Months {
			fill, cls := "#e4e8eb", "none"
			switch {
			case m.Below:
				fill, cls = "#d62728", "below"
			case m.Target > 0:
				fill, cls = "#2ca02c", "met"
			}
			fmt.Fprintf(&b, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\" class=\"%s\" data-service=\"%s\" data-month=\"%s\"><title>%s %s: %.3f %% (%d min down, target %g %%)</title></rect>\n",
				left+j*(cell+gap), y, cell, cell/2, fill, cls, h(a.Service), h(m.Period), h(a.Service), h(m.Period), m.Percent, m.Down, m.Target)
		}
	}
	b.WriteString("</svg>\n<figcaption>Availability per calendar month (UTC) from the incidents' unplanned downtime; red: below the plan's target.</figcaption>\n</figure>\n")
	return b.String()
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
