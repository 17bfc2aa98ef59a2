package cli

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/qms-tool/qms/internal/status"
)

// printRetest says, under a test whose last run failed, that the next due
// date is its retest, and which nonconformity the failure has.
func printRetest(w io.Writer, t status.Test) {
	if t.RetestOf == "" {
		return
	}
	nc := "no nonconformity names it yet"
	if t.Nonconformity != "" {
		nc = "nonconformity " + t.Nonconformity
	}
	fmt.Fprintf(w, "    retest of %s due within %d days of it (follow_up.retest_days); %s\n", t.RetestOf, t.RetestDays, nc)
}

// printFollowUp prints what failures, disasters and new people set in
// motion: nonconformities, plan reviews after incidents, training.
func printFollowUp(w io.Writer, r *status.Report) {
	fmt.Fprintf(w, "\nNonconformities open or unverified: %d\n", len(r.Nonconformities))
	for _, n := range r.Nonconformities {
		src := n.Source
		if n.SourceRecord != "" {
			src += " " + n.SourceRecord
		}
		ver := ""
		if n.Status == "closed" && !n.Verified {
			ver = ", NOT VERIFIED EFFECTIVE"
		}
		opened := n.Opened
		if opened == "" {
			opened = "on no valid date"
		}
		fmt.Fprintf(w, "  %s %s (%s, from %s, opened %s%s): %s\n", n.ID, n.Status, plural(len(n.Open), "open action"), src, opened, ver, n.Title)
		for _, a := range n.Open {
			fmt.Fprintf(w, "    %s %s, %s: due %s (%s): %s\n", a.ID, a.Type, a.Owner, a.Due, inDays(a.Days), stateWord(a.State))
		}
	}
	fmt.Fprintf(w, "\nPlan reviews owed after major or catastrophic incidents: %d\n", len(r.Reviews))
	for _, rv := range r.Reviews {
		fmt.Fprintf(w, "  %s %s, resolved %s: due %s (%s): %s\n", rv.Incident, rv.Level, rv.Resolved, rv.Due, inDays(rv.Days), stateWord(rv.State))
	}
	fmt.Fprintf(w, "\nTraining due: %d\n", len(r.Training))
	for _, t := range r.Training {
		what := "onboarding"
		if t.What == "plan" {
			what = fmt.Sprintf("on %s (%s)", t.Plan, strings.Join(append(slices.Clone(t.Roles), t.Duties...), ", "))
		}
		fmt.Fprintf(w, "  %s %s: due %s (%s): %s\n", t.Staff, what, t.Due, inDays(t.Days), stateWord(t.State))
	}
}
