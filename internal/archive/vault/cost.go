package vault

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"sort"
	"time"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/store"
)

// RuleBudget: the projected storage bill exceeds the prepaid budget, or
// comes close to it.
const RuleBudget = "archive-budget"

// Prices are storage prices per GB-month (GB = 2^30 bytes) in Currency.
type Prices struct {
	Currency   string
	PerGBMonth map[store.Class]float64
}

// DefaultPrices are S3's list prices in us-east-1 (USD per GB-month):
// what 'qms archive cost' assumes unless qms.yaml archive.prices says
// otherwise. Check them against the provider's current price list.
var DefaultPrices = Prices{Currency: "USD", PerGBMonth: map[store.Class]float64{
	store.DeepArchive: 0.00099,
	store.Glacier:     0.0036,
	store.GlacierIR:   0.004,
	store.Standard:    0.023,
}}

// MinimumDays is how long S3 bills an object of a class at least, even
// when it is deleted earlier.
var MinimumDays = map[store.Class]int{store.DeepArchive: 180, store.Glacier: 90, store.GlacierIR: 90}

// Per-object overhead S3 bills: a Glacier or Deep Archive object carries 32
// KiB of index at its class's price and 8 KiB of name and metadata at
// STANDARD's; a Glacier Instant Retrieval object is billed as at least 128
// KiB.
const (
	coldIndexBytes    = 32 << 10
	coldMetadataBytes = 8 << 10
	irMinimumBytes    = 128 << 10
)

// Budget is the prepaid amount the storage must be paid from. Rate
// converts the prices' currency into the budget's (budget units per price
// unit); 1 when they are the same.
type Budget struct {
	Amount   float64
	Currency string
	Rate     float64
}

// ClassCost is the projection for the objects of one storage class.
type ClassCost struct {
	Class   store.Class `json:"storage_class"`
	Objects int         `json:"objects"`
	Bytes   int64       `json:"bytes"`
	// PerGBMonth is the price assumed, in the prices' currency.
	PerGBMonth float64 `json:"price_per_gb_month"`
	// GBMonths is what is billed until each object's retention ends (at
	// least the class's minimum duration), overhead included.
	GBMonths float64 `json:"gb_months"`
	// Cost is the projected bill, in the budget's currency.
	Cost float64 `json:"cost"`
	// Monthly is what one month costs now, in the budget's currency.
	Monthly float64 `json:"monthly"`
}

// Projection is what keeping the stored objects until their retention
// ends will cost, against the budget.
type Projection struct {
	At       time.Time   `json:"at"`
	Currency string      `json:"currency"`
	Classes  []ClassCost `json:"classes"`
	Total    float64     `json:"total"`
	Monthly  float64     `json:"monthly"`
	Budget   float64     `json:"budget"`
	// Until is when the last retention ends.
	Until time.Time `json:"until"`
	// Unenforced: a directory, which bills nothing; the projection says
	// what the same objects would cost in the classes recorded.
	Unenforced bool          `json:"unenforced,omitempty"`
	Findings   []qms.Finding `json:"findings"`
}

// monthDays is the length of the average month, in days.
const monthDays = 365.25 / 12

// Project computes the bill of keeping objs (Stat's infos) from now
// until each one's retention ends, at prices p, against budget b. A
// projection above the budget is an error finding; above 80 % of it a
// warning. Objects with no retention are counted for one month.
func Project(objs []store.Info, now time.Time, p Prices, b Budget) Projection {
	rate := b.Rate
	if rate == 0 {
		rate = 1
	}
	cur := b.Currency
	if cur == "" {
		cur = p.Currency
	}
	res := Projection{At: now.UTC(), Currency: cur, Budget: b.Amount, Findings: []qms.Finding{}}
	byClass := map[store.Class]*ClassCost{}
	class := func(c store.Class) *ClassCost {
		if byClass[c] == nil {
			byClass[c] = &ClassCost{Class: c, PerGBMonth: p.PerGBMonth[c]}
		}
		return byClass[c]
	}
	const gb = float64(1 << 30)
	for _, o := range objs {
		if !o.Enforced {
			res.Unenforced = true
		}
		months := 1.0
		if o.RetainUntil.After(now) {
			months = o.RetainUntil.Sub(now).Hours() / 24 / monthDays
			if o.RetainUntil.After(res.Until) {
				res.Until = o.RetainUntil.UTC()
			}
		}
		if min := float64(MinimumDays[o.Class]) / monthDays; months < min {
			months = min
		}
		c := class(o.Class)
		c.Objects++
		c.Bytes += o.Size
		billed := float64(o.Size)
		switch o.Class {
		case store.DeepArchive, store.Glacier:
			billed += coldIndexBytes
			meta := class(store.Standard)
			meta.GBMonths += coldMetadataBytes / gb * months
			meta.Monthly += coldMetadataBytes / gb * meta.PerGBMonth * rate
		case store.GlacierIR:
			billed = math.Max(billed, irMinimumBytes)
		}
		c.GBMonths += billed / gb * months
		c.Monthly += billed / gb * c.PerGBMonth * rate
	}
	for _, c := range byClass {
		c.Cost = c.GBMonths * c.PerGBMonth * rate
		res.Classes = append(res.Classes, *c)
		res.Total += c.Cost
		res.Monthly += c.Monthly
	}
	sort.Slice(res.Classes, func(i, j int) bool { return res.Classes[i].Class < res.Classes[j].Class })
	if b.Amount > 0 {
		switch {
		case res.Total > b.Amount:
			res.Findings = append(res.Findings, qms.Finding{Path: "qms.yaml", Line: 1, Column: 1, Rule: RuleBudget, Severity: qms.Error,
				Message: fmt.Sprintf("keeping the archives until %s is projected to cost %.2f %s, more than the budget of %.2f %s",
					res.Until.Format("2006-01-02"), res.Total, cur, b.Amount, cur),
				Hint: "raise archive.budget, or keep archives in a cheaper class (DEEP_ARCHIVE)"})
		case res.Total > 0.8*b.Amount:
			res.Findings = append(res.Findings, qms.Finding{Path: "qms.yaml", Line: 1, Column: 1, Rule: RuleBudget, Severity: qms.Warning,
				Message: fmt.Sprintf("keeping the archives until %s is projected to cost %.2f %s, %.0f %% of the budget of %.2f %s",
					res.Until.Format("2006-01-02"), res.Total, cur, 100*res.Total/b.Amount, b.Amount, cur)})
		}
	}
	return res
}

// Stored lists what st keeps, with each object's metadata (Stat): what
// Project is given. A directory that does not exist yet keeps nothing.
func Stored(ctx context.Context, st store.Store) ([]store.Info, error) {
	objs, err := st.List(ctx)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	out := make([]store.Info, 0, len(objs))
	for _, ob := range objs {
		info, err := st.Stat(ctx, ob.Key)
		if err != nil {
			return nil, err
		}
		out = append(out, info)
	}
	return out, nil
}
