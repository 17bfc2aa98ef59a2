package approval

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/qms-tool/qms/internal/config"
	"github.com/qms-tool/qms/internal/policy"
	"github.com/qms-tool/qms/internal/schema"
	"github.com/qms-tool/qms/internal/signature"
	"github.com/qms-tool/qms/internal/vcs"
)

// Rules of forge merges.
const (
	RuleForge      = "forge"       // something a forge key signed that is not a merge adding nothing
	RuleForgeMerge = "forge-merge" // a warning: trailers in a forge merge count for nobody
)

// forgeVerdict is a signature made by a forge key a parent's qms.yaml
// declares.
type forgeVerdict struct {
	forge   *policy.Forge
	verdict *signature.Verdict
	err     error // the forge key's signature is refused (its dates, policy)
}

// forgeVerify tries the forge keys of a view when no staff member's key
// made the signature (staffErr wraps signature.ErrUnknownKey); nil when
// none of them did either.
func forgeVerify(sp *signature.Signed, w *view, staffErr error) *forgeVerdict {
	if len(w.forges) == 0 || !errors.Is(staffErr, signature.ErrUnknownKey) {
		return nil
	}
	el, sk := policy.ForgeKeys(w.forges)
	var verdict *signature.Verdict
	var err error
	switch sp.Kind {
	case signature.OpenPGP:
		verdict, err = signature.VerifyOpenPGP(sp.Payload, sp.Signature, el)
	case signature.SSH:
		verdict, err = signature.VerifySSH(sp.Payload, sp.Signature, sk)
	default:
		return nil
	}
	if err != nil {
		return nil
	}
	for _, f := range w.forges {
		if f.Refused == nil && f.Fingerprint == verdict.Fingerprint {
			return &forgeVerdict{forge: f, verdict: verdict}
		}
	}
	return nil
}

// forgeSigned returns the forge whose key made the commit's signature in
// the policy of every parent, or nil.
func forgeSigned(j *job, got []signedBy) *forgeVerdict {
	if len(j.forge) == 0 || len(j.forge) != len(got) {
		return nil
	}
	var first *forgeVerdict
	for i, f := range j.forge {
		if f == nil || got[i].rule != RuleUnauthorized {
			return nil
		}
		if first == nil {
			first = f
		} else if f.forge.Fingerprint != first.forge.Fingerprint {
			return nil
		}
	}
	return first
}

// checkForge judges a commit signed by a forge key: it counts only as a
// merge of two authenticated parents whose tree is their clean merge (a
// merge that adds nothing), made while the key was the forge's. Such a
// merge authors nothing and approves nothing; anything else a forge key
// signs (a squash, a rebase, a web edit, an unclean merge) is a finding
// that says what to do instead.
func (v *verifier) checkForge(c *vcs.Commit, j *job, fv *forgeVerdict) error {
	f, verdict := fv.forge, fv.verdict
	fp := verdict.Fingerprint
	at := verdict.Created
	if at.IsZero() {
		at = c.Committer
	}
	who := fmt.Sprintf("%s's forge key %s", f.Name, fp)
	if at.Before(f.From) || !f.Until.IsZero() && !at.Before(f.Until) {
		until := "on"
		if !f.Until.IsZero() {
			until = "to " + f.Until.AddDate(0, 0, -1).Format(time.DateOnly)
		}
		v.fail(c, RuleForge, fp, "", "declare the key that signed then in qms.yaml's forges, with its own dates",
			"commit %s was signed by %s at %s, outside the dates qms.yaml gives that key (%s %s)",
			short(c.ID), who, at.UTC().Format(time.RFC3339), f.From.Format(time.DateOnly), until)
		return nil
	}
	if !v.checkTime(c, j, fp, &policy.Person{ID: f.Name}, at) {
		return nil
	}
	if len(c.Parents) != 2 {
		strategy := fmt.Sprintf("a merge of %d parents", len(c.Parents))
		if len(c.Parents) == 1 {
			strategy = "a squash, a rebase or an edit made on " + f.Name + "; the commits it replaces, and their approvals, are not in the history"
		}
		v.fail(c, RuleForge, fp, "", mergeAdvice(f.Name),
			"commit %s was signed by %s: forge keys count only for merges of two authenticated parents that add nothing, and this is %s",
			short(c.ID), who, strategy)
		return nil
	}
	for _, p := range c.Parents {
		if out := v.outs[p]; out == nil || len(out.Failures) > 0 {
			v.fail(c, RuleForge, fp, "", "fix (or accept) the parent's failure first",
				"commit %s, a merge signed by %s, merges commit %s, which failed authentication: a forge merge counts only over authenticated parents",
				short(c.ID), who, short(p))
			return nil
		}
	}
	bases, err := v.mergeBases(c.Parents[0], c.Parents[1])
	if err != nil {
		return err
	}
	if len(bases) == 0 {
		bases = []string{""}
	}
	// A file both sides changed, merged line by line, is new content made
	// of both sides': it has their authors (separation of duties), and is
	// unauthenticated when one side's is.
	var derived map[string][]string
	for _, b := range bases {
		baseTree := ""
		if b != "" {
			bc, err := v.commit(v.nodes[b])
			if err != nil {
				return err
			}
			baseTree = bc.Tree
		}
		mc, err := v.h.CleanMerge(c.Tree, baseTree, j.parents[0].Tree, j.parents[1].Tree)
		if err != nil && !errors.Is(err, vcs.ErrMalformedTree) {
			return err
		}
		if !mc.Clean || err != nil {
			path := mc.Path
			if err != nil {
				path = err.Error()
			}
			v.fail(c, RuleForge, fp, "", "merge the branch yourself and sign the merge (git merge --no-ff -S), or have a governor accept this one: qms accept "+short(c.ID)+" --reason '...'",
				"commit %s, a merge signed by %s, is not the clean merge of its parents: %s is as neither of them has it, or both changed it in ways whose lines do not merge cleanly (an unclean merge, or a change made in the merge)",
				short(c.ID), who, path)
			return nil
		}
		for _, lm := range mc.LineMerged {
			if governedPath(lm.Path, j.own.kinds) {
				v.fail(c, RuleForge, fp, "", "merge the branch yourself and have a governor sign the merge (git merge --no-ff -S)",
					"commit %s, a merge signed by %s, merges the lines of %s, which both sides changed: it is part of the signing policy, and a policy made of two changes needs a governor's signature, not a forge's",
					short(c.ID), who, lm.Path)
				return nil
			}
			if derived == nil {
				derived = map[string][]string{}
			}
			for _, src := range []string{lm.Ours, lm.Theirs} {
				if !contains(derived[lm.Merged], src) {
					derived[lm.Merged] = append(derived[lm.Merged], src)
				}
			}
		}
	}
	v.cur.Derived = derived
	if len(j.own.pol.Governors(at)) == 0 && j.own.polErr == nil {
		v.fail(c, RuleLockout, fp, "", "keep at least one active governor with a valid key, and a usable matrix, in every change",
			"commit %s, a merge signed by %s, leaves no active staff member with a governing role and a usable key", short(c.ID), who)
		return nil
	}
	if len(j.signs)+len(j.malformed) > 0 {
		v.warn(c, RuleForgeMerge, fp, "", "sign approvals with 'qms approve', as a person",
			"commit %s, a merge signed by %s, carries %s trailers: a forge signs for no person, so they count for nobody", short(c.ID), who, Trailer)
	}
	// The merge adds nothing: it authors nothing and approves nothing. The
	// policy it hands on is its tree's, the combination of its parents'
	// policies, when each parent's tree holds the policy in force there
	// (every change in it was governed on its own branch); a parent that
	// carries a refused change in its tree keeps it without effect: the
	// forge is no governor, and cannot put it in force.
	v.cur.Fingerprint = fp
	v.cur.Forge = f.Name
	if j.own.governed != j.views[0].governed || j.own.governed != j.views[1].governed {
		for i, w := range j.views {
			if w.governed != j.ownViews[i].governed {
				e, err := v.effectiveOf(c.Parents[i])
				if err != nil {
					return err
				}
				v.cur.Inherit, v.cur.InertFrom = true, e.inertFrom
				if v.cur.InertFrom == "" {
					v.cur.InertFrom = c.Parents[i]
				}
				return nil
			}
		}
	}
	return nil
}

// mergeAdvice says how a forge's users keep their approvals.
func mergeAdvice(forge string) string {
	switch strings.ToLower(forge) {
	case "github":
		return "merge pull requests with a merge commit (Settings > General > Pull Requests: allow merge commits only), or fast-forward them from a clone; a squash or a rebase makes new commits that the branch's approvals do not sign"
	case "gitlab":
		return "use the merge method 'Merge commit' (or fast-forward from a clone) and leave 'Squash commits' off; a squash or a rebase makes new commits that the branch's approvals do not sign"
	}
	return "merge with a merge commit, or fast-forward from a clone: a squash or a rebase makes new commits that the branch's approvals do not sign"
}

// mergeBases returns the best common ancestors of a and b in the verified
// history: the common ancestors that are not ancestors of another one.
func (v *verifier) mergeBases(a, b string) ([]string, error) {
	inA := v.ancestors([]string{a})
	inB := v.ancestors([]string{b})
	var common []string
	for id := range inB {
		if inA[id] {
			common = append(common, id)
		}
	}
	var parents []string
	for _, id := range common {
		if n := v.nodes[id]; n != nil && id != v.cfg.Root.Commit {
			parents = append(parents, n.parents...)
		}
	}
	dominated := v.ancestors(parents)
	var best []string
	for _, id := range common {
		if !dominated[id] {
			best = append(best, id)
		}
	}
	sort.Strings(best)
	return best, nil
}

// ancestors returns the commits reachable from ids (themselves included)
// in the verified history.
func (v *verifier) ancestors(ids []string) map[string]bool {
	seen := map[string]bool{}
	stack := append([]string(nil), ids...)
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		n := v.nodes[id]
		if seen[id] || n == nil {
			continue
		}
		seen[id] = true
		if id == v.cfg.Root.Commit {
			continue
		}
		stack = append(stack, n.parents...)
	}
	return seen
}

// forgeCommitter names the forge a commit's committer is, by the name the
// commit's (or a parent's) qms.yaml gives a forge ("GitHub <noreply@github.com>" for
// GitHub), or "": only to word a hint, never to decide.
func (v *verifier) forgeCommitter(c *vcs.Commit, j *job) string {
	name, _, _ := strings.Cut(c.CommitterName, " <")
	for _, w := range append([]*view{j.own}, j.views...) {
		if w == nil {
			continue
		}
		for _, f := range w.forges {
			if strings.EqualFold(strings.TrimSpace(name), f.Name) {
				return f.Name
			}
		}
	}
	return ""
}

// governedPath says whether a path is part of the signing policy a tree
// states: qms.yaml, keys/, schema/, the staff records and the matrix.
func governedPath(p string, kinds *schema.Set) bool {
	if p == config.File || strings.HasPrefix(p, "keys/") || strings.HasPrefix(p, schema.Dir+"/") {
		return true
	}
	if kinds == nil {
		return true // no kinds: nothing tells a record from the policy
	}
	if k := kinds.Kinds["staff"]; k != nil && k.Folder != "" && strings.HasPrefix(p, strings.TrimSuffix(k.Folder, "/")+"/") {
		return true
	}
	if k := kinds.Kinds["matrix"]; k != nil && k.File != "" && p == k.File {
		return true
	}
	return false
}
