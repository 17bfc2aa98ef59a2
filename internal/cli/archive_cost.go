package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/archive/vault"
	"github.com/qms-tool/qms/internal/config"
	"github.com/qms-tool/qms/internal/safefile"
	"github.com/qms-tool/qms/internal/status"
	"github.com/qms-tool/qms/internal/store"
)

type costOptions struct {
	locationOptions
	format string
}

func archiveCostCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:  "cost",
		Usage: "project the storage bill of what the location keeps against the prepaid budget",
		Description: "From HEAD requests: the bytes stored per storage class, the retention left and the\n" +
			"price per GB-month (S3's defaults, or qms.yaml archive.prices), with the 180/90-day\n" +
			"minimum durations and the per-object overhead, against archive.budget. Exit status 1\n" +
			"when the projection exceeds the budget; a warning above 80 % of it. The projection is\n" +
			"remembered for 'qms status'.",
		Flags: append(locationFlags(), formatFlag(false)),
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			var o costOptions
			o.read(c)
			o.format = c.String("format")
			if err := checkFormat(o.format, false); err != nil {
				return err
			}
			return runCost(c.Context, o, env)
		},
	}
}

// costPrices reads archive.prices and archive.budget.
func costPrices(a config.Archive) (vault.Prices, vault.Budget, error) {
	p := vault.Prices{Currency: vault.DefaultPrices.Currency, PerGBMonth: map[store.Class]float64{}}
	for c, v := range vault.DefaultPrices.PerGBMonth {
		p.PerGBMonth[c] = v
	}
	if a.Prices != nil {
		if a.Prices.Currency != "" {
			p.Currency = a.Prices.Currency
		}
		for name, v := range a.Prices.PerGBMonth {
			c, err := store.ParseClass(name)
			if err != nil {
				return p, vault.Budget{}, usagef("qms.yaml archive.prices: %v", err)
			}
			if v < 0 {
				return p, vault.Budget{}, usagef("qms.yaml archive.prices: %s is negative", name)
			}
			p.PerGBMonth[c] = v
		}
	}
	var b vault.Budget
	if a.Budget != nil {
		b = vault.Budget{Amount: a.Budget.Amount, Currency: a.Budget.Currency, Rate: a.Budget.Rate}
	}
	if b.Currency == "" {
		b.Currency = p.Currency
	}
	if !strings.EqualFold(b.Currency, p.Currency) && b.Rate <= 0 {
		return p, b, withHint(usagef("qms.yaml archive.budget is in %s, the prices in %s: say how many %s one %s is", b.Currency, p.Currency, b.Currency, p.Currency),
			"set archive.budget.rate, e.g. rate: 0.92, or give archive.prices in %s", b.Currency)
	}
	return p, b, nil
}

func runCost(ctx context.Context, o costOptions, env *Env) error {
	ws, st, err := openLocation(ctx, env, o.locationOptions)
	if err != nil {
		return err
	}
	defer ws.close()
	var a config.Archive
	if ws != nil {
		a = ws.cfg.Archive
	}
	prices, budget, err := costPrices(a)
	if err != nil {
		return err
	}
	objs, err := vault.Stored(ctx, st)
	if err != nil {
		return archiveError(st, err)
	}
	p := vault.Project(objs, env.Now(), prices, budget)
	if ws != nil {
		if repo, err := ws.gitRepo(); err == nil {
			saveCost(filepath.Join(repo.GitDir(), "qms", costFile), st.String(), p)
		}
	}
	if o.format == "json" {
		return printFindings(env.Stdout, "json", p.Findings, map[string]any{"location": st.String(), "projection": p})
	}
	w := env.Stdout
	if p.Unenforced {
		fmt.Fprintf(w, "%s: a directory bills nothing: this is what the same objects would cost in the classes recorded\n", st)
	}
	fmt.Fprintf(w, "%-13s %7s %11s %20s %12s %12s\n", "class", "objects", "stored", "price/GB-month", "GB-months", "cost "+p.Currency)
	for _, c := range p.Classes {
		fmt.Fprintf(w, "%-13s %7d %11s %20s %12.4f %12.2f\n", c.Class, c.Objects, storeBytes(c.Bytes), fmt.Sprintf("%.5f %s", c.PerGBMonth, prices.Currency), c.GBMonths, c.Cost)
	}
	until := "now"
	if !p.Until.IsZero() {
		until = p.Until.Format("2006-01-02")
	}
	fmt.Fprintf(w, "total: %.2f %s until %s (%.4f %s a month now)", p.Total, p.Currency, until, p.Monthly, p.Currency)
	if p.Budget > 0 {
		fmt.Fprintf(w, " against a budget of %.2f %s: %.1f %%", p.Budget, p.Currency, 100*p.Total/p.Budget)
	} else {
		fmt.Fprintf(w, "; no archive.budget in qms.yaml to compare with")
	}
	fmt.Fprintln(w)
	if err := printFindings(env.Stdout, "text", p.Findings, nil); err != nil {
		return err
	}
	for _, f := range p.Findings {
		if f.Severity == qms.Error {
			return errFindings
		}
	}
	return nil
}

// costFile, under .git/qms, remembers the last projection for 'qms
// status', which reads no store.
const costFile = "archive-cost.json"

type savedCost struct {
	Location   string           `json:"location"`
	Projection vault.Projection `json:"projection"`
}

func saveCost(p, location string, proj vault.Projection) {
	b, err := json.MarshalIndent(savedCost{location, proj}, "", "  ")
	if err == nil {
		os.MkdirAll(filepath.Dir(p), 0o755)
		safefile.Write(p, append(b, '\n'), 0o644)
	}
}

// archiveStatusLines are qms status's lines about the archive: the
// restoration drill (archive.drill_test) as the plan in force schedules
// it, and the budget from the last 'qms archive cost'.
func archiveStatusLines(w *workspace, rep *status.Report) []string {
	var out []string
	if id := w.cfg.Archive.DrillTest; id != "" && rep.Plan != nil {
		line := fmt.Sprintf("Archive drill: test %s is not declared in %s: add it to its tests", id, rep.Plan.ID)
		for _, t := range rep.Tests {
			if t.ID != id {
				continue
			}
			last := "never run"
			if t.Last != nil {
				last = "last run " + t.Last.Record + " on " + t.Last.Date + ", " + t.Last.Outcome
			}
			line = fmt.Sprintf("Archive drill (%s): %s; next due %s: %s", id, last, firstSet(t.NextDue, "now"), stateWord(t.State))
		}
		out = append(out, line)
	}
	if line := archiveStatusLine(w); line != "" {
		out = append(out, line)
	}
	return out
}

// archiveStatusLine is qms status's line about the archive's budget, from
// the last 'qms archive cost'; "" when it never ran.
func archiveStatusLine(w *workspace) string {
	repo, err := w.gitRepo()
	if err != nil {
		return ""
	}
	b, err := os.ReadFile(filepath.Join(repo.GitDir(), "qms", costFile))
	if err != nil {
		return ""
	}
	var s savedCost
	if json.Unmarshal(b, &s) != nil {
		return ""
	}
	p := s.Projection
	line := fmt.Sprintf("Archive cost: %.2f %s projected until %s at %s", p.Total, p.Currency, p.Until.Format("2006-01-02"), s.Location)
	if p.Budget > 0 {
		line += fmt.Sprintf(", %.1f %% of the %.2f %s budget", 100*p.Total/p.Budget, p.Budget, p.Currency)
		switch {
		case p.Total > p.Budget:
			line += ": OVER BUDGET"
		case p.Total > 0.8*p.Budget:
			line += ": close to the budget"
		}
	}
	return line + fmt.Sprintf(" (qms archive cost, %s)", p.At.Format("2006-01-02"))
}
