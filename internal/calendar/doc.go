// Package calendar is the quality calendar: everything a QMS has due, as
// events with stable UIDs, written as an iCalendar (RFC 5545) feed.
package calendar
