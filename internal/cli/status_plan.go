package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/qms-tool/qms/internal/records"
	"github.com/qms-tool/qms/internal/status"
)

// printContinuity prints the parts of the status report that come from the
// plan as data: services and their contacts, the risk register, the
// notices open incidents owe, and the months below the availability
// target.
func printContinuity(w io.Writer, r *status.Report) {
	if len(r.Services) > 0 {
		fmt.Fprintf(w, "\nServices: %d\n", len(r.Services))
		for _, s := range r.Services {
			obj := fmt.Sprintf("RTO %s min, RPO %s min", status.Minutes(s.RTO), status.Minutes(s.RPO))
			if s.MTD != nil {
				obj += fmt.Sprintf(", MTD %d min", *s.MTD)
			}
			var cs []string
			for _, c := range s.Contacts {
				who := c.Staff
				switch {
				case who == "":
					who = "UNFILLED"
				case !c.Active:
					who += " (NOT ACTIVE)"
				}
				cs = append(cs, records.ContactTitle(c.Role)+" "+who)
			}
			fmt.Fprintf(w, "  %s (%s): %s\n", s.Name, obj, strings.Join(cs, ", "))
		}
	}
	if rg := r.Risks; rg != nil {
		fmt.Fprintf(w, "\nRisks: %d; reviews due: %d; without the mitigation their level needs: %d\n", rg.Total, len(rg.Due), len(rg.Unmitigated))
		for _, d := range rg.Due {
			fmt.Fprintf(w, "  %s %s (%s): last reviewed %s, review due %s: %s\n", d.ID, d.Title, d.Level, d.LastReview, d.Due, stateWord(d.State))
		}
		for _, d := range rg.Unmitigated {
			fmt.Fprintf(w, "  %s %s (%s): NO MITIGATION\n", d.ID, d.Title, d.Level)
		}
	}
	if len(r.Notices) > 0 {
		fmt.Fprintf(w, "\nNotices due on open incidents: %d\n", len(r.Notices))
		for _, n := range r.Notices {
			who := records.ContactTitle(n.Responsible)
			if n.Staff != "" {
				who += " " + n.Staff
			}
			last := "none sent yet"
			if n.Last != "" {
				last = "last sent " + n.Last
			}
			fmt.Fprintf(w, "  %s %s %s notice due %s (%s; %s, by the %s): %s\n", n.Incident, n.Audience, n.Stage, n.Due, minutesFrom(n.Minutes), last, who, stateWord(n.State))
		}
	}
	var below []string
	target := 0.0
	for _, a := range r.Availability {
		for _, m := range a.Months {
			if m.Below {
				target = m.Target
				below = append(below, fmt.Sprintf("  %-16s %s: %.3f %% (%d min down, target %g %%)", a.Service, m.Period, m.Percent, m.Down, m.Target))
			}
		}
	}
	if len(r.Availability) > 0 {
		fmt.Fprintf(w, "\nMonths below the availability target: %d", len(below))
		if target > 0 {
			fmt.Fprintf(w, " (target %g %%)", target)
		}
		fmt.Fprintln(w)
		for _, l := range below {
			fmt.Fprintln(w, l)
		}
	}
}

// minutesFrom says how far a time is from now, in minutes.
func minutesFrom(m int) string {
	switch {
	case m == 0:
		return "now"
	case m > 0:
		return fmt.Sprintf("in %d min", m)
	}
	return fmt.Sprintf("%d min ago", -m)
}
