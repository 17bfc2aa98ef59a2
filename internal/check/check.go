package check

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"path"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/record"
	"github.com/qms-tool/qms/internal/schema"
)

// RecordsDir is where records live unless a kind says otherwise.
const RecordsDir = "records"

// Source is what the checker reads: the working tree, or the index as it
// will be committed.
type Source interface {
	// Paths lists every file under dir (slash-separated, relative to the
	// repository root), recursively, in any order.
	Paths(dir string) ([]string, error)
	// Read returns a file's content.
	Read(path string) ([]byte, error)
	// Exists reports whether a file exists.
	Exists(path string) bool
}

// Checker validates records against a set of kinds.
type Checker struct {
	Kinds *schema.Set
	// Workers is how many records are parsed at once (default: GOMAXPROCS).
	Workers int
	// Cache, when set, spares parsing records whose content it has seen.
	Cache *Cache

	once  sync.Once
	cross map[string]bool
}

// Entry is a record after its own checks, as the cross-record rules see it.
type Entry struct {
	Kind *schema.Kind
	ID   string
	Path string
	// Data holds the frontmatter fields the rules across records read
	// (crossFields); not the whole record.
	Data  Fields
	sites []occurrence
	// broken is set for a file that could not be read as a record: its
	// id (from the file name) still exists, so that references to it are
	// not reported as missing too, but nothing is known of its content.
	broken bool
}

// occurrence is a text value on which a cross-record keyword applies, at
// the JSON pointer ptr (tokens joined by "/"; split only for messages).
type occurrence struct {
	site  *schema.Site
	ptr   string
	value string
}

func joinPtr(ptr []string) string { return strings.Join(ptr, "/") }

func splitPtr(p string) []string {
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// Result is the outcome of a check.
type Result struct {
	Findings []qms.Finding
}

// KindOf returns the kind whose records live at p, or nil.
func KindOf(set *schema.Set, p string) *schema.Kind {
	if !strings.HasSuffix(p, ".md") {
		return nil
	}
	dir := path.Dir(p)
	for _, n := range set.Names {
		k := set.Kinds[n]
		if k.File == p || (k.Folder != "" && k.Folder == dir) {
			return k
		}
	}
	return nil
}

// linker is implemented by sources that can tell symbolic links.
type linker interface {
	isSymlink(path string) bool
}

// List returns the paths of every record in src, and findings for markdown
// files under records/ that belong to no kind.
func List(set *schema.Set, src Source) ([]string, []qms.Finding, error) {
	dirs := map[string]bool{RecordsDir: true}
	for _, n := range set.Names {
		k := set.Kinds[n]
		if k.Folder != "" && !strings.HasPrefix(k.Folder+"/", RecordsDir+"/") {
			dirs[k.Folder] = true
		}
		if k.File != "" && !strings.HasPrefix(k.File, RecordsDir+"/") {
			dirs[path.Dir(k.File)] = true
		}
	}
	var out []string
	var fs_ []qms.Finding
	seen := map[string]bool{}
	for d := range dirs {
		ps, f, err := listDir(set, src, d, seen)
		if err != nil {
			return nil, nil, err
		}
		out, fs_ = append(out, ps...), append(fs_, f...)
	}
	sort.Strings(out)
	return out, fs_, nil
}

// ListKind returns the records of one kind in src, read exactly as List
// reads them (dot-files skipped, only names ending in .md, symbolic links
// refused with a finding), for readers such as the signing policy that need
// one kind and must see what 'qms validate' sees.
func ListKind(set *schema.Set, src Source, k *schema.Kind) ([]string, []qms.Finding, error) {
	dir := k.Folder
	if k.File != "" {
		dir = path.Dir(k.File)
	}
	ps, fs_, err := listDir(set, src, dir, map[string]bool{})
	if err != nil {
		return nil, nil, err
	}
	var out []string
	for _, p := range ps {
		if KindOf(set, p) == k {
			out = append(out, p)
		}
	}
	var keep []qms.Finding
	for _, f := range fs_ {
		if path.Dir(f.Path) == dir {
			keep = append(keep, f)
		}
	}
	sort.Strings(out)
	return out, keep, nil
}

// listDir lists the records under d, adding what it saw to seen.
func listDir(set *schema.Set, src Source, d string, seen map[string]bool) ([]string, []qms.Finding, error) {
	ps, err := src.Paths(d)
	if err != nil {
		return nil, nil, err
	}
	var out []string
	var fs_ []qms.Finding
	for _, p := range ps {
		if seen[p] || strings.HasPrefix(path.Base(p), ".") {
			continue
		}
		if !strings.HasSuffix(p, ".md") {
			if ext := strings.ToLower(path.Ext(p)); ext == ".md" || ext == ".markdown" {
				// A record that would silently go unchecked.
				fs_ = append(fs_, qms.Finding{Path: p, Line: 1, Column: 1, Rule: "extension", Severity: qms.Error,
					Message: "records are checked only when their name ends in .md", Hint: "rename it to " + strings.TrimSuffix(p, path.Ext(p)) + ".md"})
			}
			continue
		}
		seen[p] = true
		if l, ok := src.(linker); ok && l.isSymlink(p) {
			fs_ = append(fs_, qms.Finding{Path: p, Line: 1, Column: 1, Rule: "symlink", Severity: qms.Error,
				Message: "records must be files, not symbolic links", Hint: "replace the link with the record itself"})
			continue
		}
		if KindOf(set, p) != nil {
			out = append(out, p)
		} else if strings.HasPrefix(p, RecordsDir+"/") {
			fs_ = append(fs_, unknownKind(set, p))
		}
	}
	return out, fs_, nil
}

func unknownKind(set *schema.Set, p string) qms.Finding {
	var places []string
	for _, n := range set.Names {
		k := set.Kinds[n]
		places = append(places, k.Folder+k.File)
	}
	sort.Strings(places)
	return qms.Finding{Path: p, Line: 1, Column: 1, Rule: "unknown-kind", Severity: qms.Error,
		Message: fmt.Sprintf("no record kind lives in %s", path.Dir(p)),
		Hint:    "records go in " + strings.Join(places, ", ") + "; add a schema/<kind>.schema.json with x-qms-folder for a new kind"}
}

// Check validates the records at paths (all records of the repository:
// cross-record rules need them all) and returns every finding.
func (c *Checker) Check(src Source, paths []string) (*Result, error) {
	n := c.Workers
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	type out struct {
		e  *Entry
		fs []qms.Finding
	}
	outs := make([]out, len(paths))
	kept := make([]*cached, len(paths))
	var firstErr error
	var mu sync.Mutex
	var wg sync.WaitGroup
	var next atomic.Int64
	for w := 0; w < n; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < len(paths); i = int(next.Add(1) - 1) {
				p := paths[i]
				ce, e, fs_, err := c.checkOne(src, p)
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("read %s: %w", p, err)
					}
					mu.Unlock()
					continue
				}
				outs[i], kept[i] = out{e, fs_}, ce
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if c.Cache != nil {
		c.Cache.record(paths, kept)
	}
	res := &Result{}
	entries := make([]*Entry, 0, len(outs))
	for i, o := range outs {
		res.Findings = append(res.Findings, o.fs...)
		if o.e != nil {
			entries = append(entries, o.e)
		} else if k := KindOf(c.Kinds, paths[i]); k != nil {
			stem := strings.TrimSuffix(path.Base(paths[i]), ".md")
			entries = append(entries, &Entry{Kind: k, ID: stem, Path: paths[i], broken: true})
		}
	}
	res.Findings = append(res.Findings, cross(c.Kinds, src, entries)...)
	qms.SortFindings(res.Findings)
	return res, nil
}

// fields returns crossFields, computed once.
func (c *Checker) fields() map[string]bool {
	c.once.Do(func() { c.cross = crossFields(c.Kinds) })
	return c.cross
}

// Fields are a record's top-level fields as a short list: records are
// held by the ten thousand and read by a handful of names, where a map per
// record would cost more than it saves.
type Fields []Field

// Field is one top-level field.
type Field struct {
	Name  string
	Value any
}

// Get returns the value of the named field, or nil.
func (fs Fields) Get(name string) any {
	for _, f := range fs {
		if f.Name == name {
			return f.Value
		}
	}
	return nil
}

// only keeps the named fields, so that thousands of records do not have
// to stay in memory whole.
func (fs Fields) only(names map[string]bool) Fields {
	var out Fields
	for _, f := range fs {
		if names[f.Name] {
			out = append(out, f)
		}
	}
	return out
}

// checkOne runs CheckFile on one record, or takes its outcome from the
// cache when the content is the same.
func (c *Checker) checkOne(src Source, p string) (*cached, *Entry, []qms.Finding, error) {
	blob := ""
	if bi, ok := src.(blobIdentifier); ok {
		blob = bi.BlobID(p)
	}
	if c.Cache != nil && blob != "" {
		if ce := c.Cache.lookup(p, nil, blob); ce != nil {
			e, fs_ := ce.toEntry()
			return ce, e, fs_, nil
		}
	}
	var st fileStat
	hasStat := false
	if sr, ok := src.(statter); ok && c.Cache != nil {
		if st, hasStat = sr.stat(p); hasStat {
			if ce := c.Cache.lookupStat(p, st); ce != nil {
				e, fs_ := ce.toEntry()
				return ce, e, fs_, nil
			}
		}
	}
	b, err := src.Read(p)
	if err != nil {
		return nil, nil, nil, err
	}
	if c.Cache == nil {
		e, fs_ := c.checkFile(p, b)
		return nil, e, fs_, nil
	}
	sum := sha256.Sum256(b)
	ce := c.Cache.lookup(p, &sum, "")
	if ce == nil {
		e, fs_ := c.checkFile(p, b)
		ce = fromEntry(e, fs_, sum, blob)
	} else if blob != "" && ce.blob != blob || hasStat && ce.stat != st {
		updated := *ce
		if blob != "" {
			updated.blob = blob
		}
		ce = &updated
	}
	if hasStat && ce.stat != st {
		ce.stat, ce.statAt = st, c.Cache.started
	}
	e, fs_ := ce.toEntry()
	return ce, e, fs_, nil
}

// checkFile is CheckFile keeping only the fields that the rules across
// records read.
func (c *Checker) checkFile(p string, b []byte) (*Entry, []qms.Finding) {
	e, fs_ := CheckFile(KindOf(c.Kinds, p), p, b)
	if e != nil {
		e.Data = e.Data.only(c.fields())
	}
	return e, fs_
}

// CheckFile runs the checks that need only the file itself. The entry is
// nil when the file could not be read as a record.
func CheckFile(k *schema.Kind, p string, src []byte) (*Entry, []qms.Finding) {
	if k == nil {
		return nil, nil
	}
	r, fs_ := record.Parse(p, src)
	if r == nil {
		return nil, fs_
	}
	fc := fileCheck{kind: k, rec: r, findings: fs_}
	fc.run()
	e := &Entry{Kind: k, Path: p, sites: fc.sites}
	for name, v := range r.Data {
		e.Data = append(e.Data, Field{name, v})
	}
	e.ID, _ = r.Data["id"].(string)
	if e.ID == "" && r.Data["id"] == nil {
		e.ID = strings.TrimSuffix(path.Base(p), ".md")
	}
	return e, fc.findings
}

type fileCheck struct {
	kind     *schema.Kind
	rec      *record.Record
	findings []qms.Finding
	sites    []occurrence
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
			fc.add([]string{"id"}, "id-filename", fmt.Sprintf("id %q does not match the file name %s.md", id, stem),
				fmt.Sprintf("rename the file to %s.md or set id: %s", id, stem))
		case !k.MatchID(id, data):
			fc.add([]string{"id"}, "id-format", fmt.Sprintf("id %q does not follow %s", id, k.IDTemplate), "")
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
			fc.add(condField(rq.Cond), "required", fmt.Sprintf("%s is required %s", f, cond), fmt.Sprintf("add '%s: ...' to the frontmatter", f))
		}
	}
	if len(k.Sections) > 0 {
		fc.sections()
	}
	for i := range k.Sites {
		s := &k.Sites[i]
		visit(data, s.Path, s.Keys, nil, func(ptr []string, v any) {
			fc.local(s, ptr, v)
			if s.Ref != "" || s.Previous != nil || s.Service != nil || s.PlanTest != nil || s.Role || s.KindName || s.File != "" {
				if str, ok := v.(string); ok {
					fc.sites = append(fc.sites, occurrence{site: s, ptr: joinPtr(ptr), value: str})
				}
			}
		})
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
			fc.addAt(record.Pos{Line: line, Col: 1}, "section-missing", msg, fmt.Sprintf("add a '## %s' heading with its text", h))
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
				fc.add(ptr, "date-order", fmt.Sprintf("%s is before %s", field(ptr), s.NotBefore), "")
			}
		}
	}
	if m := s.MonthsAfter; m != nil && parent != nil {
		from, ok1 := when(parent[m.Field])
		to, ok2 := when(v)
		if ok1 && ok2 && to.After(from.AddDate(0, m.Max, 0)) {
			fc.add(ptr, "interval", fmt.Sprintf("%s is more than %d months after %s", field(ptr), m.Max, m.Field),
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
				fc.add(ip, "duplicate", fmt.Sprintf("%s %q appears more than once in %s", s.UniqueBy, key, field(ptr)), "")
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
		fc.add(nil, "schema", err.Error(), "")
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
			at := "/" + strings.Join(e.InstanceLocation, "/")
			if len(e.InstanceLocation) == 0 {
				at = ""
			}
			leaves[at] = append(leaves[at], e.ErrorKind)
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	seen := map[string]bool{}
	var units []jsonschema.OutputUnit
	for _, u := range ve.BasicOutput().Errors {
		if u.Error == nil {
			continue
		}
		if _, ref := u.Error.Kind.(*kind.Reference); ref {
			for _, k := range leaves[u.InstanceLocation] {
				switch k.(type) {
				case *kind.Group, *kind.Schema, *kind.AllOf, *kind.Reference, *kind.PropertyNames:
					continue
				}
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
			emit(ptr, "required", prefix+fmt.Sprintf("missing required field %q", m), fmt.Sprintf("add '%s: ...'", m))
		}
	case *kind.AdditionalProperties:
		for _, p := range e.Properties {
			hint := "remove it, or add it to the kind's schema"
			if len(ptr) == 0 {
				if c := closest(p, fc.kind.Properties); c != "" {
					hint = fmt.Sprintf("did you mean %q?", c)
				}
			}
			emit(append(ptr[:len(ptr):len(ptr)], p), "unknown-field", prefix+fmt.Sprintf("unknown field %q", p), hint)
		}
	case *kind.Type:
		got := typeWord(e.Got)
		var want []string
		for _, w := range e.Want {
			want = append(want, typeWord(w))
		}
		emit(ptr, "type", fmt.Sprintf("%sexpected %s, got %s", prefix, strings.Join(want, " or "), got), "")
	case *kind.Enum:
		var want []string
		for _, w := range e.Want {
			want = append(want, schema.Scalar(w))
		}
		emit(ptr, "enum", fmt.Sprintf("%s%s is not one of: %s", prefix, record.String(e.Got), strings.Join(want, ", ")), "")
	case *kind.Const:
		emit(ptr, "const", fmt.Sprintf("%smust be %s", prefix, record.String(e.Want)), "")
	case *kind.MinLength:
		if e.Got == 0 {
			emit(ptr, "empty", prefix+"must not be empty", "")
		} else {
			emit(ptr, "schema", fmt.Sprintf("%sat least %d characters needed, got %d", prefix, e.Want, e.Got), "")
		}
	case *kind.Minimum:
		emit(ptr, "minimum", fmt.Sprintf("%smust be at least %s, got %s", prefix, e.Want.RatString(), e.Got.RatString()), "")
	case *kind.MaxLength:
		emit(ptr, "too-long", fmt.Sprintf("%sat most %d characters, got %d", prefix, e.Want, e.Got), "")
	case *kind.MinItems:
		emit(ptr, "empty", fmt.Sprintf("%sneeds at least %s, has %d", prefix, plural(e.Want, "item"), e.Got), "")
	case *kind.MinProperties:
		emit(ptr, "empty", fmt.Sprintf("%sneeds at least %s, has %d", prefix, plural(e.Want, "entry"), e.Got), "")
	case *kind.Pattern:
		emit(ptr, "pattern", fmt.Sprintf("%s%s does not have the expected form (%s)", prefix, record.String(e.Got), e.Want), "")
	case *kind.Format:
		w := formatWords[e.Want]
		if w == "" {
			w = "a valid " + e.Want
		}
		emit(ptr, "format", fmt.Sprintf("%s%s is not %s", prefix, record.String(e.Got), w), "")
	default:
		emit(ptr, "schema", prefix+u.Error.String(), "")
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
