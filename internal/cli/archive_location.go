package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/qms-tool/qms/internal/archive/vault"
	"github.com/qms-tool/qms/internal/config"
	"github.com/qms-tool/qms/internal/store"
	"github.com/qms-tool/qms/internal/store/dir"
	"github.com/qms-tool/qms/internal/store/location"
	"github.com/qms-tool/qms/internal/store/s3"
)

// archiveStores are the kinds of archive location, by URL scheme; a new
// backend is registered here.
var archiveStores = location.NewRegistry(s3.Factory(), dir.Factory())

// The archive location flags every archive subcommand but build takes.
func locationFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "to", Aliases: []string{"from"}, Usage: "the archive location: s3://bucket/prefix or file:///dir (default: archive.to in qms.yaml, else " + location.DefaultNote + ")"},
		&cli.StringFlag{Name: "endpoint", Usage: "URL of an S3-compatible server (path-style addressing); default: AWS"},
	}
}

type locationOptions struct {
	to, endpoint string
}

func (o *locationOptions) read(c *cli.Context) {
	o.to, o.endpoint = c.String("to"), c.String("endpoint")
}

// openStore opens the location named by --to, else qms.yaml, else the
// default. ws may be nil outside a QMS repository.
func openStore(ctx context.Context, env *Env, o locationOptions, ws *workspace) (store.Store, error) {
	to := o.to
	if to == "" && ws != nil {
		to = ws.cfg.Archive.To
	}
	if to == "" {
		root := ""
		if ws != nil {
			root = ws.root
		}
		var err error
		if to, err = location.Default(env.Getenv, root); err != nil {
			return nil, withHint(usagef("no archive location: --to is not given, qms.yaml has no archive.to, and HOME is not set"), "pass --to s3://bucket/prefix or --to file:///dir")
		}
	}
	st, err := archiveStores.Open(ctx, to, location.Options{Endpoint: o.endpoint})
	var bad *location.Error
	switch {
	case errors.As(err, &bad) && bad.Hint != "":
		return nil, withHint(usageError{msg: bad.Error()}, "%s", bad.Hint)
	case errors.As(err, &bad):
		return nil, usageError{msg: bad.Error()}
	}
	return st, err
}

// openLocation opens the QMS repository when there is one, then the store
// it or o names: what the commands that read a location (list, verify,
// restore) start with. The caller closes the workspace, which may be nil.
func openLocation(ctx context.Context, env *Env, o locationOptions) (*workspace, store.Store, error) {
	var ws *workspace
	if _, err := config.FindRoot(env.Dir); !errors.Is(err, config.ErrNoRoot) {
		if ws, err = openWorkspace(env, false); err != nil {
			return nil, nil, err
		}
	}
	st, err := openStore(ctx, env, o, ws)
	if err != nil {
		ws.close()
		return nil, nil, err
	}
	return ws, st, nil
}

// archiveError adds the next step to the errors of a location and of the
// vault's workflows.
func archiveError(s store.Store, err error) error {
	var conflict *vault.ConflictError
	var slow *vault.StillRestoringError
	var exists *vault.ExistsError
	switch {
	case errors.As(err, &conflict):
		return withHint(err, "an archive of this commit with other bytes is locked there: check it with 'qms archive verify %s --to %s'", conflict.Name, s)
	case errors.As(err, &slow):
		return withHint(err, "run the same command later: the restore goes on, and it is not requested twice")
	case errors.As(err, &exists):
		return withHint(err, "restore into an empty --out directory")
	case errors.Is(err, store.ErrNotFound):
		return withHint(err, "run 'qms archive list --to %s' to see what is there", s)
	case errors.Is(err, store.ErrUnreachable), errors.Is(err, context.DeadlineExceeded):
		return withHint(fmt.Errorf("%s is unreachable: %w", s, err), "check the URL, --endpoint and the network")
	case errors.Is(err, store.ErrWrongRegion):
		return withHint(err, "set AWS_REGION (or the profile's region) to the bucket's region")
	case errors.Is(err, store.ErrNoBucket):
		return withHint(err, "create the bucket with Object Lock enabled first")
	case errors.Is(err, store.ErrCredentials):
		return withHint(err, "check the AWS credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID, ~/.aws/credentials)")
	}
	return err
}
