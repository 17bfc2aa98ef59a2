package check

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/record"
)

// finished reports whether a record's status says its work is done.
func finished(data map[string]any) (string, bool) {
	s, _ := data["status"].(string)
	return s, s == "resolved" || s == "closed"
}

var (
	comment   = regexp.MustCompile(`(?s)<!--.*?-->`)
	unticked  = regexp.MustCompile(`^\s*[-*+] \[ \]\s*(.*)$`)
	underline = regexp.MustCompile(`^\s*(=+|-+)\s*$`)
)

// finishedBody checks the body of a resolved or closed record: each
// required section that applies has text of its own, not only the
// template's guidance (italic paragraphs, _like this_, and comments), and
// no checklist item is left unticked.
func (fc *fileCheck) finishedBody() {
	status, ok := finished(fc.rec.Data)
	if !ok || len(fc.rec.Body) == 0 {
		return
	}
	lines := strings.Split(string(fc.rec.Body), "\n")
	hs := fc.rec.Headings()
	required := map[string]bool{}
	for _, sec := range fc.kind.Sections {
		if sec.Holds(fc.rec.Data) {
			for _, h := range sec.Headings {
				required[strings.ToLower(h)] = true
			}
		}
	}
	for i, h := range hs {
		if !required[strings.ToLower(h.Text)] {
			continue
		}
		end := fc.rec.BodyLine + len(lines)
		for _, n := range hs[i+1:] {
			if n.Level <= h.Level {
				end = n.Line
				break
			}
		}
		from := h.Line + 1 - fc.rec.BodyLine
		to := min(end-fc.rec.BodyLine, len(lines))
		if from > to {
			from = to
		}
		text := lines[from:to]
		if len(text) > 0 && underline.MatchString(text[0]) {
			text = text[1:] // a setext heading's underline
		}
		switch sectionText(strings.Join(text, "\n")) {
		case "empty":
			fc.addAt(record.Pos{Line: h.Line, Col: 1}, RuleSectionEmpty, fmt.Sprintf("section %q of a %s record is empty", h.Text, status),
				"write what the section asks for before the record is "+status)
		case "guidance":
			fc.addAt(record.Pos{Line: h.Line, Col: 1}, RuleSectionEmpty, fmt.Sprintf("section %q of a %s record holds only the template's guidance", h.Text, status),
				"replace the guidance (the text in _underscores_) with what happened")
		}
	}
	fence := false
	for i, l := range lines {
		if t := strings.TrimSpace(l); strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~") {
			fence = !fence
		}
		if m := unticked.FindStringSubmatch(l); m != nil && !fence {
			fc.findings = append(fc.findings, qms.Finding{Path: fc.rec.Path, Line: fc.rec.BodyLine + i, Column: 1, Rule: RuleChecklistUnticked,
				Severity: qms.Warning, Message: fmt.Sprintf("checklist item not ticked on a %s record: %s", status, strings.TrimSpace(m[1])),
				Hint: "tick it ('- [x]') when it was done, or say why it did not apply and tick it"})
		}
	}
}

// sectionText classes a section's text: "empty", "guidance" (only
// comments and italic paragraphs, as the templates write their guidance),
// or "" when it has text of its own.
func sectionText(s string) string {
	s = comment.ReplaceAllString(s, "")
	var paras []string
	for _, p := range strings.Split(s, "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			paras = append(paras, p)
		}
	}
	if len(paras) == 0 {
		return "empty"
	}
	for _, p := range paras {
		if !(len(p) > 2 && (p[0] == '_' && p[len(p)-1] == '_' || p[0] == '*' && p[len(p)-1] == '*' && !strings.HasPrefix(p, "* "))) {
			return ""
		}
	}
	return "guidance"
}
