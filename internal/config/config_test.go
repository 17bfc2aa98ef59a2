package config

import (
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		src      string
		rule     string
		line     int
		company  string
		findings int
	}{
		{"version: 1\ncompany: Silvretta Medical\n", "", 0, "Silvretta Medical", 0},
		{"version: 2\n", "config", 1, "", 1},
		{"version: 1\ncompnay: x\n", "config", 2, "", 1},
		{"version: [1\n", "config", 1, "", 1},
		{"", "", 0, "", 0},
	}
	for _, tc := range tests {
		cfg, fs := Parse([]byte(tc.src))
		if len(fs) != tc.findings {
			t.Errorf("Parse(%q) findings = %v, want %d", tc.src, fs, tc.findings)
			continue
		}
		if tc.findings > 0 && (fs[0].Rule != tc.rule || fs[0].Line != tc.line || fs[0].Path != File) {
			t.Errorf("Parse(%q) = %+v, want %s on line %d", tc.src, fs[0], tc.rule, tc.line)
		}
		if tc.findings == 0 && cfg.Company != tc.company {
			t.Errorf("Parse(%q).Company = %q, want %q", tc.src, cfg.Company, tc.company)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("version: 1\ncompany: x\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg, fs := Parse(b)
		if cfg == nil {
			t.Fatal("nil config")
		}
		for _, f := range fs {
			if f.Line < 1 || f.Message == "" {
				t.Fatalf("bad finding %+v", f)
			}
		}
	})
}
