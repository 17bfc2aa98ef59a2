package records

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// The helpers below read frontmatter values the way the typed views and
// the reports built on them always have: leniently, since 'qms validate'
// reports what is malformed, and a report leaves out what it cannot read.

// str renders a value as text: strings as they are, numbers in full,
// nothing as "".
func str(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

// num is a number's value, or 0 for anything else.
func num(v any) float64 {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case uint64:
		return float64(x)
	case float64:
		return x
	case int:
		return float64(x)
	}
	return 0
}

// intValue is a number rounded to a whole number of minutes, or nil when v is
// no number or out of any sensible range.
func intValue(v any) *int {
	switch v.(type) {
	case int64, uint64, float64, int:
		n := num(v)
		if math.IsNaN(n) || math.IsInf(n, 0) || math.Abs(n) > 1e12 {
			return nil
		}
		i := int(math.Round(n))
		return &i
	}
	return nil
}

// texts is a list's non-empty items as text.
func texts(v any) []string {
	l, _ := v.([]any)
	var out []string
	for _, x := range l {
		if s := str(x); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Date reads the calendar date a value starts with (YYYY-MM-DD), as
// midnight UTC.
func Date(v any) (time.Time, bool) {
	s := str(v)
	if len(s) < 10 {
		return time.Time{}, false
	}
	t, err := time.Parse(time.DateOnly, s[:10])
	return t, err == nil
}

// Time reads an RFC 3339 time; a date alone is midnight UTC.
func Time(v any) (time.Time, bool) {
	s := str(v)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true
	}
	return Date(s)
}

// Day is the calendar date of a date or time as written (the author's
// local date), for comparing with plan dates: its first ten characters.
func Day(v any) string {
	s, _ := v.(string)
	if len(s) >= 10 {
		return s[:10]
	}
	return s
}
