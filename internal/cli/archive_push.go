package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/qms-tool/qms/internal/archive"
	"github.com/qms-tool/qms/internal/archive/vault"
	"github.com/qms-tool/qms/internal/config"
	"github.com/qms-tool/qms/internal/store"
)

type pushOptions struct {
	locationOptions
	class   string
	retain  string
	signKey string
}

func archivePushCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:  "push",
		Usage: "upload the signed archive of HEAD, locked for the retention period",
		Description: "Builds the archive of HEAD unless it is built already (kept in .git/qms/archive),\n" +
			"then uploads NAME.tar.gz and its signature NAME.tar.gz.asc with SHA-256 checksums,\n" +
			"in the storage class, under Object Lock retention in COMPLIANCE mode until now plus\n" +
			"the retention (10 years by default, longer for kinds listed in qms.yaml\n" +
			"archive.retain_kinds). An object already there with the same SHA-256 is not uploaded\n" +
			"again; an interrupted upload leaves nothing visible and the next run completes it.\n" +
			"The signing key comes from --sign-key FILE or QMS_SIGN_KEY=FILE, never from a file in\n" +
			"the repository.",
		Flags: append(locationFlags(),
			&cli.StringFlag{Name: "storage-class", Usage: "DEEP_ARCHIVE, GLACIER, GLACIER_IR or STANDARD (default: archive.storage_class in qms.yaml, else DEEP_ARCHIVE)"},
			&cli.StringFlag{Name: "retain", Usage: "how long to lock the archive, e.g. 10y or 10y30d (default: archive.retain in qms.yaml, else 10y)"},
			signKeyFlag(),
		),
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			var o pushOptions
			o.read(c)
			o.class, o.retain, o.signKey = c.String("storage-class"), c.String("retain"), c.String("sign-key")
			return runPush(c.Context, o, env)
		},
	}
}

func runPush(ctx context.Context, o pushOptions, env *Env) error {
	ws, err := openWorkspace(env, false)
	if err != nil {
		return err
	}
	defer ws.close()
	cfg := ws.cfg.Archive
	class, err := store.ParseClass(firstSet(o.class, cfg.StorageClass, string(store.DeepArchive)))
	if err != nil {
		return usageError{msg: err.Error()}
	}
	// The kinds' periods as build reads them; the base one from --retain,
	// else qms.yaml (a bad archive.retain is ignored when --retain is given).
	retain, kindRetain, err := archive.Retention(config.Archive{RetainKinds: cfg.RetainKinds})
	if err != nil {
		return periodError(err)
	}
	if r := firstSet(o.retain, cfg.Retain); r != "" {
		if retain, err = archive.ParsePeriod(r); err != nil {
			return usagef("retention %q: %v", r, err)
		}
	}
	st, err := openStore(ctx, env, o.locationOptions, ws)
	if err != nil {
		return err
	}
	if o.to == "" && cfg.To == "" {
		fmt.Fprintf(env.Stdout, "no archive location configured: using %s\n", st)
	}
	local, err := localArchive(ctx, env, ws, o.signKey)
	if err != nil {
		return err
	}
	defer local.Close()
	info := local.Info
	fmt.Fprintf(env.Stdout, "archive %s (%s, sha256 %s)\n", info.Name, storeBytes(info.Size), info.SHA256)
	bar := newProgressBar(env, info.Name, info.Size)
	pushed, err := vault.Push(ctx, st, local, vault.PushOptions{Class: class, Retention: retain, KindRetention: kindRetain, Now: env.Now(), Progress: bar.update})
	bar.done()
	for _, ob := range pushed.Objects {
		switch {
		case ob.PreviousFormat:
			fmt.Fprintf(env.Stdout, "%s: an archive of this commit in the previous format (1) is there already, locked: kept it ('qms archive verify --read-data' checks it)\n", ob.Key)
		case ob.KeptTheirs:
			fmt.Fprintf(env.Stdout, "%s: a signature of the same archive, made at another time, is there already: kept it\n", ob.Key)
		case ob.Uploaded:
			fmt.Fprintf(env.Stdout, "%s: uploaded to %s (%s)\n", ob.Key, st, storedAs(ob.Stored))
		default:
			fmt.Fprintf(env.Stdout, "%s: already at %s with the same SHA-256, nothing uploaded\n", ob.Key, st)
		}
		if ob.Extended {
			fmt.Fprintf(env.Stdout, "%s: COMPLIANCE retention extended to %s\n", ob.Key, pushed.Until.Format("2006-01-02"))
		}
	}
	return archiveError(st, err)
}

// storedAs says how an object is kept, as the store reports it: for S3
// the class and lock the server keeps, for a directory that nothing is
// enforced.
func storedAs(i store.Info) string {
	until := i.RetainUntil.Format("2006-01-02")
	if !i.Enforced {
		return "a directory: no storage class, no Object Lock; retention until " + until + " only recorded beside it"
	}
	if i.LockMode == "" {
		return string(i.Class) + ", NOT LOCKED: the server reports no Object Lock retention"
	}
	return fmt.Sprintf("%s, %s retention until %s", i.Class, i.LockMode, until)
}

func firstSet(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// localArchive opens the archive of HEAD in .git/qms/archive, building it
// first when it is not there.
func localArchive(ctx context.Context, env *Env, ws *workspace, signKey string) (*vault.Local, error) {
	repo, err := ws.gitRepo()
	if err != nil {
		return nil, err
	}
	desc, err := archive.Describe(ctx, repo.Root, "HEAD", "")
	if err != nil {
		return nil, withHint(fmt.Errorf("no commit to archive: %w", err), "commit the records first")
	}
	p := filepath.Join(archiveDir(repo), desc.Name)
	if archive.Built(p) {
		l, err := vault.ReadLocal(p, desc)
		var damaged *vault.DamagedError
		if errors.As(err, &damaged) {
			return nil, withHint(err, "remove it and run 'qms archive build' again")
		}
		return l, err
	}
	fmt.Fprintf(env.Stdout, "building the archive of %s\n", desc.Commit[:12])
	b, err := buildArchive(ctx, env, ws, archiveBuildOptions{signKey: signKey, commit: desc.Commit, branch: desc.Branch})
	if err != nil {
		return nil, err
	}
	return vault.OpenLocal(filepath.Join(archiveDir(repo), b.Info.Name), b.Info)
}
