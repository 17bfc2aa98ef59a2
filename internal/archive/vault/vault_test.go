package vault_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/qms-tool/qms/internal/archive"
	"github.com/qms-tool/qms/internal/archive/vault"
	"github.com/qms-tool/qms/internal/store"
	"github.com/qms-tool/qms/internal/store/dir"
)

const name = "qms-20261120T090000Z-0123456789ab.tar.gz"

var (
	commitTime = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	now        = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
)

// local writes an archive-like file and its signature, as build leaves
// them, and opens it.
func local(t *testing.T, data, sig string) *vault.Local {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(data), 0o444); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p+archive.SigSuffix, []byte(sig), 0o444); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(data))
	l, err := vault.OpenLocal(p, archive.Info{Name: name, CommitTime: commitTime, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:]),
		Meta: archive.Meta{Records: map[string]int{"incident": 3}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func TestPush(t *testing.T) {
	ctx := context.Background()
	st, err := dir.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	push := func(l *vault.Local, o vault.PushOptions) (vault.Pushed, error) {
		o.Class, o.Now = store.Standard, now
		return vault.Push(ctx, st, l, o)
	}
	ten := archive.Period{Years: 10}
	steps := []struct {
		name    string
		data    string
		sig     string
		o       vault.PushOptions
		want    []vault.PushedObject
		wantErr bool
	}{
		{"first push", "archive", "sig 1", vault.PushOptions{Retention: ten},
			[]vault.PushedObject{{Key: name, Uploaded: true}, {Key: name + ".asc", Uploaded: true}}, false},
		{"again", "archive", "sig 1", vault.PushOptions{Retention: ten},
			[]vault.PushedObject{{Key: name}, {Key: name + ".asc"}}, false},
		{"signed again elsewhere", "archive", "sig 2", vault.PushOptions{Retention: ten},
			[]vault.PushedObject{{Key: name}, {Key: name + ".asc", KeptTheirs: true}}, false},
		{"a kind's longer period", "archive", "sig 1", vault.PushOptions{Retention: ten, KindRetention: map[string]archive.Period{"incident": {Years: 15}}},
			[]vault.PushedObject{{Key: name, Extended: true}, {Key: name + ".asc", Extended: true}}, false},
		{"other bytes", "other archive", "sig 1", vault.PushOptions{Retention: ten}, nil, true},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			got, err := push(local(t, step.data, step.sig), step.o)
			if step.wantErr {
				var ce *vault.ConflictError
				if !errors.As(err, &ce) || ce.Name != name || !errors.Is(err, store.ErrConflict) {
					t.Fatalf("Push = %v, want a *ConflictError wrapping store.ErrConflict", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Objects) != len(step.want) {
				t.Fatalf("Push did %+v, want %+v", got.Objects, step.want)
			}
			for i := range step.want {
				g := got.Objects[i]
				if g.Stored.Key != g.Key || g.Stored.Enforced || g.Stored.LockMode != store.Compliance {
					t.Errorf("Push object %d: Stored = %+v, want what the directory reports of %s (nothing enforced)", i, g.Stored, g.Key)
				}
				w := step.want[i]
				if g.Key != w.Key || g.Uploaded != w.Uploaded || g.KeptTheirs != w.KeptTheirs || g.Extended != w.Extended {
					t.Errorf("Push object %d = %+v, want %+v", i, g, w)
				}
			}
		})
	}
	info, err := st.Stat(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if want := (archive.Period{Years: 15}).After(now).Truncate(time.Second); !info.RetainUntil.Equal(want) || info.LockMode != store.Compliance {
		t.Errorf("retention %s until %s, want COMPLIANCE until %s", info.LockMode, info.RetainUntil, want)
	}
}

func TestReadLocal(t *testing.T) {
	l := local(t, "not a tar.gz", "sig")
	_, err := vault.ReadLocal(l.Path, archive.Info{Name: name})
	var d *vault.DamagedError
	if !errors.As(err, &d) || d.Path != l.Path || !strings.HasPrefix(err.Error(), l.Path+": ") {
		t.Fatalf("ReadLocal(not an archive) = %v, want a *DamagedError naming the file", err)
	}
}

// fakeStore answers Stat from a map and lists its keys.
type fakeStore struct {
	store.Store
	infos map[string]store.Info
}

func (f *fakeStore) Stat(_ context.Context, key string) (store.Info, error) {
	info, ok := f.infos[key]
	if !ok {
		return store.Info{}, store.ErrNotFound
	}
	return info, nil
}

func (f *fakeStore) List(context.Context) ([]store.Info, error) {
	var out []store.Info
	for k := range f.infos {
		out = append(out, store.Info{Key: k})
	}
	return out, nil
}

func (f *fakeStore) String() string { return "s3://fake/" }

func TestVerify(t *testing.T) {
	locked := func(until time.Time) store.Info {
		return store.Info{Size: 10, SHA256: "ab", Class: store.DeepArchive, LockMode: store.Compliance, RetainUntil: until}
	}
	long := commitTime.AddDate(10, 0, 1)
	tests := []struct {
		name      string
		archive   *store.Info
		sig       *store.Info
		wantRules []string
	}{
		{"kept as pushed", ptr(locked(long)), ptr(locked(long)), nil},
		{"no signature", ptr(locked(long)), nil, []string{vault.RuleMissing}},
		{"empty, damaged", &store.Info{Class: store.Standard, LockMode: store.Compliance, RetainUntil: long, Problems: []string{"checksum differs"}},
			ptr(locked(long)), []string{vault.RuleIntegrity, vault.RuleIntegrity}},
		{"odd class", &store.Info{Size: 1, Class: "REDUCED_REDUNDANCY", LockMode: store.Compliance, RetainUntil: long}, ptr(locked(long)), []string{vault.RuleClass}},
		{"not locked", &store.Info{Size: 1, Class: store.Glacier, LockMode: "GOVERNANCE", RetainUntil: long}, ptr(locked(long)), []string{vault.RuleRetention}},
		{"retention over", ptr(locked(now.AddDate(0, 0, -1))), ptr(locked(long)), []string{vault.RuleRetention}},
		{"locked too briefly", ptr(locked(commitTime.AddDate(9, 0, 0))), ptr(locked(long)), []string{vault.RuleRetention}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeStore{infos: map[string]store.Info{}}
			if tc.archive != nil {
				f.infos[name] = *tc.archive
			}
			if tc.sig != nil {
				f.infos[name+archive.SigSuffix] = *tc.sig
			}
			res, err := vault.Verify(context.Background(), f, vault.VerifyOptions{Name: name, Now: now})
			if err != nil {
				t.Fatal(err)
			}
			var rules []string
			for _, fd := range res.Findings {
				rules = append(rules, fd.Rule)
			}
			if strings.Join(rules, " ") != strings.Join(tc.wantRules, " ") || res.Archives != 1 {
				t.Errorf("Verify found %v (%d archives): %+v, want %v", rules, res.Archives, res.Findings, tc.wantRules)
			}
		})
	}
	t.Run("nothing there", func(t *testing.T) {
		res, err := vault.Verify(context.Background(), &fakeStore{infos: map[string]store.Info{"notes.txt": {}}}, vault.VerifyOptions{Now: now})
		if err != nil || len(res.Findings) != 1 || res.Findings[0].Rule != vault.RuleMissing || res.Findings[0].Path != "s3://fake/" || res.Archives != 0 {
			t.Fatalf("Verify of an empty location = %+v, %v, want one %s finding", res, err, vault.RuleMissing)
		}
	})
}

func ptr(i store.Info) *store.Info { return &i }

func TestRequiredFor(t *testing.T) {
	trees := map[string]fstest.MapFS{
		"0123456789ab": {"records/incidents/INC-2026-0001.md": {}, "records/documents/README.txt": {}},
		"ba9876543210": {"records/documents/IFU-001.md": {}, "records/matrix.md": {}},
	}
	r := vault.Required{
		Retention:     archive.Period{Years: 10},
		KindRetention: map[string]archive.Period{"document": {Years: 15}, "matrix": {Years: 11}},
		Kinds:         map[string]string{"incident": "records/incidents/", "document": "records/documents/", "matrix": "records/matrix.md"},
		Tree: func(commit string) (fs.FS, error) {
			if t, ok := trees[commit]; ok {
				return t, nil
			}
			return nil, os.ErrNotExist
		},
	}
	tests := []struct {
		name, archive string
		r             vault.Required
		want          archive.Period
	}{
		{"no kind with a longer period", "qms-20261120T090000Z-0123456789ab.tar.gz", r, archive.Period{Years: 10}},
		{"documents", "qms-20261120T090000Z-ba9876543210.tar.gz", r, archive.Period{Years: 15}},
		{"unknown commit", "qms-20261120T090000Z-ffffffffffff.tar.gz", r, archive.Period{Years: 10}},
		{"not an archive name", "notes.tar.gz", r, archive.Period{Years: 10}},
		{"outside the repository", "qms-20261120T090000Z-ba9876543210.tar.gz", vault.Required{}, archive.DefaultRetention},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.r.For(tc.archive); got != tc.want {
				t.Errorf("For(%q) = %v, want %v", tc.archive, got, tc.want)
			}
		})
	}
}

// restoringStore is a fake of the states a restore goes through on AWS,
// which no local server produces: archived, then ongoing for a few looks,
// then readable.
type restoringStore struct {
	store.Store
	state      store.RestoreState
	looks      int // Stat calls while restoring before it is done
	requests   int
	restoreErr error
}

func (f *restoringStore) Stat(_ context.Context, key string) (store.Info, error) {
	if f.state == store.Restoring {
		if f.looks == 0 {
			f.state = store.Readable
		}
		f.looks--
	}
	return store.Info{Key: key, Class: store.DeepArchive, Restore: f.state}, nil
}

func (f *restoringStore) Restore(context.Context, string, int, store.Tier) error {
	f.requests++
	f.state = store.Restoring // ours, or someone else's
	return f.restoreErr
}

func (f *restoringStore) Get(context.Context, string) (io.ReadCloser, error) { return nil, nil }
func (f *restoringStore) String() string                                     { return "s3://fake/" }

func TestWait(t *testing.T) {
	tests := []struct {
		name         string
		f            *restoringStore
		wait         time.Duration
		wantRequests int
		wantEvents   []vault.WaitKind
		wantPending  int // of the *StillRestoringError, 0 for none
	}{
		{"readable already", &restoringStore{state: store.Readable}, time.Hour, 0, nil, 0},
		{"restored after three looks", &restoringStore{state: store.Archived, looks: 3}, time.Hour, 1,
			[]vault.WaitKind{vault.Requested, vault.Waiting, vault.Waiting, vault.Waiting}, 0},
		{"running already", &restoringStore{state: store.Restoring, looks: 2}, time.Hour, 0, []vault.WaitKind{vault.Waiting, vault.Waiting}, 0},
		{"requested by someone else meanwhile", &restoringStore{state: store.Archived, looks: 2, restoreErr: store.ErrRestoreInProgress}, time.Hour, 1,
			[]vault.WaitKind{vault.Waiting, vault.Waiting, vault.Waiting}, 0},
		{"never done", &restoringStore{state: store.Restoring, looks: 1 << 30}, 5 * time.Millisecond, 0, nil, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var events []vault.WaitEvent
			err := vault.Wait(context.Background(), tc.f, []string{"a.tar.gz"}, 1, store.Bulk,
				vault.WaitOptions{Max: tc.wait, Poll: time.Millisecond, Progress: func(e vault.WaitEvent) { events = append(events, e) }})
			var slow *vault.StillRestoringError
			switch {
			case tc.wantPending == 0 && err != nil:
				t.Fatalf("Wait = %v, want nil", err)
			case tc.wantPending != 0 && (!errors.As(err, &slow) || slow.Pending != tc.wantPending):
				t.Fatalf("Wait = %v, want a *StillRestoringError for %d object", err, tc.wantPending)
			}
			if tc.f.requests != tc.wantRequests {
				t.Errorf("restore requested %d times, want %d", tc.f.requests, tc.wantRequests)
			}
			if tc.wantPending != 0 {
				return // how often it looked depends on the clock
			}
			if len(events) != len(tc.wantEvents) {
				t.Fatalf("Wait told %+v, want kinds %v", events, tc.wantEvents)
			}
			for i, e := range events {
				if e.Kind != tc.wantEvents[i] {
					t.Errorf("event %d = %+v, want kind %v", i, e, tc.wantEvents[i])
				}
				if e.Kind == vault.Requested && e.Key != "a.tar.gz" || e.Kind == vault.Waiting && (e.Pending != 1 || e.Next < time.Millisecond) {
					t.Errorf("event %d = %+v", i, e)
				}
			}
		})
	}
}

func TestRestore(t *testing.T) {
	ctx := context.Background()
	st, err := dir.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := vault.Push(ctx, st, local(t, "not a tar.gz", "sig"), vault.PushOptions{Class: store.Standard, Retention: archive.Period{Years: 10}, Now: now}); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	res, err := vault.Restore(ctx, st, name, vault.RestoreOptions{Out: out, Days: 1, Tier: store.Bulk})
	if err != nil || !res.Downloaded || len(res.Findings) == 0 || res.Findings[0].Rule != archive.RuleFormat || res.Dir != "" {
		t.Fatalf("Restore(not a tar.gz) = %+v, %v, want it downloaded and an %s finding", res, err, archive.RuleFormat)
	}
	res, err = vault.Restore(ctx, st, name, vault.RestoreOptions{Out: out, Days: 1, Tier: store.Bulk})
	var exists *vault.ExistsError
	if !errors.As(err, &exists) || exists.Path != filepath.Join(out, name) || res.Downloaded {
		t.Fatalf("Restore into a full directory = %+v, %v, want an *ExistsError for %s", res, err, filepath.Join(out, name))
	}
	for _, bad := range []string{"a/" + name, "../" + name, "notes.txt"} {
		if _, err := vault.Restore(ctx, st, bad, vault.RestoreOptions{Out: out}); err == nil {
			t.Errorf("Restore(%q) = nil, want it refused", bad)
		}
	}
}
