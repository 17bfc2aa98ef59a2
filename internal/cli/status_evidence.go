package cli

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/evidence"
	"github.com/qms-tool/qms/internal/records"
	"github.com/qms-tool/qms/internal/status"
)

// evidenceOf holds the evidence map of the workspace against a status
// report: its frameworks (and findings about unreadable map files) and
// each clause's entry.
func evidenceOf(w *workspace, rep *status.Report) ([]evidence.Framework, []evidence.Entry, []qms.Finding, error) {
	fws, fs_ := evidence.Load(qms.Defaults, w.src)
	paths, _, err := records.List(w.kinds, w.src)
	if err != nil {
		return nil, nil, nil, err
	}
	byKind := map[string][]string{}
	kindOf := func(p string) string {
		if k := records.KindOf(w.kinds, p); k != nil {
			return k.Name
		}
		return ""
	}
	for _, p := range paths {
		if k := kindOf(p); k != "" {
			byKind[k] = append(byKind[k], strings.TrimSuffix(p[strings.LastIndex(p, "/")+1:], ".md"))
		}
	}
	for _, ids := range byKind {
		sort.Strings(ids)
	}
	return fws, evidence.Map(fws, evidence.Repo{Records: byKind, KindOf: kindOf, Report: rep}), fs_, nil
}

// runEvidence prints the evidence map ('qms status --evidence').
func runEvidence(env *Env, w *workspace, rep *status.Report, opts statusOptions) error {
	fws, entries, fs_, err := evidenceOf(w, rep)
	if err != nil {
		return err
	}
	gaps := 0
	for _, e := range entries {
		if len(e.Gaps) > 0 {
			gaps++
		}
	}
	switch opts.format {
	case "json":
		if entries == nil {
			entries = []evidence.Entry{}
		}
		if err := printFindings(env.Stdout, "json", append(fs_, rep.Findings...), map[string]any{"at": rep.At, "evidence": entries, "problems": rep.Problems}); err != nil {
			return err
		}
	case "text", "":
		printEvidence(env.Stdout, rep.At, fws, entries)
		if len(fs_) > 0 {
			printFindings(env.Stdout, "text", fs_, nil)
		}
		fmt.Fprintf(env.Stderr, "qms: evidence as of %s: %s, %s with gaps\n", rep.At, plural(len(entries), "clause"), plural(gaps, "clause"))
	default:
		return usagef("--evidence prints text or json, not %s", opts.format)
	}
	if len(fs_) > 0 || opts.strict && rep.Problems > 0 {
		return errFindings
	}
	return nil
}

func printEvidence(w io.Writer, at string, fws []evidence.Framework, entries []evidence.Entry) {
	fmt.Fprintf(w, "Evidence map as of %s\n", at)
	i := 0
	for _, fw := range fws {
		fmt.Fprintf(w, "\n%s: %s\n  map: %s\n", fw.Framework, fw.Title, fw.Source)
		for range fw.Clauses {
			e := entries[i]
			i++
			fmt.Fprintf(w, "  %s %s\n", e.ID, e.Title)
			if len(e.Kinds) > 0 {
				var rs []string
				for _, k := range e.Kinds {
					rs = append(rs, fmt.Sprintf("%s %d", k, e.Records[k]))
				}
				fmt.Fprintf(w, "    records: %s\n", strings.Join(rs, ", "))
			}
			checks := append(append([]string(nil), e.Rules...), e.Commands...)
			if e.Approval {
				checks = append(checks, "approved records only")
			}
			if len(checks) > 0 {
				fmt.Fprintf(w, "    checks: %s\n", strings.Join(checks, ", "))
			}
			if len(e.Gaps) == 0 {
				fmt.Fprintf(w, "    gaps: none\n")
				continue
			}
			fmt.Fprintf(w, "    GAPS: %s\n", strings.Join(e.Gaps, "; "))
			for _, f := range e.Problems {
				fmt.Fprintf(w, "      %s:%d:%d: %s [%s]\n", f.Path, f.Line, f.Column, f.Message, f.Rule)
			}
		}
	}
}
