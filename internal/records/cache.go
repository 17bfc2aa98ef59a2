package records

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"os"
	"sync"
	"time"
	"unsafe"

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

	// old is what the file holds, once ready is closed: the file is read
	// and checked while the caller lists the records.
	old   map[string]*slot
	names []string // the file's field names, which its entries number
	ready chan struct{}

	mu      sync.Mutex
	paths   []string  // this run's records
	kept    []*cached // and what was loaded of them
	changed bool
}

// slot is an entry of the cache file; its header is decoded when first
// looked up, its body (the entry) only when it is used.
type slot struct {
	chunk string
	once  sync.Once
	c     *cached // nil when the header is damaged
}

// cached is what is known of one file's content.
type cached struct {
	sum  [32]byte
	blob string
	// stat is the file's metadata when sum was taken, at statAt.
	stat   fileStat
	statAt int64
	// checked is set when the entry's findings include Options.Check's.
	checked bool
	flags   uint64
	// body is the entry's encoding, when it came from the file (its field
	// names are numbers into names); entry is set for an entry this run
	// made.
	body  string
	names []string
	entry *Entry
	// chunk is the whole encoding this came from, written again as it is.
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

const cacheMagic = "qms-records-cache 2\n"

// OpenCache loads the cache at path for the given schemas and tool
// identity (e.g. a hash of the qms executable); now is when the run began,
// by the wall clock. A missing, stale or damaged file gives an empty
// cache. The file is read in the background: open the cache before
// listing the records.
func OpenCache(path string, set *schema.Set, tool []byte, now time.Time) *Cache {
	h := sha256.New()
	h.Write(set.Digest[:])
	h.Write(tool)
	c := &Cache{path: path, started: now.UnixNano(), old: map[string]*slot{}, ready: make(chan struct{})}
	copy(c.key[:], h.Sum(nil))
	go func() {
		defer close(c.ready)
		b, err := os.ReadFile(path)
		if err != nil {
			return
		}
		if old, names, err := decodeFile(b, c.key); err == nil {
			c.old, c.names = old, names
		}
	}()
	return c
}

// wait waits until the file is read.
func (c *Cache) wait() { <-c.ready }

// lookup returns what the cache knows of p (its header decoded), or nil.
func (c *Cache) lookup(p string) *cached {
	c.wait()
	s := c.old[p]
	if s == nil {
		return nil
	}
	s.once.Do(func() {
		d := &decoder{s: s.chunk}
		if k := decodeHeader(d, p); d.err == nil {
			k.body, k.chunk, k.names = d.s, s.chunk, c.names
			s.c = k
		}
	})
	return s.c
}

// sameBlob tells whether k is of the content with the given blob id.
func (k *cached) sameBlob(blob string) bool { return k.blob == blob }

// sameStat tells whether k is of the content of a file with the metadata
// st: the metadata is the same as when the content was hashed, and the
// file had not changed just before.
func (k *cached) sameStat(st fileStat) bool { return k.stat == st && !k.stat.racyAt(k.statAt) }

// wanted says, for each of the file's field names, whether fields names
// it (nil when fields is nil: all are).
func (c *Cache) wanted(fields map[string]bool) []bool {
	if fields == nil {
		return nil
	}
	c.wait()
	w := make([]bool, len(c.names))
	for i, n := range c.names {
		w[i] = fields[n]
	}
	return w
}

// load returns k's entry with the fields wanted (see Cache.wanted), or
// nil when its encoding is damaged.
func (k *cached) load(p string, set *schema.Set, wanted []bool) *Entry {
	if k.entry != nil {
		return k.entry
	}
	d := &decoder{s: k.body}
	e := decodeBody(d, p, set, k.names, wanted, k.broken())
	if d.err != nil || d.s != "" {
		return nil
	}
	return e
}

// record makes what this run loaded (kept[i] for paths[i]) what Save
// writes: entries of files that are gone are dropped.
func (c *Cache) record(paths []string, kept []*cached) {
	c.wait()
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
	c.wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.changed {
		return nil
	}
	b, err := encodeFile(c.key, c.names, c.paths, c.kept)
	if err != nil {
		return err
	}
	return safefile.Write(c.path, b, 0o600)
}

// The file: magic, key, the field names (entries refer to them by
// number), the count of entries, each entry as a length and its bytes,
// then the CRC-32C of all before it (against damage: whoever can write the
// file can also write a matching sum, of any kind). Numbers are unsigned
// varints; strings are a length and their bytes.

// encodeFile writes the entries; names are the field names of the file
// the unchanged entries come from (their bodies are written as they are),
// and come first in the new file's names.
func encodeFile(key [32]byte, names []string, paths []string, kept []*cached) ([]byte, error) {
	number := make(map[string]int, len(names))
	for i, n := range names {
		number[n] = i
	}
	names = names[:len(names):len(names)]
	var chunks encoder
	chunks.number = func(name string) int {
		i, ok := number[name]
		if !ok {
			i = len(names)
			names = append(names, name)
			number[name] = i
		}
		return i
	}
	n := 0
	var chunk encoder
	chunk.number = chunks.number
	for i, p := range paths {
		k := kept[i]
		if k == nil {
			continue
		}
		n++
		s := k.chunk
		if s == "" {
			chunk.b = chunk.b[:0]
			encodeEntry(&chunk, p, k)
			if chunk.err != nil {
				return nil, chunk.err
			}
			s = string(chunk.b)
		}
		chunks.str(s)
	}
	e := &encoder{}
	e.b = append(e.b, cacheMagic...)
	e.b = append(e.b, key[:]...)
	e.uint(uint64(len(names)))
	for _, n := range names {
		e.str(n)
	}
	e.uint(uint64(n))
	e.b = append(e.b, chunks.b...)
	return binary.BigEndian.AppendUint32(e.b, crc32.Checksum(e.b, castagnoli)), nil
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

const (
	flagChecked = 1 << iota
	flagBroken
)

// flags are kept with the header, so that the body's decoder knows them.
func (k *cached) broken() bool {
	if k.entry != nil {
		return k.entry.Broken
	}
	return k.flags&flagBroken != 0
}

// An entry is its header (path, content ids, metadata, flags) and its body
// (the entry: kind, id, findings, fields, refs). A field's value is
// preceded by its length, so that a reader can skip the fields it does not
// want.

func encodeEntry(e *encoder, p string, k *cached) {
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
	if k.broken() {
		flags |= flagBroken
	}
	e.uint(flags)
	if k.entry == nil {
		e.b = append(e.b, k.body...)
		return
	}
	en := k.entry
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
	var v encoder
	for _, f := range en.Fields {
		e.uint(uint64(e.number(f.Name)))
		v.b = v.b[:0]
		v.value(f.Value)
		if v.err != nil && e.err == nil {
			e.err = v.err
		}
		e.str(string(v.b))
	}
	e.uint(uint64(len(en.Refs)))
	for _, r := range en.Refs {
		idx := -1
		for i := range en.Kind.Sites {
			if &en.Kind.Sites[i] == r.Site {
				idx = i
			}
		}
		e.uint(uint64(idx + 1))
		e.str(r.Ptr)
		e.str(r.Value)
	}
}

var errCache = errors.New("damaged cache")

// decodeFile checks the file and splits it into its entries, by path.
func decodeFile(b []byte, key [32]byte) (map[string]*slot, []string, error) {
	if len(b) < len(cacheMagic)+32+4 || string(b[:len(cacheMagic)]) != cacheMagic {
		return nil, nil, errCache
	}
	if binary.BigEndian.Uint32(b[len(b)-4:]) != crc32.Checksum(b[:len(b)-4], castagnoli) {
		return nil, nil, errCache
	}
	// The entries' strings share the file's bytes, which are read once and
	// never written: copying them (or every string) made a warm run
	// slower than parsing its one changed record.
	body := b[len(cacheMagic) : len(b)-4]
	d := &decoder{s: unsafe.String(unsafe.SliceData(body), len(body))}
	if d.raw(32) != string(key[:]) {
		return nil, nil, errCache // other schemas or another qms
	}
	names := make([]string, d.count())
	for i := range names {
		names[i] = d.str()
	}
	n := d.count()
	m := make(map[string]*slot, n)
	for i := 0; i < n && d.err == nil; i++ {
		chunk := d.str()
		p := (&decoder{s: chunk}).str()
		if _, dup := m[p]; dup || p == "" {
			return nil, nil, errCache
		}
		m[p] = &slot{chunk: chunk}
	}
	if d.err != nil || d.s != "" {
		return nil, nil, errCache
	}
	return m, names, nil
}

// decodeHeader reads the header of p's entry; d.err is set when it is
// damaged.
func decodeHeader(d *decoder, p string) *cached {
	if d.str() != p {
		d.fail()
		return nil
	}
	k := &cached{}
	copy(k.sum[:], d.raw(32))
	k.blob = d.str()
	k.stat = fileStat{size: int64(d.uint()), mtime: int64(d.uint()), ctime: int64(d.uint()), ino: d.uint(), dev: d.uint()}
	k.statAt = int64(d.uint())
	k.flags = d.uint()
	k.checked = k.flags&flagChecked != 0
	if k.flags > flagChecked|flagBroken {
		d.fail()
	}
	return k
}

// decodeBody reads an entry's body, whose field names are numbers into
// names, keeping the fields wanted (all when wanted is nil); d.err is set
// when it is damaged.
func decodeBody(d *decoder, p string, set *schema.Set, names []string, wanted []bool, broken bool) *Entry {
	kind := set.Kinds[d.str()]
	if kind == nil {
		d.fail()
		return nil
	}
	en := &Entry{Path: p, Kind: kind, ID: d.str(), Broken: broken}
	if nf := d.count(); nf > 0 {
		en.Findings = make([]qms.Finding, nf)
		for j := range en.Findings {
			en.Findings[j] = qms.Finding{Path: d.str(), Line: int(d.uint()), Column: int(d.uint()), Rule: d.str(),
				Severity: qms.Severity(d.str()), Message: d.str(), Hint: d.str()}
		}
	}
	if nd := d.count(); nd > 0 {
		en.Fields = make(Fields, 0, nd)
		for j := 0; j < nd && d.err == nil; j++ {
			i, value := d.uint(), d.str()
			if i >= uint64(len(names)) {
				d.fail()
				return nil
			}
			if wanted != nil && !wanted[i] {
				continue
			}
			name := names[i]
			vd := &decoder{s: value}
			v := vd.value(0)
			if vd.err != nil || vd.s != "" {
				d.fail()
				return nil
			}
			en.Fields = append(en.Fields, Field{name, v})
		}
	}
	if nr := d.count(); nr > 0 {
		en.Refs = make([]Ref, nr)
		for j := range en.Refs {
			idx := int(d.uint()) - 1
			if idx < 0 || idx >= len(kind.Sites) {
				d.fail()
				return nil
			}
			en.Refs[j] = Ref{Site: &kind.Sites[idx], Ptr: d.str(), Value: d.str()}
		}
	}
	return en
}

type encoder struct {
	b   []byte
	err error
	// number gives a field name's number in the file.
	number func(name string) int
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
// bytes, read once and kept (FuzzDecodeCache feeds it any bytes).
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
