package approval

import (
	"fmt"
	"sort"
	"strings"

	"github.com/qms-tool/qms/internal/policy"
)

// Record states, computed from the signatures, never written.
const (
	Approved = "approved"
	Stale    = "stale"
	Draft    = "draft"
)

// Meanings a QMS-Sign trailer may carry.
const (
	Authorship = "authorship"
	Review     = "review"
	Approval   = "approval"
)

// Record is a record as it stands at the verified head.
type Record struct {
	Path, Kind, Blob string
}

// State is a record's approval state and the signatures behind it.
type State struct {
	Path  string `json:"path"`
	Kind  string `json:"kind"`
	Blob  string `json:"blob"`
	State string `json:"state"`
	// Signatures are those over the current content.
	Signatures []Signature `json:"signatures"`
	// Missing says what the matrix still asks for, when not approved.
	Missing []string `json:"missing,omitempty"`
	// Earlier counts signatures over earlier contents.
	Earlier int `json:"earlier_signatures,omitempty"`
}

// States computes each record's state from the authenticated signatures
// and the matrix: approved when its rule's review and approval are met by
// distinct people holding the roles (when they signed), none of them an
// author under separation of duties; stale when signatures exist only for
// earlier contents; draft otherwise.
//
// authors maps "path blob" to who wrote that content (Report.Authors);
// those who signed with the authorship meaning are authors too.
func States(records []Record, sigs []Signature, authors map[string][]string, m *policy.Matrix) []State {
	byPath := map[string][]Signature{}
	for _, s := range sigs {
		byPath[s.Path] = append(byPath[s.Path], s)
	}
	out := make([]State, 0, len(records))
	for _, r := range records {
		st := State{Path: r.Path, Kind: r.Kind, Blob: r.Blob, Signatures: []Signature{}}
		for _, s := range byPath[r.Path] {
			if s.Blob == r.Blob {
				st.Signatures = append(st.Signatures, s)
			} else {
				st.Earlier++
			}
		}
		st.Missing = missing(r, st.Signatures, authors[r.Path+" "+r.Blob], m)
		switch {
		case len(st.Missing) == 0:
			st.State = Approved
		case st.Earlier > 0 && len(st.Signatures) == 0:
			st.State = Stale
		default:
			st.State = Draft
		}
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// missing lists what the matrix rule for the record's kind still needs.
func missing(r Record, sigs []Signature, wrote []string, m *policy.Matrix) []string {
	if m == nil {
		return []string{"there is no responsibility matrix"}
	}
	rule := m.Rule(r.Kind)
	if rule == nil {
		return []string{fmt.Sprintf("no rule in the responsibility matrix for %s records", r.Kind)}
	}
	authors := map[string]bool{}
	for _, w := range wrote {
		authors[w] = true
	}
	for _, s := range sigs {
		if s.Meaning == Authorship {
			authors[s.Person] = true
		}
	}
	var out []string
	for _, need := range []struct {
		meaning string
		who     policy.Signers
	}{{Review, rule.Review}, {Approval, rule.Approve}} {
		people := map[string]bool{}
		for _, s := range sigs {
			if s.Meaning != need.meaning || !holdsAny(s.Roles, need.who.AnyOf) {
				continue
			}
			if m.SeparationOfDuties && authors[s.Person] {
				continue
			}
			people[s.Person] = true
		}
		if len(people) < need.who.Min {
			msg := fmt.Sprintf("%s by %d more of %s", need.meaning, need.who.Min-len(people), strings.Join(need.who.AnyOf, ", "))
			if m.SeparationOfDuties && len(authors) > 0 {
				msg += " (not by its author)"
			}
			out = append(out, msg)
		}
	}
	return out
}

func holdsAny(have, want []string) bool {
	for _, h := range have {
		for _, w := range want {
			if h == w {
				return true
			}
		}
	}
	return false
}
