package record

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseBadInput(t *testing.T) {
	bomb := "---\na: &a [x, x, x, x, x, x, x, x, x]\n"
	for i := 'b'; i <= 'z'; i++ {
		bomb += fmt.Sprintf("%c: &%c [*%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	bomb += "---\n"
	tests := []struct {
		name       string
		src        string
		rule       string
		line, col  int
		wantRecord bool
	}{
		{"missing fence", "id: x\n", "frontmatter-missing", 1, 1, false},
		{"unclosed", "---\nid: x\n# body\n", "frontmatter-unclosed", 1, 1, false},
		{"empty file", "", "frontmatter-missing", 1, 1, false},
		{"syntax", "---\nid: x\nlist: [a, b\n---\n", "yaml-syntax", 3, 7, false},
		{"duplicate key", "---\nid: x\ntitle: a\nid: y\n---\n", "yaml-duplicate-key", 4, 1, false},
		{"alias", "---\na: &x 1\nb: *x\n---\n", "yaml-alias", 2, 4, true},
		{"merge key", "---\na: {x: 1}\nb:\n  <<: {x: 2}\n---\n", "yaml-alias", 4, 3, true},
		{"alias bomb", bomb, "yaml-alias", 2, 4, true},
		{"nul byte", "---\nid: x\x00\n---\n", "binary", 2, 6, false},
		{"invalid utf-8", "---\nid: ok\ntitle: caf\xe9\n---\n", "encoding", 3, 11, false},
		{"scalar frontmatter", "---\njust text\n---\n", "frontmatter-type", 2, 1, true},
		{"list frontmatter", "---\n- a\n- b\n---\n", "frontmatter-type", 2, 1, true},
		{"tag", "---\na: !!binary aGVsbG8=\n---\n", "yaml-tag", 2, 4, true},
		{"infinity", "---\na: .inf\n---\n", "yaml-number", 2, 4, true},
		{"deep flow", "---\na: " + strings.Repeat("[", 100) + strings.Repeat("]", 100) + "\n---\n", "yaml-depth", 2, 1, false},
		{"deep compact sequences", "---\na:\n" + strings.Repeat("- ", 10000) + "x\n---\n", "yaml-depth", 3, 1, false},
		{"deep flow after spaces", "---\na:\n  - " + strings.Repeat("{ a: ", 100) + "1" + strings.Repeat("}", 100) + "\n---\n", "yaml-depth", 3, 1, false},
		{"too large", "---\nid: x\n---\n" + strings.Repeat("a", MaxSize), "too-large", 1, 1, false},
		{"frontmatter too large", "---\n" + strings.Repeat("k: v\n", MaxFrontmatter/4) + "---\n", "too-large", 1, 1, false},
		{"two documents", "---\na: 1\n...\n---\nb: 2\n---\n", "", 0, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, fs := Parse("r.md", []byte(tc.src))
			if (r != nil) != tc.wantRecord {
				t.Errorf("Parse(%q) record = %v, want record %v", tc.name, r != nil, tc.wantRecord)
			}
			if tc.rule == "" {
				return
			}
			for _, f := range fs {
				if f.Rule == tc.rule {
					if f.Line != tc.line || f.Column != tc.col {
						t.Errorf("Parse(%q) %s at %d:%d, want %d:%d (%s)", tc.name, tc.rule, f.Line, f.Column, tc.line, tc.col, f.Message)
					}
					if f.Path != "r.md" || f.Message == "" {
						t.Errorf("Parse(%q) finding %+v lacks path or message", tc.name, f)
					}
					return
				}
			}
			t.Errorf("Parse(%q) findings = %v, want rule %s", tc.name, fs, tc.rule)
		})
	}
}

func TestParseAccepts(t *testing.T) {
	want := map[string]any{"id": "INC-2026-0001", "n": uint64(3), "ok": true, "d": "2026-03-04", "l": []any{"a", "b"}, "s": "x: y"}
	srcs := map[string]string{
		"lf":   "---\nid: INC-2026-0001\nn: 3\nok: true\nd: 2026-03-04\nl: [a, b]\ns: \"x: y\"\n---\n# T\n",
		"crlf": "---\r\nid: INC-2026-0001\r\nn: 3\r\nok: true\r\nd: 2026-03-04\r\nl:\r\n  - a\r\n  - b\r\ns: 'x: y'\r\n---\r\n# T\r\n",
		"bom":  "\xef\xbb\xbf---\nid: INC-2026-0001\nn: 3\nok: true\nd: 2026-03-04\nl: [a, b]\ns: \"x: y\"\n---\n",
		"dots": "---\nid: INC-2026-0001\nn: 3\nok: true\nd: 2026-03-04\nl: [a, b]\ns: \"x: y\"\n...\n",
	}
	for name, src := range srcs {
		t.Run(name, func(t *testing.T) {
			r, fs := Parse("r.md", []byte(src))
			if r == nil {
				t.Fatalf("Parse(%s) = nil, findings %v", name, fs)
			}
			for _, f := range fs {
				if f.Severity == "error" {
					t.Errorf("Parse(%s) error finding %v", name, f)
				}
			}
			if name == "bom" && (len(fs) != 1 || fs[0].Rule != "bom") {
				t.Errorf("Parse(bom) findings = %v, want one bom warning", fs)
			}
			if !reflect.DeepEqual(r.Data, want) {
				t.Errorf("Parse(%s).Data = %#v, want %#v", name, r.Data, want)
			}
		})
	}
}

func TestBracketsInTextAreNotNesting(t *testing.T) {
	for _, v := range []string{
		`"` + strings.Repeat("{", 70) + `"`,
		`'` + strings.Repeat("[", 70) + `'`,
		"x" + strings.Repeat("[", 70),
		"ok # " + strings.Repeat("{", 70),
	} {
		r, fs := Parse("r.md", []byte("---\nv: "+v+"\n---\n"))
		for _, f := range fs {
			if f.Rule == "yaml-depth" {
				t.Errorf("Parse(v: %s) = %v: brackets in text are not nesting", v, f)
			}
		}
		if r == nil {
			t.Errorf("Parse(v: %s) refused: %v", v, fs)
		}
	}
}

func TestLocate(t *testing.T) {
	src := "---\nid: X\nresults:\n  backend:\n    rto_minutes: 5\nlist:\n  - a\n  - b: 1\n---\n"
	r, _ := Parse("r.md", []byte(src))
	tests := []struct {
		name string
		ptr  []string
		want Pos
	}{
		{"root", nil, Pos{1, 1}},
		{"field", []string{"id"}, Pos{2, 1}},
		{"nested", []string{"results", "backend", "rto_minutes"}, Pos{5, 5}},
		{"missing nested", []string{"results", "backend", "missing"}, Pos{4, 3}},
		{"list item field", []string{"list", "1", "b"}, Pos{8, 5}},
		{"missing list item", []string{"list", "7"}, Pos{6, 1}},
		{"missing field", []string{"nothing"}, Pos{1, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := r.Locate(tc.ptr); got != tc.want {
				t.Errorf("Locate(%q) = %v, want %v", tc.ptr, got, tc.want)
			}
		})
	}
}

func TestHeadings(t *testing.T) {
	src := "---\nid: x\n---\n# Title\n\n## Summary\ntext\n\n```\n## not a heading\n```\n\nSetext\n------\n\n> ## quoted\n\n## **Root cause analysis** ##\n"
	r, _ := Parse("r.md", []byte(src))
	got := r.Headings()
	want := []Heading{{"Title", 1, 4}, {"Summary", 2, 6}, {"Setext", 2, 13}, {"Root cause analysis", 2, 18}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Headings() = %v, want %v", got, want)
	}
}

func TestSet(t *testing.T) {
	src := "---\nid: X\ntitle: \"\"\n# about services\nservices: []\nreview:\n  a: false\n  b: false\n\n# owner follows\nowner: me\n---\nbody\n"
	tests := []struct {
		name string
		key  []string
		val  any
		want string
	}{
		{"list", []string{"services"}, Value("[backend, admin]"), "services: [backend, admin]\n"},
		{"nested field", []string{"review", "a"}, Value("true"), "review:\n  a: true\n  b: false\n\n# owner follows\n"},
		{"text to quote", []string{"title"}, "Database: failover # 2", "title: \"Database: failover # 2\"\n# about services\n"},
		{"new field", []string{"added"}, Value("2026-01-01"), "owner: me\nadded: 2026-01-01\n---\nbody\n"},
		{"new nested field", []string{"results", "backend", "rto_minutes"}, Value("42"), "results:\n  backend:\n    rto_minutes: 42\n---\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := Set([]byte(src), tc.key, tc.val)
			if err != nil {
				t.Fatalf("Set(%v) error %v", tc.key, err)
			}
			if !strings.Contains(string(out), tc.want) {
				t.Errorf("Set(%v, %v) =\n%s\nwant it to contain\n%s", tc.key, tc.val, out, tc.want)
			}
			r, fs := Parse("r.md", out)
			if r == nil || len(fs) > 0 {
				t.Fatalf("Set(%v) made an unreadable record: %v", tc.key, fs)
			}
			got, _ := lookupForTest(r.Data, tc.key)
			if !reflect.DeepEqual(got, tc.val) {
				t.Errorf("Set(%v) read back %#v, want %#v", tc.key, got, tc.val)
			}
			if !bytes.HasSuffix(out, []byte("---\nbody\n")) {
				t.Errorf("Set(%v) lost the body:\n%s", tc.key, out)
			}
		})
	}
}

func lookupForTest(v any, key []string) (any, bool) {
	for _, k := range key {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		v, ok = m[k]
		if !ok {
			return nil, false
		}
	}
	return v, true
}

func TestValue(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want any
	}{
		{"number", "42", uint64(42)},
		{"negative number", "-3", int64(-3)},
		{"boolean", "true", true},
		{"date", "2026-01-01", "2026-01-01"},
		{"flow list", "[a, b]", []any{"a", "b"}},
		{"flow mapping", "{x: 1}", map[string]any{"x": uint64(1)}},
		{"block mapping is text", "Foo: bar", "Foo: bar"},
		{"block list is text", "- a", "- a"},
		{"broken flow is text", "[unclosed", "[unclosed"},
		{"empty", "", ""},
		{"null", "~", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Value(tc.in); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Value(%q) = %#v, want %#v", tc.in, got, tc.want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"---\nid: x\n---\n# H\n",
		"---\na: &a [1]\nb: *a\n---\n",
		"---\r\nid: x\r\n---\r\n",
		"---\nl:\n  - {a: [1, 2]}\n---\n## S\n",
		"\xef\xbb\xbf---\nx: 'y'\n...\n",
		"---\n? complex\n: key\n---\n",
		"---\na: !!str 1\nb: |\n  lit\n---\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		r, fs := Parse("f.md", []byte(src))
		for _, f := range fs {
			if f.Line < 1 || f.Column < 1 || f.Rule == "" || f.Message == "" {
				t.Fatalf("bad finding %+v", f)
			}
		}
		if r == nil {
			if len(fs) == 0 {
				t.Fatal("no record and no finding")
			}
			return
		}
		for k := range r.Data {
			r.Locate([]string{k, "0", "x"})
		}
		for _, h := range r.Headings() {
			if h.Line < r.BodyLine {
				t.Fatalf("heading %v before the body (line %d)", h, r.BodyLine)
			}
		}
	})
}

// FuzzScalar checks that what qms writes into frontmatter reads back as the
// same text.
func FuzzScalar(f *testing.F) {
	for _, s := range []string{"plain", "true", "12", "a: b", "# x", "'q'", "\"", "\t", "ü", "2026-01-01", " lead", "-", "null"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) || strings.ContainsRune(s, 0) || strings.ContainsRune(s, '\ufeff') {
			return
		}
		src := "---\nv: " + Quote(s) + "\n---\n"
		r, fs := Parse("f.md", []byte(src))
		if r == nil || len(fs) > 0 {
			t.Fatalf("Quote(%q) = %s: unreadable: %v", s, Quote(s), fs)
		}
		if got := r.Data["v"]; got != s {
			t.Fatalf("Quote(%q) = %s reads back as %#v", s, Quote(s), got)
		}
	})
}

func TestQuoteHint(t *testing.T) {
	for _, tc := range []struct {
		front string
		line  int
		want  string
	}{
		{"id: x\ntitle: Backend down: storage\n", 3, `quote the value: title: "Backend down: storage"`},
		{"id: x\ntitle: Backend down: storage\nlevel: major\n", 4, `quote the value: title: "Backend down: storage"`},
		{"id: x\ntitle: \"a: b\n", 3, ""},
		{"id: x\nlist: [a: b]\n", 3, ""},
		{"id: x\n", 40, ""},
	} {
		if got := quoteHint([]byte(tc.front), tc.line); got != tc.want {
			t.Errorf("quoteHint(%q, %d) = %q, want %q", tc.front, tc.line, got, tc.want)
		}
	}
}
