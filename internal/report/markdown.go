package report

import (
	"bytes"
	"fmt"
	"html"
	"io"
	"strings"
	"unicode"
)

// GitHubLimit is the most a step's job summary ($GITHUB_STEP_SUMMARY) may
// hold: GitHub refuses a larger one.
const GitHubLimit = 1 << 20

// Summary is one command's outcome as a markdown document: a heading with
// the verdict, paragraphs (counts, the trust root), tables (every finding)
// and collapsed blocks of preformatted text.
type Summary struct {
	// Title names the command ("qms validate"); Verdict is what came of
	// it ("passed", "failed", "could not run").
	Title, Verdict string
	Paragraphs     []Line
	Tables         []Table
	Details        []Detail
	// Full says how to get everything when the summary is cut at its
	// limit ("qms validate --format json").
	Full string
}

// Table is a section with a heading and one row per item. A table without
// rows shows Empty instead, or nothing when Empty is "".
type Table struct {
	Heading string
	Columns []string
	Rows    [][]Line
	Empty   string
}

// Detail is preformatted text shown collapsed under a one-line summary.
type Detail struct {
	Summary, Text string
}

// Line is a paragraph or a table cell, made of spans.
type Line []Span

// Span is a run of text of one kind. Text is always taken literally:
// markdown and HTML in it are escaped.
type Span struct {
	Text string
	Kind SpanKind
}

// SpanKind says how a span is shown.
type SpanKind uint8

// Span kinds.
const (
	Plain SpanKind = iota
	Code           // paths, rules, commit ids
	Emph           // labels such as "hint:"
	Break          // a line break within a cell or paragraph
)

// P is plain text, C code, E emphasised text, BR a line break.
func P(s string) Span { return Span{Text: s} }
func C(s string) Span { return Span{Text: s, Kind: Code} }
func E(s string) Span { return Span{Text: s, Kind: Emph} }
func BR() Span        { return Span{Kind: Break} }

// reserve is room kept for the truncation notice.
const reserve = 1024

// Markdown writes s as GitHub-flavoured markdown of at most limit bytes
// (GitHubLimit when limit is 0 or less). A summary that does not fit ends
// where the next row would overflow, with a line saying how many rows are
// not shown and how to get them all.
func Markdown(w io.Writer, s Summary, limit int) error {
	if limit <= 0 {
		limit = GitHubLimit
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "## %s\n", inline(s.Title+": "+s.Verdict))
	for _, p := range s.Paragraphs {
		fmt.Fprintf(&b, "\n%s\n", paragraph(p))
	}
	budget := limit - reserve
	total, shown := 0, 0
	cut := b.Len() > budget
	for _, t := range s.Tables {
		total += len(t.Rows)
		if cut {
			continue
		}
		if len(t.Rows) == 0 {
			if t.Empty != "" {
				fmt.Fprintf(&b, "\n### %s\n\n%s\n", inline(t.Heading), inline(t.Empty))
			}
			continue
		}
		head := tableHead(t)
		for i, r := range t.Rows {
			row := tableRow(r, len(t.Columns))
			if i == 0 {
				row = head + row
			}
			if b.Len()+len(row) > budget {
				cut = true
				break
			}
			b.WriteString(row)
			shown++
		}
	}
	details := 0
	for _, d := range s.Details {
		block := detail(d)
		if cut || b.Len()+len(block) > budget {
			cut = true
			details++
			continue
		}
		b.WriteString(block)
	}
	if cut {
		b.WriteString(notice(limit, total-shown, total, details, s.Full))
	}
	_, err := w.Write(b.Bytes())
	return err
}

func tableHead(t Table) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n### %s\n\n|", inline(t.Heading))
	for _, c := range t.Columns {
		fmt.Fprintf(&b, " %s |", inline(c))
	}
	b.WriteString("\n|")
	for range t.Columns {
		b.WriteString(" --- |")
	}
	b.WriteString("\n")
	return b.String()
}

func tableRow(cells []Line, n int) string {
	var b strings.Builder
	b.WriteString("|")
	for i := 0; i < n; i++ {
		c := ""
		if i < len(cells) {
			c = render(cells[i], true)
		}
		if c == "" {
			c = " "
		}
		fmt.Fprintf(&b, " %s |", c)
	}
	b.WriteString("\n")
	return b.String()
}

func detail(d Detail) string {
	fence := strings.Repeat("`", max(3, longestRun(d.Text, '`')+1))
	text := strings.TrimRight(clean(d.Text, true), "\n")
	return fmt.Sprintf("\n<details><summary>%s</summary>\n\n%stext\n%s\n%s\n\n</details>\n",
		html.EscapeString(d.Summary), fence, text, fence)
}

func notice(limit, rows, total, details int, full string) string {
	size := fmt.Sprintf("%d bytes", limit)
	if limit == GitHubLimit {
		size = "1 MiB, GitHub's limit for a job summary"
	}
	what := fmt.Sprintf("%d of %d rows", rows, total)
	if details > 0 {
		what += " and the full text report"
	}
	s := fmt.Sprintf("\n**Truncated:** this summary stops at %s; %s are not shown.", size, what)
	if full != "" {
		s += " Run " + codeSpan(full, false) + " for everything."
	}
	return s + "\n"
}

// paragraph renders a line that starts a block: a leading character
// that would make it a list, a heading or a quote is escaped.
func paragraph(l Line) string {
	s := render(l, false)
	switch {
	case s == "":
		return s
	case strings.ContainsRune("-+=", rune(s[0])):
		return `\` + s
	}
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i > 0 && i < len(s) && (s[i] == '.' || s[i] == ')') {
		return s[:i] + `\` + s[i:]
	}
	return s
}

func render(l Line, inTable bool) string {
	var b strings.Builder
	for _, sp := range l {
		switch sp.Kind {
		case Code:
			b.WriteString(codeSpan(sp.Text, inTable))
		case Emph:
			if t := inline(sp.Text); t != "" {
				b.WriteString("*" + t + "*")
			}
		case Break:
			b.WriteString("<br>")
		default:
			b.WriteString(inline(sp.Text))
		}
	}
	return b.String()
}

// escaper makes text literal: every character markdown, GitHub's
// extensions (tables, strikethrough, math, mentions, references) or HTML
// would read is escaped. The pipe is escaped everywhere, not only in
// tables, so one escaper serves both.
var escaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "|", `\|`,
	"~", `\~`, "$", `\$`, "@", `\@`, "#", `\#`,
	"<", "&lt;", ">", "&gt;", "&", "&amp;",
	"\r\n", "<br>", "\n", "<br>", "\r", "<br>",
)

func inline(s string) string {
	return escaper.Replace(clean(s, false))
}

// codeSpan shows s as code, with a fence longer than any run of
// backticks in it; in a table, pipes are escaped (GitHub's tables take
// \| as a pipe even in code). Text with line breaks cannot be a code
// span and is shown as plain text.
func codeSpan(s string, inTable bool) string {
	if s == "" {
		return ""
	}
	s = clean(s, false)
	if strings.ContainsAny(s, "\r\n") {
		return inline(s)
	}
	fence := strings.Repeat("`", longestRun(s, '`')+1)
	if s[0] == '`' || s[len(s)-1] == '`' || s[0] == ' ' && s[len(s)-1] == ' ' {
		s = " " + s + " "
	}
	if inTable {
		s = strings.ReplaceAll(s, "|", `\|`)
	}
	return fence + s + fence
}

// clean replaces control characters other than line breaks (and tabs in
// preformatted text) and invalid UTF-8 with U+FFFD.
func clean(s string, pre bool) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r':
			return r
		case r == '\t':
			if pre {
				return r
			}
			return ' '
		case r == unicode.ReplacementChar || unicode.IsControl(r) || r == '\u2028' || r == '\u2029':
			return unicode.ReplacementChar
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}

func longestRun(s string, c byte) int {
	n, best := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			n++
			best = max(best, n)
		} else {
			n = 0
		}
	}
	return best
}
