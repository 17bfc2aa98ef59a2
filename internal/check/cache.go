package check

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"sync"
	"time"
	"unsafe"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/safefile"
	"github.com/qms-tool/qms/internal/schema"
)

// Cache remembers what CheckFile found in each record, keyed by the
// record's path and exact content (SHA-256, and the Git blob id when the
// source knows it), under a key that covers the schemas and the qms binary.
// Rules across records are never cached: they always run on every record.
// A cache that cannot be read is ignored, so it can cost time but never
// hide a finding.
type Cache struct {
	set     *schema.Set
	path    string
	key     [32]byte
	started int64 // when this run began (Unix ns), for racy stats

	mu      sync.Mutex
	old     map[string]*cached
	paths   []string  // this run's files
	kept    []*cached // and their outcomes
	changed bool
}

// cached is one file's CheckFile outcome.
type cached struct {
	sum  [32]byte
	blob string
	// stat is the file's metadata when sum was taken, at statAt.
	stat     fileStat
	statAt   int64
	findings []qms.Finding
	// entry is what the rules across records need, nil when the file
	// could not be read as a record; shared, never changed.
	entry *Entry
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
const racyMargin = int64(2e9)

// statter is implemented by sources that can stat a file.
type statter interface {
	stat(path string) (fileStat, bool)
}

// blobIdentifier is implemented by sources that know a file's Git blob id
// without reading it (the index).
type blobIdentifier interface {
	BlobID(path string) string
}

const cacheMagic = "qms-check-cache 5\n"

// OpenCache loads the cache at path for the given schemas and tool
// identity (e.g. a hash of the qms executable). A missing, stale or damaged
// file gives an empty cache.
func OpenCache(path string, set *schema.Set, tool []byte, now time.Time) *Cache {
	h := sha256.New()
	h.Write(set.Digest[:])
	h.Write(tool)
	c := &Cache{set: set, path: path, started: now.UnixNano(), old: map[string]*cached{}}
	copy(c.key[:], h.Sum(nil))
	b, err := os.ReadFile(path)
	if err != nil {
		return c
	}
	if old, err := decodeCache(b, c.key, set); err == nil {
		c.old = old
	}
	return c
}

// lookupStat returns the cached outcome for p if its metadata is the same
// as when its content was hashed, and it had not changed just before.
func (c *Cache) lookupStat(p string, st fileStat) *cached {
	e := c.old[p]
	if e == nil || e.stat != st || e.stat.ctime >= e.statAt-racyMargin || e.stat.mtime >= e.statAt-racyMargin {
		return nil
	}
	return e
}

// lookup returns the cached outcome for p whose content has the given
// SHA-256 (or, when sum is nil, the given blob id).
func (c *Cache) lookup(p string, sum *[32]byte, blob string) *cached {
	e := c.old[p]
	if e == nil {
		return nil
	}
	if sum != nil && e.sum == *sum || sum == nil && blob != "" && e.blob == blob {
		return e
	}
	return nil
}

// record makes the outcomes of this run (es[i] for paths[i]) what Save
// writes: entries of files that are gone are dropped.
func (c *Cache) record(paths []string, es []*cached) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.paths, c.kept = paths, es
	n := 0
	for i, p := range paths {
		if es[i] == nil {
			continue
		}
		n++
		if c.old[p] != es[i] {
			c.changed = true
		}
	}
	if n != len(c.old) {
		c.changed = true // files were removed
	}
}

// Save writes the cache if anything changed (mode 0600, atomically).
func (c *Cache) Save() error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.changed {
		return nil
	}
	var buf bytes.Buffer
	if err := encodeCache(&buf, c.key, c.paths, c.kept); err != nil {
		return err
	}
	return safefile.Write(c.path, buf.Bytes(), 0o600)
}

func (e *cached) toEntry() (*Entry, []qms.Finding) { return e.entry, e.findings }

// fromEntry caches CheckFile's outcome; en holds only the fields the rules
// across records read.
func fromEntry(en *Entry, fs []qms.Finding, sum [32]byte, blob string) *cached {
	return &cached{sum: sum, blob: blob, findings: fs, entry: en}
}

// The file: magic, key, count, entries, then the SHA-256 of all before it.

func encodeCache(w io.Writer, key [32]byte, paths []string, kept []*cached) error {
	h := sha256.New()
	enc := &encoder{w: io.MultiWriter(w, h)}
	enc.raw([]byte(cacheMagic))
	enc.raw(key[:])
	var buf bytes.Buffer
	n := 0
	for _, e := range kept {
		if e != nil {
			n++
		}
	}
	enc.uint(uint64(n))
	for i, p := range paths {
		e := kept[i]
		if e == nil {
			continue
		}
		buf.Reset()
		encodeEntry(&encoder{w: &buf}, p, e)
		enc.uint(uint64(buf.Len()))
		enc.raw(buf.Bytes())
	}
	if enc.err != nil {
		return enc.err
	}
	_, err := w.Write(h.Sum(nil))
	return err
}

func encodeEntry(enc *encoder, p string, e *cached) {
	enc.str(p)
	enc.raw(e.sum[:])
	enc.str(e.blob)
	enc.uint(uint64(e.stat.size))
	enc.uint(uint64(e.stat.mtime))
	enc.uint(uint64(e.stat.ctime))
	enc.uint(e.stat.ino)
	enc.uint(e.stat.dev)
	enc.uint(uint64(e.statAt))
	enc.uint(uint64(len(e.findings)))
	for _, f := range e.findings {
		enc.str(f.Path)
		enc.uint(uint64(f.Line))
		enc.uint(uint64(f.Column))
		enc.str(f.Rule)
		enc.str(string(f.Severity))
		enc.str(f.Message)
		enc.str(f.Hint)
	}
	enc.bool(e.entry != nil)
	if en := e.entry; en != nil {
		enc.str(en.Kind.Name)
		enc.str(en.ID)
		enc.uint(uint64(len(en.Data)))
		for _, f := range en.Data {
			enc.str(f.Name)
			enc.value(f.Value)
		}
		enc.uint(uint64(len(en.sites)))
		for _, o := range en.sites {
			idx := -1
			for i := range en.Kind.Sites {
				if &en.Kind.Sites[i] == o.site {
					idx = i
				}
			}
			enc.uint(uint64(idx + 1))
			enc.str(o.ptr)
			enc.str(o.value)
		}
	}
}

var errCache = errors.New("damaged cache")

func decodeCache(b []byte, key [32]byte, set *schema.Set) (m map[string]*cached, err error) {
	if len(b) < len(cacheMagic)+64 || string(b[:len(cacheMagic)]) != cacheMagic {
		return nil, errCache
	}
	body, sum := b[:len(b)-32], b[len(b)-32:]
	if s := sha256.Sum256(body); !bytes.Equal(s[:], sum) {
		return nil, errCache
	}
	d := &decoder{b: body[len(cacheMagic):]}
	if !bytes.Equal(d.raw(32), key[:]) {
		return nil, errCache // other schemas or another qms
	}
	n := d.count()
	chunks := make([][]byte, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		chunks = append(chunks, d.raw(d.count()))
	}
	if d.err != nil || len(d.b) != 0 {
		return nil, errCache
	}
	// Decoding is most of the cost of a warm run: use every core.
	workers := runtime.GOMAXPROCS(0)
	paths := make([]string, len(chunks))
	entries := make([]*cached, len(chunks))
	failed := make([]bool, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < len(chunks); i += workers {
				d := &decoder{b: chunks[i]}
				paths[i], entries[i] = decodeEntry(d, set)
				if d.err != nil || len(d.b) != 0 {
					failed[w] = true
					return
				}
			}
		}(w)
	}
	wg.Wait()
	for _, f := range failed {
		if f {
			return nil, errCache
		}
	}
	m = make(map[string]*cached, len(chunks))
	for i, p := range paths {
		m[p] = entries[i]
	}
	return m, nil
}

func decodeEntry(d *decoder, set *schema.Set) (string, *cached) {
	p := d.str()
	e := &cached{}
	copy(e.sum[:], d.raw(32))
	e.blob = d.str()
	e.stat = fileStat{size: int64(d.uint()), mtime: int64(d.uint()), ctime: int64(d.uint()), ino: d.uint(), dev: d.uint()}
	e.statAt = int64(d.uint())
	nf := d.count()
	if nf > 0 {
		e.findings = make([]qms.Finding, nf)
	}
	for j := 0; j < nf && d.err == nil; j++ {
		e.findings[j] = qms.Finding{Path: d.str(), Line: int(d.uint()), Column: int(d.uint()), Rule: d.str(),
			Severity: qms.Severity(d.str()), Message: d.str(), Hint: d.str()}
	}
	if d.bool() {
		k := set.Kinds[d.str()]
		if k == nil {
			d.fail()
			return p, e
		}
		en := &Entry{Kind: k, ID: d.str(), Path: p}
		nd := d.count()
		en.Data = make(Fields, nd)
		for j := range en.Data {
			en.Data[j] = Field{d.str(), d.value(0)}
		}
		ns := d.count()
		en.sites = make([]occurrence, ns)
		for j := range en.sites {
			idx := int(d.uint()) - 1
			if idx < 0 || idx >= len(k.Sites) {
				d.fail()
				return p, e
			}
			en.sites[j] = occurrence{site: &k.Sites[idx], ptr: d.str(), value: d.str()}
		}
		e.entry = en
	}
	return p, e
}

type encoder struct {
	w   io.Writer
	buf [binary.MaxVarintLen64]byte
	err error
}

func (e *encoder) raw(b []byte) {
	if e.err == nil {
		_, e.err = e.w.Write(b)
	}
}

func (e *encoder) uint(v uint64) { e.raw(e.buf[:binary.PutUvarint(e.buf[:], v)]) }

func (e *encoder) bool(v bool) {
	if v {
		e.uint(1)
	} else {
		e.uint(0)
	}
}

func (e *encoder) str(s string) {
	e.uint(uint64(len(s)))
	if e.err == nil {
		_, e.err = io.WriteString(e.w, s)
	}
}

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
		e.err = fmt.Errorf("cache: cannot encode %T", v)
	}
}

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = errCache
	}
	d.b = nil
}

func (d *decoder) raw(n int) []byte {
	if n < 0 || len(d.b) < n {
		d.fail()
		return make([]byte, max(n, 0))
	}
	out := d.b[:n]
	d.b = d.b[n:]
	return out
}

func (d *decoder) uint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads a length, refusing any larger than the bytes left.
func (d *decoder) count() int {
	n := d.uint()
	if n > uint64(len(d.b)) {
		d.fail()
		return 0
	}
	return int(n)
}

func (d *decoder) bool() bool { return d.uint() == 1 }

// str returns a string sharing the cache file's bytes: the file is read
// once and kept, and copying every key and value made loading it slow.
func (d *decoder) str() string {
	b := d.raw(d.count())
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

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
		for i := 0; i < n; i++ {
			k := d.str()
			m[k] = d.value(depth + 1)
		}
		return m
	}
	d.fail()
	return nil
}
