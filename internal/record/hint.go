package record

import (
	"bytes"
	"fmt"
	"strings"
)

// quoteHint is the hint for a YAML error on file line l (or the line
// before it) whose plain value holds ': ', which YAML reads as a second
// mapping: quote the value. It is "" for any other line.
func quoteHint(front []byte, l int) string {
	lines := bytes.Split(front, []byte("\n"))
	for _, i := range []int{l - 2, l - 3} { // front starts on file line 2
		if i < 0 || i >= len(lines) {
			continue
		}
		line := strings.TrimRight(string(lines[i]), "\r")
		key, val, ok := strings.Cut(line, ": ")
		val = strings.TrimSpace(val)
		if !ok || strings.ContainsAny(key, "\"'{[#") || val == "" || strings.ContainsAny(val[:1], "\"'[{|>&*!") || !strings.Contains(val, ": ") {
			continue
		}
		return fmt.Sprintf("quote the value: %s: %q", key, val)
	}
	return ""
}
