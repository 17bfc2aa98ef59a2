package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/qms-tool/qms/internal/approval"
	"github.com/qms-tool/qms/internal/policy"
)

type acceptOptions struct {
	commit, reason string
}

func acceptCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "accept",
		Usage:     "accept one commit that failed verification, with a reason, without rewriting history (governors)",
		ArgsUsage: "COMMIT",
		Description: "Makes one empty commit, signed through your own git signing setup, with the trailer\n" +
			"  QMS-Accept: <commit-id> <reason>\n" +
			"From then on 'qms verify' lists that commit's failures as an accepted exception instead of\n" +
			"failing: its changes take effect, what it wrote counts as yours too (separation of duties),\n" +
			"and it approves nothing. It counts only when you hold a governing role, and only for an\n" +
			"ancestor of the acceptance.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "reason", Usage: "why the commit is accepted: it goes into the audit trail (required)"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return withHint(usagef("accept needs exactly one commit"), "e.g. 'qms accept 3f2a9c1d7e44 --reason \"merged by GitHub before its key was declared\"'")
			}
			return runAccept(c.Context, acceptOptions{commit: c.Args().First(), reason: c.String("reason")}, env)
		},
	}
}

func runAccept(ctx context.Context, opts acceptOptions, env *Env) error {
	reason := strings.Join(strings.Fields(opts.reason), " ")
	if reason == "" {
		return withHint(usagef("accept needs --reason"), "an acceptance says why, for the auditor: --reason 'merged on GitHub before its key was declared'")
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
	c, err := repo.Commit(opts.commit)
	if err != nil {
		return withHint(usagef("%s: no such commit", opts.commit), "name the commit 'qms verify' reports")
	}
	head, err := repo.Commit("HEAD")
	if err != nil {
		return usagef("nothing is committed yet")
	}
	if ok, err := repo.IsAncestor(ctx, c.ID, head.ID); err != nil {
		return err
	} else if !ok {
		return withHint(usagef("commit %s is not in the history of HEAD: an acceptance covers an ancestor only", short(c.ID)), "check out the branch that holds it")
	}
	// Only a governor's acceptance counts: refuse to make one that would
	// count for nothing.
	_, email, err := repo.AuthorIdent(ctx, nil)
	if err != nil {
		return err
	}
	if pol, err := policy.Load(w.src, w.kinds); err == nil {
		per := pol.ByEmail(email)
		switch {
		case per == nil:
			return withHint(usagef("your git author email %q is no staff member's: the acceptance would count for nothing", email),
				"git config user.email <the email of your staff record>")
		case pol.Matrix == nil:
			return withHint(usagef("the responsibility matrix cannot be used, so nobody governs: an acceptance would count for nothing"),
				"run 'qms validate' and fix the matrix first")
		case !pol.Governs(per):
			return withHint(usagef("%s (%s) holds no governing role (%s): an acceptance is a governor's", per.Name, per.ID, strings.Join(pol.Matrix.Govern, ", ")),
				"ask a governor to accept the commit")
		}
	}
	// Accept what verification refuses, and say what that is: the
	// acceptor signs for these failures.
	v, err := verifyHistory(env, w, verifyRun{})
	if err != nil {
		return err
	}
	var failures []approval.Failure
	for _, f := range v.report.Failures {
		if f.Commit == c.ID {
			failures = append(failures, f)
		}
	}
	for _, ex := range v.report.Accepted {
		if ex.Commit == c.ID {
			return withHint(usagef("commit %s is accepted already, by %s (%s) in commit %s: %s", short(c.ID), ex.Name, ex.By, short(ex.Acceptance), ex.Reason),
				"'qms verify' lists it as an accepted exception")
		}
	}
	if len(failures) == 0 {
		return withHint(usagef("commit %s did not fail verification: there is nothing to accept", short(c.ID)),
			"'qms verify' names the commits that fail")
	}
	staged, err := repo.HasStagedChanges(ctx)
	if err != nil {
		return err
	}
	if staged {
		return withHint(usagef("the index has staged changes, which would go into the acceptance commit"),
			"commit them first, or unstage them with 'git restore --staged .'")
	}
	subject := fmt.Sprintf("Accept %s: %s", short(c.ID), reason)
	if r := []rune(subject); len(r) > 72 {
		subject = string(r[:69]) + "..."
	}
	id, err := repo.CommitSigned(ctx, nil, subject, []string{approval.AcceptLine(c.ID, reason)})
	if err != nil {
		return signingError(err)
	}
	fmt.Fprintf(env.Stdout, "accepted commit %s in commit %s: %s\n", short(c.ID), short(id), reason)
	for _, f := range failures {
		fmt.Fprintf(env.Stdout, "  %s [%s]\n", f.Message, f.Rule)
	}
	return nil
}
