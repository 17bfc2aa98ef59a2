package render

import (
	"bytes"
	"time"

	"github.com/qms-tool/qms/internal/calendar"
	"github.com/qms-tool/qms/internal/records"
)

// CalendarFile is the site's quality calendar, next to the dashboard.
const CalendarFile = "quality.ics"

// extras adds the files published next to the dashboard: the quality
// calendar (as 'qms calendar' writes it, as of the dashboard's date).
func (s *site) extras(ix *records.Index, files map[string][]byte) error {
	var b bytes.Buffer
	now := s.in.Now.UTC()
	feed := calendar.Feed{Name: s.in.Company + " quality calendar", Domain: calendar.Domain(s.in.Company),
		Stamp: time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)}
	if err := calendar.Write(&b, feed, calendar.Events(ix, s.report, 12)); err != nil {
		return err
	}
	files[CalendarFile] = b.Bytes()
	return nil
}
