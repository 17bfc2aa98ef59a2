package schema

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/qms-tool/qms"
)

// Dir is the folder, in the embedded defaults and in a repository, that
// holds the schemas.
const Dir = "schema"

const suffix = ".schema.json"

// Kind is a record kind: where its records live, how they are named, the
// compiled schema for their frontmatter and the x-qms rules.
type Kind struct {
	Name string
	// Source is the schema file's path, e.g. "schema/incident.schema.json";
	// it starts with "(built-in)" for embedded defaults.
	Source string
	// Folder holds every *.md record of the kind, or File is the one record.
	Folder, File string
	// IDTemplate is x-qms-id: how 'qms new' names records.
	IDTemplate string
	// Properties are the top-level property names, for "did you mean" hints.
	Properties []string
	// Order is the top-level property names in the order the schema
	// declares them; Titles their "title"s (human labels, for the site).
	Order  []string
	Titles map[string]string
	// Facts (x-qms-facts) are the properties a record's page shows in its
	// header, Columns (x-qms-columns) those its kind's list shows.
	Facts, Columns []string

	Schema   *jsonschema.Schema
	Required []Required
	Sections []Sections
	Sites    []Site
	// Descriptions maps a keyword location prefix (e.g. "/allOf/0") to the
	// description written there, to explain failed conditions.
	Descriptions map[string]string

	idRe     *regexp.Regexp
	idFields []string
}

// Cond is an x-qms condition.
type Cond struct {
	When        map[string][]any `json:"when"`
	Unless      map[string][]any `json:"unless"`
	WhenPresent []string         `json:"when_present"`
}

// Required is one x-qms-required entry.
type Required struct {
	Fields []string `json:"fields"`
	Cond
}

// Sections is one x-qms-sections entry.
type Sections struct {
	Headings []string `json:"headings"`
	Cond
}

// Site is where property-level x-qms keywords apply: Path is a JSON pointer
// pattern in which "*" matches any key or index. With Keys set, the
// keywords apply to the keys of the object at Path (propertyNames).
type Site struct {
	Path []string
	Keys bool

	Ref         string       `json:"x-qms-ref"`
	NotBefore   string       `json:"x-qms-not-before"`
	MonthsAfter *MonthsAfter `json:"x-qms-months-after"`
	Previous    *Previous    `json:"x-qms-previous"`
	Service     *Service     `json:"x-qms-service"`
	PlanTest    *PlanTest    `json:"x-qms-plan-test"`
	Role        bool         `json:"x-qms-role"`
	KindName    bool         `json:"x-qms-kind"`
	File        string       `json:"x-qms-file"`
	UniqueBy    string       `json:"x-qms-unique-by"`
}

// MonthsAfter is x-qms-months-after.
type MonthsAfter struct {
	Field string `json:"field"`
	Max   int    `json:"max"`
}

// Previous is x-qms-previous.
type Previous struct {
	Same   []string `json:"same"`
	Before []string `json:"before"`
}

// Service is x-qms-service: the plan is the one in force at field At, or the
// one named by field Plan.
type Service struct {
	At   string `json:"at"`
	Plan string `json:"plan"`
}

// PlanTest is x-qms-plan-test.
type PlanTest struct {
	Plan string `json:"plan"`
}

// Cross reports whether the site's keywords need other records (or other
// files): references, previous runs, services and tests of a plan, roles,
// kind names and key files. The rest need only the record itself.
func (s *Site) Cross() bool {
	return s.Ref != "" || s.Previous != nil || s.Service != nil || s.PlanTest != nil || s.Role || s.KindName || s.File != ""
}

// Visit calls fn for every value in data at the site's path (where "*"
// matches any key or index, keys in sorted order), or with Keys set, for
// every key of the objects there. ptr is the value's JSON pointer, as
// tokens.
func (s *Site) Visit(data map[string]any, fn func(ptr []string, v any)) {
	visit(data, s.Path, s.Keys, nil, fn)
}

func visit(v any, pattern []string, keys bool, ptr []string, fn func(ptr []string, v any)) {
	if len(pattern) == 0 {
		if keys {
			if m, ok := v.(map[string]any); ok {
				for _, k := range sortedKeys(m) {
					fn(append(ptr[:len(ptr):len(ptr)], k), k)
				}
			}
			return
		}
		fn(ptr, v)
		return
	}
	tok, rest := pattern[0], pattern[1:]
	switch t := v.(type) {
	case map[string]any:
		if tok == "*" {
			for _, k := range sortedKeys(t) {
				visit(t[k], rest, keys, append(ptr[:len(ptr):len(ptr)], k), fn)
			}
		} else if c, ok := t[tok]; ok {
			visit(c, rest, keys, append(ptr[:len(ptr):len(ptr)], tok), fn)
		}
	case []any:
		if tok == "*" {
			for i, c := range t {
				visit(c, rest, keys, append(ptr[:len(ptr):len(ptr)], strconv.Itoa(i)), fn)
			}
		}
	}
}

func sortedKeys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	// Small maps: insertion sort avoids the sort package's overhead.
	for i := 1; i < len(ks); i++ {
		for j := i; j > 0 && ks[j] < ks[j-1]; j-- {
			ks[j], ks[j-1] = ks[j-1], ks[j]
		}
	}
	return ks
}

func (s *Site) empty() bool {
	return s.Ref == "" && s.NotBefore == "" && s.MonthsAfter == nil && s.Previous == nil && s.Service == nil &&
		s.PlanTest == nil && !s.Role && !s.KindName && s.File == "" && s.UniqueBy == ""
}

// Set is every kind known to a repository.
type Set struct {
	Kinds map[string]*Kind
	// Names lists the kinds in a stable order.
	Names []string
	// Digest identifies the exact schema sources, for caches.
	Digest [32]byte
}

// ErrInvalid is returned by Load when a schema cannot be used; the findings
// name the file.
var ErrInvalid = errors.New("invalid schema")

// Load reads the embedded defaults and the repository's overrides (repo may
// be nil) and compiles every kind. Problems with the repository's schema
// files come back as findings; a kind whose schema is broken is left out.
func Load(defaults, repo fs.FS) (*Set, []qms.Finding) {
	type src struct {
		name, file string
		data       []byte
	}
	srcs := map[string]src{}
	var fs_ []qms.Finding
	read := func(fsys fs.FS, builtin bool) {
		if fsys == nil {
			return
		}
		ents, err := fs.ReadDir(fsys, Dir)
		if err != nil {
			return
		}
		for _, e := range ents {
			if e.IsDir() || !strings.HasSuffix(e.Name(), suffix) {
				continue
			}
			p := path.Join(Dir, e.Name())
			b, err := fs.ReadFile(fsys, p)
			if err != nil {
				fs_ = append(fs_, finding(p, 0, "schema-invalid", fmt.Sprintf("cannot read schema: %v", err)))
				continue
			}
			name := strings.TrimSuffix(e.Name(), suffix)
			file := p
			if builtin {
				file = "(built-in) " + p
			}
			srcs[name] = src{name: name, file: file, data: b}
		}
	}
	read(defaults, true)
	read(repo, false)

	names := make([]string, 0, len(srcs))
	for n := range srcs {
		names = append(names, n)
	}
	sort.Strings(names)

	set := &Set{Kinds: map[string]*Kind{}}
	h := sha256.New()
	for _, n := range names {
		s := srcs[n]
		fmt.Fprintf(h, "%s\x00%d\x00", n, len(s.data))
		h.Write(s.data)
		k, err := compile(n, s.file, s.data)
		if err != nil {
			p := strings.TrimPrefix(s.file, "(built-in) ")
			fs_ = append(fs_, finding(p, 1, "schema-invalid", err.Error()))
			continue
		}
		set.Kinds[n] = k
		set.Names = append(set.Names, n)
	}
	copy(set.Digest[:], h.Sum(nil))
	// Two kinds may not claim the same place. The built-in kinds (or the
	// repository's overrides of them) keep theirs; a kind the repository
	// adds is the one refused.
	builtin := map[string]bool{}
	if defaults != nil {
		ents, _ := fs.ReadDir(defaults, Dir)
		for _, e := range ents {
			builtin[strings.TrimSuffix(e.Name(), suffix)] = true
		}
	}
	order := append([]string(nil), set.Names...)
	sort.SliceStable(order, func(i, j int) bool { return builtin[order[i]] && !builtin[order[j]] })
	seen := map[string]string{}
	for _, n := range order {
		k := set.Kinds[n]
		where := k.Folder + k.File
		if other, dup := seen[where]; dup {
			fs_ = append(fs_, finding(strings.TrimPrefix(k.Source, "(built-in) "), 1, "schema-invalid",
				fmt.Sprintf("kind %s uses %s, which kind %s already uses", n, where, other)))
			delete(set.Kinds, n)
			continue
		}
		seen[where] = n
	}
	set.Names = set.Names[:0]
	for _, n := range names {
		if _, ok := set.Kinds[n]; ok {
			set.Names = append(set.Names, n)
		}
	}
	return set, fs_
}

func finding(p string, line int, rule, msg string) qms.Finding {
	return qms.Finding{Path: p, Line: line, Column: 1, Rule: rule, Severity: qms.Error, Message: msg}
}

func compile(name, source string, data []byte) (*Kind, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	raw, ok := doc.(map[string]any)
	if !ok {
		return nil, errors.New("a kind's schema must be a JSON object")
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	c.UseLoader(noLoader{})
	url := "file:///" + Dir + "/" + name + suffix
	if err := c.AddResource(url, doc); err != nil {
		return nil, err
	}
	sch, err := c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("schema does not compile: %w", err)
	}
	k := &Kind{Name: name, Source: source, Schema: sch, Descriptions: map[string]string{}}
	k.Folder, _ = raw["x-qms-folder"].(string)
	k.File, _ = raw["x-qms-file"].(string)
	switch {
	case k.Folder == "" && k.File == "":
		return nil, errors.New(`a kind's schema must say where its records live with "x-qms-folder" or "x-qms-file"`)
	case k.Folder != "" && k.File != "":
		return nil, errors.New(`use either "x-qms-folder" or "x-qms-file", not both`)
	}
	for _, p := range []string{k.Folder, k.File} {
		if p != "" && (!fs.ValidPath(p) || p == ".") {
			return nil, fmt.Errorf("%q is not a slash-separated path inside the repository", p)
		}
	}
	if k.File != "" && !strings.HasSuffix(k.File, ".md") {
		return nil, fmt.Errorf("x-qms-file %q must name a .md file", k.File)
	}
	if v, ok := raw["x-qms-id"]; ok {
		s, ok := v.(string)
		if !ok {
			return nil, errors.New(`"x-qms-id" must be a string such as "INC-{year}-{seq:4}"`)
		}
		k.IDTemplate = s
		if k.idRe, k.idFields, err = idPattern(s); err != nil {
			return nil, err
		}
	}
	if props, ok := raw["properties"].(map[string]any); ok {
		for p := range props {
			k.Properties = append(k.Properties, p)
		}
		sort.Strings(k.Properties)
	}
	if k.Order, err = propertyOrder(data); err != nil {
		return nil, fmt.Errorf("properties: %w", err)
	}
	k.Titles = map[string]string{}
	if props, ok := raw["properties"].(map[string]any); ok {
		for p, v := range props {
			if m, ok := v.(map[string]any); ok {
				if t, ok := m["title"].(string); ok && t != "" {
					k.Titles[p] = t
				}
			}
		}
	}
	for _, kw := range []struct {
		key string
		dst *[]string
	}{{"x-qms-facts", &k.Facts}, {"x-qms-columns", &k.Columns}} {
		if err := decodeKeyword(raw, kw.key, kw.dst); err != nil {
			return nil, fmt.Errorf("%w (want a list of property names)", err)
		}
		for _, p := range *kw.dst {
			if c, ok := Computed[p]; ok && kw.key == "x-qms-columns" {
				if c.Kind != k.Name {
					return nil, fmt.Errorf("%s names %q, which the site computes for %s records only", kw.key, p, c.Kind)
				}
				continue
			}
			if !slices.Contains(k.Properties, p) {
				return nil, fmt.Errorf("%s names %q, which is not one of the schema's properties%s", kw.key, p, computedHint(kw.key))
			}
		}
	}
	if err := decodeKeyword(raw, "x-qms-required", &k.Required); err != nil {
		return nil, err
	}
	if err := decodeKeyword(raw, "x-qms-sections", &k.Sections); err != nil {
		return nil, err
	}
	w := walker{root: raw, kind: k}
	if err := w.walk(raw, nil, "", 0); err != nil {
		return nil, err
	}
	return k, nil
}

// propertyOrder is the names of the top-level "properties" object of a
// schema document in the order written (a decoded map has none).
func propertyOrder(data []byte) ([]string, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return nil, errors.New("the schema is not a JSON object")
	}
	for d.More() {
		t, err := d.Token()
		if err != nil {
			return nil, err
		}
		key, _ := t.(string)
		if key != "properties" {
			var skip json.RawMessage
			if err := d.Decode(&skip); err != nil {
				return nil, err
			}
			continue
		}
		if t, err := d.Token(); err != nil || t != json.Delim('{') {
			return nil, nil // not an object: the compiler says so
		}
		var names []string
		for d.More() {
			t, err := d.Token()
			if err != nil {
				return nil, err
			}
			name, _ := t.(string)
			var skip json.RawMessage
			if err := d.Decode(&skip); err != nil {
				return nil, err
			}
			if !slices.Contains(names, name) {
				names = append(names, name)
			}
		}
		return names, nil
	}
	return nil, nil
}

// keywordError is a keyword whose value does not decode.
type keywordError struct {
	Key string
	Err error
}

func (e *keywordError) Error() string { return e.Key + ": " + e.Err.Error() }
func (e *keywordError) Unwrap() error { return e.Err }

// inner is the cause of a keyword's error, for saying where it is.
func inner(err error) error {
	var ke *keywordError
	if errors.As(err, &ke) {
		return ke.Err
	}
	return err
}

func decodeKeyword(raw map[string]any, key string, dst any) error {
	v, ok := raw[key]
	if !ok {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(dst); err != nil {
		return &keywordError{key, err}
	}
	return nil
}

type walker struct {
	root map[string]any
	kind *Kind
}

// walk collects x-qms property keywords under the schema node n, which
// describes instance values at path ptr (kw is the keyword location).
func (w *walker) walk(n any, ptr []string, kw string, depth int) error {
	m, ok := n.(map[string]any)
	if !ok {
		return nil
	}
	if depth > 32 {
		return errors.New("schema nests too deeply (or $ref loops)")
	}
	if d, ok := m["description"].(string); ok && kw != "" {
		w.kind.Descriptions[kw] = d
	}
	site := Site{Path: append([]string(nil), ptr...)}
	has := false
	for key := range m {
		if strings.HasPrefix(key, "x-qms-") {
			has = true
		}
	}
	if has && depth > 0 {
		sub := map[string]any{}
		for key, v := range m {
			if strings.HasPrefix(key, "x-qms-") {
				sub[key] = v
			}
		}
		if err := decodeKeyword(map[string]any{"s": sub}, "s", &site); err != nil {
			return fmt.Errorf("at %s: %w", orRoot(kw), inner(err))
		}
		if !site.empty() {
			w.kind.Sites = append(w.kind.Sites, site)
		}
	}
	if props, ok := m["properties"].(map[string]any); ok {
		// Sorted, so that Sites come in the same order every time: the
		// check cache refers to them by index.
		names := make([]string, 0, len(props))
		for name := range props {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			if err := w.walk(props[name], append(ptr, name), kw+"/properties/"+name, depth+1); err != nil {
				return err
			}
		}
	}
	if sub, ok := m["items"]; ok {
		if err := w.walk(sub, append(ptr, "*"), kw+"/items", depth+1); err != nil {
			return err
		}
	}
	if sub, ok := m["additionalProperties"]; ok {
		if err := w.walk(sub, append(ptr, "*"), kw+"/additionalProperties", depth+1); err != nil {
			return err
		}
	}
	if sub, ok := m["propertyNames"].(map[string]any); ok {
		s := Site{Path: append([]string(nil), ptr...), Keys: true}
		x := map[string]any{}
		for key, v := range sub {
			if strings.HasPrefix(key, "x-qms-") {
				x[key] = v
			}
		}
		if len(x) > 0 {
			if err := decodeKeyword(map[string]any{"s": x}, "s", &s); err != nil {
				return fmt.Errorf("at %s/propertyNames: %w", orRoot(kw), inner(err))
			}
			if !s.empty() {
				w.kind.Sites = append(w.kind.Sites, s)
			}
		}
	}
	if all, ok := m["allOf"].([]any); ok {
		for i, sub := range all {
			if sm, ok := sub.(map[string]any); ok {
				if d, ok := sm["description"].(string); ok {
					w.kind.Descriptions[kw+"/allOf/"+strconv.Itoa(i)] = d
				}
			}
		}
	}
	if ref, ok := m["$ref"].(string); ok && strings.HasPrefix(ref, "#/") {
		target := resolve(w.root, ref)
		if target == nil {
			return fmt.Errorf("at %s: $ref %q points nowhere", orRoot(kw), ref)
		}
		if err := w.walk(target, ptr, strings.TrimPrefix(ref, "#"), depth+1); err != nil {
			return err
		}
	}
	return nil
}

func orRoot(kw string) string {
	if kw == "" {
		return "the top level"
	}
	return kw
}

func resolve(root map[string]any, ref string) any {
	var n any = root
	for _, tok := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, ok := n.(map[string]any)
		if !ok {
			return nil
		}
		n = m[tok]
	}
	return n
}

type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("schemas may only refer to themselves, not to %s", url)
}

var placeholder = regexp.MustCompile(`\{([a-z_]+)(?::([0-9]+))?\}`)

// idPattern turns an x-qms-id template into a regular expression; fields
// other than year and seq become named groups compared with the record.
func idPattern(t string) (*regexp.Regexp, []string, error) {
	var b strings.Builder
	b.WriteString("^")
	var fields []string
	last := 0
	for _, m := range placeholder.FindAllStringSubmatchIndex(t, -1) {
		b.WriteString(regexp.QuoteMeta(t[last:m[0]]))
		name := t[m[2]:m[3]]
		switch name {
		case "year":
			b.WriteString(`([0-9]{4})`)
		case "seq":
			n := 1
			if m[4] >= 0 {
				n, _ = strconv.Atoi(t[m[4]:m[5]])
			}
			fmt.Fprintf(&b, `([0-9]{%d,})`, n)
		default:
			b.WriteString(`(.+)`)
			fields = append(fields, name)
			last = m[1]
			continue
		}
		last = m[1]
	}
	b.WriteString(regexp.QuoteMeta(t[last:]))
	b.WriteString("$")
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, nil, fmt.Errorf("x-qms-id %q: %w", t, err)
	}
	return re, fields, nil
}

// MatchID reports whether id fits the kind's x-qms-id template, given the
// record's data for {field} parts. A kind without a template accepts any id.
func (k *Kind) MatchID(id string, data map[string]any) bool {
	if k.idRe == nil {
		return true
	}
	m := k.idRe.FindStringSubmatch(id)
	if m == nil {
		return false
	}
	if len(k.idFields) == 0 {
		return true
	}
	// Fill in the record's own fields and match again: GP-100-r3 must
	// have document GP-100 and revision 3.
	re, _, err := idPattern(k.FormatID(data, -1, -1))
	return err == nil && re.MatchString(id)
}

// FormatID fills the x-qms-id template: year and seq (seq < 0 and year < 0
// keep the placeholders' matching values out) and {field}s from data.
func (k *Kind) FormatID(data map[string]any, year, seq int) string {
	return placeholder.ReplaceAllStringFunc(k.IDTemplate, func(p string) string {
		m := placeholder.FindStringSubmatch(p)
		switch m[1] {
		case "year":
			if year < 0 {
				return p
			}
			return fmt.Sprintf("%04d", year)
		case "seq":
			if seq < 0 {
				return p
			}
			n, _ := strconv.Atoi(m[2])
			return fmt.Sprintf("%0*d", n, seq)
		}
		return Scalar(data[m[1]])
	})
}

// SeqPattern returns, for a template with {seq}, a regular expression
// matching ids of the given year with the sequence number as group 1.
func (k *Kind) SeqPattern(year int) *regexp.Regexp {
	if !strings.Contains(k.IDTemplate, "{seq") {
		return nil
	}
	t := strings.ReplaceAll(k.IDTemplate, "{year}", fmt.Sprintf("%04d", year))
	var b strings.Builder
	b.WriteString("^")
	last := 0
	for _, m := range placeholder.FindAllStringSubmatchIndex(t, -1) {
		b.WriteString(regexp.QuoteMeta(t[last:m[0]]))
		if t[m[2]:m[3]] == "seq" {
			b.WriteString(`([0-9]+)`)
		} else {
			b.WriteString(`.+?`)
		}
		last = m[1]
	}
	b.WriteString(regexp.QuoteMeta(t[last:]))
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// SeqOf reads the year and sequence number out of an id made from a
// template with {seq} (year is 0 when the template has no {year}); ok is
// false when the template has no {seq} or id does not fit it.
func (k *Kind) SeqOf(id string) (year, seq int, ok bool) {
	if k.idRe == nil || !strings.Contains(k.IDTemplate, "{seq") {
		return 0, 0, false
	}
	m := k.idRe.FindStringSubmatch(id)
	if m == nil {
		return 0, 0, false
	}
	// Each placeholder is one group of idRe, in the template's order.
	var err error
	for i, p := range placeholder.FindAllStringSubmatch(k.IDTemplate, -1) {
		switch p[1] {
		case "year":
			year, _ = strconv.Atoi(m[i+1])
		case "seq":
			seq, err = strconv.Atoi(m[i+1])
		}
	}
	return year, seq, err == nil
}

// Scalar renders a frontmatter scalar as text; other values render empty.
func Scalar(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case int64:
		return strconv.FormatInt(t, 10)
	case uint64:
		return strconv.FormatUint(t, 10)
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case json.Number:
		return t.String()
	case bool:
		return strconv.FormatBool(t)
	}
	return ""
}

// Holds reports whether data meets the condition.
func (c Cond) Holds(data map[string]any) bool {
	for f, vals := range c.When {
		if !oneOf(data[f], vals) {
			return false
		}
	}
	for f, vals := range c.Unless {
		if oneOf(data[f], vals) {
			return false
		}
	}
	for _, f := range c.WhenPresent {
		if v, ok := data[f]; !ok || v == nil {
			return false
		}
	}
	return true
}

// String says the condition in words, for messages: "unless status is open".
func (c Cond) String() string {
	var parts []string
	words := func(m map[string][]any) []string {
		var out []string
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			var vs []string
			for _, v := range m[k] {
				vs = append(vs, Scalar(v))
			}
			out = append(out, k+" is "+strings.Join(vs, " or "))
		}
		return out
	}
	if w := words(c.When); len(w) > 0 {
		parts = append(parts, "when "+strings.Join(w, " and "))
	}
	if w := words(c.Unless); len(w) > 0 {
		parts = append(parts, "unless "+strings.Join(w, " or "))
	}
	if len(c.WhenPresent) > 0 {
		parts = append(parts, "when "+strings.Join(c.WhenPresent, " and ")+" is set")
	}
	return strings.Join(parts, ", ")
}

func oneOf(v any, vals []any) bool {
	switch v.(type) {
	case nil, map[string]any, []any:
		return false
	}
	s := Scalar(v)
	for _, w := range vals {
		ws := Scalar(w)
		if ws == s {
			return true
		}
		// Numbers written differently (1 and 1.0) are the same.
		a, e1 := strconv.ParseFloat(s, 64)
		b, e2 := strconv.ParseFloat(ws, 64)
		if e1 == nil && e2 == nil && a == b {
			return true
		}
	}
	return false
}

// ComputedColumn is a column of a kind's list that no record stores: the
// site computes it from the records, as 'qms status' does.
type ComputedColumn struct {
	Kind  string // the kind whose list may show it
	Title string // its heading
}

// Computed are the computed columns x-qms-columns may name besides the
// kind's properties.
var Computed = map[string]ComputedColumn{
	"qms:objectives_met": {Kind: "test", Title: "Objectives met"},
	"qms:next_due":       {Kind: "supplier", Title: "Next evaluation due"},
	"qms:active":         {Kind: "staff", Title: "Active"},
}

func computedHint(key string) string {
	if key != "x-qms-columns" {
		return ""
	}
	names := make([]string, 0, len(Computed))
	for n, c := range Computed {
		names = append(names, fmt.Sprintf("%s (%s)", n, c.Kind))
	}
	slices.Sort(names)
	return " or of the computed columns " + strings.Join(names, ", ")
}
