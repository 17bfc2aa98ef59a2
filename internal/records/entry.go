package records

import (
	"path"
	"strings"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/schema"
)

// Entry is one record as the layers above read it: where it is, its kind
// and id, the frontmatter fields they use, and what checking the file on
// its own found.
type Entry struct {
	Path string
	Kind *schema.Kind
	// ID is the id as written; "" when it is not text. A record without
	// an id field takes its file name.
	ID string
	// Fields are the frontmatter's top-level fields that the rules across
	// records and the typed views read (Fields of the kinds), or all of
	// them when loaded with Options.Full.
	Fields Fields
	// Refs are the values on which the kind's keywords that need other
	// records apply (schema.Site.Cross), for the rules across records.
	Refs []Ref
	// Findings are what Options.Check and parsing found in the file.
	Findings []qms.Finding
	// Broken is set for a file that could not be read as a record: its id
	// (from the file name) still exists, so that references to it are not
	// reported as missing too, but nothing is known of its content.
	Broken bool
	// Data and Body are the whole frontmatter and the markdown body, kept
	// only with Options.Full.
	Data map[string]any
	Body []byte
}

// Ref is a text value on which a keyword that needs other records applies:
// a reference, a previous run, a service, a role, a key file...
type Ref struct {
	Site *schema.Site
	// Ptr is where the value is: JSON pointer tokens joined by "/".
	Ptr   string
	Value string
}

// refs finds the values in data on which k's keywords that need other
// records apply.
func refs(k *schema.Kind, data map[string]any) []Ref {
	var out []Ref
	for i := range k.Sites {
		s := &k.Sites[i]
		if !s.Cross() {
			continue
		}
		s.Visit(data, func(ptr []string, v any) {
			if str, ok := v.(string); ok {
				out = append(out, Ref{Site: s, Ptr: strings.Join(ptr, "/"), Value: str})
			}
		})
	}
	return out
}

// Stem is the record's file name without .md.
func (e *Entry) Stem() string { return strings.TrimSuffix(path.Base(e.Path), ".md") }

// DisplayID is the id people see: the id when it is text, else the file
// name.
func (e *Entry) DisplayID() string {
	if e.ID != "" {
		return e.ID
	}
	return e.Stem()
}

// NewEntry makes the entry of a parsed record: its id from the data (the
// file name when there is no id field), its fields filtered by keep (all
// when keep is nil), its refs.
func NewEntry(k *schema.Kind, p string, data map[string]any, keep map[string]bool) *Entry {
	e := &Entry{Kind: k, Path: p, Fields: FieldsOf(data, keep), Refs: refs(k, data)}
	e.ID, _ = data["id"].(string)
	if e.ID == "" && data["id"] == nil {
		e.ID = e.Stem()
	}
	return e
}

// brokenEntry stands for a file that is no record.
func brokenEntry(k *schema.Kind, p string, fs []qms.Finding) *Entry {
	e := &Entry{Kind: k, Path: p, Findings: fs, Broken: true}
	e.ID = e.Stem()
	return e
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

// Lookup returns the value of the named field and whether there is one.
func (fs Fields) Lookup(name string) (any, bool) {
	for _, f := range fs {
		if f.Name == name {
			return f.Value, true
		}
	}
	return nil, false
}

// Map returns the fields as a map.
func (fs Fields) Map() map[string]any {
	m := make(map[string]any, len(fs))
	for _, f := range fs {
		m[f.Name] = f.Value
	}
	return m
}

// FieldsOf lists data's fields named in keep (all when keep is nil).
func FieldsOf(data map[string]any, keep map[string]bool) Fields {
	out := make(Fields, 0, len(data))
	for name, v := range data {
		if keep == nil || keep[name] {
			out = append(out, Field{name, v})
		}
	}
	return out
}
