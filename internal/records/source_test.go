package records

import (
	"errors"
	"io/fs"
	"reflect"
	"sort"
	"strings"
	"testing"
	"testing/fstest"
)

// staged is an index holding files.
type staged map[string]string

func (s staged) Paths(dir string) ([]string, error) {
	var out []string
	for p := range s {
		if strings.HasPrefix(p, dir+"/") {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out, nil
}

func (s staged) Read(p string) ([]byte, error) {
	b, ok := s[p]
	if !ok {
		return nil, fs.ErrNotExist
	}
	return []byte(b), nil
}

func (s staged) Exists(p string) bool { _, ok := s[p]; return ok }

func (s staged) BlobID(p string) string {
	if s.Exists(p) {
		return "blob-" + p
	}
	return ""
}

func TestGitIndex(t *testing.T) {
	ix := GitIndex(staged{"records/incidents/INC-1.md": "a", "records/matrix.md": "b", "qms.yaml": "c", "schema/x.schema.json": "{}"})
	// The root cannot be listed; everything under it must work.
	if _, err := fs.ReadDir(ix, "."); !errors.Is(err, errRootListing) {
		t.Errorf("ReadDir(.) = %v, want %v", err, errRootListing)
	}
	for _, tc := range []struct {
		dir   string
		files []string
	}{
		{"records", []string{"incidents/INC-1.md", "matrix.md"}},
		{"schema", []string{"x.schema.json"}},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			sub, err := fs.Sub(ix, tc.dir)
			if err != nil {
				t.Fatal(err)
			}
			if err := fstest.TestFS(sub, tc.files...); err != nil {
				t.Error(err)
			}
		})
	}
	if b, err := fs.ReadFile(ix, "qms.yaml"); err != nil || string(b) != "c" {
		t.Errorf("ReadFile(qms.yaml) = %q, %v", b, err)
	}
	if got := BlobID(ix, "records/matrix.md"); got != "blob-records/matrix.md" {
		t.Errorf("BlobID = %q", got)
	}
	if _, err := fs.ReadFile(ix, "records/none.md"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadFile(missing) = %v, want not-exist", err)
	}
	ents, err := fs.ReadDir(ix, "records")
	if err != nil || len(ents) != 2 || !ents[0].IsDir() || ents[1].Name() != "matrix.md" {
		t.Errorf("ReadDir(records) = %v, %v", ents, err)
	}
}

func TestOverlay(t *testing.T) {
	base := fstest.MapFS{"records/incidents/INC-1.md": {Data: []byte("a")}, "qms.yaml": {Data: []byte("c")}}
	o := Overlay(base, map[string][]byte{"records/incidents/INC-2.md": []byte("new"), "records/tests/TST-1.md": []byte("t")})
	if err := fstest.TestFS(o, "records/incidents/INC-1.md", "records/incidents/INC-2.md", "records/tests/TST-1.md", "qms.yaml"); err != nil {
		t.Error(err)
	}
	if b, err := ReadFile(o, "records/incidents/INC-2.md"); err != nil || string(b) != "new" {
		t.Errorf("ReadFile(overlaid) = %q, %v", b, err)
	}
}

// TestGitIndexList: the index lists records as a tree of the same files
// does.
func TestGitIndexList(t *testing.T) {
	files := []string{"records/incidents/INC-2026-0001.md", "records/incidents/.hidden/INC-2026-0002.md", "records/.x/y.md",
		"records/incidents/.INC-2026-0003.md", "records/incidents/notes.MD", "records/matrix.md", "records/capa/C-1.md", "qms.yaml"}
	ix := staged{}
	m := fstest.MapFS{}
	for _, p := range files {
		ix[p] = "---\n---\n"
		m[p] = &fstest.MapFile{Data: []byte("---\n---\n")}
	}
	kinds := defaultKinds()
	want, wantFs, err := List(kinds, m)
	if err != nil {
		t.Fatal(err)
	}
	got, gotFs, err := List(kinds, GitIndex(ix))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(gotFs, wantFs) {
		t.Errorf("List(GitIndex) = %v, %v; want %v, %v", got, gotFs, want, wantFs)
	}
}
