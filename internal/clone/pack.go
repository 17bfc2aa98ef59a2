package clone

import (
	"bytes"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"sort"
	"strconv"
	"sync"

	"github.com/qms-tool/qms/internal/oid"
)

// packIndex is a parsed version 2 pack index (.idx).
type packIndex struct {
	ids      []oid.ID
	crcs     []uint32
	offsets  []uint64
	packHash oid.ID
}

// parseIndex reads a version 2 pack index and checks its own checksum.
func parseIndex(b []byte) (*packIndex, error) {
	const head = 8 + 256*4
	if len(b) < head+40 || !bytes.Equal(b[:4], []byte("\377tOc")) {
		return nil, errors.New("not a version 2 pack index")
	}
	if v := binary.BigEndian.Uint32(b[4:]); v != 2 {
		return nil, fmt.Errorf("pack index version %d is not supported", v)
	}
	if sum := sha1.Sum(b[:len(b)-20]); !bytes.Equal(sum[:], b[len(b)-20:]) {
		return nil, errors.New("pack index checksum does not match its content")
	}
	var prev uint32
	for i := 0; i < 256; i++ {
		f := binary.BigEndian.Uint32(b[8+4*i:])
		if f < prev {
			return nil, errors.New("pack index fan-out table is not sorted")
		}
		prev = f
	}
	n := uint64(prev)
	if uint64(len(b)) < head+n*28+40 {
		return nil, errors.New("pack index is cut short")
	}
	ix := &packIndex{ids: make([]oid.ID, n), crcs: make([]uint32, n), offsets: make([]uint64, n)}
	p := b[head:]
	for i := range ix.ids {
		copy(ix.ids[i][:], p[20*i:])
		if i > 0 && bytes.Compare(ix.ids[i-1][:], ix.ids[i][:]) >= 0 {
			return nil, errors.New("pack index ids are not sorted")
		}
	}
	p = p[20*n:]
	for i := range ix.crcs {
		ix.crcs[i] = binary.BigEndian.Uint32(p[4*i:])
	}
	p = p[4*n:]
	large := p[4*n : len(p)-40]
	for i := range ix.offsets {
		o := binary.BigEndian.Uint32(p[4*i:])
		if o&0x80000000 == 0 {
			ix.offsets[i] = uint64(o)
			continue
		}
		k := uint64(o &^ 0x80000000)
		if k*8+8 > uint64(len(large)) {
			return nil, errors.New("pack index large offset out of range")
		}
		ix.offsets[i] = binary.BigEndian.Uint64(large[8*k:])
	}
	copy(ix.packHash[:], b[len(b)-40:])
	return ix, nil
}

// packEntry is one object of a pack, in pack order.
type packEntry struct {
	idx      int    // position in the index (its id and crc)
	off, end uint64 // the object's bytes, header included
	data     uint64 // where its compressed data starts
	typ      byte
	size     int
	base     int // entry of a delta's base, or -1
	kids     []int32
}

// packResult is what checking one pack found.
type packResult struct {
	objects []object
	bad     []Corrupt
}

// object is an intact object and what it refers to.
type object struct {
	id    oid.ID
	typ   byte
	edges []oid.ID
}

// Corrupt is an object, or a whole file, that is damaged.
type Corrupt struct {
	// ID is the damaged object, zero when the whole file is damaged.
	ID oid.ID `json:"id"`
	// Path is the pack or loose object file, relative to the objects directory.
	Path    string `json:"path"`
	Message string `json:"message"`
}

// checkPack verifies every object of a pack against its index: each
// object's stored bytes against the index's CRC-32, each object inflated
// (deltas applied) hashes to its id, and the pack's trailing checksum. It
// uses workers goroutines. name labels problems.
func checkPack(name string, pack []byte, ix *packIndex, workers int) packResult {
	c := &packCheck{name: name, pack: pack, ix: ix}
	if !c.header() {
		return c.res
	}
	// The whole-pack checksum runs beside the object checks.
	sumOK := make(chan bool, 1)
	go func() {
		s := sha1.Sum(pack[:c.end])
		sumOK <- bytes.Equal(s[:], pack[c.end:])
	}()
	c.layout()
	c.readEntries()
	c.linkDeltas()
	done := c.resolve(workers)
	for i := range c.entries {
		if !done[i] && !c.broken[i] {
			c.fail(ix.ids[c.entries[i].idx], "delta at offset %d cannot be resolved: its base is damaged", c.entries[i].off)
		}
	}
	if !<-sumOK {
		c.fail(oid.ID{}, "pack checksum does not match its content")
	}
	return c.res
}

// packCheck is one pack being checked: its entries in pack order and what
// was found so far.
type packCheck struct {
	name string
	pack []byte
	ix   *packIndex
	end  uint64 // where the pack's trailing checksum starts

	entries  []packEntry
	byOffset map[uint64]int // an entry's offset → the entry (until readEntries)
	ofIdx    []int          // a position in the index → its entry (until readEntries)
	broken   []bool         // entries whose stored bytes or header are bad
	roots    []int          // entries that are whole objects, not deltas

	res packResult
}

// fail records a damaged object (id) or, with the zero id, a damaged pack.
func (c *packCheck) fail(id oid.ID, format string, a ...any) {
	c.res.bad = append(c.res.bad, Corrupt{ID: id, Path: c.name, Message: fmt.Sprintf(format, a...)})
}

// header checks the pack's signature, version, object count and trailing
// checksum against the index; false means nothing more can be read.
func (c *packCheck) header() bool {
	pack := c.pack
	if len(pack) < 32 || !bytes.Equal(pack[:4], []byte("PACK")) {
		c.fail(oid.ID{}, "not a pack file")
		return false
	}
	if v := binary.BigEndian.Uint32(pack[4:]); v != 2 && v != 3 {
		c.fail(oid.ID{}, "pack version %d is not supported", v)
		return false
	}
	if n := binary.BigEndian.Uint32(pack[8:]); uint64(n) != uint64(len(c.ix.ids)) {
		c.fail(oid.ID{}, "pack holds %d objects, its index %d", n, len(c.ix.ids))
		return false
	}
	c.end = uint64(len(pack) - 20)
	if !bytes.Equal(pack[c.end:], c.ix.packHash[:]) {
		c.fail(oid.ID{}, "pack's trailing checksum differs from the one its index records")
	}
	return true
}

// layout puts the index's objects in pack order: each ends where the next
// begins.
func (c *packCheck) layout() {
	ix := c.ix
	entries := make([]packEntry, len(ix.ids))
	for i := range ix.ids {
		entries[i] = packEntry{idx: i, off: ix.offsets[i], base: -1}
	}
	sort.Slice(entries, func(a, b int) bool { return entries[a].off < entries[b].off })
	c.byOffset = make(map[uint64]int, len(entries))
	for i := range entries {
		e := &entries[i]
		e.end = c.end
		if i+1 < len(entries) {
			e.end = entries[i+1].off
		}
		c.byOffset[e.off] = i
	}
	c.ofIdx = make([]int, len(entries))
	for i := range entries {
		c.ofIdx[entries[i].idx] = i
	}
	c.entries = entries
	c.broken = make([]bool, len(entries))
}

// readEntries checks each entry's stored bytes against the index's CRC-32
// and reads its header: type, size, and a delta's base. Entries that fail
// are marked broken.
func (c *packCheck) readEntries() {
	for i := range c.entries {
		if msg := c.readEntry(i); msg != "" {
			c.res.bad = append(c.res.bad, Corrupt{ID: c.ix.ids[c.entries[i].idx], Path: c.name, Message: msg})
			c.broken[i] = true
		}
	}
	// Only finding bases needs them: let the collector have them while
	// the objects are resolved.
	c.byOffset, c.ofIdx = nil, nil
}

// readEntry reads entry i's header, returning what is wrong with it or "".
func (c *packCheck) readEntry(i int) string {
	e := &c.entries[i]
	if e.off < 12 || e.off >= e.end || e.end > c.end || (i > 0 && e.off == c.entries[i-1].off) {
		return fmt.Sprintf("index gives a bad offset %d", e.off)
	}
	raw := c.pack[e.off:e.end]
	if crc32.ChecksumIEEE(raw) != c.ix.crcs[e.idx] {
		return fmt.Sprintf("stored bytes at offset %d differ from the index's CRC-32", e.off)
	}
	typ, size, n, ok := entryHeader(raw)
	if !ok {
		return fmt.Sprintf("bad object header at offset %d", e.off)
	}
	e.typ, e.size = typ, size
	switch typ {
	case objCommit, objTree, objBlob, objTag:
		c.roots = append(c.roots, i)
	case objOfsDelta:
		rel, m, ok := ofsDelta(raw[n:])
		base, found := c.byOffset[e.off-rel]
		if !ok || rel == 0 || rel > e.off || !found {
			return fmt.Sprintf("delta at offset %d has no base in the pack", e.off)
		}
		n += m
		e.base = base
	case objRefDelta:
		if len(raw) < n+20 {
			return fmt.Sprintf("delta at offset %d is cut short", e.off)
		}
		var b oid.ID
		copy(b[:], raw[n:n+20])
		k := c.indexOf(b)
		if k < 0 {
			return fmt.Sprintf("delta at offset %d refers to base %s, not in the pack", e.off, b)
		}
		n += 20
		e.base = c.ofIdx[k]
	default:
		return fmt.Sprintf("unknown object type %d at offset %d", typ, e.off)
	}
	e.data = e.off + uint64(n)
	return ""
}

// indexOf is id's position in the index, or -1.
func (c *packCheck) indexOf(id oid.ID) int {
	ids := c.ix.ids
	k := sort.Search(len(ids), func(j int) bool { return bytes.Compare(ids[j][:], id[:]) >= 0 })
	if k < len(ids) && ids[k] == id {
		return k
	}
	return -1
}

// linkDeltas lists each intact delta among the children of its base.
func (c *packCheck) linkDeltas() {
	for i := range c.entries {
		if b := c.entries[i].base; b >= 0 && !c.broken[i] {
			c.entries[b].kids = append(c.entries[b].kids, int32(i))
		}
	}
}

// resolve inflates every object reachable from the roots through intact
// deltas, applies the deltas, hashes each result against its id and
// records its edges, with workers goroutines. It returns which entries it
// resolved.
func (c *packCheck) resolve(workers int) []bool {
	q := newDeltaQueue(c.roots, len(c.entries))
	outs := make([]packResult, workers)
	var wg sync.WaitGroup
	for i := range outs {
		wg.Add(1)
		go func(out *packResult) {
			defer wg.Done()
			w := resolver{c: c, out: out, h: sha1.New()}
			for {
				t, ok := q.pop()
				if !ok {
					return
				}
				typ, data, ok := w.object(t)
				q.finish(t, c.entries[t.e].kids, typ, data, ok)
			}
		}(&outs[i])
	}
	wg.Wait()
	for _, o := range outs {
		c.res.objects = append(c.res.objects, o.objects...)
		c.res.bad = append(c.res.bad, o.bad...)
	}
	return q.done
}

// deltaTask is an entry to resolve and, for a delta, its base's type and
// content.
type deltaTask struct {
	e    int
	typ  byte
	base []byte
}

// deltaQueue hands tasks to the workers from a shared stack (depth first,
// so memory stays small); resolving an object pushes its deltas.
type deltaQueue struct {
	mu      sync.Mutex
	cond    *sync.Cond
	stack   []deltaTask
	pending int    // tasks pushed and not finished
	done    []bool // entries resolved, damaged or not
}

func newDeltaQueue(roots []int, entries int) *deltaQueue {
	q := &deltaQueue{stack: make([]deltaTask, 0, len(roots)), pending: len(roots), done: make([]bool, entries)}
	q.cond = sync.NewCond(&q.mu)
	for i := len(roots) - 1; i >= 0; i-- {
		q.stack = append(q.stack, deltaTask{e: roots[i]})
	}
	return q
}

// pop waits for a task; false means every task is finished.
func (q *deltaQueue) pop() (deltaTask, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.stack) == 0 && q.pending > 0 {
		q.cond.Wait()
	}
	if len(q.stack) == 0 {
		return deltaTask{}, false
	}
	t := q.stack[len(q.stack)-1]
	q.stack = q.stack[:len(q.stack)-1]
	return t, true
}

// finish marks t's entry done and, when it resolved (ok) to an object of
// type typ with content data, pushes its deltas, kids.
func (q *deltaQueue) finish(t deltaTask, kids []int32, typ byte, data []byte, ok bool) {
	q.mu.Lock()
	q.done[t.e] = true
	if ok {
		for k := len(kids) - 1; k >= 0; k-- {
			q.stack = append(q.stack, deltaTask{e: int(kids[k]), typ: typ, base: data})
			q.pending++
		}
	}
	q.pending--
	if len(q.stack) > 0 || q.pending == 0 {
		q.cond.Broadcast()
	}
	q.mu.Unlock()
}

// resolver is one worker's tools, reused from one object to the next.
type resolver struct {
	c              *packCheck
	out            *packResult
	z              inflater
	h              hash.Hash
	scratch, arena []oid.ID
}

// object inflates t's entry, applies it to its base when it is a delta,
// checks the result's id and records the object and its edges in out. It
// returns the object's type and content; ok is false, and the damage is
// recorded in out, when any step fails.
func (w *resolver) object(t deltaTask) (typ byte, data []byte, ok bool) {
	c := w.c
	e := &c.entries[t.e]
	id := c.ix.ids[e.idx]
	typ = e.typ
	data, err := w.z.inflate(c.pack[e.data:e.end], e.size)
	if err == nil && t.base != nil {
		typ = t.typ
		data, err = applyDelta(t.base, data)
	}
	if err == nil {
		if got := objectHash(w.h, typ, data); got != id {
			err = fmt.Errorf("content hashes to %s", got)
		}
	}
	if err == nil {
		w.scratch, err = edges(typ, data, w.scratch)
	}
	if err != nil {
		w.out.bad = append(w.out.bad, Corrupt{ID: id, Path: c.name, Message: fmt.Sprintf("%s at offset %d: %v", typeName(typ), e.off, err)})
		return typ, data, false
	}
	o := object{id: id, typ: typ}
	if len(w.scratch) > 0 {
		// Edges live in large shared chunks: one allocation per object
		// would dominate.
		if cap(w.arena)-len(w.arena) < len(w.scratch) {
			w.arena = make([]oid.ID, 0, max(1<<14, len(w.scratch)))
		}
		w.arena = append(w.arena, w.scratch...)
		o.edges = w.arena[len(w.arena)-len(w.scratch) : len(w.arena) : len(w.arena)]
	}
	w.out.objects = append(w.out.objects, o)
	return typ, data, true
}

// entryHeader reads a pack object's type and inflated size.
func entryHeader(b []byte) (typ byte, size, n int, ok bool) {
	if len(b) == 0 {
		return 0, 0, 0, false
	}
	c := b[0]
	typ = (c >> 4) & 7
	sz := uint64(c & 15)
	shift := uint(4)
	n = 1
	for c&0x80 != 0 {
		if n >= len(b) || shift > 60 {
			return 0, 0, 0, false
		}
		c = b[n]
		n++
		sz |= uint64(c&0x7f) << shift
		shift += 7
	}
	if sz > maxObject {
		return 0, 0, 0, false
	}
	return typ, int(sz), n, true
}

// ofsDelta reads the relative offset of an offset delta's base.
func ofsDelta(b []byte) (uint64, int, bool) {
	if len(b) == 0 {
		return 0, 0, false
	}
	c := b[0]
	off := uint64(c & 0x7f)
	n := 1
	for c&0x80 != 0 {
		if n >= len(b) || n > 9 {
			return 0, 0, false
		}
		c = b[n]
		n++
		off = ((off + 1) << 7) | uint64(c&0x7f)
	}
	return off, n, true
}

// objectHash is the id of an object: SHA-1 over "type size\0" and content.
func objectHash(h hash.Hash, typ byte, data []byte) oid.ID {
	h.Reset()
	var hdr [32]byte
	b := append(hdr[:0], typeName(typ)...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(len(data)), 10)
	b = append(b, 0)
	h.Write(b)
	h.Write(data)
	var id oid.ID
	h.Sum(id[:0])
	return id
}
