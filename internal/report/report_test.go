package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	gmhtml "github.com/yuin/goldmark/renderer/html"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/testkit/gitlab"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -update to make it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run go test -update and review the diff):\n%s", p, got)
	}
}

// hostile are messages and paths as untrusted records can make them:
// everything markdown, GitHub's extensions or HTML would read.
var hostile = []qms.Finding{
	{Path: "records/incidents/INC-2026-0004.md", Line: 5, Column: 1, Rule: "required", Severity: qms.Error,
		Message: "resolved_at is required unless status is open", Hint: "add 'resolved_at: ...' to the frontmatter"},
	{Path: "records/incidents/INC-2026-0005.md", Line: 3, Column: 8, Rule: "enum", Severity: qms.Error,
		Message: "title: \"a | b\" has `code`, <script>alert(1)</script>, *bold*, _em_, [link](x), ![img](y), ~~gone~~, $x^2$, @everyone, #12, &amp; and \\ escapes"},
	{Path: "records/odd|name `x`.md", Line: 1, Column: 1, Rule: "bom", Severity: qms.Warning,
		Message: "line one\nline two\r\nline three\ttabbed \x00\x1b[31m", Hint: "- not a list | nor a table"},
	{Path: "records/whole-file.md", Rule: "too-large", Severity: qms.Error, Message: "1. not a list either"},
}

func TestMarkdownGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    Summary
	}{
		{"passed.md", Summary{Title: "qms validate", Verdict: "passed", Paragraphs: []Line{{P("21 records valid.")}}}},
		{"findings.md", Summary{Title: "qms validate", Verdict: "failed", Full: "qms validate --format json",
			Paragraphs: []Line{{P("22 records checked: 3 errors, 1 warning.")}, {P("- leading dash")}, {P("12. leading number")}},
			Tables:     []Table{FindingTable("Findings", hostile), {Heading: "Nothing here", Columns: []string{"A"}, Empty: "None."}, {Heading: "Left out", Columns: []string{"A"}}}}},
		{"details.md", Summary{Title: "qms status", Verdict: "no problems",
			Details: []Detail{{Summary: "The full <status> report", Text: "Status\n```\nfenced\n````\n\ttabbed\n"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Markdown(&b, tc.s, 0); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name, b.Bytes())
		})
	}
}

// TestMarkdownLiteral renders the findings table as GitHub does (GFM) and
// checks that every cell shows exactly the text given: one column per
// column, no markup, no HTML but the line breaks (rendered unsafely, so
// that any raw HTML that got through would show).
func TestMarkdownLiteral(t *testing.T) {
	var md bytes.Buffer
	if err := Markdown(&md, Summary{Title: "qms validate", Verdict: "failed", Tables: []Table{FindingTable("Findings", hostile)}}, 0); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := goldmark.New(goldmark.WithExtensions(extension.Table, extension.Strikethrough), goldmark.WithRendererOptions(gmhtml.WithUnsafe())).Convert(md.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	rows := regexp.MustCompile(`(?s)<tr>(.*?)</tr>`).FindAllStringSubmatch(out.String(), -1)
	if len(rows) != len(hostile)+1 {
		t.Fatalf("rendered %d table rows, want %d:\n%s", len(rows), len(hostile)+1, out.String())
	}
	cell := regexp.MustCompile(`(?s)<t[dh]>(.*?)</t[dh]>`)
	for i, f := range hostile {
		cells := cell.FindAllStringSubmatch(rows[i+1][1], -1)
		if len(cells) != 4 {
			t.Fatalf("row %d has %d cells, want 4: %s", i, len(cells), rows[i+1][1])
		}
		want := []string{"<code>" + html.EscapeString(clean(Position(f.Path, f.Line, f.Column), false)) + "</code>",
			"<code>" + f.Rule + "</code>", string(f.Severity)}
		for j, w := range want {
			if got := unquot(cells[j][1]); got != unquot(w) {
				t.Errorf("row %d cell %d = %q, want %q", i, j, got, w)
			}
		}
		msg := cells[3][1]
		if strings.Count(msg, "<") != strings.Count(msg, "<br>")+2*strings.Count(msg, "<em>") {
			t.Errorf("row %d message has markup: %s", i, msg)
		}
		text := strings.NewReplacer("<br>", "\n", "<em>", "", "</em>", "").Replace(msg)
		wantText := clean(strings.ReplaceAll(strings.ReplaceAll(f.Message, "\r\n", "\n"), "\r", "\n"), false)
		if f.Hint != "" {
			wantText += "\nhint: " + f.Hint
		}
		if got := html.UnescapeString(text); got != wantText {
			t.Errorf("row %d message shows %q, want %q", i, got, wantText)
		}
	}
}

func unquot(s string) string { return html.UnescapeString(s) }

func TestMarkdownTruncated(t *testing.T) {
	var fs []qms.Finding
	for i := 0; i < 20000; i++ {
		fs = append(fs, qms.Finding{Path: fmt.Sprintf("records/incidents/INC-2026-%04d.md", i), Line: 5, Column: 1, Rule: "required",
			Severity: qms.Error, Message: "resolved_at is required unless status is open, and this message is long enough to matter", Hint: "add 'resolved_at: ...' to the frontmatter"})
	}
	for _, limit := range []int{0, 4096} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			var b bytes.Buffer
			s := Summary{Title: "qms validate", Verdict: "failed", Full: "qms validate --format json",
				Tables:  []Table{FindingTable("Findings", fs[:len(fs)/2]), FindingTable("More", fs[len(fs)/2:])},
				Details: []Detail{{Summary: "text", Text: "x"}}}
			if err := Markdown(&b, s, limit); err != nil {
				t.Fatal(err)
			}
			most := limit
			if most == 0 {
				most = GitHubLimit
			}
			if b.Len() > most {
				t.Fatalf("summary has %d bytes, more than %d", b.Len(), most)
			}
			if b.Len() < most-2*reserve {
				t.Errorf("summary has %d bytes, far less than the %d allowed", b.Len(), most)
			}
			shown := strings.Count(b.String(), "\n| `records/")
			m := regexp.MustCompile(`\n\*\*Truncated:\*\* this summary stops at .*; (\d+) of (\d+) rows and the full text report are not shown\. Run ` + "`qms validate --format json`" + ` for everything\.\n$`).FindStringSubmatch(b.String())
			if m == nil {
				t.Fatalf("no truncation line at the end:\n%s", b.String()[max(0, b.Len()-500):])
			}
			if m[1] != fmt.Sprint(len(fs)-shown) || m[2] != fmt.Sprint(len(fs)) {
				t.Errorf("truncation line says %s of %s rows not shown; %d of %d were shown", m[1], m[2], shown, len(fs))
			}
		})
	}
}

func TestInline(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain words, 12 of them.", "plain words, 12 of them."},
		{"a|b", `a\|b`},
		{"<b>&amp;</b>", "&lt;b&gt;&amp;amp;&lt;/b&gt;"},
		{"*x* _y_ `z` [l](u) ~s~ $m$ @u #1 \\", `\*x\* \_y\_ \` + "`" + `z\` + "`" + ` \[l\](u) \~s\~ \$m\$ \@u \#1 \\`},
		{"one\ntwo\r\nthree\rfour", "one<br>two<br>three<br>four"},
		{"nul\x00 esc\x1b tab\t bad\xff", "nul\uFFFD esc\uFFFD tab  bad\uFFFD"},
	} {
		if got := inline(tc.in); got != tc.want {
			t.Errorf("inline(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCodeSpan(t *testing.T) {
	for _, tc := range []struct {
		in      string
		inTable bool
		want    string
	}{
		{"records/a.md", true, "`records/a.md`"},
		{"a`b", false, "``a`b``"},
		{"`a``", false, "``` `a`` ```"},
		{"a|b", true, "`a\\|b`"},
		{"a|b", false, "`a|b`"},
		{"two\nlines", true, "two<br>lines"},
		{"", true, ""},
	} {
		if got := codeSpan(tc.in, tc.inTable); got != tc.want {
			t.Errorf("codeSpan(%q, %v) = %q, want %q", tc.in, tc.inTable, got, tc.want)
		}
	}
}

func TestCodeQualityGolden(t *testing.T) {
	var issues []Issue
	for _, f := range hostile {
		issues = append(issues, FindingIssue(f))
	}
	issues = append(issues, NewIssue("governance", Critical, "", 0, "commit 0b528fb518f5: changes the matrix [governance]", "0b528fb518f5\nchanges the matrix"))
	var b bytes.Buffer
	if err := CodeQuality(&b, issues); err != nil {
		t.Fatal(err)
	}
	golden(t, "codequality.json", b.Bytes())
	if n, err := gitlab.CheckCodeQuality(b.Bytes()); err != nil || n != len(issues) {
		t.Errorf("CheckCodeQuality = %d issues, %v; want %d, nil", n, err, len(issues))
	}

	b.Reset()
	if err := CodeQuality(&b, nil); err != nil {
		t.Fatal(err)
	}
	if b.String() != "[]\n" {
		t.Errorf("CodeQuality(nil) = %q, want an empty array", b.String())
	}
}

// TestFingerprint: an issue keeps its fingerprint when it moves to another
// line, run after run; another message, rule or file is another issue;
// two identical findings in one file are two issues.
func TestFingerprint(t *testing.T) {
	fp := func(fs ...qms.Finding) []string {
		var issues []Issue
		for _, f := range fs {
			issues = append(issues, FindingIssue(f))
		}
		var b bytes.Buffer
		if err := CodeQuality(&b, issues); err != nil {
			t.Fatal(err)
		}
		var got []Issue
		if err := json.Unmarshal(b.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, g := range got {
			out = append(out, g.Fingerprint)
		}
		return out
	}
	f := hostile[0]
	moved := f
	moved.Line, moved.Column = 9, 3
	other := f
	other.Message = "detected_at is required"
	otherRule := f
	otherRule.Rule = "type"
	otherFile := f
	otherFile.Path = "records/incidents/INC-2026-0009.md"
	hinted := f
	hinted.Hint = "another hint"
	base := fp(f)[0]
	if got := fp(moved)[0]; got != base {
		t.Errorf("moving a finding changed its fingerprint: %s, was %s", got, base)
	}
	if got := fp(hinted)[0]; got != base {
		t.Errorf("another hint changed the fingerprint: %s, was %s", got, base)
	}
	for name, g := range map[string]qms.Finding{"message": other, "rule": otherRule, "file": otherFile} {
		if got := fp(g)[0]; got == base {
			t.Errorf("another %s kept the fingerprint %s", name, got)
		}
	}
	two := fp(f, moved)
	if two[0] != base || two[1] == base {
		t.Errorf("two identical findings: fingerprints %v, want the first to be %s and the second another", two, base)
	}
	if again := fp(f, moved); again[1] != two[1] {
		t.Errorf("the second of two identical findings changed fingerprint between runs: %s, was %s", again[1], two[1])
	}
}

// FuzzMarkdownCell: whatever a record's text holds, its finding renders
// (as GitHub-flavoured markdown, raw HTML allowed through) as one table row
// of four cells showing exactly that text, with no markup of its own.
func FuzzMarkdownCell(f *testing.F) {
	for _, h := range hostile {
		f.Add(h.Path, h.Message, h.Hint)
	}
	f.Add("a`b|c\\", "x\\|y `` z ``", "*")
	md := goldmark.New(goldmark.WithExtensions(extension.Table, extension.Strikethrough), goldmark.WithRendererOptions(gmhtml.WithUnsafe()))
	row := regexp.MustCompile(`(?s)<tbody>\s*<tr>(.*?)</tr>\s*</tbody>`)
	cell := regexp.MustCompile(`(?s)<td>(.*?)</td>`)
	f.Fuzz(func(t *testing.T, path, msg, hint string) {
		fd := qms.Finding{Path: path, Line: 1, Column: 1, Rule: "rule", Severity: qms.Error, Message: msg, Hint: hint}
		var b, out bytes.Buffer
		if err := Markdown(&b, Summary{Title: "t", Verdict: "v", Tables: []Table{FindingTable("F", []qms.Finding{fd})}}, 0); err != nil {
			t.Fatal(err)
		}
		if err := md.Convert(b.Bytes(), &out); err != nil {
			t.Fatal(err)
		}
		m := row.FindStringSubmatch(out.String())
		if m == nil {
			t.Fatalf("no table row in:\n%s\nfrom:\n%s", out.String(), b.String())
		}
		cells := cell.FindAllStringSubmatch(m[1], -1)
		if len(cells) != 4 {
			t.Fatalf("%d cells, want 4:\n%s\nfrom:\n%s", len(cells), m[1], b.String())
		}
		// Tables trim a cell's spaces; a code span drops one space at each
		// end when it has one at both.
		trim := func(s string) string { return strings.Trim(s, " ") }
		wantPos := trim(clean(Position(path, 1, 1), false))
		if !strings.ContainsAny(wantPos, "\r\n") && wantPos != "" {
			got := cells[0][1]
			if !strings.HasPrefix(got, "<code>") || !strings.HasSuffix(got, "</code>") {
				t.Fatalf("location cell %q is not code", got)
			}
			got = html.UnescapeString(strings.TrimSuffix(strings.TrimPrefix(got, "<code>"), "</code>"))
			if trim(got) != wantPos {
				t.Errorf("location shows %q, want %q\nfrom:\n%s", got, wantPos, b.String())
			}
		}
		text := cells[3][1]
		if n := strings.Count(text, "<") - strings.Count(text, "<br>") - 2*strings.Count(text, "<em>"); n != 0 {
			t.Fatalf("message cell has markup: %s\nfrom:\n%s", text, b.String())
		}
		lines := strings.NewReplacer("\r\n", "\n", "\r", "\n")
		wantText := lines.Replace(clean(msg, false))
		if hint != "" {
			wantText += "\nhint: " + lines.Replace(clean(hint, false))
		}
		got := html.UnescapeString(strings.NewReplacer("<br>", "\n", "<em>", "", "</em>", "").Replace(text))
		if trim(got) != trim(wantText) {
			t.Errorf("message shows %q, want %q\nfrom:\n%s", got, wantText, b.String())
		}
	})
}
