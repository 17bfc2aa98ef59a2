package clone

import (
	"fmt"
	"strings"

	"github.com/qms-tool/qms"
)

// Rules of the findings Check's reports turn into.
const (
	RuleAhead       = "clone-ahead"
	RuleBehind      = "clone-behind"
	RuleDiverged    = "clone-diverged"
	RuleTagMoved    = "clone-tag-moved"
	RuleOnlyLocal   = "clone-only-local"
	RuleMissing     = "clone-missing"
	RuleUnknown     = "clone-unknown"
	RuleObjMissing  = "clone-object-missing"
	RuleObjCorrupt  = "clone-object-corrupt"
	RuleUncommitted = "clone-uncommitted"
	RuleUntracked   = "clone-untracked"
	RuleStash       = "clone-stash"
	RuleUnreachable = "remote-unreachable"
	RuleMirror      = "mirror-" // + state: mirror-behind, mirror-diverged...
	// RuleDelete is a push deleting a tag, or a branch whose commits no
	// other ref of the remote holds.
	RuleDelete = "clone-delete"
)

// refRules names the finding of each state a clone's ref can be in.
var refRules = map[string]string{Ahead: RuleAhead, Behind: RuleBehind, Diverged: RuleDiverged, Moved: RuleTagMoved,
	Extra: RuleOnlyLocal, Absent: RuleMissing}

// Findings lists every deviation of the clone, labelled with path (the
// clone as the user named it). Uncommitted work is a warning: it is not
// backed up, but it is not a deviation of the clone from origin either; so
// is a local branch whose every commit is on the remote. Before a push
// (Options.Pushing) the refs are those being pushed, and the findings say
// what the push would take away from the remote.
func (r *Report) Findings(path string) []qms.Finding {
	var fs []qms.Finding
	add := func(rule string, sev qms.Severity, format string, a ...any) {
		fs = append(fs, qms.Finding{Path: path, Rule: rule, Severity: sev, Message: fmt.Sprintf(format, a...)})
	}
	if r.Unreachable != "" {
		add(RuleUnreachable, qms.Error, "remote %s (%s): %s", r.Remote, r.URL, r.Unreachable)
	}
	if r.pushing {
		fs = append(fs, r.pushFindings(path)...)
	}
	for _, s := range r.Refs {
		if r.pushing {
			break
		}
		if s.OK() {
			continue
		}
		rule := refRules[s.State]
		if rule == "" {
			rule = RuleUnknown
		}
		sev := qms.Error
		if s.nameOnly() {
			sev = qms.Warning
		}
		add(rule, sev, "%s: %s", s.Ref, s.Describe("local", r.Remote))
	}
	if r.Objects != nil {
		for _, m := range r.Objects.Missing {
			add(RuleObjMissing, qms.Error, "object %s is missing (referenced by %s)", m.ID, m.From)
		}
		for _, c := range r.Objects.Corrupt {
			if c.ID.IsZero() {
				add(RuleObjCorrupt, qms.Error, "%s is damaged: %s", c.Path, c.Message)
			} else {
				add(RuleObjCorrupt, qms.Error, "object %s in %s is damaged: %s", c.ID, c.Path, c.Message)
			}
		}
	}
	if w := r.Worktree; w != nil {
		if n := len(w.Staged) + len(w.Modified) + len(w.Unmerged); n > 0 {
			add(RuleUncommitted, qms.Warning, "%s not committed, so not backed up: %s", files(n),
				listSome(append(append(append([]string{}, w.Staged...), w.Modified...), w.Unmerged...)))
		}
		if n := len(w.Untracked); n > 0 {
			add(RuleUntracked, qms.Warning, "%s untracked, so not backed up: %s", files(n), listSome(w.Untracked))
		}
		if w.Stashes > 0 {
			add(RuleStash, qms.Warning, "%d stash entries are local only, so not backed up", w.Stashes)
		}
	}
	return fs
}

// Findings lists every way the mirror differs from origin.
func (m *Mirror) Findings(origin string) []qms.Finding {
	var fs []qms.Finding
	if m.Unreachable != "" {
		fs = append(fs, qms.Finding{Path: m.URL, Rule: RuleUnreachable, Severity: qms.Error, Message: "mirror: " + m.Unreachable})
	}
	for _, s := range m.Refs {
		if s.OK() {
			continue
		}
		fs = append(fs, qms.Finding{Path: m.URL, Rule: RuleMirror + s.State, Severity: qms.Error,
			Message: fmt.Sprintf("%s: %s", s.Ref, s.Describe("mirror", origin))})
	}
	return fs
}

func files(n int) string {
	if n == 1 {
		return "1 file"
	}
	return fmt.Sprintf("%d files", n)
}

func listSome(ps []string) string {
	const most = 5
	if len(ps) <= most {
		return strings.Join(ps, ", ")
	}
	return strings.Join(ps[:most], ", ") + fmt.Sprintf(" and %d more", len(ps)-most)
}
