package report

import (
	"fmt"

	"github.com/qms-tool/qms"
)

// FindingTable is a table of every finding: where, rule, severity, and the
// message with its hint.
func FindingTable(heading string, fs []qms.Finding) Table {
	t := Table{Heading: heading, Columns: []string{"Location", "Rule", "Severity", "Message"}}
	for _, f := range fs {
		t.Rows = append(t.Rows, []Line{{C(Position(f.Path, f.Line, f.Column))}, {C(f.Rule)}, {P(string(f.Severity))}, WithHint(f.Message, f.Hint)})
	}
	return t
}

// Position is path:line:col as the text output writes it, or the path
// alone for a finding about the whole file.
func Position(path string, line, col int) string {
	switch {
	case line <= 0:
		return path
	case col <= 0:
		return fmt.Sprintf("%s:%d", path, line)
	}
	return fmt.Sprintf("%s:%d:%d", path, line, col)
}

// WithHint is a message followed, on its own line, by its hint.
func WithHint(msg, hint string) Line {
	l := Line{P(msg)}
	if hint != "" {
		l = append(l, BR(), E("hint:"), P(" "+hint))
	}
	return l
}
