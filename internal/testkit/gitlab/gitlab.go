// Package gitlab checks output meant for GitLab against GitLab's
// documented formats, for tests. Test tooling, never linked into qms.
package gitlab

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// CheckCodeQuality checks a Code Quality report field by field against
// GitLab's documented format: a JSON array of objects with exactly
// description, check_name, fingerprint (unique in the report), severity
// (info, minor, major, critical or blocker) and location, itself exactly
// path (relative to the repository) and lines, itself exactly begin (a
// line number, 1 or more). It returns the issues' count.
func CheckCodeQuality(report []byte) (int, error) {
	var issues []map[string]any
	if err := json.Unmarshal(report, &issues); err != nil {
		return 0, fmt.Errorf("not a JSON array of objects: %v", err)
	}
	if issues == nil {
		return 0, fmt.Errorf("the report is null, not an array")
	}
	severities := map[any]bool{"info": true, "minor": true, "major": true, "critical": true, "blocker": true}
	fingerprints := map[any]int{}
	var errs []string
	bad := func(i int, format string, a ...any) {
		errs = append(errs, fmt.Sprintf("issue %d: ", i)+fmt.Sprintf(format, a...))
	}
	for i, is := range issues {
		if is == nil {
			bad(i, "null, not an object")
			continue
		}
		if k := keys(is); k != "check_name,description,fingerprint,location,severity" {
			bad(i, "fields %s, want check_name, description, fingerprint, location, severity", k)
		}
		for _, f := range []string{"description", "check_name", "fingerprint"} {
			if s, ok := is[f].(string); !ok || strings.TrimSpace(s) == "" {
				bad(i, "%s = %#v, want a non-empty string", f, is[f])
			}
		}
		if !severities[is["severity"]] {
			bad(i, "severity %#v is not info, minor, major, critical or blocker", is["severity"])
		}
		if j, dup := fingerprints[is["fingerprint"]]; dup {
			bad(i, "fingerprint %v is also issue %d's", is["fingerprint"], j)
		}
		fingerprints[is["fingerprint"]] = i
		loc, ok := is["location"].(map[string]any)
		if !ok || keys(loc) != "lines,path" {
			bad(i, "location = %#v, want {path, lines}", is["location"])
			continue
		}
		if p, ok := loc["path"].(string); !ok || p == "" || strings.HasPrefix(p, "/") || strings.HasPrefix(p, "./") || strings.Contains("/"+p+"/", "/../") {
			bad(i, "location.path = %#v, want a path relative to the repository", loc["path"])
		}
		lines, ok := loc["lines"].(map[string]any)
		if !ok || keys(lines) != "begin" {
			bad(i, "location.lines = %#v, want {begin}", loc["lines"])
			continue
		}
		if b, ok := lines["begin"].(float64); !ok || b < 1 || b != float64(int(b)) {
			bad(i, "location.lines.begin = %#v, want a line number, 1 or more", lines["begin"])
		}
	}
	if len(errs) > 0 {
		return len(issues), fmt.Errorf("not GitLab's Code Quality format:\n%s", strings.Join(errs, "\n"))
	}
	return len(issues), nil
}

func keys(m map[string]any) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ",")
}
