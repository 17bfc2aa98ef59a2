package vcs

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"testing"
)

// rawEntries builds a raw tree from "MODE NAME" pairs, each with a
// non-null id.
func rawEntries(entries ...string) []byte {
	var b bytes.Buffer
	for i, e := range entries {
		b.WriteString(e)
		b.WriteByte(0)
		id := bytes.Repeat([]byte{byte(i%255 + 1)}, 20)
		if strings.HasSuffix(e, " null") {
			id = make([]byte, 20)
		}
		b.Write(id)
	}
	return b.Bytes()
}

func TestCheckTree(t *testing.T) {
	tests := []struct {
		name    string
		raw     []byte
		problem string // "" for a well-formed tree
	}{
		{"well formed", rawEntries("100644 a", "100644 a.b", "40000 a0", "100755 b", "120000 c", "160000 d"), ""},
		{"a directory after same-prefix files", rawEntries("100644 a-b", "100644 a.b", "40000 a"), ""},
		{"empty", nil, ""},
		{"the same file twice", rawEntries("100644 a", "100644 a"), "duplicate entry"},
		{"a file and a directory of one name", rawEntries("100644 a", "100644 a.b", "40000 a"), "duplicate entry (a file and a directory)"},
		{"out of order", rawEntries("100644 b", "100644 a"), "entries not sorted"},
		{"directory sorted as a file", rawEntries("40000 a", "100644 a.b"), "entries not sorted"},
		{"zero-padded mode", rawEntries("040000 a"), "zero-padded file mode"},
		{"group-writable mode", rawEntries("100664 a"), "unusual file mode"},
		{"dot-git", rawEntries("40000 .git"), "name that git reserves"},
		{"dot-git in capitals", rawEntries("40000 .GIT"), "name that git reserves"},
		{"NTFS trailing dot", rawEntries("40000 .git."), "name that git reserves"},
		{"NTFS short name", rawEntries("40000 GIT~1"), "name that git reserves"},
		{"HFS+ ignorable", rawEntries("40000 .g\u200cit"), "name that git reserves"},
		{"a dot", rawEntries("40000 ."), "name"},
		{"dot-dot", rawEntries("40000 .."), "name"},
		{"a slash", rawEntries("100644 a/b"), "name holding a slash"},
		{"a null id", rawEntries("100644 a null"), "null object id"},
		{"truncated", rawEntries("100644 a")[:10], "entry that does not parse"},
		{"a name with git in it", rawEntries("100644 digit.md", "100644 gitignore.md"), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := checkTree(tc.raw)
			switch {
			case tc.problem == "" && err != nil:
				t.Errorf("checkTree = %v, want a well-formed tree", err)
			case tc.problem != "" && (err == nil || !strings.HasPrefix(err.Problem, tc.problem)):
				t.Errorf("checkTree = %v, want %q", err, tc.problem)
			}
		})
	}
}

// FuzzCheckTree: never a panic; a tree that passes lists each name once,
// in git's order, and the binary search of lookup finds what a scan finds,
// for its names and for names near them.
func FuzzCheckTree(f *testing.F) {
	f.Add(rawEntries("100644 a", "40000 b"))
	f.Add(rawEntries("100644 a", "100644 a.b", "40000 a"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if checkTree(raw) != nil {
			return
		}
		seen := map[string]bool{}
		for rest := raw; len(rest) > 0; {
			_, name, _, next, ok := next(rest)
			if !ok {
				t.Fatal("a tree that passed does not parse")
			}
			if seen[string(name)] {
				t.Fatalf("a tree that passed has %q twice", name)
			}
			seen[string(name)] = true
			rest = next
		}
		idx := offsets(raw)
		for name := range seen {
			for _, n := range []string{name, name + "0", name[:len(name)-1], name + "/", "~" + name} {
				want, wok := scan(raw, n)
				got, gok := search(raw, idx, n)
				if got != want || gok != wok {
					t.Fatalf("search(%q) = %+v %v, scan = %+v %v", n, got, gok, want, wok)
				}
			}
		}
	})
}

// TestTreeSearch: the binary search finds every entry of a large tree in
// git's order (files and directories sharing prefixes, a file whose name
// sorts between a directory's name and its name with '/'), and nothing
// that is not there.
func TestTreeSearch(t *testing.T) {
	var es []string
	for i := range 300 {
		n := fmt.Sprintf("IN-%04d", i*7)
		es = append(es, "100644 "+n+".md")
	}
	es = append(es, "100644 a", "100644 a-b", "100644 a.b", "40000 a0", "40000 b", "100644 b.md", "120000 c", "160000 d")
	// git's order: a directory sorts as if its name ended in '/'.
	key := func(e string) string {
		mode, name, _ := strings.Cut(e, " ")
		if mode == "40000" {
			return name + "/"
		}
		return name
	}
	sort.Slice(es, func(i, j int) bool { return key(es[i]) < key(es[j]) })
	raw := rawEntries(es...)
	if err := checkTree(raw); err != nil {
		t.Fatal(err)
	}
	idx := offsets(raw)
	if len(idx) != len(es) {
		t.Fatalf("offsets: %d entries, want %d", len(idx), len(es))
	}
	for _, e := range es {
		_, name, _ := strings.Cut(e, " ")
		for _, n := range []string{name, name + "x", "x" + name} {
			want, wok := scan(raw, n)
			got, gok := search(raw, idx, n)
			if got != want || gok != wok {
				t.Errorf("search(%q) = %+v %v, scan = %+v %v", n, got, gok, want, wok)
			}
		}
		if _, ok := search(raw, idx, name); !ok {
			t.Errorf("search(%q) found nothing", name)
		}
	}
}
