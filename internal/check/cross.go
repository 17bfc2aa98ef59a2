package check

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/record"
	"github.com/qms-tool/qms/internal/schema"
)

// Kind names the cross-record rules know by their fields: plans carry
// objectives and tests, the matrix carries roles.
const (
	planKind   = "plan"
	testKind   = "test"
	matrixKind = "matrix"
)

// crossFields are the top-level fields the rules across records read: the
// fields x-qms keywords name (on the record itself or on the record it
// refers to) and those of plans, tests and the matrix that the rules below
// use. The cache keeps only these, so that loading it stays cheap; a rule
// that reads another field must add it here (TestRulesWithCache checks).
func crossFields(set *schema.Set) map[string]bool {
	f := map[string]bool{"id": true, "effective": true, "revision": true, "objectives": true, "tests": true,
		"roles": true, "review": true, "plan": true, "results": true}
	for _, n := range set.Names {
		for _, s := range set.Kinds[n].Sites {
			if p := s.Previous; p != nil {
				for _, x := range append(append([]string(nil), p.Same...), p.Before...) {
					f[x] = true
				}
			}
			if sv := s.Service; sv != nil {
				f[sv.At], f[sv.Plan] = true, true
			}
			if pt := s.PlanTest; pt != nil {
				f[pt.Plan] = true
			}
		}
	}
	delete(f, "")
	return f
}

type index struct {
	set    *schema.Set
	src    Source
	byID   map[string]*Entry
	plans  []*Entry // by effective date, then revision
	matrix *Entry
	out    []qms.Finding
	reread map[string]*record.Record // files read again to place findings
}

// add reports a finding at the field ptr (a "/"-joined pointer) of e. The
// file is read again to place it, once per file: findings are few, and
// records are not kept in memory.
func (x *index) add(e *Entry, ptr string, rule, msg, hint string) {
	pos := record.Pos{Line: 1, Col: 1}
	r, read := x.reread[e.Path]
	if !read {
		if b, err := x.src.Read(e.Path); err == nil {
			r, _ = record.Parse(e.Path, b)
		}
		if x.reread == nil {
			x.reread = map[string]*record.Record{}
		}
		x.reread[e.Path] = r
	}
	if r != nil {
		pos = r.Locate(splitPtr(ptr))
	}
	x.out = append(x.out, qms.Finding{Path: e.Path, Line: pos.Line, Column: pos.Col, Rule: rule,
		Severity: qms.Error, Message: msg, Hint: hint})
}

func cross(set *schema.Set, src Source, entries []*Entry) []qms.Finding {
	x := &index{set: set, src: src, byID: make(map[string]*Entry, len(entries))}
	for _, e := range entries {
		if e.ID == "" {
			continue
		}
		if e.broken {
			if _, taken := x.byID[e.ID]; !taken {
				x.byID[e.ID] = e
			}
			continue
		}
		if first, dup := x.byID[e.ID]; dup {
			x.add(e, "id", "duplicate-id", fmt.Sprintf("id %q is also used by %s", e.ID, first.Path), "give each record its own id")
			continue
		}
		x.byID[e.ID] = e
		switch e.Kind.Name {
		case planKind:
			x.plans = append(x.plans, e)
		case matrixKind:
			if x.matrix == nil {
				x.matrix = e
			}
		}
	}
	sort.SliceStable(x.plans, func(i, j int) bool {
		a, b := x.plans[i].Data, x.plans[j].Data
		if c, ok := compare(a.Get("effective"), b.Get("effective")); ok && c != 0 {
			return c < 0
		}
		c, _ := compare(a.Get("revision"), b.Get("revision"))
		return c < 0
	})
	for _, e := range entries {
		if e.broken {
			continue
		}
		for i := range e.sites {
			x.site(e, &e.sites[i])
		}
		if e.Kind.Name == testKind {
			x.objectivesClaim(e)
		}
	}
	return x.out
}

func article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "an " + word
	}
	return "a " + word
}

// InForce returns the plan in force on the date of v (a date or time), or nil.
func (x *index) inForce(v any) *Entry {
	d := dateOf(v)
	if d == "" {
		return nil
	}
	var found *Entry
	for _, p := range x.plans {
		eff, _ := p.Data.Get("effective").(string)
		if eff != "" && eff <= d {
			found = p
		}
	}
	return found
}

func (x *index) site(e *Entry, o *occurrence) {
	s := o.site
	data := e.Data
	val := o.value
	if val == "" {
		if s.Ref != "" {
			what := "record"
			if s.Ref != "*" {
				what = s.Ref + " record"
			}
			x.add(e, o.ptr, "ref-missing", fmt.Sprintf("%s: is empty; it must name a %s", field(splitPtr(o.ptr)), what), "")
		}
		return
	}
	if s.Ref != "" {
		t, ok := x.byID[val]
		switch {
		case !ok && s.Ref == "*":
			x.add(e, o.ptr, "ref-missing", fmt.Sprintf("%s: no record has id %q", field(splitPtr(o.ptr)), val), "")
			return
		case !ok:
			hint := ""
			if s.Ref == "staff" {
				hint = fmt.Sprintf("run 'qms new staff --id %s' to register them, or fix the id", val)
			}
			x.add(e, o.ptr, "ref-missing", fmt.Sprintf("%s: no %s record has id %q", field(splitPtr(o.ptr)), s.Ref, val), hint)
			return
		case s.Ref != "*" && t.Kind.Name != s.Ref:
			x.add(e, o.ptr, "ref-kind", fmt.Sprintf("%s: %s is %s, not %s", field(splitPtr(o.ptr)), val, article(t.Kind.Name), article(s.Ref)), "")
			return
		}
		if t.broken {
			return // the target's own findings say what is wrong with it
		}
	}
	if p := s.Previous; p != nil {
		t := x.byID[val]
		if t == nil || t.broken {
			return
		}
		if t == e {
			x.add(e, o.ptr, "previous", fmt.Sprintf("%s: a record cannot follow itself", field(splitPtr(o.ptr))), "")
			return
		}
		for _, f := range p.Same {
			if schema.Scalar(t.Data.Get(f)) != schema.Scalar(data.Get(f)) {
				x.add(e, o.ptr, "previous", fmt.Sprintf("%s: %s has %s %s, this record has %s", field(splitPtr(o.ptr)), val, f,
					record.String(t.Data.Get(f)), record.String(data.Get(f))), "")
				return
			}
		}
		for _, f := range p.Before {
			if c, ok := compare(t.Data.Get(f), data.Get(f)); ok && c >= 0 {
				x.add(e, o.ptr, "previous", fmt.Sprintf("%s: %s has %s %s, not before this record's %s", field(splitPtr(o.ptr)), val, f,
					record.String(t.Data.Get(f)), record.String(data.Get(f))), "")
				return
			}
		}
	}
	if sv := s.Service; sv != nil {
		var plan *Entry
		var why string
		if sv.Plan != "" {
			id, _ := data.Get(sv.Plan).(string)
			plan = x.byID[id]
			if plan == nil || plan.broken || plan.Kind.Name != planKind {
				return // reported as a reference
			}
			why = "in " + id
		} else {
			plan = x.inForce(data.Get(sv.At))
			if plan == nil {
				if _, ok := when(data.Get(sv.At)); ok {
					x.add(e, sv.At, "no-plan", fmt.Sprintf("no plan was in force on %s", dateOf(data.Get(sv.At))),
						"add the plan revision that was in force, or correct the date")
				}
				return
			}
			why = fmt.Sprintf("in %s, the plan in force on %s", plan.ID, dateOf(data.Get(sv.At)))
		}
		obj, _ := plan.Data.Get("objectives").(map[string]any)
		if _, ok := obj[val]; !ok {
			x.add(e, o.ptr, "service-unknown", fmt.Sprintf("%s: service %q has no objectives %s", field(splitPtr(o.ptr)), val, why),
				"services there: "+strings.Join(sortedKeys(obj), ", "))
		}
	}
	if pt := s.PlanTest; pt != nil {
		id, _ := data.Get(pt.Plan).(string)
		plan := x.byID[id]
		if plan == nil || plan.broken || plan.Kind.Name != planKind {
			return
		}
		tests, _ := plan.Data.Get("tests").([]any)
		var ids []string
		for _, t := range tests {
			m, _ := t.(map[string]any)
			tid, _ := m["id"].(string)
			if tid == val {
				return
			}
			ids = append(ids, tid)
		}
		x.add(e, o.ptr, "test-undeclared", fmt.Sprintf("%s: %s declares no test %q", field(splitPtr(o.ptr)), id, val), "tests there: "+strings.Join(ids, ", "))
	}
	if s.Role {
		if x.matrix == nil {
			if _, ok := x.set.Kinds[matrixKind]; ok {
				x.add(e, o.ptr, "matrix-missing", fmt.Sprintf("%s: role %q cannot be checked: there is no responsibility matrix", field(splitPtr(o.ptr)), val),
					"create "+x.set.Kinds[matrixKind].File)
			}
			return
		}
		roles, _ := x.matrix.Data.Get("roles").(map[string]any)
		if _, ok := roles[val]; !ok {
			x.add(e, o.ptr, "role-unknown", fmt.Sprintf("%s: role %q is not declared in the responsibility matrix", field(splitPtr(o.ptr)), val),
				"roles there: "+strings.Join(sortedKeys(roles), ", "))
		}
	}
	if s.KindName {
		if _, ok := x.set.Kinds[val]; !ok {
			x.add(e, o.ptr, "kind-unknown", fmt.Sprintf("%s: there is no record kind %q", field(splitPtr(o.ptr)), val), "kinds: "+strings.Join(x.set.Names, ", "))
		}
	}
	if s.File != "" {
		switch {
		case strings.ContainsAny(val, `/\`) || val == "." || val == "..":
			x.add(e, o.ptr, "file-missing", fmt.Sprintf("%s: %q is not a file name in %s/", field(splitPtr(o.ptr)), val, s.File), "name a file directly in "+s.File+"/")
		case !x.src.Exists(path.Join(s.File, val)):
			x.add(e, o.ptr, "file-missing", fmt.Sprintf("%s: %s/%s does not exist", field(splitPtr(o.ptr)), s.File, val), "add the file or fix the name")
		}
	}
}

// objectivesClaim refuses a test report whose review says the objectives
// were met while a measured time exceeds its plan's objective.
func (x *index) objectivesClaim(e *Entry) {
	data := e.Data
	review, _ := data.Get("review").(map[string]any)
	if met, _ := review["objectives_met"].(bool); !met {
		return
	}
	id, _ := data.Get("plan").(string)
	plan := x.byID[id]
	if plan == nil || plan.broken || plan.Kind.Name != planKind {
		return
	}
	obj, _ := plan.Data.Get("objectives").(map[string]any)
	results, _ := data.Get("results").(map[string]any)
	for _, svc := range sortedKeys(results) {
		got, _ := results[svc].(map[string]any)
		want, _ := obj[svc].(map[string]any)
		for _, m := range []string{"rto_minutes", "rpo_minutes"} {
			g, ok1 := number(got[m])
			w, ok2 := number(want[m])
			if ok1 && ok2 && g > w {
				x.add(e, "review/objectives_met", "objectives-claim",
					fmt.Sprintf("review.objectives_met is true, but %s %s was %v min against the objective of %v min in %s", svc, strings.ToUpper(strings.TrimSuffix(m, "_minutes")), g, w, id),
					"set objectives_met: false and explain the deviation")
				return
			}
		}
	}
}
