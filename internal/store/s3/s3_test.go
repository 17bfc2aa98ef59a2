package s3_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/qms-tool/qms/internal/store"
	qs3 "github.com/qms-tool/qms/internal/store/s3"
	"github.com/qms-tool/qms/internal/testkit/need"
	"github.com/qms-tool/qms/internal/testkit/s3server"
	"github.com/qms-tool/qms/internal/testkit/storetest"
)

// server is versitygw behind the Glacier proxy, shared by the tests; nil
// when versitygw is not installed (outside CI).
var server *s3server.Server

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "qms-s3-")
	if err != nil {
		panic(err)
	}
	server, err = s3server.Start(dir)
	if err != nil {
		server = nil
		if os.Getenv("CI") == "true" {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Fprintln(os.Stderr, "skipping the S3 tests:", err)
	}
	home, _ := os.MkdirTemp("", "qms-s3-home-")
	if server != nil {
		for _, kv := range server.Env(home) {
			k, v, _ := strings.Cut(kv, "=")
			os.Setenv(k, v)
		}
	}
	code := m.Run()
	if server != nil {
		server.Close()
	}
	os.RemoveAll(dir)
	os.RemoveAll(home)
	os.Exit(code)
}

var buckets atomic.Int32

// open makes a fresh bucket with Object Lock and a store on it.
func open(t *testing.T, partSize int64) (*qs3.Store, string) {
	t.Helper()
	if server == nil {
		need.Missing(t, "versitygw", need.Versitygw)
	}
	bucket := fmt.Sprintf("qms-test-%d", buckets.Add(1))
	if err := server.CreateBucket(context.Background(), bucket); err != nil {
		t.Fatal(err)
	}
	s, err := qs3.New(context.Background(), qs3.Config{Bucket: bucket, Prefix: "silvretta/", Endpoint: server.URL, PartSize: partSize, Concurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	return s, bucket
}

func TestSuite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, _ := open(t, 5<<20)
		return s
	}, storetest.Options{Large: 11 << 20})
}

// A locked object can be neither deleted nor have its retention
// shortened, whoever asks. Servers differ in the error code (AccessDenied,
// InvalidRequest): only the refusal is asserted.
func TestLocked(t *testing.T) {
	s, bucket := open(t, 5<<20)
	ctx := context.Background()
	until := time.Now().Add(24 * time.Hour).UTC().Truncate(time.Second)
	data := []byte("a record kept for ten years")
	if _, err := s.Put(ctx, "a.tar.gz", bytes.NewReader(data), store.PutOptions{Size: int64(len(data)), Class: store.Glacier, RetainUntil: until}); err != nil {
		t.Fatal(err)
	}
	c := server.Client(server.Direct)
	key := "silvretta/a.tar.gz"
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: &key, VersionId: head.VersionId}); err == nil {
		t.Error("DeleteObject of a locked version succeeded, want it refused")
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: &key, VersionId: head.VersionId, BypassGovernanceRetention: aws.Bool(true)}); err == nil {
		t.Error("DeleteObject with BypassGovernanceRetention succeeded, want it refused (COMPLIANCE)")
	}
	_, err = c.PutObjectRetention(ctx, &s3.PutObjectRetentionInput{Bucket: &bucket, Key: &key, VersionId: head.VersionId,
		Retention: &types.ObjectLockRetention{Mode: types.ObjectLockRetentionModeCompliance, RetainUntilDate: aws.Time(until.Add(-time.Hour))}})
	if err == nil {
		t.Error("shortening the retention succeeded, want it refused")
	}
	info, err := s.Stat(ctx, "a.tar.gz")
	if err != nil || !info.RetainUntil.Equal(until) || info.LockMode != store.Compliance {
		t.Errorf("Stat after the refusals = %+v, %v, want COMPLIANCE until %v", info, err, until)
	}
}

// The server stops in the middle of a multipart upload: nothing is
// visible, and a rerun aborts the orphaned upload and completes.
func TestServerStopped(t *testing.T) {
	s, bucket := open(t, 5<<20)
	ctx := context.Background()
	data := make([]byte, 21<<20)
	for i := range data {
		data[i] = byte(i * 7)
	}
	var stopped atomic.Bool
	opts := store.PutOptions{Size: int64(len(data)), Class: store.DeepArchive, RetainUntil: time.Now().Add(time.Hour),
		Progress: func(done int64) {
			if done > 8<<20 && !stopped.Swap(true) {
				go server.StopGateway()
			}
		}}
	_, err := s.Put(ctx, "big.tar.gz", bytes.NewReader(data), opts)
	if err == nil {
		t.Fatal("Put succeeded although the server stopped")
	}
	if err := server.StartGateway(); err != nil {
		t.Fatal(err)
	}
	c := server.Client(server.Direct)
	ups, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &bucket})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("after the interruption: %d unfinished multipart uploads", len(ups.Uploads))
	if _, err := s.Stat(ctx, "big.tar.gz"); err == nil {
		t.Fatal("a partial object is visible")
	}
	opts.Progress = nil
	if up, err := s.Put(ctx, "big.tar.gz", bytes.NewReader(data), opts); err != nil || !up {
		t.Fatalf("rerun = %v, %v, want true, nil", up, err)
	}
	ups, err = c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &bucket})
	if err != nil || len(ups.Uploads) != 0 {
		t.Fatalf("after the rerun: %d unfinished uploads (%v), want none", len(ups.Uploads), err)
	}
	info, err := s.Stat(ctx, "big.tar.gz")
	if err != nil || info.Size != int64(len(data)) || len(info.Problems) > 0 {
		t.Fatalf("Stat = %+v, %v", info, err)
	}
}
