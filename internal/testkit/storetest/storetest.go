package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"sort"
	"testing"
	"time"

	"github.com/qms-tool/qms/internal/archive"
	"github.com/qms-tool/qms/internal/store"
)

// Options tune the suite for a backend.
type Options struct {
	// Large is the size of an object big enough to take the backend's
	// multipart path.
	Large int64
}

// Run runs the suite; open returns an empty store.
func Run(t *testing.T, open func(t *testing.T) store.Store, o Options) {
	ctx := context.Background()
	until := time.Date(2036, 11, 23, 10, 0, 0, 0, time.UTC)
	sizes := []struct {
		name string
		size int64
	}{{"empty", 0}, {"small", 1000}, {"large", o.Large}}
	for _, sz := range sizes {
		for _, class := range []store.Class{store.DeepArchive, store.Standard} {
			t.Run(fmt.Sprintf("roundtrip/%s/%s", sz.name, class), func(t *testing.T) {
				s := open(t)
				data := random(sz.size)
				key := "qms-archive-" + sz.name + ".tar.gz"
				up, err := s.Put(ctx, key, bytes.NewReader(data), store.PutOptions{Size: int64(len(data)), Class: class, RetainUntil: until})
				if err != nil || !up {
					t.Fatalf("Put = %v, %v, want true, nil", up, err)
				}
				info, err := s.Stat(ctx, key)
				if err != nil {
					t.Fatal(err)
				}
				want := store.Info{Key: key, Size: int64(len(data)), SHA256: sum(data), Class: class, LockMode: store.Compliance, RetainUntil: until}
				if info.Key != want.Key || info.Size != want.Size || info.SHA256 != want.SHA256 || info.Class != want.Class ||
					info.LockMode != want.LockMode || !info.RetainUntil.Equal(want.RetainUntil) || len(info.Problems) > 0 {
					t.Fatalf("Stat = %+v, want %+v", info, want)
				}
				got := read(t, s, key, info)
				if !bytes.Equal(got, data) {
					t.Fatalf("Get returned %d bytes, not what was put (%d bytes)", len(got), len(data))
				}
				up, err = s.Put(ctx, key, bytes.NewReader(data), store.PutOptions{Size: int64(len(data)), Class: class, RetainUntil: until})
				if err != nil || up {
					t.Fatalf("second Put = %v, %v, want false, nil (nothing uploaded)", up, err)
				}
				list, err := s.List(ctx)
				if err != nil || len(list) != 1 || list[0].Key != key || list[0].Size != int64(len(data)) || list[0].Class != "" && list[0].Class != class {
					t.Fatalf("List = %+v, %v, want just %s", list, err, key)
				}
			})
		}
	}
	t.Run("conflict", func(t *testing.T) {
		s := open(t)
		put(t, s, "a.tar.gz", []byte("one"))
		_, err := s.Put(ctx, "a.tar.gz", bytes.NewReader([]byte("two")), store.PutOptions{Size: 3, Class: store.Standard, RetainUntil: until})
		if !errors.Is(err, store.ErrConflict) {
			t.Fatalf("Put over other content = %v, want ErrConflict", err)
		}
	})
	t.Run("changed source", func(t *testing.T) {
		s := open(t)
		data := random(o.Large)
		_, err := s.Put(ctx, "a.tar.gz", bytes.NewReader(data), store.PutOptions{Size: int64(len(data)), SHA256: sum([]byte("other")), Class: store.Standard, RetainUntil: until})
		if !errors.Is(err, store.ErrChanged) {
			t.Fatalf("Put with a wrong SHA-256 = %v, want ErrChanged", err)
		}
		nothing(t, s, "a.tar.gz")
	})
	t.Run("cancelled", func(t *testing.T) {
		s := open(t)
		data := random(o.Large)
		cctx, cancel := context.WithCancel(ctx)
		opts := store.PutOptions{Size: int64(len(data)), Class: store.Standard, RetainUntil: until,
			Progress: func(done int64) {
				if done > int64(len(data))/3 {
					cancel()
				}
			}}
		if _, err := s.Put(cctx, "a.tar.gz", bytes.NewReader(data), opts); err == nil {
			t.Fatal("Put with a cancelled context succeeded")
		}
		nothing(t, s, "a.tar.gz")
		opts.Progress = nil
		if up, err := s.Put(ctx, "a.tar.gz", bytes.NewReader(data), opts); err != nil || !up {
			t.Fatalf("Put after an interrupted one = %v, %v, want true, nil", up, err)
		}
		if got := read(t, s, "a.tar.gz", store.Info{}); !bytes.Equal(got, data) {
			t.Fatal("the rerun stored other data")
		}
	})
	t.Run("extend", func(t *testing.T) {
		s := open(t)
		put(t, s, "a.tar.gz", []byte("kept longer"))
		later := until.AddDate(5, 0, 0)
		for _, u := range []time.Time{later, until} { // the second must not shorten
			if err := s.Extend(ctx, "a.tar.gz", u); err != nil {
				t.Fatalf("Extend(%v) = %v", u, err)
			}
		}
		info, err := s.Stat(ctx, "a.tar.gz")
		if err != nil || !info.RetainUntil.Equal(later) || info.LockMode != store.Compliance {
			t.Fatalf("Stat after Extend = %+v, %v, want COMPLIANCE until %v", info, err, later)
		}
		if err := s.Extend(ctx, "missing.tar.gz", later); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Extend of a missing object = %v, want ErrNotFound", err)
		}
	})
	t.Run("sidecars", func(t *testing.T) {
		// An archive in a cold class and its signature and sidecars in an
		// instantly readable one, under the same lock, as vault.Push keeps
		// them: the sidecars read at once while the archive needs a
		// restore. What Stat says of class and lock is the server's
		// (Enforced) unless the store is local, which enforces nothing.
		s := open(t)
		name := "qms-20261120T090000Z-0123456789ab" + archive.Suffix
		data := random(1500)
		if _, err := s.Put(ctx, name, bytes.NewReader(data), store.PutOptions{Size: int64(len(data)), Class: store.DeepArchive, RetainUntil: until}); err != nil {
			t.Fatal(err)
		}
		keys := []string{name}
		for i, suffix := range append([]string{archive.SigSuffix}, archive.SidecarSuffixes...) {
			b := []byte(fmt.Sprintf("sidecar %d of %s\n", i, name))
			if _, err := s.Put(ctx, name+suffix, bytes.NewReader(b), store.PutOptions{Size: int64(len(b)), Class: store.Standard, RetainUntil: until}); err != nil {
				t.Fatal(err)
			}
			keys = append(keys, name+suffix)
			info, err := s.Stat(ctx, name+suffix)
			if err != nil {
				t.Fatal(err)
			}
			if info.Enforced == store.IsLocal(s) {
				t.Errorf("Stat(%s).Enforced = %v for a store that is local: %v", name+suffix, info.Enforced, store.IsLocal(s))
			}
			if info.Class != store.Standard || info.LockMode != store.Compliance || !info.RetainUntil.Equal(until) || info.Restore != store.Readable {
				t.Errorf("Stat(%s) = %+v, want STANDARD, COMPLIANCE until %v, readable", name+suffix, info, until)
			}
			if got := read(t, s, name+suffix, store.Info{}); !bytes.Equal(got, b) {
				t.Errorf("Get(%s) = %q, want %q", name+suffix, got, b)
			}
		}
		info, err := s.Stat(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if info.Enforced == store.IsLocal(s) || info.Class != store.DeepArchive || info.LockMode != store.Compliance {
			t.Errorf("Stat(%s) = %+v, want DEEP_ARCHIVE under COMPLIANCE", name, info)
		}
		if info.Enforced && info.Restore != store.Archived {
			t.Errorf("Stat(%s).Restore = %v on a server, want archived until restored", name, info.Restore)
		}
		list, err := s.List(ctx)
		if err != nil || len(list) != len(keys) {
			t.Fatalf("List = %+v, %v, want %v", list, err, keys)
		}
		sort.Strings(keys)
		for i, k := range keys {
			if list[i].Key != k {
				t.Errorf("List[%d] = %s, want %s", i, list[i].Key, k)
			}
		}
	})
	t.Run("not found", func(t *testing.T) {
		s := open(t)
		if _, err := s.Stat(ctx, "missing.tar.gz"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Stat = %v, want ErrNotFound", err)
		}
		if _, err := s.Get(ctx, "missing.tar.gz"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Get = %v, want ErrNotFound", err)
		}
		if err := s.Restore(ctx, "missing.tar.gz", 1, store.Bulk); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Restore = %v, want ErrNotFound", err)
		}
	})
	t.Run("bad keys", func(t *testing.T) {
		s := open(t)
		for _, k := range []string{"", "/abs", "../up", "a/../b", "a//b", "sp ace", "a/"} {
			if _, err := s.Stat(ctx, k); !errors.Is(err, store.ErrBadKey) {
				t.Errorf("Stat(%q) = %v, want ErrBadKey", k, err)
			}
		}
	})
}

// nothing checks that no object is visible under key.
func nothing(t *testing.T, s store.Store, key string) {
	t.Helper()
	if _, err := s.Stat(context.Background(), key); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Stat(%s) after a failed Put = %v, want ErrNotFound", key, err)
	}
	list, err := s.List(context.Background())
	if err != nil || len(list) != 0 {
		t.Fatalf("List after a failed Put = %+v, %v, want nothing", list, err)
	}
}

func put(t *testing.T, s store.Store, key string, data []byte) {
	t.Helper()
	until := time.Date(2036, 11, 23, 10, 0, 0, 0, time.UTC)
	if _, err := s.Put(context.Background(), key, bytes.NewReader(data), store.PutOptions{Size: int64(len(data)), Class: store.Standard, RetainUntil: until}); err != nil {
		t.Fatal(err)
	}
}

// read gets the object, restoring it first when it is archived.
func read(t *testing.T, s store.Store, key string, info store.Info) []byte {
	t.Helper()
	ctx := context.Background()
	if info.Restore == store.Archived {
		if _, err := s.Get(ctx, key); !errors.Is(err, store.ErrNotRestored) {
			t.Fatalf("Get of an archived object = %v, want ErrNotRestored", err)
		}
		if err := s.Restore(ctx, key, 1, store.Bulk); err != nil {
			t.Fatalf("Restore = %v", err)
		}
		after, err := s.Stat(ctx, key)
		if err != nil || after.Restore != store.Readable || after.RestoreExpiry.IsZero() {
			t.Fatalf("Stat after Restore = %+v, %v, want readable with an expiry", after, err)
		}
	}
	rc, err := s.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func random(n int64) []byte {
	b := make([]byte, n)
	rand.New(rand.NewSource(n)).Read(b)
	return b
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}
