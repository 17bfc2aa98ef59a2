package evidence

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/status"
)

// Suffix names the evidence map files in schema/.
const Suffix = ".evidence.json"

// RuleInvalid is the finding of a map file that cannot be read.
const RuleInvalid = "evidence-invalid"

// Framework is one map file: a framework's clauses.
type Framework struct {
	// Name is the file's name without Suffix (iso22301).
	Name string `json:"name"`
	// Source is the file, "(built-in) schema/iso22301.evidence.json" for
	// a default.
	Source    string   `json:"source"`
	Framework string   `json:"framework"`
	Title     string   `json:"title"`
	Clauses   []Clause `json:"clauses"`
}

// Clause is what a clause is evidenced by.
type Clause struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	// Kinds are the record kinds whose records evidence it.
	Kinds []string `json:"kinds,omitempty"`
	// Rules are the checks (status and validate rules) that watch it.
	Rules []string `json:"rules,omitempty"`
	// Commands are the qms commands whose output evidences it.
	Commands []string `json:"commands,omitempty"`
	// Approval says the records must be approved (signed) to count.
	Approval bool `json:"approval,omitempty"`
}

// Load reads the map files of defaults and then of repo (either may be
// nil): a repository's file replaces the default of the same name, and
// its other files add frameworks. Files that cannot be read are findings
// and are left out. Frameworks come sorted by name.
func Load(defaults, repo fs.FS) ([]Framework, []qms.Finding) {
	byName := map[string]Framework{}
	var fs_ []qms.Finding
	read := func(fsys fs.FS, builtin bool) {
		if fsys == nil {
			return
		}
		ents, err := fs.ReadDir(fsys, "schema")
		if err != nil {
			return
		}
		for _, e := range ents {
			if e.IsDir() || !strings.HasSuffix(e.Name(), Suffix) {
				continue
			}
			p := path.Join("schema", e.Name())
			b, err := fs.ReadFile(fsys, p)
			if err == nil {
				var f Framework
				if f, err = parse(b); err == nil {
					f.Name = strings.TrimSuffix(e.Name(), Suffix)
					f.Source = p
					if builtin {
						f.Source = "(built-in) " + p
					}
					byName[f.Name] = f
					continue
				}
			}
			fs_ = append(fs_, qms.Finding{Path: p, Line: 1, Column: 1, Rule: RuleInvalid, Severity: qms.Error,
				Message: fmt.Sprintf("evidence map: %v", err), Hint: "see schema/README.md for the form of an evidence map"})
		}
	}
	read(defaults, true)
	read(repo, false)
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]Framework, 0, len(names))
	for _, n := range names {
		out = append(out, byName[n])
	}
	return out, fs_
}

// parse reads a map file strictly: unknown fields, a clause without an id
// or a repeated id are errors.
func parse(b []byte) (Framework, error) {
	var f Framework
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return f, err
	}
	if dec.More() {
		return f, fmt.Errorf("more than one JSON value")
	}
	if f.Framework == "" {
		return f, fmt.Errorf("no framework name")
	}
	seen := map[string]bool{}
	for i, c := range f.Clauses {
		switch {
		case c.ID == "":
			return f, fmt.Errorf("clause %d has no id", i+1)
		case seen[c.ID]:
			return f, fmt.Errorf("clause %s appears twice", c.ID)
		}
		seen[c.ID] = true
	}
	return f, nil
}

// Repo is what the map is held against: the records by kind and the
// status report.
type Repo struct {
	// Records are the ids of the records of each kind, sorted.
	Records map[string][]string
	// KindOf gives the kind of a record's path ("" when none).
	KindOf func(path string) string
	Report *status.Report
}

// Entry is a clause as the repository evidences it.
type Entry struct {
	Framework string `json:"framework"`
	Clause
	// Records counts the records of the clause's kinds, by kind.
	Records map[string]int `json:"records"`
	// Problems are the status problems of the clause's rules.
	Problems []qms.Finding `json:"problems"`
	// Gaps say what is missing: no records of a kind, open problems,
	// records not approved, approvals unknown.
	Gaps []string `json:"gaps"`
}

// Map holds every clause of the frameworks against the repository, in
// the frameworks' order and each framework's own.
func Map(frameworks []Framework, r Repo) []Entry {
	byRule := map[string][]qms.Finding{}
	if r.Report != nil {
		for _, f := range r.Report.Findings {
			byRule[f.Rule] = append(byRule[f.Rule], f)
		}
	}
	unapproved := map[string]int{}
	if r.Report != nil && r.KindOf != nil {
		for _, p := range append(append([]string(nil), r.Report.Approval.Pending...), r.Report.Approval.Stale...) {
			unapproved[r.KindOf(p)]++
		}
	}
	var out []Entry
	for _, fw := range frameworks {
		for _, c := range fw.Clauses {
			e := Entry{Framework: fw.Framework, Clause: c, Records: map[string]int{}, Problems: []qms.Finding{}, Gaps: []string{}}
			var none []string
			for _, k := range c.Kinds {
				n := len(r.Records[k])
				e.Records[k] = n
				if n == 0 {
					none = append(none, k)
				}
			}
			if len(none) > 0 {
				e.Gaps = append(e.Gaps, "no "+strings.Join(none, ", ")+" records")
			}
			for _, rule := range c.Rules {
				e.Problems = append(e.Problems, byRule[rule]...)
			}
			if n := len(e.Problems); n > 0 {
				e.Gaps = append(e.Gaps, plural(n, "open problem"))
			}
			if c.Approval && r.Report != nil {
				a := r.Report.Approval
				if !a.Known {
					e.Gaps = append(e.Gaps, "approvals unknown ("+a.Reason+")")
				} else {
					n := 0
					for _, k := range c.Kinds {
						n += unapproved[k]
					}
					if n > 0 {
						e.Gaps = append(e.Gaps, plural(n, "record")+" not approved")
					}
				}
			}
			out = append(out, e)
		}
	}
	return out
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
