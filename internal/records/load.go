package records

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/record"
	"github.com/qms-tool/qms/internal/schema"
)

// Options say how Load reads records.
type Options struct {
	// Check, when set, checks each record that is parsed (rather than
	// taken from the cache) on its own; the findings it returns follow
	// the parser's in Entry.Findings, and the cache keeps them. With a
	// Check, entries the cache holds without its findings are parsed
	// again.
	Check func(k *schema.Kind, r *record.Record) []qms.Finding
	// Cache, when set, spares reading and parsing records whose content
	// it has seen, and learns the others.
	Cache *Cache
	// Fields, when set, names the fields the caller reads: entries taken
	// from the cache have only those (the cache keeps more).
	Fields map[string]bool
	// Full keeps every field, the whole frontmatter and the body of each
	// record (Entry.Data, Entry.Body), for showing them; the cache is not
	// used.
	Full bool
	// Workers is how many records are read at once (default: GOMAXPROCS).
	Workers int
}

// Load reads the records at paths of fsys (as List gives them) on every
// core, each once. The entries are in the order of paths, nil for a path
// of no kind; a file that cannot be read as a record has a Broken entry
// whose findings say why. It fails only when a file cannot be read.
func Load(fsys fs.FS, set *schema.Set, paths []string, o Options) ([]*Entry, error) {
	n := o.Workers
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	if o.Full {
		o.Cache = nil
	}
	l := &loader{fsys: fsys, set: set, o: o}
	if o.Cache != nil {
		l.wanted = o.Cache.wanted(o.Fields)
	}
	if !o.Full {
		l.keep = keep(set)
	}
	out := make([]*Entry, len(paths))
	var kept []*cached
	if o.Cache != nil {
		kept = make([]*cached, len(paths))
	}
	var (
		firstErr error
		mu       sync.Mutex
		wg       sync.WaitGroup
		next     atomic.Int64
	)
	for w := 0; w < n; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < len(paths); i = int(next.Add(1) - 1) {
				e, k, err := l.one(paths[i])
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("read %s: %w", paths[i], err)
					}
					mu.Unlock()
					continue
				}
				out[i] = e
				if kept != nil {
					kept[i] = k
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if o.Cache != nil {
		o.Cache.record(paths, kept)
	}
	return out, nil
}

type loader struct {
	fsys   fs.FS
	set    *schema.Set
	o      Options
	keep   map[string]bool
	wanted []bool // of the cache file's field names, which Options.Fields names
}

// one loads the record at p, from the cache when its content is known.
func (l *loader) one(p string) (*Entry, *cached, error) {
	kind := KindOf(l.set, p)
	if kind == nil {
		return nil, nil, nil
	}
	c := l.o.Cache
	if c == nil {
		b, err := ReadFile(l.fsys, p)
		if err != nil {
			return nil, nil, err
		}
		return l.parse(kind, p, b), nil, nil
	}
	// An entry is usable if it has what this run needs: with a Check, its
	// findings.
	k := c.lookup(p)
	if k != nil && !k.checked && l.o.Check != nil {
		k = nil
	}
	blob := BlobID(l.fsys, p)
	if k != nil && blob != "" && k.sameBlob(blob) {
		if e := k.load(p, l.set, l.wanted); e != nil {
			return e, k, nil
		}
		k = nil // damaged: learn it again
	}
	// The metadata is taken before the content is read: a change after
	// this point makes it differ next time.
	st, hasStat := statFile(l.fsys, p)
	if k != nil && hasStat && k.sameStat(st) {
		if e := k.load(p, l.set, l.wanted); e != nil {
			return e, k, nil
		}
		k = nil
	}
	b, err := ReadFile(l.fsys, p)
	if err != nil {
		return nil, nil, err
	}
	sum := sha256.Sum256(b)
	var e *Entry
	if k != nil && k.sum == sum {
		e = k.load(p, l.set, l.wanted)
	}
	if e == nil {
		e = l.parse(kind, p, b)
		k = &cached{sum: sum, blob: blob, checked: l.o.Check != nil, entry: e}
		if hasStat {
			k.stat, k.statAt = st, c.started
		}
		return e, k, nil
	}
	// The content is known. Remember the blob id, and the metadata when it
	// changed or can now vouch for the content.
	if blob != "" && k.blob != blob || hasStat && (k.stat != st || k.stat.racyAt(k.statAt) && !st.racyAt(c.started)) {
		u := *k
		u.chunk = ""
		if blob != "" {
			u.blob = blob
		}
		if hasStat {
			u.stat, u.statAt = st, c.started
		}
		k = &u
	}
	return e, k, nil
}

// statFile identifies p's content by its metadata, where the file system
// and the platform allow.
func statFile(fsys fs.FS, p string) (fileStat, bool) {
	if d, ok := fsys.(Dir); ok {
		return d.statRecord(p)
	}
	fi, err := fs.Lstat(fsys, p)
	if err != nil {
		return fileStat{}, false
	}
	return statOf(fi)
}

// parse reads and, with Options.Check, checks one record.
func (l *loader) parse(k *schema.Kind, p string, b []byte) *Entry {
	r, fs := record.Parse(p, b)
	if r == nil {
		return brokenEntry(k, p, fs)
	}
	if l.o.Check != nil {
		fs = append(fs, l.o.Check(k, r)...)
	}
	e := NewEntry(k, p, r.Data, l.keep)
	e.Findings = fs
	if l.o.Full {
		e.Data, e.Body = r.Data, r.Body
	}
	return e
}
