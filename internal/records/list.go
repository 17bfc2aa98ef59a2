package records

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/schema"
)

// RecordsDir is where records live unless a kind says otherwise.
const RecordsDir = "records"

// Rules of the findings List reports.
const (
	RuleExtension   = "extension"
	RuleSymlink     = "symlink"
	RuleUnknownKind = "unknown-kind"
)

// KindOf returns the kind whose records live at p, or nil.
func KindOf(set *schema.Set, p string) *schema.Kind {
	if !strings.HasSuffix(p, ".md") {
		return nil
	}
	dir := path.Dir(p)
	for _, n := range set.Names {
		k := set.Kinds[n]
		if k.File == p || (k.Folder != "" && k.Folder == dir) {
			return k
		}
	}
	return nil
}

// List returns the paths of every record in fsys, sorted, and findings for
// files that would go unchecked: markdown files under records/ that belong
// to no kind or whose name does not end in .md, and symbolic links. The
// folders searched come from the kinds; folders and files whose names
// start with a dot are left out.
func List(set *schema.Set, fsys fs.FS) ([]string, []qms.Finding, error) {
	dirs := map[string]bool{RecordsDir: true}
	for _, n := range set.Names {
		k := set.Kinds[n]
		if k.Folder != "" && !strings.HasPrefix(k.Folder+"/", RecordsDir+"/") {
			dirs[k.Folder] = true
		}
		if k.File != "" && !strings.HasPrefix(k.File, RecordsDir+"/") {
			dirs[path.Dir(k.File)] = true
		}
	}
	order := make([]string, 0, len(dirs))
	for d := range dirs {
		order = append(order, d)
	}
	sort.Strings(order)
	var out []string
	var found []qms.Finding
	seen := map[string]bool{}
	for _, d := range order {
		if err := listDir(set, fsys, d, seen, &out, &found); err != nil {
			return nil, nil, err
		}
	}
	sort.Strings(out)
	return out, found, nil
}

// ListKind returns the records of one kind in fsys, read exactly as List
// reads them (dot-files left out, only names ending in .md, symbolic links
// refused with a finding), and the findings about files in its folder: for
// readers such as the signing policy, which must see what 'qms validate'
// sees and nothing else.
func ListKind(set *schema.Set, fsys fs.FS, k *schema.Kind) ([]string, []qms.Finding, error) {
	dir := k.Folder
	if k.File != "" {
		dir = path.Dir(k.File)
	}
	var ps []string
	var found []qms.Finding
	if err := listDir(set, fsys, dir, map[string]bool{}, &ps, &found); err != nil {
		return nil, nil, err
	}
	var out []string
	for _, p := range ps {
		if KindOf(set, p) == k {
			out = append(out, p)
		}
	}
	var keep []qms.Finding
	for _, f := range found {
		if path.Dir(f.Path) == dir {
			keep = append(keep, f)
		}
	}
	sort.Strings(out)
	return out, keep, nil
}

// listDir adds the records under d to out and the findings to found.
func listDir(set *schema.Set, fsys fs.FS, d string, seen map[string]bool, out *[]string, found *[]qms.Finding) error {
	return walk(fsys, d, func(p string, link bool) {
		if seen[p] || strings.HasPrefix(path.Base(p), ".") {
			return
		}
		if !strings.HasSuffix(p, ".md") {
			if ext := strings.ToLower(path.Ext(p)); ext == ".md" || ext == ".markdown" {
				// A record that would silently go unchecked.
				*found = append(*found, qms.Finding{Path: p, Line: 1, Column: 1, Rule: RuleExtension, Severity: qms.Error,
					Message: "records are checked only when their name ends in .md", Hint: "rename it to " + strings.TrimSuffix(p, path.Ext(p)) + ".md"})
			}
			return
		}
		seen[p] = true
		if link {
			*found = append(*found, qms.Finding{Path: p, Line: 1, Column: 1, Rule: RuleSymlink, Severity: qms.Error,
				Message: "records must be files, not symbolic links", Hint: "replace the link with the record itself"})
			return
		}
		if KindOf(set, p) != nil {
			*out = append(*out, p)
		} else if strings.HasPrefix(p, RecordsDir+"/") {
			*found = append(*found, unknownKind(set, p))
		}
	})
}

// walker is implemented by file systems that list every file under a
// directory at once (the Git index).
type walker interface {
	walk(dir string, fn func(p string, link bool)) error
}

// walk calls fn for every regular file and symbolic link under dir
// (a missing dir has none), skipping folders whose names start with a dot.
func walk(fsys fs.FS, dir string, fn func(p string, link bool)) error {
	if w, ok := fsys.(walker); ok {
		return w.walk(dir, fn)
	}
	return fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == dir {
				return fs.SkipDir
			}
			return err
		}
		if d.IsDir() {
			if p != dir && path.Base(p)[0] == '.' {
				return fs.SkipDir
			}
			return nil
		}
		switch t := d.Type(); {
		case t.IsRegular():
			fn(p, false)
		case t&fs.ModeSymlink != 0:
			fn(p, true)
		}
		return nil
	})
}

func unknownKind(set *schema.Set, p string) qms.Finding {
	var places []string
	for _, n := range set.Names {
		k := set.Kinds[n]
		places = append(places, k.Folder+k.File)
	}
	sort.Strings(places)
	return qms.Finding{Path: p, Line: 1, Column: 1, Rule: RuleUnknownKind, Severity: qms.Error,
		Message: fmt.Sprintf("no record kind lives in %s", path.Dir(p)),
		Hint:    "records go in " + strings.Join(places, ", ") + "; add a schema/<kind>.schema.json with x-qms-folder for a new kind"}
}
