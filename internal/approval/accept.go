package approval

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/qms-tool/qms/internal/config"
	"github.com/qms-tool/qms/internal/policy"
	"github.com/qms-tool/qms/internal/vcs"
)

// AcceptTrailer names a commit a governor accepts despite its failures:
// "QMS-Accept: <commit-id> <reason>".
const AcceptTrailer = "QMS-Accept"

// RuleAccept is the rule of acceptances that count for nothing.
const RuleAccept = "accept"

// AcceptLine is the trailer that accepts commit for a reason.
func AcceptLine(commit, reason string) string {
	return fmt.Sprintf("%s: %s %s", AcceptTrailer, commit, strings.Join(strings.Fields(reason), " "))
}

// acceptLine is one QMS-Accept trailer read from a message.
type acceptLine struct{ commit, reason string }

// accepts reads the QMS-Accept trailers of a commit message, from its
// trailer block only, and the values of malformed ones.
func accepts(msg string) (lines []acceptLine, malformed []string) {
	for _, t := range Trailers(msg) {
		if !strings.EqualFold(t.Token, AcceptTrailer) {
			continue
		}
		id, reason, _ := strings.Cut(t.Value, " ")
		reason = strings.TrimSpace(reason)
		if !config.IsCommitID(id) || reason == "" {
			malformed = append(malformed, t.Value)
			continue
		}
		lines = append(lines, acceptLine{commit: id, reason: reason})
	}
	return lines, malformed
}

// Exception is a commit that failed authentication and that a governor
// accepted, without rewriting history: it is listed instead of failing,
// its changes to the policy take effect, what it wrote is its acceptor's
// as much as anyone's, and it approves nothing.
type Exception struct {
	Commit   string    `json:"commit"`
	Failures []Failure `json:"failures"`
	// By and Name are the governor who accepted it; Acceptance is the
	// accepting commit, Time its signature's.
	By         string    `json:"accepted_by"`
	Name       string    `json:"name"`
	Reason     string    `json:"reason"`
	Acceptance string    `json:"acceptance"`
	Time       time.Time `json:"time"`
	// Wrote are the paths the accepted commit wrote, sorted.
	Wrote []string `json:"wrote"`
}

// checkAccepts reads what an authenticated commit accepts: an acceptance
// counts when its signer governs in the policy of every parent, and names
// an ancestor that failed. It covers that commit's own failures only, and
// makes no approval.
func (v *verifier) checkAccepts(c *vcs.Commit, j *job, fp string, signer *policy.Person, at time.Time) {
	for i, w := range j.views {
		if w.pol == nil || !w.pol.Governs(signer) {
			v.fail(c, RuleAccept, fp, signer.ID, "an acceptance is a governor's: ask a holder of a governing role to run 'qms accept'",
				"commit %s accepts %s, but %s (%s) holds no governing role in the policy of parent %s: it accepts nothing",
				short(c.ID), short(j.accepts[0].commit), signer.Name, signer.ID, short(c.Parents[i]))
			return
		}
	}
	var above map[string]bool
	for _, a := range j.accepts {
		if above == nil {
			above = v.ancestors(c.Parents)
		}
		out := v.outs[a.commit]
		switch {
		case !above[a.commit]:
			v.fail(c, RuleAccept, fp, signer.ID, "accept a commit of the history the acceptance is made on",
				"commit %s accepts %s, which is not one of its ancestors (in the history verified): it accepts nothing", short(c.ID), short(a.commit))
			continue
		case a.commit == v.cfg.Root.Commit:
			v.fail(c, RuleAccept, fp, signer.ID, "give a trust root whose commit its key signed",
				"commit %s accepts %s, the trust root: the root is what verification starts from, and no acceptance can stand in for its signature", short(c.ID), short(a.commit))
			continue
		case out == nil || len(out.Failures) == 0 && out.Excepted == nil:
			v.warn(c, RuleAccept, fp, signer.ID, "", "commit %s accepts %s, which did not fail: there is nothing to accept", short(c.ID), short(a.commit))
			continue
		}
		v.cur.Accepts = append(v.cur.Accepts, Exception{Commit: a.commit, By: signer.ID, Name: signer.Name, Reason: a.reason,
			Acceptance: c.ID, Time: at.UTC()})
	}
}

// except turns a failed commit's failures into an accepted exception.
func (v *verifier) except(j *job, ex Exception) {
	ex.Failures = v.cur.Failures
	v.cur.Failures = nil
	v.cur.Signatures = nil // an acceptance never makes an approval
	v.cur.Accepts = nil    // nor an acceptance: it covers this commit only
	v.cur.Unauthenticated = nil
	if v.cur.Authors == nil {
		v.cur.Authors = map[string][]string{}
	}
	// Who wrote it is not authenticated: its acceptor answers for it, and
	// whoever git names as its author is counted too (an author can only
	// take approvals away, under separation of duties).
	writers := []string{ex.By}
	if len(j.views) > 0 && j.views[0].pol != nil {
		if p := j.views[0].pol.ByEmail(j.c.AuthorEmail); p != nil && p.ID != ex.By {
			writers = append(writers, p.ID)
		}
	}
	ex.Wrote = make([]string, 0, len(j.written))
	for p := range j.written {
		ex.Wrote = append(ex.Wrote, p)
	}
	sort.Strings(ex.Wrote)
	v.cur.Excepted = &ex
	for _, blob := range j.written {
		for _, w := range writers {
			if !contains(v.cur.Authors[blob], w) {
				v.cur.Authors[blob] = append(v.cur.Authors[blob], w)
			}
		}
	}
}
