package check_test

import (
	"os"
	"runtime"
	"testing"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/check"
	"github.com/qms-tool/qms/internal/schema"
	"github.com/qms-tool/qms/internal/testkit/gen"
)

// benchmarkValidate times what 'qms validate' does with a repository of n
// generated records: list the records, then check them all, schema, body
// sections and cross-record rules. Generating the repository and loading the
// schemas are outside the timer. Besides records/s it reports live-MB, the
// heap still in use while the result is held.
func benchmarkValidate(b *testing.B, n int) {
	dir := b.TempDir()
	if _, err := gen.Write(dir, gen.Options{Records: n, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	set, fs_ := schema.Load(qms.Defaults, os.DirFS(dir))
	if len(fs_) > 0 {
		b.Fatalf("schema.Load: %v", fs_)
	}
	src := check.FS{FS: os.DirFS(dir)}
	b.ReportAllocs()
	for b.Loop() {
		paths, listed, err := check.List(set, src)
		if err != nil {
			b.Fatal(err)
		}
		res, err := (&check.Checker{Kinds: set}).Check(src, paths)
		if err != nil {
			b.Fatal(err)
		}
		if len(paths) != n || len(listed) > 0 || len(res.Findings) > 0 {
			b.Fatalf("%d records, %d findings; want %d records, none", len(paths), len(listed)+len(res.Findings), n)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")

	// What a run keeps in memory until its findings are printed: the live
	// heap with the result still referenced, which drives peak RSS.
	paths, _, _ := check.List(set, src)
	res, err := (&check.Checker{Kinds: set}).Check(src, paths)
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	runtime.KeepAlive(res)
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "live-MB")
}

func BenchmarkValidate1k(b *testing.B)  { benchmarkValidate(b, 1_000) }
func BenchmarkValidate10k(b *testing.B) { benchmarkValidate(b, 10_000) }
