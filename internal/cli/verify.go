package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/approval"
	"github.com/qms-tool/qms/internal/check"
	"github.com/qms-tool/qms/internal/safefile"
	"github.com/qms-tool/qms/internal/vcs"
)

type verifyOptions struct {
	noCache        bool
	trustRoot      string
	allowDowngrade bool
	strict         bool
	format         string
}

func verifyCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:  "verify",
		Usage: "authenticate the history and report each record's approval state",
		Description: "Checks every commit from the trust root (qms.yaml trust_root, or --trust-root) to HEAD:\n" +
			"each must be signed by a key that the staff records, matrix and keys of each of its\n" +
			"parents give to an active staff member, and changes to who may sign must be signed by\n" +
			"a governor. Then reports each record as approved, stale or draft, with every signature's\n" +
			"printed name, role, meaning, UTC time, key fingerprint and commit (21 CFR 11.50).\n" +
			"Needs no gpg, no keyring and no network: the keys are those in the repository.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "trust-root", Usage: "the commit to start trusting from (default: trust_root in qms.yaml)"},
			&cli.BoolFlag{Name: "allow-downgrade", Usage: "accept a HEAD that does not descend from the last verified one (a rewritten history)"},
			&cli.BoolFlag{Name: "strict", Usage: "also fail when any record is not approved"},
			&cli.BoolFlag{Name: "no-cache", Usage: "check every commit again instead of reusing earlier outcomes (.git/qms/verify-cache)"},
			formatFlag(false),
		},
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			return runVerify(c.Context, verifyOptions{trustRoot: c.String("trust-root"), allowDowngrade: c.Bool("allow-downgrade"),
				strict: c.Bool("strict"), format: c.String("format"), noCache: c.Bool("no-cache")}, env)
		},
	}
}

// verified is what 'qms verify' and 'qms log' compute.
type verified struct {
	w      *workspace
	repo   *vcs.Repo
	report *approval.Report
	states []approval.State
}

func verifyHistory(env *Env, w *workspace, trustRoot string, noCache bool) (*verified, error) {
	repo, err := w.gitRepo()
	if err != nil {
		return nil, err
	}
	if filepath.Clean(repo.Root) != filepath.Clean(w.root) {
		return nil, fmt.Errorf("qms verify needs qms.yaml at the top of the git working tree (%s)", repo.Root)
	}
	cfg := approval.Config{TrustRoot: w.cfg.TrustRoot.Commit, RootSigner: w.cfg.TrustRoot.Fingerprint}
	if trustRoot != "" {
		cfg.TrustRoot, cfg.RootSigner = trustRoot, ""
	}
	if cfg.TrustRoot == "" {
		return nil, withHint(usagef("no trust root: history is authenticated from a commit you trust"),
			"add 'trust_root: {commit: <id>, fingerprint: <signer>}' to qms.yaml, or pass --trust-root COMMIT")
	}
	staff, matrix := w.kinds.Kinds["staff"], w.kinds.Kinds["matrix"]
	if staff == nil || matrix == nil {
		return nil, usagef("the repository has no staff or matrix kind to take the signing policy from")
	}
	cfg.StaffDir, cfg.MatrixPath = staff.Folder, matrix.File
	if !noCache {
		root, err := repo.Commit(cfg.TrustRoot)
		if err != nil {
			return nil, withHint(fmt.Errorf("trust root: %w", err), "check trust_root in qms.yaml or --trust-root")
		}
		cfg.TrustRoot = root.ID
		cfg.Cache = approval.OpenCache(filepath.Join(repo.GitDir(), "qms", "verify-cache"), cfg, toolIdentity())
	}
	rep, err := approval.Verify(repo, "HEAD", cfg)
	if errors.Is(err, vcs.ErrNoCommit) {
		return nil, usagef("nothing is committed yet")
	}
	if err != nil {
		return nil, err
	}
	if err := cfg.Cache.Save(); err != nil {
		fmt.Fprintf(env.Stderr, "qms: warning: cannot save the verify cache: %v\n", err)
	}
	head, err := repo.Commit(rep.Head)
	if err != nil {
		return nil, err
	}
	tree, err := repo.TreeFS(head.Tree)
	if err != nil {
		return nil, err
	}
	paths, _, err := check.List(w.kinds, check.FS{FS: tree})
	if err != nil {
		return nil, err
	}
	blobs, err := repo.Written(head.Tree, nil) // every file at HEAD, in one walk
	if err != nil {
		return nil, err
	}
	var recs []approval.Record
	for _, p := range paths {
		recs = append(recs, approval.Record{Path: p, Kind: check.KindOf(w.kinds, p).Name, Blob: blobs[p]})
	}
	return &verified{w: w, repo: repo, report: rep, states: approval.States(recs, rep.Signatures, rep.Authors, rep.Matrix)}, nil
}

func runVerify(_ context.Context, opts verifyOptions, env *Env) error {
	if err := checkFormat(opts.format, false); err != nil {
		return err
	}
	w, err := openWorkspace(env, false)
	if err != nil {
		return err
	}
	defer w.close()
	v, err := verifyHistory(env, w, opts.trustRoot, opts.noCache)
	if err != nil {
		return err
	}
	rep := v.report
	// Rollback: the last verified head must still be in the history.
	headFile := filepath.Join(v.repo.GitDir(), "qms", "verified-head")
	if b, err := os.ReadFile(headFile); err == nil {
		last := strings.TrimSpace(string(b))
		if last != "" && !rep.Contains(last) && !opts.allowDowngrade {
			rep.Failures = append(rep.Failures, approval.Failure{Commit: rep.Head, Rule: "rollback",
				Message: fmt.Sprintf("HEAD %s does not descend from %s, verified before: the history was rewritten or rolled back", short(rep.Head), short(last))})
		}
	}
	notApproved := 0
	for _, s := range v.states {
		if s.State != approval.Approved {
			notApproved++
		}
	}
	if opts.format == "json" {
		printVerifyJSON(env.Stdout, v, notApproved)
	} else {
		printVerifyText(env.Stdout, v)
	}
	if len(rep.Failures) == 0 {
		if err := safefile.Write(headFile, []byte(rep.Head+"\n"), 0o600); err != nil {
			fmt.Fprintf(env.Stderr, "qms: warning: cannot remember the verified head: %v\n", err)
		}
	}
	if opts.format == "text" {
		fmt.Fprintf(env.Stderr, "qms: %d commits, %s; %d of %d records approved\n", rep.Commits,
			plural(len(rep.Failures), "authentication failure"), len(v.states)-notApproved, len(v.states))
	}
	if len(rep.Failures) > 0 || opts.strict && notApproved > 0 {
		return errFindings
	}
	return nil
}

func printVerifyText(w io.Writer, v *verified) {
	rep := v.report
	for _, f := range rep.Failures {
		who := ""
		if f.Person != "" || f.Fingerprint != "" {
			who = fmt.Sprintf(" (signer %s %s)", f.Person, f.Fingerprint)
		}
		fmt.Fprintf(w, "FAIL %s: %s%s [%s]\n", short(f.Commit), f.Message, who, f.Rule)
	}
	for _, s := range v.states {
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
		fs = append(fs, qms.Finding{Rule: f.Rule, Severity: qms.Error, Message: f.Message})
	}
	failures := v.report.Failures
	if failures == nil {
		failures = []approval.Failure{}
	}
	printFindings(w, "json", fs, map[string]any{
		"head":         v.report.Head,
		"commits":      v.report.Commits,
		"failures":     failures,
		"records":      v.states,
		"not_approved": notApproved,
	})
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
