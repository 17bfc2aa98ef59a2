package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/qms-tool/qms"
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
