package check

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/qms-tool/qms/internal/record"
	"github.com/qms-tool/qms/internal/schema"
)

// enumHint says which allowed value a value that differs from it only in
// case (Moderate for moderate) meant; "" when none does.
func enumHint(got any, want []string) string {
	s, ok := got.(string)
	if !ok {
		return ""
	}
	for _, w := range want {
		if strings.EqualFold(s, w) {
			return fmt.Sprintf("values are case-sensitive: write %s", w)
		}
	}
	return ""
}

// headingKey is a heading as compared for "did you mean": lowercase, with
// hyphens, underscores and runs of spaces as one space, punctuation at the
// ends left out.
func headingKey(h string) string {
	h = strings.ToLower(h)
	h = strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || unicode.IsSpace(r) {
			return ' '
		}
		return r
	}, h)
	return strings.Trim(strings.Join(strings.Fields(h), " "), ".:;!?")
}

// nearHeading finds the heading of the body that nearly matches a missing
// required section (Root-cause analysis for Root cause analysis): the same
// words but for hyphens, spaces or punctuation, or within a small edit
// distance. A heading that is itself a required section of the kind is no
// near miss.
func nearHeading(want string, have []record.Heading, sections []schema.Sections) (record.Heading, bool) {
	required := map[string]bool{}
	for _, sec := range sections {
		for _, h := range sec.Headings {
			required[strings.ToLower(h)] = true
		}
	}
	wk := headingKey(want)
	best, bestD := record.Heading{}, -1
	for _, h := range have {
		if required[strings.ToLower(h.Text)] {
			continue
		}
		hk := headingKey(h.Text)
		d := distance(hk, wk)
		if hk == wk {
			d = 0
		}
		if d <= max(2, len(wk)/6) && (bestD < 0 || d < bestD) {
			best, bestD = h, d
		}
	}
	return best, bestD >= 0
}

// dateHint says why a value of the form of a date (YYYY-MM-DD, or the
// date of a date-time) is no date: the month or the day that does not
// exist. It never reads the value as a date.
func dateHint(format string, got any) string {
	s, ok := got.(string)
	if !ok || format != "date" && format != "date-time" || len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return ""
	}
	y, e1 := strconv.Atoi(s[:4])
	m, e2 := strconv.Atoi(s[5:7])
	d, e3 := strconv.Atoi(s[8:10])
	if e1 != nil || e2 != nil || e3 != nil {
		return ""
	}
	if m < 1 || m > 12 {
		return fmt.Sprintf("there is no month %d: write the month as 01 to 12", m)
	}
	last := time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
	if d < 1 || d > last {
		return fmt.Sprintf("%s %d has %d days", time.Month(m), y, last)
	}
	return ""
}
