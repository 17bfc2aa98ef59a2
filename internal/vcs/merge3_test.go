package vcs

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// lines joins lines, each ending in '\n'.
func lines(l ...string) string {
	if len(l) == 0 {
		return ""
	}
	return strings.Join(l, "\n") + "\n"
}

func TestMerge3(t *testing.T) {
	const conflict = "CONFLICT"
	base := lines("1", "2", "3", "4", "5", "6")
	tests := []struct {
		name               string
		base, ours, theirs string
		want               string // conflict for none
	}{
		{"only theirs changed", base, base, lines("1", "2", "three", "4", "5", "6"), lines("1", "2", "three", "4", "5", "6")},
		{"only ours changed", base, lines("1", "2", "three", "4", "5", "6"), base, lines("1", "2", "three", "4", "5", "6")},
		{"both changed alike", base, lines("1", "two", "4"), lines("1", "two", "4"), lines("1", "two", "4")},
		{"disjoint hunks", base, lines("one", "2", "3", "4", "5", "6"), lines("1", "2", "3", "4", "five", "6"), lines("one", "2", "3", "4", "five", "6")},
		{"one unchanged line between", base, lines("1", "two", "3", "4", "5", "6"), lines("1", "2", "3", "four", "5", "6"), lines("1", "two", "3", "four", "5", "6")},
		{"adjacent hunks", base, lines("1", "two", "3", "4", "5", "6"), lines("1", "2", "three", "4", "5", "6"), conflict},
		{"overlapping hunks", base, lines("1", "two", "three", "4", "5", "6"), lines("1", "2", "THREE", "FOUR", "5", "6"), conflict},
		{"the same line changed differently", base, lines("1", "two", "3", "4", "5", "6"), lines("1", "TWO", "3", "4", "5", "6"), conflict},
		{"changed on one side, deleted on the other", base, lines("1", "two", "3", "4", "5", "6"), lines("1", "3", "4", "5", "6"), conflict},
		{"the same line deleted on both, more on one", base, lines("1", "3", "4", "5", "six"), lines("1", "3", "4", "5", "6"), lines("1", "3", "4", "5", "six")},
		{"insertions at the same place", base, lines("1", "2", "a", "3", "4", "5", "6"), lines("1", "2", "b", "3", "4", "5", "6"), conflict},
		{"the same insertion, and more on one side", base, lines("1", "2", "a", "3", "4", "5", "six"), lines("1", "2", "a", "3", "4", "5", "6"), lines("1", "2", "a", "3", "4", "5", "six")},
		{"an insertion touching a change below", base, lines("1", "2", "a", "3", "4", "5", "6"), lines("1", "2", "three", "4", "5", "6"), conflict},
		{"an insertion touching a change above", base, lines("1", "2", "a", "3", "4", "5", "6"), lines("1", "two", "3", "4", "5", "6"), conflict},
		{"an insertion one line from a change", base, lines("1", "a", "2", "3", "4", "5", "6"), lines("1", "2", "three", "4", "5", "6"), lines("1", "a", "2", "three", "4", "5", "6")},
		{"insertions at both ends", base, lines("0", "1", "2", "3", "4", "5", "6"), lines("1", "2", "3", "4", "5", "6", "7"), lines("0", "1", "2", "3", "4", "5", "6", "7")},

		{"a final newline added, a change elsewhere", "a\nb\nc\nd", "A\nb\nc\nd", "a\nb\nc\nd\n", "A\nb\nc\nd\n"},
		{"a final newline added next to a change", "a\nb\nc\nd", "a\nb\nC\nd", "a\nb\nc\nd\n", conflict},
		{"a final newline removed, a change elsewhere", "a\nb\nc\nd\n", "A\nb\nc\nd\n", "a\nb\nc\nd", "A\nb\nc\nd"},
		{"a final newline added on both, a change on one", "a\nb\nc\nd", "A\nb\nc\nd\n", "a\nb\nc\nd\n", "A\nb\nc\nd\n"},
		{"a last line without newline appended to", "a\nb\nc\nd", "A\nb\nc\nd", "a\nb\nc\nde", "A\nb\nc\nde"},

		{"empty base, one side adds", "", "a\n", "", "a\n"},
		{"empty base, both add differently", "", "a\n", "b\n", conflict},
		{"empty base, both add alike", "", "a\n", "a\n", "a\n"},
		{"emptied on one side, added to on the other", "a\n", "", "a\nb\n", conflict},
		{"emptied on both", lines("a", "b"), "", "", ""},
		{"emptied on one side only", lines("a", "b"), "", lines("a", "b"), ""},

		{"CRLF lines kept as bytes", "a\r\nb\r\nc\r\nd\r\n", "A\r\nb\r\nc\r\nd\r\n", "a\r\nb\r\nc\r\nD\r\n", "A\r\nb\r\nc\r\nD\r\n"},
		{"a line ending changed, a change elsewhere", "a\r\nb\r\nc\r\nd\r\n", "a\r\nb\nc\r\nd\r\n", "a\r\nb\r\nc\r\nD\r\n", "a\r\nb\nc\r\nD\r\n"},
		{"a line ending changed next to a change", "a\r\nb\r\nc\r\nd\r\n", "a\r\nb\nc\r\nd\r\n", "a\r\nb\r\nC\r\nd\r\n", conflict},

		// Repeated lines: shortest diffs differ on where a change sits.
		// git slides each change down along repeated lines (unless that
		// lines it up with a change of the other file), so where every
		// shortest diff slides to the same place, Merge3 merges as git
		// does; where they could not, it refuses.
		{"a line inserted into a repeated line, a change above", "c\n", "c\nc\n", "a\nc\n", "a\nc\nc\n"},
		{"a blank line added, the line above changed", "x\n\ny\n", "x\n\n\ny\n", "X\n\ny\n", "X\n\n\ny\n"},
		{"a blank line added, the line below changed", "x\n\ny\n", "x\n\n\ny\n", "x\n\nY\n", conflict},
		{"one of two equal lines deleted on both", lines("a", "a", "z", "1", "2", "3"), lines("a", "z", "1", "2", "T"), lines("a", "z", "1", "2", "3"), lines("a", "z", "1", "2", "T")},
		{"a repeated line added far from a change", lines("x", "", "y", "1", "2", "3"), lines("x", "", "", "y", "1", "2", "3"), lines("x", "", "y", "1", "2", "three"), lines("x", "", "", "y", "1", "2", "three")},
		{"shortest diffs that disagree on which line moved", lines("c", "a", "a", "a", "a", "a", "b"), lines("a", "c", "a", "a", "a", "a", "a", "b"), lines("a", "c", "a", "a", "a", "b", "a", "b"), conflict},

		{"binary base", "a\x00\n", "a\x00\n", "b\n", conflict},
		{"binary side", "a\n", "a\n", "\x00", conflict},
		{"too large", strings.Repeat("a\n", maxMerge3Size/2+1), strings.Repeat("a\n", maxMerge3Size/2+1), "", conflict},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, swap := range []bool{false, true} {
				ours, theirs := tc.ours, tc.theirs
				if swap {
					ours, theirs = theirs, ours
				}
				got, clean := Merge3([]byte(tc.base), []byte(ours), []byte(theirs))
				switch {
				case tc.want == conflict && clean:
					t.Errorf("Merge3(%q, %q, %q) = %q, want a conflict", tc.base, ours, theirs, got)
				case tc.want != conflict && !clean:
					t.Errorf("Merge3(%q, %q, %q) is a conflict, want %q", tc.base, ours, theirs, tc.want)
				case tc.want != conflict && string(got) != tc.want:
					t.Errorf("Merge3(%q, %q, %q) = %q, want %q", tc.base, ours, theirs, got, tc.want)
				}
			}
		})
	}
}

// TestMerge3Bounds: diffs past the bounds are refused, not computed.
func TestMerge3Bounds(t *testing.T) {
	tests := []struct {
		name       string
		base, ours func(w *strings.Builder)
	}{
		{
			"every line replaced, past the edit distance",
			func(w *strings.Builder) {
				for i := range maxMerge3Edits/2 + 1 {
					fmt.Fprintf(w, "b%d\n", i)
				}
			},
			func(w *strings.Builder) {
				for i := range maxMerge3Edits/2 + 1 {
					fmt.Fprintf(w, "o%d\n", i)
				}
			},
		},
		{
			// A long file one side changed at both ends: no common start
			// or end to leave out of the table.
			"a long file changed at both ends, past the table",
			func(w *strings.Builder) {
				for i := range 100_000 {
					fmt.Fprintf(w, "l%d\n", i)
				}
			},
			func(w *strings.Builder) {
				for i := range 50 {
					fmt.Fprintf(w, "start%d\n", i)
				}
				for i := range 100_000 {
					fmt.Fprintf(w, "l%d\n", i)
				}
				for i := range 50 {
					fmt.Fprintf(w, "end%d\n", i)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var base, ours strings.Builder
			tc.base(&base)
			tc.ours(&ours)
			// theirs: base with its middle line changed.
			l := strings.Split(base.String(), "\n")
			l[len(l)/2] = "changed"
			theirs := strings.Join(l, "\n")
			if got, clean := Merge3([]byte(base.String()), []byte(ours.String()), []byte(theirs)); clean {
				t.Errorf("Merge3 = clean (%d bytes), want refused", len(got))
			}
		})
	}
}

func FuzzMerge3(f *testing.F) {
	f.Add([]byte(lines("1", "2", "3", "4")), []byte(lines("one", "2", "3", "4")), []byte(lines("1", "2", "3", "four")))
	f.Add([]byte(lines("1", "2", "3")), []byte(lines("1", "two", "3")), []byte(lines("1", "2", "three")))
	f.Add([]byte("a\nb\nc"), []byte("a\nb\nc\n"), []byte("A\nb\nc"))
	f.Add([]byte("c\n"), []byte("c\nc\n"), []byte("a\nc\n"))
	f.Add([]byte("a\r\nb\r\n"), []byte("a\nb\r\n"), []byte("a\r\nB\r\n"))
	f.Add([]byte(""), []byte("a\n"), []byte("b\n"))
	f.Add([]byte("x\n\ny\n\nz\n"), []byte("x\n\n\ny\n\nz\n"), []byte("x\n\ny\n\nZ\n"))
	f.Fuzz(func(t *testing.T, base, ours, theirs []byte) {
		checkMerge3(t, base, ours, theirs)
		// The same bytes as lines of a tiny alphabet, so that changes
		// collide and lines repeat.
		checkMerge3(t, tiny(base), tiny(ours), tiny(theirs))
	})
}

// tiny makes each of the first 64 bytes a line: "a\n", "b\n", "c\n" or
// "\n", or, for a last byte with the high bit set, one without its newline.
func tiny(b []byte) []byte {
	b = b[:min(len(b), 64)]
	var out []byte
	for i, c := range b {
		out = append(out, "abc\n"[c%4])
		if c%4 != 3 && (i < len(b)-1 || c < 128) {
			out = append(out, '\n')
		}
	}
	return out
}

// checkMerge3 asserts what holds of every merge: swapping the sides
// changes nothing, a side that changed nothing yields the other, and a
// clean merge has no line that neither side has.
func checkMerge3(t *testing.T, base, ours, theirs []byte) {
	t.Helper()
	got, clean := Merge3(base, ours, theirs)
	rgot, rclean := Merge3(base, theirs, ours)
	if clean != rclean || !bytes.Equal(got, rgot) {
		t.Fatalf("Merge3(%q, %q, %q) = %q, %v, but with the sides swapped %q, %v", base, ours, theirs, got, clean, rgot, rclean)
	}
	text := len(base) <= maxMerge3Size && len(theirs) <= maxMerge3Size &&
		!bytes.Contains(base, []byte{0}) && !bytes.Contains(theirs, []byte{0})
	if text {
		if m, ok := Merge3(base, base, theirs); !ok || !bytes.Equal(m, theirs) {
			t.Fatalf("Merge3(%q, base, %q) = %q, %v, want theirs, clean", base, theirs, m, ok)
		}
	}
	if !clean {
		return
	}
	from := map[string]bool{}
	for _, side := range [][]byte{ours, theirs} {
		for _, l := range splitAfterNL(side) {
			from[string(l)] = true
		}
	}
	for _, l := range splitAfterNL(got) {
		if !from[string(l)] {
			t.Fatalf("Merge3(%q, %q, %q) = %q: line %q is in neither side", base, ours, theirs, got, l)
		}
	}
}

func splitAfterNL(b []byte) [][]byte {
	out := bytes.SplitAfter(b, []byte("\n"))
	if len(out) > 0 && len(out[len(out)-1]) == 0 {
		out = out[:len(out)-1]
	}
	return out
}
