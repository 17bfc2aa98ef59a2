// Package safefile writes files so that a reader sees the old content or
// the new one, never part of either: caches, remembered heads, hooks and
// new records.
package safefile

import (
	"io/fs"
	"os"
	"path/filepath"
)

// Write replaces path with data: the data goes to a temporary file in the
// same folder, is synced, and is renamed over path. A missing folder is
// made, private (0700) when perm is.
func Write(path string, data []byte, perm fs.FileMode) error {
	dirPerm := fs.FileMode(0o755)
	if perm&0o077 == 0 {
		dirPerm = 0o700
	}
	if err := os.MkdirAll(filepath.Dir(path), dirPerm); err != nil {
		return err
	}
	tmp, err := Temp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*", data, perm)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// Temp writes data, synced and with mode perm, to a new temporary file in
// dir named after pattern (as os.CreateTemp) and returns its path. The
// caller renames or links it into place, and removes it if that fails.
func Temp(dir, pattern string, data []byte, perm fs.FileMode) (string, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return "", err
	}
	name := f.Name()
	fail := func(err error) (string, error) {
		f.Close()
		os.Remove(name)
		return "", err
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Chmod(perm); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(name)
		return "", err
	}
	return name, nil
}
