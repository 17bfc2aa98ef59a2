package check

import (
	"io/fs"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/records"
	"github.com/qms-tool/qms/internal/schema"
)

// The names below are where callers found the listing of records before
// it moved to package records; they forward there.

// RecordsDir is records.RecordsDir.
const RecordsDir = records.RecordsDir

// Entry is a record as the rules across records see it (records.Entry).
type Entry = records.Entry

// Cache is records.Cache, the one cache of per-file outcomes.
type Cache = records.Cache

// FS serves FS, or when Dir is set the operating-system directory Dir
// (records.Dir, which reads records faster), as the fs.FS that List and
// Check read. New code passes an fs.FS directly.
type FS struct {
	FS fs.FS
	// Dir, when set, is the operating-system directory FS serves.
	Dir string
}

// Open opens a file of the source.
func (f FS) Open(name string) (fs.File, error) { return f.fsys().Open(name) }

func (f FS) fsys() fs.FS {
	if f.Dir != "" {
		return records.Dir(f.Dir)
	}
	return f.FS
}

// source unwraps an FS, so that the layer below sees the file system's own
// abilities (links, metadata, blob ids).
func source(fsys fs.FS) fs.FS {
	if f, ok := fsys.(FS); ok {
		return f.fsys()
	}
	return fsys
}

// List is records.List: the paths of every record in fsys, and findings
// for files that would go unchecked.
func List(set *schema.Set, fsys fs.FS) ([]string, []qms.Finding, error) {
	return records.List(set, source(fsys))
}

// KindOf is records.KindOf: the kind whose records live at p, or nil.
func KindOf(set *schema.Set, p string) *schema.Kind { return records.KindOf(set, p) }
