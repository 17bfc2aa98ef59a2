package record

import "bytes"

// fastHeadings lists a body's top-level headings without building the
// markdown block tree, for the bodies whose structure leaves no doubt:
// no tabs or carriage returns, no fenced code, no HTML blocks, no lines
// that could underline a setext heading, and no '#' indented by one to
// three spaces (which a list item could own). In such a body a top-level
// heading is exactly a line that starts with one to six '#' and a space
// (or ends there), whatever paragraphs, lists, quotes or indented code
// surround it: nothing else can hold a line that starts at column one
// with it. It gives up (ok false) on anything else; Headings then asks the
// markdown parser. The text is taken as the parser takes it
// (FuzzFastHeadings compares them).
func fastHeadings(body []byte, bodyLine int) (hs []Heading, ok bool) {
	if bytes.IndexByte(body, '\t') >= 0 || bytes.IndexByte(body, '\r') >= 0 ||
		bytes.Contains(body, []byte("```")) || bytes.Contains(body, []byte("~~~")) {
		return nil, false
	}
	line := bodyLine
	for rest := body; len(rest) > 0; line++ {
		l := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			l, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		if len(l) == 0 {
			continue
		}
		if l[0] == '#' {
			if h, isHeading := atxHeading(l); isHeading {
				h.Line = line
				if h.Text == "" && h.empty {
					h.Line = bodyLine // the parser places an empty heading there
				}
				hs = append(hs, h.Heading)
			}
			continue
		}
		indent := 0
		for indent < len(l) && l[indent] == ' ' {
			indent++
		}
		if indent > 0 && indent < 4 && indent < len(l) && l[indent] == '#' {
			return nil, false
		}
		if underline(l[indent:]) || htmlStart(l[indent:]) {
			return nil, false
		}
	}
	return hs, true
}

// underline reports a line that could make the paragraph above it a
// setext heading, or be a thematic break next to one: only '=' or only
// '-', with spaces.
func underline(l []byte) bool {
	marks := 0
	for _, c := range l {
		switch c {
		case '=', '-':
			marks++
		case ' ':
		default:
			return false
		}
	}
	return marks > 0
}

// htmlStart reports a line that could open an HTML block, after any
// block quote and list item markers.
func htmlStart(l []byte) bool {
	for {
		for len(l) > 0 && l[0] == ' ' {
			l = l[1:]
		}
		switch {
		case len(l) == 0:
			return false
		case l[0] == '<':
			return true
		case l[0] == '>':
			l = l[1:]
		case (l[0] == '-' || l[0] == '*' || l[0] == '+') && (len(l) == 1 || l[1] == ' '):
			l = l[1:]
		default:
			i := 0
			for i < len(l) && i < 9 && l[i] >= '0' && l[i] <= '9' {
				i++
			}
			if i == 0 || i >= len(l) || l[i] != '.' && l[i] != ')' {
				return false
			}
			l = l[i+1:]
		}
	}
}

type atx struct {
	Heading
	empty bool // no text segment at all
}

// atxHeading reads a line starting with '#' as goldmark's ATX heading
// parser does.
func atxHeading(l []byte) (atx, bool) {
	i := 0
	for i < len(l) && l[i] == '#' {
		i++
	}
	if i > 6 {
		return atx{}, false
	}
	h := atx{Heading: Heading{Level: i}}
	if i == len(l) {
		h.empty = true
		return h, true
	}
	if l[i] != ' ' {
		return atx{}, false
	}
	text := bytes.Trim(l[i:], " ")
	if len(text) == 0 {
		h.empty = true
		return h, true
	}
	// A closing sequence of '#' after a space is not part of the text;
	// a text of '#' alone is empty.
	stop := len(text)
	j := stop - 1
	for ; text[j] == '#' && j > 0; j-- {
	}
	if j == 0 && text[0] == '#' {
		h.empty = true
		return h, true
	}
	if j != stop-1 && text[j] == ' ' {
		stop = len(bytes.TrimRight(text[:j], " "))
	}
	h.Text = cleanHeading(text[:stop])
	return h, true
}
