package vault_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/qms-tool/qms/internal/archive"
	"github.com/qms-tool/qms/internal/archive/vault"
	"github.com/qms-tool/qms/internal/store"
	"github.com/qms-tool/qms/internal/store/dir"
)

// TestFormat1 keeps, verifies and restores an archive of the previous
// format (testdata built by qms before the BagIt layout): no sidecars, a
// signature over the whole .tar.gz.
func TestFormat1(t *testing.T) {
	ctx := context.Background()
	const n = "qms-20261120T090000Z-c6162f849e7b.tar.gz"
	src := filepath.Join("..", "testdata", "format1")
	work := t.TempDir()
	for _, f := range []string{n, n + archive.SigSuffix} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(work, f), b, 0o444); err != nil {
			t.Fatal(err)
		}
	}
	l, err := vault.ReadLocal(filepath.Join(work, n), archive.Info{Name: n, CommitTime: commitTime})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if l.Info.Meta.Format != 1 {
		t.Fatalf("archive.json says format %d, want 1", l.Info.Meta.Format)
	}
	st, err := dir.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	pushed, err := vault.Push(ctx, st, l, vault.PushOptions{Class: store.DeepArchive, Retention: archive.Period{Years: 10}, Now: now})
	if err != nil || len(pushed.Objects) != 2 {
		t.Fatalf("Push(format 1) = %+v, %v, want the archive and its signature", pushed.Objects, err)
	}
	res, err := vault.Verify(ctx, st, vault.VerifyOptions{Name: n, Now: now})
	if err != nil || len(res.Findings) != 0 || res.Format1 != 1 || res.Signed != 1 || !res.ReadData || !res.Unenforced {
		t.Fatalf("Verify(format 1) = %+v, %v, want no findings, its signature checked over the whole archive", res, err)
	}
	pub, _ := os.ReadFile(filepath.Join(src, "archive-signing-key.pub.asc"))
	r, err := vault.Restore(ctx, st, n, vault.RestoreOptions{Out: t.TempDir(), Days: 1, Tier: store.Bulk, Key: pub, KeyName: "the test key"})
	if err != nil || len(r.Findings) != 0 || r.Signer == "" || r.Dir == "" {
		t.Fatalf("Restore(format 1) = %+v, %v", r, err)
	}
	if _, err := os.Stat(filepath.Join(r.Dir, "tree", "qms.yaml")); err != nil {
		t.Errorf("restored format 1: %v", err)
	}
}

// TestPushOverFormat1: the same commit was archived by a qms of format 1;
// pushing its format-2 archive keeps the locked format-1 one.
func TestPushOverFormat1(t *testing.T) {
	ctx := context.Background()
	st, err := dir.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	old := local(t, "format 1 archive", "sig 1")
	if _, err := vault.Push(ctx, st, old, vault.PushOptions{Class: store.DeepArchive, Retention: archive.Period{Years: 10}, Now: now}); err != nil {
		t.Fatal(err)
	}
	l := local(t, "format 2 archive", "sig 2")
	l.Info.Meta.Format = archive.Format
	for _, suffix := range archive.SidecarSuffixes {
		if err := os.WriteFile(l.Path+suffix, []byte("sidecar"), 0o444); err != nil {
			t.Fatal(err)
		}
	}
	res, err := vault.Push(ctx, st, l, vault.PushOptions{Class: store.DeepArchive, Retention: archive.Period{Years: 10}, Now: now})
	if err != nil || len(res.Objects) != 1 || !res.Objects[0].PreviousFormat || !res.Objects[0].KeptTheirs {
		t.Fatalf("Push over a format-1 archive = %+v, %v, want it kept", res.Objects, err)
	}
	if _, err := st.Stat(ctx, name+archive.TagManifestSuffix); err == nil {
		t.Errorf("sidecars were pushed beside a format-1 archive")
	}
	// A format-2 archive of other bytes there: still a conflict.
	st2, err := dir.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := vault.Push(ctx, st2, l, vault.PushOptions{Class: store.DeepArchive, Retention: archive.Period{Years: 10}, Now: now}); err != nil {
		t.Fatal(err)
	}
	var ce *vault.ConflictError
	if _, err := vault.Push(ctx, st2, old, vault.PushOptions{Class: store.DeepArchive, Retention: archive.Period{Years: 10}, Now: now}); !errors.As(err, &ce) {
		t.Errorf("Push of other bytes over a format-2 archive = %v, want a *ConflictError", err)
	}
}
