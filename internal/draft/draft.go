package draft

import (
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/qms-tool/qms/internal/record"
	"github.com/qms-tool/qms/internal/records"
	"github.com/qms-tool/qms/internal/schema"
	"github.com/qms-tool/qms/internal/vcs"
)

// Repo is what new records are composed against.
type Repo struct {
	// FS is the repository's tree: its templates/ and its records.
	FS fs.FS
	// Paths are the existing records (records.List), for the next
	// sequence number.
	Paths []string
	// Index holds the existing records.
	Index *records.Index
	// Now is the time the record is made.
	Now time.Time
	// Staged lists the files in the index under a folder, nil outside
	// Git: a record staged and then deleted from the working tree keeps
	// its id.
	Staged interface {
		Paths(dir string) ([]string, error)
	}
	// Git is the repository's branches, nil outside Git: an id that a
	// local or remote-tracking branch uses is not free either, so two
	// people on two branches do not both create the same id.
	Git Branches
	// GitPrefix is where the repository's root is in the Git working
	// tree, a slash path ("" at its top), for reading Staged and Git.
	GitPrefix string
}

// Branches is what Start reads other branches' ids from (a *vcs.Repo):
// the branch tips, the tree of a folder at a commit, the file names in a
// tree.
type Branches interface {
	Branches() ([]vcs.Tip, error)
	Folder(commit, dir string) (string, error)
	EachFile(tree string, fn func(name []byte)) error
}

// Taken is an id Start stepped over: the working tree does not have it,
// but the index or other branches do.
type Taken struct {
	ID string
	// Branches name the branches that use it (feature-x, origin/feature-x).
	Branches []string
	// Staged is set when the index has it.
	Staged bool
}

// Unread is a place whose ids Start could not read, and why: the ids it
// uses may be given again.
type Unread struct {
	Where string // "branch origin/feature-x", "the index", "the branches"
	Err   error
}

// Request is what the user asks for.
type Request struct {
	Kind *schema.Kind
	// Title and Level fill the template's .Title and .Level (Level picks
	// an incident level's template); they are also set as fields.
	Title, Level string
	// ID names the record; when empty, the kind's x-qms-id does.
	ID string
	// Sets are fields to set, in order, after the derived ones.
	Sets []Set
	// Email is the user's (git user.email): the staff member with it is
	// the record's author.
	Email string
}

// Set is one field to set: Key is a path of mapping keys.
type Set struct {
	Key   []string
	Value any
}

// Data is what record templates see (templates/README.md).
type Data struct {
	ID, Kind, Title, Level string
	Now, Today             string
	Year                   int
	Author                 string
	Plan                   string
}

// Draft is a record ready to be written.
type Draft struct {
	ID string
	// Path is where it goes, relative to the root.
	Path    string
	Content []byte
}

// Maker makes the drafts of one request: the record with the next free
// id, then (Retry) with the one after it when that was taken.
type Maker struct {
	repo *Repo
	req  Request
	// Data is what the template sees; Data.ID is set by Draft.
	Data  Data
	base  []byte // content to start from instead of the template
	sets  []Set  // derived values, then the request's
	seq   int    // the sequence number of an allocated id, 0 if none
	tries int
	// Skipped are the ids the first allocated id stepped over; Unread the
	// branches that could not be read.
	Skipped []Taken
	Unread  []Unread
}

// maxTries bounds how many taken ids Retry steps over.
const maxTries = 1000

// Start prepares the record of req: its template data, the values it
// derives from existing records, and the first free sequence number.
func (r *Repo) Start(req Request) (*Maker, error) {
	k := req.Kind
	m := &Maker{repo: r, req: req}
	m.Data = Data{Kind: k.Name, Title: req.Title, Level: req.Level,
		Now: r.Now.Format(time.RFC3339), Today: r.Now.Format(time.DateOnly), Year: r.Now.Year()}
	if p := r.Index.InForce(m.Data.Today); p != nil {
		m.Data.Plan = p.DisplayID()
	}
	if req.Email != "" {
		m.Data.Author = r.Index.StaffByEmail(req.Email)
	}
	var sets []Set
	if req.Title != "" {
		sets = append(sets, Set{[]string{"title"}, req.Title})
	}
	if req.Level != "" {
		sets = append(sets, Set{[]string{"level"}, req.Level})
	}
	sets = append(sets, req.Sets...)
	// Derived values come first so that what the user sets wins.
	base, derived, err := r.derive(k, sets)
	if err != nil {
		return nil, err
	}
	m.base, m.sets = base, append(derived, sets...)
	if req.ID == "" {
		if re := k.SeqPattern(r.Now.Year()); re != nil {
			m.seq = nextSeq(r.Paths, k, re)
			m.seq, m.Skipped, m.Unread = r.elsewhere(k, re, m.seq)
		}
	}
	return m, nil
}

// Retry moves to the next sequence number after the id of the last draft
// turned out to be taken. It reports false when the id is not allocated
// (given, or named by fields) or too many were taken.
func (m *Maker) Retry() bool {
	if m.seq == 0 || m.tries >= maxTries {
		return false
	}
	m.seq++
	m.tries++
	return true
}

// Draft composes the record with the current id.
func (m *Maker) Draft() (*Draft, error) {
	id, err := m.id()
	if err != nil {
		return nil, err
	}
	m.Data.ID = id
	content, err := m.render()
	if err != nil {
		return nil, err
	}
	return &Draft{ID: id, Path: path.Join(m.req.Kind.Folder, id+".md"), Content: content}, nil
}

// derive returns the starting content (nil: the template) and the values
// taken from other records: the previous run of a test, the revision a
// new plan revision supersedes.
func (r *Repo) derive(k *schema.Kind, sets []Set) ([]byte, []Set, error) {
	given := map[string]any{}
	for _, s := range sets {
		if len(s.Key) == 1 {
			given[s.Key[0]] = s.Value
		}
	}
	switch k.Name {
	case records.KindTest:
		test, _ := given["test"].(string)
		if test == "" {
			return nil, nil, nil
		}
		if _, ok := given["previous"]; ok {
			return nil, nil, nil
		}
		if prev := r.previousRun(test); prev != "" {
			return nil, []Set{{[]string{"previous"}, prev}}, nil
		}
	case records.KindPlan:
		doc, _ := given["document"].(string)
		next := r.Now.AddDate(1, 0, 0).Format(time.DateOnly)
		prev := r.currentRevision(doc)
		if prev == nil {
			return nil, []Set{{[]string{"next_review"}, next}}, nil
		}
		b, err := records.ReadFile(r.FS, prev.Path)
		if err != nil {
			return nil, nil, err
		}
		return b, []Set{
			{[]string{"revision"}, int64(prev.Revision) + 1},
			{[]string{"supersedes"}, prev.ID},
			{[]string{"effective"}, r.Now.Format(time.DateOnly)},
			{[]string{"next_review"}, next},
			{[]string{"reason"}, "periodic"},
		}, nil
	}
	return nil, nil, nil
}

// previousRun is the latest run of the test started before now.
func (r *Repo) previousRun(test string) string {
	best, bestAt := "", ""
	for _, t := range r.Index.Tests {
		if textID(t.Entry) == "" || t.Test != test {
			continue
		}
		if at, err := time.Parse(time.RFC3339, t.StartedAt); err == nil && at.Before(r.Now) && t.StartedAt > bestAt {
			best, bestAt = t.ID, t.StartedAt
		}
	}
	return best
}

// currentRevision is the plan revision with the highest number, of the
// document doc when it is given.
func (r *Repo) currentRevision(doc string) *records.Plan {
	var prev *records.Plan
	for _, p := range r.Index.Plans {
		if textID(p.Entry) == "" || doc != "" && p.Document != doc {
			continue
		}
		if prev == nil || p.Revision > prev.Revision || p.Revision == prev.Revision && p.Document < prev.Document {
			prev = p
		}
	}
	return prev
}

func nextSeq(paths []string, k *schema.Kind, re *regexp.Regexp) int {
	last := 0
	for _, p := range paths {
		if path.Dir(p) != k.Folder {
			continue
		}
		if n := seqOf(re, path.Base(p)); n > last {
			last = n
		}
	}
	return last + 1
}

// seqOf is the sequence number of a record's file name, 0 if it has none.
func seqOf(re *regexp.Regexp, name string) int {
	stem, ok := strings.CutSuffix(name, ".md")
	if !ok {
		return 0
	}
	m := re.FindStringSubmatch(stem)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// elsewhere moves the sequence number seq, the next after the working
// tree's records, past the ids the index and every branch tip use in the
// kind's folder, and says which ids it stepped over and where they are.
// It reads file names only, never a record.
func (r *Repo) elsewhere(k *schema.Kind, re *regexp.Regexp, seq int) (int, []Taken, []Unread) {
	where := map[int]*Taken{}
	last := seq - 1
	note := func(n int, branch string) {
		if n == 0 {
			return
		}
		t := where[n]
		if t == nil {
			t = &Taken{ID: k.FormatID(nil, r.Now.Year(), n)}
			where[n] = t
		}
		if branch == "" {
			t.Staged = true
		} else if len(t.Branches) == 0 || t.Branches[len(t.Branches)-1] != branch {
			t.Branches = append(t.Branches, branch)
		}
		last = max(last, n)
	}
	var unread []Unread
	folder := path.Join(r.GitPrefix, k.Folder)
	if r.Staged != nil {
		ps, err := r.Staged.Paths(folder)
		if err != nil {
			unread = append(unread, Unread{Where: "the index", Err: err})
		}
		for _, p := range ps {
			if path.Dir(p) == folder {
				note(seqOf(re, path.Base(p)), "")
			}
		}
	}
	if r.Git != nil {
		tips, err := r.Git.Branches()
		if err != nil {
			unread = append(unread, Unread{Where: "the branches", Err: err})
		}
		// Branches often share a tip, or a folder's tree, and trees share
		// most names: each is read, and each name matched, once.
		folders := map[string]string{} // commit -> the folder's tree id
		found := map[string][]int{}    // tree id -> its sequence numbers from seq on
		seqs := map[string]int{}       // file name -> its sequence number
		for _, tip := range tips {
			tree, ok := folders[tip.Commit]
			if !ok {
				if tree, err = r.Git.Folder(tip.Commit, folder); err != nil {
					unread = append(unread, Unread{Where: "branch " + tip.Name, Err: err})
				}
				folders[tip.Commit] = tree
			}
			if tree == "" {
				continue
			}
			ns, ok := found[tree]
			if !ok {
				err := r.Git.EachFile(tree, func(name []byte) {
					n, ok := seqs[string(name)]
					if !ok {
						n = seqOf(re, string(name))
						seqs[string(name)] = n
					}
					if n >= seq {
						ns = append(ns, n)
					}
				})
				if err != nil {
					unread = append(unread, Unread{Where: "branch " + tip.Name, Err: err})
				}
				found[tree] = ns
			}
			for _, n := range ns {
				note(n, tip.Name)
			}
		}
	}
	var skipped []Taken
	for n := seq; n <= last; n++ {
		if t := where[n]; t != nil {
			skipped = append(skipped, *t)
		}
	}
	return last + 1, skipped, unread
}

// IDError is returned for a given id that cannot name a file.
type IDError struct{ ID string }

func (e *IDError) Error() string { return fmt.Sprintf("%q is not a usable file name", e.ID) }

// NameFieldError is returned when a record named by its fields
// (x-qms-id "{document}-r{revision}") lacks one of them.
type NameFieldError struct{ Kind, Template, Field string }

func (e *NameFieldError) Error() string {
	return fmt.Sprintf("a %s is named %s: %s is missing", e.Kind, e.Template, e.Field)
}

// NamedByPeopleError is returned when a kind's records have no id scheme
// (staff handles) and no id was given.
type NamedByPeopleError struct{ Kind string }

func (e *NamedByPeopleError) Error() string { return e.Kind + " records are named by people" }

// SetError is returned when a field cannot be set.
type SetError struct {
	Key []string
	Err error
}

func (e *SetError) Error() string { return fmt.Sprintf("%s: %v", strings.Join(e.Key, "."), e.Err) }
func (e *SetError) Unwrap() error { return e.Err }

func (m *Maker) id() (string, error) {
	k := m.req.Kind
	switch {
	case m.req.ID != "":
		if !fs.ValidPath(m.req.ID+".md") || strings.Contains(m.req.ID, "/") {
			return "", &IDError{m.req.ID}
		}
		return m.req.ID, nil
	case m.seq > 0:
		return k.FormatID(nil, m.repo.Now.Year(), m.seq), nil
	case k.IDTemplate != "":
		// Named by fields ({document}-r{revision}): fill them from the
		// template and the sets, then name the record.
		content, err := m.render()
		if err != nil {
			return "", err
		}
		r, _ := record.Parse("", content)
		if r == nil {
			return "", fmt.Errorf("template for %s does not render a record", k.Name)
		}
		for _, f := range placeholderFields(k.IDTemplate) {
			if schema.Scalar(r.Data[f]) == "" {
				return "", &NameFieldError{k.Name, k.IDTemplate, f}
			}
		}
		return k.FormatID(r.Data, m.repo.Now.Year(), 0), nil
	}
	return "", &NamedByPeopleError{k.Name}
}

// textID is the record's id field when it is text.
func textID(e *records.Entry) string {
	s, _ := e.Fields.Get("id").(string)
	return s
}

var fieldPlaceholder = regexp.MustCompile(`\{([a-z_]+)\}`)

func placeholderFields(t string) []string {
	var out []string
	for _, m := range fieldPlaceholder.FindAllStringSubmatch(t, -1) {
		if m[1] != "year" && m[1] != "seq" {
			out = append(out, m[1])
		}
	}
	return out
}

// render makes the record's text: the template (or base) with the id
// written in and the sets applied.
func (m *Maker) render() ([]byte, error) {
	k := m.req.Kind
	content := m.base
	if content == nil {
		src, name, err := Template(m.repo.FS, k.Name, m.Data.Level)
		if err != nil {
			return nil, err
		}
		t, err := template.New(name).Option("missingkey=zero").Funcs(template.FuncMap{
			"yaml": func(v any) string { return record.Flow(v) },
		}).Parse(string(src))
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		var b bytes.Buffer
		if err := t.Execute(&b, m.Data); err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		content = b.Bytes()
	}
	var err error
	if content, err = record.Set(content, []string{"id"}, m.Data.ID); err != nil {
		return nil, fmt.Errorf("template for %s: %w", k.Name, err)
	}
	for _, s := range m.sets {
		if content, err = record.Set(content, s.Key, s.Value); err != nil {
			return nil, &SetError{s.Key, err}
		}
	}
	return content, nil
}

// Advice says which field a finding about a draft is about, and the shape
// of a value for it.
type Advice struct {
	// Field is the top-level field the finding's line belongs to, "" for
	// the body or the fences.
	Field string
	// Placeholder shows the shape of a value (VALUE, [VALUE, ...]), with
	// the choices the plan in force offers where it names them.
	Placeholder string
}

// Advise explains a finding about the draft d.
func (m *Maker) Advise(d *Draft, line int) Advice {
	lines := strings.Split(string(d.Content), "\n")
	a := Advice{Field: keyAt(lines, line)}
	r, _ := record.Parse("", d.Content)
	a.Placeholder = m.placeholder(r, a.Field)
	if shape := templateShape(lines, r, a.Field); shape != "" && !strings.Contains(a.Placeholder, "(") {
		a.Placeholder = shape
	}
	return a
}

func (m *Maker) placeholder(r *record.Record, key string) string {
	var cur any
	if r != nil {
		cur = r.Data[key]
	}
	k := m.req.Kind
	plan := m.repo.Index.Plan(m.Data.Plan)
	var services, tests []string
	if plan != nil {
		services = plan.Services()
		ts, _ := plan.Fields.Get("tests").([]any)
		for _, t := range ts {
			m, _ := t.(map[string]any)
			if id, ok := m["id"].(string); ok {
				tests = append(tests, id)
			}
		}
	}
	switch {
	case k.Name == records.KindIncident && key == "services" && len(services) > 0:
		return fmt.Sprintf("[SERVICE, ...] (services of %s: %s)", m.Data.Plan, strings.Join(services, ", "))
	case k.Name == records.KindTest && key == "results" && len(services) > 0:
		return fmt.Sprintf("'{SERVICE: {rto_minutes: N, rpo_minutes: N}, ...}' (services of %s: %s)", m.Data.Plan, strings.Join(services, ", "))
	case k.Name == records.KindTest && key == "test" && len(tests) > 0:
		return fmt.Sprintf("ID (tests of %s: %s)", m.Data.Plan, strings.Join(tests, ", "))
	}
	switch cur.(type) {
	case []any:
		return "[VALUE, ...]"
	case map[string]any:
		return "'{KEY: VALUE, ...}'"
	}
	return "VALUE"
}

var keyLine = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_-]*):`)

// keyAt returns the top-level frontmatter key whose block holds line.
func keyAt(lines []string, line int) string {
	for i := line - 1; i >= 1 && i < len(lines); i-- {
		if m := keyLine.FindStringSubmatch(lines[i]); m != nil {
			return m[1]
		}
		if strings.TrimSpace(lines[i]) == "---" {
			break
		}
	}
	return ""
}
