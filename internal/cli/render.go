package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sync"
	"time"

	"github.com/urfave/cli/v2"

	site "github.com/qms-tool/qms/internal/render"
	"github.com/qms-tool/qms/internal/vcs"
)

type renderOptions struct {
	out      string
	released bool
	public   bool
	at       string
	window   int
}

func renderCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:  "render",
		Usage: "write a static HTML site of the records",
		Description: "Writes an index, a page per kind and per record (with its signatures: printed name, role,\n" +
			"meaning, UTC time, key fingerprint, commit) and the continuity dashboard to --out. Every\n" +
			"link is relative and nothing is loaded from elsewhere: open index.html from disk.\n" +
			"With --released, each record is published as it was last approved (from history), and\n" +
			"records never approved are left out; this needs a trust root (see 'qms verify').\n" +
			"With --public, only the controlled documents marked public (document records with\n" +
			"public: true), as last approved: the site to serve at a public address, e.g. for the\n" +
			"instructions for use.\n" +
			"--out is replaced as a whole, and only when it is empty or a site qms made before.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Usage: "the folder to write the site to (required)"},
			&cli.BoolFlag{Name: "released", Usage: "publish only approved versions"},
			&cli.BoolFlag{Name: "public", Usage: "publish only the approved public documents (implies --released)"},
			&cli.StringFlag{Name: "at", Usage: "compute the dashboard as of this date (YYYY-MM-DD) instead of today"},
			&cli.IntFlag{Name: "window", Value: 30, Usage: "days ahead in which a date is due soon"},
		},
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			return runRender(c.Context, renderOptions{out: c.String("out"), released: c.Bool("released") || c.Bool("public"), public: c.Bool("public"), at: c.String("at"), window: c.Int("window")}, env)
		},
	}
}

// siteMark is the file that marks a folder as a site qms made, so that a
// later run may replace it.
const siteMark = ".qms-site"

func runRender(ctx context.Context, opts renderOptions, env *Env) error {
	defer lessGC()()
	if opts.out == "" {
		return withHint(usagef("--out is required"), "qms render --out site")
	}
	if opts.window < 1 {
		return usagef("--window must be 1 or more")
	}
	now, err := parseAt(env, opts.at)
	if err != nil {
		return err
	}
	out := filepath.Clean(absPath(env, opts.out))
	if err := replaceable(out); err != nil {
		return err
	}
	w, err := openWorkspace(env, false)
	if err != nil {
		return err
	}
	defer w.close()
	in, err := siteInput(ctx, env, w, now, opts.released)
	if err != nil {
		return err
	}
	in.Window = opts.window
	in.Public = opts.public

	// Write into a new folder next to --out, then swap it in.
	parent := filepath.Dir(out)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(out)+".tmp-")
	if err != nil {
		return err
	}
	moved := false
	defer func() {
		if !moved {
			os.RemoveAll(tmp)
		}
	}()
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	files, err := writeSite(ctx, in, tmp)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmp, siteMark), []byte("made by qms render; the whole folder is replaced on the next run\n"), 0o644); err != nil {
		return err
	}
	old := ""
	if _, err := os.Stat(out); err == nil {
		old = tmp + ".old"
		if err := os.Rename(out, old); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, out); err != nil {
		if old != "" {
			os.Rename(old, out)
		}
		return err
	}
	moved = true
	if old != "" {
		os.RemoveAll(old)
	}
	what := "the working tree"
	if in.Commit != "" {
		what = "commit " + short(in.Commit)
	}
	fmt.Fprintf(env.Stderr, "qms: wrote %d files to %s from %s\n", files, opts.out, what)
	return nil
}

// replaceable refuses to replace a folder that holds anything but a site
// qms made: --out is removed as a whole.
func replaceable(out string) error {
	ents, err := os.ReadDir(out)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return withHint(fmt.Errorf("--out %s: %w", out, err), "choose a folder for the site")
	}
	if len(ents) == 0 {
		return nil
	}
	if _, err := os.Stat(filepath.Join(out, siteMark)); err == nil {
		return nil
	}
	return withHint(usagef("--out %s is not empty and not a site qms made: it would be replaced", out), "choose a new or empty folder")
}

// writeSite writes the site's files under dir. Creating files is what
// costs most on a large site, so several are written at once.
func writeSite(ctx context.Context, in site.Input, dir string) (int, error) {
	type job struct {
		full string
		data []byte
	}
	jobs := make(chan job, 64)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				if err := os.WriteFile(j.full, j.data, 0o644); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	made := map[string]bool{}
	files := 0
	err := site.Write(ctx, in, func(name string, data []byte) error {
		mu.Lock()
		err := firstErr
		mu.Unlock()
		if err != nil {
			return err
		}
		full := filepath.Join(dir, filepath.FromSlash(path.Clean(name)))
		if d := filepath.Dir(full); !made[d] {
			if err := os.MkdirAll(d, 0o755); err != nil {
				return err
			}
			made[d] = true
		}
		files++
		jobs <- job{full, data}
		return nil
	})
	close(jobs)
	wg.Wait()
	if err == nil {
		err = firstErr
	}
	return files, err
}

// siteInput is what the site of the workspace is made from: with a trust
// root, HEAD's tree with the verified approvals ('qms verify's engine);
// without, the working tree and no signatures (a warning says so), and
// released is refused. The archive's html/ folder is made from the same
// input.
func siteInput(ctx context.Context, env *Env, w *workspace, now time.Time, released bool) (in site.Input, err error) {
	in = site.Input{FS: w.src, Kinds: w.kinds, Company: w.cfg.Company, Now: now, Released: released}
	// The records' history is one git log of the whole history: run it
	// while the history is verified, and use it if it is of the head that
	// verification ends at.
	hctx, stop := context.WithCancel(ctx)
	defer stop()
	early := make(chan headHistory, 1)
	repo, rerr := w.gitRepo() // opened here: gitRepo is not safe for concurrent first use
	go func() {
		if rerr != nil {
			early <- headHistory{err: rerr}
			return
		}
		early <- historyAtHead(hctx, repo, w)
	}()
	states, v, reason := approvalStates(env, w)
	if v == nil {
		stop()
		if released {
			return in, usagef("--released publishes approved versions only, and approvals are unknown: %s", reason)
		}
		fmt.Fprintf(env.Stderr, "qms: warning: signatures not shown: %s\n", reason)
		return in, nil
	}
	in.Approval = &site.Approval{Report: v.report, States: states, Blob: v.repo.Blob}
	in.Commit = v.report.Head
	if h := <-early; h.err == nil && h.head == v.report.Head {
		in.Approval.History = h.versions
	} else if in.Approval.History, err = recordHistory(ctx, v, w); err != nil {
		return in, err
	}
	head, err := v.repo.Commit(v.report.Head)
	if err == nil {
		// The states are those of HEAD's blobs: show HEAD's tree.
		in.FS, err = v.repo.TreeFS(head.Tree)
	}
	return in, err
}

// headHistory is the records' history at a head.
type headHistory struct {
	head     string
	versions map[string][]site.Version
	err      error
}

// historyAtHead is the records' history at HEAD.
func historyAtHead(ctx context.Context, repo *vcs.Repo, w *workspace) headHistory {
	head, err := repo.Commit("HEAD")
	if err != nil {
		return headHistory{err: err}
	}
	vs, err := versionsOf(ctx, repo, head.ID, w)
	return headHistory{head: head.ID, versions: vs, err: err}
}

// recordHistory is every record file's versions at the verified head, from
// one walk of the commit graph, for the record pages' history.
func recordHistory(ctx context.Context, v *verified, w *workspace) (map[string][]site.Version, error) {
	return versionsOf(ctx, v.repo, v.report.Head, w)
}

func versionsOf(ctx context.Context, repo *vcs.Repo, head string, w *workspace) (map[string][]site.Version, error) {
	var folders []string
	for _, n := range w.kinds.Names {
		k := w.kinds.Kinds[n]
		if k.Folder != "" {
			folders = append(folders, k.Folder)
		} else if k.File != "" {
			folders = append(folders, k.File)
		}
	}
	if len(folders) == 0 {
		return map[string][]site.Version{}, nil
	}
	vs, err := repo.Versions(ctx, head, folders...)
	if err != nil {
		return nil, fmt.Errorf("read the records' history: %w", err)
	}
	out := make(map[string][]site.Version, len(vs))
	for p, list := range vs {
		h := make([]site.Version, len(list))
		for i, x := range list {
			h[i] = site.Version{Commit: x.Commit, Time: x.Time, Blob: x.Blob}
		}
		out[p] = h
	}
	return out, nil
}
