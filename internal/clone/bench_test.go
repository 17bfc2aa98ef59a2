package clone

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"testing"

	"github.com/qms-tool/qms/internal/gitcmd"
)

// BenchmarkVerify reads and hashes every object of a packed repository of
// 1,000 commits (about 6,000 objects) made with git fast-import.
func BenchmarkVerify(b *testing.B) {
	if _, err := exec.LookPath("git"); err != nil {
		b.Skip("needs git")
	}
	dir := b.TempDir()
	gitT(b, dir, "init", "-q", "--bare", "-b", "main")
	var s bytes.Buffer
	for i := 1; i <= 1000; i++ {
		fmt.Fprintf(&s, "commit refs/heads/main\ncommitter Anna Keller <anna.keller@example.com> %d +0000\ndata 4\nstep\n", 1767225600+i*60)
		for j := 0; j < 2; j++ {
			f := (i*7 + j*503) % 100
			body := fmt.Sprintf("---\nid: REC-%d\nrevision: %d\n---\n%s", f, i, bytes.Repeat([]byte("Filler text of a fictional record.\n"), 20))
			fmt.Fprintf(&s, "M 100644 inline d%02d/rec-%04d.md\ndata %d\n%s\n", f%10, f, len(body), body)
		}
	}
	if _, err := gitcmd.Run(context.Background(), dir, s.Bytes(), "fast-import", "--quiet"); err != nil {
		b.Fatal(err)
	}
	gitT(b, dir, "repack", "-adfq")
	roots := []Root{{Name: "refs/heads/main", ID: mustID(gitT(b, dir, "rev-parse", "main"))}}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		in, err := Verify(dir+"/objects", roots, nil, 0)
		if err != nil || in.Reachable != in.Objects || len(in.Corrupt) > 0 {
			b.Fatalf("Verify = %+v, %v", in, err)
		}
	}
}
