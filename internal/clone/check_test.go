package clone

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckShapes runs Check on the less common shapes of a clone: empty,
// bare, shallow, without the remote asked for, and not a repository.
func TestCheckShapes(t *testing.T) {
	origin := history(t, 3)
	work := t.TempDir()
	ctx := context.Background()
	gitT(t, work, "init", "-q", "--bare", "empty.git")
	gitT(t, work, "clone", "-q", "empty.git", "empty")
	gitT(t, work, "clone", "-q", "--bare", origin, "bare.git")
	gitT(t, work, "clone", "-q", "--depth", "1", "file://"+origin, "shallow")

	t.Run("empty", func(t *testing.T) {
		rep, err := Check(ctx, filepath.Join(work, "empty"), Options{})
		if err != nil || len(rep.Refs) != 0 || rep.Objects.Objects != 0 || !rep.Worktree.Clean() {
			t.Fatalf("Check(empty) = %+v, %v", rep, err)
		}
	})
	t.Run("bare", func(t *testing.T) {
		rep, err := Check(ctx, filepath.Join(work, "bare.git"), Options{})
		if err != nil || rep.Worktree != nil || len(rep.Findings("bare.git")) != 0 || rep.Objects.Reachable == 0 {
			t.Fatalf("Check(bare) = %+v, %v, findings %v", rep, err, rep.Findings("bare.git"))
		}
	})
	t.Run("shallow", func(t *testing.T) {
		rep, err := Check(ctx, filepath.Join(work, "shallow"), Options{})
		if err != nil || rep.Objects == nil || len(rep.Objects.Missing)+len(rep.Objects.Corrupt) != 0 {
			t.Fatalf("Check(shallow) = %+v, %v", rep, err)
		}
	})
	t.Run("no such remote", func(t *testing.T) {
		_, err := Check(ctx, filepath.Join(work, "shallow"), Options{Remote: "upstream"})
		if !errors.Is(err, ErrNoRemote) || !strings.Contains(err.Error(), `has no remote "upstream"`) {
			t.Fatalf("Check(--remote upstream) error = %v, want ErrNoRemote", err)
		}
	})
	t.Run("not a repository", func(t *testing.T) {
		_, err := Check(ctx, t.TempDir(), Options{})
		if !errors.Is(err, ErrNotRepository) {
			t.Fatalf("Check(plain directory) error = %v, want ErrNotRepository", err)
		}
	})
}
