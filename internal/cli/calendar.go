package cli

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/qms-tool/qms/internal/calendar"
	"github.com/qms-tool/qms/internal/safefile"
	"github.com/qms-tool/qms/internal/status"
)

type calendarOptions struct {
	out            string
	at             string
	window         int
	supplierMonths int
	noCache        bool
}

func calendarCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:  "calendar",
		Usage: "write an iCalendar feed of everything due",
		Description: "Writes, as of today or --at, an iCalendar (RFC 5545) feed of what the records have due:\n" +
			"the plan's review, the next run of each test (or its retest after a failure), supplier\n" +
			"evaluations, nonconformity actions, plan reviews after major or catastrophic incidents\n" +
			"and training. Each obligation keeps its UID from run to run, so that a calendar app that\n" +
			"subscribes to the file updates events instead of adding new ones. To stdout, or --out.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Usage: "write the feed to this file (e.g. quality.ics) instead of stdout"},
			&cli.StringFlag{Name: "at", Usage: "as of this date (YYYY-MM-DD) instead of today"},
			&cli.IntFlag{Name: "window", Value: 30, Usage: "days ahead in which a date is due soon (X-QMS-STATE)"},
			&cli.IntFlag{Name: "supplier-months", Value: 12, Usage: "months between supplier evaluations"},
			&cli.BoolFlag{Name: "no-cache", Usage: "parse every record again instead of reusing .git/qms/records-cache"},
		},
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			return runCalendar(c.Context, calendarOptions{out: c.String("out"), at: c.String("at"), window: c.Int("window"),
				supplierMonths: c.Int("supplier-months"), noCache: c.Bool("no-cache")}, env)
		},
	}
}

func runCalendar(_ context.Context, opts calendarOptions, env *Env) error {
	defer lessGC()()
	if opts.window < 0 || opts.supplierMonths <= 0 {
		return usagef("--window must be 0 or more and --supplier-months more than 0")
	}
	now, err := parseAt(env, opts.at)
	if err != nil {
		return err
	}
	w, err := openWorkspace(env, false)
	if err != nil {
		return err
	}
	defer w.close()
	ix, err := loadIndex(env, w, !opts.noCache)
	if err != nil {
		return err
	}
	rep := status.Compute(ix, status.Options{Now: now, Window: opts.window, SupplierMonths: opts.supplierMonths})
	events := calendar.Events(ix, rep, opts.supplierMonths)
	var b bytes.Buffer
	feed := calendar.Feed{Name: w.cfg.Company + " quality calendar", Domain: calendar.Domain(w.cfg.Company), Stamp: time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)}
	if err := calendar.Write(&b, feed, events); err != nil {
		return err
	}
	if opts.out == "" {
		_, err := env.Stdout.Write(b.Bytes())
		return err
	}
	if err := safefile.Write(filepath.Clean(absPath(env, opts.out)), b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("--out %s: %w", opts.out, err)
	}
	fmt.Fprintf(env.Stderr, "qms: wrote %s to %s as of %s\n", plural(len(events), "event"), opts.out, rep.At)
	return nil
}
