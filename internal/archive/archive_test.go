package archive_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qms-tool/qms/internal/archive"
	"github.com/qms-tool/qms/internal/testrepo"
)

// fixture is a small signed QMS repository with a tag, and an archive
// signing key kept outside it.
type fixture struct {
	lab     *testrepo.Lab
	signKey []byte // armored secret key
	signFpr string
	commit  string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	lab := testrepo.New(t)
	fpr := lab.GPGKey("Anna Author <anna@silvretta.example>", "ed25519")
	for p, f := range testrepo.Example(t) {
		lab.Write(p, string(f.Data))
	}
	lab.Write("keys/anna.asc", lab.ExportGPG(fpr))
	lab.Commit(fpr, "Start the QMS")
	lab.Git("-c", "user.signingkey="+fpr, "tag", "-s", "-m", "first release", "v1")
	lab.Write("records/notes.md", "# Notes\n\nback\\slash and ünïcode\n")
	lab.Write("bin/run.sh", "#!/bin/sh\necho ok\n")
	lab.Run(lab.Repo, nil, "chmod", "+x", "bin/run.sh")
	lab.Run(lab.Repo, nil, "ln", "-s", "../records/notes.md", "bin/notes")
	commit := lab.Commit(fpr, "Add notes")

	signFpr := lab.GPGKey("Silvretta Archive <archive@silvretta.example>", "ed25519")
	key := lab.Run(lab.Dir, nil, "gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", "",
		"--armor", "--export-secret-keys", signFpr)
	return &fixture{lab: lab, signKey: []byte(key), signFpr: signFpr, commit: commit}
}

func (f *fixture) build(t *testing.T, root string) ([]byte, archive.Info) {
	t.Helper()
	var buf bytes.Buffer
	info, err := archive.Build(context.Background(), &buf, archive.BuildOptions{
		Root: root, SignKey: f.signKey, ToolVersion: "v0.0.0-test", TempDir: t.TempDir(),
		Kinds: map[string]string{"incident": "records/incidents", "matrix": "records/matrix.md"},
		HTML: func(emit func(string, []byte) error) error {
			return emit("records/notes.html", []byte("<p>notes</p>\n"))
		},
	})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return buf.Bytes(), info
}

func TestBuild(t *testing.T) {
	f := newFixture(t)
	data, info := f.build(t, f.lab.Repo)
	sum := sha256.Sum256(data)
	if info.SHA256 != hex.EncodeToString(sum[:]) || info.Size != int64(len(data)) {
		t.Errorf("Info = %d bytes %s, the archive is %d bytes %x", info.Size, info.SHA256, len(data), sum)
	}
	if info.Commit != f.commit || info.Branch != "main" || !strings.HasPrefix(info.Name, "qms-") || !strings.HasSuffix(info.Name, f.commit[:12]+".tar.gz") {
		t.Errorf("Info = %+v", info)
	}
	if info.Signer != f.signFpr {
		t.Errorf("Signer = %s, want %s", info.Signer, f.signFpr)
	}
	if err := archive.VerifySignature([]byte(f.lab.ExportGPG(f.signFpr)), bytes.NewReader(data), info.Signature); err != nil {
		t.Errorf("VerifySignature: %v", err)
	}
	if got := info.Meta.Records["incident"]; got == 0 {
		t.Errorf("Meta.Records = %v, want incidents counted", info.Meta.Records)
	}
	findings, err := archive.Check(context.Background(), bytes.NewReader(data))
	if err != nil || len(findings) != 0 {
		t.Errorf("Check = %v, %v; want no findings", findings, err)
	}
	dir := t.TempDir()
	if err := archive.Extract(context.Background(), bytes.NewReader(data), dir); err != nil {
		t.Fatalf("Extract: %v", err)
	}
	for _, p := range []string{"MANIFEST.sha256", "VERIFY.txt", "archive.json", "repo.bundle", "tree/qms.yaml", "html/index.html", "keys/archive-signing-key.asc", "keys/anna.asc"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Errorf("extracted archive: %v", err)
		}
	}
	if target, err := os.Readlink(filepath.Join(dir, "tree/bin/notes")); err != nil || target != "../records/notes.md" {
		t.Errorf("tree/bin/notes → %q, %v", target, err)
	}
	if st, err := os.Stat(filepath.Join(dir, "tree/bin/run.sh")); err != nil || st.Mode().Perm()&0o100 == 0 {
		t.Errorf("tree/bin/run.sh lost its executable bit: %v", err)
	}
}
