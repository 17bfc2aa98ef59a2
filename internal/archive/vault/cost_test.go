package vault_test

import (
	"math"
	"testing"
	"time"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/archive/vault"
	"github.com/qms-tool/qms/internal/store"
)

func TestProject(t *testing.T) {
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	tenYears := at.AddDate(10, 0, 0)
	const gib = 1 << 30
	obj := func(c store.Class, size int64, until time.Time) store.Info {
		return store.Info{Class: c, Size: size, RetainUntil: until, LockMode: store.Compliance, Enforced: true}
	}
	months := tenYears.Sub(at).Hours() / 24 / (365.25 / 12) // 120 months, within a day
	tests := []struct {
		name      string
		objs      []store.Info
		budget    vault.Budget
		wantTotal float64
		wantRules []qms.Severity
	}{
		{"nothing stored", nil, vault.Budget{Amount: 500, Currency: "EUR", Rate: 0.9}, 0, nil},
		// 1 GiB in DEEP_ARCHIVE for ten years, plus its 32 KiB index at
		// the class's price and 8 KiB of metadata at STANDARD's.
		{"one GiB deep archive", []store.Info{obj(store.DeepArchive, gib, tenYears)}, vault.Budget{Amount: 500, Currency: "USD"},
			months * (0.00099*(1+32.0/(1<<20)) + 0.023*8.0/(1<<20)), nil},
		{"a sidecar in STANDARD", []store.Info{obj(store.Standard, 1000, tenYears)}, vault.Budget{Amount: 500, Currency: "USD"},
			months * 0.023 * 1000 / gib, nil},
		// GLACIER_IR bills at least 128 KiB.
		{"tiny in GLACIER_IR", []store.Info{obj(store.GlacierIR, 1, tenYears)}, vault.Budget{Amount: 500, Currency: "USD"},
			months * 0.004 * 128.0 / (1 << 20), nil},
		// Retention already over: the 180-day minimum of DEEP_ARCHIVE.
		{"minimum duration", []store.Info{obj(store.DeepArchive, gib, at)}, vault.Budget{},
			180 / (365.25 / 12) * (0.00099*(1+32.0/(1<<20)) + 0.023*8.0/(1<<20)), nil},
		// 400 GiB of STANDARD for ten years: about 1100 USD, over budget;
		// in EUR at 0.9 per USD.
		{"over budget", []store.Info{obj(store.Standard, 400*gib, tenYears)}, vault.Budget{Amount: 500, Currency: "EUR", Rate: 0.9},
			months * 0.023 * 400 * 0.9, []qms.Severity{qms.Error}},
		{"close to the budget", []store.Info{obj(store.Standard, 170*gib, tenYears)}, vault.Budget{Amount: 500, Currency: "USD"},
			months * 0.023 * 170, []qms.Severity{qms.Warning}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := vault.Project(tc.objs, at, vault.DefaultPrices, tc.budget)
			if math.Abs(p.Total-tc.wantTotal) > 1e-9*math.Max(1, tc.wantTotal) {
				t.Errorf("Project = %.9f, want %.9f (%+v)", p.Total, tc.wantTotal, p.Classes)
			}
			var sev []qms.Severity
			for _, f := range p.Findings {
				if f.Rule != vault.RuleBudget {
					t.Errorf("finding %+v, want rule %s", f, vault.RuleBudget)
				}
				sev = append(sev, f.Severity)
			}
			if len(sev) != len(tc.wantRules) || len(sev) > 0 && sev[0] != tc.wantRules[0] {
				t.Errorf("findings %+v, want severities %v", p.Findings, tc.wantRules)
			}
		})
	}
}
