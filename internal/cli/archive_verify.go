package cli

import (
	"context"
	"fmt"
	"io/fs"

	"github.com/urfave/cli/v2"

	"github.com/qms-tool/qms/internal/archive"
	"github.com/qms-tool/qms/internal/archive/vault"
)

type archiveVerifyOptions struct {
	locationOptions
	name   string
	format string
}

func archiveVerifyCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "verify",
		Usage:     "check that every archive and its signature are kept as pushed, without reading them",
		ArgsUsage: "[NAME]",
		Description: "For each archive at the location (or just NAME), and its .asc signature: present,\n" +
			"size and SHA-256 as recorded at upload (and as the server computed them), an allowed\n" +
			"storage class, and Object Lock retention in COMPLIANCE mode at least the retention\n" +
			"period after the archived commit. Uses HEAD requests only: no Glacier data is read\n" +
			"or restored. Exit status 1 when anything is wrong.",
		Flags: append(locationFlags(), formatFlag(false)),
		Action: func(c *cli.Context) error {
			if c.NArg() > 1 {
				return usagef("archive verify takes at most one archive name, got %d", c.NArg())
			}
			var o archiveVerifyOptions
			o.read(c)
			o.name, o.format = c.Args().First(), c.String("format")
			if err := checkFormat(o.format, false); err != nil {
				return err
			}
			return runArchiveVerify(c.Context, o, env)
		},
	}
}

func runArchiveVerify(ctx context.Context, o archiveVerifyOptions, env *Env) error {
	if o.name != "" {
		if err := vault.CheckName(o.name); err != nil {
			return usageError{msg: err.Error()}
		}
	}
	ws, st, err := openLocation(ctx, env, o.locationOptions)
	if err != nil {
		return err
	}
	defer ws.close()
	var need vault.Required
	if ws != nil {
		if need.Retention, need.KindRetention, err = archive.Retention(ws.cfg.Archive); err != nil {
			return periodError(err)
		}
		need.Kinds, need.Tree = kindPlaces(ws.kinds), commitTree(ws)
	}
	res, err := vault.Verify(ctx, st, vault.VerifyOptions{Name: o.name, Required: need, Now: env.Now()})
	if err != nil {
		return archiveError(st, err)
	}
	if err := printFindings(env.Stdout, o.format, res.Findings, map[string]any{"location": st.String(), "archives": res.Archives}); err != nil {
		return err
	}
	if o.format == "text" {
		if len(res.Findings) == 0 {
			fmt.Fprintf(env.Stdout, "%s: every archive and signature kept as pushed (%s)\n", st, plural(res.Archives, "archive"))
		} else {
			fmt.Fprintf(env.Stdout, "%s: %s in %s\n", st, plural(len(res.Findings), "problem"), plural(res.Archives, "archive"))
		}
	}
	if len(res.Findings) > 0 {
		return errFindings
	}
	return nil
}

// commitTree reads the files of a commit of the workspace's repository.
func commitTree(ws *workspace) func(commit string) (fs.FS, error) {
	return func(commit string) (fs.FS, error) {
		repo, err := ws.gitRepo()
		if err != nil {
			return nil, err
		}
		c, err := repo.Commit(commit)
		if err != nil {
			return nil, err
		}
		return repo.TreeFS(c.Tree)
	}
}
