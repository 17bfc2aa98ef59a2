package render

import (
	"encoding/json"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/qms-tool/qms/internal/approval"

	"github.com/qms-tool/qms/internal/testkit/testrepo"
)

// readIndex decodes the search index script of a site.
func readIndex(t *testing.T, files map[string][]byte) []searchEntry {
	t.Helper()
	js := string(files[SearchIndexFile])
	const prefix = "window.QMS_SEARCH = "
	i := strings.Index(js, prefix)
	if i < 0 || !strings.HasSuffix(js, ";\n") {
		t.Fatalf("%s is not an index script:\n%.200s", SearchIndexFile, js)
	}
	var idx struct {
		Records []searchEntry `json:"records"`
	}
	if err := json.Unmarshal([]byte(strings.TrimSuffix(js[i+len(prefix):], ";\n")), &idx); err != nil {
		t.Fatalf("%s: %v", SearchIndexFile, err)
	}
	return idx.Records
}

// TestSearchIndex: every published record is in the index once, with its
// id, title, kind and page, and the words of its frontmatter and body;
// the index is the same on every run.
func TestSearchIndex(t *testing.T) {
	files := site_(t, testrepo.Example(t), Input{Company: "Silvretta Medical Software AG"})
	idx := readIndex(t, files)
	if len(idx) != 29 {
		t.Fatalf("%d records indexed, want 29", len(idx))
	}
	seen := map[string]bool{}
	for _, e := range idx {
		if seen[e.ID] {
			t.Errorf("%s indexed twice", e.ID)
		}
		seen[e.ID] = true
		if _, ok := files[e.URL]; !ok {
			t.Errorf("%s: its page %s is not in the site", e.ID, e.URL)
		}
		words := strings.Fields(e.Words)
		dup := map[string]bool{}
		for _, w := range words {
			if dup[w] {
				t.Errorf("%s: word %q twice", e.ID, w)
			}
			dup[w] = true
			if w != strings.ToLower(w) || len([]rune(w)) < minWordLen || len([]rune(w)) > maxWordLen {
				t.Errorf("%s: word %q is not a lower-case word of %d to %d letters", e.ID, w, minWordLen, maxWordLen)
			}
		}
	}
	var inc *searchEntry
	for i := range idx {
		if idx[i].ID == "INC-2026-0002" {
			inc = &idx[i]
		}
	}
	if inc == nil {
		t.Fatal("INC-2026-0002 is not indexed")
	}
	if inc.Kind != "incident" || inc.URL != "records/incident/INC-2026-0002.html" ||
		inc.Title != "Loss of primary hosting region ch-north-1 after data centre power failure" {
		t.Errorf("INC-2026-0002 indexed as %+v", *inc)
	}
	w := " " + inc.Words + " "
	// From the id, the title, a frontmatter value (level) and the body.
	for _, want := range []string{"inc", "2026", "0002", "power", "failure", "catastrophic", "failover"} {
		if !strings.Contains(w, " "+want+" ") {
			t.Errorf("INC-2026-0002's words lack %q: %s", want, inc.Words)
		}
	}
	again := site_(t, testrepo.Example(t), Input{Company: "Silvretta Medical Software AG"})
	if string(again[SearchIndexFile]) != string(files[SearchIndexFile]) {
		t.Error("the search index differs between two runs")
	}
	if string(files[SearchScript]) != searchJS || !strings.Contains(string(files[SearchFile]), `<script src="search-index.js"></script>`) {
		t.Error("the search page does not load the index and the script")
	}
	if bad := CheckLinks(files); len(bad) > 0 {
		t.Errorf("broken links:\n%s", strings.Join(bad, "\n"))
	}
}

// TestSearchWords: how a record's text becomes words, the bounds included.
func TestSearchWords(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    page
		want string
	}{
		{"id title data body", page{rec: doc{ID: "INC-2026-0001", Data: map[string]any{"owner": "akeller", "z": []any{"Zürich", 3}, "a": map[string]any{"b": "Ölpreis"}}, Body: []byte("## Summary\n\nThe **VPN** was down; the vpn came back.\n")}, title: "VPN down"},
			"inc 2026 0001 vpn down ölpreis akeller zürich summary the was came back"},
		{"short and long words", page{rec: doc{ID: "x", Body: []byte("a bb " + strings.Repeat("c", 41) + " " + strings.Repeat("d", 40))}},
			"bb " + strings.Repeat("d", 40)},
		{"markdown falls away", page{rec: doc{ID: "T", Body: []byte("- [x] [Link](../x.md#top) `code` <b>tag</b>")}},
			"link md top code tag"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := searchWords(&tc.p); got != tc.want {
				t.Errorf("searchWords = %q\nwant %q", got, tc.want)
			}
		})
	}
	t.Run("bounded", func(t *testing.T) {
		var b strings.Builder
		for i := 0; i < 3*maxWords; i++ {
			b.WriteString("w")
			b.WriteString(strings.Repeat("x", i%7))
			b.WriteString(string(rune('a' + i%26)))
			b.WriteString(string(rune('a' + i/26%26)))
			b.WriteString(string(rune('a' + i/676%26)))
			b.WriteString(" ")
		}
		if n := len(strings.Fields(searchWords(&page{rec: doc{Body: []byte(b.String())}}))); n != maxWords {
			t.Errorf("%d words indexed, want at most %d", n, maxWords)
		}
	})
}

// TestSearchPublishedOnly: the index holds what the site publishes and
// nothing else (here: the public site's documents only).
func TestSearchPublishedOnly(t *testing.T) {
	m := testrepo.Example(t)
	files := site_(t, m, Input{})
	idx := readIndex(t, files)
	names := map[string]bool{}
	for n := range files {
		names[n] = true
	}
	pages := 0
	for n := range names {
		if strings.HasPrefix(n, "records/") {
			pages++
		}
	}
	if len(idx) != pages {
		t.Errorf("%d records indexed, %d record pages published", len(idx), pages)
	}
	empty := site_(t, fstest.MapFS{"qms.yaml": &fstest.MapFile{Data: []byte("company: Example\n")}}, Input{})
	if got := readIndex(t, empty); len(got) != 0 {
		t.Errorf("an empty repository indexes %d records", len(got))
	}
}

// TestCSSString: a record id in the print header's CSS string cannot end
// the string or the <style> element.
func TestCSSString(t *testing.T) {
	for in, want := range map[string]string{
		"INC-2026-0001 · Silvretta": `"INC-2026-0001 · Silvretta"`,
		`a"b\c`:                     `"a\22 b\5c c"`,
		"</style><script>":          `"\3c /style\3e \3c script\3e "`,
		"line\nbreak":               `"line\a break"`,
	} {
		if got := cssString(in); got != want {
			t.Errorf("cssString(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestLineDiff: lines removed and added, the rest kept, in order.
func TestLineDiff(t *testing.T) {
	got := lineDiff("a\nb\nc\n", "a\nB\nc\nd\n")
	var b strings.Builder
	for _, l := range got {
		b.WriteString(map[int8]string{-1: "-", 0: " ", 1: "+"}[int8(l.op)] + l.text + "|")
	}
	if want := " a|-b|+B| c|+d|"; b.String() != want {
		t.Errorf("lineDiff = %q, want %q", b.String(), want)
	}
}

// TestGuidance: the template's guidance left in a record (a paragraph in
// _italics_) is left out of an approved page and marked as not filled in
// on a draft; a sentence with some emphasis is the author's text.
func TestGuidance(t *testing.T) {
	m := testrepo.Example(t)
	inc := "records/incidents/INC-2026-0099.md"
	m[inc] = &fstest.MapFile{Data: []byte("---\nid: INC-2026-0099\ntitle: Guidance left in\nlevel: minimal\nstatus: open\n" +
		"detected_at: 2026-11-20T10:00:00+01:00\nservices: [backend]\nreported_by: akeller\nowner: akeller\ndrp_activated: false\n---\n" +
		"## Summary\n\n_Describe what happened, which services and users are\naffected._\n\nThe VPN was _really_ down.\n")}
	page := "records/incident/INC-2026-0099.html"
	draft := string(site_(t, m, Input{})[page])
	if !strings.Contains(draft, "<p class=\"guidance\"><em>Describe what happened, which services and users are\naffected.</em></p>") {
		t.Errorf("the draft page does not mark the guidance:\n%s", draft)
	}
	if !strings.Contains(draft, "<p>The VPN was <em>really</em> down.</p>") {
		t.Errorf("the author's text is changed:\n%s", draft)
	}
	approved := string(site_(t, m, Input{Approval: &Approval{Report: &approval.Report{}, States: []approval.State{{Path: inc, Kind: "incident", State: approval.Approved}}}})[page])
	if strings.Contains(approved, "Describe what happened") || !strings.Contains(approved, "<p>The VPN was <em>really</em> down.</p>") {
		t.Errorf("the approved page shows the guidance or lost the text:\n%s", approved)
	}
}
