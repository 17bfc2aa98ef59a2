// Package testrepo builds real Git repositories, real gpg and ssh-keygen
// keys and real signed commits in a test's temporary directory, for the
// tests of the packages that verify them.
package testrepo

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/gitcmd"
	"github.com/qms-tool/qms/internal/testkit/need"
)

// Lab is a temporary home with its own GNUPGHOME and a git repository.
type Lab struct {
	T    testing.TB
	Dir  string // the home
	Repo string // the repository's working tree
	// Env is what every command of the lab runs in: gitcmd.Env with the
	// lab's home, GNUPGHOME, git configuration and identity.
	Env []string
	// Idents maps a signer (gpg fingerprint or SSH key path) to the
	// identity ("Name <email>") it was made for: Commit authors its
	// commits as that person, as their own git would.
	Idents map[string]string
}

// New makes a lab, skipping the test when git, gpg or ssh-keygen is
// missing (CI installs them).
func New(t testing.TB) *Lab {
	t.Helper()
	need.Tool(t, need.Git, "git")
	need.Tool(t, need.GPG, "gpg")
	need.Tool(t, need.SSHKeygen, "ssh-keygen")
	dir := t.TempDir()
	// gpg-agent's socket lives in GNUPGHOME, and socket paths are limited
	// to about 100 bytes: long test names make t.TempDir too long.
	gnupg, err := os.MkdirTemp("", "qg")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(gnupg) })
	if err := os.Chmod(gnupg, 0o700); err != nil {
		t.Fatal(err)
	}
	// The environment is git's (gitcmd.Env): a GIT_DIR or GIT_INDEX_FILE of
	// a hook running the tests does not send the lab's git elsewhere.
	l := &Lab{T: t, Dir: dir, Repo: filepath.Join(dir, "repo"), Idents: map[string]string{}, Env: gitcmd.Env(
		"HOME="+dir, "GNUPGHOME="+gnupg, "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+filepath.Join(dir, "gitconfig"),
		"GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=test@example.com",
		"GIT_COMMITTER_NAME=Test", "GIT_COMMITTER_EMAIL=test@example.com", "TZ=UTC")}
	t.Cleanup(func() { _ = exec.Command("gpgconf", "--homedir", gnupg, "--kill", "gpg-agent").Run() })
	l.Run(dir, nil, "git", "init", "-q", "-b", "main", "repo")
	return l
}

// Run runs a command and fails the test if it fails.
func (l *Lab) Run(dir string, stdin []byte, name string, args ...string) string {
	l.T.Helper()
	out, err := l.Try(dir, stdin, name, args...)
	if err != nil {
		l.T.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

// Try runs a command and returns its combined output.
func (l *Lab) Try(dir string, stdin []byte, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = dir, l.Env
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// Git runs git in the repository and returns its trimmed output.
func (l *Lab) Git(args ...string) string {
	l.T.Helper()
	return strings.TrimSpace(l.Run(l.Repo, nil, "git", args...))
}

// GPGKey makes an OpenPGP key and returns its fingerprint.
func (l *Lab) GPGKey(uid, algo string, extra ...string) string {
	l.T.Helper()
	args := append([]string{"--batch", "--pinentry-mode", "loopback", "--passphrase", ""}, extra...)
	args = append(args, "--quick-gen-key", uid, algo, "sign", "0")
	l.Run(l.Dir, nil, "gpg", args...)
	out := l.Run(l.Dir, nil, "gpg", "--with-colons", "--fingerprint", uid)
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "fpr:") {
			fpr := strings.Split(line, ":")[9]
			l.Idents[fpr] = uid
			return fpr
		}
	}
	l.T.Fatalf("no fingerprint for %s", uid)
	return ""
}

// ExportGPG returns the armored public key.
func (l *Lab) ExportGPG(fpr string) string {
	l.T.Helper()
	return l.Run(l.Dir, nil, "gpg", "--armor", "--export", fpr)
}

// SSHKey makes an Ed25519 SSH key and returns the private key's path;
// uid, when given, is the identity ("Name <email>") its commits carry.
func (l *Lab) SSHKey(name string, uid ...string) string {
	l.T.Helper()
	p := filepath.Join(l.Dir, name)
	l.Run(l.Dir, nil, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", p)
	if len(uid) > 0 {
		l.Idents[p] = uid[0]
	}
	return p
}

// Write writes a file in the working tree.
func (l *Lab) Write(p, content string) {
	l.T.Helper()
	full := filepath.Join(l.Repo, filepath.FromSlash(p))
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		l.T.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
		l.T.Fatal(err)
	}
}

// Commit stages everything and commits; signer is a gpg fingerprint, an
// SSH private key path, or "" for an unsigned commit. It returns the id.
func (l *Lab) Commit(signer, msg string, config ...string) string {
	l.T.Helper()
	args := []string{}
	for _, c := range config {
		args = append(args, "-c", c)
	}
	switch {
	case signer == "":
		args = append(args, "-c", "commit.gpgSign=false")
	case strings.HasPrefix(signer, "/"):
		args = append(args, "-c", "gpg.format=ssh", "-c", "user.signingkey="+signer+".pub", "-c", "commit.gpgSign=true")
	default:
		args = append(args, "-c", "user.signingkey="+signer, "-c", "commit.gpgSign=true")
	}
	l.Git("add", "-A")
	args = append(args, "commit", "-q", "--allow-empty", "-m", msg)
	if who, ok := l.Idents[signer]; ok {
		args = append(args, "--author", who)
	}
	l.Git(args...)
	return l.Git("rev-parse", "HEAD")
}

// Example returns the embedded example QMS (qms init --example) as an
// editable in-memory file system.
func Example(t testing.TB) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	err := fs.WalkDir(qms.Example, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(qms.Example, p)
		m[p] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}
