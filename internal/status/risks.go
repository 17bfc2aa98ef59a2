package status

import (
	"slices"
	"time"

	"github.com/qms-tool/qms/internal/records"
)

// The rules of the risk register.
const (
	RuleRiskReviewOverdue = "risk-review-overdue"
	RuleRiskUnmitigated   = "risk-unmitigated"
)

// RiskRegister sums up the risk register against the scales of the plan in
// force.
type RiskRegister struct {
	// Likelihood and Impact are the plan's scales, lowest first; Counts
	// holds the number of risks in each cell, [likelihood][impact], and
	// Levels the matrix's level of each cell.
	Likelihood []string   `json:"likelihood"`
	Impact     []string   `json:"impact"`
	Counts     [][]int    `json:"counts"`
	Levels     [][]string `json:"levels"`
	Total      int        `json:"total"`
	// ReviewMonths is the plan's review cadence (0: the risks' own
	// next_review dates only).
	ReviewMonths int `json:"review_months"`
	// Due are the risks whose review is due soon or overdue.
	Due []RiskDue `json:"due"`
	// Unmitigated are the risks at a level the plan wants mitigated that
	// list no mitigation.
	Unmitigated []RiskDue `json:"unmitigated"`
}

// RiskDue is a risk needing attention.
type RiskDue struct {
	ID         string `json:"id"`
	Path       string `json:"path"`
	Title      string `json:"title"`
	Level      string `json:"level"`
	Owner      string `json:"owner"`
	LastReview string `json:"last_review"`
	Due        string `json:"due"`
	State      string `json:"state"`
}

// RiskReviewDue is when risk r is next to be reviewed: its next_review, or
// reviewMonths (the plan's cadence; 0 for none) after its last review,
// whichever comes first. ok is false when neither date is given.
func RiskReviewDue(r *records.Risk, reviewMonths int) (due time.Time, ok bool) {
	due, ok = records.Date(r.NextReview)
	if last, okLast := records.Date(r.LastReview); okLast && reviewMonths > 0 {
		if byPlan := addMonths(last, reviewMonths); !ok || byPlan.Before(due) {
			due, ok = byPlan, true
		}
	}
	return due, ok
}

// risks reports the risk register: reviews due by the risk's next_review
// or the plan's cadence (review_months after the last review), whichever
// comes first, and risks at a level to mitigate without a mitigation.
func (c *computation) risks(ix *records.Index, cur *records.Plan) {
	if len(ix.Risks) == 0 && (cur == nil || cur.Risk == nil) {
		return
	}
	reg := &RiskRegister{Due: []RiskDue{}, Unmitigated: []RiskDue{}}
	var scales *records.RiskScales
	if cur != nil && cur.Risk != nil {
		scales = cur.Risk
		reg.Likelihood, reg.Impact, reg.ReviewMonths = scales.Likelihood, scales.Impact, scales.ReviewMonths
		for _, l := range scales.Likelihood {
			reg.Counts = append(reg.Counts, make([]int, len(scales.Impact)))
			row := make([]string, len(scales.Impact))
			for j, im := range scales.Impact {
				row[j] = scales.Level(l, im)
			}
			reg.Levels = append(reg.Levels, row)
		}
	}
	for _, r := range ix.Risks {
		reg.Total++
		d := RiskDue{ID: r.DisplayID(), Path: r.Path, Title: r.Title, Level: r.Level, Owner: r.Owner, LastReview: r.LastReview}
		if scales != nil {
			i, j := slices.Index(scales.Likelihood, r.Likelihood), slices.Index(scales.Impact, r.Impact)
			if i >= 0 && j >= 0 {
				reg.Counts[i][j]++
			}
			if slices.Contains(scales.Mitigate, r.Level) && len(r.Mitigations) == 0 {
				reg.Unmitigated = append(reg.Unmitigated, d)
				c.r.problem(r.Path, RuleRiskUnmitigated, "risk %s (%s) is %s and lists no mitigation", d.ID, r.Title, r.Level)
			}
		}
		due, ok := RiskReviewDue(r, reg.ReviewMonths)
		if !ok {
			continue
		}
		d.Due = due.Format(time.DateOnly)
		if d.State, _ = c.state(due); d.State == OK {
			continue
		}
		reg.Due = append(reg.Due, d)
		if d.State == Overdue {
			c.r.problem(r.Path, RuleRiskReviewOverdue, "the review of risk %s (%s) was due on %s", d.ID, r.Title, d.Due)
		}
	}
	c.r.Risks = reg
}
