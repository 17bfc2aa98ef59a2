package approval

import (
	"strings"
)

// Line is one "Token: value" line of a commit message's trailer block.
type Line struct {
	Token, Value string
}

// Trailers returns the trailers of a commit message exactly as git reads
// them with its default settings (git interpret-trailers --parse
// --no-divider, and git log's %(trailers:unfold), in git 2.39): only the
// last paragraph counts, and only when it is a trailer block: every line
// a trailer or a continuation, or at least a quarter of them trailers with
// one that git itself writes (Signed-off-by:, "(cherry picked from
// commit"). The first paragraph (the subject) never holds trailers;
// comment lines ('#'), a scissors line and what follows it, and trailing
// blank lines are ignored; a message ends at its first NUL byte, as git's
// C strings do. Continuation lines are folded into the value.
//
// Reading the block the way git does matters: a QMS-Sign line quoted in a
// message's body, or written after a paragraph of prose, is no signature,
// and an approval shows in 'git log' the way qms counts it.
func Trailers(msg string) []Line {
	if i := strings.IndexByte(msg, 0); i >= 0 {
		msg = msg[:i]
	}
	end := len(msg) - ignoredBytes(msg, len(msg))
	start := trailerStart(msg, end)
	var lines []string
	last := -1 // index in lines of the trailer a continuation joins, or -1
	for rest := msg[start:end]; rest != ""; {
		line := rest
		if i := strings.IndexByte(rest, '\n'); i >= 0 {
			line = rest[:i+1]
		}
		rest = rest[len(line):]
		if last >= 0 && isSpace(line[0]) {
			lines[last] += line
			continue
		}
		lines = append(lines, line)
		last = -1
		if separator(line) >= 1 {
			last = len(lines) - 1
		}
	}
	var out []Line
	for _, line := range lines {
		if line[0] == commentChar {
			continue
		}
		sep := separator(line)
		if sep < 1 {
			continue
		}
		out = append(out, Line{Token: trim(line[:sep]), Value: unfold(line[sep+1:])})
	}
	return out
}

const commentChar = '#'

// gitGenerated are the prefixes of trailers git writes itself.
var gitGenerated = []string{"Signed-off-by: ", "(cherry picked from commit "}

// isSpace is git's isspace (sane_ctype): tab, line feed, carriage return
// and space, not vertical tab or form feed.
func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func trim(s string) string {
	i, j := 0, len(s)
	for i < j && isSpace(s[i]) {
		i++
	}
	for j > i && isSpace(s[j-1]) {
		j--
	}
	return s[i:j]
}

// isBlank reports whether the line starting at s holds only white space.
func isBlank(s string) bool {
	for i := 0; i < len(s) && s[i] != '\n'; i++ {
		if !isSpace(s[i]) {
			return false
		}
	}
	return true
}

// separator returns where the ':' of "<token><optional blanks>:" is in
// line, 0 when the line starts with it, -1 when the line is no trailer
// (git's find_separator with the default separators).
func separator(line string) int {
	blank := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		if c == ':' {
			return i
		}
		if !blank && (isAlnum(c) || c == '-') {
			continue
		}
		if i > 0 && (c == ' ' || c == '\t') {
			blank = true
			continue
		}
		break
	}
	return -1
}

// unfold collapses each line break of a folded value, and the white space
// after it, to one space, then trims the value (git's unfold_value).
func unfold(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); {
		c := v[i]
		i++
		if c == '\n' {
			for i < len(v) && isSpace(v[i]) {
				i++
			}
			b.WriteByte(' ')
			continue
		}
		b.WriteByte(c)
	}
	return trim(b.String())
}

func nextLine(s string, i int) int {
	if j := strings.IndexByte(s[i:], '\n'); j >= 0 {
		return i + j + 1
	}
	return len(s)
}

// lastLine returns where the last line of s[:n] starts, -1 if n is 0.
func lastLine(s string, n int) int {
	if n == 0 {
		return -1
	}
	if n == 1 {
		return 0
	}
	for i := n - 2; i >= 0; i-- {
		if s[i] == '\n' {
			return i + 1
		}
	}
	return 0
}

// cutLine is what follows the comment character and a space on the
// scissors line of 'git commit -v'.
const cutLine = "------------------------ >8 ------------------------\n"

// ignoredBytes is how many bytes at the end of s[:n] are not part of the
// log message: trailing comments and blank lines, an old "Conflicts:"
// block, and everything from a scissors line on (git's
// ignore_non_trailer).
func ignoredBytes(s string, n int) int {
	cutoff := n
	pattern := "\n" + string(commentChar) + " " + cutLine
	if strings.HasPrefix(s, pattern[1:]) {
		cutoff = 0
	} else if p := strings.Index(s, pattern); p >= 0 {
		cutoff = p + 1
	}
	boc, bol, conflicts := 0, 0, false
	for bol < cutoff {
		next := nextLine(s[:n], bol)
		switch {
		case s[bol] == commentChar || s[bol] == '\n':
			if boc == 0 {
				boc = bol
			}
		case strings.HasPrefix(s[bol:], "Conflicts:\n"):
			conflicts = true
			if boc == 0 {
				boc = bol
			}
		case conflicts && s[bol] == '\t':
		case boc != 0:
			boc, conflicts = 0, false
		}
		bol = next
	}
	if boc != 0 {
		return n - boc
	}
	return n - cutoff
}

// trailerStart returns where the trailer block of s[:n] starts, or n when
// there is none (git's find_trailer_start).
func trailerStart(s string, n int) int {
	// The first paragraph is the title and cannot be trailers.
	i := 0
	for ; i < n; i = nextLine(s[:n], i) {
		if s[i] == commentChar {
			continue
		}
		if isBlank(s[i:n]) {
			break
		}
	}
	endOfTitle := i
	onlySpaces := true
	recognized := false
	trailers, nonTrailers, continuations := 0, 0, 0
outer:
	for l := lastLine(s, n); l >= endOfTitle; l = lastLine(s, l) {
		bol := s[l:n]
		if bol[0] == commentChar {
			nonTrailers += continuations
			continuations = 0
			continue
		}
		if isBlank(bol) {
			if onlySpaces {
				continue
			}
			nonTrailers += continuations
			if recognized && trailers*3 >= nonTrailers {
				return nextLine(s[:n], l)
			}
			if trailers > 0 && nonTrailers == 0 {
				return nextLine(s[:n], l)
			}
			return n
		}
		onlySpaces = false
		for _, p := range gitGenerated {
			if strings.HasPrefix(bol, p) {
				trailers++
				continuations = 0
				recognized = true
				continue outer
			}
		}
		line := bol
		if j := strings.IndexByte(line, '\n'); j >= 0 {
			line = line[:j+1]
		}
		switch {
		case separator(line) >= 1 && !isSpace(bol[0]):
			trailers++
			continuations = 0
		case isSpace(bol[0]):
			continuations++
		default:
			nonTrailers++
			nonTrailers += continuations
			continuations = 0
		}
	}
	return n
}
