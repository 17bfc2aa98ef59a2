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

// Record is a record as it stands at the verified head. Kind is empty for
// a file under records/ that belongs to no kind: it can never be approved.
type Record struct {
	Path, Kind, Blob string
}

// State is a record's approval state and the signatures behind it.
type State struct {
	Path  string `json:"path"`
	Kind  string `json:"kind"`
	Blob  string `json:"blob"`
	State string `json:"state"`
	// Signatures are those over the current content, each person's each
	// meaning once (the earliest).
	Signatures []Signature `json:"signatures"`
	// Missing says what the matrix still asks for, when not approved.
	Missing []string `json:"missing,omitempty"`
	// Earlier counts signatures over earlier contents.
	Earlier int `json:"earlier_signatures,omitempty"`
}

// Evidence is what the states are computed from: the authenticated
// signatures, who wrote which content, and the matrix at head.
type Evidence struct {
	Signatures []Signature
	// Authors maps a blob to who wrote that content, at any path.
	Authors map[string][]string
	// Unauthenticated maps a blob to a failed commit that wrote it.
	Unauthenticated map[string]string
	// Matrix is nil when the matrix cannot be used; MatrixProblem says why,
	// as a sentence ("the responsibility matrix cannot be used (...)").
	Matrix        *policy.Matrix
	MatrixProblem string
}

// Evidence returns what the report says for computing states.
func (r *Report) Evidence() Evidence {
	return Evidence{Signatures: r.Signatures, Authors: r.Authors, Unauthenticated: r.Unauthenticated,
		Matrix: r.Matrix, MatrixProblem: r.MatrixProblem}
}

// States computes each record's state from the evidence: approved when its
// rule's review and approval are met by distinct people holding the roles
// (when they signed), none of them an author under separation of duties,
// and, unless the matrix allows it, nobody counted for both review and
// approval; stale when signatures exist only for earlier contents; draft
// otherwise. Anything that cannot be read (the matrix, the record's kind,
// the commit that wrote the content) makes a record draft.
func States(records []Record, e Evidence) []State {
	byPath := map[string][]Signature{}
	for _, s := range e.Signatures {
		byPath[s.Path] = append(byPath[s.Path], s)
	}
	out := make([]State, 0, len(records))
	for _, r := range records {
		st := State{Path: r.Path, Kind: r.Kind, Blob: r.Blob, Signatures: []Signature{}}
		type once struct{ person, meaning string }
		seen := map[once]bool{}
		earlier := map[string]bool{}
		for _, s := range byPath[r.Path] {
			if s.Blob != r.Blob {
				earlier[s.Person+" "+s.Meaning+" "+s.Blob] = true
				continue
			}
			k := once{s.Person, s.Meaning}
			if seen[k] {
				continue
			}
			seen[k] = true
			st.Signatures = append(st.Signatures, s)
		}
		st.Earlier = len(earlier)
		st.Missing = missing(r, st.Signatures, e)
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

// missing lists what keeps a record from being approved.
func missing(r Record, sigs []Signature, e Evidence) []string {
	m := e.Matrix
	key := r.Blob
	switch {
	case m == nil && e.MatrixProblem != "":
		return []string{e.MatrixProblem + ": no record is approved"}
	case m == nil:
		return []string{"there is no responsibility matrix"}
	case r.Kind == "":
		return []string{"it belongs to no record kind, so no rule of the matrix applies"}
	case e.Unauthenticated[key] != "":
		return []string{fmt.Sprintf("its content was written by commit %s, which failed authentication", short(e.Unauthenticated[key]))}
	}
	rule := m.Rule(r.Kind)
	if rule == nil {
		return []string{fmt.Sprintf("no rule in the responsibility matrix for %s records", r.Kind)}
	}
	authors := map[string]bool{}
	for _, w := range e.Authors[key] {
		authors[w] = true
	}
	for _, s := range sigs {
		if s.Meaning == Authorship {
			authors[s.Person] = true
		}
	}
	eligible := func(meaning string, who policy.Signers) map[string]bool {
		people := map[string]bool{}
		for _, s := range sigs {
			if s.Meaning != meaning || !holdsAny(s.Roles, who.AnyOf) {
				continue
			}
			if m.SeparationOfDuties && authors[s.Person] {
				continue
			}
			people[s.Person] = true
		}
		return people
	}
	reviewers, approvers := eligible(Review, rule.Review), eligible(Approval, rule.Approve)
	haveR, haveA := len(reviewers), len(approvers)
	both := 0
	if !m.ReviewAndApproval {
		// One person counts for the review or the approval of a content,
		// not both: give each who signed both to whichever still needs one.
		for p := range reviewers {
			if approvers[p] {
				both++
			}
		}
		rOnly, aOnly := haveR-both, haveA-both
		toR := min(both, max(0, rule.Review.Min-rOnly))
		toA := min(both-toR, max(0, rule.Approve.Min-aOnly))
		haveR, haveA = rOnly+toR, aOnly+toA
	}
	var out []string
	for _, need := range []struct {
		meaning string
		who     policy.Signers
		have    int
	}{{Review, rule.Review, haveR}, {Approval, rule.Approve, haveA}} {
		if need.have >= need.who.Min {
			continue
		}
		msg := fmt.Sprintf("%s by %d more of %s", need.meaning, need.who.Min-need.have, strings.Join(need.who.AnyOf, ", "))
		var why []string
		if m.SeparationOfDuties && len(authors) > 0 {
			why = append(why, "not by its author")
		}
		if both > 0 {
			why = append(why, "one person counts for review or approval, not both")
		}
		if len(why) > 0 {
			msg += " (" + strings.Join(why, "; ") + ")"
		}
		out = append(out, msg)
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
