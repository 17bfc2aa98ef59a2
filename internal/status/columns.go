package status

import (
	"time"

	"github.com/qms-tool/qms/internal/records"
)

// RunsByPath is every test record's run, keyed by the record's path, as
// the report measures it against the objectives of the plan it names (for
// the site's list of tests).
func RunsByPath(ix *records.Index) map[string]Run {
	out := map[string]Run{}
	for _, l := range runs(ix) {
		for _, r := range l {
			out[r.Path] = r
		}
	}
	return out
}

// Missed lists the objectives a run missed, in words ("" for none).
func Missed(run Run) string { return missed(run) }

// EvaluationDue is a supplier's last evaluation and when the next is due:
// months after it (12 when months is not positive), as the report counts
// it; false when the last evaluation is not a date.
func EvaluationDue(s *records.Supplier, months int) (last, due time.Time, ok bool) {
	if months <= 0 {
		months = 12
	}
	if last, ok = records.Date(s.LastEvaluated); !ok {
		return time.Time{}, time.Time{}, false
	}
	return last, addMonths(last, months), true
}

// Today is the day a report made at now is of (UTC midnight), the day
// staff activity and due dates are counted on.
func Today(now time.Time) time.Time { return dateOnly(now) }
