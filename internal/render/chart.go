package render

import (
	"fmt"
	"sort"
	"strings"

	"github.com/qms-tool/qms/internal/status"
)

// palette colours the services of a chart, in sorted order of their names.
var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"}

// chart draws the measured RTO of each service over a test's runs (solid
// lines and dots), against the objective in force at each run (dashed).
func chart(t status.Test) string {
	if len(t.Runs) == 0 {
		return "<p>No run yet.</p>\n"
	}
	const (
		w, hgt       = 640, 260
		left, right  = 48, 150
		top, bottom  = 16, 40
		plotW, plotH = w - left - right, hgt - top - bottom
	)
	services := map[string]bool{}
	maxV := 1
	for _, r := range t.Runs {
		for _, m := range r.Results {
			services[m.Service] = true
			for _, v := range []*int{m.RTO, m.RTOGoal} {
				if v != nil && *v > maxV {
					maxV = *v
				}
			}
		}
	}
	names := make([]string, 0, len(services))
	for s := range services {
		names = append(names, s)
	}
	sort.Strings(names)
	top10 := niceCeil(maxV)
	x := func(i int) float64 {
		if len(t.Runs) == 1 {
			return left + plotW/2
		}
		return left + float64(i)*plotW/float64(len(t.Runs)-1)
	}
	y := func(v int) float64 { return top + plotH - float64(v)*plotH/float64(top10) }

	var b strings.Builder
	fmt.Fprintf(&b, "<figure>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"Measured RTO of test %s per run against the objective\" class=\"rto-chart\">\n", w, hgt, w, hgt, h(t.ID))
	fmt.Fprintf(&b, "<title>%s %s: measured RTO (minutes) per run, objective dashed</title>\n", h(t.ID), h(t.Name))
	// Axes and grid.
	for i := 0; i <= 4; i++ {
		v := top10 * i / 4
		fmt.Fprintf(&b, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#e4e8eb\"/>\n", left, y(v), left+plotW, y(v))
		fmt.Fprintf(&b, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%d</text>\n", left-6, y(v)+4, v)
	}
	fmt.Fprintf(&b, "<text x=\"%d\" y=\"12\" text-anchor=\"end\">minutes</text>\n", left+10)
	for i, r := range t.Runs {
		fmt.Fprintf(&b, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", x(i), top+plotH+16, h(r.Date))
		fmt.Fprintf(&b, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#555\">%s</text>\n", x(i), top+plotH+30, h(r.Record))
	}
	for si, svc := range names {
		col := palette[si%len(palette)]
		var meas, goal []string
		var dots strings.Builder
		for i, r := range t.Runs {
			for _, m := range r.Results {
				if m.Service != svc {
					continue
				}
				if m.RTO != nil {
					meas = append(meas, fmt.Sprintf("%.1f,%.1f", x(i), y(*m.RTO)))
					fmt.Fprintf(&dots, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"><title>%s %s: RTO %d min", x(i), y(*m.RTO), col, h(r.Record), h(svc), *m.RTO)
					if m.RTOGoal != nil {
						fmt.Fprintf(&dots, ", objective %d min", *m.RTOGoal)
					}
					dots.WriteString("</title></circle>\n")
				}
				if m.RTOGoal != nil {
					goal = append(goal, fmt.Sprintf("%.1f,%.1f", x(i), y(*m.RTOGoal)))
				}
			}
		}
		if len(goal) > 0 {
			if len(goal) == 1 { // a single run: a short dash across it
				var gx, gy float64
				fmt.Sscanf(goal[0], "%f,%f", &gx, &gy)
				goal = []string{fmt.Sprintf("%.1f,%.1f", gx-20, gy), fmt.Sprintf("%.1f,%.1f", gx+20, gy)}
			}
			fmt.Fprintf(&b, "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\" class=\"objective\"/>\n", strings.Join(goal, " "), col)
		}
		if len(meas) > 1 {
			fmt.Fprintf(&b, "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\" class=\"measured\"/>\n", strings.Join(meas, " "), col)
		}
		b.WriteString(dots.String())
		ly := top + 14*si + 6
		fmt.Fprintf(&b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"/>\n", left+plotW+12, ly, left+plotW+30, ly, col)
		fmt.Fprintf(&b, "<text x=\"%d\" y=\"%d\">%s</text>\n", left+plotW+34, ly+4, h(svc))
	}
	ly := top + 14*len(names) + 10
	fmt.Fprintf(&b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#555\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>\n", left+plotW+12, ly, left+plotW+30, ly)
	fmt.Fprintf(&b, "<text x=\"%d\" y=\"%d\">objective</text>\n", left+plotW+34, ly+4)
	b.WriteString("</svg>\n")
	fmt.Fprintf(&b, "<figcaption>%s: measured RTO per service and run (solid), objective of the run's plan (dashed).</figcaption>\n</figure>\n", h(t.ID))
	return b.String()
}

// niceCeil rounds up to 1, 2 or 5 times a power of ten.
func niceCeil(v int) int {
	p := 1
	for {
		for _, m := range []int{1, 2, 5} {
			if m*p >= v {
				return m * p
			}
		}
		if p > 1e9 {
			return v
		}
		p *= 10
	}
}
