package record

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/qms-tool/qms"
)

// MaxSize is the largest record qms reads (4 MiB). A record is a document
// people write; anything larger is almost certainly a mistake or an attack,
// and refusing it keeps validation fast and memory bounded.
const MaxSize = 4 << 20

// MaxFrontmatter is the largest frontmatter qms parses (64 KiB): records'
// fields take a few kilobytes, while the YAML parser's time grows faster
// than linearly on some large inputs (a hundred thousand keys take it
// close to a minute), so a hostile file could otherwise hang validation.
const MaxFrontmatter = 64 << 10

// maxDepth bounds nesting in frontmatter; records are shallow, and deep
// nesting is a way to exhaust the parser.
const maxDepth = 64

// Pos is a 1-based line and column in a record file.
type Pos struct {
	Line, Col int
}

// Record is a parsed record file. It is not safe for concurrent use.
type Record struct {
	// Path is the slash-separated path relative to the repository root.
	Path string
	// Data is the frontmatter as JSON-compatible values: map[string]any,
	// []any, string, int64, uint64, float64, bool and nil.
	Data map[string]any
	// Body is the markdown after the closing fence, with LF line endings.
	Body []byte
	// BodyLine is the file line on which Body starts.
	BodyLine int

	front  []byte   // frontmatter text, LF line endings, for Locate
	root   ast.Node // parsed front, or nil once compacted
	parsed bool     // root is current (it may be nil for empty frontmatter)
}

// Parse reads one record. It returns a nil Record when the file cannot be
// read as a record at all (the findings say why); otherwise a Record with
// whatever data could be recovered, plus findings for anything wrong.
func Parse(path string, src []byte) (*Record, []qms.Finding) {
	var fs []qms.Finding
	add := func(line, col int, rule, msg, hint string) {
		fs = append(fs, qms.Finding{Path: path, Line: line, Column: col, Rule: rule, Severity: qms.Error, Message: msg, Hint: hint})
	}
	if len(src) > MaxSize {
		// Sources stop reading one byte past the limit.
		add(1, 1, "too-large", fmt.Sprintf("file is larger than %d bytes (4 MiB), the limit for a record", MaxSize), "split the record or move attachments out of records/")
		return nil, fs
	}
	if i := bytes.IndexByte(src, 0); i >= 0 {
		l, c := lineCol(src, i)
		add(l, c, "binary", "file contains a NUL byte: this is not a text record", "records must be UTF-8 markdown; move binary files out of records/")
		return nil, fs
	}
	if bytes.HasPrefix(src, []byte("\xef\xbb\xbf")) {
		src = src[3:]
		fs = append(fs, qms.Finding{Path: path, Line: 1, Column: 1, Rule: "bom", Severity: qms.Warning,
			Message: "file starts with a UTF-8 byte-order mark", Hint: "save the file as UTF-8 without BOM"})
	}
	if !utf8.Valid(src) {
		i := firstInvalid(src)
		l, c := lineCol(src, i)
		add(l, c, "encoding", fmt.Sprintf("invalid UTF-8 byte 0x%02x", src[i]), "save the file as UTF-8")
		return nil, fs
	}
	if bytes.Contains(src, []byte("\r\n")) {
		src = bytes.ReplaceAll(src, []byte("\r\n"), []byte("\n"))
	}
	front, body, bodyLine, ok := split(src)
	if !ok {
		if !isFence(firstLine(src)) {
			add(1, 1, "frontmatter-missing", "record does not start with a '---' frontmatter fence", "put the record's fields between two '---' lines at the top of the file")
		} else {
			add(1, 1, "frontmatter-unclosed", "frontmatter opened on line 1 is never closed", "end the frontmatter with a line holding only '---'")
		}
		return nil, fs
	}
	if len(front) > MaxFrontmatter {
		add(1, 1, "too-large", fmt.Sprintf("frontmatter is %d bytes, more than the %d-byte limit", len(front), MaxFrontmatter),
			"records keep their data in a few fields; move long text into the body")
		return nil, fs
	}
	r := &Record{Path: path, Body: body, BodyLine: bodyLine, front: front}
	// The plain frontmatter most records have is read without the YAML
	// parser (and nests far less than maxDepth); Locate parses it when a
	// finding needs a position.
	if m, ok := fastYAML(front); ok {
		r.Data = m
		return r, fs
	}
	if d, l := flowDepth(front); d > maxDepth {
		add(l+2, 1, "yaml-depth", fmt.Sprintf("frontmatter nests deeper than %d levels", maxDepth), "")
		return nil, fs
	}
	root, err := parseYAML(front)
	if err != nil {
		l, c := 1, 1
		msg := err.Error()
		if ye, ok := err.(yaml.Error); ok {
			msg = ye.GetMessage()
			if t := ye.GetToken(); t != nil && t.Position != nil {
				l, c = t.Position.Line+1, t.Position.Column
			}
		}
		if m := dupKey.FindStringSubmatch(msg); m != nil {
			first, _ := strconv.Atoi(m[2])
			add(l, c, "yaml-duplicate-key", fmt.Sprintf("key %q appears more than once (first on line %d)", m[1], first+1), "keep one of them")
			return nil, fs
		}
		add(l, c, "yaml-syntax", "frontmatter is not valid YAML: "+msg, quoteHint(front, l))
		return nil, fs
	}
	r.root, r.parsed = root, true
	if root == nil {
		r.Data = map[string]any{}
		return r, fs
	}
	c := converter{path: path}
	v := c.value(root, 0)
	fs = append(fs, c.findings...)
	m, isMap := v.(map[string]any)
	if !isMap {
		if len(c.findings) == 0 {
			p := nodePos(root)
			add(p.Line, p.Col, "frontmatter-type", "frontmatter must be a mapping of 'field: value' lines", "")
		}
		m = map[string]any{}
	}
	r.Data = m
	return r, fs
}

// Locate returns the position of the value at the JSON-pointer tokens ptr:
// the key's position for a mapping entry, the item's for a list item. When
// the value does not exist it returns the position of its nearest existing
// ancestor, and for the root the opening fence.
func (r *Record) Locate(ptr []string) Pos {
	if !r.parsed {
		r.root, _ = parseYAML(r.front)
		r.parsed = true
	}
	best := Pos{1, 1}
	n := r.root
	for _, tok := range ptr {
		n = unwrap(n)
		switch t := n.(type) {
		case *ast.MappingNode:
			var next ast.Node
			for _, mv := range t.Values {
				if keyString(mv.Key) == tok {
					best = nodePos(mv.Key)
					next = mv.Value
					break
				}
			}
			if next == nil {
				return best
			}
			n = next
		case *ast.MappingValueNode:
			if keyString(t.Key) != tok {
				return best
			}
			best = nodePos(t.Key)
			n = t.Value
		case *ast.SequenceNode:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(t.Values) {
				return best
			}
			best = nodePos(t.Values[i])
			n = t.Values[i]
		default:
			return best
		}
	}
	return best
}

func parseYAML(front []byte) (root ast.Node, err error) {
	defer func() {
		if p := recover(); p != nil {
			root, err = nil, fmt.Errorf("YAML parser failed: %v", p)
		}
	}()
	f, err := parser.ParseBytes(front, 0)
	if err != nil {
		return nil, err
	}
	var docs []ast.Node
	for _, d := range f.Docs {
		if d != nil && d.Body != nil {
			docs = append(docs, d.Body)
		}
	}
	switch len(docs) {
	case 0:
		return nil, nil
	case 1:
		return docs[0], nil
	}
	return nil, fmt.Errorf("frontmatter holds %d YAML documents; a record has one", len(docs))
}

// split finds the frontmatter between the first line's '---' and the next
// line that is '---' or '...'.
func split(src []byte) (front, body []byte, bodyLine int, ok bool) {
	if !isFence(firstLine(src)) {
		return nil, nil, 0, false
	}
	i := bytes.IndexByte(src, '\n')
	if i < 0 {
		return nil, nil, 0, false
	}
	start := i + 1
	line := 2
	for pos := start; pos < len(src); line++ {
		end := bytes.IndexByte(src[pos:], '\n')
		var l []byte
		next := len(src)
		if end >= 0 {
			l = src[pos : pos+end]
			next = pos + end + 1
		} else {
			l = src[pos:]
		}
		if isFence(l) || string(bytes.TrimRight(l, " \t")) == "..." {
			return src[start:pos], src[next:], line + 1, true
		}
		pos = next
	}
	return nil, nil, 0, false
}

func firstLine(src []byte) []byte {
	if i := bytes.IndexByte(src, '\n'); i >= 0 {
		return src[:i]
	}
	return src
}

func isFence(l []byte) bool {
	return string(bytes.TrimRight(l, " \t\r")) == "---"
}

func firstInvalid(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return 0
}

// lineCol converts a byte offset into a 1-based line and column (in bytes).
func lineCol(b []byte, off int) (int, int) {
	line := 1 + bytes.Count(b[:off], []byte("\n"))
	col := off + 1
	if j := bytes.LastIndexByte(b[:off], '\n'); j >= 0 {
		col = off - j
	}
	return line, col
}

// flowDepth returns the deepest nesting of flow collections ([ and {) and
// the (0-based) line where it occurs, to bound the parser's recursion
// before it runs. It follows just enough YAML to tell a bracket that opens
// a collection from one in text: quoted strings, comments and plain words
// (a bracket opens a collection only where a value can start); block
// collections nested on one line ("- - - x") count too.
func flowDepth(b []byte) (int, int) {
	depth, maxd, line, at := 0, 0, 0, 0
	compact := 0 // "- - - x": block collections nested on one line
	valueStart, inPlain := true, false
	skipLine := func(i int) int {
		for i < len(b) && b[i] != '\n' {
			i++
		}
		return i - 1
	}
	spaceBefore := func(i int) bool { return i == 0 || b[i-1] == ' ' || b[i-1] == '\t' }
	spaceAfter := func(i int) bool {
		return i+1 == len(b) || b[i+1] == ' ' || b[i+1] == '\t' || b[i+1] == '\n' || b[i+1] == '\r'
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c == '\n' {
			line++
			valueStart, inPlain, compact = true, false, 0
			continue
		}
		if inPlain {
			switch {
			case depth > 0 && (c == ',' || c == ']' || c == '}'):
				inPlain = false // ends the word; the indicator is handled below
			case c == ':' && spaceAfter(i):
				inPlain, valueStart = false, true
				continue
			case c == '#' && spaceBefore(i):
				i = skipLine(i)
				continue
			default:
				continue
			}
		}
		switch c {
		case ' ', '\t', '\r':
			continue
		case '#':
			i = skipLine(i)
			continue
		case '"', '\'':
			if valueStart {
				for i++; i < len(b) && b[i] != c; i++ {
					if c == '"' && b[i] == '\\' {
						i++
					} else if b[i] == '\n' {
						line++
					}
				}
				valueStart = false
				continue
			}
		case '[', '{':
			if valueStart {
				depth++
				if depth > maxd {
					maxd, at = depth, line
				}
				continue
			}
		case ']', '}':
			if depth > 0 {
				depth--
			}
			valueStart = false
			continue
		case ',':
			valueStart = depth > 0
			continue
		case ':':
			if depth > 0 || spaceAfter(i) {
				valueStart = true
				continue
			}
		case '-', '?':
			if valueStart && spaceAfter(i) {
				compact++
				if compact+depth > maxd {
					maxd, at = compact+depth, line
				}
				continue
			}
		}
		inPlain, valueStart = true, false
	}
	return maxd, at
}

func nodePos(n ast.Node) Pos {
	if n == nil {
		return Pos{1, 1}
	}
	t := n.GetToken()
	if t == nil || t.Position == nil {
		return Pos{1, 1}
	}
	return Pos{t.Position.Line + 1, t.Position.Column}
}

func unwrap(n ast.Node) ast.Node {
	for {
		switch t := n.(type) {
		case *ast.TagNode:
			n = t.Value
		case *ast.AnchorNode:
			n = t.Value
		case *ast.DocumentNode:
			n = t.Body
		default:
			return n
		}
	}
}

func keyString(k ast.MapKeyNode) string {
	switch t := ast.Node(k).(type) {
	case *ast.StringNode:
		return t.Value
	case *ast.MappingKeyNode:
		if t.Value != nil {
			return scalarText(t.Value)
		}
	}
	return scalarText(k)
}

func scalarText(n ast.Node) string {
	if s, ok := n.(*ast.StringNode); ok {
		return s.Value
	}
	if t := n.GetToken(); t != nil {
		return t.Value
	}
	return ""
}

// converter turns the YAML AST into plain values, refusing what records
// have no use for and what could blow up (aliases, merge keys, odd tags).
type converter struct {
	path     string
	findings []qms.Finding
}

func (c *converter) fail(n ast.Node, rule, msg, hint string) {
	p := nodePos(n)
	c.findings = append(c.findings, qms.Finding{Path: c.path, Line: p.Line, Column: p.Col, Rule: rule, Severity: qms.Error, Message: msg, Hint: hint})
}

func (c *converter) value(n ast.Node, depth int) any {
	if n == nil {
		return nil
	}
	if depth > maxDepth {
		c.fail(n, "yaml-depth", fmt.Sprintf("frontmatter nests deeper than %d levels", maxDepth), "")
		return nil
	}
	switch t := n.(type) {
	case *ast.MappingNode:
		m := make(map[string]any, len(t.Values))
		for _, mv := range t.Values {
			c.entry(m, mv, depth)
		}
		return m
	case *ast.MappingValueNode:
		m := map[string]any{}
		c.entry(m, t, depth)
		return m
	case *ast.SequenceNode:
		l := make([]any, 0, len(t.Values))
		for _, v := range t.Values {
			l = append(l, c.value(v, depth+1))
		}
		return l
	case *ast.StringNode:
		return t.Value
	case *ast.LiteralNode:
		if t.Value == nil {
			return ""
		}
		return t.Value.Value
	case *ast.IntegerNode:
		switch v := t.Value.(type) {
		case int64, uint64:
			return v
		}
		return t.GetToken().Value
	case *ast.FloatNode:
		return t.Value
	case *ast.BoolNode:
		return t.Value
	case *ast.NullNode:
		return nil
	case *ast.InfinityNode, *ast.NanNode:
		c.fail(n, "yaml-number", fmt.Sprintf("%q is not a usable number", t.GetToken().Value), "quote it if you meant text")
		return nil
	case *ast.AnchorNode, *ast.AliasNode:
		c.fail(n, "yaml-alias", "YAML anchors and aliases are not allowed in records", "write the value out in full")
		return nil
	case *ast.MergeKeyNode:
		c.fail(n, "yaml-alias", "YAML merge keys ('<<') are not allowed in records", "write the fields out in full")
		return nil
	case *ast.TagNode:
		tag := t.Start.Value
		switch tag {
		case "!!str":
			if t.Value == nil {
				return ""
			}
			if s, ok := c.value(t.Value, depth+1).(string); ok {
				return s
			}
			return scalarText(t.Value)
		case "!!int", "!!float", "!!bool", "!!null", "!!map", "!!seq":
			return c.value(t.Value, depth+1)
		}
		c.fail(n, "yaml-tag", fmt.Sprintf("YAML tag %s is not allowed in records", tag), "remove the tag")
		return nil
	case *ast.DocumentNode:
		return c.value(t.Body, depth)
	case *ast.CommentGroupNode, *ast.CommentNode:
		return nil
	}
	c.fail(n, "yaml-syntax", fmt.Sprintf("unsupported YAML construct (%s)", n.Type()), "")
	return nil
}

func (c *converter) entry(m map[string]any, mv *ast.MappingValueNode, depth int) {
	k := mv.Key
	switch ast.Node(k).(type) {
	case *ast.MergeKeyNode:
		c.fail(k, "yaml-alias", "YAML merge keys ('<<') are not allowed in records", "write the fields out in full")
		return
	case *ast.MappingKeyNode, *ast.AliasNode, *ast.AnchorNode, *ast.TagNode:
		c.fail(k, "yaml-key", "complex YAML keys are not allowed in records", "use a plain word as the key")
		return
	}
	name := keyString(k)
	if _, dup := m[name]; dup {
		c.fail(k, "yaml-duplicate-key", fmt.Sprintf("key %q appears more than once", name), "keep one of them")
		return
	}
	m[name] = c.value(mv.Value, depth+1)
}

var dupKey = regexp.MustCompile(`mapping key "(.*)" already defined at \[(\d+):\d+\]`)

// String renders a value for messages: short, on one line.
func String(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case string:
		return strconv.Quote(t)
	case map[string]any:
		return "a mapping"
	case []any:
		return "a list"
	}
	s := fmt.Sprint(v)
	return strings.TrimSpace(s)
}

// Value reads one YAML value written on a command line (--set key=VALUE):
// numbers, booleans, dates as text, and flow lists or mappings when the text
// starts with '[' or '{'; anything else, or anything that is not valid YAML,
// is the text itself.
func Value(s string) any {
	t := strings.TrimSpace(s)
	if t == "" {
		return ""
	}
	root, err := parseYAML([]byte(t))
	if err != nil || root == nil {
		if t == "~" || t == "null" {
			return nil
		}
		return s
	}
	c := converter{}
	v := c.value(root, 0)
	if len(c.findings) > 0 {
		return s
	}
	switch v.(type) {
	case map[string]any:
		if t[0] != '{' {
			return s
		}
	case []any:
		if t[0] != '[' {
			return s
		}
	}
	return v
}
