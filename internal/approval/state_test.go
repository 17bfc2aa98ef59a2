package approval

import (
	"strings"
	"testing"

	"github.com/qms-tool/qms/internal/policy"
)

func TestStates(t *testing.T) {
	m := &policy.Matrix{
		Rules: []policy.Rule{{Kinds: []string{"incident"},
			Review:  policy.Signers{AnyOf: []string{"JD-003", "JD-004"}, Min: 1},
			Approve: policy.Signers{AnyOf: []string{"JD-001"}, Min: 1}}},
		SeparationOfDuties: true,
	}
	sig := func(meaning, person, blob string, roles ...string) Signature {
		return Signature{Meaning: meaning, Path: "r.md", Blob: blob, Person: person, Roles: roles}
	}
	rec := Record{Path: "r.md", Kind: "incident", Blob: "b2"}
	tests := []struct {
		name    string
		sigs    []Signature
		want    string
		missing string
	}{
		{"no signatures", nil, Draft, "review by 1 more of JD-003, JD-004; approval by 1 more of JD-001"},
		{"reviewed and approved", []Signature{sig(Review, "lucia", "b2", "JD-003"), sig(Approval, "anna", "b2", "JD-001")}, Approved, ""},
		{"stale after a change", []Signature{sig(Review, "lucia", "b1", "JD-003"), sig(Approval, "anna", "b1", "JD-001")}, Stale, ""},
		{"reviewer-only role counted as approval", []Signature{sig(Review, "lucia", "b2", "JD-003"), sig(Approval, "tobias", "b2", "JD-004")}, Draft, "approval by 1 more of JD-001"},
		{"author approving own record", []Signature{sig(Authorship, "anna", "b2", "JD-001"), sig(Review, "lucia", "b2", "JD-003"), sig(Approval, "anna", "b2", "JD-001")}, Draft, "approval by 1 more of JD-001 (not by its author)"},
		{"only reviewed", []Signature{sig(Review, "lucia", "b2", "JD-003")}, Draft, "approval by 1 more of JD-001"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := States([]Record{rec}, Evidence{Signatures: tc.sigs, Matrix: m})[0]
			if got.State != tc.want {
				t.Errorf("state = %s (%v), want %s", got.State, got.Missing, tc.want)
			}
			if tc.missing != "" && strings.Join(got.Missing, "; ") != tc.missing {
				t.Errorf("missing = %q, want %q", strings.Join(got.Missing, "; "), tc.missing)
			}
		})
	}
	// The one who wrote the content cannot approve it either.
	wrote := map[string][]string{"b2": {"anna"}}
	got := States([]Record{rec}, Evidence{Signatures: []Signature{sig(Review, "lucia", "b2", "JD-003"), sig(Approval, "anna", "b2", "JD-001")}, Authors: wrote, Matrix: m})[0]
	if got.State != Draft || !strings.Contains(strings.Join(got.Missing, ";"), "not by its author") {
		t.Errorf("writer approving own content: %+v", got)
	}
	if got := States([]Record{{Path: "s.md", Kind: "supplier"}}, Evidence{Matrix: m})[0]; got.State != Draft || !strings.Contains(got.Missing[0], "no rule in the responsibility matrix for supplier") {
		t.Errorf("kind without a rule: %+v", got)
	}
}
