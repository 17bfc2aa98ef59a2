package status

import (
	"path"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/qms-tool/qms/internal/check"
	"github.com/qms-tool/qms/internal/record"
	"github.com/qms-tool/qms/internal/schema"
)

// Load reads and parses every record of src, in parallel, sorted by path.
// Files that cannot be read as records are left out ('qms validate'
// reports them); a record's id falls back to its file name.
func Load(set *schema.Set, src check.Source) ([]Record, error) {
	return LoadCached(set, src, nil)
}

// LoadCached is Load taking the frontmatter of unchanged files from c
// (which may be nil) and recording what it parses there. Records that come
// from the cache have no Body: status does not read it.
func LoadCached(set *schema.Set, src check.Source, c *Cache) ([]Record, error) {
	paths, _, err := check.List(set, src)
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	out := make([]Record, len(paths))
	errs := make([]error, len(paths))
	idents := make([]fileIdent, len(paths))
	var todo []int
	for i, p := range paths {
		d, ident, ok := c.lookup(src, p)
		if ok {
			if d != nil {
				out[i] = Record{Path: p, Kind: check.KindOf(set, p).Name, ID: idOf(p, d), Data: d}
			}
			continue
		}
		idents[i] = ident
		todo = append(todo, i)
	}
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				p := paths[i]
				ident := idents[i]
				b, err := src.Read(p)
				if err != nil {
					errs[i] = err
					continue
				}
				rec, _ := record.Parse(p, b)
				if rec == nil {
					c.store(p, ident, nil)
					continue
				}
				c.store(p, ident, rec.Data)
				k := check.KindOf(set, p)
				out[i] = Record{Path: p, Kind: k.Name, ID: idOf(p, rec.Data), Data: rec.Data, Body: rec.Body}
			}
		}()
	}
	for _, i := range todo {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	c.keep()
	recs := out[:0]
	for _, r := range out {
		if r.Path != "" {
			recs = append(recs, r)
		}
	}
	return recs, nil
}

func idOf(p string, d map[string]any) string {
	if s, ok := d["id"].(string); ok && s != "" {
		return s
	}
	return strings.TrimSuffix(path.Base(p), ".md")
}
