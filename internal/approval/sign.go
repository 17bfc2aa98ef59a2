package approval

import (
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"time"

	"github.com/qms-tool/qms/internal/config"
	"github.com/qms-tool/qms/internal/policy"
	"github.com/qms-tool/qms/internal/vcs"
)

// Trailer binds a signature's meaning to a record's blob:
// "QMS-Sign: <meaning> <path> <blob-id>".
const Trailer = "QMS-Sign"

// Meanings a QMS-Sign trailer may carry (21 CFR 11.50(a)(3)).
const (
	Authorship = "authorship"
	Review     = "review"
	Approval   = "approval"
)

// Meanings lists the meanings in the order people read them.
var Meanings = []string{Authorship, Review, Approval}

// SignLine is the trailer that signs a record's blob with a meaning.
func SignLine(meaning, path, blob string) string {
	return fmt.Sprintf("%s: %s %s %s", Trailer, meaning, path, blob)
}

// Sign is one QMS-Sign trailer read from a message.
type Sign struct {
	Meaning, Path, Blob string
}

// Signs reads the QMS-Sign trailers of a commit message, from its trailer
// block only (see Trailers), and returns the well-formed ones and the
// values of the malformed ones.
func Signs(msg string) (signs []Sign, malformed []string) {
	for _, t := range Trailers(msg) {
		if !strings.EqualFold(t.Token, Trailer) {
			continue
		}
		f := strings.Fields(t.Value)
		if len(f) != 3 || !isMeaning(f[0]) || !fs.ValidPath(f[1]) || f[1] == "." || !config.IsCommitID(f[2]) {
			malformed = append(malformed, t.Value)
			continue
		}
		signs = append(signs, Sign{Meaning: f[0], Path: f[1], Blob: f[2]})
	}
	return signs, malformed
}

func isMeaning(m string) bool {
	for _, x := range Meanings {
		if m == x {
			return true
		}
	}
	return false
}

// signLines counts the lines anywhere in msg that look like QMS-Sign
// trailers, to tell those outside the trailer block.
func signLines(msg string) int {
	n := 0
	for _, line := range strings.Split(msg, "\n") {
		tok, _, ok := strings.Cut(strings.TrimSpace(line), ":")
		if ok && strings.EqualFold(strings.TrimSpace(tok), Trailer) {
			n++
		}
	}
	return n
}

// collectSignatures reads the QMS-Sign trailers of an authenticated commit.
// They count only when the commit's author is its signer: an approval
// rebased or re-signed by someone else (git rebase -S, a forge's "rebase
// and merge") carries another person's trailers under the re-signer's
// key, and counts for nobody.
func (v *verifier) collectSignatures(c *vcs.Commit, j *job, signer, author *policy.Person, fp string, at time.Time) {
	signs, malformed := j.signs, j.malformed
	if outside := signLines(c.Message) - len(signs) - len(malformed); outside > 0 {
		v.warn(c, RuleNotTrailer, fp, signer.ID, "a signature is a trailer in the message's last paragraph, as 'qms approve' writes it",
			"commit %s has %d QMS-Sign line(s) outside its trailer block: they are no signatures", short(c.ID), outside)
	}
	if len(signs)+len(malformed) == 0 {
		return
	}
	if n := len(signs) + len(malformed); n > MaxSignatures {
		v.fail(c, RuleTrailer, fp, signer.ID, "sign at most 10,000 records in one commit",
			"commit %s carries %d QMS-Sign trailers, more than %d: none of them counts", short(c.ID), n, MaxSignatures)
		return
	}
	if len(malformed) > 0 {
		more := ""
		if len(malformed) > 1 {
			more = fmt.Sprintf(" (and %d more)", len(malformed)-1)
		}
		v.fail(c, RuleTrailer, fp, signer.ID, "write trailers with 'qms approve'",
			"commit %s: malformed %s trailer %q%s (want: meaning path blob-id, meaning one of %s)", short(c.ID), Trailer, malformed[0], more, strings.Join(Meanings, ", "))
	}
	if author == nil || author.ID != signer.ID {
		who := c.Author
		if author != nil {
			who = fmt.Sprintf("%s (%s)", author.Name, author.ID)
		}
		v.warn(c, RuleResigned, fp, signer.ID, "an approval counts only as its author made and signed it: the author signs again with 'qms approve'",
			"commit %s was authored by %s but signed by %s (%s) with key %s: its %d signature(s) count for nobody (a rebased or re-signed approval)",
			short(c.ID), who, signer.Name, signer.ID, fp, len(signs))
		return
	}
	roles := append([]string(nil), signer.Roles...)
	sort.Strings(roles)
	seen := map[Sign]bool{}
	var unheld []string
	for _, s := range signs {
		if seen[s] {
			continue // the same trailer twice is one signature
		}
		seen[s] = true
		if j.held[s.Path] != s.Blob {
			// A signature binds content the signer had: the commit's own
			// tree holds the blob at that path, as 'qms approve' makes it.
			// A trailer for content written later (on a branch made from an
			// older commit, with a backdated signature) signs nothing.
			unheld = append(unheld, s.Path)
			continue
		}
		v.cur.Signatures = append(v.cur.Signatures, Signature{Meaning: s.Meaning, Path: s.Path, Blob: s.Blob,
			Person: signer.ID, Name: signer.Name, Roles: roles, Time: at.UTC(), Fingerprint: fp, Commit: c.ID})
	}
	if len(unheld) > 0 {
		more := ""
		if len(unheld) > 1 {
			more = fmt.Sprintf(" (and %d more)", len(unheld)-1)
		}
		v.fail(c, RuleTrailer, fp, signer.ID, "sign a record with 'qms approve' on a commit that holds it",
			"commit %s signs %s%s with a blob its own tree does not hold there: a signature binds content its signer had, so it counts for nobody", short(c.ID), unheld[0], more)
	}
}
