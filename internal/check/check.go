package check

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/record"
	"github.com/qms-tool/qms/internal/records"
	"github.com/qms-tool/qms/internal/schema"
)

// Checker validates records against a set of kinds.
type Checker struct {
	Kinds *schema.Set
	// Workers is how many records are parsed at once (default: GOMAXPROCS).
	Workers int
	// Cache, when set, spares parsing and checking records whose content
	// it has seen.
	Cache *records.Cache
}

// Result is the outcome of a check.
type Result struct {
	Findings []qms.Finding
}

// Check validates the records at paths of src (all records of the
// repository, as List gives them: rules across records need them all) and
// returns every finding.
func (c *Checker) Check(src fs.FS, paths []string) (*Result, error) {
	src = source(src)
	entries, err := records.Load(src, c.Kinds, paths, records.Options{Check: File, Cache: c.Cache, Workers: c.Workers, Fields: Fields(c.Kinds)})
	if err != nil {
		return nil, err
	}
	return Entries(c.Kinds, src, entries), nil
}

// Fields are the frontmatter fields the rules across records read by name
// (records.Options.Fields): the plans' dates, objectives and tests, the
// matrix's roles, a test report's plan, results and review, a
// nonconformity's source and source_record, and the
// fields the kinds' keywords name.
func Fields(set *schema.Set) map[string]bool {
	f := map[string]bool{"effective": true, "revision": true, "objectives": true, "tests": true,
		"roles": true, "plan": true, "results": true, "review": true,
		// the continuity rules (services, risks, notices, downtime)
		"services": true, "risk": true, "communication": true, "name": true, "active_from": true, "active_until": true,
		"likelihood": true, "impact": true, "level": true, "category": true, "last_review": true,
		"status": true, "detected_at": true, "resolved_at": true, "downtime_minutes": true, "notices": true,
		"source": true, "source_record": true}
	for _, n := range records.Named(set) {
		f[n] = true
	}
	return f
}

// Entries completes the check of loaded entries (records.Load with Check:
// File): their own findings, then the rules across records, sorted.
func Entries(set *schema.Set, src fs.FS, entries []*records.Entry) *Result {
	res := &Result{}
	es := make([]*records.Entry, 0, len(entries))
	for _, e := range entries {
		if e != nil {
			res.Findings = append(res.Findings, e.Findings...)
			es = append(es, e)
		}
	}
	res.Findings = append(res.Findings, cross(set, source(src), es)...)
	qms.SortFindings(res.Findings)
	return res
}

// CheckFile runs the checks that need only the file itself: parsing, then
// File. The entry, which has every field, is nil when the file could not
// be read as a record.
func CheckFile(k *schema.Kind, p string, src []byte) (*Entry, []qms.Finding) {
	if k == nil {
		return nil, nil
	}
	r, fs_ := record.Parse(p, src)
	if r == nil {
		return nil, fs_
	}
	fs_ = append(fs_, File(k, r)...)
	e := records.NewEntry(k, p, r.Data, nil)
	e.Findings = fs_
	return e, fs_
}

// File checks a parsed record against its kind: id and file name, the
// schema, conditional requirements, body sections, and the x-qms keywords
// that need only the record. It is what records.Load runs as Check.
func File(k *schema.Kind, r *record.Record) []qms.Finding {
	fc := fileCheck{kind: k, rec: r}
	fc.run()
	return fc.findings
}

type fileCheck struct {
	kind     *schema.Kind
	rec      *record.Record
	findings []qms.Finding
}

func (fc *fileCheck) add(ptr []string, rule, msg, hint string) {
	pos := fc.rec.Locate(ptr)
	fc.addAt(pos, rule, msg, hint)
}

func (fc *fileCheck) addAt(pos record.Pos, rule, msg, hint string) {
	fc.findings = append(fc.findings, qms.Finding{Path: fc.rec.Path, Line: pos.Line, Column: pos.Col,
		Rule: rule, Severity: qms.Error, Message: msg, Hint: hint})
}

func (fc *fileCheck) run() {
	data := fc.rec.Data
	k := fc.kind
	stem := strings.TrimSuffix(path.Base(fc.rec.Path), ".md")
	if v, ok := data["id"]; ok {
		id, isStr := v.(string)
		switch {
		case !isStr:
			// The schema reports the type.
		case id != stem:
			fc.add([]string{"id"}, RuleIDFilename, fmt.Sprintf("id %q does not match the file name %s.md", id, stem),
				fmt.Sprintf("rename the file to %s.md or set id: %s", id, stem))
		case !k.MatchID(id, data):
			fc.add([]string{"id"}, RuleIDFormat, fmt.Sprintf("id %q does not follow %s", id, k.IDTemplate), "")
		}
	}
	fc.schema()
	for _, rq := range k.Required {
		if !rq.Holds(data) {
			continue
		}
		for _, f := range rq.Fields {
			if v, ok := data[f]; ok && v != nil {
				continue
			}
			cond := rq.Cond.String()
			fc.add(condField(rq.Cond), RuleRequired, fmt.Sprintf("%s is required %s", f, cond), fmt.Sprintf("add '%s: ...' to the frontmatter", f))
		}
	}
	if len(k.Sections) > 0 {
		fc.sections()
		fc.finishedBody()
	}
	for i := range k.Sites {
		s := &k.Sites[i]
		s.Visit(data, func(ptr []string, v any) { fc.local(s, ptr, v) })
	}
}

// condField is the field a condition is about, to point a finding at.
func condField(c schema.Cond) []string {
	for _, m := range []map[string][]any{c.When, c.Unless} {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if len(keys) > 0 {
			return []string{keys[0]}
		}
	}
	if len(c.WhenPresent) > 0 {
		return []string{c.WhenPresent[0]}
	}
	return nil
}

func (fc *fileCheck) sections() {
	hs := fc.rec.Headings()
	have := make(map[string]bool, len(hs))
	for _, h := range hs {
		have[strings.ToLower(h.Text)] = true
	}
	for _, sec := range fc.kind.Sections {
		if !sec.Holds(fc.rec.Data) {
			continue
		}
		for _, h := range sec.Headings {
			if have[strings.ToLower(h)] {
				continue
			}
			msg := fmt.Sprintf("missing section %q", h)
			if c := sec.Cond.String(); c != "" {
				msg += " (required " + c + ")"
			}
			line := fc.rec.BodyLine
			if len(fc.rec.Body) == 0 {
				line-- // no body: point at the closing fence
			}
			hint := fmt.Sprintf("add a '## %s' heading with its text", h)
			if near, ok := nearHeading(h, hs, fc.kind.Sections); ok {
				// Point at the heading that was probably meant.
				line = near.Line
				hint = fmt.Sprintf("did you mean %q? rename the heading '%s' to '%s'", h, near.Text, h)
			}
			fc.addAt(record.Pos{Line: line, Col: 1}, RuleSectionMissing, msg, hint)
		}
	}
}

// local applies the keywords that need only this record.
func (fc *fileCheck) local(s *schema.Site, ptr []string, v any) {
	parent := fc.rec.Data
	if len(ptr) > 1 {
		pv, _ := lookup(fc.rec.Data, ptr[:len(ptr)-1])
		parent, _ = pv.(map[string]any)
	}
	if s.NotBefore != "" && parent != nil {
		if other, ok := parent[s.NotBefore]; ok {
			if c, ok := compare(v, other); ok && c < 0 {
				fc.add(ptr, RuleDateOrder, fmt.Sprintf("%s is before %s", field(ptr), s.NotBefore), "")
			}
		}
	}
	if m := s.MonthsAfter; m != nil && parent != nil {
		from, ok1 := when(parent[m.Field])
		to, ok2 := when(v)
		if ok1 && ok2 && to.After(from.AddDate(0, m.Max, 0)) {
			fc.add(ptr, RuleInterval, fmt.Sprintf("%s is more than %d months after %s", field(ptr), m.Max, m.Field),
				fmt.Sprintf("set %s to %s or earlier", field(ptr), from.AddDate(0, m.Max, 0).Format("2006-01-02")))
		}
	}
	if s.UniqueBy != "" {
		list, _ := v.([]any)
		seen := map[string]bool{}
		for i, item := range list {
			m, _ := item.(map[string]any)
			key := schema.Scalar(m[s.UniqueBy])
			if key == "" {
				continue
			}
			if seen[key] {
				ip := append(ptr[:len(ptr):len(ptr)], fmt.Sprint(i), s.UniqueBy)
				fc.add(ip, RuleDuplicate, fmt.Sprintf("%s %q appears more than once in %s", s.UniqueBy, key, field(ptr)), "")
			}
			seen[key] = true
		}
	}
}

func (fc *fileCheck) schema() {
	err := fc.kind.Schema.Validate(fc.rec.Data)
	if err == nil {
		return
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		fc.add(nil, RuleSchema, err.Error(), "")
		return
	}
	// jsonschema v6's flattened output labels every error reached through
	// a $ref with the reference instead of what failed (min: 0 under
	// "$ref": "#/$defs/signers" read as a "$ref" error, and went
	// unreported): take the failing keywords from the error tree.
	leaves := map[string][]jsonschema.ErrorKind{}
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			at := ""
			if len(e.InstanceLocation) > 0 {
				at = "/" + strings.Join(e.InstanceLocation, "/")
			}
			leaves[at] = append(leaves[at], e.ErrorKind)
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	var units []jsonschema.OutputUnit
	for _, u := range ve.BasicOutput().Errors {
		if u.Error == nil {
			continue
		}
		if _, ref := u.Error.Kind.(*kind.Reference); ref {
			for _, k := range leaves[u.InstanceLocation] {
				e := *u.Error
				e.Kind = k
				leaf := u
				leaf.Error = &e
				units = append(units, leaf)
			}
			continue
		}
		units = append(units, u)
	}
	seen := map[string]bool{}
	for _, u := range units {
		switch u.Error.Kind.(type) {
		case *kind.Group, *kind.Schema, *kind.AllOf, *kind.Reference, *kind.PropertyNames:
			continue
		}
		for _, f := range fc.describe(u) {
			key := fmt.Sprint(f.Line, f.Column, f.Message)
			if !seen[key] {
				seen[key] = true
				fc.findings = append(fc.findings, f)
			}
		}
	}
}

func pointer(s string) []string {
	if s == "" {
		return nil
	}
	toks := strings.Split(strings.TrimPrefix(s, "/"), "/")
	for i, t := range toks {
		toks[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
	}
	return toks
}

var typeWords = map[string]string{
	"array": "a list", "object": "a mapping", "string": "text", "integer": "a whole number",
	"number": "a number", "boolean": "true or false", "null": "nothing",
}

func typeWord(t string) string {
	if w, ok := typeWords[t]; ok {
		return w
	}
	return t
}

var formatWords = map[string]string{
	"date-time": "an RFC 3339 time with offset, e.g. 2026-03-04T10:15:00+01:00",
	"date":      "a date, YYYY-MM-DD",
	"email":     "an email address",
}

func (fc *fileCheck) describe(u jsonschema.OutputUnit) []qms.Finding {
	ptr := pointer(u.InstanceLocation)
	name := field(ptr)
	prefix := ""
	if name != "" {
		prefix = name + ": "
	}
	var out []qms.Finding
	emit := func(p []string, rule, msg, hint string) {
		pos := fc.rec.Locate(p)
		if d := fc.description(u.KeywordLocation); d != "" {
			msg += " (" + d + ")"
		}
		out = append(out, qms.Finding{Path: fc.rec.Path, Line: pos.Line, Column: pos.Col, Rule: rule, Severity: qms.Error, Message: msg, Hint: hint})
	}
	switch e := u.Error.Kind.(type) {
	case *kind.Required:
		for _, m := range e.Missing {
			emit(ptr, RuleRequired, prefix+fmt.Sprintf("missing required field %q", m), fmt.Sprintf("add '%s: ...'", m))
		}
	case *kind.AdditionalProperties:
		for _, p := range e.Properties {
			hint := "remove it, or add it to the kind's schema"
			if len(ptr) == 0 {
				if c := closest(p, fc.kind.Properties); c != "" {
					hint = fmt.Sprintf("did you mean %q?", c)
				}
			}
			emit(append(ptr[:len(ptr):len(ptr)], p), RuleUnknownField, prefix+fmt.Sprintf("unknown field %q", p), hint)
		}
	case *kind.Type:
		got := typeWord(e.Got)
		var want []string
		for _, w := range e.Want {
			want = append(want, typeWord(w))
		}
		emit(ptr, RuleType, fmt.Sprintf("%sexpected %s, got %s", prefix, strings.Join(want, " or "), got), "")
	case *kind.Enum:
		var want []string
		for _, w := range e.Want {
			want = append(want, schema.Scalar(w))
		}
		emit(ptr, RuleEnum, fmt.Sprintf("%s%s is not one of: %s", prefix, record.String(e.Got), strings.Join(want, ", ")), enumHint(e.Got, want))
	case *kind.Const:
		emit(ptr, RuleConst, fmt.Sprintf("%smust be %s", prefix, record.String(e.Want)), "")
	case *kind.MinLength:
		if e.Got == 0 {
			emit(ptr, RuleEmpty, prefix+"must not be empty", "")
		} else {
			emit(ptr, RuleSchema, fmt.Sprintf("%sat least %d characters needed, got %d", prefix, e.Want, e.Got), "")
		}
	case *kind.Minimum:
		emit(ptr, "minimum", fmt.Sprintf("%smust be at least %s, got %s", prefix, e.Want.RatString(), e.Got.RatString()), "")
	case *kind.MaxLength:
		emit(ptr, RuleTooLong, fmt.Sprintf("%sat most %d characters, got %d", prefix, e.Want, e.Got), "")
	case *kind.MinItems:
		emit(ptr, RuleEmpty, fmt.Sprintf("%sneeds at least %s, has %d", prefix, plural(e.Want, "item"), e.Got), "")
	case *kind.MinProperties:
		emit(ptr, RuleEmpty, fmt.Sprintf("%sneeds at least %s, has %d", prefix, plural(e.Want, "entry"), e.Got), "")
	case *kind.Pattern:
		emit(ptr, RulePattern, fmt.Sprintf("%s%s does not have the expected form (%s)", prefix, record.String(e.Got), e.Want), "")
	case *kind.Format:
		w := formatWords[e.Want]
		if w == "" {
			w = "a valid " + e.Want
		}
		emit(ptr, RuleFormat, fmt.Sprintf("%s%s is not %s", prefix, record.String(e.Got), w), dateHint(e.Want, e.Got))
	default:
		emit(ptr, RuleSchema, prefix+u.Error.String(), "")
	}
	return out
}

// description finds the description of the nearest enclosing allOf entry.
func (fc *fileCheck) description(kw string) string {
	best := ""
	for prefix := range fc.kind.Descriptions {
		if strings.HasPrefix(kw, prefix+"/") && len(prefix) > len(best) {
			best = prefix
		}
	}
	if best == "" {
		return ""
	}
	return fc.kind.Descriptions[best]
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	if strings.HasSuffix(word, "y") {
		return fmt.Sprintf("%d %sies", n, strings.TrimSuffix(word, "y"))
	}
	return fmt.Sprintf("%d %ss", n, word)
}
