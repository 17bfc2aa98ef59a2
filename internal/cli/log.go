package cli

import (
	"context"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/qms-tool/qms/internal/approval"
)

type logOptions struct {
	path, trustRoot, format string
}

func logCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "log",
		Usage:     "a record's signed history: every signature with name, role, meaning, UTC time, key and commit",
		ArgsUsage: "PATH",
		Description: "Lists every signature over any version of the record found in the authenticated\n" +
			"history (see 'qms verify'), oldest first, marking those over the current version.",
		Flags: []cli.Flag{
			trustRootFlag(),
			formatFlag(false),
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usagef("log needs exactly one record")
			}
			return runLog(c.Context, logOptions{path: c.Args().First(), trustRoot: c.String("trust-root"), format: c.String("format")}, env)
		},
	}
}

func runLog(_ context.Context, opts logOptions, env *Env) error {
	if err := checkFormat(opts.format, false); err != nil {
		return err
	}
	w, err := openWorkspace(env, false)
	if err != nil {
		return err
	}
	defer w.close()
	v, err := verifyHistory(env, w, verifyRun{trustRoot: opts.trustRoot})
	if err != nil {
		return err
	}
	rel, err := w.rel(env, opts.path)
	if err != nil {
		return err
	}
	var state *approval.State
	for i := range v.states {
		if v.states[i].Path == rel {
			state = &v.states[i]
		}
	}
	if state == nil {
		return usagef("%s is not a committed record", opts.path)
	}
	var sigs []approval.Signature
	for _, s := range v.report.Signatures {
		if s.Path == rel {
			sigs = append(sigs, s)
		}
	}
	exceptions := []approval.Exception{}
	for _, ex := range v.report.Accepted {
		for _, p := range ex.Wrote {
			if p == rel {
				exceptions = append(exceptions, ex)
				break
			}
		}
	}
	if opts.format == "json" {
		if sigs == nil {
			sigs = []approval.Signature{}
		}
		printFindings(env.Stdout, "json", nil, map[string]any{"path": rel, "blob": state.Blob, "state": state.State,
			"signatures": sigs, "accepted": exceptions, "failures": len(v.report.Failures)})
	} else {
		fmt.Fprintf(env.Stdout, "%s: %s (blob %s)\n", rel, state.State, state.Blob)
		for _, s := range sigs {
			mark := "earlier version"
			if s.Blob == state.Blob {
				mark = "current version"
			}
			fmt.Fprintf(env.Stdout, "  %s  [%s %s]\n", manifestation(s), mark, short(s.Blob))
		}
		if len(sigs) == 0 {
			fmt.Fprintln(env.Stdout, "  no signatures")
		}
		for _, ex := range exceptions {
			fmt.Fprintf(env.Stdout, "  accepted exception: commit %s wrote this record and failed verification; %s (%s) accepted it in commit %s, %s: %s\n",
				short(ex.Commit), ex.Name, ex.By, short(ex.Acceptance), ex.Time.UTC().Format("2006-01-02 15:04:05 UTC"), ex.Reason)
		}
	}
	if n := len(v.report.Failures); n > 0 {
		fmt.Fprintf(env.Stderr, "qms: the history has %s: run 'qms verify'; signatures in those commits are not shown\n", plural(n, "authentication failure"))
		return errFindings
	}
	return nil
}
