package cli

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/qms-tool/qms/internal/archive/vault"
)

type listOptions struct {
	locationOptions
	format string
}

func archiveListCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:        "list",
		Usage:       "list the archives at a location",
		Description: "Shows each archive's size, storage class, retention and whether it can be read\nnow or needs a restore, from HEAD requests only (no Glacier data is read).",
		Flags:       append(locationFlags(), formatFlag(false)),
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			var o listOptions
			o.read(c)
			o.format = c.String("format")
			if err := checkFormat(o.format, false); err != nil {
				return err
			}
			return runList(c.Context, o, env)
		},
	}
}

func runList(ctx context.Context, o listOptions, env *Env) error {
	ws, st, err := openLocation(ctx, env, o.locationOptions)
	if err != nil {
		return err
	}
	defer ws.close()
	listed, err := vault.List(ctx, st)
	if err != nil {
		return archiveError(st, err)
	}
	if o.format == "json" {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"location": st.String(), "archives": listed})
	}
	if len(listed) == 0 {
		fmt.Fprintf(env.Stdout, "no archives at %s\n", st)
		return nil
	}
	fmt.Fprintf(env.Stdout, "%s\n", st)
	for _, l := range listed {
		sig := "signed"
		if !l.Signature {
			sig = "NO SIGNATURE"
		}
		until := "no retention"
		class := string(l.Class)
		switch {
		case !l.Enforced:
			class = "directory (no class)"
			until = "not locked (retention until " + l.RetainUntil.Format("2006-01-02") + " recorded)"
		case !l.RetainUntil.IsZero():
			until = "locked until " + l.RetainUntil.Format("2006-01-02")
		}
		fmt.Fprintf(env.Stdout, "%s  %s  %s  %s  %s  %s\n", l.Name, storeBytes(l.Size), class, until, l.State, sig)
	}
	return nil
}
