package render

import (
	"bytes"
	"fmt"
	"html/template"
	"sort"
	"strings"
	"time"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/calendar"
	"github.com/qms-tool/qms/internal/evidence"
	"github.com/qms-tool/qms/internal/records"
)

// The files published next to the dashboard: the quality calendar and
// the evidence map.
const (
	CalendarFile = "quality.ics"
	EvidenceFile = "evidence.html"
)

// extras adds the files published next to the dashboard: the quality
// calendar (as 'qms calendar' writes it, as of the dashboard's date) and
// the evidence map ('qms status --evidence' of the published records).
func (s *site) extras(ix *records.Index, files map[string][]byte) error {
	var b bytes.Buffer
	now := s.in.Now.UTC()
	feed := calendar.Feed{Name: s.in.Company + " quality calendar", Domain: calendar.Domain(s.in.Company),
		Stamp: time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)}
	if err := calendar.Write(&b, feed, calendar.Events(ix, s.report, 12)); err != nil {
		return err
	}
	files[CalendarFile] = b.Bytes()
	files[EvidenceFile] = s.evidencePage()
	return nil
}

// evidencePage lists, per clause of the evidence map, the published
// records of its kinds, its checks and its gaps.
func (s *site) evidencePage() []byte {
	fws, bad := evidence.Load(qms.Defaults, s.in.FS)
	byKind := map[string][]string{}
	kindOf := map[string]string{}
	for _, p := range s.pages {
		byKind[p.rec.Kind] = append(byKind[p.rec.Kind], p.rec.ID)
		kindOf[p.rec.Path] = p.rec.Kind
	}
	for _, ids := range byKind {
		sort.Strings(ids)
	}
	entries := evidence.Map(fws, evidence.Repo{Records: byKind, KindOf: func(p string) string { return kindOf[p] }, Report: s.report})
	var b strings.Builder
	fmt.Fprintf(&b, "<h1 id=\"qms-evidence\">Evidence map as of %s</h1>\n", h(s.report.At))
	for _, f := range bad {
		fmt.Fprintf(&b, "<p class=\"problem\">%s: %s</p>\n", h(f.Path), h(f.Message))
	}
	i := 0
	for _, fw := range fws {
		fmt.Fprintf(&b, "<h2>%s</h2>\n<p>%s <small>(%s)</small></p>\n", h(fw.Framework), h(fw.Title), h(fw.Source))
		b.WriteString("<table>\n<thead><tr><th>Clause</th><th>Records</th><th>Checks</th><th>Gaps</th></tr></thead>\n<tbody>\n")
		for range fw.Clauses {
			e := entries[i]
			i++
			var recs []string
			for _, k := range e.Kinds {
				recs = append(recs, fmt.Sprintf("<a href=\"kinds/%s.html\">%s</a> %d", h(k), h(k), e.Records[k]))
			}
			checks := append(append([]string(nil), e.Rules...), e.Commands...)
			if e.Approval {
				checks = append(checks, "approved records only")
			}
			for j := range checks {
				checks[j] = "<code>" + h(checks[j]) + "</code>"
			}
			gaps := "none"
			if len(e.Gaps) > 0 {
				var g []string
				for _, x := range e.Gaps {
					g = append(g, h(x))
				}
				gaps = `<span class="badge overdue">gap</span> ` + strings.Join(g, "; ")
				for _, f := range e.Problems {
					link := h(f.Path)
					if p := s.byPath[f.Path]; p != nil {
						link = fmt.Sprintf("<a href=\"%s\">%s</a>", rel(EvidenceFile, p.name), h(p.rec.ID))
					}
					gaps += fmt.Sprintf("<br>%s: %s", link, h(f.Message))
				}
			}
			fmt.Fprintf(&b, "<tr><td>%s %s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n", h(e.ID), h(e.Title),
				strings.Join(recs, ", "), strings.Join(checks, ", "), gaps)
		}
		b.WriteString("</tbody>\n</table>\n")
	}
	return s.layout(EvidenceFile, "Evidence map", template.HTML(b.String()))
}

// extrasLinks is the dashboard's line linking the files next to it.
func extrasLinks() string {
	return fmt.Sprintf("<p>Also: <a href=\"%s\">the quality calendar</a> (iCalendar, to subscribe to) · <a href=\"%s\">the evidence map</a></p>\n",
		CalendarFile, EvidenceFile)
}
