package render

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"path"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/yuin/goldmark"

	"github.com/qms-tool/qms/internal/approval"
	"github.com/qms-tool/qms/internal/record"
	"github.com/qms-tool/qms/internal/records"
	"github.com/qms-tool/qms/internal/schema"
	"github.com/qms-tool/qms/internal/status"
)

// Input is what a site is made from.
type Input struct {
	// FS is the repository tree: the working tree, or a commit's tree.
	FS fs.FS
	// Kinds are the record kinds (schema.Load over the same tree).
	Kinds *schema.Set
	// Company is shown in every page's header (qms.yaml company).
	Company string
	// Now is the date the dashboard is computed for, and the time the
	// site says it was made; pass a fixed time (e.g. the commit's) for
	// byte-identical output.
	Now time.Time
	// Commit is the commit rendered, shown on every page; "" for a
	// working tree.
	Commit string
	// Window is the due-soon window of the dashboard, in days (0: 30).
	Window int
	// Released publishes only approved versions (needs Approval).
	Released bool
	// Public publishes only the controlled documents marked public (with
	// Released: as last approved), e.g. the instructions for use.
	Public bool
	// Approval is the verified history; nil when it could not be
	// verified (no trust root): signatures are then shown as unknown.
	Approval *Approval
}

// Approval is the outcome of the approval engine ('qms verify') for the
// rendered tree.
type Approval struct {
	Report *approval.Report
	// States are the records' states at the rendered commit.
	States []approval.State
	// Blob reads an earlier version of a record, for Released.
	Blob func(id string) ([]byte, error)
	// History is every record file's versions, newest first, from one
	// walk of the commit graph; nil leaves the record pages' history out.
	History map[string][]Version
}

// ErrNoApproval is returned by Write when Released is asked for without
// a verified history.
var ErrNoApproval = errors.New("publishing released versions needs the verified history (a trust root)")

// doc is a record as the site shows it: kind, id (the file name when the
// record has none), the whole frontmatter and the body.
type doc struct {
	Path, Kind, ID string
	Data           map[string]any
	Body           []byte
}

// load reads every record of the tree, in path order; files that are no
// records are left out ('qms validate' reports them).
func load(in Input) ([]doc, error) {
	paths, _, err := records.List(in.Kinds, in.FS)
	if err != nil {
		return nil, err
	}
	es, err := records.Load(in.FS, in.Kinds, paths, records.Options{Full: true})
	if err != nil {
		return nil, err
	}
	docs := make([]doc, 0, len(es))
	for _, e := range es {
		if e != nil && !e.Broken {
			docs = append(docs, doc{Path: e.Path, Kind: e.Kind.Name, ID: e.DisplayID(), Data: e.Data, Body: e.Body})
		}
	}
	return docs, nil
}

// index makes the typed views the dashboard is computed from.
func index(kinds *schema.Set, docs []doc) *records.Index {
	es := make([]*records.Entry, len(docs))
	for i, d := range docs {
		es[i] = &records.Entry{Path: d.Path, Kind: kinds.Kinds[d.Kind], ID: d.ID, Fields: records.FieldsOf(d.Data, nil)}
	}
	return records.NewIndex(es)
}

// page is a record as it is published.
type page struct {
	rec     doc
	name    string // site path of its page
	state   string // approved, stale, draft, or "" when unknown
	sigs    []approval.Signature
	note    string // e.g. a newer draft exists
	title   string
	earlier int
	// words are the page's words for the search index, set by the worker
	// that renders the page (indexed: set).
	words   string
	indexed bool
}

// Write renders the site and calls emit for each of its files, in sorted
// order of their slash-separated names. The output depends only on in.
func Write(ctx context.Context, in Input, emit func(name string, data []byte) error) error {
	if in.Released && (in.Approval == nil || in.Approval.Report == nil || in.Approval.Blob == nil) {
		return ErrNoApproval
	}
	if in.Window <= 0 {
		in.Window = 30
	}
	docs, err := load(in)
	if err != nil {
		return err
	}
	pages, err := publish(in, docs)
	if err != nil {
		return err
	}
	if in.Public {
		pages = publicPages(pages)
	}
	published := make([]doc, len(pages))
	for i, p := range pages {
		published[i] = p.rec
	}
	var states []approval.State
	if in.Approval != nil {
		states = in.Approval.States
		if states == nil {
			states = []approval.State{}
		}
	}
	o := status.Options{Now: in.Now, Window: in.Window, Approval: states}
	if o.Signers, err = status.SignersAt(in.FS, in.Kinds, in.Now); err != nil {
		return err
	}
	ix := index(in.Kinds, published)
	rep := status.Compute(ix, o)
	s := &site{in: in, pages: pages, byID: map[string]*page{}, byPath: map[string]*page{}, report: rep}
	s.columns = computedColumns(ix, in.Now)
	for _, p := range pages {
		if _, dup := s.byID[p.rec.ID]; !dup {
			s.byID[p.rec.ID] = p
		}
		s.byPath[p.rec.Path] = p
	}
	s.roles, _, _, _ = s.matrixOf()
	s.sigsByPath, s.stateOf = map[string][]approval.Signature{}, map[string]*approval.State{}
	if a := in.Approval; a != nil && a.Report != nil {
		for _, g := range a.Report.Signatures {
			s.sigsByPath[g.Path] = append(s.sigsByPath[g.Path], g)
		}
		for i := range a.States {
			s.stateOf[a.States[i].Path] = &a.States[i]
		}
	}
	files := map[string][]byte{}
	files["style.css"] = []byte(strings.TrimPrefix(css, "\n"))
	files["index.html"] = s.index()
	files["status.html"] = s.dashboard()
	for _, k := range s.kinds() {
		files["kinds/"+k+".html"] = s.kindPage(k)
	}
	if err := s.extras(ix, files); err != nil {
		return err
	}
	files[AuditFile] = s.auditTrail()
	files[AuditScript] = []byte(auditJS)
	files[SortScript] = []byte(sortJS)
	files[SearchFile] = s.searchPage()
	files[SearchScript] = []byte(searchJS)
	files[SearchIndexFile] = nil // made once every page has its words: see emitSmall
	// The few site pages, then the record pages in chunks rendered in
	// parallel and emitted in order, so that a large site is never held
	// whole in memory.
	small := make([]string, 0, len(files))
	for n := range files {
		small = append(small, n)
	}
	sort.Strings(small)
	sort.SliceStable(pages, func(i, j int) bool { return pages[i].name < pages[j].name })
	emitSmall := func(upTo string) error {
		for len(small) > 0 && (upTo == "" || small[0] < upTo) {
			if small[0] == SearchIndexFile {
				b, err := s.searchIndex()
				if err != nil {
					return err
				}
				files[SearchIndexFile] = b
			}
			if err := emit(small[0], files[small[0]]); err != nil {
				return err
			}
			small = small[1:]
		}
		return nil
	}
	const chunk = 256
	out := make([][]byte, chunk)
	errs := make([]error, chunk)
	workers := runtime.GOMAXPROCS(0)
	mds := make([]goldmark.Markdown, workers)
	for i := range mds {
		mds[i] = newMarkdown()
	}
	for lo := 0; lo < len(pages); lo += chunk {
		hi := min(lo+chunk, len(pages))
		var wg sync.WaitGroup
		next := make(chan int)
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(md goldmark.Markdown) {
				defer wg.Done()
				for i := range next {
					out[i-lo], errs[i-lo] = s.recordPage(md, pages[i])
					pages[i].words, pages[i].indexed = searchWords(pages[i]), true
				}
			}(mds[w])
		}
		for i := lo; i < hi; i++ {
			next <- i
		}
		close(next)
		wg.Wait()
		for i := lo; i < hi; i++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			if errs[i-lo] != nil {
				return fmt.Errorf("render %s: %w", pages[i].rec.Path, errs[i-lo])
			}
			if err := emitSmall(pages[i].name); err != nil {
				return err
			}
			if err := emit(pages[i].name, out[i-lo]); err != nil {
				return err
			}
			out[i-lo] = nil
		}
	}
	return emitSmall("")
}

// publish decides what each record's page shows: the current version, or
// with Released its last approved version (records never approved are
// left out).
func publish(in Input, recs []doc) ([]*page, error) {
	stateOf := map[string]*approval.State{}
	if in.Approval != nil {
		for i := range in.Approval.States {
			stateOf[in.Approval.States[i].Path] = &in.Approval.States[i]
		}
	}
	var sigsByPath map[string][]approval.Signature
	if in.Released {
		sigsByPath = map[string][]approval.Signature{}
		for _, s := range in.Approval.Report.Signatures {
			sigsByPath[s.Path] = append(sigsByPath[s.Path], s)
		}
	}
	var out []*page
	for _, r := range recs {
		p := &page{rec: r, name: pageName(r)}
		st := stateOf[r.Path]
		if st != nil {
			p.state, p.sigs, p.earlier = st.State, st.Signatures, st.Earlier
		}
		if in.Released && p.state != approval.Approved {
			blob, sigs, when := lastApproved(in.Approval, r, sigsByPath[r.Path])
			if blob == "" {
				continue
			}
			b, err := in.Approval.Blob(blob)
			if err != nil {
				return nil, fmt.Errorf("%s: read the approved version %s: %w", r.Path, blob, err)
			}
			old, _ := record.Parse(r.Path, b)
			if old == nil {
				continue
			}
			p.rec.Data, p.rec.Body = old.Data, old.Body
			p.state, p.sigs, p.earlier = approval.Approved, sigs, 0
			now := approval.Draft
			if st != nil {
				now = st.State
			}
			p.note = fmt.Sprintf("This is the version approved on %s. A newer version exists that is not approved yet (%s).",
				when.UTC().Format("2006-01-02 15:04 UTC"), now)
		}
		p.title = titleOf(p.rec)
		out = append(out, p)
	}
	return out, nil
}

// lastApproved finds the latest earlier version of r whose signatures
// meet the matrix, and returns its blob, those signatures and the time of
// the last one.
func lastApproved(a *Approval, r doc, sigs []approval.Signature) (string, []approval.Signature, time.Time) {
	byBlob := map[string][]approval.Signature{}
	var blobs []string
	for _, s := range sigs {
		if _, ok := byBlob[s.Blob]; !ok {
			blobs = append(blobs, s.Blob)
		}
		byBlob[s.Blob] = append(byBlob[s.Blob], s)
	}
	var best string
	var bestTime time.Time
	for _, b := range blobs {
		if !approves(a.Report, r.Path, r.Kind, b, byBlob[b]) {
			continue
		}
		var last time.Time
		for _, s := range byBlob[b] {
			if s.Time.After(last) {
				last = s.Time
			}
		}
		if best == "" || last.After(bestTime) || last.Equal(bestTime) && b > best {
			best, bestTime = b, last
		}
	}
	if best == "" {
		return "", nil, time.Time{}
	}
	return best, byBlob[best], bestTime
}

// approves reports whether signatures over one content of a record meet
// the matrix, as verification judges them.
func approves(rep *approval.Report, path, kind, blob string, sigs []approval.Signature) bool {
	if blob == "" || len(sigs) == 0 {
		return false
	}
	e := rep.Evidence()
	e.Signatures = sigs
	st := approval.States([]approval.Record{{Path: path, Kind: kind, Blob: blob}}, e)
	return len(st) == 1 && st[0].State == approval.Approved
}

// pageName is where a record's page lives: records/<kind>/<file>.html.
func pageName(r doc) string {
	base := strings.TrimSuffix(path.Base(r.Path), ".md")
	return "records/" + r.Kind + "/" + base + ".html"
}

func titleOf(r doc) string {
	for _, k := range []string{"title", "name"} {
		if s, ok := r.Data[k].(string); ok && s != "" {
			return s
		}
	}
	return ""
}

// site holds what every page needs.
type site struct {
	in     Input
	pages  []*page
	byID   map[string]*page
	byPath map[string]*page
	report *status.Report
	// roles are the matrix's role titles by code.
	roles map[string]string
	// sigsByPath and stateOf index the verified signatures and states.
	sigsByPath map[string][]approval.Signature
	stateOf    map[string]*approval.State
	// columns are the computed list columns' cells, by column and path.
	columns map[string]map[string]cell
}

// kinds lists the kinds in the schema set's order, those with no
// published record included (they still get a page, saying so).
func (s *site) kinds() []string {
	return append([]string{}, s.in.Kinds.Names...)
}

func (s *site) ofKind(k string) []*page {
	var out []*page
	for _, p := range s.pages {
		if p.rec.Kind == k {
			out = append(out, p)
		}
	}
	return out
}

// rel is the relative href from page `from` to site file `to`.
func rel(from, to string) string {
	depth := strings.Count(from, "/")
	return strings.Repeat("../", depth) + escapePath(to)
}

func escapePath(p string) string {
	parts := strings.Split(p, "/")
	for i, x := range parts {
		parts[i] = pathEscape(x)
	}
	return strings.Join(parts, "/")
}

// pathEscape escapes a path segment for an href.
func pathEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// layout wraps a page's content.
func (s *site) layout(name, title string, body template.HTML) []byte {
	var b bytes.Buffer
	company, home := h(s.in.Company), h(s.in.Company)
	if company != "" {
		company = " · " + company
	} else {
		home = "Quality records"
	}
	released, commit := "", ""
	if s.in.Released {
		released = ` · <span class="badge approved">released versions only</span>`
	}
	if s.in.Commit != "" {
		commit = " from commit <code>" + h(s.in.Commit) + "</code>"
	}
	fmt.Fprintf(&b, `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>%s%s</title>
<link rel="stylesheet" href="%s">
</head>
<body>
<header><a href="%s">%s</a> · <a href="%s">Status</a> · <a href="%s">Audit trail</a>%s %s</header>
<main>
%s
</main>
<footer>Made by qms on %s%s.</footer>
</body>
</html>
`, h(title), company, rel(name, "style.css"), rel(name, "index.html"), home, rel(name, "status.html"), rel(name, AuditFile), released, searchForm(name),
		body, s.in.Now.UTC().Format("2006-01-02 15:04 UTC"), commit)
	return b.Bytes()
}

const css = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:0;color:#1b1f24;line-height:1.45}
header,footer{background:#f3f5f7;padding:.6em 1.2em;font-size:.9em}
footer{color:#555;margin-top:2em}
main{max-width:62em;padding:0 1.2em}
table{border-collapse:collapse;margin:.6em 0}
th,td{border:1px solid #c9d0d6;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f3f5f7}
td.num{text-align:right}
code{font-size:.92em}
.badge{display:inline-block;padding:0 .4em;border-radius:.3em;font-size:.85em;background:#e4e8eb}
.approved,.ok,.pass{background:#d6f0dc}
.draft,.due-soon,.never-run{background:#fff1c7}
.stale,.overdue,.missed,.fail{background:#fbd5d5}
.note{border-left:.3em solid #e0a800;padding:.3em .8em;background:#fff8e0}
.signatures{border:2px solid #1b1f24;padding:.4em .9em;margin:1.5em 0}
svg text{font-family:inherit;font-size:11px}
form.qms-find{display:inline-block;margin-left:1em}
form.qms-find input,#qms-search-form input{font:inherit;padding:.15em .3em}
#qms-search-form label{display:block;margin:.4em 0 .2em}
#qms-results .kind{color:#555}
.wide{overflow-x:auto}
p.guidance{color:#4a525a;border-left:.3em solid #c9d0d6;padding-left:.6em}
p.guidance::before{content:"Not filled in (the template's guidance): ";font-style:normal;font-weight:600}
pre.diff{background:#f6f8fa;padding:.5em;overflow-x:auto;font-size:.85em}
pre.diff ins{background:#d6f0dc;text-decoration:none}
pre.diff del{background:#fbd5d5;text-decoration:line-through}
dl.facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(13em,1fr));gap:.3em 1.2em;margin:.8em 0;padding:.6em .9em;background:#f3f5f7;border-radius:.3em}
dl.facts dt{font-size:.82em;color:#4a525a}
dl.facts dd{margin:0;font-weight:600}
.utc,small{color:#4a525a}
table.list th button{font:inherit;font-weight:600;background:none;border:0;padding:0;cursor:pointer;color:inherit;text-align:left}
table.list th[aria-sort=ascending] button::after{content:" \25B2"}
table.list th[aria-sort=descending] button::after{content:" \25BC"}
table.data th{font-weight:normal;color:#33393f;white-space:nowrap}
form.filter label{margin:0 .3em 0 .8em}
form.filter select{font:inherit}
tr[hidden]{display:none}
@page{size:A4;margin:18mm 15mm 20mm;@bottom-right{content:"Page " counter(page) " of " counter(pages);font-size:9pt;color:#333}}
@media print{.signatures table{font-size:8.5pt;width:100%}.signatures td:nth-child(-n+4),.signatures th{white-space:nowrap}.signatures td:nth-child(n+5) code{font-size:7pt;word-break:break-all}header,nav,form.qms-find,form.filter,.noprint{display:none}footer{background:none;margin-top:1em}main{max-width:none;padding:0}a{color:inherit;text-decoration:none}.signatures{break-before:page;break-inside:avoid}tr,dl.facts div{break-inside:avoid}h1,h2,h3{break-after:avoid}dl.facts{background:none;border:1px solid #888}.wide{overflow:visible}}
`
