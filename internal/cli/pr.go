package cli

import (
	"fmt"
	"io"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/approval"
)

// verifyBranch is 'qms verify --base REF': the head is verified as always
// (v), then the base's commit from the same trust root, and the branch is
// shown as what it adds on top of the base. Any failure that would be in
// the merged history fails the run.
func verifyBranch(env *Env, w *workspace, v *verified, opts verifyOptions) error {
	bc, err := v.repo.Commit(opts.base)
	if err != nil {
		return withHint(usagef("--base %s: no such branch or commit in this clone", opts.base),
			"fetch it first (git fetch origin main), or name the pull request's target branch as this clone has it, e.g. origin/main")
	}
	base, err := verifyHistory(env, w, verifyRun{noCache: opts.noCache, head: bc.ID, like: v.result, noStates: true})
	if err != nil {
		return fmt.Errorf("verifying the base %s: %w", opts.base, err)
	}
	pr, err := approval.Branch(v.repo, opts.base, v.result, base.result)
	if err != nil {
		return err
	}
	notApproved := 0
	for _, s := range pr.Records {
		if s.State != approval.Approved {
			notApproved++
		}
	}
	switch opts.format {
	case "json":
		printBranchJSON(env.Stdout, v, pr, notApproved)
	case "markdown", "codequality", "github":
		if err := printBranchCI(env.Stdout, opts.format, v, pr, opts.strict); err != nil {
			return err
		}
	default:
		printBranchText(env.Stdout, v, pr)
		fmt.Fprintf(env.Stderr, "qms: trust root %s (from %s)\n", v.report.Root, v.result.RootSource)
		for _, s := range v.result.Saved {
			fmt.Fprintf(env.Stderr, "qms: %s\n", s)
		}
		fmt.Fprintf(env.Stderr, "qms: %s on top of %s, %s; %d of %d changed records approved after the merge\n",
			plural(len(pr.Commits), "commit"), opts.base, plural(len(pr.Failures), "authentication failure"),
			len(pr.Records)-notApproved, len(pr.Records))
		if n := len(pr.BaseFailures); n > 0 {
			fmt.Fprintf(env.Stderr, "qms: the base's history fails too (%s), and a merge keeps that\n", plural(n, "failure"))
		}
	}
	if len(pr.Failures)+len(pr.BaseFailures) > 0 || opts.strict && notApproved > 0 {
		return errFindings
	}
	return nil
}

func printBranchText(w io.Writer, v *verified, pr *approval.PullRequest) {
	fmt.Fprintf(w, "branch %s: %s on top of %s (%s), merge base %s\n", short(v.report.Head), plural(len(pr.Commits), "commit"),
		pr.Base, short(pr.BaseCommit), orNone(short(pr.MergeBase)))
	printFailures(w, "FAIL", pr.Failures)
	if len(pr.BaseFailures) > 0 {
		fmt.Fprintf(w, "the base's history, which the merge keeps:\n")
		printFailures(w, "FAIL", pr.BaseFailures)
	}
	var warnings []approval.Failure
	inBranch := map[string]bool{}
	for _, id := range pr.Commits {
		inBranch[id] = true
	}
	for _, f := range v.report.Warnings {
		if inBranch[f.Commit] {
			warnings = append(warnings, f)
		}
	}
	printFailures(w, "WARN", warnings)
	var accepted []approval.Exception
	for _, ex := range v.report.Accepted {
		if inBranch[ex.Acceptance] {
			accepted = append(accepted, ex)
		}
	}
	printAccepted(w, accepted)
	if len(pr.Records) == 0 {
		fmt.Fprintf(w, "the branch changes no record\n")
	} else {
		fmt.Fprintf(w, "records the branch changes, as they will be after the merge:\n")
		printStates(w, pr.Records)
	}
	fmt.Fprintf(w, "merge strategies:\n")
	for _, s := range pr.Strategies {
		keeps := "drops the approvals"
		if s.Keeps {
			keeps = "keeps the approvals"
		}
		fmt.Fprintf(w, "  %-13s %s: %s\n", s.Name, keeps, s.Why)
	}
}

// printFailures lists failures or warnings, each with its hint.
func printFailures(w io.Writer, label string, fs []approval.Failure) {
	for _, f := range fs {
		who := ""
		if label == "FAIL" && (f.Person != "" || f.Fingerprint != "") {
			who = fmt.Sprintf(" (signer %s)", trimJoin(f.Person, f.Fingerprint))
		}
		fmt.Fprintf(w, "%s %s: %s%s [%s]\n", label, short(f.Commit), f.Message, who, f.Rule)
		if f.Hint != "" {
			fmt.Fprintf(w, "     hint: %s\n", f.Hint)
		}
	}
}

func printBranchJSON(w io.Writer, v *verified, pr *approval.PullRequest, notApproved int) {
	var fs []qms.Finding
	for _, l := range [][]approval.Failure{pr.Failures, pr.BaseFailures} {
		for _, f := range l {
			fs = append(fs, qms.Finding{Rule: f.Rule, Severity: qms.Error, Message: f.Message, Hint: f.Hint})
		}
	}
	printFindings(w, "json", fs, map[string]any{
		"head":              v.report.Head,
		"trust_root":        v.report.Root,
		"trust_root_source": v.result.RootSource,
		"commits":           v.report.Commits,
		"pull_request":      pr,
		"not_approved":      notApproved,
	})
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
