package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/qms-tool/qms/internal/archive"
	"github.com/qms-tool/qms/internal/schema"
	"github.com/qms-tool/qms/internal/vcs"
)

func archiveCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:  "archive",
		Usage: "the signed long-term archive: build, push, list, verify, restore, drill, cost",
		Description: "An archive is one deterministic .tar.gz of a commit (history bundle, files, rendered\n" +
			"records, keys, manifest, instructions) with a detached OpenPGP signature (.asc),\n" +
			"checkable in years with nothing but gpg, sha256sum, tar, git and a browser.",
		Subcommands: []*cli.Command{
			archiveBuildCommand(env),
			archivePushCommand(env),
			archiveListCommand(env),
			archiveVerifyCommand(env),
			archiveRestoreCommand(env),
			archiveDrillCommand(env),
			archiveCostCommand(env),
		},
	}
}

// signKeyEnv names the environment variable holding the signing key's path.
const signKeyEnv = "QMS_SIGN_KEY"

// signKeyFlag is the --sign-key of build and push.
func signKeyFlag() cli.Flag {
	return &cli.StringFlag{Name: "sign-key", Usage: "armored OpenPGP secret key `FILE` to sign the archive with (default $" + signKeyEnv + ")"}
}

// readSignKey reads the archive signing key from --sign-key or
// $QMS_SIGN_KEY; archive.ReadSignKey refuses one inside the repository.
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
	key, err := archive.ReadSignKey(p, repoRoot)
	var pe *fs.PathError
	switch {
	case errors.Is(err, archive.ErrKeyInRepository):
		return nil, withHint(usagef("signing key %s is inside the repository %s: refusing to use it", p, repoRoot),
			"move the secret key out of the repository (and out of its history) and point %s or --sign-key at it", signKeyEnv)
	case errors.As(err, &pe):
		return nil, fmt.Errorf("signing key (%s): %w", from, err)
	case err != nil:
		return nil, withHint(fmt.Errorf("%s: %w", p, err), "export one with 'gpg --armor --export-secret-keys FINGERPRINT > FILE'")
	}
	return key, nil
}

// archiveDir is where 'qms archive build' keeps archives by default and
// where 'qms archive push' looks for them: .git/qms/archive, shared by
// every worktree of the repository.
func archiveDir(repo *vcs.Repo) string {
	return filepath.Join(repo.GitDir(), "qms", "archive")
}

// kindPlaces maps each record kind to its folder or single file, as
// archive.BuildOptions.Kinds and vault.Required.Kinds take them.
func kindPlaces(kinds *schema.Set) map[string]string {
	m := map[string]string{}
	for _, name := range kinds.Names {
		k := kinds.Kinds[name]
		m[name] = k.Folder + k.File
	}
	return m
}
