package clone

import (
	"fmt"
	"sort"
	"strings"

	"github.com/qms-tool/qms/internal/oid"
)

// States of a ref compared with the reference side (origin).
const (
	InSync   = "in-sync"  // both name the same object
	Ahead    = "ahead"    // this side has commits the other lacks
	Behind   = "behind"   // this side lacks commits the other has
	Diverged = "diverged" // each side has commits the other lacks: history was rewritten
	Moved    = "moved"    // a tag names different objects
	Extra    = "extra"    // the ref is only on this side
	Absent   = "missing"  // the ref is only on the reference side
	Unknown  = "unknown"  // the refs differ and ancestry could not be worked out (Note says why)
)

// RefState is one ref compared across two sides: this one (a clone or a
// mirror) and the reference (origin).
type RefState struct {
	Ref    string `json:"ref"`
	Local  oid.ID `json:"local"`
	Remote oid.ID `json:"remote"`
	State  string `json:"state"`
	// Ahead and Behind count commits: on this side only, on the reference only.
	Ahead  int `json:"ahead"`
	Behind int `json:"behind"`
	// Base is the last common commit of diverged refs (zero when none).
	Base oid.ID `json:"base"`
	// Via is the remote-tracking ref that holds a branch this clone has no
	// local branch for.
	Via  string `json:"via,omitempty"`
	Note string `json:"note,omitempty"`
}

// OK reports whether the ref matches the reference.
func (s RefState) OK() bool { return s.State == InSync }

// nameOnly reports whether s is a branch only this side has whose every
// commit the reference holds: only its name is not backed up.
func (s RefState) nameOnly() bool {
	return s.State == Extra && s.Ahead == 0 && s.Note == "" && strings.HasPrefix(s.Ref, "refs/heads/")
}

// Graph answers ancestry questions about commits it holds.
type Graph interface {
	// Count returns how many commits are reachable from a and not b, and
	// from b and not a, and a best common ancestor (zero if none).
	Count(a, b oid.ID) (ahead, behind int, base oid.ID, err error)
	// Unique counts commits reachable from tip and from none of others.
	Unique(tip oid.ID, others []oid.ID) (int, error)
}

// Refs maps full ref names (refs/heads/main, refs/tags/v1) to object ids.
type Refs map[string]oid.ID

// Compare classifies every branch and tag of here against there. Branches
// that here holds only as remote-tracking refs (tracking maps a branch's
// full name to its refs/remotes/... ref and id) are compared through them.
// g may be nil when no ancestry is needed; then differing branches are
// Unknown.
func Compare(here, there Refs, tracking map[string]Root, g Graph) []RefState {
	names := map[string]bool{}
	for n := range here {
		names[n] = true
	}
	for n := range there {
		names[n] = true
	}
	var tips []oid.ID
	for _, id := range there {
		tips = append(tips, id)
	}
	var out []RefState
	for n := range names {
		if !strings.HasPrefix(n, "refs/heads/") && !strings.HasPrefix(n, "refs/tags/") {
			continue
		}
		l, inHere := here[n]
		r, inThere := there[n]
		s := RefState{Ref: n, Local: l, Remote: r}
		if !inHere && inThere {
			if t, ok := tracking[n]; ok {
				l, inHere, s.Local, s.Via = t.ID, true, t.ID, t.Name
			}
		}
		tag := strings.HasPrefix(n, "refs/tags/")
		switch {
		case !inThere:
			s.State = Extra
			if !tag && g != nil {
				k, err := g.Unique(l, tips)
				if err != nil {
					s.Note = err.Error()
				}
				s.Ahead = k
			}
		case !inHere:
			s.State = Absent
		case l == r:
			s.State = InSync
		case tag:
			s.State = Moved
		case g == nil:
			s.State = Unknown
		default:
			a, b, base, err := g.Count(l, r)
			switch {
			case err != nil:
				s.State, s.Note = Unknown, err.Error()
			case a > 0 && b > 0:
				s.State, s.Base = Diverged, base
			case a > 0:
				s.State = Ahead
			case b > 0:
				s.State = Behind
			default:
				s.State, s.Note = Unknown, "different commits with the same history"
			}
			s.Ahead, s.Behind = a, b
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return refLess(out[i].Ref, out[j].Ref) })
	return out
}

// refLess orders branches before tags, then by name.
func refLess(a, b string) bool {
	ta, tb := strings.HasPrefix(a, "refs/tags/"), strings.HasPrefix(b, "refs/tags/")
	if ta != tb {
		return tb
	}
	return a < b
}

// Describe says in words how the ref differs; side names this side
// ("local", "mirror"), ref the reference side ("origin").
func (s RefState) Describe(side, ref string) string {
	switch s.State {
	case InSync:
		return "in sync"
	case Ahead:
		return fmt.Sprintf("ahead by %s (not on %s)", commits(s.Ahead), ref)
	case Behind:
		return fmt.Sprintf("behind by %s", commits(s.Behind))
	case Diverged:
		base := "no common commit"
		if !s.Base.IsZero() {
			base = "last common commit " + s.Base.Short()
		}
		return fmt.Sprintf("diverged: %s only %s, %s only on %s, %s", commits(s.Ahead), onSide(side), commits(s.Behind), ref, base)
	case Moved:
		return fmt.Sprintf("tag differs from %s's", ref)
	case Extra:
		if s.Ahead > 0 {
			return fmt.Sprintf("only %s (%s not on %s)", onSide(side), commits(s.Ahead), ref)
		}
		if side == "local" && s.nameOnly() {
			return "only locally (its commits are all on " + ref + ")"
		}
		return "only " + onSide(side)
	case Absent:
		return "missing " + onSide(side)
	case Deleted:
		if strings.HasPrefix(s.Ref, "refs/tags/") {
			return "tag deleted on " + ref
		}
		if s.Behind > 0 {
			return fmt.Sprintf("deleted on %s, with %s no other ref there holds", ref, commits(s.Behind))
		}
		return "deleted on " + ref + " (its commits stay on other refs there)"
	}
	return "unknown: " + s.Note
}

func onSide(side string) string {
	if side == "local" {
		return "locally"
	}
	return "on " + side
}
