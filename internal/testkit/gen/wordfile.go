package gen

import (
	"fmt"
	"io/fs"
	"strconv"
	"strings"
)

// A words file has one word or phrase a line; blank lines and lines
// starting with # are skipped. A "[name]" line starts a section. The files
// are embedded, so a malformed one is a bug in the generator: reading it
// panics, and the package's tests fail.

// wordLines returns the lines of words/name that are not blank or comments.
func wordLines(name string) []string {
	b, err := fs.ReadFile(wordFiles, "words/"+name)
	if err != nil {
		panic("gen: " + err.Error())
	}
	return splitWords(name, b)
}

// splitWords returns the lines of b, the words file name, that are not
// blank or comments.
func splitWords(name string, b []byte) []string {
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if strings.TrimSpace(l) != l {
			panic(fmt.Sprintf("gen: words/%s: %q has spaces around it", name, l))
		}
		out = append(out, l)
	}
	return out
}

// phrases reads a file of phrases without sections.
func phrases(name string) []string {
	out := wordLines(name)
	for _, l := range out {
		if strings.HasPrefix(l, "[") {
			panic(fmt.Sprintf("gen: words/%s: unexpected section %s", name, l))
		}
	}
	return out
}

// numbers reads a file of whole numbers.
func numbers(name string) []int {
	var out []int
	for _, l := range phrases(name) {
		out = append(out, must(strconv.Atoi(l)))
	}
	return out
}

// block is a section: its "[name]" line and the lines after it.
type block struct {
	file, name string
	lines      []string
}

// blocks reads a file of sections; every line belongs to one.
func blocks(name string) []block { return splitBlocks(name, wordLines(name)) }

// splitBlocks groups the lines of the words file name into sections.
func splitBlocks(name string, lines []string) []block {
	var out []block
	for _, l := range lines {
		if strings.HasPrefix(l, "[") && strings.HasSuffix(l, "]") {
			out = append(out, block{file: name, name: l[1 : len(l)-1]})
			continue
		}
		if len(out) == 0 {
			panic(fmt.Sprintf("gen: words/%s: %q is in no section", name, l))
		}
		out[len(out)-1].lines = append(out[len(out)-1].lines, l)
	}
	return out
}

// byName reads a file of sections as lists of phrases by section name.
func byName(name string) map[string][]string {
	out := map[string][]string{}
	for _, s := range blocks(name) {
		if _, dup := out[s.name]; dup {
			panic(fmt.Sprintf("gen: words/%s: section %s twice", name, s.name))
		}
		out[s.name] = s.lines
	}
	return out
}

// records reads a file of sections whose lines are "key: value" fields,
// each key one of keys.
func records(name string, keys ...string) []block {
	ss := blocks(name)
	for _, s := range ss {
		for _, l := range s.lines {
			k, _, ok := strings.Cut(l, ": ")
			if !ok || !contains(keys, k) {
				panic(fmt.Sprintf("gen: words/%s: [%s]: %q is not one of the fields %v", name, s.name, l, keys))
			}
		}
	}
	return ss
}

// all returns the values of every key field, in order.
func (s block) all(key string) []string {
	var out []string
	for _, l := range s.lines {
		if k, v, _ := strings.Cut(l, ": "); k == key {
			out = append(out, v)
		}
	}
	return out
}

// one returns the value of the key field, "" when it is absent.
func (s block) one(key string) string {
	vs := s.all(key)
	if len(vs) > 1 {
		panic(fmt.Sprintf("gen: words/%s: [%s]: %s given %d times", s.file, s.name, key, len(vs)))
	}
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}

func must[T any](v T, err error) T {
	if err != nil {
		panic("gen: " + err.Error())
	}
	return v
}
