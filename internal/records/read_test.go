package records

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
		for _, tc := range []struct {
			name string
			fsys fs.FS
		}{{"os.DirFS", os.DirFS(dir)}, {"Dir", Dir(dir)}} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := ReadFile(tc.fsys, "f")
				if err != nil || !bytes.Equal(got, want) {
					t.Errorf("ReadFile(%s) of %d bytes = %d bytes, %v; want %d bytes", tc.name, size, len(got), err, len(want))
				}
			})
		}
	}
	if _, err := ReadFile(Dir(dir), "missing"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadFile(missing) error = %v, want not-exist", err)
	}
	if _, err := ReadFile(Dir(dir), "../etc/passwd"); err == nil {
		t.Error("ReadFile(../etc/passwd) succeeded")
	}
}
