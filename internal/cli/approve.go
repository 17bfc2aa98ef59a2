package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/approval"
	"github.com/qms-tool/qms/internal/check"
	"github.com/qms-tool/qms/internal/gitcmd"
	"github.com/qms-tool/qms/internal/policy"
	"github.com/qms-tool/qms/internal/vcs"
)

type approveOptions struct {
	paths   []string
	meaning string
	message string
}

func approveCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "approve",
		Usage:     "sign records with a signed commit: review, approval or authorship",
		ArgsUsage: "PATH...",
		Description: "Makes one empty commit, signed through your own git signing setup (gpg or ssh:\n" +
			"user.signingkey, gpg.format, your agent), with one trailer per record\n" +
			"  QMS-Sign: <meaning> <path> <blob-id>\n" +
			"binding the meaning to the record's exact committed content. Refuses paths that are\n" +
			"not records, records with uncommitted changes, records that do not validate, and a\n" +
			"staged index (it would go into the commit).",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "meaning", Usage: "what the signature means: review, approval or authorship (required)"},
			&cli.StringFlag{Name: "message", Aliases: []string{"m"}, Usage: "the commit's subject (default: \"<Meaning> of <ids>\")"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return withHint(usagef("approve needs at least one record"), "e.g. 'qms approve records/incidents/INC-2026-0001.md --meaning review'")
			}
			return runApprove(c.Context, approveOptions{paths: c.Args().Slice(), meaning: c.String("meaning"), message: c.String("message")}, env)
		},
	}
}

func runApprove(ctx context.Context, opts approveOptions, env *Env) error {
	if opts.meaning == "" {
		return withHint(usagef("approve needs --meaning"), "--meaning review, --meaning approval or --meaning authorship")
	}
	if !contains(approval.Meanings, opts.meaning) {
		return usagef("unknown meaning %q (use %s)", opts.meaning, strings.Join(approval.Meanings, ", "))
	}
	w, err := openWorkspace(env, false)
	if err != nil {
		return err
	}
	defer w.close()
	repo, err := w.gitRepo()
	if err != nil {
		return err
	}
	type signed struct{ rel, gitPath, id, blob string }
	var recs []signed
	seen := map[string]bool{}
	for _, p := range opts.paths {
		rel, err := w.rel(env, p)
		if err != nil {
			return err
		}
		if seen[rel] {
			continue
		}
		seen[rel] = true
		if check.KindOf(w.kinds, rel) == nil {
			return withHint(usagef("%s is not a record", p), "records are the .md files in the kinds' folders (see 'qms validate')")
		}
		if strings.ContainsAny(rel, " \t\r\n") {
			return usagef("%s: a signed path cannot contain white space", p)
		}
		gitPath, err := filepath.Rel(repo.Root, filepath.Join(w.root, filepath.FromSlash(rel)))
		if err != nil {
			return err
		}
		gitPath = filepath.ToSlash(gitPath)
		st, err := repo.State(gitPath)
		if errors.Is(err, vcs.ErrNoCommit) {
			return withHint(usagef("nothing is committed yet: a signature binds a committed record"), "commit the records first")
		}
		if err != nil {
			return err
		}
		switch {
		case st.Head == "":
			return withHint(usagef("%s is not committed: a signature binds a committed record", p), "git add %s && git commit", p)
		case !st.Clean():
			return withHint(usagef("%s has uncommitted changes: you would be signing something other than what you see", p),
				"commit them first, or 'git restore --staged --worktree %s' to sign the committed version", p)
		}
		id := strings.TrimSuffix(filepath.Base(rel), ".md")
		recs = append(recs, signed{rel: rel, gitPath: gitPath, id: id, blob: st.Head})
	}

	// Never sign a record that does not validate.
	res, _, listed, err := w.checkAll(env)
	if err != nil {
		return err
	}
	var only []string
	for _, r := range recs {
		only = append(only, r.rel)
	}
	bad := filterPaths(append(append(w.setup, listed...), res.Findings...), only)
	if qms.HasErrors(bad) {
		for i := range bad {
			bad[i].Path = w.display(env, bad[i].Path)
		}
		printFindings(env.Stdout, "text", bad, nil)
		fmt.Fprintf(env.Stderr, "qms: not signed: fix the findings above first\n")
		return errFindings
	}

	staged, err := repo.HasStagedChanges(ctx)
	if err != nil {
		return err
	}
	if staged {
		return withHint(usagef("the index has staged changes, which would go into the signature commit"),
			"commit them first, or unstage them with 'git restore --staged .'")
	}

	// An approval counts only when its author is its signer: refuse to
	// make one that would count for nobody.
	if err := checkSigner(ctx, w, repo); err != nil {
		return err
	}

	subject := opts.message
	if subject == "" {
		var ids []string
		for _, r := range recs {
			ids = append(ids, r.id)
		}
		subject = fmt.Sprintf("%s of %s", strings.ToUpper(opts.meaning[:1])+opts.meaning[1:], strings.Join(ids, ", "))
	}
	var trailers []string
	for _, r := range recs {
		trailers = append(trailers, approval.SignLine(opts.meaning, r.gitPath, r.blob))
	}
	commit, err := repo.CommitSigned(ctx, nil, subject, trailers)
	if err != nil {
		return signingError(err)
	}
	fmt.Fprintf(env.Stdout, "signed %s of %s in commit %s\n", opts.meaning, plural(len(recs), "record"), commit[:12])
	for _, r := range recs {
		fmt.Fprintf(env.Stdout, "  %s %s %s\n", opts.meaning, r.gitPath, r.blob)
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// checkSigner refuses an approval that would count for nobody because the
// git author identity is no staff member's: verify counts a QMS-Sign
// trailer only when the commit's author is the person whose key signs it.
func checkSigner(ctx context.Context, w *workspace, repo *vcs.Repo) error {
	_, email, err := repo.AuthorIdent(ctx, nil)
	if err != nil {
		return err
	}
	pol, err := policy.Load(w.src, w.kinds)
	if err != nil {
		return nil // validate reports a missing policy; verify refuses it
	}
	if pol.ByEmail(email) == nil {
		return withHint(usagef("your git author email %q is no staff member's: the approval would count for nobody", email),
			"git config user.email <the email of your staff record>, then approve again")
	}
	return nil
}

// signingError adds how to set up signing to git's failure to sign.
func signingError(err error) error {
	var ge *gitcmd.Error
	if errors.As(err, &ge) && strings.Contains(ge.Stderr, "sign") {
		return withHint(err, "set up commit signing: 'git config user.signingkey KEYID' for gpg, or 'git config gpg.format ssh' and 'git config user.signingkey ~/.ssh/id_ed25519.pub'")
	}
	return err
}
