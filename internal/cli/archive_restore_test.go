package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/qms-tool/qms/internal/archive/vault"
	"github.com/qms-tool/qms/internal/store"
)

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

// TestWaitRestored: what 'qms archive restore' says while it waits for
// Glacier, and the hint when it gives up.
func TestWaitRestored(t *testing.T) {
	tests := []struct {
		name         string
		f            *restoringStore
		wait         time.Duration
		wantRequests int
		wantErr      string
		wantOut      []string
	}{
		{"readable already", &restoringStore{state: store.Readable}, time.Hour, 0, "", nil},
		{"restored after three looks", &restoringStore{state: store.Archived, looks: 3}, time.Hour, 1, "",
			[]string{"a.tar.gz: restore requested (Bulk tier, readable for 1 day)", "waiting for the restore of 1 object"}},
		{"running already", &restoringStore{state: store.Restoring, looks: 2}, time.Hour, 0, "", []string{"waiting for the restore of 1 object"}},
		{"requested by someone else meanwhile", &restoringStore{state: store.Archived, looks: 2, restoreErr: store.ErrRestoreInProgress}, time.Hour, 1,
			"", []string{"waiting for the restore of 1 object"}},
		{"never done", &restoringStore{state: store.Restoring, looks: 1 << 30}, 5 * time.Millisecond, 0, "1 object still being restored", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			env := &Env{Stdout: &out, Stderr: &out}
			err := vault.Wait(context.Background(), tc.f, []string{"a.tar.gz"}, 1, store.Bulk,
				vault.WaitOptions{Max: tc.wait, Poll: time.Millisecond, Progress: restoreProgress(env, store.Bulk, 1)})
			err = archiveError(tc.f, err)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("vault.Wait = %v, want %q", err, tc.wantErr)
			}
			if tc.f.requests != tc.wantRequests {
				t.Errorf("restore requested %d times, want %d", tc.f.requests, tc.wantRequests)
			}
			for _, w := range tc.wantOut {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output %q lacks %q", out.String(), w)
				}
			}
			var h hinted
			if tc.wantErr != "" && !errors.As(err, &h) {
				t.Errorf("vault.Wait = %v, want a hint to run again later", err)
			}
		})
	}
}
