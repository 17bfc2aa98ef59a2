package render

import (
	"encoding/json"
	"fmt"
	"html/template"
	"maps"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The search page and its files: the index is written at render time as
// a script (a page opened from file:// may load scripts but not fetch
// JSON), the search itself runs in the browser with no server and no
// external asset.
const (
	SearchFile      = "search.html"
	SearchIndexFile = "search-index.js"
	SearchScript    = "search.js"
)

// Bounds of what one record adds to the index: words are what a reader
// types, not hashes or base64 (maxWordLen), and a huge record cannot make
// the index unloadable (maxWords distinct words each).
const (
	minWordLen = 2
	maxWordLen = 40
	maxWords   = 4000
)

// searchEntry is one record in the index; the short names keep a 10,000
// record index small.
type searchEntry struct {
	ID    string `json:"id"`
	Title string `json:"t"`
	Kind  string `json:"k"`
	State string `json:"s,omitempty"`
	URL   string `json:"u"`
	Words string `json:"w"`
}

// searchWords is the distinct words of a record, lower case, in the order
// they first appear: its id, title, the string values of its frontmatter
// and its body (markdown punctuation falls away with the word split).
// The browser splits the query the same way (letters and digits, Unicode).
func searchWords(p *page) string {
	w := wordSet{seen: map[string]bool{}}
	w.add(p.rec.ID)
	w.add(p.title)
	w.addValue(p.rec.Data, 0)
	w.add(string(p.rec.Body))
	return w.b.String()
}

type wordSet struct {
	seen map[string]bool
	b    strings.Builder
	n    int
}

func (w *wordSet) addValue(v any, depth int) {
	if depth > 8 {
		return
	}
	switch x := v.(type) {
	case string:
		w.add(x)
	case []any:
		for _, e := range x {
			w.addValue(e, depth+1)
		}
	case map[string]any:
		// Map order is random; words are deduplicated, but their order
		// must not depend on it: walk the keys sorted.
		for _, k := range slices.Sorted(maps.Keys(x)) {
			w.addValue(x[k], depth+1)
		}
	}
}

func (w *wordSet) add(s string) {
	isWord := func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
	for s != "" && w.n < maxWords {
		i := strings.IndexFunc(s, isWord)
		if i < 0 {
			return
		}
		s = s[i:]
		j := strings.IndexFunc(s, func(r rune) bool { return !isWord(r) })
		if j < 0 {
			j = len(s)
		}
		word := strings.ToLower(s[:j])
		s = s[j:]
		if n := utf8.RuneCountInString(word); n < minWordLen || n > maxWordLen || w.seen[word] {
			continue
		}
		w.seen[word] = true
		if w.b.Len() > 0 {
			w.b.WriteByte(' ')
		}
		w.b.WriteString(word)
		w.n++
	}
}

// searchIndex is the index script over the published pages, in page order.
func (s *site) searchIndex() ([]byte, error) {
	entries := make([]searchEntry, 0, len(s.pages))
	for _, p := range s.pages {
		if !p.indexed {
			p.words, p.indexed = searchWords(p), true
		}
		entries = append(entries, searchEntry{ID: p.rec.ID, Title: p.title, Kind: p.rec.Kind, State: p.state, URL: escapePath(p.name), Words: p.words})
	}
	js, err := json.Marshal(struct {
		Records []searchEntry `json:"records"`
	}{entries})
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(js)+64)
	out = append(out, "// The search index of this site, written by qms render.\nwindow.QMS_SEARCH = "...)
	out = append(out, js...)
	return append(out, ";\n"...), nil
}

// searchPage is the page that searches the index.
func (s *site) searchPage() []byte {
	var b strings.Builder
	b.WriteString("<h1 id=\"qms-search\">Search</h1>\n")
	fmt.Fprintf(&b, "<form id=\"qms-search-form\" role=\"search\" action=\"%s\">\n", rel(SearchFile, SearchFile))
	b.WriteString("<label for=\"qms-q\">Search ids, titles and text of the records</label>\n")
	b.WriteString("<input id=\"qms-q\" name=\"q\" type=\"search\" autocomplete=\"off\">\n<button type=\"submit\">Search</button>\n</form>\n")
	fmt.Fprintf(&b, "<p id=\"qms-search-status\" aria-live=\"polite\">Type an id (INC-2026-0001), a title or words from a record: every word must appear; a word matches the words it begins. %d records are indexed.</p>\n", len(s.pages))
	b.WriteString("<ol id=\"qms-results\"></ol>\n")
	fmt.Fprintf(&b, "<noscript><p class=\"note\">Search runs in the browser and needs JavaScript. Without it, the <a href=\"%s\">list of records by kind</a> leads to every record.</p></noscript>\n", rel(SearchFile, "index.html"))
	fmt.Fprintf(&b, "<script src=\"%s\"></script>\n<script src=\"%s\"></script>\n", rel(SearchFile, SearchIndexFile), rel(SearchFile, SearchScript))
	return s.layout(SearchFile, "Search", template.HTML(b.String()))
}

// searchForm is the search box in every page's header.
func searchForm(name string) string {
	return fmt.Sprintf(`<form class="qms-find" role="search" aria-label="Site search" action="%s"><label for="qms-find-q">Search</label> <input id="qms-find-q" name="q" type="search" size="18"> <button type="submit">Go</button></form>`,
		rel(name, SearchFile))
}

// searchJS runs a query over window.QMS_SEARCH: every word of the query
// must begin a word of the record, or be part of its id or title; an
// exact id comes first, then id, title and text matches. The query comes
// from the form or from ?q= in the page's address, so that the header's
// form and a bookmarked search work from file://.
const searchJS = `// Site search of qms render: no server, no external asset.
(function () {
  "use strict";
  var idx = window.QMS_SEARCH || { records: [] };
  var form = document.getElementById("qms-search-form");
  var input = document.getElementById("qms-q");
  var out = document.getElementById("qms-results");
  var status = document.getElementById("qms-search-status");
  function terms(q) {
    return q.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(function (t) { return t.length > 0; });
  }
  function run(q) {
    while (out.firstChild) { out.removeChild(out.firstChild); }
    var ts = terms(q), whole = q.trim().toLowerCase();
    if (ts.length === 0) {
      status.textContent = "Type an id, a title or words from a record.";
      return;
    }
    var hits = [];
    for (var i = 0; i < idx.records.length; i++) {
      var r = idx.records[i], id = r.id.toLowerCase(), title = r.t.toLowerCase(), words = " " + r.w;
      var score = id === whole ? 1000 : 0, ok = true;
      for (var j = 0; j < ts.length && ok; j++) {
        var t = ts[j];
        if (id.indexOf(t) >= 0) { score += 50; }
        else if (title.indexOf(t) >= 0) { score += 10; }
        else if (words.indexOf(" " + t) >= 0) { score += 1; }
        else { ok = false; }
      }
      if (ok) { hits.push([score, i]); }
    }
    hits.sort(function (a, b) { return b[0] - a[0] || a[1] - b[1]; });
    var n = hits.length;
    status.textContent = n + (n === 1 ? " record matches " : " records match ") + "\u201c" + q.trim() + "\u201d" +
      (n > 200 ? "; the first 200 are shown." : ".");
    for (var k = 0; k < n && k < 200; k++) {
      var e = idx.records[hits[k][1]];
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = e.u;
      a.textContent = e.id + (e.t ? ": " + e.t : "");
      li.appendChild(a);
      var what = document.createElement("span");
      what.className = "kind";
      what.textContent = " (" + e.k + (e.s ? ", " + e.s : "") + ")";
      li.appendChild(what);
      out.appendChild(li);
    }
  }
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    run(input.value);
    try { history.replaceState(null, "", "?q=" + encodeURIComponent(input.value)); } catch (x) { /* file:// may refuse */ }
  });
  var m = /[?&]q=([^&]*)/.exec(location.search);
  if (m) {
    var q = "";
    try { q = decodeURIComponent(m[1].replace(/\+/g, " ")); } catch (x) { q = m[1]; }
    input.value = q;
    run(q);
  }
})();
`
