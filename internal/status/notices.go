package status

import (
	"fmt"
	"time"

	"github.com/qms-tool/qms/internal/records"
)

// RuleNoticeOverdue is an open incident whose next notice to an audience
// is overdue by the plan's cadence.
const RuleNoticeOverdue = "notice-overdue"

// NoticeDue is the next notice an open incident owes an audience.
type NoticeDue struct {
	Incident string `json:"incident"`
	Path     string `json:"path"`
	Level    string `json:"level"`
	Audience string `json:"audience"`
	// Stage is initial until one was sent, then update.
	Stage string `json:"stage"`
	// Last is when the latest notice to the audience went out ("" when
	// none did).
	Last string `json:"last,omitempty"`
	// Due is when the next one is due, in the offset of the incident's
	// detected_at.
	Due string `json:"due"`
	// Minutes until it is due (negative when overdue).
	Minutes int    `json:"minutes"`
	State   string `json:"state"`
	// Responsible is the contact role that sends it, and Staff who holds
	// it for the incident's first service (when the plan names one).
	Responsible string `json:"responsible"`
	Staff       string `json:"staff,omitempty"`
}

// notices reports, for every incident open at the report's time, the next
// notice to each audience the plan in force at detection plans notices to
// for its level: the first within first_within_minutes of detection, then
// one every update_every_minutes after the last one sent. A notice is due
// at that minute (until its last second); from the next minute on it is
// overdue.
func (c *computation) notices(ix *records.Index) {
	now := c.o.Now
	for _, in := range ix.Incidents {
		det, ok := records.Time(in.DetectedAt)
		if !ok || det.After(now) {
			continue
		}
		if res, ok := records.Time(in.ResolvedAt); in.Status != "open" && (!ok || !res.After(now)) {
			continue
		}
		p := ix.InForce(in.DetectedAt)
		if p == nil {
			continue
		}
		for _, aud := range p.Audiences() {
			cad := p.CadenceFor(aud, in.Level)
			if cad == nil {
				continue
			}
			n := NoticeDue{Incident: in.DisplayID(), Path: in.Path, Level: in.Level, Audience: aud, Stage: "initial", Responsible: cad.Responsible}
			if len(in.Services) > 0 {
				if svc := p.Service(in.Services[0]); svc != nil {
					n.Staff = svc.Contacts[cad.Responsible]
				}
			}
			due := det.Add(time.Duration(cad.FirstWithin) * time.Minute)
			var last time.Time
			for _, x := range in.Notices {
				t, ok := records.Time(x.SentAt)
				if !ok || x.Audience != aud || t.After(now) {
					continue
				}
				if t.After(last) {
					last, n.Last = t, x.SentAt
				}
			}
			if n.Last != "" {
				n.Stage = "update"
				due = last.Add(time.Duration(cad.UpdateEvery) * time.Minute)
			}
			n.Due = due.In(det.Location()).Format(time.RFC3339)
			n.Minutes = int(due.Sub(now).Truncate(time.Minute) / time.Minute)
			n.State = OK
			if now.Truncate(time.Minute).After(due) {
				n.State = Overdue
				late := now.Sub(due).Truncate(time.Minute)
				c.r.problem(in.Path, RuleNoticeOverdue, "the %s %s notice on %s (%s) was due at %s, %s ago (%s)", aud, n.Stage, n.Incident, in.Level, n.Due,
					minutesWord(int(late/time.Minute)), cadenceWord(cad, n.Stage))
			}
			c.r.Notices = append(c.r.Notices, n)
		}
	}
}

func cadenceWord(c *records.Cadence, stage string) string {
	if stage == "initial" {
		return fmt.Sprintf("the plan asks for it within %d min of detection", c.FirstWithin)
	}
	return fmt.Sprintf("the plan asks for one every %d min until resolved", c.UpdateEvery)
}

func minutesWord(m int) string {
	if m < 60 {
		return fmt.Sprintf("%d min", m)
	}
	if m%60 == 0 {
		return fmt.Sprintf("%d h", m/60)
	}
	return fmt.Sprintf("%d h %d min", m/60, m%60)
}
