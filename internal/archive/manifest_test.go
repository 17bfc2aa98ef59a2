package archive

import (
	"strconv"
	"strings"
	"testing"
)

func TestManifestLine(t *testing.T) {
	sum := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		name, path string
	}{
		{"plain", "tree/records/a.md"},
		{"space", "tree/a b.md"},
		{"backslash", `tree/a\b.md`},
		{"newline", "tree/a\nb.md"},
		{"unicode", "tree/ünï.md"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			line := formatManifestLine(sum, tc.path)
			gotSum, gotPath, err := parseManifestLine(line)
			if err != nil || gotSum != sum || gotPath != tc.path {
				t.Errorf("parseManifestLine(%q) = %q, %q, %v; want %q", line, gotSum, gotPath, err, tc.path)
			}
		})
	}
	for _, bad := range []string{"", "x  y\n", sum + " y\n", strings.ToUpper(sum) + "  y\n", sum + "  ../y\n", sum + "  /etc/passwd\n", "\\" + sum + "  a\\qb\n"} {
		t.Run("refuses "+strconv.Quote(bad), func(t *testing.T) {
			if _, _, err := parseManifestLine(bad); err == nil {
				t.Errorf("parseManifestLine(%q) accepted it", bad)
			}
		})
	}
}

func FuzzManifestLine(f *testing.F) {
	f.Add(formatManifestLine(strings.Repeat("0", 64), "tree/a\nb"))
	f.Add(strings.Repeat("0", 64) + "  tree/x\n")
	f.Fuzz(func(t *testing.T, line string) {
		sum, p, err := parseManifestLine(line)
		if err != nil {
			return
		}
		if !validMember(p) {
			t.Fatalf("parseManifestLine(%q) accepted path %q", line, p)
		}
		again, p2, err := parseManifestLine(formatManifestLine(sum, p))
		if err != nil || again != sum || p2 != p {
			t.Fatalf("round trip of %q: %q %q %v", line, again, p2, err)
		}
	})
}
