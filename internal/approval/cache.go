package approval

import (
	"bytes"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"fmt"
	"os"
	"sync"

	"github.com/qms-tool/qms/internal/safefile"
)

// Cache remembers each commit's Outcome, so that a run after one new
// commit checks one commit. An outcome is a function of the commit id, the
// trust root and the qms build, which the cache's
// key covers; failures are cached like successes, so the cache can make a
// run faster but never turn a failure into a pass. A cache that cannot be
// read is ignored.
type Cache struct {
	path    string
	key     string
	mu      sync.Mutex
	entries map[string]*Outcome
	changed bool
	puts    int // how many outcomes were put, to know what a Save wrote
}

type cacheFile struct {
	Key     string              `json:"key"`
	Commits map[string]*Outcome `json:"commits"`
}

const cacheVersion = "qms-verify-cache 6"

// OpenCache loads the cache at path for this configuration and tool.
func OpenCache(path string, cfg Config, tool []byte) *Cache {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00", cacheVersion, cfg.Root.Commit, cfg.Root.Signer)
	h.Write(tool)
	c := &Cache{path: path, key: hex.EncodeToString(h.Sum(nil)), entries: map[string]*Outcome{}}
	b, err := os.ReadFile(path)
	if err != nil {
		return c
	}
	var f cacheFile
	// gob, not JSON: a history of 10,000 commits decodes in a third of
	// the time, which is most of an incremental run.
	if gob.NewDecoder(bytes.NewReader(b)).Decode(&f) == nil && f.Key == c.key && f.Commits != nil {
		c.entries = f.Commits
	}
	return c
}

// get returns the outcome of commit id in a context: what a pass of
// Verify knew beforehand (the keys known compromised), "" for none.
func (c *Cache) get(ctx, id string) (*Outcome, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	o, ok := c.entries[ctx+id]
	return o, ok && o != nil
}

func (c *Cache) put(ctx, id string, o *Outcome) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries[ctx+id] = o
	c.changed = true
	c.puts++
}

// Save writes the cache (mode 0600) if anything was added.
func (c *Cache) Save() error {
	if c == nil || !c.changed {
		return nil
	}
	c.mu.Lock()
	var b bytes.Buffer
	err := gob.NewEncoder(&b).Encode(cacheFile{Key: c.key, Commits: c.entries})
	written := c.puts
	c.mu.Unlock()
	if err != nil {
		return err
	}
	if err := safefile.Write(c.path, b.Bytes(), 0o600); err != nil {
		return err
	}
	c.mu.Lock()
	c.changed = c.puts != written // a cache shared by two runs is written once
	c.mu.Unlock()
	return nil
}
