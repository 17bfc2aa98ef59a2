package records

import (
	"testing"
	"time"
)

// TestStaffActiveOn: a person is active from the start of active_from to
// the end of active_until; an unreadable date limits nothing.
func TestStaffActiveOn(t *testing.T) {
	day := time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		from, until string
		want        bool
	}{{"", "", true}, {"", "2026-03-04", true}, {"", "2026-03-03", false}, {"", "not a date", true},
		{"2026-03-04", "", true}, {"2026-03-05", "", false}} {
		t.Run(tc.from+"_"+tc.until, func(t *testing.T) {
			if got := (&Staff{ActiveFrom: tc.from, ActiveUntil: tc.until}).ActiveOn(day); got != tc.want {
				t.Errorf("ActiveOn = %v, want %v", got, tc.want)
			}
		})
	}
}
