package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/qms-tool/qms/internal/render"
)

func init() {
	extraCmds["linkcheck"] = cmdLinkcheck
}

// linkcheck DIR checks that every href and src of the site in DIR leads to
// one of its files (and element, for a fragment), and that nothing is
// loaded from elsewhere.
func cmdLinkcheck(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: linkcheck DIR")
	}
	dir := ts.MkAbs(args[0])
	files := map[string][]byte{}
	ts.Check(filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = b
		return err
	}))
	if len(files) == 0 {
		ts.Fatalf("linkcheck: no files in %s", args[0])
	}
	if bad := render.CheckLinks(files); len(bad) > 0 {
		ts.Fatalf("linkcheck: %d broken links:\n%s", len(bad), strings.Join(bad, "\n"))
	}
}
