package render

import (
	"fmt"
	"strings"
	"time"

	"github.com/sergi/go-diff/diffmatchpatch"

	"github.com/qms-tool/qms/internal/approval"
)

// Version is one commit's change to a record's file, from one walk of the
// commit graph (vcs.Repo.Versions); Blob is "" when the commit removed it.
type Version struct {
	Commit string
	Time   time.Time
	Blob   string
}

// maxDiffBytes bounds the versions a page compares: a larger file is
// named, not diffed, so that one huge record cannot stall the site.
const maxDiffBytes = 256 << 10

// historySection lists every version of a record, newest first: the
// commit, its time, who signed the commit, the signatures over that
// content; then what changed since the last approved version.
func (s *site) historySection(p *page) string {
	var b strings.Builder
	b.WriteString("<section class=\"history\" id=\"qms-history\">\n<h2>History</h2>\n")
	a := s.in.Approval
	if a == nil || a.Report == nil {
		b.WriteString("<p>Not shown: the history was not verified (no trust root), so who changed what cannot be said.</p>\n</section>\n")
		return b.String()
	}
	if a.History == nil {
		fmt.Fprintf(&b, "<p>Not shown in this site: the versions could not be read (<code>qms log %s</code> lists them).</p>\n</section>\n", h(p.rec.Path))
		return b.String()
	}
	vs := a.History[p.rec.Path]
	sigs := s.sigsByPath[p.rec.Path]
	byBlob := map[string][]approval.Signature{}
	for _, g := range sigs {
		byBlob[g.Blob] = append(byBlob[g.Blob], g)
	}
	current := ""
	if st := s.stateOf[p.rec.Path]; st != nil {
		current = st.Blob
	}
	if len(vs) == 0 {
		b.WriteString("<p>No commit in the verified history wrote this record.</p>\n</section>\n")
		return b.String()
	}
	// Which versions the signatures approve, judged once per version.
	approved := make([]bool, len(vs))
	last := "" // the newest approved version
	for i, v := range vs {
		approved[i] = approves(a.Report, p.rec.Path, p.rec.Kind, v.Blob, byBlob[v.Blob])
		if approved[i] && last == "" {
			last = v.Blob
		}
	}
	fmt.Fprintf(&b, "<p>%d version(s), newest first.</p>\n", len(vs))
	b.WriteString("<div class=\"wide\"><table id=\"qms-versions\">\n<thead><tr><th scope=\"col\">Date and time (UTC)</th><th scope=\"col\">Commit</th><th scope=\"col\">Changed by (signer)</th><th scope=\"col\">Version</th><th scope=\"col\">Signatures over this version</th></tr></thead>\n<tbody>\n")
	for i, v := range vs {
		who := s.commitSigner(v.Commit)
		ver := "removed"
		if v.Blob != "" {
			ver = "<code>" + h(short(v.Blob)) + "</code>"
			if v.Blob == current {
				ver += " <span class=\"badge\">current</span>"
			}
			if approved[i] {
				ver += " <span class=\"badge approved\">approved</span>"
			}
		}
		var gs []string
		seen := map[string]bool{}
		for _, g := range byBlob[v.Blob] {
			k := g.Person + "\x00" + g.Meaning
			if v.Blob == "" || seen[k] {
				continue
			}
			seen[k] = true
			gs = append(gs, fmt.Sprintf("%s: %s, %s", h(g.Meaning), h(g.Name), h(g.Time.UTC().Format("2006-01-02 15:04"))))
		}
		sg := "none"
		if len(gs) > 0 {
			sg = strings.Join(gs, "<br>")
		}
		fmt.Fprintf(&b, "<tr><td>%s</td><td><code>%s</code></td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
			h(v.Time.UTC().Format("2006-01-02 15:04:05")), h(short(v.Commit)), who, ver, sg)
	}
	b.WriteString("</tbody>\n</table></div>\n")
	b.WriteString(s.sinceApproved(p, last, current))
	b.WriteString("</section>\n")
	return b.String()
}

// commitSigner is who signed a commit, as the verified history says.
func (s *site) commitSigner(commit string) string {
	rep := s.in.Approval.Report
	fp, ok := rep.Signers[commit]
	if !ok {
		return "<span class=\"badge stale\">not authenticated</span>"
	}
	if rep.HeadPolicy != nil {
		if k := rep.HeadPolicy.Key(fp); k != nil && k.Owner != nil {
			return h(k.Owner.Name) + " <small>(" + h(k.Owner.ID) + ")</small>"
		}
	}
	return "key <code>" + h(fp) + "</code>"
}

// sinceApproved shows the differences between the current version and
// the last approved one, line by line, readable without colour.
func (s *site) sinceApproved(p *page, approved, current string) string {
	var b strings.Builder
	b.WriteString("<h3 id=\"qms-changes\">Changes since the last approved version</h3>\n")
	switch {
	case s.in.Released:
		// A released site publishes no content that is not approved.
		b.WriteString("<p>Not shown: this site publishes approved versions only.</p>\n")
		return b.String()
	case approved == "":
		b.WriteString("<p>No version has been approved yet.</p>\n")
		return b.String()
	case approved == current:
		b.WriteString("<p>None: the current version is the approved one.</p>\n")
		return b.String()
	case current == "" || s.in.Approval.Blob == nil:
		return b.String() + "<p>The current version could not be read.</p>\n"
	}
	old, err1 := s.in.Approval.Blob(approved)
	now, err2 := s.in.Approval.Blob(current)
	if err1 != nil || err2 != nil {
		fmt.Fprintf(&b, "<p>The versions could not be read (%s, %s): run <code>qms log %s</code>.</p>\n", h(short(approved)), h(short(current)), h(p.rec.Path))
		return b.String()
	}
	if len(old) > maxDiffBytes || len(now) > maxDiffBytes {
		fmt.Fprintf(&b, "<p>The versions are too large to compare here (over %d KiB): <code>git diff %s %s</code>.</p>\n", maxDiffBytes>>10, h(approved), h(current))
		return b.String()
	}
	fmt.Fprintf(&b, "<p>From the approved version <code>%s</code> to the current one <code>%s</code>: lines marked − were removed, + added.</p>\n", h(short(approved)), h(short(current)))
	b.WriteString("<pre class=\"diff\">")
	for _, line := range lineDiff(string(old), string(now)) {
		switch line.op {
		case diffmatchpatch.DiffDelete:
			fmt.Fprintf(&b, "<del>− %s</del>\n", h(line.text))
		case diffmatchpatch.DiffInsert:
			fmt.Fprintf(&b, "<ins>+ %s</ins>\n", h(line.text))
		default:
			fmt.Fprintf(&b, "  %s\n", h(line.text))
		}
	}
	b.WriteString("</pre>\n")
	return b.String()
}

type diffLine struct {
	op   diffmatchpatch.Operation
	text string
}

// lineDiff is a line-level diff of a and b.
func lineDiff(a, b string) []diffLine {
	dmp := diffmatchpatch.New()
	ca, cb, lines := dmp.DiffLinesToChars(a, b)
	diffs := dmp.DiffCharsToLines(dmp.DiffMain(ca, cb, false), lines)
	var out []diffLine
	for _, d := range diffs {
		text := strings.TrimSuffix(d.Text, "\n")
		for _, l := range strings.Split(text, "\n") {
			out = append(out, diffLine{d.Type, l})
		}
	}
	return out
}
