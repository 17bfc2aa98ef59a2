package cli

import (
	"bytes"
	"strings"
	"testing"
)

func TestProgressBar(t *testing.T) {
	tests := []struct {
		name     string
		terminal bool
		total    int64
		want     []string
		wantNot  []string
	}{
		{"terminal", true, 100 << 20, []string{"\r100% [##############################] 100.0 MiB/100.0 MiB"}, nil},
		{"log, large", false, 100 << 20, []string{"a.tar.gz: 25% uploaded (25.0 MiB of 100.0 MiB)\n", "a.tar.gz: 75% uploaded"}, []string{"\r", "100%"}},
		{"log, small", false, 1 << 20, nil, []string{"uploaded"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errw bytes.Buffer
			env := &Env{Stdout: &out, Stderr: &errw, IsTerminal: tc.terminal}
			p := newProgressBar(env, "a.tar.gz", tc.total)
			for done := int64(0); done <= tc.total; done += tc.total / 20 {
				p.update(done)
			}
			p.done()
			got := out.String() + errw.String()
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("progress output %q lacks %q", got, w)
				}
			}
			for _, w := range tc.wantNot {
				if strings.Contains(got, w) {
					t.Errorf("progress output %q has %q", got, w)
				}
			}
		})
	}
}
