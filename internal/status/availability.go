package status

import (
	"time"

	"github.com/qms-tool/qms/internal/records"
)

// Availability is a service's availability per calendar month (UTC) and
// year, from the unplanned downtime of its incidents (planned maintenance
// left out), against the target of the plan in force at the end of each
// period (or on the report's date for the current one).
type Availability struct {
	Service string   `json:"service"`
	Months  []Period `json:"months"`
	Years   []Period `json:"years"`
}

// Period is a month (YYYY-MM) or year (YYYY) of a service's availability.
// The current period counts up to the report's date.
type Period struct {
	Period string `json:"period"`
	// Minutes is the length of the period counted, Down the unplanned
	// downtime within it.
	Minutes int     `json:"minutes"`
	Down    int     `json:"downtime_minutes"`
	Percent float64 `json:"percent"`
	// Target is the plan's availability (0 when no plan in force sets
	// one); Below is true when Percent is under it.
	Target float64 `json:"target"`
	Plan   string  `json:"plan,omitempty"`
	Below  bool    `json:"below_target"`
}

// AvailabilityMonths is how many calendar months back (the current one
// included) the report computes availability for.
const AvailabilityMonths = 12

type outage struct{ from, to time.Time }

// availability computes, for every service the plan in force sets
// objectives for, the last AvailabilityMonths calendar months and the
// calendar years they touch. Downtime starts at detection and lasts
// downtime_minutes; incidents marked planned_maintenance are left out.
func (c *computation) availability(ix *records.Index, cur *records.Plan) {
	if cur == nil {
		return
	}
	end := c.o.Now.UTC()
	down := map[string][]outage{}
	for _, in := range ix.Incidents {
		det, ok := records.Time(in.DetectedAt)
		if in.Planned || !ok || in.Downtime == nil || *in.Downtime <= 0 {
			continue
		}
		o := outage{det.UTC(), det.UTC().Add(time.Duration(*in.Downtime) * time.Minute)}
		for _, svc := range in.Services {
			down[svc] = append(down[svc], o)
		}
	}
	first := time.Date(end.Year(), end.Month()-AvailabilityMonths+1, 1, 0, 0, 0, 0, time.UTC)
	for _, svc := range cur.Services() {
		a := Availability{Service: svc, Months: []Period{}, Years: []Period{}}
		for m := first; m.Before(end); m = m.AddDate(0, 1, 0) {
			a.Months = append(a.Months, c.period(ix, svc, down[svc], m, m.AddDate(0, 1, 0), m.Format("2006-01")))
		}
		for y := first.Year(); y <= end.Year(); y++ {
			from := time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
			a.Years = append(a.Years, c.period(ix, svc, down[svc], from, from.AddDate(1, 0, 0), from.Format("2006")))
		}
		c.r.Availability = append(c.r.Availability, a)
	}
}

// period measures [from, to), cut at the report's time.
func (c *computation) period(ix *records.Index, svc string, outs []outage, from, to time.Time, name string) Period {
	now := c.o.Now.UTC()
	if to.After(now) {
		to = now
	}
	p := Period{Period: name, Minutes: int(to.Sub(from) / time.Minute)}
	var spans []outage
	for _, o := range outs {
		a, b := o.from, o.to
		if a.Before(from) {
			a = from
		}
		if b.After(to) {
			b = to
		}
		if a.Before(b) {
			spans = append(spans, outage{a, b})
		}
	}
	p.Down = int(union(spans) / time.Minute)
	if p.Minutes > 0 {
		p.Percent = 100 * float64(p.Minutes-p.Down) / float64(p.Minutes)
	}
	// The plan in force on the period's last day counted.
	if pl := ix.InForce(to.Add(-time.Nanosecond).Format(time.DateOnly)); pl != nil && pl.Availability > 0 {
		if _, ok := pl.Objectives[svc]; ok {
			p.Target, p.Plan = pl.Availability, pl.DisplayID()
			p.Below = p.Minutes > 0 && p.Percent < p.Target
		}
	}
	return p
}

// union is the total length of the spans, overlaps counted once (validate
// reports overlapping downtime; a report still counts a minute once).
func union(spans []outage) time.Duration {
	for i := 1; i < len(spans); i++ { // insertion sort: spans are few
		for j := i; j > 0 && spans[j].from.Before(spans[j-1].from); j-- {
			spans[j], spans[j-1] = spans[j-1], spans[j]
		}
	}
	var total time.Duration
	var cur outage
	for i, s := range spans {
		switch {
		case i == 0:
			cur = s
		case !s.from.After(cur.to):
			if s.to.After(cur.to) {
				cur.to = s.to
			}
		default:
			total += cur.to.Sub(cur.from)
			cur = s
		}
	}
	if len(spans) > 0 {
		total += cur.to.Sub(cur.from)
	}
	return total
}
