package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

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

func TestWaitRestored(t *testing.T) {
	defer func(d time.Duration) { restorePoll = d }(restorePoll)
	restorePoll = time.Millisecond
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
			err := waitRestored(context.Background(), env, tc.f, []string{"a.tar.gz"}, 1, store.Bulk, tc.wait)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("waitRestored = %v, want %q", err, tc.wantErr)
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
				t.Errorf("waitRestored = %v, want a hint to run again later", err)
			}
		})
	}
}

func TestParseRetainPeriod(t *testing.T) {
	tests := []struct {
		in      string
		y, d    int
		wantErr bool
	}{
		{"10y", 10, 0, false},
		{"15y", 15, 0, false},
		{"90d", 0, 90, false},
		{"10y30d", 10, 30, false},
		{"", 0, 0, true},
		{"0y", 0, 0, true},
		{"10", 0, 0, true},
		{"10Y", 0, 0, true},
		{"1y2y", 0, 0, true},
		{"-1y", 0, 0, true},
	}
	for _, tc := range tests {
		p, err := parseRetainPeriod(tc.in)
		if (err != nil) != tc.wantErr || p.Years != tc.y || p.Days != tc.d {
			t.Errorf("parseRetainPeriod(%q) = %+v, %v, want %dy%dd (error %v)", tc.in, p, err, tc.y, tc.d, tc.wantErr)
		}
	}
}

func FuzzParseRetainPeriod(f *testing.F) {
	f.Add("10y30d")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parseRetainPeriod(s)
		if err == nil && p.IsZero() {
			t.Fatalf("parseRetainPeriod(%q) accepted a zero period", s)
		}
	})
}

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
