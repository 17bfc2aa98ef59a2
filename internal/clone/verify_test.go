package clone

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qms-tool/qms/internal/gitcmd"
)

// gitT runs git in dir for a test, with a fixed identity and no user config.
func gitT(t testing.TB, dir string, args ...string) string {
	t.Helper()
	out, err := gitcmd.RunEnv(context.Background(), dir, []string{"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_AUTHOR_NAME=Anna Keller", "GIT_AUTHOR_EMAIL=anna.keller@example.com",
		"GIT_COMMITTER_NAME=Anna Keller", "GIT_COMMITTER_EMAIL=anna.keller@example.com"}, nil, args...)
	if err != nil {
		t.Fatalf("%v (git %s)", err, strings.Join(args, " "))
	}
	return strings.TrimSpace(string(out))
}

// history makes a repository with n commits touching a few files, with a
// tag and a second branch.
func history(t testing.TB, n int) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("needs git")
	}
	dir := t.TempDir()
	gitT(t, dir, "init", "-q", "-b", "main")
	for i := 0; i < n; i++ {
		p := filepath.Join(dir, "records", fmt.Sprintf("r%d.md", i%4))
		os.MkdirAll(filepath.Dir(p), 0o755)
		f, _ := os.OpenFile(p, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		fmt.Fprintf(f, "line %d of a record that grows with every commit, so that deltas appear\n", i)
		f.Close()
		gitT(t, dir, "add", ".")
		gitT(t, dir, "commit", "-q", "-m", fmt.Sprintf("commit %d", i))
		if i == n/2 {
			gitT(t, dir, "tag", "-a", "-m", "release", "v1")
			gitT(t, dir, "branch", "side")
		}
	}
	return dir
}

func verifyDir(t *testing.T, dir string) *Integrity {
	t.Helper()
	ctx := context.Background()
	r, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	refs, err := r.Refs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	in, err := Verify(r.ObjectsDir(), refs, r.Shallow(), 2)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func TestVerify(t *testing.T) {
	dir := history(t, 30)
	loose := verifyDir(t, dir)
	count := gitT(t, dir, "count-objects", "-v")
	if loose.Packs != 0 || loose.Loose == 0 || len(loose.Missing)+len(loose.Corrupt) != 0 {
		t.Fatalf("loose store: %+v\n%s", loose, count)
	}
	gitT(t, dir, "repack", "-adq")
	packed := verifyDir(t, dir)
	if packed.Packs != 1 || packed.Loose != 0 || packed.Objects != loose.Objects || packed.Reachable != loose.Reachable ||
		len(packed.Missing)+len(packed.Corrupt) != 0 {
		t.Fatalf("packed store: %+v, loose was %+v", packed, loose)
	}
	if loose.Objects != loose.Reachable {
		t.Fatalf("objects %d, reachable %d", loose.Objects, loose.Reachable)
	}
}

func TestVerifyDamage(t *testing.T) {
	dir := history(t, 20)
	gitT(t, dir, "repack", "-adq")
	// A new loose object reachable from main, then deleted.
	os.WriteFile(filepath.Join(dir, "new.md"), []byte("new record\n"), 0o644)
	gitT(t, dir, "add", "new.md")
	gitT(t, dir, "commit", "-q", "-m", "new")
	blob := gitT(t, dir, "rev-parse", "HEAD:new.md")
	if err := os.Remove(filepath.Join(dir, ".git", "objects", blob[:2], blob[2:])); err != nil {
		t.Fatal(err)
	}
	in := verifyDir(t, dir)
	if len(in.Missing) != 1 || in.Missing[0].ID.String() != blob || len(in.Corrupt) != 0 {
		t.Fatalf("deleted loose blob %s: %+v", blob, in)
	}

	// A byte flipped in the middle of the pack.
	packs, _ := filepath.Glob(filepath.Join(dir, ".git", "objects", "pack", "*.pack"))
	b, _ := os.ReadFile(packs[0])
	b[len(b)/2] ^= 0x40
	os.Chmod(packs[0], 0o644)
	if err := os.WriteFile(packs[0], b, 0o644); err != nil {
		t.Fatal(err)
	}
	in = verifyDir(t, dir)
	var named, whole bool
	for _, c := range in.Corrupt {
		if c.ID.IsZero() {
			whole = strings.Contains(c.Message, "checksum")
		} else {
			named = true
		}
	}
	if !named || !whole {
		t.Fatalf("flipped byte: %+v", in.Corrupt)
	}
}
