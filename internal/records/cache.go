package records

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"sync"
	"time"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/safefile"
	"github.com/qms-tool/qms/internal/schema"
)

// Cache remembers what loading each record found: the entry (its kept
// fields) and, once a run has checked it, the findings of the checks that
// need only the file. It is keyed by the record's path and exact content
// (SHA-256, and the Git blob id when the source knows it), under a key
// that covers the schemas and the qms binary; a file's metadata (size,
// times, inode) vouches for its content only when it had not changed just
// before it was hashed. Rules across records are never cached.
//
// One file holds it (under .git/qms); a file that cannot be read, or
// another build's, gives an empty cache, so it can cost time but never
// hide a finding.
type Cache struct {
	path    string
	key     [32]byte
	started int64 // when this run began (Unix ns), for racy stats

	old map[string]*slot

	mu      sync.Mutex
	paths   []string  // this run's records
	kept    []*cached // and what was loaded of them
	changed bool
}

// slot is an entry of the cache file, decoded when first looked up.
type slot struct {
	chunk string
	once  sync.Once
	c     *cached // nil when the chunk is damaged
}

// cached is what is known of one file's content.
type cached struct {
	sum  [32]byte
	blob string
	// stat is the file's metadata when sum was taken, at statAt.
	stat   fileStat
	statAt int64
	// checked is set when entry.Findings include Options.Check's.
	checked bool
	entry   *Entry // shared, never changed
	// chunk is the encoding this came from, written again as it is.
	chunk string
}

// fileStat is what identifies a file's content without reading it, the
// way git's index does: size, times, inode.
type fileStat struct {
	size, mtime, ctime int64
	ino, dev           uint64
}

// racyMargin is how long before a run a file must have last changed for
// its metadata to vouch for its content: a file written in the same clock
// tick as it was hashed could change again without its times changing.
const racyMargin = int64(2 * time.Second)

func (s fileStat) racyAt(at int64) bool {
	return s.ctime >= at-racyMargin || s.mtime >= at-racyMargin
}

const cacheMagic = "qms-records-cache 1\n"

// OpenCache loads the cache at path for the given schemas and tool
// identity (e.g. a hash of the qms executable); now is when the run began,
// by the wall clock. A missing, stale or damaged file gives an empty
// cache.
func OpenCache(path string, set *schema.Set, tool []byte, now time.Time) *Cache {
	h := sha256.New()
	h.Write(set.Digest[:])
	h.Write(tool)
	c := &Cache{path: path, started: now.UnixNano(), old: map[string]*slot{}}
	copy(c.key[:], h.Sum(nil))
	b, err := os.ReadFile(path)
	if err != nil {
		return c
	}
	if old, err := decodeFile(b, c.key); err == nil {
		c.old = old
	}
	return c
}

// lookup returns what the cache knows of p, decoding it on first use.
func (c *Cache) lookup(p string, set *schema.Set) *cached {
	s := c.old[p]
	if s == nil {
		return nil
	}
	s.once.Do(func() {
		d := &decoder{s: s.chunk}
		if e := decodeEntry(d, p, set); d.err == nil && d.s == "" {
			e.chunk = s.chunk
			s.c = e
		}
	})
	return s.c
}

// byBlob returns the entry of p if its content has the given blob id.
func (c *Cache) byBlob(p string, set *schema.Set, blob string, checked bool) *cached {
	if e := c.lookup(p, set); e != nil && e.blob == blob && (e.checked || !checked) {
		return e
	}
	return nil
}

// byStat returns the entry of p if its metadata is the same as when its
// content was hashed, and it had not changed just before.
func (c *Cache) byStat(p string, set *schema.Set, st fileStat, checked bool) *cached {
	if e := c.lookup(p, set); e != nil && e.stat == st && !e.stat.racyAt(e.statAt) && (e.checked || !checked) {
		return e
	}
	return nil
}

// bySum returns the entry of p whose content has the given SHA-256.
func (c *Cache) bySum(p string, set *schema.Set, sum [32]byte, checked bool) *cached {
	if e := c.lookup(p, set); e != nil && e.sum == sum && (e.checked || !checked) {
		return e
	}
	return nil
}

// record makes what this run loaded (kept[i] for paths[i]) what Save
// writes: entries of files that are gone are dropped.
func (c *Cache) record(paths []string, kept []*cached) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.paths, c.kept = paths, kept
	n := 0
	for i, p := range paths {
		if kept[i] == nil {
			continue
		}
		n++
		if s := c.old[p]; s == nil || s.c != kept[i] {
			c.changed = true
		}
	}
	if n != len(c.old) {
		c.changed = true // files were removed
	}
}

// Save writes the cache if anything changed (mode 0600, atomically). A nil
// cache saves nothing.
func (c *Cache) Save() error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.changed {
		return nil
	}
	b, err := encodeFile(c.key, c.paths, c.kept)
	if err != nil {
		return err
	}
	return safefile.Write(c.path, b, 0o600)
}

// The file: magic, key, count, then each entry as a length and its bytes,
// then the SHA-256 of all before it. Numbers are unsigned varints; strings
// are a length and their bytes.

func encodeFile(key [32]byte, paths []string, kept []*cached) ([]byte, error) {
	e := &encoder{}
	e.b = append(e.b, cacheMagic...)
	e.b = append(e.b, key[:]...)
	n := 0
	for _, k := range kept {
		if k != nil {
			n++
		}
	}
	e.uint(uint64(n))
	var chunk encoder
	for i, p := range paths {
		k := kept[i]
		if k == nil {
			continue
		}
		s := k.chunk
		if s == "" {
			chunk.b = chunk.b[:0]
			encodeEntry(&chunk, p, k)
			if chunk.err != nil {
				return nil, chunk.err
			}
			s = string(chunk.b)
		}
		e.str(s)
	}
	sum := sha256.Sum256(e.b)
	return append(e.b, sum[:]...), nil
}

const (
	flagChecked = 1 << iota
	flagBroken
)

func encodeEntry(e *encoder, p string, k *cached) {
	en := k.entry
	e.str(p)
	e.b = append(e.b, k.sum[:]...)
	e.str(k.blob)
	e.uint(uint64(k.stat.size))
	e.uint(uint64(k.stat.mtime))
	e.uint(uint64(k.stat.ctime))
	e.uint(k.stat.ino)
	e.uint(k.stat.dev)
	e.uint(uint64(k.statAt))
	flags := uint64(0)
	if k.checked {
		flags |= flagChecked
	}
	if en.Broken {
		flags |= flagBroken
	}
	e.uint(flags)
	e.str(en.Kind.Name)
	e.str(en.ID)
	e.uint(uint64(len(en.Findings)))
	for _, f := range en.Findings {
		e.str(f.Path)
		e.uint(uint64(f.Line))
		e.uint(uint64(f.Column))
		e.str(f.Rule)
		e.str(string(f.Severity))
		e.str(f.Message)
		e.str(f.Hint)
	}
	e.uint(uint64(len(en.Fields)))
	for _, f := range en.Fields {
		e.str(f.Name)
		e.value(f.Value)
	}
}

var errCache = errors.New("damaged cache")

// decodeFile checks the file and splits it into its entries, by path.
func decodeFile(b []byte, key [32]byte) (map[string]*slot, error) {
	if len(b) < len(cacheMagic)+64 || string(b[:len(cacheMagic)]) != cacheMagic {
		return nil, errCache
	}
	if want := sha256.Sum256(b[:len(b)-32]); string(want[:]) != string(b[len(b)-32:]) {
		return nil, errCache
	}
	// One copy of the file as a string, which the entries' strings share.
	s := string(b[len(cacheMagic) : len(b)-32])
	d := &decoder{s: s}
	if d.raw(32) != string(key[:]) {
		return nil, errCache // other schemas or another qms
	}
	n := d.count()
	m := make(map[string]*slot, n)
	for i := 0; i < n && d.err == nil; i++ {
		chunk := d.str()
		p := (&decoder{s: chunk}).str()
		if _, dup := m[p]; dup || p == "" {
			return nil, errCache
		}
		m[p] = &slot{chunk: chunk}
	}
	if d.err != nil || d.s != "" {
		return nil, errCache
	}
	return m, nil
}

// decodeEntry reads the entry of p; d.err is set when it is damaged.
func decodeEntry(d *decoder, p string, set *schema.Set) *cached {
	if d.str() != p {
		d.fail()
		return nil
	}
	k := &cached{}
	copy(k.sum[:], d.raw(32))
	k.blob = d.str()
	k.stat = fileStat{size: int64(d.uint()), mtime: int64(d.uint()), ctime: int64(d.uint()), ino: d.uint(), dev: d.uint()}
	k.statAt = int64(d.uint())
	flags := d.uint()
	k.checked = flags&flagChecked != 0
	kind := set.Kinds[d.str()]
	if kind == nil || flags > flagChecked|flagBroken {
		d.fail()
		return nil
	}
	en := &Entry{Path: p, Kind: kind, ID: d.str(), Broken: flags&flagBroken != 0}
	if nf := d.count(); nf > 0 {
		en.Findings = make([]qms.Finding, nf)
		for j := range en.Findings {
			en.Findings[j] = qms.Finding{Path: d.str(), Line: int(d.uint()), Column: int(d.uint()), Rule: d.str(),
				Severity: qms.Severity(d.str()), Message: d.str(), Hint: d.str()}
		}
	}
	if nd := d.count(); nd > 0 {
		en.Fields = make(Fields, nd)
		for j := range en.Fields {
			en.Fields[j] = Field{d.str(), d.value(0)}
		}
	}
	k.entry = en
	return k
}

type encoder struct {
	b   []byte
	err error
}

func (e *encoder) uint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }

func (e *encoder) str(s string) {
	e.uint(uint64(len(s)))
	e.b = append(e.b, s...)
}

// Value types.
const (
	tNil = iota
	tString
	tInt
	tUint
	tFloat
	tFalse
	tTrue
	tList
	tMap
)

func (e *encoder) value(v any) {
	switch t := v.(type) {
	case nil:
		e.uint(tNil)
	case string:
		e.uint(tString)
		e.str(t)
	case int64:
		e.uint(tInt)
		e.uint(uint64(t))
	case uint64:
		e.uint(tUint)
		e.uint(t)
	case float64:
		e.uint(tFloat)
		e.uint(math.Float64bits(t))
	case bool:
		if t {
			e.uint(tTrue)
		} else {
			e.uint(tFalse)
		}
	case []any:
		e.uint(tList)
		e.uint(uint64(len(t)))
		for _, x := range t {
			e.value(x)
		}
	case map[string]any:
		e.uint(tMap)
		e.uint(uint64(len(t)))
		for k, x := range t {
			e.str(k)
			e.value(x)
		}
	default:
		if e.err == nil {
			e.err = fmt.Errorf("cache: cannot encode %T", v)
		}
	}
}

// decoder reads from a string: the strings it returns share the file's
// bytes, read once and kept, without copying and without unsafe.
type decoder struct {
	s   string
	err error
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = errCache
	}
	d.s = ""
}

func (d *decoder) raw(n int) string {
	if n < 0 || len(d.s) < n {
		d.fail()
		return ""
	}
	out := d.s[:n]
	d.s = d.s[n:]
	return out
}

func (d *decoder) uint() uint64 {
	var v uint64
	for i := 0; i < len(d.s) && i < binary.MaxVarintLen64; i++ {
		c := d.s[i]
		if i == binary.MaxVarintLen64-1 && c > 1 {
			break // overflows 64 bits
		}
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			d.s = d.s[i+1:]
			return v
		}
	}
	d.fail()
	return 0
}

// count reads a length, refusing any larger than the bytes left.
func (d *decoder) count() int {
	n := d.uint()
	if n > uint64(len(d.s)) {
		d.fail()
		return 0
	}
	return int(n)
}

func (d *decoder) str() string { return d.raw(d.count()) }

func (d *decoder) value(depth int) any {
	if depth > 100 {
		d.fail()
		return nil
	}
	switch d.uint() {
	case tNil:
		return nil
	case tString:
		return d.str()
	case tInt:
		return int64(d.uint())
	case tUint:
		return d.uint()
	case tFloat:
		return math.Float64frombits(d.uint())
	case tFalse:
		return false
	case tTrue:
		return true
	case tList:
		n := d.count()
		l := make([]any, n)
		for i := range l {
			l[i] = d.value(depth + 1)
		}
		return l
	case tMap:
		n := d.count()
		m := make(map[string]any, n)
		for i := 0; i < n && d.err == nil; i++ {
			k := d.str()
			if _, dup := m[k]; dup {
				d.fail()
				return nil
			}
			m[k] = d.value(depth + 1)
		}
		return m
	}
	d.fail()
	return nil
}
