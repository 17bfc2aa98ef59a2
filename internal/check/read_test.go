package check

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/qms-tool/qms/internal/record"
)

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	for _, size := range []int{0, 1, 4095, 4096, 70000, record.MaxSize, record.MaxSize + 1, record.MaxSize + 5000} {
		data := bytes.Repeat([]byte("ab\n"), size/3+1)[:size]
		p := filepath.Join(dir, "f")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		want := data
		if len(want) > record.MaxSize+1 {
			want = want[:record.MaxSize+1]
		}
		for _, src := range []FS{{FS: os.DirFS(dir)}, {FS: os.DirFS(dir), Dir: dir}} {
			got, err := src.Read("f")
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("Read (Dir %q) of %d bytes = %d bytes, %v; want %d bytes", src.Dir, size, len(got), err, len(want))
			}
		}
	}
	if _, err := (FS{FS: os.DirFS(dir), Dir: dir}).Read("missing"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Read(missing) error = %v, want not-exist", err)
	}
	if _, err := (FS{FS: os.DirFS(dir), Dir: dir}).Read("../etc/passwd"); err == nil {
		t.Error("Read(../etc/passwd) succeeded")
	}
}
