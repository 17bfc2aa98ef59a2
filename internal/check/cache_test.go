package check_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/check"
	"github.com/qms-tool/qms/internal/records"
	"github.com/qms-tool/qms/internal/schema"
)

// writeExample writes the example QMS to a directory, with one broken
// record so that there are findings to remember.
func writeExample(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for p, f := range example(t) {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		data := f.Data
		if p == "records/incidents/INC-2026-0001.md" {
			data = []byte(strings.Replace(string(data), "owner: lrossi", "owner: nobody", 1))
		}
		if err := os.WriteFile(full, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func checkDir(t *testing.T, dir, cachePath string, tool string, now time.Time) []qms.Finding {
	t.Helper()
	set, _ := schema.Load(qms.Defaults, os.DirFS(dir))
	src := check.FS{FS: os.DirFS(dir)}
	paths, listed, err := check.List(set, src)
	if err != nil {
		t.Fatal(err)
	}
	c := records.OpenCache(cachePath, set, []byte(tool), now)
	res, err := (&check.Checker{Kinds: set, Cache: c}).Check(src, paths)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}
	return append(listed, res.Findings...)
}

func TestCacheNeverHidesFindings(t *testing.T) {
	dir := writeExample(t)
	cachePath := filepath.Join(t.TempDir(), "cache")
	// Pretend the files are old, so that their metadata can vouch for them.
	later := time.Now().Add(time.Hour)

	cold := checkDir(t, dir, cachePath, "v1", later)
	if len(cold) != 1 || cold[0].Rule != "ref-missing" {
		t.Fatalf("cold findings = %v, want one ref-missing", cold)
	}
	if st, err := os.Stat(cachePath); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("cache file: %v, mode %v; want mode 0600", err, st)
	}
	warm := checkDir(t, dir, cachePath, "v1", later)
	if !reflect.DeepEqual(cold, warm) {
		t.Errorf("warm findings = %v, want %v", warm, cold)
	}

	// Same size, mtime put back: the change time still gives it away.
	p := filepath.Join(dir, "records/incidents/INC-2026-0003.md")
	b, _ := os.ReadFile(p)
	st, _ := os.Stat(p)
	bad := strings.Replace(string(b), "level: minimal", "level: minimax", 1)
	if len(bad) != len(b) {
		t.Fatal("replacement changed the size")
	}
	os.WriteFile(p, []byte(bad), 0o644)
	os.Chtimes(p, st.ModTime(), st.ModTime())
	got := checkDir(t, dir, cachePath, "v1", later)
	if !hasRule(got, "enum") {
		t.Errorf("after an edit that kept size and mtime: findings = %v, want enum", got)
	}

	// A damaged cache is ignored, not trusted.
	cb, _ := os.ReadFile(cachePath)
	cb[len(cb)/2] ^= 0xff
	os.WriteFile(cachePath, cb, 0o600)
	if got := checkDir(t, dir, cachePath, "v1", later); !hasRule(got, "enum") || !hasRule(got, "ref-missing") {
		t.Errorf("with a damaged cache: findings = %v", got)
	}

	// Another qms build does not reuse the cache: fix the record behind
	// the cache's back (the stat changes anyway), then check with tool v2.
	os.WriteFile(p, b, 0o644)
	if got := checkDir(t, dir, cachePath, "v2", later); hasRule(got, "enum") || !hasRule(got, "ref-missing") {
		t.Errorf("with another tool: findings = %v", got)
	}
}

func TestCacheRacyFiles(t *testing.T) {
	dir := writeExample(t)
	cachePath := filepath.Join(t.TempDir(), "cache")
	// The run "starts" now and the files were just written: their metadata
	// must not vouch for them, so a same-size edit within the same clock
	// tick is still seen.
	now := time.Now()
	checkDir(t, dir, cachePath, "v1", now)
	p := filepath.Join(dir, "records/incidents/INC-2026-0003.md")
	b, _ := os.ReadFile(p)
	st, _ := os.Stat(p)
	os.WriteFile(p, []byte(strings.Replace(string(b), "level: minimal", "level: minimax", 1)), 0o644)
	os.Chtimes(p, st.ModTime(), st.ModTime())
	if got := checkDir(t, dir, cachePath, "v1", now); !hasRule(got, "enum") {
		t.Errorf("racy edit: findings = %v, want enum", got)
	}
}

func hasRule(fs []qms.Finding, rule string) bool {
	for _, f := range fs {
		if f.Rule == rule {
			return true
		}
	}
	return false
}
