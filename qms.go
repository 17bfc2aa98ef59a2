// Package qms holds the domain types shared by every part of the tool and the
// defaults (schemas, templates, the example QMS) embedded in the binary.
package qms

import (
	"embed"
	"fmt"
	"sort"
)

// Severity says whether a finding fails a check (error) or only informs (warning).
type Severity string

// Severities a finding can have.
const (
	Error   Severity = "error"
	Warning Severity = "warning"
)

// Finding is one problem found in a file. Line and Column are 1-based; zero
// means the finding concerns the whole file.
type Finding struct {
	Path     string   `json:"path"`
	Line     int      `json:"line"`
	Column   int      `json:"column"`
	Rule     string   `json:"rule"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
	Hint     string   `json:"hint,omitempty"`
}

// String formats f the way text output and editors expect:
// path:line:col: message [rule].
func (f Finding) String() string {
	sev := ""
	if f.Severity == Warning {
		sev = "warning: "
	}
	return fmt.Sprintf("%s:%d:%d: %s%s [%s]", f.Path, f.Line, f.Column, sev, f.Message, f.Rule)
}

// SortFindings orders findings by path, position and rule so that output is
// stable whatever order the checks ran in.
func SortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		return a.Message < b.Message
	})
}

// HasErrors reports whether any finding has error severity.
func HasErrors(fs []Finding) bool {
	for _, f := range fs {
		if f.Severity != Warning {
			return true
		}
	}
	return false
}

// Defaults holds the built-in schemas and templates, used wherever a QMS
// repository does not override them.
//
//go:embed schema/*.json templates
var Defaults embed.FS

// Example is the example QMS that 'qms init --example' copies: this project's
// own records and public keys.
//
//go:embed records keys qms.yaml
var Example embed.FS
