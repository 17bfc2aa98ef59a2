package check

import (
	"testing"

	"github.com/qms-tool/qms/internal/record"
	"github.com/qms-tool/qms/internal/schema"
)

func TestHints(t *testing.T) {
	for _, tc := range []struct {
		got  any
		want string
	}{
		{"Moderate", "values are case-sensitive: write moderate"},
		{"MAJOR", "values are case-sensitive: write major"},
		{"moderat", ""},
		{int64(3), ""},
	} {
		if h := enumHint(tc.got, []string{"minimal", "moderate", "major"}); h != tc.want {
			t.Errorf("enumHint(%v) = %q, want %q", tc.got, h, tc.want)
		}
	}
	for _, tc := range []struct {
		format string
		got    any
		want   string
	}{
		{"date", "2026-13-01", "there is no month 13: write the month as 01 to 12"},
		{"date", "2026-00-10", "there is no month 0: write the month as 01 to 12"},
		{"date", "2026-02-29", "February 2026 has 28 days"},
		{"date", "2028-02-30", "February 2028 has 29 days"},
		{"date-time", "2026-04-31T10:00:00+02:00", "April 2026 has 30 days"},
		{"date", "2026-02-28", ""},
		{"date", "yesterday", ""},
		{"email", "2026-13-01", ""},
	} {
		if h := dateHint(tc.format, tc.got); h != tc.want {
			t.Errorf("dateHint(%s, %v) = %q, want %q", tc.format, tc.got, h, tc.want)
		}
	}
	secs := []schema.Sections{{Headings: []string{"Summary", "Root cause analysis", "Lessons learned"}}}
	for _, tc := range []struct {
		have, want string
	}{
		{"Root-cause analysis", "Root-cause analysis"},
		{"Root cause analysis:", "Root cause analysis:"},
		{"Rot cause analysis", "Rot cause analysis"},
		{"Root_cause_analysis", "Root_cause_analysis"},
		{"Causes", ""},
		{"Summary", ""}, // itself required: no near miss
	} {
		near, ok := nearHeading("Root cause analysis", []record.Heading{{Text: tc.have, Level: 2, Line: 9}}, secs)
		if got := near.Text; !ok && got != "" || got != tc.want {
			t.Errorf("nearHeading(%q) = %q, want %q", tc.have, got, tc.want)
		}
	}
	for _, tc := range []struct {
		body, want string
	}{
		{"", "empty"},
		{"\n\n<!-- a note\nover lines -->\n", "empty"},
		{"_Describe what happened,\nand when._\n", "guidance"},
		{"_One._\n\n*Two.*\n", "guidance"},
		{"_One._\n\nWe restored the backup.\n", ""},
		{"* a list item *", ""},
		{"- [x] done\n", ""},
	} {
		if got := sectionText(tc.body); got != tc.want {
			t.Errorf("sectionText(%q) = %q, want %q", tc.body, got, tc.want)
		}
	}
}

// FuzzFinishedBody checks that the body checks of a finished record never
// panic, whatever the body.
func FuzzFinishedBody(f *testing.F) {
	f.Add("## Summary\n\n_guidance_\n\n## Actions taken\n\n- [ ] step\n```\n- [ ] code\n```\n")
	f.Add("Summary\n=======\n\n<!-- x")
	k := &schema.Kind{Name: "incident", Sections: []schema.Sections{{Headings: []string{"Summary", "Actions taken"}}}}
	f.Fuzz(func(t *testing.T, body string) {
		r, _ := record.Parse("records/incidents/INC-2026-0001.md", []byte("---\nstatus: closed\n---\n"+body))
		if r == nil {
			return
		}
		fc := fileCheck{kind: k, rec: r}
		fc.finishedBody()
		sectionText(body)
	})
}
