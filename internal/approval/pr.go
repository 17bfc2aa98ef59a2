package approval

import (
	"fmt"
	"sort"

	"github.com/qms-tool/qms/internal/records"
)

// PullRequest is what a branch adds on top of a base (a pull or merge
// request), as 'qms verify --base' shows it.
type PullRequest struct {
	Base       string   `json:"base"`
	BaseCommit string   `json:"base_commit"`
	MergeBase  string   `json:"merge_base"`
	Commits    []string `json:"commits"`
	// Failures are those of the branch's own commits; BaseFailures those
	// of the rest of the history (the base's, or the trust root's), which
	// the merge keeps.
	Failures     []Failure `json:"failures"`
	BaseFailures []Failure `json:"base_failures"`
	// Records are the records the branch changes, with the state each
	// has after a merge that keeps the branch's commits.
	Records    []State    `json:"records"`
	Strategies []Strategy `json:"strategies"`
}

// Strategy says whether a way of merging keeps the branch's approvals.
type Strategy struct {
	Name  string `json:"name"`
	Keeps bool   `json:"keeps_approvals"`
	Why   string `json:"why"`
}

// Branch compares the verified head (head, from Run) with the verified
// base (base, Run of the base's commit): the commits the branch adds, their
// failures, the records it changes and their states after the merge (the
// signatures of both histories count), and which merge strategies keep
// the approvals.
func Branch(h History, baseName string, head, base *Result) (*PullRequest, error) {
	hr, br := head.Report, base.Report
	pr := &PullRequest{Base: baseName, BaseCommit: br.Head, Commits: []string{}, Failures: []Failure{}, BaseFailures: []Failure{}, Records: []State{}}
	for _, id := range hr.order {
		if _, inBase := br.seen[id]; !inBase {
			pr.Commits = append(pr.Commits, id)
		}
	}
	inBranch := map[string]bool{}
	for _, id := range pr.Commits {
		inBranch[id] = true
	}
	for _, f := range hr.Failures {
		if inBranch[f.Commit] {
			pr.Failures = append(pr.Failures, f)
		} else {
			pr.BaseFailures = append(pr.BaseFailures, f)
		}
	}
	// The base's own failures since the branch began: the merge keeps
	// them too.
	for _, f := range br.Failures {
		if _, inHead := hr.seen[f.Commit]; !inHead {
			pr.BaseFailures = append(pr.BaseFailures, f)
		}
	}
	// The merge base: the newest commit of the base's history that the
	// branch has (one of them, when there are several).
	var common []string
	for id := range br.seen {
		if _, ok := hr.seen[id]; ok {
			common = append(common, id)
		}
	}
	dominated := map[string]bool{}
	var stack []string
	for _, id := range common {
		if n := br.seen[id]; n != nil && id != br.Root.Commit {
			stack = append(stack, n.parents...)
		}
	}
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		n := br.seen[id]
		if n == nil || dominated[id] {
			continue
		}
		dominated[id] = true
		if id != br.Root.Commit {
			stack = append(stack, n.parents...)
		}
	}
	var bases []string
	for _, id := range common {
		if !dominated[id] {
			bases = append(bases, id)
		}
	}
	sort.Strings(bases)
	if len(bases) > 0 {
		pr.MergeBase = bases[0]
	}
	fastForward := pr.MergeBase == br.Head
	// The records the branch changes, at the head's blobs.
	top, err := h.Commit(hr.Head)
	if err != nil {
		return nil, err
	}
	var parents []string
	if pr.MergeBase != "" {
		mb, err := h.Commit(pr.MergeBase)
		if err != nil {
			return nil, err
		}
		parents = []string{mb.Tree}
	}
	changed, err := h.Written(top.Tree, parents)
	if err != nil {
		return nil, err
	}
	var recs []Record
	if hr.HeadKinds != nil {
		for p, blob := range changed {
			if k := records.KindOf(hr.HeadKinds, p); k != nil {
				recs = append(recs, Record{Path: p, Kind: k.Name, Blob: blob})
			}
		}
	}
	e := hr.Evidence()
	e.Signatures = append(append([]Signature(nil), hr.Signatures...), br.Signatures...)
	e.Unauthenticated = map[string]string{}
	for _, m := range []map[string]string{br.Unauthenticated, hr.Unauthenticated} {
		for blob, by := range m {
			e.Unauthenticated[blob] = by
		}
	}
	e.Authors = map[string][]string{}
	for _, m := range []map[string][]string{hr.Authors, br.Authors} {
		for blob, people := range m {
			for _, p := range people {
				if !contains(e.Authors[blob], p) {
					e.Authors[blob] = append(e.Authors[blob], p)
				}
			}
		}
	}
	pr.Records = States(recs, e)
	forge := len(hr.HeadForges) > 0
	mergeWhy := "the merge keeps the branch's signed commits, so their approvals count"
	if forge {
		mergeWhy += fmt.Sprintf("; on the forge, its merge is signed by the key qms.yaml declares (%s)", hr.HeadForges[0])
	} else {
		mergeWhy += "; made on a forge, its merge is signed by a key qms.yaml does not declare and fails: merge locally and sign it (git merge --no-ff -S), or declare the forge's key under forges in qms.yaml"
	}
	ff := Strategy{Name: "fast-forward", Keeps: true, Why: "the base takes the branch's commits as they are"}
	if !fastForward {
		ff = Strategy{Name: "fast-forward", Keeps: false, Why: "not possible: the base has moved on since the branch began (merge instead, or rebase the branch yourself and sign again)"}
	}
	pr.Strategies = []Strategy{
		{Name: "merge commit", Keeps: true, Why: mergeWhy},
		ff,
		{Name: "squash", Keeps: false, Why: "a squash makes one new commit, signed by the forge or by whoever squashes: the approvals are signatures on the branch's commits, which it drops (and the squash message may drop their trailers)"},
		{Name: "rebase", Keeps: false, Why: "a rebase makes new commits, re-signed by the forge or by whoever rebases: an approval counts only when its author signed it"},
	}
	return pr, nil
}
