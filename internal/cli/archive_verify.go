package cli

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/qms-tool/qms/internal/archive"
	"github.com/qms-tool/qms/internal/archive/vault"
	"github.com/qms-tool/qms/internal/store"
)

type archiveVerifyOptions struct {
	locationOptions
	name     string
	format   string
	readData bool
	key      string
	wait     time.Duration
}

func archiveVerifyCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "verify",
		Usage:     "check that every archive, its signature and its sidecars are kept as pushed, without a restore",
		ArgsUsage: "[NAME]",
		Description: "For each archive at the location (or just NAME), and its .asc signature: present,\n" +
			"size and SHA-256 as recorded at upload (and as the server computed them), an allowed\n" +
			"storage class, and Object Lock retention in COMPLIANCE mode at least the retention\n" +
			"period after the archived commit; and the sidecars kept beside it in an instantly\n" +
			"readable class: the signature verifies over the tag manifest, bag-info.txt is the one\n" +
			"it lists. No Glacier data is read or restored, unless --read-data: then every archive\n" +
			"is restored when needed, downloaded, hashed and checked as a BagIt bag. A directory\n" +
			"(file://) is always read whole, and said to enforce no lock. Exit status 1 when\n" +
			"anything is wrong.",
		Flags: append(locationFlags(), formatFlag(false),
			&cli.BoolFlag{Name: "read-data", Usage: "read every archive whole (restoring it from Glacier when needed) and check it"},
			&cli.StringFlag{Name: "key", Usage: "armored OpenPGP public key `FILE` the signatures must verify against"},
			&cli.DurationFlag{Name: "wait", Value: 48 * time.Hour, Usage: "with --read-data, how long to wait for a Glacier restore"}),
		Action: func(c *cli.Context) error {
			if c.NArg() > 1 {
				return usagef("archive verify takes at most one archive name, got %d", c.NArg())
			}
			var o archiveVerifyOptions
			o.read(c)
			o.name, o.format = c.Args().First(), c.String("format")
			o.readData, o.key, o.wait = c.Bool("read-data"), c.String("key"), c.Duration("wait")
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
		need.Kinds, need.Tree, need.Documents = kindPlaces(ws.kinds), commitTree(ws), commitDocuments(ws)
	}
	vo := vault.VerifyOptions{Name: o.name, Required: need, Now: env.Now(), ReadData: o.readData, Days: 1, Tier: store.Bulk,
		Wait: vault.WaitOptions{Max: o.wait, Progress: restoreProgress(env, store.Bulk, 1)}}
	if o.key != "" {
		if vo.Key, err = os.ReadFile(absPath(env, o.key)); err != nil {
			return err
		}
		vo.KeyName = o.key
	}
	res, err := vault.Verify(ctx, st, vo)
	if err != nil {
		return archiveError(st, err)
	}
	if err := printFindings(env.Stdout, o.format, res.Findings, map[string]any{"location": st.String(), "archives": res.Archives,
		"enforced": !res.Unenforced, "read_data": res.ReadData, "signed": res.Signed, "format1": res.Format1, "signers": res.Signers}); err != nil {
		return err
	}
	if o.format == "text" {
		if res.Unenforced {
			fmt.Fprintf(env.Stdout, "%s: a directory enforces no storage class and no Object Lock: the retention shown is only what qms recorded, and anyone who can write there can delete the archives\n", st)
		}
		if res.ReadData {
			fmt.Fprintf(env.Stdout, "%s: every archive read whole and hashed\n", st)
		}
		if len(res.Signers) > 0 {
			fmt.Fprintf(env.Stdout, "%s: %s checked over the tag manifests kept beside them, by %s\n", st, plural(res.Signed, "signature"), strings.Join(res.Signers, ", "))
		}
		if res.Format1 > 0 && !res.ReadData {
			fmt.Fprintf(env.Stdout, "%s: %s of format 1 (no sidecars): their signatures cover the whole archive, checked with --read-data\n", st, plural(res.Format1, "archive"))
		}
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
