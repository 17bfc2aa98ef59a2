package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/qms-tool/qms/internal/archive"
	"github.com/qms-tool/qms/internal/vcs"
)

// archiveSubcommands are the constructors of the 'qms archive' subcommands
// besides build; the storage commands (push, list, verify, restore) add
// theirs in an init function of their own file.
var archiveSubcommands []func(env *Env) *cli.Command

func archiveCommand(env *Env) *cli.Command {
	subs := []*cli.Command{archiveBuildCommand(env)}
	for _, f := range archiveSubcommands {
		subs = append(subs, f(env))
	}
	return &cli.Command{
		Name:  "archive",
		Usage: "the signed long-term archive: build, push, list, verify, restore",
		Description: "An archive is one deterministic .tar.gz of a commit (history bundle, files, rendered\n" +
			"records, keys, manifest, instructions) with a detached OpenPGP signature (.asc),\n" +
			"checkable in years with nothing but gpg, sha256sum, tar, git and a browser.",
		Subcommands: subs,
	}
}

// signKeyEnv names the environment variable holding the signing key's path.
const signKeyEnv = "QMS_SIGN_KEY"

// signKeyFlag is the --sign-key of build and push.
func signKeyFlag() cli.Flag {
	return &cli.StringFlag{Name: "sign-key", Usage: "armored OpenPGP secret key `FILE` to sign the archive with (default $" + signKeyEnv + ")"}
}

// readSignKey reads the archive signing key from --sign-key or
// $QMS_SIGN_KEY. The key must live outside the repository: a private key
// committed by mistake would be archived for ten years.
func readSignKey(env *Env, flag, repoRoot string) ([]byte, error) {
	p := flag
	from := "--sign-key"
	if p == "" {
		p, from = env.Getenv(signKeyEnv), signKeyEnv
	}
	if p == "" {
		return nil, withHint(usagef("no archive signing key"),
			"give an armored OpenPGP secret key kept outside the repository with --sign-key FILE or %s=FILE", signKeyEnv)
	}
	p = absPath(env, p)
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return nil, fmt.Errorf("signing key (%s): %w", from, err)
	}
	if root, err := filepath.EvalSymlinks(repoRoot); err == nil {
		if rel, err := filepath.Rel(root, real); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return nil, withHint(usagef("signing key %s is inside the repository %s: refusing to use it", p, repoRoot),
				"move the secret key out of the repository (and out of its history) and point %s or --sign-key at it", signKeyEnv)
		}
	}
	b, err := os.ReadFile(real)
	if err != nil {
		return nil, fmt.Errorf("signing key (%s): %w", from, err)
	}
	if _, _, err := archive.PublicKey(b); err != nil {
		return nil, withHint(fmt.Errorf("%s: %w", p, err), "export one with 'gpg --armor --export-secret-keys FINGERPRINT > FILE'")
	}
	return b, nil
}

// archiveDir is where 'qms archive build' keeps archives by default and
// where 'qms archive push' looks for them: .git/qms/archive, shared by
// every worktree of the repository.
func archiveDir(repo *vcs.Repo) string {
	return filepath.Join(repo.GitDir(), "qms", "archive")
}

// builtArchive returns the path of the archive called name in dir, and
// whether it and its signature both exist.
func builtArchive(dir, name string) (string, bool) {
	tarball := filepath.Join(dir, name)
	_, err1 := os.Stat(tarball)
	_, err2 := os.Stat(tarball + archive.SigSuffix)
	return tarball, err1 == nil && err2 == nil
}
