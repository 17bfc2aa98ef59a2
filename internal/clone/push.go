package clone

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/oid"
)

// PushRef is one ref a push sets on the remote, as git tells the pre-push
// hook on its standard input.
type PushRef struct {
	// LocalRef is what is pushed (refs/heads/main, HEAD, "(delete)").
	LocalRef string
	// Local is the commit (or tag) the remote ref will name; zero when the
	// push deletes it.
	Local oid.ID
	// RemoteRef is the ref on the remote (refs/heads/main).
	RemoteRef string
	// Remote is what the remote ref names now; zero when the push creates
	// it.
	Remote oid.ID
}

// Deleted is the state of a ref that the push deletes on the remote.
const Deleted = "deleted"

// ParsePush reads the pre-push hook's standard input: one line
// "<local ref> SP <local id> SP <remote ref> SP <remote id>" per ref
// being pushed (githooks(5)); none when nothing is pushed.
func ParsePush(b []byte) ([]PushRef, error) {
	var out []PushRef
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), len(b)+1)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSuffix(sc.Text(), "\r")
		if line == "" {
			continue
		}
		f := strings.Split(line, " ")
		if len(f) != 4 || f[0] == "" || f[2] == "" {
			return nil, fmt.Errorf("pre-push line %d: %q is not '<local ref> <local id> <remote ref> <remote id>'", n, line)
		}
		local, err := oid.Parse(f[1])
		if err != nil {
			return nil, fmt.Errorf("pre-push line %d: %w", n, err)
		}
		remote, err := oid.Parse(f[3])
		if err != nil {
			return nil, fmt.Errorf("pre-push line %d: %w", n, err)
		}
		if !strings.HasPrefix(f[2], "refs/") {
			return nil, fmt.Errorf("pre-push line %d: %q is not a full ref name", n, f[2])
		}
		out = append(out, PushRef{LocalRef: f[0], Local: local, RemoteRef: f[2], Remote: remote})
	}
	return out, sc.Err()
}

// comparePush says what the push does to each ref it sets on the remote,
// whose refs are there before the push: creates it (Extra, with the
// commits new to the remote), moves it forward (Ahead), rewrites it
// (Diverged, or Behind: the remote loses commits), moves a tag (Moved), or
// deletes it (Deleted, with in Behind the commits no other ref of the
// remote will hold). has says which objects the clone holds: a remote
// commit it lacks cannot be judged (Unknown).
func comparePush(push []PushRef, there Refs, has map[oid.ID]bool, g Graph) []RefState {
	var before, after []oid.ID
	left := Refs{}
	for name, id := range there {
		left[name] = id
	}
	for _, p := range push {
		if p.Local.IsZero() {
			delete(left, p.RemoteRef)
		} else {
			left[p.RemoteRef] = p.Local
		}
	}
	for _, id := range there {
		if has[id] {
			before = append(before, id)
		}
	}
	unfetched := false // the remote will hold commits the clone lacks
	for _, id := range left {
		if has[id] {
			after = append(after, id)
		} else {
			unfetched = true
		}
	}
	missing := func(s *RefState) {
		s.State = Unknown
		s.Note = fmt.Sprintf("the remote's %s is not in this clone", s.Remote.Short())
	}
	out := []RefState{}
	for _, p := range push {
		s := RefState{Ref: p.RemoteRef, Local: p.Local, Remote: p.Remote}
		tag := strings.HasPrefix(p.RemoteRef, "refs/tags/")
		var err error
		switch {
		case p.Local.IsZero() && p.Remote.IsZero():
			continue // deleting what is not there: nothing happens
		case p.Local.IsZero():
			s.State = Deleted
			switch {
			case tag:
			case !has[p.Remote]:
				missing(&s)
			default:
				s.Behind, err = g.Unique(p.Remote, after)
				if err == nil && s.Behind > 0 && unfetched {
					// Another ref there may hold them: the clone cannot tell.
					s.State, s.Behind = Unknown, 0
					s.Note = "the remote has commits this clone has not fetched, which may hold the branch's"
				}
			}
		case p.Remote.IsZero():
			s.State = Extra
			if !tag {
				s.Ahead, err = g.Unique(p.Local, before)
			}
		case p.Local == p.Remote:
			s.State = InSync
		case tag:
			s.State = Moved
		case !has[p.Remote]:
			missing(&s)
		default:
			var a, b int
			var base oid.ID
			a, b, base, err = g.Count(p.Local, p.Remote)
			switch {
			case err != nil:
			case b == 0:
				s.State, s.Ahead = Ahead, a
			case a == 0:
				s.State, s.Behind = Behind, b
			default:
				s.State, s.Ahead, s.Behind, s.Base = Diverged, a, b, base
			}
		}
		if err != nil {
			s.State, s.Note = Unknown, err.Error()
		}
		out = append(out, s)
	}
	return out
}

// pushFindings lists what the push would take away from the remote,
// which refuses it: commits dropped by a forced push, a moved or deleted
// tag, a deleted branch whose commits no other ref keeps, a remote commit
// the clone does not have. Creating refs and moving branches forward is
// what a push is for.
func (r *Report) pushFindings(path string) []qms.Finding {
	var fs []qms.Finding
	add := func(s RefState, rule, hint, format string, a ...any) {
		fs = append(fs, qms.Finding{Path: path, Rule: rule, Severity: qms.Error,
			Message: s.Ref + ": " + fmt.Sprintf(format, a...), Hint: hint})
	}
	remote := r.Remote
	for _, s := range r.Refs {
		branch := strings.TrimPrefix(s.Ref, "refs/heads/")
		tag := strings.HasPrefix(s.Ref, "refs/tags/")
		switch s.State {
		case Diverged:
			add(s, RuleDiverged, fmt.Sprintf("'git pull --rebase %s %s' puts your commits on top of %s's; push that", remote, branch, remote),
				"the push would rewrite %s's history and drop %s from it (%s)", remote, commits(s.Behind), s.Describe("local", remote))
		case Behind:
			add(s, RuleBehind, fmt.Sprintf("'git pull %s %s' brings them back here; to undo a commit, 'git revert' it and push that", remote, branch),
				"the push would take the branch on %s back, dropping %s from it", remote, commits(s.Behind))
		case Moved:
			add(s, RuleTagMoved, "a tag names one commit for good: tag the new commit under a new name",
				"the push would move the tag on %s from %s to %s", remote, s.Remote.Short(), s.Local.Short())
		case Deleted:
			switch {
			case tag:
				add(s, RuleDelete, fmt.Sprintf("tags on %s are kept for good", remote), "the push would delete the tag on %s", remote)
			case s.Behind > 0:
				add(s, RuleDelete, fmt.Sprintf("merge it into a branch that stays on %s first", remote),
					"the push would delete the branch on %s and %s that no other branch or tag there holds", remote, commits(s.Behind))
			}
		case Unknown:
			hint := fmt.Sprintf("'git fetch %s' and look at what it holds first", remote)
			if !s.Local.IsZero() && !tag {
				hint = fmt.Sprintf("'git pull --rebase %s %s' first: someone pushed since you last fetched", remote, branch)
			}
			add(s, RuleUnknown, hint, "cannot tell what the push would drop from %s: %s", remote, s.Note)
		}
	}
	return fs
}

// commits counts commits in words.
func commits(n int) string {
	if n == 1 {
		return "1 commit"
	}
	return fmt.Sprintf("%d commits", n)
}
