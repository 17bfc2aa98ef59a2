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
