package clone

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/qms-tool/qms/internal/oid"
)

// Integrity is what Verify found in an object store.
type Integrity struct {
	// Objects is how many objects were read and hashed; Packs and Loose
	// say where they were.
	Objects int `json:"objects"`
	Packs   int `json:"packs"`
	Loose   int `json:"loose"`
	// Reachable is how many objects the refs reach.
	Reachable int `json:"reachable"`
	// Missing are objects a ref or another object refers to that are in
	// no pack and not loose.
	Missing []Missing `json:"missing"`
	// Corrupt are objects (or whole files) whose bytes are damaged.
	Corrupt []Corrupt `json:"corrupt"`
}

// Missing is an object that should be there and is not.
type Missing struct {
	ID oid.ID `json:"id"`
	// From is the object or ref that refers to it.
	From string `json:"from"`
}

// Root is a starting point of reachability: a ref and the object it names.
type Root struct {
	Name string
	ID   oid.ID
}

// Verify reads every object in objectsDir (and its alternates), checks
// that each hashes to its id, and that every object reachable from roots is
// there, the way 'git fsck --full' sees the store. Commits listed in shallow
// have no parents to follow. It only reads. workers <= 0 means one per CPU.
func Verify(objectsDir string, roots []Root, shallow []oid.ID, workers int) (*Integrity, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	dirs, err := objectDirs(objectsDir)
	if err != nil {
		return nil, err
	}
	res := &Integrity{Missing: []Missing{}, Corrupt: []Corrupt{}}
	var objs []object
	bad := map[oid.ID]bool{}
	add := func(os []object, cs []Corrupt) {
		objs = append(objs, os...)
		res.Objects += len(os)
		for _, c := range cs {
			if !c.ID.IsZero() {
				bad[c.ID] = true
			}
		}
		res.Corrupt = append(res.Corrupt, cs...)
	}
	for di, dir := range dirs {
		label := func(p string) string {
			r, err := filepath.Rel(objectsDir, p)
			if di > 0 || err != nil {
				return p
			}
			return r
		}
		idxs, _ := filepath.Glob(filepath.Join(dir, "pack", "*.idx"))
		sort.Strings(idxs)
		for _, ip := range idxs {
			pp := strings.TrimSuffix(ip, ".idx") + ".pack"
			ib, err := os.ReadFile(ip)
			if err != nil {
				return nil, err
			}
			ix, err := parseIndex(ib)
			if err != nil {
				add(nil, []Corrupt{{Path: label(ip), Message: err.Error()}})
				continue
			}
			pb, err := readPack(pp)
			if err != nil {
				return nil, err
			}
			r := checkPack(label(pp), pb.data, ix, workers)
			pb.close()
			add(r.objects, r.bad)
			res.Packs++
		}
		os_, cs, err := checkLoose(dir, label, workers)
		if err != nil {
			return nil, err
		}
		res.Loose += len(os_) + len(cs)
		add(os_, cs)
	}

	// Reachability, from every root.
	known := newTable(objs)
	isShallow := map[oid.ID]bool{}
	for _, id := range shallow {
		isShallow[id] = true
	}
	seen := make([]bool, len(objs))
	missing := map[oid.ID]bool{}
	reached := 0
	var queue []int32
	visit := func(id oid.ID, from func() string) {
		k := known.find(objs, id)
		if k < 0 {
			if !bad[id] && !missing[id] {
				missing[id] = true
				res.Missing = append(res.Missing, Missing{ID: id, From: from()})
			}
			return
		}
		if !seen[k] {
			seen[k] = true
			reached++
			queue = append(queue, int32(k))
		}
	}
	for _, r := range roots {
		visit(r.ID, func() string { return r.Name })
	}
	for len(queue) > 0 {
		k := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		o := &objs[k]
		es := o.edges
		if o.typ == objCommit && len(es) > 0 && len(isShallow) > 0 && isShallow[o.id] {
			es = es[:1]
		}
		from := func() string { return typeName(o.typ) + " " + o.id.String() }
		for _, e := range es {
			visit(e, from)
		}
	}
	res.Reachable = reached
	sort.Slice(res.Missing, func(i, j int) bool { return bytes.Compare(res.Missing[i].ID[:], res.Missing[j].ID[:]) < 0 })
	sort.SliceStable(res.Corrupt, func(i, j int) bool {
		a, b := res.Corrupt[i], res.Corrupt[j]
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return bytes.Compare(a.ID[:], b.ID[:]) < 0
	})
	return res, nil
}

// objectDirs is objectsDir followed by its alternates, recursively.
func objectDirs(objectsDir string) ([]string, error) {
	var dirs []string
	seen := map[string]bool{}
	var walk func(d string, depth int) error
	walk = func(d string, depth int) error {
		d = filepath.Clean(d)
		if seen[d] || depth > 5 {
			return nil
		}
		seen[d] = true
		if _, err := os.Stat(d); err != nil {
			return fmt.Errorf("object directory: %w", err)
		}
		dirs = append(dirs, d)
		f, err := os.Open(filepath.Join(d, "info", "alternates"))
		if err != nil {
			return nil
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" || line[0] == '#' {
				continue
			}
			if !filepath.IsAbs(line) {
				line = filepath.Join(d, line)
			}
			if err := walk(line, depth+1); err != nil {
				return err
			}
		}
		return sc.Err()
	}
	err := walk(objectsDir, 0)
	return dirs, err
}

// checkLoose reads and hashes every loose object under dir.
func checkLoose(dir string, label func(string) string, workers int) ([]object, []Corrupt, error) {
	var files []string
	fans, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, err
	}
	for _, f := range fans {
		if !f.IsDir() || len(f.Name()) != 2 || !isHex(f.Name()) {
			continue
		}
		es, err := os.ReadDir(filepath.Join(dir, f.Name()))
		if err != nil {
			return nil, nil, err
		}
		for _, e := range es {
			if len(e.Name()) == 38 && isHex(e.Name()) {
				files = append(files, filepath.Join(dir, f.Name(), e.Name()))
			}
		}
	}
	var (
		mu   sync.Mutex
		objs []object
		bad  []Corrupt
		next int
		wg   sync.WaitGroup
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				if next >= len(files) {
					mu.Unlock()
					return
				}
				p := files[next]
				next++
				mu.Unlock()
				id, _ := oid.Parse(filepath.Base(filepath.Dir(p)) + filepath.Base(p))
				b, err := os.ReadFile(p)
				var o object
				if err == nil {
					o, err = looseObject(id, b)
				}
				mu.Lock()
				if err != nil {
					bad = append(bad, Corrupt{ID: id, Path: label(p), Message: err.Error()})
				} else {
					objs = append(objs, o)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return objs, bad, nil
}

// looseObject checks one loose object file's bytes against its id.
func looseObject(id oid.ID, b []byte) (object, error) {
	zr, err := zlib.NewReader(bytes.NewReader(b))
	if err != nil {
		return object{}, fmt.Errorf("zlib: %w", err)
	}
	// The header first, so that the size it announces is checked before
	// anything that large is allocated.
	var hdr []byte
	var one [1]byte
	for len(hdr) < 32 && (len(hdr) == 0 || hdr[len(hdr)-1] != 0) {
		if _, err := io.ReadFull(zr, one[:]); err != nil {
			return object{}, errors.New("no object header")
		}
		hdr = append(hdr, one[0])
	}
	name, size, ok := bytes.Cut(bytes.TrimSuffix(hdr, []byte{0}), []byte{' '})
	typ := typeOf(name)
	n, err := strconv.Atoi(string(size))
	if !ok || hdr[len(hdr)-1] != 0 || typ == 0 || err != nil || n < 0 || n > maxObject || n > 1100*len(b) {
		return object{}, fmt.Errorf("bad object header %q", hdr)
	}
	raw := make([]byte, len(hdr)+n, len(hdr)+n)
	copy(raw, hdr)
	if _, err := io.ReadFull(zr, raw[len(hdr):]); err != nil {
		return object{}, fmt.Errorf("inflates to fewer than the %d bytes announced", n)
	}
	if k, err := zr.Read(one[:]); k > 0 || err != io.EOF {
		if k > 0 {
			return object{}, fmt.Errorf("inflates to more than the %d bytes announced", n)
		}
		return object{}, fmt.Errorf("zlib: %v", err)
	}
	if got := oid.ID(sha1.Sum(raw)); got != id {
		return object{}, fmt.Errorf("%s content hashes to %s", typeName(typ), got)
	}
	es, err := edges(typ, raw[len(hdr):], nil)
	if err != nil {
		return object{}, fmt.Errorf("%s: %w", typeName(typ), err)
	}
	return object{id: id, typ: typ, edges: es}, nil
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// table finds objects by id: open addressing on the id's first bytes,
// which SHA-1 already spreads evenly. Much faster than a map keyed by the
// whole id, and it is looked up once per tree entry.
type table struct {
	slots []int32 // object index + 1; 0 is empty
	mask  uint64
}

func newTable(objs []object) table {
	n := uint64(16)
	for n < uint64(len(objs))*2 {
		n *= 2
	}
	t := table{slots: make([]int32, n), mask: n - 1}
	for i := range objs {
		if t.find(objs, objs[i].id) >= 0 {
			continue // the same object packed twice, or also loose
		}
		h := binary.LittleEndian.Uint64(objs[i].id[:8]) & t.mask
		for t.slots[h] != 0 {
			h = (h + 1) & t.mask
		}
		t.slots[h] = int32(i + 1)
	}
	return t
}

func (t table) find(objs []object, id oid.ID) int {
	h := binary.LittleEndian.Uint64(id[:8]) & t.mask
	for {
		s := t.slots[h]
		if s == 0 {
			return -1
		}
		if objs[s-1].id == id {
			return int(s - 1)
		}
		h = (h + 1) & t.mask
	}
}
