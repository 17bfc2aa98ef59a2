package check

import (
	"fmt"
	"io/fs"
	"path"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/record"
	"github.com/qms-tool/qms/internal/records"
	"github.com/qms-tool/qms/internal/schema"
)

// index is what the rules across records look things up in; it does not
// change once the entries are registered.
type index struct {
	set    *schema.Set
	src    fs.FS
	byID   map[string]*records.Entry
	plans  []*records.Plan // records.SortPlans order
	planOf map[*records.Entry]*records.Plan
	roles  map[string]string // the matrix's, nil without a matrix
}

// rules applies the rules across records to some of the entries,
// collecting its findings; several run at once.
type rules struct {
	*index
	out    []qms.Finding
	reread map[string]*record.Record // files read again to place findings
}

func splitPtr(p string) []string {
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// add reports a finding at the field ptr (a "/"-joined pointer) of e. The
// file is read again to place it, once per file: findings are few, and
// records are not kept in memory.
func (x *rules) add(e *records.Entry, ptr string, rule, msg, hint string) {
	pos := record.Pos{Line: 1, Col: 1}
	r, read := x.reread[e.Path]
	if !read {
		if b, err := records.ReadFile(x.src, e.Path); err == nil {
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

// addAt reports a finding at the occurrence o of e.
func (x *rules) addAt(e *records.Entry, o *records.Ref, rule, msg, hint string) {
	x.add(e, o.Ptr, rule, field(splitPtr(o.Ptr))+": "+msg, hint)
}

// cross applies the rules across records: unique ids, then, on every
// core, each keyword that needs other records and the claims of test
// reports. The findings come in no particular order.
func cross(set *schema.Set, src fs.FS, entries []*records.Entry) []qms.Finding {
	x := &index{set: set, src: src, byID: make(map[string]*records.Entry, len(entries)), planOf: map[*records.Entry]*records.Plan{}}
	reg := &rules{index: x}
	reg.register(entries)
	workers := runtime.GOMAXPROCS(0)
	done := make([]*rules, workers)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range done {
		r := &rules{index: x}
		done[w] = r
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < len(entries); i = int(next.Add(1) - 1) {
				r.entry(entries[i])
			}
		}()
	}
	wg.Wait()
	reg.downtimeOverlaps(entries)
	out := reg.out
	for _, r := range done {
		out = append(out, r.out...)
	}
	return out
}

// entry applies the rules across records to one entry.
func (x *rules) entry(e *records.Entry) {
	if e.Broken {
		return
	}
	for i := range e.Refs {
		x.ref(e, &e.Refs[i])
	}
	switch e.Kind.Name {
	case records.KindTest:
		x.objectivesClaim(e)
	case records.KindPlan:
		x.serviceContacts(e)
		x.riskScales(e)
		x.cadences(e)
	case records.KindRisk:
		x.riskRating(e)
	case records.KindIncident:
		x.noticeLog(e)
	}
	if e.Kind.Name == records.KindNonconformity {
		x.nonconformitySource(e)
	}
}

// register indexes the entries by id: the first of each id wins, a later
// one is a duplicate-id finding (a broken file only holds its id when no
// record has it).
func (x *rules) register(entries []*records.Entry) {
	matrix := false
	var dups [][2]*records.Entry // the first record of an id, a later one
	for _, e := range entries {
		if e.ID == "" {
			continue
		}
		if e.Broken {
			if _, taken := x.byID[e.ID]; !taken {
				x.byID[e.ID] = e
			}
			continue
		}
		if first, dup := x.byID[e.ID]; dup {
			dups = append(dups, [2]*records.Entry{first, e})
			continue
		}
		x.byID[e.ID] = e
		switch e.Kind.Name {
		case records.KindPlan:
			p := records.NewPlan(e)
			x.plans = append(x.plans, p)
			x.planOf[e] = p
		case records.KindMatrix:
			if !matrix {
				matrix, x.roles = true, records.NewMatrix(e).Roles
			}
		}
	}
	records.SortPlans(x.plans)
	// Every id is known now: the hints can name free ones.
	free := &freeIDs{entries: entries, next: map[freeKey]int{}}
	for _, d := range dups {
		first, e := d[0], d[1]
		x.add(e, "id", RuleDuplicateID, fmt.Sprintf("id %q is also used by %s", e.ID, first.Path), x.renumber(first, e, free))
	}
}

// renumber says how to give one of two records with the same id an id of
// its own, as after a merge of two branches that each added one: the
// record whose file name does not match its id (else the later one) takes
// the id its file name says when that is free, or else the next free id
// of its kind, under that name.
func (x *index) renumber(first, dup *records.Entry, free *freeIDs) string {
	t := dup
	if stem(dup) == dup.ID && stem(first) != first.ID {
		t = first
	}
	k, name := t.Kind, stem(t)
	if _, _, seq := k.SeqOf(name); name != t.ID && (seq || k.IDTemplate == "") && x.byID[name] == nil {
		if t == dup {
			return fmt.Sprintf("set id: %s, as its file name says", name)
		}
		return fmt.Sprintf("set id: %s in %s, as its file name says", name, t.Path)
	}
	if year, _, ok := k.SeqOf(t.ID); ok {
		id := free.take(k, year)
		return fmt.Sprintf("git mv %s %s and set id: %s", t.Path, path.Join(path.Dir(t.Path), id+".md"), id)
	}
	return "give each record its own id"
}

func stem(e *records.Entry) string { return strings.TrimSuffix(path.Base(e.Path), ".md") }

// freeIDs hands out the ids after the last one of a kind and year, by
// id or file name, one after the other.
type freeIDs struct {
	entries []*records.Entry
	next    map[freeKey]int
}

type freeKey struct {
	kind string
	year int
}

func (f *freeIDs) take(k *schema.Kind, year int) string {
	key := freeKey{k.Name, year}
	n, ok := f.next[key]
	if !ok {
		for _, e := range f.entries {
			if e.Kind != k {
				continue
			}
			for _, id := range []string{e.ID, stem(e)} {
				if y, s, ok := k.SeqOf(id); ok && y == year && s >= n {
					n = s + 1
				}
			}
		}
	}
	f.next[key] = n + 1
	return k.FormatID(nil, year, n)
}

// ref applies the keywords of o's site in order; a keyword that finds a
// problem (or cannot be judged) ends the checks of the value.
func (x *rules) ref(e *records.Entry, o *records.Ref) {
	if o.Value == "" {
		if s := o.Site; s.Ref != "" {
			what := "record"
			if s.Ref != "*" {
				what = s.Ref + " record"
			}
			x.addAt(e, o, RuleRefMissing, "is empty; it must name a "+what, "")
		}
		return
	}
	for _, rule := range [...]func(*records.Entry, *records.Ref) (done bool){
		x.reference, x.previous, x.service, x.planTest, x.role, x.kindName, x.file,
	} {
		if rule(e, o) {
			return
		}
	}
}

func article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "an " + word
	}
	return "a " + word
}

// plan returns the plan with the given id, or nil when there is none (a
// reference finding says so) or it is broken.
func (x *index) plan(id string) *records.Plan {
	p := x.byID[id]
	if p == nil || p.Broken || p.Kind.Name != records.KindPlan {
		return nil
	}
	return x.planOf[p]
}

// reference (x-qms-ref): the value is the id of a record of the named kind
// (any kind for "*").
func (x *rules) reference(e *records.Entry, o *records.Ref) bool {
	s, val := o.Site, o.Value
	if s.Ref == "" {
		return false
	}
	t, ok := x.byID[val]
	switch {
	case !ok && s.Ref == "*":
		x.addAt(e, o, RuleRefMissing, fmt.Sprintf("no record has id %q", val), "")
		return true
	case !ok:
		hint := ""
		if s.Ref == records.KindStaff {
			hint = fmt.Sprintf("run 'qms new staff --id %s' to register them, or fix the id", val)
		}
		x.addAt(e, o, RuleRefMissing, fmt.Sprintf("no %s record has id %q", s.Ref, val), hint)
		return true
	case s.Ref != "*" && t.Kind.Name != s.Ref:
		x.addAt(e, o, RuleRefKind, fmt.Sprintf("%s is %s, not %s", val, article(t.Kind.Name), article(s.Ref)), "")
		return true
	}
	// A broken target's own findings say what is wrong with it.
	return t.Broken
}

// previous (x-qms-previous): the record named is an earlier one of the same
// series.
func (x *rules) previous(e *records.Entry, o *records.Ref) bool {
	p, val := o.Site.Previous, o.Value
	if p == nil {
		return false
	}
	t := x.byID[val]
	if t == nil || t.Broken {
		return true
	}
	if t == e {
		x.addAt(e, o, RulePrevious, "a record cannot follow itself", "")
		return true
	}
	for _, f := range p.Same {
		if schema.Scalar(t.Fields.Get(f)) != schema.Scalar(e.Fields.Get(f)) {
			x.addAt(e, o, RulePrevious, fmt.Sprintf("%s has %s %s, this record has %s", val, f,
				record.String(t.Fields.Get(f)), record.String(e.Fields.Get(f))), "")
			return true
		}
	}
	for _, f := range p.Before {
		if c, ok := compare(t.Fields.Get(f), e.Fields.Get(f)); ok && c >= 0 {
			x.addAt(e, o, RulePrevious, fmt.Sprintf("%s has %s %s, not before this record's %s", val, f,
				record.String(t.Fields.Get(f)), record.String(e.Fields.Get(f))), "")
			return true
		}
	}
	return false
}

// service (x-qms-service): the value is a service with objectives in the
// plan in force at a date field, or in the plan a field names.
func (x *rules) service(e *records.Entry, o *records.Ref) bool {
	sv, val := o.Site.Service, o.Value
	if sv == nil {
		return false
	}
	var plan *records.Plan
	var why string
	if sv.Plan != "" {
		id, _ := e.Fields.Get(sv.Plan).(string)
		if plan = x.plan(id); plan == nil {
			return true // reported as a reference
		}
		why = "in " + id
	} else {
		at := e.Fields.Get(sv.At)
		if plan = records.InForce(x.plans, records.Day(at)); plan == nil {
			if _, ok := when(at); ok {
				x.add(e, sv.At, RuleNoPlan, fmt.Sprintf("no plan was in force on %s", records.Day(at)),
					"add the plan revision that was in force, or correct the date")
			}
			return true
		}
		why = fmt.Sprintf("in %s, the plan in force on %s", plan.ID, records.Day(at))
	}
	if _, ok := plan.Objectives[val]; !ok {
		x.addAt(e, o, RuleServiceUnknown, fmt.Sprintf("service %q has no objectives %s", val, why),
			"services there: "+strings.Join(plan.Services(), ", "))
	}
	return false
}

// planTest (x-qms-plan-test): the value is a test the named plan declares.
func (x *rules) planTest(e *records.Entry, o *records.Ref) bool {
	pt, val := o.Site.PlanTest, o.Value
	if pt == nil {
		return false
	}
	id, _ := e.Fields.Get(pt.Plan).(string)
	plan := x.plan(id)
	if plan == nil {
		return true
	}
	tests, _ := plan.Fields.Get("tests").([]any)
	var ids []string
	for _, t := range tests {
		m, _ := t.(map[string]any)
		tid, _ := m["id"].(string)
		if tid == val {
			return true
		}
		ids = append(ids, tid)
	}
	x.addAt(e, o, RuleTestUndeclared, fmt.Sprintf("%s declares no test %q", id, val), "tests there: "+strings.Join(ids, ", "))
	return false
}

// role (x-qms-role): the value is a role the responsibility matrix
// declares.
func (x *rules) role(e *records.Entry, o *records.Ref) bool {
	if !o.Site.Role {
		return false
	}
	val := o.Value
	if x.roles == nil {
		if k, ok := x.set.Kinds[records.KindMatrix]; ok {
			x.addAt(e, o, RuleMatrixMissing, fmt.Sprintf("role %q cannot be checked: there is no responsibility matrix", val), "create "+k.File)
		}
		return true
	}
	if _, ok := x.roles[val]; !ok {
		x.addAt(e, o, RuleRoleUnknown, fmt.Sprintf("role %q is not declared in the responsibility matrix", val),
			"roles there: "+strings.Join(sortedKeys(x.roles), ", "))
	}
	return false
}

// kindName (x-qms-kind): the value names a record kind.
func (x *rules) kindName(e *records.Entry, o *records.Ref) bool {
	if o.Site.KindName {
		if _, ok := x.set.Kinds[o.Value]; !ok {
			x.addAt(e, o, RuleKindUnknown, fmt.Sprintf("there is no record kind %q", o.Value), "kinds: "+strings.Join(x.set.Names, ", "))
		}
	}
	return false
}

// file (x-qms-file): the value names a file directly in the site's folder.
func (x *rules) file(e *records.Entry, o *records.Ref) bool {
	dir, val := o.Site.File, o.Value
	switch {
	case dir == "":
	case strings.ContainsAny(val, `/\`) || val == "." || val == "..":
		x.addAt(e, o, RuleFileMissing, fmt.Sprintf("%q is not a file name in %s/", val, dir), "name a file directly in "+dir+"/")
	case !records.Exists(x.src, path.Join(dir, val)):
		x.addAt(e, o, RuleFileMissing, fmt.Sprintf("%s/%s does not exist", dir, val), "add the file or fix the name")
	}
	return false
}

// objectivesClaim refuses a test report whose review says the objectives
// were met while a measured time exceeds its plan's objective.
func (x *rules) objectivesClaim(e *records.Entry) {
	review, _ := e.Fields.Get("review").(map[string]any)
	if met, _ := review["objectives_met"].(bool); !met {
		return
	}
	id, _ := e.Fields.Get("plan").(string)
	plan := x.plan(id)
	if plan == nil {
		return
	}
	results, _ := e.Fields.Get("results").(map[string]any)
	for _, svc := range sortedKeys(results) {
		got, _ := results[svc].(map[string]any)
		goal := plan.Objectives[svc]
		for _, m := range []string{"rto_minutes", "rpo_minutes"} {
			g, ok1 := number(got[m])
			wp := goal.RTO
			if m == "rpo_minutes" {
				wp = goal.RPO
			}
			w, ok2 := 0.0, wp != nil
			if ok2 {
				w = float64(*wp)
			}
			if ok1 && ok2 && g > w {
				x.add(e, "review/objectives_met", RuleObjectivesClaim,
					fmt.Sprintf("review.objectives_met is true, but %s %s was %v min against the objective of %v min in %s", svc, strings.ToUpper(strings.TrimSuffix(m, "_minutes")), g, w, id),
					"set objectives_met: false and explain the deviation")
				return
			}
		}
	}
}

// staffActive returns the staff member with id when there is one, and
// whether they are active on day (YYYY-MM-DD).
func (x *index) staffActive(id, day string) (*records.Staff, bool) {
	t := x.byID[id]
	if t == nil || t.Broken || t.Kind.Name != records.KindStaff {
		return nil, false
	}
	s := records.NewStaff(t)
	if from := records.Day(s.ActiveFrom); from != "" && from > day {
		return s, false
	}
	if until := records.Day(s.ActiveUntil); until != "" && until < day {
		return s, false
	}
	return s, true
}

// serviceContacts: every contact of a declared service is a staff member
// active when the plan takes effect, and primary and secondary contact
// are different people. (A contact who is no staff member at all is a
// reference finding.)
func (x *rules) serviceContacts(e *records.Entry) {
	p := x.planOf[e]
	if p == nil {
		return
	}
	if e.Fields.Get("objectives") != nil && len(p.Declared) > 0 {
		x.add(e, "objectives", RuleObjectivesTwice, "objectives: the plan declares services, whose objectives take the place of this list",
			"move each service's rto_minutes and rpo_minutes into its entry in services, then drop objectives")
	}
	day := records.Day(p.Effective)
	for _, svc := range p.Declared {
		at := "services/" + svc.Name + "/contacts/"
		for _, role := range records.ContactRoles {
			id := svc.Contacts[role]
			if id == "" {
				continue
			}
			s, active := x.staffActive(id, day)
			if s != nil && !active {
				x.add(e, at+role, RuleContactInactive,
					fmt.Sprintf("services.%s.contacts.%s: %s (%s) is not active on %s, when %s takes effect", svc.Name, role, id, s.Name, day, p.ID),
					fmt.Sprintf("name an active colleague as the %s of %s", records.ContactTitle(role), svc.Name))
			}
		}
		if a, b := svc.Contacts["primary"], svc.Contacts["secondary"]; a != "" && a == b {
			x.add(e, at+"secondary", RuleContactSame,
				fmt.Sprintf("services.%s.contacts.secondary: %s is also the primary contact", svc.Name, b),
				"the secondary contact stands in for the primary one: name someone else")
		}
	}
}

// riskScales: the plan's risk matrix has one row for each likelihood, one
// level for each impact in every row, and only levels of its scale.
func (x *rules) riskScales(e *records.Entry) {
	p := x.planOf[e]
	if p == nil || p.Risk == nil {
		return
	}
	r := p.Risk
	for _, l := range r.Likelihood {
		row, ok := r.Matrix[l]
		switch {
		case !ok:
			x.add(e, "risk/matrix", RuleRiskMatrix, fmt.Sprintf("risk.matrix has no row for likelihood %q", l),
				fmt.Sprintf("add %s: [...] with one level for each impact (%s)", l, strings.Join(r.Impact, ", ")))
		case len(row) != len(r.Impact):
			x.add(e, "risk/matrix/"+l, RuleRiskMatrix, fmt.Sprintf("risk.matrix.%s has %d levels for %d impacts", l, len(row), len(r.Impact)),
				fmt.Sprintf("give one level for each impact, in order: %s", strings.Join(r.Impact, ", ")))
		default:
			for i, c := range row {
				if !slicesContains(r.Levels, c) {
					x.add(e, fmt.Sprintf("risk/matrix/%s/%d", l, i), RuleRiskMatrix, fmt.Sprintf("risk.matrix.%s[%d]: %q is not a level of risk.levels", l, i, c),
						"levels: "+strings.Join(r.Levels, ", "))
				}
			}
		}
	}
	for _, l := range sortedKeys(r.Matrix) {
		if !slicesContains(r.Likelihood, l) {
			x.add(e, "risk/matrix/"+l, RuleRiskMatrix, fmt.Sprintf("risk.matrix: %q is not a likelihood of risk.likelihood", l),
				"likelihoods: "+strings.Join(r.Likelihood, ", "))
		}
	}
	for i, l := range r.Mitigate {
		if !slicesContains(r.Levels, l) {
			x.add(e, fmt.Sprintf("risk/mitigate/%d", i), RuleRiskMatrix, fmt.Sprintf("risk.mitigate[%d]: %q is not a level of risk.levels", i, l),
				"levels: "+strings.Join(r.Levels, ", "))
		}
	}
}

// cadences: the communication plan says once per audience what applies
// to an incident level.
func (x *rules) cadences(e *records.Entry) {
	p := x.planOf[e]
	if p == nil {
		return
	}
	seen := map[[2]string]int{}
	for _, c := range p.Communication {
		for j, l := range c.Levels {
			k := [2]string{c.Audience, l}
			if first, dup := seen[k]; dup {
				x.add(e, fmt.Sprintf("communication/%d/levels/%d", c.Index, j), RuleCadenceDuplicate,
					fmt.Sprintf("communication[%d]: %s notices for %s incidents are already planned in communication[%d]", c.Index, c.Audience, l, first),
					"say once per audience and level how often notices go out")
				continue
			}
			seen[k] = c.Index
		}
	}
}

// riskRating: a risk's likelihood, impact and category are on the scales
// of the plan in force at its last review, and its level is the one that
// plan's matrix gives them.
func (x *rules) riskRating(e *records.Entry) {
	day := records.Day(e.Fields.Get("last_review"))
	p := records.InForce(x.plans, day)
	if p == nil {
		return // the services' plan rule says no plan was in force
	}
	if p.Risk == nil {
		x.add(e, "likelihood", RuleRiskScale, fmt.Sprintf("likelihood cannot be judged: %s, the plan in force on %s, declares no risk scales", p.ID, day),
			fmt.Sprintf("add risk: {likelihood, impact, levels, matrix, review_months} to a revision of %s", p.Document))
		return
	}
	r := records.NewRisk(e)
	ok := true
	for _, f := range []struct {
		name, val string
		scale     []string
	}{{"likelihood", r.Likelihood, p.Risk.Likelihood}, {"impact", r.Impact, p.Risk.Impact}} {
		if f.val != "" && !slicesContains(f.scale, f.val) {
			ok = false
			x.add(e, f.name, RuleRiskScale, fmt.Sprintf("%s: %q is not on the %s scale of %s", f.name, f.val, f.name, p.ID),
				"the scale, lowest first: "+strings.Join(f.scale, ", "))
		}
	}
	if cs := p.Risk.Categories; len(cs) > 0 && r.Category != "" && !slicesContains(cs, r.Category) {
		x.add(e, "category", RuleRiskScale, fmt.Sprintf("category: %q is not a risk category of %s", r.Category, p.ID), "categories: "+strings.Join(cs, ", "))
	}
	if !ok || r.Level == "" {
		return
	}
	if want := p.Risk.Level(r.Likelihood, r.Impact); want != "" && want != r.Level {
		x.add(e, "level", RuleRiskLevel, fmt.Sprintf("level: the matrix of %s gives %s for likelihood %s and impact %s, not %s", p.ID, want, r.Likelihood, r.Impact, r.Level),
			"set level: "+want)
	}
}

// noticeLog: every notice is sent between detection and resolution, and a
// resolved major or catastrophic incident has an initial and a resolved
// notice for each audience the plan in force at detection plans notices to.
func (x *rules) noticeLog(e *records.Entry) {
	in := records.NewIncident(e)
	det, okDet := when(in.DetectedAt)
	res, okRes := when(in.ResolvedAt)
	for _, n := range in.Notices {
		t, ok := when(n.SentAt)
		if !ok {
			continue
		}
		ptr := fmt.Sprintf("notices/%d/sent_at", n.Index)
		switch {
		case okDet && t.Before(det):
			x.add(e, ptr, RuleNoticeTime, fmt.Sprintf("notices[%d].sent_at: %s is before detected_at %s", n.Index, n.SentAt, in.DetectedAt),
				"a notice is sent about an incident already detected: correct sent_at or detected_at")
		case okRes && t.After(res) && n.Stage != "resolved":
			x.add(e, ptr, RuleNoticeTime, fmt.Sprintf("notices[%d].sent_at: %s notice %s is after resolved_at %s", n.Index, n.Stage, n.SentAt, in.ResolvedAt),
				"after resolution only the resolved notice goes out: correct sent_at, the stage or resolved_at")
		case okRes && n.Stage == "resolved" && t.Before(res):
			x.add(e, ptr, RuleNoticeTime, fmt.Sprintf("notices[%d].sent_at: resolved notice %s is before resolved_at %s", n.Index, n.SentAt, in.ResolvedAt),
				"the resolved notice says the service is back: send it once it is, or correct resolved_at")
		}
	}
	if in.Status == "open" || in.Level != "major" && in.Level != "catastrophic" {
		return
	}
	p := records.InForce(x.plans, records.Day(in.DetectedAt))
	if p == nil {
		return
	}
	var missing []string
	first := ""
	for _, aud := range p.Audiences() {
		if p.CadenceFor(aud, in.Level) == nil {
			continue
		}
		for _, stage := range []string{"initial", "resolved"} {
			found := false
			for _, n := range in.Notices {
				found = found || n.Audience == aud && n.Stage == stage
			}
			if !found {
				missing = append(missing, stage+" to "+aud)
				if first == "" {
					first = fmt.Sprintf("qms notify %s --stage %s --audience %s --sent --at TIME", e.ID, stage, aud)
				}
			}
		}
	}
	if len(missing) > 0 {
		ptr := "notices"
		if len(in.Notices) == 0 {
			ptr = "level"
		}
		x.add(e, ptr, RuleNoticeMissing, fmt.Sprintf("%s %s incident without the notices %s plans: %s", in.Status, in.Level, p.ID, strings.Join(missing, ", ")),
			"record each notice sent, e.g. "+first)
	}
}

// downtimeOverlaps: the downtime of two incidents of one service (from
// detection, for downtime_minutes) does not overlap: availability would
// count it twice.
func (x *rules) downtimeOverlaps(entries []*records.Entry) {
	type span struct {
		e          *records.Entry
		from, to   time.Time
		id, detect string
	}
	bySvc := map[string][]span{}
	for _, e := range entries {
		if e.Broken || e.Kind == nil || e.Kind.Name != records.KindIncident || x.byID[e.ID] != e {
			continue
		}
		in := records.NewIncident(e)
		det, ok := when(in.DetectedAt)
		if !ok || in.Downtime == nil || *in.Downtime <= 0 {
			continue
		}
		sp := span{e, det, det.Add(time.Duration(*in.Downtime) * time.Minute), e.ID, in.DetectedAt}
		for _, svc := range in.Services {
			bySvc[svc] = append(bySvc[svc], sp)
		}
	}
	for _, svc := range sortedKeys(bySvc) {
		l := bySvc[svc]
		sort.Slice(l, func(i, j int) bool {
			if !l[i].from.Equal(l[j].from) {
				return l[i].from.Before(l[j].from)
			}
			return l[i].id < l[j].id
		})
		last := 0
		for i := 1; i < len(l); i++ {
			if l[i].from.Before(l[last].to) {
				x.add(l[i].e, "downtime_minutes", RuleDowntimeOverlap,
					fmt.Sprintf("downtime_minutes: the downtime of %s from %s overlaps that of %s (%s until %s)", svc, l[i].detect, l[last].id,
						l[last].detect, l[last].to.In(l[last].from.Location()).Format(time.RFC3339)),
					fmt.Sprintf("one outage is one incident: merge it into %s (list it in related), or correct the times", l[last].id))
			}
			if l[i].to.After(l[last].to) {
				last = i
			}
		}
	}
}

func slicesContains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// nonconformitySource checks that a nonconformity's source_record is a
// record of the kind its source names: a test run for source test, an
// incident for source incident (x-qms-ref "*" only says that it exists).
func (x *rules) nonconformitySource(e *records.Entry) {
	src, _ := e.Fields.Get("source").(string)
	id, _ := e.Fields.Get("source_record").(string)
	if src != records.KindTest && src != records.KindIncident || id == "" {
		return
	}
	t := x.byID[id]
	if t == nil || t.Kind == nil || t.Kind.Name == src {
		return
	}
	x.add(e, "source_record", RuleSourceKind, fmt.Sprintf("source_record: %s is a %s record, but source is %s", id, t.Kind.Name, src),
		fmt.Sprintf("set source: %s, or name the %s the nonconformity was found in", t.Kind.Name, src))
}
