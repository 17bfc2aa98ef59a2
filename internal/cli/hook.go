package cli

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/qms-tool/qms/internal/config"
	"github.com/qms-tool/qms/internal/safefile"
	"github.com/qms-tool/qms/internal/vcs"
)

// hookMarker identifies hooks qms wrote, so that reinstalling may replace
// them but a user's own hook is never overwritten silently.
const hookMarker = "installed by 'qms hook install'"

type hookOptions struct {
	force   bool
	prePush bool
}

func hookCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:  "hook",
		Usage: "install Git hooks that run qms",
		Subcommands: []*cli.Command{{
			Name:  "install",
			Usage: "install a pre-commit hook running 'qms validate --staged'",
			Flags: []cli.Flag{
				&cli.BoolFlag{Name: "force", Usage: "replace an existing pre-commit hook that qms did not install"},
				&cli.BoolFlag{Name: "pre-push", Usage: "install instead a pre-push hook running 'qms clone check --pushing' on the refs pushed to a remote"},
			},
			Action: func(c *cli.Context) error {
				if err := noArgs(c); err != nil {
					return err
				}
				return runHookInstall(c.Context, hookOptions{force: c.Bool("force"), prePush: c.Bool("pre-push")}, env)
			},
		}},
	}
}

func runHookInstall(_ context.Context, opts hookOptions, env *Env) error {
	root, err := config.FindRoot(env.Dir)
	if err != nil {
		return withHint(usageError{msg: err.Error()}, "run 'qms init' first")
	}
	repo, err := vcs.Open(root)
	if err != nil {
		return err
	}
	dir := repo.HooksDir()
	name, run := "pre-commit", "validate --staged"
	if opts.prePush {
		name, run = "pre-push", "clone check --pushing"
	}
	p := filepath.Join(dir, name)
	if old, err := os.ReadFile(p); err == nil && !strings.Contains(string(old), hookMarker) && !opts.force {
		return withHint(usagef("%s exists and was not installed by qms", p),
			"add 'qms %s' to it yourself, or rerun with --force to replace it", run)
	}
	exe := "qms"
	if _, err := exec.LookPath("qms"); err != nil {
		if self, err := os.Executable(); err == nil {
			exe = self
		}
	}
	script := fmt.Sprintf("#!/bin/sh\n# qms pre-commit hook, %s.\n# Refuses a commit whose records do not validate.\nexec %s validate --staged\n", hookMarker, shellQuote(exe))
	if opts.prePush {
		// Git passes the remote's name, or its URL when pushing to a URL
		// (then there is no remote to compare with), and the refs being
		// pushed on standard input, which exec hands on.
		script = fmt.Sprintf("#!/bin/sh\n# qms pre-push hook, %s.\n"+
			"# Git gives the refs being pushed on standard input. Refuses a push that\n"+
			"# would take commits or tags away from the remote (a forced push, a moved or\n"+
			"# deleted tag, a deleted unmerged branch), or from a clone whose objects are\n"+
			"# damaged. 'git push --no-verify' skips it.\n"+
			"git config --get \"remote.$1.url\" >/dev/null || exit 0\n"+
			"exec %s clone check --pushing --remote \"$1\"\n", hookMarker, shellQuote(exe))
	}
	if err := safefile.Write(p, []byte(script), 0o755); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "installed %s\n", p)
	return nil
}

func shellQuote(s string) string {
	if strings.IndexFunc(s, func(r rune) bool {
		return !(r == '/' || r == '.' || r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
