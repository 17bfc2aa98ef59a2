package render

import (
	"bytes"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"
)

var (
	linkRe = regexp.MustCompile(`\s(?:href|src|action)="([^"]*)"`)
	idRe   = regexp.MustCompile(`\sid="([^"]*)"`)
)

// CheckLinks checks a site made by Write (file name → content): every
// href and src of every HTML file must lead to a file of the site, and to
// an element with that id when it has a fragment. Links with a scheme
// (https:, mailto:) are not followed, but an src with one is an external
// asset and reported. It returns one line per broken link, sorted.
func CheckLinks(files map[string][]byte) []string {
	ids := map[string]map[string]bool{}
	idsOf := func(name string) map[string]bool {
		if m, ok := ids[name]; ok {
			return m
		}
		m := map[string]bool{}
		for _, x := range idRe.FindAllSubmatch(files[name], -1) {
			m[unescape(string(x[1]))] = true
		}
		ids[name] = m
		return m
	}
	var bad []string
	for name, data := range files {
		if !strings.HasSuffix(name, ".html") {
			continue
		}
		for _, loc := range linkRe.FindAllSubmatchIndex(data, -1) {
			m := [][]byte{data[loc[0]:loc[1]], data[loc[2]:loc[3]]}
			raw := unescape(string(m[1]))
			if raw == "" {
				// An empty href on a link is the page itself (goldmark
				// writes one for a refused javascript: link); anything
				// else would load the page as an asset.
				tag := data[bytes.LastIndexByte(data[:loc[0]], '<')+1:]
				if !bytes.HasPrefix(tag, []byte("a ")) {
					bad = append(bad, fmt.Sprintf("%s: empty link", name))
				}
				continue
			}
			isSrc := strings.HasPrefix(strings.TrimSpace(string(m[0])), "src")
			if i := strings.Index(raw, ":"); i >= 0 && !strings.ContainsAny(raw[:i], "/?#") {
				if isSrc {
					bad = append(bad, fmt.Sprintf("%s: external asset %s", name, raw))
				}
				continue
			}
			target, frag, _ := strings.Cut(raw, "#")
			dest := name
			if target != "" {
				if strings.HasPrefix(target, "/") {
					bad = append(bad, fmt.Sprintf("%s: absolute link %s", name, raw))
					continue
				}
				dest = path.Clean(path.Join(path.Dir(name), pathUnescape(target)))
			}
			if _, ok := files[dest]; !ok {
				bad = append(bad, fmt.Sprintf("%s: %s leads to no file (%s)", name, raw, dest))
				continue
			}
			if frag != "" && !idsOf(dest)[pathUnescape(frag)] {
				bad = append(bad, fmt.Sprintf("%s: %s leads to no element with id %q in %s", name, raw, frag, dest))
			}
		}
	}
	sort.Strings(bad)
	return bad
}

func unescape(s string) string {
	return strings.NewReplacer("&amp;", "&", "&#34;", `"`, "&quot;", `"`, "&#39;", "'", "&lt;", "<", "&gt;", ">").Replace(s)
}

// pathUnescape undoes pathEscape's %XX.
func pathUnescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			var c byte
			if _, err := fmt.Sscanf(s[i+1:i+3], "%02X", &c); err == nil {
				b.WriteByte(c)
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
