package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/archive"
	"github.com/qms-tool/qms/internal/config"
	site "github.com/qms-tool/qms/internal/render"
	"github.com/qms-tool/qms/internal/schema"
	"github.com/qms-tool/qms/internal/vcs"
)

type archiveBuildOptions struct {
	out     string
	signKey string
	commit  string
	branch  string
	format  string
}

func archiveBuildCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:  "build",
		Usage: "write the signed archive of a commit (default HEAD)",
		Description: "Writes qms-<commit date>-<commit>.tar.gz and its detached signature (.asc) into\n" +
			".git/qms/archive/ (or --out FILE and FILE.asc). The same commit built by the same qms\n" +
			"gives the same bytes from any clone. The signing key is an armored OpenPGP secret key\n" +
			"without passphrase, from --sign-key FILE or QMS_SIGN_KEY=FILE, never inside the repository.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "write the archive to `FILE` (default .git/qms/archive/NAME)"},
			signKeyFlag(),
			&cli.StringFlag{Name: "commit", Value: "HEAD", Usage: "the `REV` to archive"},
			&cli.StringFlag{Name: "branch", Usage: "the branch `NAME` the history is bundled under (default: the current branch when REV is its tip, else main)"},
			formatFlag(false),
		},
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			return runArchiveBuild(c.Context, archiveBuildOptions{out: c.String("out"), signKey: c.String("sign-key"),
				commit: c.String("commit"), branch: c.String("branch"), format: c.String("format")}, env)
		},
	}
}

func runArchiveBuild(ctx context.Context, opts archiveBuildOptions, env *Env) error {
	if err := checkFormat(opts.format, false); err != nil {
		return err
	}
	w, err := openWorkspace(env, false)
	if err != nil {
		return err
	}
	defer w.close()
	built, err := buildArchive(ctx, env, w, opts)
	if err != nil {
		return err
	}
	if opts.format == "json" {
		return json.NewEncoder(env.Stdout).Encode(built)
	}
	i := built.Info
	fmt.Fprintf(env.Stdout, "archive   %s\n", built.Path)
	fmt.Fprintf(env.Stdout, "signature %s\n", built.SigPath)
	fmt.Fprintf(env.Stdout, "commit    %s (%s, %s)\n", i.Commit, i.Branch, i.CommitTime.Format("2006-01-02 15:04:05 UTC"))
	fmt.Fprintf(env.Stdout, "size      %d bytes\n", i.Size)
	fmt.Fprintf(env.Stdout, "sha256    %s\n", i.SHA256)
	fmt.Fprintf(env.Stdout, "signer    %s\n", i.Signer)
	return nil
}

// builtArchiveFiles is a built archive on disk.
type builtArchiveFiles struct {
	Path    string       `json:"path"`
	SigPath string       `json:"signature_path"`
	Info    archive.Info `json:"archive"`
}

// buildArchive builds the archive of opts.commit into opts.out (default:
// archiveDir) with its signature beside it. 'qms archive push' calls it
// when the archive of HEAD is not built yet, with the workspace it has open.
func buildArchive(ctx context.Context, env *Env, w *workspace, opts archiveBuildOptions) (*builtArchiveFiles, error) {
	repo, err := w.gitRepo()
	if err != nil {
		return nil, err
	}
	key, err := readSignKey(env, opts.signKey, repo.Root)
	if err != nil {
		return nil, err
	}
	desc, err := archive.Describe(ctx, repo.Root, opts.commit, opts.branch)
	if errors.Is(err, archive.ErrNoCommit) {
		return nil, withHint(usageError{msg: err.Error()}, "commit the records first, or name an existing commit with --commit")
	}
	if err != nil {
		return nil, err
	}
	// Settings and kinds come from the archived commit, not the working
	// tree: the same commit must give the same archive.
	cm, err := repo.Commit(desc.Commit)
	if err != nil {
		return nil, err
	}
	// A tree git fsck calls malformed (the same name twice) reads one way
	// in git's ls-tree and tar and another in qms: archive none.
	if err := repo.CheckTree(cm.Tree); err != nil {
		return nil, withHint(fmt.Errorf("commit %s: %w", short(desc.Commit), err), "'git fsck' names it too; 'qms verify' names the commit that brought it in")
	}
	tree, err := repo.TreeFS(cm.Tree)
	if err != nil {
		return nil, err
	}
	cfg, _, err := config.Load(tree)
	if err != nil {
		return nil, withHint(fmt.Errorf("commit %s: %w", short(desc.Commit), err), "archive a commit of the QMS repository")
	}
	kindSet, _ := schema.Load(qms.Defaults, tree)
	// The retention goes into archive.json, so that the archive itself says
	// how long it must be kept; push applies it.
	retain, kindRetain, err := archive.Retention(cfg.Archive)
	if err != nil {
		return nil, periodError(err)
	}
	out := opts.out
	if out == "" {
		out = filepath.Join(archiveDir(repo), desc.Name)
	} else {
		out = absPath(env, out)
	}
	if st, err := os.Stat(out); err == nil && st.IsDir() {
		out = filepath.Join(out, desc.Name)
	}
	info, err := archive.WriteFile(ctx, out, archive.BuildOptions{
		Root: repo.Root, Commit: desc.Commit, Branch: desc.Branch, SignKey: key,
		ToolVersion: Version, Kinds: kindPlaces(kindSet), Now: env.Now, Organization: cfg.Company,
		Retention: retain, KindRetention: kindRetain, DocumentRetention: documentRetention(tree, kindSet),
		HTML: archivePages(ctx, env, w, repo, cm, tree, kindSet, cfg.Company),
	})
	if err != nil {
		return nil, err
	}
	return &builtArchiveFiles{Path: displayPath(env, out), SigPath: displayPath(env, out+archive.SigSuffix), Info: info}, nil
}

// periodError makes a retention period that cannot be read a usage error.
func periodError(err error) error {
	var pe *archive.PeriodError
	if errors.As(err, &pe) {
		return usageError{msg: err.Error()}
	}
	return err
}

// displayPath shows p relative to the working directory when it is below it.
func displayPath(env *Env, p string) string {
	if rel, err := filepath.Rel(env.Dir, p); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return p
}

// archivePages renders the site of 'qms render' for the archived commit,
// as of its commit time: the archive's html/ folder. When the archived
// commit is HEAD and qms.yaml sets a trust root, every record page carries
// its verified signatures; otherwise the pages say that signatures were
// not verified (repo.bundle holds them). Everything depends on the commit
// and its history only, so the archive stays deterministic.
func archivePages(ctx context.Context, env *Env, w *workspace, repo *vcs.Repo, commit *vcs.Commit, tree fs.FS, kinds *schema.Set, company string) func(emit func(string, []byte) error) error {
	in := site.Input{FS: tree, Kinds: kinds, Company: company, Now: commit.Committer.UTC(), Commit: commit.ID}
	if head, err := repo.Commit("HEAD"); err == nil && head.ID == commit.ID {
		if states, v, _ := approvalStates(env, w); v != nil {
			in.Approval = &site.Approval{Report: v.report, States: states, Blob: v.repo.Blob}
			// Without its history the pages say so; the archive still holds
			// it (repo.bundle), and the operator is told.
			var err error
			if in.Approval.History, err = recordHistory(ctx, v, w); err != nil {
				fmt.Fprintf(env.Stderr, "qms: warning: the archive's pages show no record history: %v\n", err)
			}
		}
	}
	return func(emit func(string, []byte) error) error { return site.Write(ctx, in, emit) }
}
