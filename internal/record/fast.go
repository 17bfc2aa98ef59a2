package record

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"github.com/goccy/go-yaml/token"
)

// fastYAML reads the frontmatter most records have, a mapping of plain
// fields, lists and flow collections, several times faster than the YAML
// parser and with a fraction of its allocations. It gives up (ok false)
// on anything outside that plain subset or anything it is not sure of:
// block scalars, multi-line or escaped strings, anchors, tags, tabs,
// duplicate keys, odd indentation; the YAML parser then reads the file as
// before. What it does accept it reads exactly as the parser and the
// converter would (FuzzFastYAML compares them), so the shortcut never
// changes a value or a finding.
func fastYAML(front []byte) (m map[string]any, ok bool) {
	if !plainText(front) {
		return nil, false
	}
	p := &fastParser{src: front}
	p.nextLine()
	if p.eof {
		return nil, false // empty: the parser's answer is the one to keep
	}
	if p.indent != 0 {
		return nil, false
	}
	m, ok = p.mapping(0, 0)
	if !ok || !p.eof {
		return nil, false
	}
	return m, true
}

// plainText reports whether b holds no control character but line feeds
// (carriage returns and tabs included) and none of the runes YAML treats
// specially (see odd), comments included.
func plainText(b []byte) bool {
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c == '\n':
		case c < 0x20 || c == 0x7f:
			return false
		case c >= 0x80:
			r, n := utf8.DecodeRune(b[i:])
			if odd(r) {
				return false
			}
			i += n - 1
		}
	}
	return true
}

// maxFastDepth bounds the nesting fastYAML follows (the converter refuses
// more than maxDepth).
const maxFastDepth = 16

type fastParser struct {
	src []byte
	pos int // start of the next line
	// The current line, without its indentation and line end.
	line   []byte
	indent int
	eof    bool
}

// nextLine moves to the next line that is neither blank nor a comment.
func (p *fastParser) nextLine() {
	for p.pos < len(p.src) {
		end := bytes.IndexByte(p.src[p.pos:], '\n')
		var l []byte
		if end < 0 {
			l = p.src[p.pos:]
			p.pos = len(p.src)
		} else {
			l = p.src[p.pos : p.pos+end]
			p.pos += end + 1
		}
		i := 0
		for i < len(l) && l[i] == ' ' {
			i++
		}
		rest := l[i:]
		if len(rest) == 0 || rest[0] == '#' {
			continue
		}
		p.line, p.indent, p.eof = rest, i, false
		return
	}
	p.line, p.indent, p.eof = nil, 0, true
}

// mapping reads the block mapping whose keys start at column indent, the
// current line being its first entry.
func (p *fastParser) mapping(indent, depth int) (map[string]any, bool) {
	if depth > maxFastDepth {
		return nil, false
	}
	m := make(map[string]any, 8)
	for !p.eof && p.indent == indent {
		key, rest, ok := splitKey(p.line)
		if !ok {
			return nil, false
		}
		if _, dup := m[key]; dup {
			return nil, false
		}
		v, ok := p.entryValue(indent, rest, depth)
		if !ok {
			return nil, false
		}
		m[key] = v
	}
	if !p.eof && p.indent > indent {
		return nil, false
	}
	return m, true
}

// entryValue reads the value after "key:" (rest), and moves past it.
func (p *fastParser) entryValue(indent int, rest []byte, depth int) (any, bool) {
	rest = trimComment(rest)
	if len(rest) > 0 {
		v, ok := inlineValue(rest)
		if !ok {
			return nil, false
		}
		p.nextLine()
		// A deeper line would continue a plain scalar or be an error.
		if !p.eof && p.indent > indent {
			return nil, false
		}
		return v, true
	}
	p.nextLine()
	switch {
	case p.eof || p.indent < indent:
		return nil, true
	case p.indent == indent:
		if isSeqItem(p.line) {
			return p.sequence(indent, depth+1)
		}
		return nil, true
	case isSeqItem(p.line):
		return p.sequence(p.indent, depth+1)
	}
	return p.mapping(p.indent, depth+1)
}

// sequence reads the block sequence whose dashes are at column indent.
func (p *fastParser) sequence(indent, depth int) ([]any, bool) {
	if depth > maxFastDepth {
		return nil, false
	}
	l := []any{}
	for !p.eof && p.indent == indent && isSeqItem(p.line) {
		if len(p.line) == 1 {
			return nil, false // "-" alone: a nested block, left to the parser
		}
		item := p.line[2:]
		col := indent + 2
		for len(item) > 0 && item[0] == ' ' {
			item, col = item[1:], col+1
		}
		if len(item) == 0 || item[0] == '-' && (len(item) == 1 || item[1] == ' ') {
			return nil, false
		}
		if _, _, isKey := splitKey(item); isKey {
			// A compact mapping: its keys start at col.
			p.line, p.indent = item, col
			m, ok := p.mapping(col, depth+1)
			if !ok {
				return nil, false
			}
			l = append(l, m)
			continue
		}
		v, ok := inlineValue(trimComment(item))
		if !ok {
			return nil, false
		}
		l = append(l, v)
		p.nextLine()
		if !p.eof && p.indent > indent {
			return nil, false
		}
	}
	if !p.eof && p.indent > indent {
		return nil, false
	}
	return l, true
}

func isSeqItem(l []byte) bool { return l[0] == '-' && (len(l) == 1 || l[1] == ' ') }

// splitKey splits "key: rest" or "key:" with a plain key.
func splitKey(l []byte) (string, []byte, bool) {
	i := 0
	for i < len(l) && isKeyByte(l[i], i == 0) {
		i++
	}
	if i == 0 || i >= len(l) || l[i] != ':' {
		return "", nil, false
	}
	if i+1 < len(l) && l[i+1] != ' ' {
		return "", nil, false
	}
	return key(l[:i]), l[i+1:], true
}

// key returns b as a string, without a copy for the field names the
// built-in kinds use: ten thousand records repeat them.
func key(b []byte) string {
	if s, ok := knownKeys[string(b)]; ok {
		return s
	}
	return string(b)
}

var knownKeys = func() map[string]string {
	m := map[string]string{}
	for _, k := range strings.Fields(`activators active_from active_until address any_of approve at
		availability backup_for criteria_correct critical data_loss_minutes detected_at deviations
		document downtime_minutes drp_activated effective email environment every_months executed_by
		file fingerprint finished_at govern id incidents_detected keys kinds last_evaluated level min
		name next_review objectives objectives_met outcome owner parameters_correct phone plan position
		previous reason related reported_by resolved_at resources results review revision revoked roles
		rpo_minutes rto_minutes rules separation_of_duties services started_at status supersedes tax_id
		test tests title type`) {
		m[k] = k
	}
	return m
}()

func isKeyByte(c byte, first bool) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_':
		return true
	case c == '-' || c == '.':
		return !first
	}
	return false
}

// trimComment drops a comment (a '#' at the start or after a space,
// outside quotes) and the spaces around the value.
func trimComment(b []byte) []byte {
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case c == '#' && (i == 0 || b[i-1] == ' '):
			return bytes.Trim(b[:i], " ")
		case (c == '"' || c == '\'') && (i == 0 || strings.IndexByte(" [{,", b[i-1]) >= 0):
			// A quoted scalar starts: a '#' in it is text.
			if j := closingQuote(b, i); j > 0 {
				i = j
			}
		}
	}
	return bytes.Trim(b, " ")
}

// closingQuote returns the index of the quote closing the one at i, or -1.
func closingQuote(b []byte, i int) int {
	q := b[i]
	for j := i + 1; j < len(b); j++ {
		if b[j] == q {
			if q == '\'' && j+1 < len(b) && b[j+1] == '\'' {
				j++
				continue
			}
			return j
		}
	}
	return -1
}

// inlineValue reads a value written on the key's line: a flow collection,
// a quoted or a plain scalar.
func inlineValue(b []byte) (any, bool) {
	if len(b) == 0 {
		return nil, false
	}
	switch b[0] {
	case '[', '{':
		f := &flowParser{b: b}
		v, ok := f.value(0)
		if !ok || f.skipSpaces() != len(b) {
			return nil, false
		}
		return v, true
	case '"', '\'':
		s, n, ok := quoted(b)
		if !ok || n != len(b) {
			return nil, false
		}
		return s, true
	}
	if !plainBlockScalar(b) {
		return nil, false
	}
	return plainValue(b)
}

// plainBlockScalar reports whether b is a plain scalar that needs none of
// YAML's finer rules: it starts with a letter, digit or a sign before a
// digit, and holds no ": ", no " #" (comments are gone by now), no tab or
// control character, no flow indicators and no trailing colon.
func plainBlockScalar(b []byte) bool {
	if !plainStart(b) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c < 0x20 || c == 0x7f:
			return false
		case c == ':' && (i+1 == len(b) || b[i+1] == ' '):
			return false
		case c == '#' || c == '[' || c == ']' || c == '{' || c == '}':
			return false
		case c >= 0x80:
			r, n := utf8.DecodeRune(b[i:])
			if odd(r) {
				return false
			}
			i += n - 1
		}
	}
	return true
}

func plainStart(b []byte) bool {
	c := b[0]
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	case c == '-' || c == '+':
		return len(b) > 1 && b[1] >= '0' && b[1] <= '9'
	case c == '~':
		return len(b) == 1
	}
	return false
}

// plainValue types a plain scalar as the YAML parser does: null, true and
// false in their three spellings, numbers as its number reader says,
// everything else (dates and times included) as text.
func plainValue(b []byte) (any, bool) {
	switch string(b) {
	case "null", "Null", "NULL", "~":
		return nil, true
	case "true", "True", "TRUE":
		return true, true
	case "false", "False", "FALSE":
		return false, true
	}
	c := b[0]
	if !(c >= '0' && c <= '9' || c == '-' || c == '+') || isDate(b) || !numberLike(b) {
		return string(b), true
	}
	num := token.ToNumber(string(b))
	if num == nil {
		return string(b), true
	}
	switch v := num.Value.(type) {
	case int64, uint64:
		if num.Type == token.NumberTypeFloat {
			return nil, false
		}
		return v, true
	case float64:
		if num.Type != token.NumberTypeFloat {
			return nil, false
		}
		return v, true
	}
	return nil, false
}

// isDate reports whether b is YYYY-MM-DD, which no number reader takes.
func isDate(b []byte) bool {
	if len(b) != 10 || b[4] != '-' || b[7] != '-' {
		return false
	}
	for i, c := range b {
		if i != 4 && i != 7 && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// numberLike reports whether b holds only bytes a number can hold.
func numberLike(b []byte) bool {
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f', c >= 'A' && c <= 'F':
		case c == 'x' || c == 'X' || c == 'o' || c == 'O' || c == '_' || c == '.' || c == '+' || c == '-':
		default:
			return false
		}
	}
	return true
}

// quoted reads a quoted scalar at the start of b without escapes (single
// quotes may be doubled) and returns it and its length.
func quoted(b []byte) (string, int, bool) {
	q := b[0]
	var out []byte // set once a doubled quote is met
	start := 1
	for j := 1; j < len(b); j++ {
		c := b[j]
		switch {
		case c == q && q == '\'' && j+1 < len(b) && b[j+1] == '\'':
			out = append(out, b[start:j+1]...)
			j++
			start = j + 1
		case c == q:
			if out == nil {
				return string(b[1:j]), j + 1, true
			}
			return string(append(out, b[start:j]...)), j + 1, true
		case c == '\\' && q == '"', c < 0x20, c == 0x7f:
			return "", 0, false
		case c >= 0x80:
			r, n := utf8.DecodeRune(b[j:])
			if odd(r) {
				return "", 0, false
			}
			j += n - 1
		}
	}
	return "", 0, false
}

// odd reports runes the fast reader leaves to the YAML parser: invalid
// ones, and the line breaks and byte-order mark YAML treats specially.
func odd(r rune) bool {
	return r == utf8.RuneError || r == '\u0085' || r == '\u2028' || r == '\u2029' || r == '\ufeff'
}

// flowParser reads a flow collection on one line: [a, b] and {k: v},
// nested, of plain words, numbers and quoted scalars.
type flowParser struct {
	b []byte
	i int
}

func (f *flowParser) skipSpaces() int {
	for f.i < len(f.b) && f.b[f.i] == ' ' {
		f.i++
	}
	return f.i
}

func (f *flowParser) value(depth int) (any, bool) {
	if depth > maxFastDepth {
		return nil, false
	}
	f.skipSpaces()
	if f.i >= len(f.b) {
		return nil, false
	}
	switch f.b[f.i] {
	case '[':
		return f.list(depth)
	case '{':
		return f.mapping(depth)
	case '"', '\'':
		s, n, ok := quoted(f.b[f.i:])
		if !ok {
			return nil, false
		}
		f.i += n
		return s, true
	}
	w := f.word()
	if w == nil || !plainStart(w) {
		return nil, false
	}
	return plainValue(w)
}

// word reads a plain scalar in a flow collection: up to a ',', ']' or
// '}', refusing anything that could mean more (':', '#', brackets).
func (f *flowParser) word() []byte {
	start := f.i
	for f.i < len(f.b) {
		c := f.b[f.i]
		if c == ',' || c == ']' || c == '}' {
			break
		}
		if c == ':' || c == '#' || c == '[' || c == '{' || c == '"' || c == '\'' || c < 0x20 || c == 0x7f {
			return nil
		}
		if c >= 0x80 {
			r, n := utf8.DecodeRune(f.b[f.i:])
			if odd(r) {
				return nil
			}
			f.i += n
			continue
		}
		f.i++
	}
	w := bytes.TrimRight(f.b[start:f.i], " ")
	if len(w) == 0 {
		return nil
	}
	return w
}

func (f *flowParser) list(depth int) (any, bool) {
	f.i++ // [
	l := []any{}
	if f.skipSpaces(); f.i < len(f.b) && f.b[f.i] == ']' {
		f.i++
		return l, true
	}
	for {
		v, ok := f.value(depth + 1)
		if !ok {
			return nil, false
		}
		l = append(l, v)
		if f.skipSpaces(); f.i >= len(f.b) {
			return nil, false
		}
		switch f.b[f.i] {
		case ',':
			f.i++
			if f.i < len(f.b) && f.b[f.i] != ' ' {
				return nil, false
			}
		case ']':
			f.i++
			return l, true
		default:
			return nil, false
		}
	}
}

func (f *flowParser) mapping(depth int) (any, bool) {
	f.i++ // {
	m := map[string]any{}
	if f.skipSpaces(); f.i < len(f.b) && f.b[f.i] == '}' {
		f.i++
		return m, true
	}
	for {
		f.skipSpaces()
		start := f.i
		for f.i < len(f.b) && isKeyByte(f.b[f.i], f.i == start) {
			f.i++
		}
		if f.i == start || f.i+1 >= len(f.b) || f.b[f.i] != ':' || f.b[f.i+1] != ' ' {
			return nil, false
		}
		k := key(f.b[start:f.i])
		if _, dup := m[k]; dup {
			return nil, false
		}
		f.i++
		v, ok := f.value(depth + 1)
		if !ok {
			return nil, false
		}
		m[k] = v
		if f.skipSpaces(); f.i >= len(f.b) {
			return nil, false
		}
		switch f.b[f.i] {
		case ',':
			f.i++
			if f.i < len(f.b) && f.b[f.i] != ' ' {
				return nil, false
			}
		case '}':
			f.i++
			return m, true
		default:
			return nil, false
		}
	}
}
