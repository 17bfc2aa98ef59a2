package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/report"
)

// printFindings writes findings in the chosen format. extra holds the
// command-specific JSON fields.
func printFindings(w io.Writer, format string, fs []qms.Finding, extra map[string]any) error {
	switch format {
	case "json":
		m := map[string]any{}
		for k, v := range extra {
			m[k] = v
		}
		if fs == nil {
			fs = []qms.Finding{}
		}
		errs, warns := count(fs)
		m["findings"] = fs
		m["errors"] = errs
		m["warnings"] = warns
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(m)
	case "github":
		for _, f := range fs {
			level := "error"
			if f.Severity == qms.Warning {
				level = "warning"
			}
			msg := f.Message
			if f.Hint != "" {
				msg += "\n" + f.Hint
			}
			fmt.Fprintf(w, "::%s file=%s,line=%d,col=%d,title=%s::%s\n", level,
				ghProp(f.Path), f.Line, f.Column, ghProp("qms "+f.Rule), ghData(msg))
		}
		return nil
	case "codequality":
		issues := make([]report.Issue, 0, len(fs))
		for _, f := range fs {
			issues = append(issues, report.FindingIssue(f))
		}
		return report.CodeQuality(w, issues)
	}
	for _, f := range fs {
		fmt.Fprintln(w, f.String())
		if f.Hint != "" {
			fmt.Fprintf(w, "\thint: %s\n", f.Hint)
		}
	}
	return nil
}

func count(fs []qms.Finding) (errs, warns int) {
	for _, f := range fs {
		if f.Severity == qms.Warning {
			warns++
		} else {
			errs++
		}
	}
	return
}

// GitHub workflow command escaping.
func ghData(s string) string {
	r := strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	return r.Replace(s)
}

func ghProp(s string) string {
	r := strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
	return r.Replace(s)
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// ghAnnotation writes one GitHub Actions workflow command (level error,
// warning or notice), on a file's line when file is set.
func ghAnnotation(w io.Writer, level, file string, line int, title, msg string) {
	if file == "" {
		fmt.Fprintf(w, "::%s title=%s::%s\n", level, ghProp(title), ghData(msg))
		return
	}
	fmt.Fprintf(w, "::%s file=%s,line=%d,title=%s::%s\n", level, ghProp(file), max(line, 1), ghProp(title), ghData(msg))
}

// verdict is the word a summary's heading gives a check.
func verdict(failed bool) string {
	if failed {
		return "failed"
	}
	return "passed"
}

// exitWords says what an exit status means.
var exitWords = map[int]string{ExitUsage: "a usage error", ExitFailure: "an operational failure"}

// printError reports an error that stopped a command in the format it was
// asked for: JSON with the findings' fields and an "error" object; an
// empty Code Quality report (GitLab reads no issue from a run that could
// not check; the message is on stderr); a markdown block saying what
// failed. Text and github have it on stderr only.
func printError(w io.Writer, o output, code int, msg, hint string) error {
	switch o.format {
	case "json":
		e := map[string]any{"message": msg, "exit": code}
		if hint != "" {
			e["hint"] = hint
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"findings": []qms.Finding{}, "errors": 1, "warnings": 0, "error": e})
	case "codequality":
		return report.CodeQuality(w, nil)
	case "markdown":
		s := report.Summary{Title: strings.TrimSpace("qms " + o.command), Verdict: "could not run",
			Paragraphs: []report.Line{{report.P("qms: " + msg)}}}
		if hint != "" {
			s.Paragraphs = append(s.Paragraphs, report.Line{report.E("hint:"), report.P(" " + hint)})
		}
		s.Paragraphs = append(s.Paragraphs, report.Line{report.P(fmt.Sprintf("Exit status %d: %s.", code, exitWords[code]))})
		return report.Markdown(w, s, 0)
	}
	return nil
}
