package render

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/qms-tool/qms/internal/testkit/testrepo"
)

// TestAccessible checks every page of the example site for what a screen
// reader and a phone need: a language, a viewport, one h1 and headings
// that never skip a level, a label for every form control, a name for
// every chart; and the style sheet's text colours against every
// background it sets, at WCAG AA's 4.5:1.
func TestAccessible(t *testing.T) {
	files := site_(t, testrepo.Example(t), Input{})
	pages := 0
	for name, data := range files {
		if !strings.HasSuffix(name, ".html") {
			continue
		}
		pages++
		doc, err := html.Parse(strings.NewReader(string(data)))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, p := range accessProblems(doc) {
			t.Errorf("%s: %s", name, p)
		}
	}
	if pages < 20 {
		t.Fatalf("only %d pages checked", pages)
	}
}

func accessProblems(doc *html.Node) []string {
	var out []string
	attr := func(n *html.Node, k string) (string, bool) {
		for _, a := range n.Attr {
			if a.Key == k {
				return a.Val, true
			}
		}
		return "", false
	}
	labels := map[string]bool{}
	var controls []*html.Node
	h1s, last := 0, 0
	viewport := false
	var walk func(n *html.Node, inLabel bool)
	walk = func(n *html.Node, inLabel bool) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "html":
				if l, _ := attr(n, "lang"); l == "" {
					out = append(out, "<html> has no lang")
				}
			case "meta":
				if v, _ := attr(n, "name"); v == "viewport" {
					viewport = true
				}
			case "h1", "h2", "h3", "h4", "h5", "h6":
				level := int(n.Data[1] - '0')
				if level == 1 {
					h1s++
				}
				if last == 0 && level != 1 {
					out = append(out, fmt.Sprintf("the first heading is an %s", n.Data))
				} else if level > last+1 && last != 0 {
					out = append(out, fmt.Sprintf("an %s follows an h%d", n.Data, last))
				}
				last = level
			case "label":
				if f, ok := attr(n, "for"); ok {
					labels[f] = true
				}
				inLabel = true
			case "input", "select", "textarea":
				if typ, _ := attr(n, "type"); typ != "hidden" && typ != "submit" && !inLabel {
					controls = append(controls, n)
				}
			case "svg":
				_, aria := attr(n, "aria-label")
				_, by := attr(n, "aria-labelledby")
				title := n.FirstChild != nil && n.FirstChild.Type == html.ElementNode && n.FirstChild.Data == "title"
				if !aria && !by && !title {
					out = append(out, "a chart (svg) has no name")
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, inLabel)
		}
	}
	walk(doc, false)
	for _, c := range controls {
		id, _ := attr(c, "id")
		_, aria := attr(c, "aria-label")
		if !aria && (id == "" || !labels[id]) {
			out = append(out, fmt.Sprintf("a <%s id=%q> has no label", c.Data, id))
		}
	}
	if h1s != 1 {
		out = append(out, fmt.Sprintf("%d h1 headings, want 1", h1s))
	}
	if !viewport {
		out = append(out, "no viewport meta (unreadable on a phone)")
	}
	return out
}

func TestContrast(t *testing.T) {
	fg := regexp.MustCompile(`(?:^|[;{])color:(#[0-9a-fA-F]{3,6})`)
	bg := regexp.MustCompile(`background:(#[0-9a-fA-F]{3,6})`)
	backs := []string{"#ffffff"}
	for _, m := range bg.FindAllStringSubmatch(css, -1) {
		backs = append(backs, m[1])
	}
	texts := fg.FindAllStringSubmatch(css, -1)
	if len(texts) < 5 || len(backs) < 8 {
		t.Fatalf("found %d text colours and %d backgrounds in the style sheet", len(texts), len(backs))
	}
	for _, f := range texts {
		for _, b := range backs {
			if r := contrast(f[1], b); r < 4.5 {
				t.Errorf("text %s on %s: contrast %.2f:1, want at least 4.5:1", f[1], b, r)
			}
		}
	}
	if r := contrast("#777777", "#ffffff"); r >= 4.5 {
		t.Errorf("contrast(#777, white) = %.2f, which WCAG puts below 4.5", r)
	}
}

// contrast is WCAG 2's contrast ratio of two sRGB colours.
func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

func luminance(hex string) float64 {
	hex = strings.TrimPrefix(hex, "#")
	if len(hex) == 3 {
		hex = string([]byte{hex[0], hex[0], hex[1], hex[1], hex[2], hex[2]})
	}
	var l float64
	for i, w := range []float64{0.2126, 0.7152, 0.0722} {
		v, _ := strconv.ParseUint(hex[2*i:2*i+2], 16, 8)
		c := float64(v) / 255
		if c <= 0.04045 {
			c /= 12.92
		} else {
			c = math.Pow((c+0.055)/1.055, 2.4)
		}
		l += w * c
	}
	return l
}
