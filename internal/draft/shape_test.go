package draft

import (
	"strings"
	"testing"

	"github.com/qms-tool/qms/internal/record"
)

func TestTemplateShape(t *testing.T) {
	const body = "\n<!-- Set the recovery `objectives` per service,\ne.g. `backend: {rto_minutes: 120, rpo_minutes: 30}`, the `tests`,\ne.g. `{id: T01, name: Failover, every_months: 12}`, and `activators`. -->\n"
	for _, tc := range []struct {
		name, front, key, want string
	}{
		{"an empty mapping takes the guidance's example", "objectives: {}\n", "objectives", "'{backend: {rto_minutes: 120, rpo_minutes: 30}}'"},
		{"an empty list of mappings", "tests: []\n", "tests", "'[{id: T01, name: Failover, every_months: 12}]'"},
		{"no example for the field", "activators: []\n", "activators", ""},
		{"the template's items, empty texts named", "actions:\n  - {id: A1, description: \"\", owner: tmeier}\n", "actions", "'[{id: A1, description: DESCRIPTION, owner: tmeier}]'"},
		{"a scalar", "title: \"\"\n", "title", ""},
		{"no field", "title: x\n", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := "---\n" + tc.front + "---\n" + body
			r, _ := record.Parse("x.md", []byte(src))
			if got := templateShape(strings.Split(src, "\n"), r, tc.key); got != tc.want {
				t.Errorf("templateShape(%q) = %q, want %q", tc.key, got, tc.want)
			}
		})
	}
}
