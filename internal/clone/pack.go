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
	var res packResult
	fail := func(id oid.ID, format string, a ...any) {
		res.bad = append(res.bad, Corrupt{ID: id, Path: name, Message: fmt.Sprintf(format, a...)})
	}
	if len(pack) < 32 || !bytes.Equal(pack[:4], []byte("PACK")) {
		fail(oid.ID{}, "not a pack file")
		return res
	}
	if v := binary.BigEndian.Uint32(pack[4:]); v != 2 && v != 3 {
		fail(oid.ID{}, "pack version %d is not supported", v)
		return res
	}
	if n := binary.BigEndian.Uint32(pack[8:]); uint64(n) != uint64(len(ix.ids)) {
		fail(oid.ID{}, "pack holds %d objects, its index %d", n, len(ix.ids))
		return res
	}
	end := uint64(len(pack) - 20)
	if !bytes.Equal(pack[end:], ix.packHash[:]) {
		fail(oid.ID{}, "pack's trailing checksum differs from the one its index records")
	}
	// The whole-pack checksum runs beside the object checks.
	sumDone := make(chan bool, 1)
	go func() {
		s := sha1.Sum(pack[:end])
		sumDone <- bytes.Equal(s[:], pack[end:])
	}()

	// Entries in pack order; each object ends where the next begins.
	entries := make([]packEntry, len(ix.ids))
	for i := range ix.ids {
		entries[i] = packEntry{idx: i, off: ix.offsets[i], base: -1}
	}
	sort.Slice(entries, func(a, b int) bool { return entries[a].off < entries[b].off })
	byOffset := make(map[uint64]int, len(entries))
	for i := range entries {
		e := &entries[i]
		e.end = end
		if i+1 < len(entries) {
			e.end = entries[i+1].off
		}
		byOffset[e.off] = i
	}
	byID := func(id oid.ID) int {
		k := sort.Search(len(ix.ids), func(j int) bool { return bytes.Compare(ix.ids[j][:], id[:]) >= 0 })
		if k < len(ix.ids) && ix.ids[k] == id {
			return k
		}
		return -1
	}
	ofIdx := make([]int, len(entries)) // index position → entry
	for i := range entries {
		ofIdx[entries[i].idx] = i
	}
	broken := make([]bool, len(entries))
	var roots []int
	for i := range entries {
		e := &entries[i]
		id := ix.ids[e.idx]
		if e.off < 12 || e.off >= e.end || e.end > end || (i > 0 && e.off == entries[i-1].off) {
			fail(id, "index gives a bad offset %d", e.off)
			broken[i] = true
			continue
		}
		raw := pack[e.off:e.end]
		if crc32.ChecksumIEEE(raw) != ix.crcs[e.idx] {
			fail(id, "stored bytes at offset %d differ from the index's CRC-32", e.off)
			broken[i] = true
			continue
		}
		typ, size, n, ok := entryHeader(raw)
		if !ok {
			fail(id, "bad object header at offset %d", e.off)
			broken[i] = true
			continue
		}
		e.typ, e.size = typ, size
		switch typ {
		case objCommit, objTree, objBlob, objTag:
			roots = append(roots, i)
		case objOfsDelta:
			rel, m, ok := ofsDelta(raw[n:])
			base, found := byOffset[e.off-rel]
			if !ok || rel == 0 || rel > e.off || !found {
				fail(id, "delta at offset %d has no base in the pack", e.off)
				broken[i] = true
				continue
			}
			n += m
			e.base = base
		case objRefDelta:
			if len(raw) < n+20 {
				fail(id, "delta at offset %d is cut short", e.off)
				broken[i] = true
				continue
			}
			var b oid.ID
			copy(b[:], raw[n:n+20])
			k := byID(b)
			if k < 0 {
				fail(id, "delta at offset %d refers to base %s, not in the pack", e.off, b)
				broken[i] = true
				continue
			}
			n += 20
			e.base = ofIdx[k]
		default:
			fail(id, "unknown object type %d at offset %d", typ, e.off)
			broken[i] = true
			continue
		}
		e.data = e.off + uint64(n)
	}
	for i := range entries {
		if b := entries[i].base; b >= 0 && !broken[i] {
			entries[b].kids = append(entries[b].kids, int32(i))
		}
	}

	// Resolve: each task is an entry and its base's content. Workers take
	// tasks from a shared stack (depth first, so memory stays small), and
	// push the children of what they resolved.
	type task struct {
		e    int
		typ  byte
		base []byte
	}
	var (
		mu      sync.Mutex
		cond    = sync.NewCond(&mu)
		stack   = make([]task, 0, len(roots))
		pending = len(roots)
		done    = make([]bool, len(entries))
	)
	for i := len(roots) - 1; i >= 0; i-- {
		stack = append(stack, task{e: roots[i]})
	}
	outs := make([]packResult, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(out *packResult) {
			defer wg.Done()
			var z inflater
			h := sha1.New()
			var scratch, arena []oid.ID
			for {
				mu.Lock()
				for len(stack) == 0 && pending > 0 {
					cond.Wait()
				}
				if len(stack) == 0 {
					mu.Unlock()
					return
				}
				t := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				mu.Unlock()

				e := &entries[t.e]
				id := ix.ids[e.idx]
				typ := e.typ
				data, err := z.inflate(pack[e.data:e.end], e.size)
				if err == nil && t.base != nil {
					typ = t.typ
					data, err = applyDelta(t.base, data)
				}
				if err == nil {
					if got := objectHash(h, typ, data); got != id {
						err = fmt.Errorf("content hashes to %s", got)
					}
				}
				if err == nil {
					scratch, err = edges(typ, data, scratch)
					if err == nil {
						o := object{id: id, typ: typ}
						if len(scratch) > 0 {
							// Edges live in large shared chunks: one
							// allocation per object would dominate.
							if cap(arena)-len(arena) < len(scratch) {
								arena = make([]oid.ID, 0, max(1<<14, len(scratch)))
							}
							arena = append(arena, scratch...)
							o.edges = arena[len(arena)-len(scratch) : len(arena) : len(arena)]
						}
						out.objects = append(out.objects, o)
					}
				}
				if err != nil {
					out.bad = append(out.bad, Corrupt{ID: id, Path: name, Message: fmt.Sprintf("%s at offset %d: %v", typeName(typ), e.off, err)})
				}
				mu.Lock()
				done[t.e] = true
				if err == nil {
					for k := len(e.kids) - 1; k >= 0; k-- {
						stack = append(stack, task{e: int(e.kids[k]), typ: typ, base: data})
						pending++
					}
				}
				pending--
				if len(stack) > 0 || pending == 0 {
					cond.Broadcast()
				}
				mu.Unlock()
			}
		}(&outs[w])
	}
	wg.Wait()
	for _, o := range outs {
		res.objects = append(res.objects, o.objects...)
		res.bad = append(res.bad, o.bad...)
	}
	for i := range entries {
		if !done[i] && !broken[i] {
			fail(ix.ids[entries[i].idx], "delta at offset %d cannot be resolved: its base is damaged", entries[i].off)
		}
	}
	if !<-sumDone {
		fail(oid.ID{}, "pack checksum does not match its content")
	}
	return res
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
