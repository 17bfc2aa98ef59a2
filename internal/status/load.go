package status

import (
	"runtime"
	"sort"
	"sync"

	"github.com/qms-tool/qms/internal/check"
	"github.com/qms-tool/qms/internal/record"
	"github.com/qms-tool/qms/internal/schema"
)

// Load reads and parses every record of src, in parallel, sorted by path.
// Files that cannot be read as records are left out ('qms validate'
// reports them); a record's id falls back to its file name.
func Load(set *schema.Set, src check.Source) ([]Record, error) {
	paths, _, err := check.List(set, src)
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	out := make([]Record, len(paths))
	errs := make([]error, len(paths))
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				p := paths[i]
				b, err := src.Read(p)
				if err != nil {
					errs[i] = err
					continue
				}
				rec, _ := record.Parse(p, b)
				if rec == nil {
					continue
				}
				k := check.KindOf(set, p)
				out[i] = Record{Path: p, Kind: k.Name, ID: idOf(p, rec.Data), Data: rec.Data, Body: rec.Body}
			}
		}()
	}
	for i := range paths {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
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
	base := p
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			base = p[i+1:]
			break
		}
	}
	return base[:len(base)-len(".md")]
}
