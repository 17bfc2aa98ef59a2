// Command s3bench measures what 'qms archive push' spends its time on: the
// upload of a large archive (store/s3 Put: SHA-256 of every part, multipart,
// Object Lock) to a local versitygw. .ci/bench-s3 runs it. Benchmark
// tooling: not part of the qms binary.
package main

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/qms-tool/qms/internal/store"
	qs3 "github.com/qms-tool/qms/internal/store/s3"
	"github.com/qms-tool/qms/internal/testkit/s3server"
)

func main() {
	size := flag.Int64("mb", 500, "archive size in MB (10^6 bytes)")
	runs := flag.Int("runs", 3, "uploads to time")
	proxy := flag.Bool("proxy", false, "go through the Glacier proxy rather than straight to versitygw")
	etag := flag.Bool("data-integrity-etag", false, "run versitygw with --data-integrity-etag (no MD5 of the data)")
	flag.Parse()
	var args []string
	if *etag {
		args = append(args, "--data-integrity-etag")
	}
	if err := run(*size*1e6, *runs, *proxy, args); err != nil {
		fmt.Fprintln(os.Stderr, "s3bench:", err)
		os.Exit(1)
	}
}

func run(size int64, runs int, proxy bool, serverArgs []string) error {
	dir, err := os.MkdirTemp("", "qms-s3bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	srv, err := s3server.Start(filepath.Join(dir, "s3"), serverArgs...)
	if err != nil {
		return err
	}
	defer srv.Close()
	for _, kv := range srv.Env(dir) {
		k, v, _ := strings.Cut(kv, "=")
		os.Setenv(k, v)
	}
	// A random (incompressible) file, like a .tar.gz.
	src := filepath.Join(dir, "archive.tar.gz")
	f, err := os.Create(src)
	if err != nil {
		return err
	}
	if _, err := io.CopyN(f, rand.Reader, size); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	endpoint := srv.Direct
	if proxy {
		endpoint = srv.URL
	}
	ctx := context.Background()
	if err := srv.CreateBucket(ctx, "bench"); err != nil {
		return err
	}
	st, err := qs3.New(ctx, qs3.Config{Bucket: "bench", Endpoint: endpoint})
	if err != nil {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	// qms knows the archive's SHA-256 from building it.
	sum, err := store.Hash(in, size)
	if err != nil {
		return err
	}
	var best, total time.Duration
	for i := 0; i < runs; i++ {
		key := fmt.Sprintf("qms-bench-%d.tar.gz", i)
		start := time.Now()
		up, err := st.Put(ctx, key, in, store.PutOptions{Size: size, SHA256: sum, Class: store.DeepArchive, RetainUntil: time.Now().Add(24 * time.Hour)})
		if err != nil {
			return err
		}
		d := time.Since(start)
		if !up {
			return fmt.Errorf("%s: nothing uploaded", key)
		}
		total += d
		if best == 0 || d < best {
			best = d
		}
		fmt.Printf("run %d: %d MB in %.2f s = %.0f MB/s\n", i+1, size/1e6, d.Seconds(), float64(size)/1e6/d.Seconds())
	}
	// A rerun finds the same object and uploads nothing.
	start := time.Now()
	up, err := st.Put(ctx, "qms-bench-0.tar.gz", in, store.PutOptions{Size: size, SHA256: sum, Class: store.DeepArchive, RetainUntil: time.Now().Add(24 * time.Hour)})
	if err != nil || up {
		return fmt.Errorf("rerun: uploaded=%v, %v", up, err)
	}
	rerun := time.Since(start)
	mean := total / time.Duration(runs)
	fmt.Printf("push %d MB to versitygw: mean %.2f s (%.0f MB/s), best %.2f s (%.0f MB/s); rerun with nothing to upload %.2f s\n",
		size/1e6, mean.Seconds(), float64(size)/1e6/mean.Seconds(), best.Seconds(), float64(size)/1e6/best.Seconds(), rerun.Seconds())
	return nil
}
