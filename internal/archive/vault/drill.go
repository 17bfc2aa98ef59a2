package vault

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/qms-tool/qms/internal/archive"
	"github.com/qms-tool/qms/internal/store"
)

// ErrNoArchive is returned by Latest for a location holding no archive.
var ErrNoArchive = errors.New("no archives at this location")

// Latest is the name of the newest archive at st: names carry the
// archived commit's time, so the last in order.
func Latest(ctx context.Context, st store.Store) (string, error) {
	objs, err := st.List(ctx)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	var names []string
	for _, ob := range objs {
		if strings.HasSuffix(ob.Key, archive.Suffix) && nameTimeRE.MatchString(ob.Key) {
			names = append(names, ob.Key)
		}
	}
	if len(names) == 0 {
		return "", fmt.Errorf("%s: %w", st, ErrNoArchive)
	}
	sort.Strings(names)
	return names[len(names)-1], nil
}

// Layout says where a restored archive's parts are: the payload of a bag
// (format 2) is under data/, format 1's at the top.
func Layout(dir string) (tree, bundle string) {
	payload := dir
	if st, err := os.Stat(filepath.Join(dir, archive.PayloadDir)); err == nil && st.IsDir() {
		payload = filepath.Join(dir, archive.PayloadDir)
	}
	return filepath.Join(payload, "tree"), filepath.Join(payload, archive.BundleName)
}

// CompareTree compares the files of a clone's work tree (its .git left
// out) with an archive's tree/ and says how they differ, one line per
// file, sorted: missing from either, different content, different link
// target or type. None means they agree.
func CompareTree(tree, clone string) ([]string, error) {
	a, err := listFiles(tree, false)
	if err != nil {
		return nil, err
	}
	b, err := listFiles(clone, true)
	if err != nil {
		return nil, err
	}
	var out []string
	for name, fa := range a {
		fb, ok := b[name]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("%s is in the archive's tree/ but not in the clone", name))
		case fa.link != fb.link:
			out = append(out, fmt.Sprintf("%s differs between the clone and the archive's tree/ (symbolic link)", name))
		case fa.link == "" && fa.path != "":
			same, err := sameContent(fa.path, fb.path)
			if err != nil {
				return nil, err
			}
			if !same {
				out = append(out, fmt.Sprintf("%s differs between the clone and the archive's tree/", name))
			}
		}
	}
	for name := range b {
		if _, ok := a[name]; !ok {
			out = append(out, fmt.Sprintf("%s is in the clone but not in the archive's tree/", name))
		}
	}
	sort.Strings(out)
	return out, nil
}

type treeFile struct {
	path string // the file, for regular files
	link string // "link:TARGET" for symbolic links
}

func listFiles(root string, skipGit bool) (map[string]treeFile, error) {
	m := map[string]treeFile{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if skipGit && rel == ".git" {
				return filepath.SkipDir
			}
			return nil
		}
		f := treeFile{path: p}
		if d.Type()&fs.ModeSymlink != 0 {
			t, err := os.Readlink(p)
			if err != nil {
				return err
			}
			f = treeFile{link: "link:" + t}
		}
		m[rel] = f
		return nil
	})
	return m, err
}

func sameContent(a, b string) (bool, error) {
	x, err := os.ReadFile(a)
	if err != nil {
		return false, err
	}
	y, err := os.ReadFile(b)
	if err != nil {
		return false, err
	}
	return bytes.Equal(x, y), nil
}

// CommitTime is the archived commit's time that an archive's name
// carries, and whether it carries one.
func CommitTime(name string) (time.Time, bool) {
	m := nameTimeRE.FindStringSubmatch(name)
	if m == nil {
		return time.Time{}, false
	}
	t, err := time.Parse("20060102T150405Z", m[1])
	return t, err == nil
}
