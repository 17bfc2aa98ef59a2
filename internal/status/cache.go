package status

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/qms-tool/qms/internal/check"
	"github.com/qms-tool/qms/internal/safefile"
)

// Cache keeps the parsed frontmatter of records between runs of 'qms
// status' (in .git/qms/status-cache), keyed by each file's metadata:
// parsing YAML is most of a run's work, and most records never change.
// A nil *Cache caches nothing.
type Cache struct {
	path    string
	key     string
	started int64

	mu      sync.Mutex
	old     map[string]cacheEntry
	new     map[string]cacheEntry
	changed bool
}

type cacheFile struct {
	Magic   string                `json:"magic"`
	Key     string                `json:"key"`
	Entries map[string]cacheEntry `json:"entries"`
}

type cacheEntry struct {
	// Ident is check.FileIdentity: size, times, inode.
	Ident string `json:"i"`
	// At is when the file was read (Unix nanoseconds).
	At int64 `json:"t"`
	// Data is the frontmatter, or null for a file that is no record.
	Data map[string]any `json:"d"`
}

const cacheMagic = "qms-status-cache 1"

// racyMargin: a file changed this close to when it was read may change
// again without its metadata showing it; it is not taken from the cache.
const racyMargin = int64(2 * time.Second)

// OpenCache loads the cache at path; key identifies the parser (the qms
// build). A missing, foreign or damaged file gives an empty cache.
func OpenCache(path string, key []byte, now time.Time) *Cache {
	c := &Cache{path: path, key: hex.EncodeToString(key), started: now.UnixNano(), new: map[string]cacheEntry{}}
	b, err := os.ReadFile(path)
	if err != nil {
		return c
	}
	var f cacheFile
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&f); err != nil || f.Magic != cacheMagic || f.Key != c.key {
		return c
	}
	for _, e := range f.Entries {
		numbers(e.Data) // in place
	}
	c.old = f.Entries
	return c
}

// numbers turns json.Numbers back into int64 or float64, as the record
// parser gives them.
func numbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		// The YAML parser gives uint64 for integers that fit, int64 for
		// negative ones.
		if u, err := strconv.ParseUint(string(x), 10, 64); err == nil {
			return u
		}
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = numbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = numbers(e)
		}
	}
	return v
}

// identity describes the file p of src, or "" when it cannot be cached
// (src is not a directory on disk).
func (c *Cache) identity(src check.Source, p string) fileIdent {
	if c == nil {
		return fileIdent{}
	}
	fs, ok := src.(check.FS)
	if !ok || fs.Dir == "" {
		return fileIdent{}
	}
	fi, err := os.Lstat(filepath.Join(fs.Dir, filepath.FromSlash(p)))
	if err != nil || !fi.Mode().IsRegular() {
		return fileIdent{}
	}
	return fileIdent{check.FileIdentity(fi), fi.ModTime().UnixNano()}
}

type fileIdent struct {
	ident   string
	modTime int64
}

// lookup returns the cached frontmatter of p (nil data: not a record),
// and the file's metadata as it is now, for store when p must be read.
func (c *Cache) lookup(src check.Source, p string) (map[string]any, fileIdent, bool) {
	id := c.identity(src, p)
	if c == nil {
		return nil, id, false
	}
	e, ok := c.old[p]
	if !ok || id.ident == "" || id.ident != e.Ident || id.modTime >= e.At-racyMargin {
		return nil, id, false
	}
	c.mu.Lock()
	c.new[p] = e
	c.mu.Unlock()
	return e.Data, id, true
}

// store records what was parsed from p, read with metadata id.
func (c *Cache) store(p string, id fileIdent, data map[string]any) {
	if c == nil || id.ident == "" {
		return
	}
	c.mu.Lock()
	c.new[p] = cacheEntry{Ident: id.ident, At: c.started, Data: data}
	c.changed = true
	c.mu.Unlock()
}

// keep notes that the run is over: entries of files that are gone are
// not in new, and then Save must write.
func (c *Cache) keep() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.new) != len(c.old) {
		c.changed = true
	}
}

// Save writes the cache when it changed.
func (c *Cache) Save() error {
	if c == nil || !c.changed {
		return nil
	}
	b, err := json.Marshal(cacheFile{Magic: cacheMagic, Key: c.key, Entries: c.new})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(c.path), 0o755); err != nil {
		return err
	}
	return safefile.Write(c.path, b, 0o600)
}
