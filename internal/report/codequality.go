package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/qms-tool/qms"
)

// GitLab's Code Quality severities, least to most severe.
const (
	Info     = "info"
	Minor    = "minor"
	Major    = "major"
	Critical = "critical"
	Blocker  = "blocker"
)

// RootFile is where an issue about no file in particular (a commit of the
// history) is placed: GitLab needs a path, and qms.yaml marks the QMS.
const RootFile = "qms.yaml"

// Issue is one entry of GitLab's Code Quality report, with exactly the
// fields GitLab documents.
type Issue struct {
	Description string   `json:"description"`
	CheckName   string   `json:"check_name"`
	Fingerprint string   `json:"fingerprint"`
	Severity    string   `json:"severity"`
	Location    Location `json:"location"`

	// identity is what, besides the check and the path, makes this issue
	// the same issue in the next run: never the line.
	identity string
}

// Location is an issue's file (relative to the repository root) and line.
type Location struct {
	Path  string `json:"path"`
	Lines Lines  `json:"lines"`
}

// Lines holds the issue's first line, 1 or more.
type Lines struct {
	Begin int `json:"begin"`
}

// NewIssue makes an issue. identity is the content that tells this issue
// from others of the same check in the same file, and stays the same
// while the issue does (a message, a commit id; not a line number): the
// fingerprint is computed from check, path and identity when the report
// is written.
func NewIssue(check, severity, path string, line int, description, identity string) Issue {
	if path == "" {
		path = RootFile
	}
	return Issue{Description: description, CheckName: check, Severity: severity,
		Location: Location{Path: path, Lines: Lines{Begin: max(line, 1)}}, identity: identity}
}

// FindingIssue is the issue of a finding: errors are major, warnings
// minor; the description is the message, the rule and the hint, as the
// text output shows them.
func FindingIssue(f qms.Finding) Issue {
	sev := Major
	if f.Severity == qms.Warning {
		sev = Minor
	}
	return NewIssue(f.Rule, sev, f.Path, f.Line, Describe(f.Message, f.Rule, f.Hint), f.Message)
}

// Describe joins a message, its rule and its hint into one description.
func Describe(msg, rule, hint string) string {
	d := msg + " [" + rule + "]"
	if hint != "" {
		d += "; hint: " + hint
	}
	return d
}

// CodeQuality writes issues as GitLab's Code Quality report: a JSON array,
// one issue per line (so that reports can be joined with line tools).
// Each fingerprint is the SHA-256 of check, path, identity and, for the
// second and later issues with the same three, their ordinal: moving an
// issue to another line keeps it the same issue, and two identical
// findings in one file stay two issues.
func CodeQuality(w io.Writer, issues []Issue) error {
	var b bytes.Buffer
	if len(issues) == 0 {
		b.WriteString("[]\n")
		_, err := w.Write(b.Bytes())
		return err
	}
	seen := map[string]int{}
	b.WriteString("[\n")
	for i, is := range issues {
		if is.Location.Path == "" {
			is.Location.Path = RootFile
		}
		is.Location.Lines.Begin = max(is.Location.Lines.Begin, 1)
		// Each part length-prefixed, so that no two lists of parts
		// hash alike.
		key := fmt.Sprintf("%d:%s%d:%s%d:%s", len(is.CheckName), is.CheckName, len(is.Location.Path), is.Location.Path, len(is.identity), is.identity)
		n := seen[key]
		seen[key]++
		if n > 0 {
			key += "#" + strconv.Itoa(n)
		}
		sum := sha256.Sum256([]byte(key))
		is.Fingerprint = hex.EncodeToString(sum[:])
		var line bytes.Buffer
		enc := json.NewEncoder(&line)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(is); err != nil {
			return err
		}
		b.WriteString("  ")
		b.Write(bytes.TrimRight(line.Bytes(), "\n"))
		if i < len(issues)-1 {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	b.WriteString("]\n")
	_, err := w.Write(b.Bytes())
	return err
}
