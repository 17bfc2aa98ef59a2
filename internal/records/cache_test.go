package records

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/record"
	"github.com/qms-tool/qms/internal/schema"
)

// loadCached loads the records of dir through the cache at cachePath, as
// a run that began at now, and saves it.
func loadCached(t testing.TB, dir, cachePath string, tool []byte, now time.Time) []*Entry {
	t.Helper()
	kinds := defaultKinds()
	fsys := Dir(dir)
	paths, _, err := List(kinds, fsys)
	if err != nil {
		t.Fatal(err)
	}
	c := OpenCache(cachePath, kinds, tool, now)
	es, err := Load(fsys, kinds, paths, Options{Cache: c})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}
	return es
}

// defaultKinds are the built-in kinds, compiled once.
var defaultKinds = sync.OnceValue(func() *schema.Set {
	kinds, _ := schema.Load(qms.Defaults, nil)
	return kinds
})

// poison rewrites the title every entry of the cache file holds, and the
// content's checksum, to see whether a file's metadata vouched for it.
func poison(t *testing.T, cachePath string, tool []byte) {
	t.Helper()
	kinds, _ := schema.Load(qms.Defaults, nil)
	c := OpenCache(cachePath, kinds, tool, time.Now())
	c.wait()
	if len(c.old) == 0 {
		t.Fatal("poison: the cache is empty")
	}
	var paths []string
	var kept []*cached
	for p := range c.old {
		k := *c.lookup(p)
		en := *k.load(p, kinds, nil)
		en.Fields = append(Fields(nil), en.Fields...)
		for i, f := range en.Fields {
			if f.Name == "title" {
				en.Fields[i].Value = "cached " + f.Value.(string)
			}
		}
		k.entry, k.chunk, k.body = &en, "", ""
		k.sum[0] ^= 0xff
		paths, kept = append(paths, p), append(kept, &k)
	}
	b, err := encodeFile(c.key, c.names, paths, kept)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cachePath, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

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
	cachePath := filepath.Join(dir, ".git", "qms", "records-cache")
	if err := os.MkdirAll(filepath.Dir(cachePath), 0o755); err != nil {
		t.Fatal(err)
	}
	tool := []byte("tool")
	// Pretend the run began well after the files last changed (their
	// change times are now), so that their metadata can vouch for them.
	now := time.Now().Add(time.Hour)
	load := func() *Entry {
		t.Helper()
		es := loadCached(t, dir, cachePath, tool, now)
		if len(es) != 1 || es[0] == nil {
			t.Fatalf("%d records, want 1", len(es))
		}
		return es[0]
	}
	write("VPN down", time.Hour)
	first := load()
	if first.Fields.Get("title") != "VPN down" || num(first.Fields.Get("downtime_minutes")) != 12 {
		t.Fatalf("first load: %v", first.Fields)
	}
	if st, err := os.Stat(cachePath); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("cache file: %v, mode %v; want mode 0600", err, st)
	}
	poison(t, cachePath, tool)
	r := load()
	if r.Fields.Get("title") != "cached VPN down" || r.Fields.Get("downtime_minutes") != first.Fields.Get("downtime_minutes") {
		t.Errorf("unchanged file: %#v, want the cached frontmatter with numbers of the same type as parsed (%#v)", r.Fields, first.Fields)
	}
	write("VPN down again", time.Hour)
	if r := load(); r.Fields.Get("title") != "VPN down again" {
		t.Errorf("changed file: %v, want it parsed again", r.Fields)
	}
	// A file changed just before it was read is never taken from the
	// cache by its metadata: it could change again within the same tick.
	write("fresh", 0)
	now = time.Now()
	load()
	poison(t, cachePath, tool)
	if r := load(); r.Fields.Get("title") != "fresh" {
		t.Errorf("racy file: %v, want it parsed again", r.Fields)
	}
	// Once read again after the racy moment has passed, its metadata can
	// vouch for it.
	now = time.Now().Add(time.Hour)
	load()
	poison(t, cachePath, tool)
	if r := load(); r.Fields.Get("title") != "cached fresh" {
		t.Errorf("file read again after its racy moment: %v, want it taken from the cache", r.Fields)
	}
	// Another tool build, or a damaged file: an empty cache.
	write("old", time.Hour)
	load()
	poison(t, cachePath, tool)
	tool = []byte("other tool")
	if r := load(); r.Fields.Get("title") != "old" {
		t.Errorf("other key: %v", r.Fields)
	}
	if err := os.WriteFile(cachePath, []byte("{garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := load(); r.Fields.Get("title") != "old" {
		t.Errorf("damaged cache: %v", r.Fields)
	}
	// A removed record leaves the cache.
	if err := os.Remove(inc); err != nil {
		t.Fatal(err)
	}
	if es := loadCached(t, dir, cachePath, tool, now); len(es) != 0 {
		t.Errorf("after removal: %d records", len(es))
	}
	if b, _ := os.ReadFile(cachePath); bytes.Contains(b, []byte("INC-2026-0001")) {
		t.Errorf("the cache still holds the removed record")
	}
}

// TestCacheChecked: entries a run without Check stored lack the checks'
// findings, so a run with Check parses those files again.
func TestCacheChecked(t *testing.T) {
	dir := t.TempDir()
	inc := filepath.Join(dir, "records", "incidents", "INC-2026-0001.md")
	os.MkdirAll(filepath.Dir(inc), 0o755)
	if err := os.WriteFile(inc, []byte("---\nid: INC-2026-0001\ntitle: x\n---\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	os.Chtimes(inc, old, old)
	kinds, _ := schema.Load(qms.Defaults, nil)
	cachePath := filepath.Join(t.TempDir(), "cache")
	calls := 0
	check := func(*schema.Kind, *record.Record) []qms.Finding {
		calls++
		return []qms.Finding{{Path: "records/incidents/INC-2026-0001.md", Line: 1, Column: 1, Rule: "t", Severity: qms.Error, Message: "m"}}
	}
	run := func(withCheck bool) *Entry {
		t.Helper()
		c := OpenCache(cachePath, kinds, []byte("t"), time.Now())
		o := Options{Cache: c}
		if withCheck {
			o.Check = check
		}
		es, err := Load(Dir(dir), kinds, []string{"records/incidents/INC-2026-0001.md"}, o)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Save(); err != nil {
			t.Fatal(err)
		}
		return es[0]
	}
	for _, tc := range []struct {
		name      string
		withCheck bool
		calls     int
		findings  int
	}{
		{"without check", false, 0, 0},
		{"with check, after a run without", true, 1, 1},
		{"with check, cached", true, 1, 1},
		{"without check, checked entry", false, 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := run(tc.withCheck)
			if calls != tc.calls || len(e.Findings) != tc.findings {
				t.Errorf("Check ran %d times, entry has %d findings; want %d and %d", calls, len(e.Findings), tc.calls, tc.findings)
			}
		})
	}
}

// FuzzOpenCache reads arbitrary cache files: never a panic, and a cache
// whose entries do not match the files is not used.
func FuzzOpenCache(f *testing.F) {
	dir := f.TempDir()
	inc := filepath.Join(dir, "records", "incidents", "INC-2026-0001.md")
	if err := os.MkdirAll(filepath.Dir(inc), 0o755); err != nil {
		f.Fatal(err)
	}
	if err := os.WriteFile(inc, []byte("---\nid: INC-2026-0001\n---\n"), 0o644); err != nil {
		f.Fatal(err)
	}
	other := filepath.Join(dir, "other")
	os.MkdirAll(filepath.Join(other, "records", "incidents"), 0o755)
	os.WriteFile(filepath.Join(other, "records", "incidents", "INC-2026-0001.md"), []byte("---\nid: INC-2026-0002\ntitle: [a, -2, 3.5, {b: null}]\n---\n"), 0o644)
	seed := filepath.Join(f.TempDir(), "seed")
	loadCached(f, other, seed, []byte("tool"), time.Now())
	b, _ := os.ReadFile(seed)
	f.Add(b)
	f.Add([]byte(cacheMagic))
	f.Add([]byte("{"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "cache")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		es := loadCached(t, dir, p, []byte("tool"), time.Now())
		if len(es) != 1 || es[0].ID != "INC-2026-0001" {
			t.Fatalf("Load = %v", es)
		}
	})
}

// FuzzDecodeCache decodes arbitrary bytes as a cache file (with a valid
// checksum, so that the decoder itself is reached): never a panic, and
// every entry it accepts encodes back to the same bytes.
func FuzzDecodeCache(f *testing.F) {
	kinds, _ := schema.Load(qms.Defaults, nil)
	key := [32]byte{1}
	e := &cached{sum: [32]byte{2}, blob: "b", stat: fileStat{1, 2, 3, 4, 5}, statAt: 6, checked: true,
		entry: &Entry{Path: "records/incidents/INC-2026-0001.md", Kind: kinds.Kinds["incident"], ID: "INC-2026-0001",
			Findings: []qms.Finding{{Path: "p", Line: 1, Column: 2, Rule: "r", Severity: qms.Error, Message: "m", Hint: "h"}},
			Fields:   Fields{{"a", []any{int64(-1), uint64(2), 3.5, true, false, nil, map[string]any{"b": "c"}}}}}}
	b, err := encodeFile(key, nil, []string{e.entry.Path}, []*cached{e})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b[len(cacheMagic)+32 : len(b)-4])
	f.Add([]byte{1, 0})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, body []byte) {
		file := append(append([]byte(cacheMagic), key[:]...), body...)
		file = binary.BigEndian.AppendUint32(file, crc32.Checksum(file, castagnoli))
		slots, names, err := decodeFile(file, key)
		if err != nil {
			return
		}
		c := &Cache{old: slots, names: names, ready: make(chan struct{})}
		close(c.ready)
		for p := range slots {
			k := c.lookup(p)
			if k == nil {
				continue
			}
			e := k.load(p, kinds, nil)
			if e == nil {
				continue
			}
			var table []string
			enc := encoder{number: func(name string) int { table = append(table, name); return len(table) - 1 }}
			encodeEntry(&enc, p, &cached{sum: k.sum, blob: k.blob, stat: k.stat, statAt: k.statAt, checked: k.checked, entry: e})
			if enc.err != nil {
				t.Fatalf("decoded entry does not encode: %v", enc.err)
			}
			d := &decoder{s: string(enc.b)}
			h := decodeHeader(d, p)
			if d.err != nil {
				t.Fatalf("re-encoded header does not decode: %v", d.err)
			}
			again := decodeBody(d, p, kinds, table, nil, h.flags&flagBroken != 0)
			if d.err != nil || d.s != "" {
				t.Fatalf("re-encoded entry does not decode: %v", d.err)
			}
			if h.sum != k.sum || h.blob != k.blob || h.stat != k.stat || h.statAt != k.statAt || h.checked != k.checked {
				t.Fatalf("round trip changed the header: %+v, want %+v", h, k)
			}
			if !sameEntry(again, e) {
				t.Fatalf("round trip changed the entry:\n%#v\n%#v", e, again)
			}
		}
	})
}

// sameEntry is reflect.DeepEqual, except that a NaN field value equals a
// NaN with the same bits: YAML's .nan is a value a record may hold, and
// the cache must give it back as it was, yet NaN != NaN.
func sameEntry(a, b *Entry) bool {
	if a == nil || b == nil {
		return a == b
	}
	x, y := *a, *b
	x.Fields, y.Fields = nil, nil
	if !reflect.DeepEqual(x, y) || len(a.Fields) != len(b.Fields) {
		return false
	}
	for i := range a.Fields {
		if a.Fields[i].Name != b.Fields[i].Name || !sameValue(a.Fields[i].Value, b.Fields[i].Value) {
			return false
		}
	}
	return true
}

func sameValue(a, b any) bool {
	switch x := a.(type) {
	case float64:
		y, ok := b.(float64)
		return ok && math.Float64bits(x) == math.Float64bits(y)
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameValue(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !sameValue(v, w) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

// TestCacheNaNRoundTrip: a field holding NaN (YAML .nan) comes back from
// the cache with the same bits, as the fuzzer first showed on CI.
func TestCacheNaNRoundTrip(t *testing.T) {
	kinds, _ := schema.Load(qms.Defaults, nil)
	nan := math.NaN()
	e := &Entry{Path: "records/incidents/INC-2026-0001.md", Kind: kinds.Kinds["incident"], ID: "INC-2026-0001",
		Fields: Fields{{"a", []any{nan, 1.5, map[string]any{"b": nan}}}}}
	var table []string
	enc := encoder{number: func(name string) int { table = append(table, name); return len(table) - 1 }}
	encodeEntry(&enc, e.Path, &cached{entry: e})
	if enc.err != nil {
		t.Fatal(enc.err)
	}
	d := &decoder{s: string(enc.b)}
	h := decodeHeader(d, e.Path)
	again := decodeBody(d, e.Path, kinds, table, nil, h.flags&flagBroken != 0)
	if d.err != nil || d.s != "" {
		t.Fatalf("decode: %v (%d bytes left)", d.err, len(d.s))
	}
	if !sameEntry(again, e) {
		t.Fatalf("round trip changed the entry:\n%#v\n%#v", e, again)
	}
	if reflect.DeepEqual(again, e) {
		t.Fatal("DeepEqual calls NaN equal to NaN: sameEntry is not needed")
	}
	if sameEntry(&Entry{Fields: Fields{{"a", nan}}}, &Entry{Fields: Fields{{"a", 1.0}}}) {
		t.Fatal("sameEntry calls NaN equal to 1")
	}
}

// TestCacheKeepsUnchangedEntries: entries written again as they were read
// keep their fields when other entries change (and bring new field names).
func TestCacheKeepsUnchangedEntries(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "records", "incidents"), 0o755)
	a := filepath.Join(dir, "records", "incidents", "INC-2026-0001.md")
	b := filepath.Join(dir, "records", "incidents", "INC-2026-0002.md")
	old := time.Now().Add(-time.Hour)
	write := func(p, body string) {
		t.Helper()
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(p, old, old)
	}
	write(a, "---\nid: INC-2026-0001\ntitle: a\nlevel: minor\nservices: [x]\n---\n")
	write(b, "---\nid: INC-2026-0002\ntitle: b\n---\n")
	cachePath := filepath.Join(t.TempDir(), "cache")
	later := time.Now().Add(time.Hour)
	first := loadCached(t, dir, cachePath, []byte("t"), later)
	write(b, "---\nid: INC-2026-0002\nstatus: open\ndetected_at: 2026-01-01T00:00:00Z\nowner: me\n---\n")
	loadCached(t, dir, cachePath, []byte("t"), later)
	again := loadCached(t, dir, cachePath, []byte("t"), later)
	if got, want := again[0].Fields.Map(), first[0].Fields.Map(); !reflect.DeepEqual(got, want) {
		t.Errorf("unchanged entry after a rewrite: %v, want %v", got, want)
	}
	if got := again[1].Fields.Get("status"); got != "open" {
		t.Errorf("changed entry: status %v, want open", got)
	}
}
