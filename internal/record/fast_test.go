package record

import (
	"io/fs"
	"reflect"
	"strings"
	"testing"

	"github.com/qms-tool/qms"
)

// slowYAML is what the YAML parser and the converter make of front, and
// whether they read it without a finding.
func slowYAML(front []byte) (map[string]any, bool) {
	root, err := parseYAML(front)
	if err != nil || root == nil {
		return nil, false
	}
	c := converter{}
	m, ok := c.value(root, 0).(map[string]any)
	return m, ok && len(c.findings) == 0
}

// sameAsParser fails when fastYAML accepts front and reads it otherwise
// than the YAML parser does.
func sameAsParser(t *testing.T, front []byte) bool {
	t.Helper()
	fast, ok := fastYAML(front)
	if !ok {
		return false
	}
	slow, ok := slowYAML(front)
	if !ok {
		t.Fatalf("fastYAML accepts what the YAML parser refuses:\n%s\nfast: %#v", front, fast)
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("fastYAML(%q)\n = %#v\nwant %#v", front, fast, slow)
	}
	return true
}

// frontOf is a file's frontmatter, as Parse gives it to the readers.
func frontOf(b []byte) []byte {
	front, _, _, ok := split([]byte(strings.ReplaceAll(string(b), "\r\n", "\n")))
	if !ok {
		return nil
	}
	return front
}

var fastCases = []struct {
	name string
	yaml string
	fast bool // whether fastYAML reads it (else it leaves it to the parser)
}{
	{"scalars", "id: INC-1\nn: 12\nneg: -3\nf: 99.9\nt: true\nF: False\nz: null\nt2: ~\nd: 2026-01-15\nat: 2026-01-15T10:17:00+02:00\n", true},
	{"text with punctuation", "title: Regional outage, at the provider (eu-central-2) / 50% of it's users\nmail: a.b@example.com\nphone: +41 44 555 0103\nurl: https://example.com/x\n", true},
	{"quoted", "a: \"x # y\"\nb: 'it''s'\nc: \"\"\nd: ''\ne: \"a\" # comment\n", true},
	{"comments", "# top\na: 1 # one\n# between\nb:\n  # inside\n  c: 2\n", true},
	{"flow", "s: [patient-app, admin-portal, backend]\ne: []\nm: {}\no: {rto_minutes: 144, rpo_minutes: 41}\nn: [{id: T01, name: Automated failover, every_months: 12}, [a, b]]\n", true},
	{"blocks", "r:\n  - one thing\n  - two\nk:\n  - type: openpgp\n    fingerprint: ABC\n    revoked: {at: 2026-01-01, reason: retired}\n  - type: ssh\nm:\n  x:\n    y: 1\n  z: [1]\nempty:\nlast: 1\n", true},
	{"sequence at the key's indent", "r:\n- a\n- b\nn: 1\n", true},
	{"octal and hex go by the parser's number reader", "a: 012\nb: 0x1F\nc: 1_000\nd: 1.5e3\ne: 18446744073709551616\n", true},
	{"multi-line plain scalar", "a: one\n  two\n", false},
	{"block scalar", "a: |\n  text\n", false},
	{"anchor", "a: &x 1\nb: *x\n", false},
	{"tag", "a: !!str 1\n", false},
	{"duplicate key", "a: 1\na: 2\n", false},
	{"tab", "a:\t1\n", false},
	{"escape", "a: \"x\\ny\"\n", false},
	{"infinity", "a: .inf\n", false},
	{"top-level list", "- a\n", false},
	{"colon in text", "a: b: c\n", false},
	{"time in a flow list", "a: [2026-01-01T10:00:00Z]\n", false},
	{"empty", "", false},
	{"only a comment", "# nothing\n", false},
}

func TestFastYAML(t *testing.T) {
	for _, tc := range fastCases {
		t.Run(tc.name, func(t *testing.T) {
			if got := sameAsParser(t, []byte(tc.yaml)); got != tc.fast {
				t.Errorf("fastYAML(%q) read it: %v, want %v", tc.yaml, got, tc.fast)
			}
		})
	}
}

// TestFastYAMLExample: the example QMS and the templates' plain parts are
// read the fast way, and exactly as the parser reads them.
func TestFastYAMLExample(t *testing.T) {
	err := fs.WalkDir(qms.Example, "records", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(qms.Example, p)
		if err != nil {
			return err
		}
		t.Run(p, func(t *testing.T) {
			if !sameAsParser(t, frontOf(b)) {
				t.Errorf("fastYAML does not read %s", p)
			}
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// FuzzFastYAML: whatever fastYAML reads, it reads as the YAML parser does.
func FuzzFastYAML(f *testing.F) {
	for _, tc := range fastCases {
		f.Add([]byte(tc.yaml))
	}
	_ = fs.WalkDir(qms.Example, "records", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := fs.ReadFile(qms.Example, p)
			f.Add(frontOf(b))
		}
		return nil
	})
	f.Fuzz(func(t *testing.T, front []byte) {
		if len(front) > MaxFrontmatter {
			return
		}
		if d, _ := flowDepth(front); d > maxDepth {
			return
		}
		sameAsParser(t, front)
	})
}

var headingCases = []struct {
	name string
	body string
	fast bool
}{
	{"sections", "## Summary\n\nText.\n\n## Root cause analysis\n", true},
	{"levels and closing marks", "# One #\n### Three ###  \n## Two # not closing\n###### Six\n####### seven is text\n#notaheading\n", true},
	{"empty headings", "#\n## \n### ###\n", true},
	{"emphasis and spaces", "## **Root  cause**   analysis\n## `code` _x_\n", true},
	{"inside lists and quotes", "- item\n- # not top\n> # quoted\n\n1. x\n# Top\n", true},
	{"indented code", "    # code\n# Heading\n", true},
	{"no newline at the end", "text\n# Last", true},
	{"setext", "Title\n=====\n", false},
	{"dash line", "text\n---\n", false},
	{"fenced code", "```\n# not a heading\n```\n", false},
	{"html", "<!--\n# hidden\n-->\n", false},
	{"indented heading", "  # maybe in a list\n", false},
	{"tab", "#\tx\n", false},
}

func TestFastHeadings(t *testing.T) {
	for _, tc := range headingCases {
		t.Run(tc.name, func(t *testing.T) {
			if got := sameHeadings(t, []byte(tc.body)); got != tc.fast {
				t.Errorf("fastHeadings(%q) read it: %v, want %v", tc.body, got, tc.fast)
			}
		})
	}
}

// sameHeadings fails when fastHeadings accepts body and finds other
// headings than the markdown parser does.
func sameHeadings(t *testing.T, body []byte) bool {
	t.Helper()
	const bodyLine = 7
	fast, ok := fastHeadings(body, bodyLine)
	if !ok {
		return false
	}
	slow := (&Record{Body: body, BodyLine: bodyLine}).parseHeadings()
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("fastHeadings(%q)\n = %#v\nwant %#v", body, fast, slow)
	}
	return true
}

// TestFastHeadingsExample: the example QMS's bodies are read the fast way.
func TestFastHeadingsExample(t *testing.T) {
	_ = fs.WalkDir(qms.Example, "records", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := fs.ReadFile(qms.Example, p)
		r, _ := Parse(p, b)
		t.Run(p, func(t *testing.T) {
			if r == nil || !sameHeadings(t, r.Body) {
				t.Errorf("fastHeadings does not read %s", p)
			}
		})
		return nil
	})
}

// FuzzFastHeadings: whatever fastHeadings reads, it reads as the markdown
// parser does.
func FuzzFastHeadings(f *testing.F) {
	for _, tc := range headingCases {
		f.Add([]byte(tc.body))
	}
	_ = fs.WalkDir(qms.Example, "records", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := fs.ReadFile(qms.Example, p)
			if r, _ := Parse(p, b); r != nil {
				f.Add(r.Body)
			}
		}
		return nil
	})
	f.Fuzz(func(t *testing.T, body []byte) {
		if len(body) == 0 {
			return
		}
		sameHeadings(t, body)
	})
}
