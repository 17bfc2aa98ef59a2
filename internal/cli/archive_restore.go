package cli

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/archive"
	"github.com/qms-tool/qms/internal/archive/vault"
	"github.com/qms-tool/qms/internal/store"
)

type restoreOptions struct {
	locationOptions
	name string
	out  string
	tier string
	days int
	wait time.Duration
	key  string
}

func archiveRestoreCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "restore",
		Usage:     "get an archive back: restore it from Glacier, download, check and extract it",
		ArgsUsage: "NAME",
		Description: "Requests a Glacier restore of NAME and its signature when they are archived, waits\n" +
			"for it (with backoff, showing how long it has waited), downloads both into --out,\n" +
			"checks the SHA-256 recorded at upload, the signature and MANIFEST.sha256, and\n" +
			"extracts the archive there, refusing absolute paths, '..' and links that escape.\n" +
			"The signature is checked against --key when given, else against the key the archive\n" +
			"carries (keys/archive-signing-key.asc), which proves integrity but not who signed.\n" +
			"Exit status 1 on any mismatch.",
		Flags: append(locationFlags(),
			&cli.StringFlag{Name: "out", Usage: "the directory to download and extract into (required)"},
			&cli.StringFlag{Name: "tier", Value: "Standard", Usage: "Glacier restore tier: Expedited, Standard or Bulk"},
			&cli.IntFlag{Name: "days", Value: 7, Usage: "how many days the restored copy stays readable"},
			&cli.DurationFlag{Name: "wait", Value: 48 * time.Hour, Usage: "how long to wait for the restore before giving up"},
			&cli.StringFlag{Name: "key", Usage: "armored OpenPGP public key file the signature must verify against"},
		),
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usagef("archive restore takes one archive name, got %d", c.NArg())
			}
			o := restoreOptions{name: c.Args().First(), out: c.String("out"), tier: c.String("tier"), days: c.Int("days"), wait: c.Duration("wait"), key: c.String("key")}
			o.read(c)
			if o.out == "" {
				return usagef("archive restore needs --out DIR")
			}
			return runRestore(c.Context, o, env)
		},
	}
}

func runRestore(ctx context.Context, o restoreOptions, env *Env) error {
	tier, err := store.ParseTier(o.tier)
	if err != nil {
		return usageError{msg: err.Error()}
	}
	if err := vault.CheckLocalName(o.name); err != nil {
		return usagef("%q is not an archive name (NAME%s, as 'qms archive list' shows)", o.name, archive.Suffix)
	}
	if o.days < 1 {
		return usagef("--days must be at least 1")
	}
	var pub []byte
	if o.key != "" {
		if pub, err = os.ReadFile(absPath(env, o.key)); err != nil {
			return err
		}
	}
	ws, st, err := openLocation(ctx, env, o.locationOptions)
	if err != nil {
		return err
	}
	defer ws.close()
	out := absPath(env, o.out)
	res, err := vault.Restore(ctx, st, o.name, vault.RestoreOptions{Out: out, Days: o.days, Tier: tier, Key: pub, KeyName: o.key,
		Wait: vault.WaitOptions{Max: o.wait, Progress: restoreProgress(env, tier, o.days)}})
	if res.Downloaded {
		fmt.Fprintf(env.Stdout, "downloaded %s and its signature into %s\n", o.name, out)
	}
	if res.Signer != "" {
		fmt.Fprintf(env.Stdout, "good signature by %s (checked against %s)\n", res.Signer, res.KeyName)
	}
	if err != nil {
		return archiveError(st, err)
	}
	if len(res.Findings) > 0 {
		return restoreVerdict(env, o.name, res.Findings)
	}
	fmt.Fprintf(env.Stdout, "manifest checked, extracted into %s\n", res.Dir)
	return nil
}

// restoreProgress tells what the wait for a Glacier restore does.
func restoreProgress(env *Env, tier store.Tier, days int) func(vault.WaitEvent) {
	return func(e vault.WaitEvent) {
		switch e.Kind {
		case vault.Requested:
			fmt.Fprintf(env.Stdout, "%s: restore requested (%s tier, readable for %s)\n", e.Key, tier, plural(days, "day"))
		case vault.RequestedAgain:
			fmt.Fprintf(env.Stdout, "%s: archived again, requesting another restore\n", e.Key)
		case vault.Waiting:
			fmt.Fprintf(env.Stdout, "waiting for the restore of %s (waited %s, next look in %s)\n", plural(e.Pending, "object"), e.Waited.Round(time.Second), e.Next)
		}
	}
}

func restoreVerdict(env *Env, name string, findings []qms.Finding) error {
	if err := printFindings(env.Stdout, "text", findings, nil); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "%s: %s: do not trust this copy\n", name, plural(len(findings), "problem"))
	return errFindings
}
