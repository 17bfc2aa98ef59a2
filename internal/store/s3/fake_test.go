package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/qms-tool/qms/internal/store"
)

// fake answers what neither versitygw nor the Glacier proxy can produce: a
// restore that is still running, a second request while it runs, a
// restored copy that expired. Only these tests use a fake.
type fake struct {
	Client
	restore    string // x-amz-restore on HEAD
	restoreErr error  // RestoreObject's answer
	getErr     error
	restores   int
}

func (f *fake) HeadObject(context.Context, *s3.HeadObjectInput, ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	out := &s3.HeadObjectOutput{ContentLength: aws.Int64(3), StorageClass: types.StorageClassDeepArchive,
		ObjectLockMode: types.ObjectLockModeCompliance, Metadata: map[string]string{metaSHA256: "00"}, ChecksumSHA256: aws.String("x")}
	if f.restore != "" {
		out.Restore = aws.String(f.restore)
	}
	return out, nil
}

func (f *fake) RestoreObject(context.Context, *s3.RestoreObjectInput, ...func(*s3.Options)) (*s3.RestoreObjectOutput, error) {
	f.restores++
	return &s3.RestoreObjectOutput{}, f.restoreErr
}

func (f *fake) GetObject(context.Context, *s3.GetObjectInput, ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	if f.getErr != nil {
		return nil, f.getErr
	}
	return &s3.GetObjectOutput{Body: io.NopCloser(strings.NewReader("abc"))}, nil
}

func TestRestoreStates(t *testing.T) {
	inProgress := &smithy.GenericAPIError{Code: "RestoreAlreadyInProgress", Message: "Object restore is already in progress"}
	invalid := &smithy.GenericAPIError{Code: "InvalidObjectState", Message: "The operation is not valid for the object's storage class"}
	tests := []struct {
		name       string
		f          *fake
		wantState  store.RestoreState
		wantErr    error // of Restore
		wantCalls  int
		wantGetErr error
	}{
		{"archived", &fake{getErr: invalid}, store.Archived, nil, 1, store.ErrNotRestored},
		{"ongoing", &fake{restore: `ongoing-request="true"`, getErr: invalid}, store.Restoring, store.ErrRestoreInProgress, 0, store.ErrNotRestored},
		{"raced", &fake{restoreErr: inProgress, getErr: invalid}, store.Archived, store.ErrRestoreInProgress, 1, store.ErrNotRestored},
		{"restored", &fake{restore: `ongoing-request="false", expiry-date="Fri, 04 Dec 2026 00:00:00 GMT"`}, store.Readable, nil, 0, nil},
		// An expired copy: S3 drops the header again, the object is archived.
		{"expired", &fake{getErr: invalid}, store.Archived, nil, 1, store.ErrNotRestored},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := NewWithClient(tc.f, Config{Bucket: "b"})
			ctx := context.Background()
			info, err := s.Stat(ctx, "a.tar.gz")
			if err != nil || info.Restore != tc.wantState {
				t.Fatalf("Stat = %v, %v, want %v", info.Restore, err, tc.wantState)
			}
			if err := s.Restore(ctx, "a.tar.gz", 1, store.Bulk); !errors.Is(err, tc.wantErr) && !(err == nil && tc.wantErr == nil) {
				t.Errorf("Restore = %v, want %v", err, tc.wantErr)
			}
			if tc.f.restores != tc.wantCalls {
				t.Errorf("RestoreObject called %d times, want %d", tc.f.restores, tc.wantCalls)
			}
			if _, err := s.Get(ctx, "a.tar.gz"); tc.wantGetErr != nil && !errors.Is(err, tc.wantGetErr) {
				t.Errorf("Get = %v, want %v", err, tc.wantGetErr)
			}
		})
	}
}

func TestParseRestore(t *testing.T) {
	exp := time.Date(2012, 12, 21, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		h     string
		cold  bool
		state store.RestoreState
		exp   time.Time
	}{
		{"", true, store.Archived, time.Time{}},
		{"", false, store.Readable, time.Time{}},
		{`ongoing-request="true"`, true, store.Restoring, time.Time{}},
		{`ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT"`, true, store.Readable, exp},
		{`expiry-date="Fri, 21 Dec 2012 00:00:00 GMT", ongoing-request="false"`, true, store.Readable, exp},
		{`garbage`, true, store.Archived, time.Time{}},
		{`ongoing-request="tr`, true, store.Archived, time.Time{}},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s/cold=%v", tc.h, tc.cold), func(t *testing.T) {
			state, e := ParseRestore(tc.h, tc.cold)
			if state != tc.state || !e.Equal(tc.exp) {
				t.Errorf("ParseRestore(%q, %v) = %v, %v, want %v, %v", tc.h, tc.cold, state, e, tc.state, tc.exp)
			}
		})
	}
}

func FuzzParseRestore(f *testing.F) {
	f.Add(`ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT"`)
	f.Add(`ongoing-request="true"`)
	f.Fuzz(func(t *testing.T, h string) {
		ParseRestore(h, true)
	})
}

func TestParseURL(t *testing.T) {
	tests := []struct {
		in, bucket, prefix string
		ok                 bool
	}{
		{"s3://bucket", "bucket", "", true},
		{"s3://bucket/", "bucket", "", true},
		{"s3://bucket/qms/archive", "bucket", "qms/archive/", true},
		{"s3://bucket/a/../b", "", "", false},
		{"http://bucket/x", "", "", false},
		{"s3:///x", "", "", false},
		{"s3://b/x?y=1", "", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			c, err := ParseURL(tc.in)
			if (err == nil) != tc.ok || c.Bucket != tc.bucket || c.Prefix != tc.prefix {
				t.Errorf("ParseURL(%q) = %+v, %v, want %s %q ok=%v", tc.in, c, err, tc.bucket, tc.prefix, tc.ok)
			}
		})
	}
}

func FuzzParseURL(f *testing.F) {
	f.Add("s3://bucket/qms/archive")
	f.Add("s3://b/../x")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseURL(s)
		if err == nil && (c.Bucket == "" || c.Prefix != "" && store.CheckKey(strings.TrimSuffix(c.Prefix, "/")) != nil) {
			t.Fatalf("ParseURL(%q) = %+v", s, c)
		}
	})
}

// TestClassify: what S3 and the network answer maps to the store's
// sentinel errors, which the CLI turns into hints.
func TestClassify(t *testing.T) {
	api := func(code string) error {
		return fmt.Errorf("operation error S3: %w", &smithy.GenericAPIError{Code: code, Message: "m"})
	}
	tests := []struct {
		err  error
		want error
	}{
		{api("NoSuchKey"), store.ErrNotFound},
		{api("InvalidObjectState"), store.ErrNotRestored},
		{api("RestoreAlreadyInProgress"), store.ErrRestoreInProgress},
		{api("NoSuchBucket"), store.ErrNoBucket},
		{api("PermanentRedirect"), store.ErrWrongRegion},
		{api("AccessDenied"), store.ErrCredentials},
		{fmt.Errorf("send: %w", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}), store.ErrUnreachable},
		{fmt.Errorf("resolve: %w", &net.DNSError{Err: "no such host", Name: "x"}), store.ErrUnreachable},
		{context.DeadlineExceeded, store.ErrUnreachable},
		{api("SomethingElse"), nil},
	}
	for _, tc := range tests {
		t.Run(tc.err.Error(), func(t *testing.T) {
			if got := classify(tc.err); got != tc.want {
				t.Errorf("classify(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
	s := &Store{cfg: Config{Bucket: "b", Prefix: "p/"}}
	if err := s.wrap("k", api("NoSuchBucket")); !errors.Is(err, store.ErrNoBucket) || !strings.Contains(err.Error(), "NoSuchBucket") {
		t.Errorf("wrap keeps neither the sentinel nor S3's words: %v", err)
	}
}
