package record

import (
	"bytes"
	"strings"
	"sync"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Heading is a markdown heading in a record's body.
type Heading struct {
	Text  string
	Level int
	Line  int // file line
}

// blockParser parses block structure only: finding headings needs no inline
// parsing, and skipping it keeps validation of large repositories fast.
var blockParser = sync.OnceValue(func() parser.Parser {
	return parser.NewParser(
		parser.WithBlockParsers(parser.DefaultBlockParsers()...),
		parser.WithInlineParsers(),
		parser.WithParagraphTransformers(),
	)
})

// Headings lists the body's headings (ATX and setext) in order, with their
// file lines. Headings inside code blocks or quotes are not sections and are
// left out.
func (r *Record) Headings() []Heading {
	if len(r.Body) == 0 {
		return nil
	}
	if hs, ok := fastHeadings(r.Body, r.BodyLine); ok {
		return hs
	}
	return r.parseHeadings()
}

// parseHeadings is Headings by the markdown parser.
func (r *Record) parseHeadings() []Heading {
	doc := blockParser().Parse(text.NewReader(r.Body))
	var hs []Heading
	for n := doc.FirstChild(); n != nil; n = n.NextSibling() {
		h, ok := n.(*ast.Heading)
		if !ok {
			continue
		}
		lines := h.Lines()
		var b []byte
		off := -1
		for i := 0; i < lines.Len(); i++ {
			seg := lines.At(i)
			if off < 0 {
				off = seg.Start
			}
			if i > 0 {
				b = append(b, ' ')
			}
			b = append(b, seg.Value(r.Body)...)
		}
		line := r.BodyLine
		if off >= 0 {
			line += bytes.Count(r.Body[:off], []byte("\n"))
		}
		hs = append(hs, Heading{Text: cleanHeading(b), Level: h.Level, Line: line})
	}
	return hs
}

// cleanHeading drops emphasis markers and surrounding space, so that
// "## **Root cause analysis**" still names the section.
func cleanHeading(b []byte) string {
	s := strings.Map(func(r rune) rune {
		switch r {
		case '*', '_', '`':
			return -1 // emphasis and code marks are not part of the name
		}
		return r
	}, string(util.TrimRightSpace(b)))
	return strings.Join(strings.Fields(s), " ")
}
