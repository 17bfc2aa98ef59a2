package check

import (
	"strconv"
	"strings"
	"time"

	"github.com/qms-tool/qms/internal/schema"
)

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	// Small maps: insertion sort avoids the sort package's overhead.
	for i := 1; i < len(ks); i++ {
		for j := i; j > 0 && ks[j] < ks[j-1]; j-- {
			ks[j], ks[j-1] = ks[j-1], ks[j]
		}
	}
	return ks
}

// lookup returns the value at the JSON pointer tokens.
func lookup(v any, ptr []string) (any, bool) {
	for _, tok := range ptr {
		switch t := v.(type) {
		case map[string]any:
			c, ok := t[tok]
			if !ok {
				return nil, false
			}
			v = c
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(t) {
				return nil, false
			}
			v = t[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// field renders a pointer for people: results.backend.rto_minutes,
// executed_by[1].
func field(ptr []string) string {
	var b strings.Builder
	for i, tok := range ptr {
		if _, err := strconv.Atoi(tok); err == nil && i > 0 {
			b.WriteString("[" + tok + "]")
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
	}
	return b.String()
}

// when parses a date (YYYY-MM-DD) or an RFC 3339 time.
func when(v any) (time.Time, bool) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, false
	}
	if len(s) == 10 {
		t, err := time.Parse(time.DateOnly, s)
		return t, err == nil
	}
	t, err := time.Parse(time.RFC3339, s)
	return t, err == nil
}

// compare orders two dates, times or numbers; ok is false when they cannot
// be compared.
func compare(a, b any) (int, bool) {
	if ta, ok := when(a); ok {
		if tb, ok := when(b); ok {
			return ta.Compare(tb), true
		}
		return 0, false
	}
	fa, e1 := strconv.ParseFloat(schema.Scalar(a), 64)
	fb, e2 := strconv.ParseFloat(schema.Scalar(b), 64)
	if e1 != nil || e2 != nil || schema.Scalar(a) == "" || schema.Scalar(b) == "" {
		return 0, false
	}
	switch {
	case fa < fb:
		return -1, true
	case fa > fb:
		return 1, true
	}
	return 0, true
}

func number(v any) (float64, bool) {
	switch v.(type) {
	case int64, uint64, float64:
		f, err := strconv.ParseFloat(schema.Scalar(v), 64)
		return f, err == nil
	}
	return 0, false
}

// distance is the Levenshtein distance, for "did you mean" hints.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func closest(word string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		if d := distance(word, c); d < bestD || (d == bestD && best == "" && d <= len(word)/3) {
			best, bestD = c, d
		}
	}
	if bestD > 2 || bestD > len(word)/2 {
		return ""
	}
	return best
}
