package status

import (
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/check"
	"github.com/qms-tool/qms/internal/records"
	"github.com/qms-tool/qms/internal/schema"
	"github.com/qms-tool/qms/internal/testkit/testrepo"
)

// FuzzContinuity feeds untrusted plan, incident and risk files (the
// services, risk scales, communication plan, notice logs and downtime they
// declare) to the rules across records and to the report: whatever the
// files say, nothing panics or hangs, and the report's lists stay sorted
// by what they are keyed on.
func FuzzContinuity(f *testing.F) {
	ex := testrepo.Example(f)
	for _, p := range []string{"records/plans/GP-100-r4.md", "records/incidents/INC-2026-0002.md", "records/risks/RSK-0002.md"} {
		f.Add(p, ex[p].Data)
	}
	f.Add("records/plans/GP-100-r4.md", []byte("---\nid: GP-100-r4\nrisk: {likelihood: [a], impact: [], matrix: {a: [x, y]}}\ncommunication: [{audience: internal, levels: [major], first_within_minutes: -5, update_every_minutes: 0}]\nservices: {x: {contacts: {primary: [1]}}}\n---\n"))
	f.Add("records/incidents/INC-2026-0002.md", []byte("---\nid: INC-2026-0002\nlevel: major\nstatus: open\ndetected_at: 2026-11-22T00:00:00Z\ndowntime_minutes: 99999999999\nservices: [backend]\nnotices: [{sent_at: x}, 3, {audience: internal, sent_at: 2026-11-22T00:00:00Z}]\n---\n"))
	kinds, findings := schema.Load(qms.Defaults, nil)
	if len(findings) > 0 {
		f.Fatal(findings)
	}
	f.Fuzz(func(t *testing.T, p string, b []byte) {
		// (A path fs.FS cannot hold makes fstest.MapFS itself loop.)
		if !fs.ValidPath(p) || !strings.HasPrefix(p, "records/") || !strings.HasSuffix(p, ".md") || len(b) > 1<<16 {
			return
		}
		m := fstest.MapFS{}
		for k, v := range ex {
			m[k] = v
		}
		m[p] = &fstest.MapFile{Data: b}
		paths, _, err := records.List(kinds, m)
		if err != nil {
			return
		}
		es, err := records.Load(m, kinds, paths, records.Options{Check: check.File})
		if err != nil {
			return
		}
		_ = check.Entries(kinds, m, es)
		r := Compute(records.NewIndex(es), Options{Now: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC), Window: 30})
		for i := 1; i < len(r.Availability); i++ {
			if r.Availability[i-1].Service > r.Availability[i].Service {
				t.Fatalf("availability not sorted by service: %v", r.Availability)
			}
		}
	})
}
