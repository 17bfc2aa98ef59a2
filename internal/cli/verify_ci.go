package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/qms-tool/qms/internal/approval"
	"github.com/qms-tool/qms/internal/report"
)

// printVerifyCI writes verify's outcome in a CI format: github
// annotations, the markdown summary or GitLab's Code Quality report. Each
// shows the authentication failures, the warnings and the records not
// approved (which fail the check under --strict).
func printVerifyCI(w io.Writer, format string, v *verified, strict bool) error {
	switch format {
	case "github":
		printVerifyGitHub(w, v, strict)
		return nil
	case "codequality":
		return report.CodeQuality(w, verifyIssues(v, strict))
	}
	return report.Markdown(w, verifySummary(v, strict), 0)
}

// printVerifyGitHub writes one annotation per failure (an error) and
// warning, without a file: they are about commits. Under --strict each
// record not approved is an error on its first line; otherwise one notice
// counts them (most records of a QMS are drafts at any time, and the job
// summary lists them all).
func printVerifyGitHub(w io.Writer, v *verified, strict bool) {
	for _, f := range v.report.Failures {
		ghAnnotation(w, "error", "", 0, "qms "+f.Rule, withHintLine(commitProblem(f), f.Hint))
	}
	for _, f := range v.report.Warnings {
		ghAnnotation(w, "warning", "", 0, "qms "+f.Rule, withHintLine(commitProblem(f), f.Hint))
	}
	n := 0
	for _, s := range v.states {
		if s.State == approval.Approved {
			continue
		}
		n++
		if strict {
			ghAnnotation(w, "error", s.Path, 1, "qms "+s.State, s.State+": "+strings.Join(stillNeeded(s), "; "))
		}
	}
	if n > 0 && !strict {
		ghAnnotation(w, "notice", "", 0, "qms verify", fmt.Sprintf("%d of %d records are not approved (draft or stale); 'qms verify' says what each needs", n, len(v.states)))
	}
}

// verifyIssues are the Code Quality issues of a verification: failures are
// critical (the history cannot be trusted; they are placed on qms.yaml,
// as GitLab needs a file), warnings minor, records not approved major
// under --strict and info otherwise. A failure is the same issue while
// its commit and message are; a record's while its state is.
func verifyIssues(v *verified, strict bool) []report.Issue {
	var issues []report.Issue
	for _, f := range v.report.Failures {
		issues = append(issues, report.NewIssue(f.Rule, report.Critical, report.RootFile, 1,
			report.Describe(commitProblem(f), f.Rule, f.Hint), f.Commit+"\n"+f.Message))
	}
	for _, f := range v.report.Warnings {
		issues = append(issues, report.NewIssue(f.Rule, report.Minor, report.RootFile, 1,
			report.Describe(commitProblem(f), f.Rule, f.Hint), f.Commit+"\n"+f.Message))
	}
	sev := report.Info
	if strict {
		sev = report.Major
	}
	for _, s := range v.states {
		if s.State != approval.Approved {
			issues = append(issues, report.NewIssue("not-approved", sev, s.Path, 1,
				report.Describe(s.State+": "+strings.Join(stillNeeded(s), "; "), "not-approved", ""), s.State))
		}
	}
	return issues
}

// verifySummary is the markdown summary of a verification: the verdict,
// the counts, every failure and warning, and every record not approved
// with what it still needs.
func verifySummary(v *verified, strict bool) report.Summary {
	rep := v.report
	notApproved := 0
	for _, s := range v.states {
		if s.State != approval.Approved {
			notApproved++
		}
	}
	failed := len(rep.Failures) > 0 || strict && notApproved > 0
	approved := fmt.Sprintf("%d of %d records approved.", len(v.states)-notApproved, len(v.states))
	if strict {
		approved += " With --strict, every record must be."
	}
	s := report.Summary{Title: "qms verify", Verdict: verdict(failed), Full: "qms verify --format json",
		Paragraphs: []report.Line{
			{report.P(fmt.Sprintf("%d commits from the trust root ", rep.Commits)), report.C(rep.Root.String()),
				report.P(fmt.Sprintf(" (from %s) to HEAD ", v.result.RootSource)), report.C(short(rep.Head)),
				report.P(fmt.Sprintf(": %s, %s.", plural(len(rep.Failures), "authentication failure"), plural(len(rep.Warnings), "warning")))},
			{report.P(approved)},
		}}
	commits := func(heading, empty, column string, fs []approval.Failure) report.Table {
		t := report.Table{Heading: heading, Empty: empty, Columns: []string{"Commit", "Rule", column}}
		for _, f := range fs {
			t.Rows = append(t.Rows, []report.Line{{report.C(short(f.Commit))}, {report.C(f.Rule)}, report.WithHint(f.Message+signer(f), f.Hint)})
		}
		return t
	}
	s.Tables = append(s.Tables,
		commits("Authentication failures", "Every commit from the trust root to HEAD is authenticated.", "Problem", rep.Failures),
		commits("Warnings", "", "Warning", rep.Warnings))
	t := report.Table{Heading: "Records not approved", Empty: "Every record is approved.", Columns: []string{"Record", "State", "Still needed"}}
	for _, st := range v.states {
		if st.State == approval.Approved {
			continue
		}
		var need report.Line
		for i, m := range stillNeeded(st) {
			if i > 0 {
				need = append(need, report.BR())
			}
			need = append(need, report.P(m))
		}
		t.Rows = append(t.Rows, []report.Line{{report.C(st.Path)}, {report.P(st.State)}, need})
	}
	s.Tables = append(s.Tables, t)
	if len(rep.Accepted) > 0 {
		t := report.Table{Heading: "Accepted exceptions", Columns: []string{"Commit", "Accepted by", "Reason", "It failed"}}
		for _, ex := range rep.Accepted {
			var was report.Line
			for i, f := range ex.Failures {
				if i > 0 {
					was = append(was, report.BR())
				}
				was = append(was, report.P(f.Message+" ["+f.Rule+"]"))
			}
			t.Rows = append(t.Rows, []report.Line{{report.C(short(ex.Commit))},
				{report.P(fmt.Sprintf("%s (%s) in ", ex.Name, ex.By)), report.C(short(ex.Acceptance)), report.P(", " + ex.Time.UTC().Format("2006-01-02 15:04:05 UTC"))},
				{report.P(ex.Reason)}, was})
		}
		s.Tables = append(s.Tables, t)
	}
	return s
}

// branchView is the verification of a pull request as the CI formats show
// it: the failures a merge would keep (the branch's, then the base's), the
// branch's warnings and acceptances, and the records it changes, in their
// states after the merge.
func branchView(v *verified, pr *approval.PullRequest) *verified {
	rep := *v.report
	in := map[string]bool{}
	for _, id := range pr.Commits {
		in[id] = true
	}
	rep.Failures = append(append([]approval.Failure(nil), pr.Failures...), pr.BaseFailures...)
	rep.Warnings, rep.Accepted = nil, nil
	for _, f := range v.report.Warnings {
		if in[f.Commit] {
			rep.Warnings = append(rep.Warnings, f)
		}
	}
	for _, ex := range v.report.Accepted {
		if in[ex.Acceptance] {
			rep.Accepted = append(rep.Accepted, ex)
		}
	}
	bv := *v
	bv.report, bv.states = &rep, pr.Records
	return &bv
}

// printBranchCI writes the pull-request view in a CI format.
func printBranchCI(w io.Writer, format string, v *verified, pr *approval.PullRequest, strict bool) error {
	bv := branchView(v, pr)
	switch format {
	case "github":
		printVerifyGitHub(w, bv, strict)
		return nil
	case "codequality":
		return report.CodeQuality(w, verifyIssues(bv, strict))
	}
	s := verifySummary(bv, strict)
	s.Title = "qms verify --base " + pr.Base
	notApproved := 0
	for _, st := range pr.Records {
		if st.State != approval.Approved {
			notApproved++
		}
	}
	s.Paragraphs = []report.Line{
		{report.P(plural(len(pr.Commits), "commit") + " on top of "), report.C(pr.Base), report.P(" ("), report.C(short(pr.BaseCommit)),
			report.P(fmt.Sprintf("), from the trust root %s (from %s): %s in the branch, %s in the base.", v.report.Root, v.result.RootSource,
				plural(len(pr.Failures), "authentication failure"), plural(len(pr.BaseFailures), "authentication failure")))},
		{report.P(fmt.Sprintf("%d of %d records the branch changes will be approved after the merge.", len(pr.Records)-notApproved, len(pr.Records)))},
	}
	t := report.Table{Heading: "Merge strategies", Columns: []string{"Strategy", "Keeps the approvals", "Why"}}
	for _, st := range pr.Strategies {
		keeps := "no"
		if st.Keeps {
			keeps = "yes"
		}
		t.Rows = append(t.Rows, []report.Line{{report.P(st.Name)}, {report.P(keeps)}, {report.P(st.Why)}})
	}
	s.Tables = append(s.Tables, t)
	return report.Markdown(w, s, 0)
}

// commitProblem is a failure as one line: the commit (unless the message
// names it), the message and the signer.
func commitProblem(f approval.Failure) string {
	msg := f.Message + signer(f)
	if id := short(f.Commit); id != "" && !strings.Contains(f.Message, id) {
		msg = "commit " + id + ": " + msg
	}
	return msg
}

// signer names a failure's signer as the text output does.
func signer(f approval.Failure) string {
	if f.Person == "" && f.Fingerprint == "" {
		return ""
	}
	return fmt.Sprintf(" (signer %s)", strings.TrimSpace(f.Person+" "+f.Fingerprint))
}

// stillNeeded says what a record lacks, as the text output does.
func stillNeeded(s approval.State) []string {
	var out []string
	for _, m := range s.Missing {
		if strings.HasPrefix(m, approval.Review) || strings.HasPrefix(m, approval.Approval) {
			m = "needs " + m
		}
		out = append(out, m)
	}
	if len(out) == 0 {
		out = append(out, "not approved")
	}
	return out
}

// withHintLine is a message with its hint on a second line, as the github
// annotations of validate have it.
func withHintLine(msg, hint string) string {
	if hint == "" {
		return msg
	}
	return msg + "\n" + hint
}
