package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"

	"github.com/urfave/cli/v2"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/config"
	"github.com/qms-tool/qms/internal/schema"
	"github.com/qms-tool/qms/internal/vcs"
)

type initOptions struct {
	dir     string
	example bool
	company string
}

func initCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "init",
		Usage:     "make a QMS repository (git init when needed)",
		ArgsUsage: "[DIR]",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "example", Usage: "fill it with a small complete example QMS"},
			&cli.StringFlag{Name: "company", Usage: "the company's name, for qms.yaml", Value: "Example Company"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 1 {
				return usagef("init takes at most one directory, got %d", c.NArg())
			}
			return runInit(c.Context, initOptions{dir: c.Args().First(), example: c.Bool("example"), company: c.String("company")}, env)
		},
	}
}

func runInit(_ context.Context, opts initOptions, env *Env) error {
	dir := absPath(env, opts.dir)
	if _, err := os.Stat(filepath.Join(dir, config.File)); err == nil {
		return withHint(usagef("%s is already a QMS repository (it has %s)", dir, config.File), "run 'qms validate' there")
	}
	files, err := initFiles(opts)
	if err != nil {
		return err
	}
	// Refuse before writing anything if any file is in the way.
	names := make([]string, 0, len(files))
	for p := range files {
		names = append(names, p)
	}
	sort.Strings(names)
	for _, p := range names {
		if _, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(p))); err == nil {
			return usagef("%s already exists; qms init never overwrites files", filepath.Join(dir, filepath.FromSlash(p)))
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	made, err := vcs.Init(dir)
	if err != nil {
		return err
	}
	for _, p := range names {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		if err := writeNew(full, files[p]); err != nil {
			return err
		}
	}
	what := "an empty QMS"
	if opts.example {
		what = "the example QMS"
	}
	if made {
		fmt.Fprintf(env.Stdout, "Initialized empty Git repository and %s in %s\n", what, dir)
	} else {
		fmt.Fprintf(env.Stdout, "Initialized %s in %s\n", what, dir)
	}
	fmt.Fprintf(env.Stdout, "Next: 'qms validate', 'qms hook install', then commit with a signature: git add . && git commit -S -m 'Start the QMS'\n")
	return nil
}

// initFiles returns what init writes, by slash path.
func initFiles(opts initOptions) (map[string][]byte, error) {
	files := map[string][]byte{}
	if opts.example {
		err := fs.WalkDir(qms.Example, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := fs.ReadFile(qms.Example, p)
			files[p] = b
			return err
		})
		return files, err
	}
	files[config.File] = []byte(fmt.Sprintf("# qms.yaml: marks the root of a QMS repository.\nversion: 1\ncompany: %s\n", strconv.Quote(opts.company)))
	m, err := fs.ReadFile(qms.Defaults, "templates/matrix.md")
	if err != nil {
		return nil, err
	}
	set, fs_ := schema.Load(qms.Defaults, nil)
	if len(fs_) > 0 {
		return nil, fmt.Errorf("built-in schemas: %v", fs_[0])
	}
	for _, n := range set.Names {
		k := set.Kinds[n]
		if k.File != "" {
			if n == "matrix" {
				files[k.File] = m
			}
			continue
		}
		files[path.Join(k.Folder, ".gitkeep")] = nil
	}
	files["keys/.gitkeep"] = nil
	return files, nil
}

// writeNew creates a file that must not exist yet.
func writeNew(p string, b []byte) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return usagef("%s already exists", p)
	}
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
