package vcs

import (
	"bytes"
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
		id := bytes.Repeat([]byte{byte(i + 1)}, 20)
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
// in git's order.
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
	})
}
