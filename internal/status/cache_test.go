package status

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/check"
	"github.com/qms-tool/qms/internal/schema"
)

func TestCache(t *testing.T) {
	dir := t.TempDir()
	inc := filepath.Join(dir, "records", "incidents", "INC-2026-0001.md")
	if err := os.MkdirAll(filepath.Dir(inc), 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(title string, age time.Duration) {
		t.Helper()
		if err := os.WriteFile(inc, []byte("---\nid: INC-2026-0001\ntitle: "+title+"\ndowntime_minutes: 12\n---\nbody\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		at := time.Now().Add(-age)
		if err := os.Chtimes(inc, at, at); err != nil {
			t.Fatal(err)
		}
	}
	kinds, _ := schema.Load(qms.Defaults, nil)
	src := check.FS{FS: os.DirFS(dir), Dir: dir}
	cachePath := filepath.Join(dir, ".git", "qms", "status-cache")
	key := []byte("tool")
	load := func() Record {
		t.Helper()
		c := OpenCache(cachePath, key, time.Now())
		recs, err := LoadCached(kinds, src, c)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Save(); err != nil {
			t.Fatal(err)
		}
		if len(recs) != 1 {
			t.Fatalf("%d records, want 1", len(recs))
		}
		return recs[0]
	}
	// poison rewrites the cached title, to see whether the cache is used.
	poison := func() {
		t.Helper()
		b, err := os.ReadFile(cachePath)
		if err != nil {
			t.Fatal(err)
		}
		b = bytes.ReplaceAll(b, []byte(`"title":"`), []byte(`"title":"cached `))
		if err := os.WriteFile(cachePath, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}

	write("VPN down", time.Hour)
	first := load()
	if first.Data["title"] != "VPN down" || num(first.Data["downtime_minutes"]) != 12 {
		t.Fatalf("first load: %v", first.Data)
	}
	poison()
	r := load()
	if r.Data["title"] != "cached VPN down" || r.Data["downtime_minutes"] != first.Data["downtime_minutes"] {
		t.Errorf("unchanged file: %#v, want the cached frontmatter with numbers of the same type as parsed (%#v)", r.Data, first.Data)
	}
	write("VPN down again", time.Hour)
	if r := load(); r.Data["title"] != "VPN down again" {
		t.Errorf("changed file: %v, want it parsed again", r.Data)
	}
	// A file changed just before it was read is never taken from the
	// cache: it could change again within the same clock tick.
	write("fresh", 0)
	load()
	poison()
	if r := load(); r.Data["title"] != "fresh" {
		t.Errorf("racy file: %v, want it parsed again", r.Data)
	}
	// Another tool build, or a damaged file: an empty cache.
	write("old", time.Hour)
	load()
	poison()
	key = []byte("other tool")
	if r := load(); r.Data["title"] != "old" {
		t.Errorf("other key: %v", r.Data)
	}
	if err := os.WriteFile(cachePath, []byte("{garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := load(); r.Data["title"] != "old" {
		t.Errorf("damaged cache: %v", r.Data)
	}
	// A removed record leaves the cache.
	if err := os.Remove(inc); err != nil {
		t.Fatal(err)
	}
	c := OpenCache(cachePath, key, time.Now())
	if recs, _ := LoadCached(kinds, src, c); len(recs) != 0 {
		t.Errorf("after removal: %d records", len(recs))
	}
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(cachePath); bytes.Contains(b, []byte("INC-2026-0001")) {
		t.Errorf("the cache still holds the removed record")
	}
}

// FuzzOpenCache reads arbitrary cache files: never a panic, and a cache
// whose entries do not match the files is not used.
func FuzzOpenCache(f *testing.F) {
	f.Add([]byte(`{"magic":"qms-status-cache 1","key":"746f6f6c","entries":{"records/incidents/INC-2026-0001.md":{"i":"x","t":1,"d":{"a":[1,-2,3.5,{"b":null}]}}}}`))
	f.Add([]byte(`{"magic":"qms-status-cache 1","key":"746f6f6c","entries":{"x":{"d":null}}}`))
	f.Add([]byte("{"))
	kinds, _ := schema.Load(qms.Defaults, nil)
	dir := f.TempDir()
	inc := filepath.Join(dir, "records", "incidents", "INC-2026-0001.md")
	if err := os.MkdirAll(filepath.Dir(inc), 0o755); err != nil {
		f.Fatal(err)
	}
	if err := os.WriteFile(inc, []byte("---\nid: INC-2026-0001\n---\n"), 0o644); err != nil {
		f.Fatal(err)
	}
	src := check.FS{FS: os.DirFS(dir), Dir: dir}
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "status-cache")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		recs, err := LoadCached(kinds, src, OpenCache(p, []byte("tool"), time.Now()))
		if err != nil || len(recs) != 1 || recs[0].ID != "INC-2026-0001" {
			t.Fatalf("LoadCached = %v, %v", recs, err)
		}
	})
}
