package archive

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/qms-tool/qms/internal/config"
)

// Period is a retention period in whole years and days, so that "10 years"
// stays 10 calendar years.
type Period struct {
	Years int `json:"years,omitempty"`
	Days  int `json:"days,omitempty"`
}

// IsZero reports whether p is no time at all.
func (p Period) IsZero() bool { return p.Years == 0 && p.Days == 0 }

// After returns t plus p.
func (p Period) After(t time.Time) time.Time { return t.AddDate(p.Years, 0, p.Days) }

// String says p in words: "10 years", "1 year 30 days".
func (p Period) String() string {
	var parts []string
	if p.Years > 0 {
		parts = append(parts, count(p.Years, "year"))
	}
	if p.Days > 0 {
		parts = append(parts, count(p.Days, "day"))
	}
	return strings.Join(parts, " ")
}

func count(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// DefaultRetention is what DESIGN.md asks for when nothing is configured.
var DefaultRetention = Period{Years: 10}

// PeriodError is a retention period that cannot be read, as written in
// qms.yaml or on the command line. Its text is the reason alone; callers
// say where the period came from.
type PeriodError struct {
	Value  string
	Reason string
}

func (e *PeriodError) Error() string { return e.Reason }

var periodRE = regexp.MustCompile(`^(?:(\d{1,3})y)?(?:(\d{1,5})d)?$`)

// ParsePeriod reads "10y", "90d" or "10y30d". Its errors are *PeriodError;
// a period of zero is one.
func ParsePeriod(s string) (Period, error) {
	m := periodRE.FindStringSubmatch(s)
	if m == nil || s == "" {
		return Period{}, &PeriodError{s, "want years and days such as 10y, 90d or 10y30d"}
	}
	y, _ := strconv.Atoi(m[1])
	d, _ := strconv.Atoi(m[2])
	if y == 0 && d == 0 {
		return Period{}, &PeriodError{s, "a retention of zero keeps nothing"}
	}
	return Period{Years: y, Days: d}, nil
}

// Retention reads qms.yaml's archive retention: every archive's
// (DefaultRetention when unset), and the longer ones of archives that hold
// records of a kind. Its errors wrap a *PeriodError and name the setting.
func Retention(a config.Archive) (Period, map[string]Period, error) {
	retain, kinds := DefaultRetention, map[string]Period{}
	if a.Retain != "" {
		var err error
		if retain, err = ParsePeriod(a.Retain); err != nil {
			return retain, nil, fmt.Errorf("qms.yaml archive.retain %q: %w", a.Retain, err)
		}
	}
	for kind, r := range a.RetainKinds {
		p, err := ParsePeriod(r)
		if err != nil {
			return retain, nil, fmt.Errorf("qms.yaml archive.retain_kinds.%s %q: %w", kind, r, err)
		}
		kinds[kind] = p
	}
	return retain, kinds, nil
}
