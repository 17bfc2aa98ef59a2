package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/approval"
	"github.com/qms-tool/qms/internal/config"
	"github.com/qms-tool/qms/internal/signature"
	"github.com/qms-tool/qms/internal/vcs"
)

type verifyOptions struct {
	noCache        bool
	trustRoot      string
	allowDowngrade bool
	strict         bool
	format         string
	base           string // --base: the pull-request view against this ref
}

// trustRootFlag is the --trust-root flag of verify and log.
func trustRootFlag() cli.Flag {
	return &cli.StringFlag{Name: "trust-root", Usage: "start trusting from `COMMIT:FINGERPRINT`: a full commit id and the key that must have signed it " +
		"(default: $QMS_TRUST_ROOT, else the root pinned in .git/qms/trust-root, else the earliest trust_root in the history's qms.yaml)"}
}

func verifyCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:  "verify",
		Usage: "authenticate the history and report each record's approval state",
		Description: "Checks every commit from the trust root to HEAD: each must be signed by a key that the\n" +
			"staff records, matrix and keys of each of its parents give to the same active staff member,\n" +
			"and changes to who may sign (staff, keys/, the matrix, schema/, qms.yaml) must be signed by\n" +
			"a governor. Then reports each record as approved, stale or draft, with every signature's\n" +
			"printed name, role, meaning, UTC time, key fingerprint and commit (21 CFR 11.50).\n" +
			"The trust root comes from --trust-root, else $QMS_TRUST_ROOT (set it in CI), else the root\n" +
			"pinned in .git/qms/trust-root by an earlier run, else the earliest trust_root that the\n" +
			"history's qms.yaml states; the history can never move it.\n" +
			"Needs no gpg, no keyring and no network: the keys are those in the repository.",
		Flags: []cli.Flag{
			trustRootFlag(),
			&cli.BoolFlag{Name: "allow-downgrade", Usage: "accept a HEAD that does not descend from the one verified before on this branch (a rewritten history)"},
			&cli.BoolFlag{Name: "strict", Usage: "also fail when any record is not approved"},
			&cli.BoolFlag{Name: "no-cache", Usage: "check every commit again instead of reusing earlier outcomes (.git/qms/verify-cache)"},
			&cli.StringFlag{Name: "base", Usage: "show what the branch adds on top of `REF` (a pull request's target, e.g. origin/main): its commits' failures, " +
				"the state each record it changes will have after the merge, and which merge strategies keep the approvals"},
			ciFormatFlag(),
		},
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			return runVerify(c.Context, verifyOptions{trustRoot: c.String("trust-root"), allowDowngrade: c.Bool("allow-downgrade"),
				strict: c.Bool("strict"), format: c.String("format"), noCache: c.Bool("no-cache"), base: c.String("base")}, env)
		},
	}
}

// verified is what 'qms verify' and the commands that show approvals
// compute.
type verified struct {
	w      *workspace
	repo   *vcs.Repo
	report *approval.Report
	states []approval.State
	result *approval.Result
}

// verifyRun says how a command runs the verification.
type verifyRun struct {
	trustRoot string // the --trust-root flag
	noCache   bool
	// head is the commit to verify ("": HEAD); like is an earlier run
	// whose trust root this one uses.
	head           string
	like           *approval.Result
	noStates       bool // skip the head's record states
	remember       bool // pin the root and the verified head ('qms verify')
	allowDowngrade bool
}

// verifyHistory runs the verification every command that shows approvals
// shares (approval.Run), with the trust root given by the flag or the
// environment, and turns its errors into messages with a next step.
func verifyHistory(env *Env, w *workspace, o verifyRun) (*verified, error) {
	repo, err := w.gitRepo()
	if err != nil {
		return nil, err
	}
	if filepath.Clean(repo.Root) != filepath.Clean(w.root) {
		return nil, fmt.Errorf("qms verify needs qms.yaml at the top of the git working tree (%s)", repo.Root)
	}
	opts := approval.Options{StateDir: filepath.Join(repo.GitDir(), "qms"), Remember: o.remember, AllowDowngrade: o.allowDowngrade,
		NoCache: o.noCache, Tool: toolIdentity(), Now: env.Now(), Head: o.head, NoStates: o.noStates}
	if o.like != nil {
		opts.Root, opts.RootSource, opts.Reuse = o.like.Report.Root, o.like.RootSource, o.like
	}
	given, source := o.trustRoot, approval.FromFlag
	if o.like != nil {
		given = ""
	}
	if given == "" && o.like == nil {
		given, source = env.Getenv("QMS_TRUST_ROOT"), approval.FromEnv
	}
	if given != "" {
		r, err := approval.ParseRoot(given)
		if err != nil {
			form := "--trust-root COMMIT:FINGERPRINT"
			if source == approval.FromEnv {
				form = "QMS_TRUST_ROOT=COMMIT:FINGERPRINT"
			}
			hint := "give the full id of the commit your organisation trusts and its signer's fingerprint: " + form
			if id := strings.TrimSpace(given); config.IsCommitID(id) {
				// Only for a full id: the commit of a ref name or a short id
				// is whatever the history says it is.
				if c, cerr := repo.Commit(id); cerr == nil {
					if issuer := signature.IssuerOf(c.Raw); issuer != "" {
						hint = fmt.Sprintf("commit %s is signed by key %s: if that is the key you trust, use %s", short(c.ID), issuer,
							strings.Replace(form, "COMMIT:FINGERPRINT", c.ID+":"+issuer, 1))
					}
				}
			}
			return nil, withHint(usagef("%s: %v", source, err), "%s", hint)
		}
		opts.Root, opts.RootSource = r, source
	}
	res, err := approval.Run(repo, opts)
	switch {
	case errors.Is(err, vcs.ErrNoCommit):
		return nil, usagef("nothing is committed yet")
	case errors.Is(err, approval.ErrNoRoot):
		return nil, withHint(asUsage(err), "%s", rootHint(repo))
	case errors.Is(err, approval.ErrShallow):
		return nil, withHint(err, "fetch the whole history: 'git fetch --unshallow'; in GitHub Actions set fetch-depth: 0 on actions/checkout, in GitLab CI set GIT_DEPTH: 0")
	case errors.Is(err, approval.ErrRoot):
		return nil, withHint(asUsage(err), "pass --trust-root COMMIT:FINGERPRINT (or set QMS_TRUST_ROOT) with the root your organisation trusts")
	case err != nil:
		return nil, err
	}
	for _, msg := range res.Warnings {
		fmt.Fprintf(env.Stderr, "qms: warning: %s\n", msg)
	}
	return &verified{w: w, repo: repo, report: res.Report, states: res.States, result: res}, nil
}

// rootHint says how to set a trust root, naming the commit the history
// begins with and the key that signed it.
func rootHint(repo *vcs.Repo) string {
	const how = "a governor adds trust_root: {commit: <id>, fingerprint: <its signer's key>} to qms.yaml in a signed commit, or pass --trust-root COMMIT:FINGERPRINT (QMS_TRUST_ROOT in CI)"
	first, err := approval.Beginnings(repo, "HEAD")
	if err != nil || len(first) != 1 {
		return how
	}
	issuer := signature.IssuerOf(first[0].Raw)
	if issuer == "" {
		return fmt.Sprintf("the history begins with commit %s, which is not signed; %s", first[0].ID, how)
	}
	return fmt.Sprintf("the history begins with commit %s, signed by key %s; if that is the root you trust, %s", first[0].ID, issuer,
		fmt.Sprintf("a governor commits 'trust_root: {commit: %s, fingerprint: %s}' in qms.yaml, or pass --trust-root %s:%s", first[0].ID, issuer, first[0].ID, issuer))
}

func runVerify(_ context.Context, opts verifyOptions, env *Env) error {
	if err := checkCIFormat(opts.format); err != nil {
		return err
	}
	w, err := openWorkspace(env, false)
	if err != nil {
		return err
	}
	defer w.close()
	v, err := verifyHistory(env, w, verifyRun{trustRoot: opts.trustRoot, noCache: opts.noCache, remember: true, allowDowngrade: opts.allowDowngrade,
		noStates: opts.base != ""})
	if err != nil {
		return err
	}
	if opts.base != "" {
		return verifyBranch(env, w, v, opts)
	}
	rep := v.report
	notApproved := 0
	for _, s := range v.states {
		if s.State != approval.Approved {
			notApproved++
		}
	}
	switch opts.format {
	case "json":
		printVerifyJSON(env.Stdout, v, notApproved)
	case "text":
		printVerifyText(env.Stdout, v)
	default: // the CI formats: verify_ci.go
		if err := printVerifyCI(env.Stdout, opts.format, v, opts.strict); err != nil {
			return err
		}
	}
	if opts.format == "text" {
		fmt.Fprintf(env.Stderr, "qms: trust root %s (from %s)\n", rep.Root, v.result.RootSource)
		for _, s := range v.result.Saved {
			fmt.Fprintf(env.Stderr, "qms: %s\n", s)
		}
		var also []string
		if rep.ForgeMerges > 0 {
			also = append(also, fmt.Sprintf("%d merged by a forge", rep.ForgeMerges))
		}
		if n := len(rep.Accepted); n > 0 {
			also = append(also, plural(n, "accepted exception"))
		}
		commits := fmt.Sprintf("%d commits", rep.Commits)
		if len(also) > 0 {
			commits += " (" + strings.Join(also, ", ") + ")"
		}
		fmt.Fprintf(env.Stderr, "qms: %s, %s; %d of %d records approved\n", commits,
			plural(len(rep.Failures), "authentication failure"), len(v.states)-notApproved, len(v.states))
	}
	if len(rep.Failures) > 0 || opts.strict && notApproved > 0 {
		return errFindings
	}
	return nil
}

func printVerifyText(w io.Writer, v *verified) {
	rep := v.report
	printFailures(w, "FAIL", rep.Failures)
	printFailures(w, "WARN", rep.Warnings)
	printAccepted(w, rep.Accepted)
	printStates(w, v.states)
}

// printAccepted lists the commits whose failures governors accepted.
func printAccepted(w io.Writer, accepted []approval.Exception) {
	for _, ex := range accepted {
		fmt.Fprintf(w, "ACCEPTED %s: accepted by %s (%s) in commit %s, %s: %s\n", short(ex.Commit), ex.Name, ex.By, short(ex.Acceptance),
			ex.Time.UTC().Format("2006-01-02 15:04:05 UTC"), ex.Reason)
		for _, f := range ex.Failures {
			fmt.Fprintf(w, "     was: %s [%s]\n", f.Message, f.Rule)
		}
	}
}

// printStates lists records with their states, signatures and what they
// still need.
func printStates(w io.Writer, states []approval.State) {
	for _, s := range states {
		fmt.Fprintf(w, "%-8s %s\n", s.State, s.Path)
		for _, sig := range s.Signatures {
			fmt.Fprintf(w, "         %s\n", manifestation(sig))
		}
		for _, m := range s.Missing {
			if strings.HasPrefix(m, approval.Review) || strings.HasPrefix(m, approval.Approval) {
				m = "needs " + m
			}
			fmt.Fprintf(w, "         %s\n", m)
		}
	}
}

// manifestation shows a signature as 21 CFR 11.50 asks: printed name,
// role, meaning, date and time; plus the key and the commit.
func manifestation(s approval.Signature) string {
	return fmt.Sprintf("%-10s %s (%s, %s)  %s  key %s  commit %s", s.Meaning, s.Name, s.Person, strings.Join(s.Roles, ", "),
		s.Time.UTC().Format("2006-01-02 15:04:05 UTC"), s.Fingerprint, short(s.Commit))
}

func printVerifyJSON(w io.Writer, v *verified, notApproved int) {
	var fs []qms.Finding
	for _, f := range v.report.Failures {
		fs = append(fs, qms.Finding{Rule: f.Rule, Severity: qms.Error, Message: f.Message, Hint: f.Hint})
	}
	for _, f := range v.report.Warnings {
		fs = append(fs, qms.Finding{Rule: f.Rule, Severity: qms.Warning, Message: f.Message, Hint: f.Hint})
	}
	failures, warnings := v.report.Failures, v.report.Warnings
	if failures == nil {
		failures = []approval.Failure{}
	}
	if warnings == nil {
		warnings = []approval.Failure{}
	}
	states := v.states
	if states == nil {
		states = []approval.State{}
	}
	printFindings(w, "json", fs, map[string]any{
		"head":              v.report.Head,
		"trust_root":        v.report.Root,
		"trust_root_source": v.result.RootSource,
		"commits":           v.report.Commits,
		"forge_merges":      v.report.ForgeMerges,
		"failures":          failures,
		"commit_warnings":   warnings,
		"accepted":          nonNil(v.report.Accepted),
		"records":           states,
		"not_approved":      notApproved,
	})
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// nonNil makes a nil list an empty one, for JSON.
func nonNil[T any](l []T) []T {
	if l == nil {
		return []T{}
	}
	return l
}

// trimJoin joins the non-empty words with a space.
func trimJoin(words ...string) string {
	return strings.Join(strings.Fields(strings.Join(words, " ")), " ")
}
