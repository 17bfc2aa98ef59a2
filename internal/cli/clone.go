package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/clone"
	"github.com/qms-tool/qms/internal/oid"
)

type cloneOptions struct {
	dirs     []string
	remote   string
	mirrors  []string
	format   string
	refsOnly bool
	strict   bool
	pushing  bool
	timeout  time.Duration
}

func cloneCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:  "clone",
		Usage: "prove that clones and mirrors are faithful backups of origin",
		Subcommands: []*cli.Command{{
			Name:      "check",
			Usage:     "compare each clone (and each mirror) with origin, and check every object",
			ArgsUsage: "[DIR...]",
			Description: "For each clone (default: the current one), compares every local branch and tag with\n" +
				"the remote's (read with git ls-remote: nothing is fetched into or changed in the clone),\n" +
				"checks that every object reachable from a ref is present and hashes to its id, and reports\n" +
				"uncommitted, untracked and stashed work (warnings: it is not backed up). Commits the clone\n" +
				"does not have are fetched into a throwaway repository to count them. Each --mirror is\n" +
				"compared with origin the same way.\n" +
				"Exit status: 0 everything matches, 1 a deviation, 3 a remote cannot be reached.",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "remote", Value: "origin", Usage: "the remote each clone is compared with"},
				&cli.StringSliceFlag{Name: "mirror", Usage: "a mirror's URL or path to compare with origin (repeatable)"},
				&cli.BoolFlag{Name: "refs-only", Usage: "compare refs only; skip reading and hashing the objects"},
				&cli.BoolFlag{Name: "strict", Usage: "also fail on uncommitted, untracked or stashed work"},
				&cli.BoolFlag{Name: "pushing", Usage: "run before a push (the pre-push hook): compare only the refs being pushed, read from standard input as git gives them, and refuse what would take commits or tags away from the remote"},
				&cli.DurationFlag{Name: "timeout", Value: time.Minute, Usage: "give up on a remote that has not answered after this long"},
				formatFlag(false),
			},
			Action: func(c *cli.Context) error {
				return runCloneCheck(c.Context, cloneOptions{dirs: c.Args().Slice(), remote: c.String("remote"),
					mirrors: c.StringSlice("mirror"), format: c.String("format"), refsOnly: c.Bool("refs-only"),
					strict: c.Bool("strict"), pushing: c.Bool("pushing"), timeout: c.Duration("timeout")}, env)
			},
		}},
	}
}

func runCloneCheck(ctx context.Context, opts cloneOptions, env *Env) error {
	if err := checkFormat(opts.format, false); err != nil {
		return err
	}
	if opts.remote == "" {
		return usagef("--remote needs a name")
	}
	dirs := opts.dirs
	if len(dirs) == 0 {
		dirs = []string{"."}
	}
	if opts.timeout <= 0 {
		return usagef("--timeout must be positive, got %s", opts.timeout)
	}
	copts := clone.Options{Remote: opts.remote, RefsOnly: opts.refsOnly, Timeout: opts.timeout}
	if opts.pushing {
		if len(dirs) > 1 {
			return usagef("--pushing checks one clone, the one being pushed from")
		}
		push, err := readPush(env)
		if err != nil {
			return err
		}
		copts.Pushing, copts.Push = true, push
	}
	var (
		reports     []*clone.Report
		mirrors     []*clone.Mirror
		findings    []qms.Finding
		unreachable []string
	)
	for _, d := range dirs {
		abs := absPath(env, d)
		if st, err := os.Stat(abs); err != nil || !st.IsDir() {
			return withHint(usagef("%s is not a directory", d), "name the directory of a clone, or cd into one")
		}
		rep, err := clone.Check(ctx, abs, copts)
		var re *clone.RemoteError
		switch {
		case errors.As(err, &re):
			unreachable = append(unreachable, fmt.Sprintf("%s: remote %s (%s): %v", d, rep.Remote, rep.URL, re.Err))
		case errors.Is(err, clone.ErrNotRepository):
			return withHint(usagef("%s is not a Git clone", d), "name the directory of a clone, or cd into one")
		case errors.Is(err, clone.ErrNoRemote):
			return withHint(usageError{msg: err.Error()}, "pass --remote NAME ('git -C %s remote' lists them)", d)
		case err != nil:
			return err
		}
		reports = append(reports, rep)
		findings = append(findings, rep.Findings(d)...)
	}
	// Mirrors are compared with the first clone's origin.
	if len(opts.mirrors) > 0 {
		if reports[0].Unreachable != "" {
			unreachable = append(unreachable, "mirrors not compared: origin cannot be reached")
		} else {
			for _, u := range opts.mirrors {
				m, err := clone.CheckMirror(ctx, reports[0], clone.AbsURL(env.Dir, u), copts)
				var re *clone.RemoteError
				switch {
				case errors.As(err, &re):
					unreachable = append(unreachable, fmt.Sprintf("mirror %s: %v", u, re.Err))
				case err != nil:
					return err
				}
				m.URL = u // as the user wrote it
				mirrors = append(mirrors, m)
				findings = append(findings, m.Findings(reports[0].Remote)...)
			}
		}
	}

	if opts.format == "json" {
		if mirrors == nil {
			mirrors = []*clone.Mirror{}
		}
		if err := printFindings(env.Stdout, "json", findings, map[string]any{"clones": reports, "mirrors": mirrors}); err != nil {
			return err
		}
	} else {
		for i, rep := range reports {
			printClone(env.Stdout, dirs[i], rep)
		}
		for _, m := range mirrors {
			printMirror(env.Stdout, m, reports[0].Remote)
		}
		if len(findings) > 0 {
			fmt.Fprintln(env.Stdout)
			printFindings(env.Stdout, "text", findings, nil)
		}
	}
	if len(unreachable) > 0 {
		return withHint(fmt.Errorf("cannot reach %s", strings.Join(unreachable, "; ")),
			"check the URL ('git remote -v') and the network, then run again")
	}
	errs, warns := count(findings)
	if errs > 0 || (opts.strict && warns > 0) {
		if opts.pushing {
			n := errs
			if opts.strict {
				n += warns
			}
			fmt.Fprintf(env.Stderr, "qms: push to %s refused: %s above\n", opts.remote, plural(n, "problem"))
			fmt.Fprintf(env.Stderr, "qms: hint: fix it and push again; to push anyway, knowing what it does, add --no-verify to 'git push'\n")
		}
		return errFindings
	}
	return nil
}

// maxPushInput bounds what --pushing reads from git: a line per ref pushed.
const maxPushInput = 16 << 20

// readPush reads the refs being pushed from standard input, where git
// writes them for the pre-push hook.
func readPush(env *Env) ([]clone.PushRef, error) {
	if env.Stdin == nil {
		return nil, nil
	}
	if f, ok := env.Stdin.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			return nil, withHint(usagef("--pushing reads the refs being pushed from standard input, as git gives them to the pre-push hook"),
				"install the hook with 'qms hook install --pre-push', or pipe in '<local ref> <local id> <remote ref> <remote id>' lines")
		}
	}
	b, err := io.ReadAll(io.LimitReader(env.Stdin, maxPushInput+1))
	if err != nil {
		return nil, fmt.Errorf("read the refs being pushed: %w", err)
	}
	if len(b) > maxPushInput {
		return nil, usagef("--pushing: more than %d MiB on standard input", maxPushInput>>20)
	}
	push, err := clone.ParsePush(b)
	if err != nil {
		return nil, usagef("--pushing: %v", err)
	}
	return push, nil
}

func printClone(w io.Writer, name string, r *clone.Report) {
	fmt.Fprintf(w, "clone %s (%s: %s)\n", name, r.Remote, r.URL)
	if r.Unreachable != "" {
		fmt.Fprintf(w, "  refs: not compared, %s\n", r.Unreachable)
	} else if r.Pushing() && len(r.Refs) == 0 {
		fmt.Fprintln(w, "  refs: none to push")
	} else {
		printRefs(w, r.Refs, "LOCAL", strings.ToUpper(r.Remote), "local", r.Remote)
	}
	if in := r.Objects; in != nil {
		bad := len(in.Missing) + len(in.Corrupt)
		verdict := "all intact"
		if bad > 0 {
			verdict = fmt.Sprintf("%d missing, %d damaged", len(in.Missing), len(in.Corrupt))
		}
		fmt.Fprintf(w, "  objects: %s hashed (%s, %d loose), %d reachable from refs: %s\n",
			plural(in.Objects, "object"), plural(in.Packs, "pack"), in.Loose, in.Reachable, verdict)
	}
	if wt := r.Worktree; wt != nil {
		if wt.Clean() {
			fmt.Fprintln(w, "  working tree: clean")
		} else {
			var parts []string
			for _, p := range []struct {
				n    int
				word string
			}{{len(wt.Staged), "staged"}, {len(wt.Modified), "modified"}, {len(wt.Unmerged), "unmerged"}, {len(wt.Untracked), "untracked"}} {
				if p.n > 0 {
					parts = append(parts, fmt.Sprintf("%d %s", p.n, p.word))
				}
			}
			if wt.Stashes > 0 {
				parts = append(parts, plural(wt.Stashes, "stash"))
			}
			fmt.Fprintf(w, "  working tree: %s (not backed up)\n", strings.Join(parts, ", "))
		}
	}
}

func printMirror(w io.Writer, m *clone.Mirror, origin string) {
	fmt.Fprintf(w, "mirror %s\n", m.URL)
	if m.Unreachable != "" {
		fmt.Fprintf(w, "  refs: not compared, %s\n", m.Unreachable)
		return
	}
	printRefs(w, m.Refs, "MIRROR", strings.ToUpper(origin), "mirror", origin)
}

func printRefs(w io.Writer, refs []clone.RefState, here, there, side, ref string) {
	if len(refs) == 0 {
		fmt.Fprintln(w, "  no branches or tags on either side")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  REF\t%s\t%s\tSTATE\n", here, there)
	for _, s := range refs {
		state := s.Describe(side, ref)
		if s.Via != "" {
			state += " (via " + strings.TrimPrefix(s.Via, "refs/") + ")"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", strings.TrimPrefix(s.Ref, "refs/"), shortID(s.Local), shortID(s.Remote), state)
	}
	tw.Flush()
}

func shortID(id oid.ID) string {
	if id.IsZero() {
		return "-"
	}
	return id.Short()
}
