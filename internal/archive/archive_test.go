package archive_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/qms-tool/qms/internal/archive"
	"github.com/qms-tool/qms/internal/testkit/testrepo"
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
	lab.Write("notes/back\\slash.txt", "odd names are archived too\n")
	lab.Write("notes/new\nline.txt", "odd names are archived too\n")
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
	if err := archive.VerifySignature([]byte(f.lab.ExportGPG(f.signFpr)), bytes.NewReader(info.TagManifest), info.Signature); err != nil {
		t.Errorf("VerifySignature(tag manifest): %v", err)
	}
	if m, err := archive.ReadMeta(bytes.NewReader(data)); err != nil || m.Format != archive.Format {
		t.Errorf("ReadMeta = format %d, %v; want %d", m.Format, err, archive.Format)
	}
	c, err := archive.Inspect(context.Background(), bytes.NewReader(data))
	if err != nil || c.Format != archive.Format || !bytes.Equal(c.TagManifest, info.TagManifest) || !bytes.Equal(c.BagInfo, info.BagInfo) || !bytes.Equal(c.SigningKey, info.Key) {
		t.Errorf("Inspect = format %d, %v; the tag manifest, bag-info.txt or key differ from Build's", c.Format, err)
	}
	if got := info.Meta.Records["incident"]; got == 0 {
		t.Errorf("Meta.Records = %v, want incidents counted", info.Meta.Records)
	}
	if m, err := archive.ReadMeta(bytes.NewReader(data)); err != nil || m.Commit != info.Commit || m.Retention != info.Meta.Retention || m.Records["incident"] != info.Meta.Records["incident"] {
		t.Errorf("ReadMeta = %+v, %v; want %+v", m, err, info.Meta)
	}
	findings, err := archive.Check(context.Background(), bytes.NewReader(data))
	if err != nil || len(findings) != 0 {
		t.Errorf("Check = %v, %v; want no findings", findings, err)
	}
	// A flipped bit that changes what the archive holds, even inside the
	// compressed bundle, is a finding. Some bits carry nothing (a gzip
	// header's time and OS bytes, the padding after pgzip's sync flushes):
	// flipping them leaves the same tar stream, so those are stepped over.
	plain := gunzip(t, data)
	for _, from := range []int{len(data) / 3, len(data) / 2, len(data) - 30} {
		at, bad := from, []byte(nil)
		for ; at < len(data); at++ {
			bad = bytes.Clone(data)
			bad[at] ^= 0x10
			if b, err := gunzipErr(bad); err != nil || !bytes.Equal(b, plain) {
				break
			}
		}
		if at == len(data) {
			t.Fatalf("no bit from byte %d on changes the archive", from)
		}
		findings, err := archive.Check(context.Background(), bytes.NewReader(bad))
		if err != nil || len(findings) == 0 {
			t.Errorf("Check(archive with byte %d of %d changed) = %v, %v; want findings", at, len(data), findings, err)
		}
	}
	dir := t.TempDir()
	if err := archive.Extract(context.Background(), bytes.NewReader(data), dir); err != nil {
		t.Fatalf("Extract: %v", err)
	}
	for _, p := range []string{"bagit.txt", "bag-info.txt", "manifest-sha256.txt", "manifest-sha512.txt", "tagmanifest-sha256.txt", "tagmanifest-sha512.txt",
		"data/VERIFY.txt", "data/archive.json", "data/repo.bundle", "data/tree/qms.yaml", "data/html/index.html", "data/keys/archive-signing-key.asc", "data/keys/anna.asc"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Errorf("extracted archive: %v", err)
		}
	}
	if target, err := os.Readlink(filepath.Join(dir, "data/tree/bin/notes")); err != nil || target != "../records/notes.md" {
		t.Errorf("data/tree/bin/notes → %q, %v", target, err)
	}
	if st, err := os.Stat(filepath.Join(dir, "data/tree/bin/run.sh")); err != nil || st.Mode().Perm()&0o100 == 0 {
		t.Errorf("tree/bin/run.sh lost its executable bit: %v", err)
	}
}

// TestBuildDeterministic builds the same commit from the original
// repository (loose objects), a --no-local clone (one pack) and a clone
// repacked differently, checked out under another umask, with other
// branches and remote refs, and with another time zone and locale: the
// bytes must be the same.
func TestBuildDeterministic(t *testing.T) {
	f := newFixture(t)
	lab := f.lab
	a := filepath.Join(lab.Dir, "a")
	lab.Run(lab.Dir, nil, "git", "clone", "-q", "--no-local", lab.Repo, a)

	old := syscall.Umask(0o077)
	b := filepath.Join(lab.Dir, "b")
	lab.Run(lab.Dir, nil, "git", "clone", "-q", "--no-local", lab.Repo, b)
	syscall.Umask(old)
	lab.Run(b, nil, "git", "branch", "feature")
	lab.Run(b, nil, "git", "-c", "pack.threads=2", "repack", "-q", "-a", "-d", "-f", "--window=3", "--depth=2")
	lab.Run(b, nil, "git", "gc", "-q", "--aggressive")

	want, wantInfo := f.build(t, lab.Repo)
	for _, tc := range []struct{ name, dir, tz, lang string }{
		{"one pack", a, "UTC", "C"},
		{"repacked, umask 077, other zone", b, "Pacific/Auckland", "de_DE.UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("TZ", tc.tz)
			t.Setenv("LANG", tc.lang)
			t.Setenv("LC_ALL", tc.lang)
			got, info := f.build(t, tc.dir)
			if info.Name != wantInfo.Name || info.SHA256 != wantInfo.SHA256 {
				t.Errorf("Build(%s) = %s %s, want %s %s", tc.name, info.Name, info.SHA256, wantInfo.Name, wantInfo.SHA256)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Build(%s): %d bytes differ from the original's %d", tc.name, len(got), len(want))
			}
		})
	}
}

// TestAuditor follows VERIFY.txt with nothing but a shell, gpg, sha256sum,
// tar, git and diff: every command it lists, as written, with an empty
// keyring.
func TestAuditor(t *testing.T) {
	f := newFixture(t)
	data, info := f.build(t, f.lab.Repo)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, info.Name), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, info.Name+".asc"), info.Signature, 0o644); err != nil {
		t.Fatal(err)
	}
	dx := t.TempDir()
	if err := archive.Extract(context.Background(), bytes.NewReader(data), dx); err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(filepath.Join(dx, "data/VERIFY.txt"))
	if err != nil {
		t.Fatal(err)
	}
	script := "set -eu\ntrap 'gpgconf --kill gpg-agent >/dev/null 2>&1 || true; rm -rf \"$GNUPGHOME\"' EXIT\n"
	n := 0
	for _, line := range strings.Split(string(text), "\n") {
		if strings.HasPrefix(line, "       ") && strings.TrimSpace(line) != "" {
			script += strings.TrimSpace(line) + "\n"
			n++
		}
	}
	if n < 10 {
		t.Fatalf("VERIFY.txt lists %d commands:\n%s", n, text)
	}
	script += "git -C repo verify-tag v1\ngit -C repo rev-parse HEAD\n"
	out, err := f.lab.Try(dir, nil, "sh", "-c", script)
	if err != nil {
		t.Fatalf("following VERIFY.txt failed: %v\n%s\nscript:\n%s", err, out, script)
	}
	if !strings.Contains(out, "Good signature") || !strings.Contains(out, f.commit) {
		t.Errorf("following VERIFY.txt:\n%s", out)
	}

	// The same steps catch a changed payload file, a changed tag file,
	// and a signature over another tag manifest.
	top := strings.TrimSuffix(info.Name, archive.Suffix)
	for _, tc := range []struct{ name, change string }{
		{"payload", "chmod -R u+w " + top + " && echo x >> " + top + "/data/tree/qms.yaml"},
		{"tag file", "chmod -R u+w " + top + " && echo X-Extra: 1 >> " + top + "/bag-info.txt"},
		{"tag manifest", "chmod -R u+w " + top + " && sed -i 1d " + top + "/tagmanifest-sha256.txt"},
	} {
		d := t.TempDir()
		os.WriteFile(filepath.Join(d, info.Name), data, 0o644)
		os.WriteFile(filepath.Join(d, info.Name+".asc"), info.Signature, 0o644)
		steps := strings.Replace(script, "tar -xzf "+info.Name+"\n", "tar -xzf "+info.Name+"\n"+tc.change+"\n", 1)
		steps = strings.Replace(steps, "tar -xzf "+info.Name+" "+top+"/tagmanifest-sha256.txt", "tar -xzf "+info.Name+"\n"+tc.change+"\n: ", 1)
		if out, err := f.lab.Try(d, nil, "sh", "-c", steps); err == nil {
			t.Errorf("following VERIFY.txt accepted a changed %s:\n%s", tc.name, out)
		}
	}
}

func TestBuildShallow(t *testing.T) {
	f := newFixture(t)
	shallow := filepath.Join(f.lab.Dir, "shallow")
	f.lab.Run(f.lab.Dir, nil, "git", "clone", "-q", "--depth=1", "file://"+f.lab.Repo, shallow)
	_, err := archive.Build(context.Background(), io.Discard, archive.BuildOptions{Root: shallow, Unsigned: true})
	if !errors.Is(err, archive.ErrShallow) {
		t.Errorf("Build(shallow clone) = %v, want ErrShallow", err)
	}
}

// TestBuildCanceled: a canceled build stops git and leaves no temporary
// files behind.
func TestBuildCanceled(t *testing.T) {
	f := newFixture(t)
	tmp := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := archive.Build(ctx, io.Discard, archive.BuildOptions{Root: f.lab.Repo, SignKey: f.signKey, TempDir: tmp}); err == nil {
		t.Errorf("Build(canceled) succeeded")
	}
	w := &failingWriter{after: 1000}
	if _, err := archive.Build(context.Background(), w, archive.BuildOptions{Root: f.lab.Repo, SignKey: f.signKey, TempDir: tmp}); err == nil {
		t.Errorf("Build(to a failing writer) succeeded")
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("Build left %d temporary files", len(left))
	}
}

type failingWriter struct{ after int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.after -= len(p); w.after < 0 {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

// TestGzipHeader: every gzip member says no name, no time, unknown OS.
func TestGzipHeader(t *testing.T) {
	f := newFixture(t)
	data, _ := f.build(t, f.lab.Repo)
	want := []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}
	if !bytes.HasPrefix(data, want) {
		t.Errorf("gzip header = % x, want % x", data[:10], want)
	}
	if n := bytes.Count(data, want); n < 4 {
		t.Errorf("%d gzip members with a clean header, want 4", n)
	}
}

// TestWriteFile: the archive and its signature land read-only, complete,
// with nothing else left in the folder.
func TestWriteFile(t *testing.T) {
	f := newFixture(t)
	dir := filepath.Join(t.TempDir(), "out")
	p := filepath.Join(dir, "a.tar.gz")
	if archive.Built(p) {
		t.Fatalf("Built(%s) before WriteFile", p)
	}
	info, err := archive.WriteFile(context.Background(), p, archive.BuildOptions{Root: f.lab.Repo, SignKey: f.signKey, TempDir: t.TempDir()})
	if err != nil {
		t.Fatalf("WriteFile: %v", err)
	}
	if !archive.Built(p) {
		t.Errorf("Built(%s) = false after WriteFile", p)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != info.SHA256 || int64(len(data)) != info.Size {
		t.Errorf("the file is not the archive WriteFile describes (%d bytes, want %d)", len(data), info.Size)
	}
	if sig, _ := os.ReadFile(p + archive.SigSuffix); !bytes.Equal(sig, info.Signature) {
		t.Errorf("%s%s is not the signature", p, archive.SigSuffix)
	}
	for _, q := range []string{p, p + archive.SigSuffix} {
		st, err := os.Stat(q)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o444 {
			t.Errorf("%s: mode %v, want read-only (0444)", q, st.Mode().Perm())
		}
	}
	for _, sc := range []struct {
		suffix string
		want   []byte
	}{{archive.TagManifestSuffix, info.TagManifest}, {archive.BagInfoSuffix, info.BagInfo}, {archive.KeySuffix, info.Key}} {
		if got, _ := os.ReadFile(p + sc.suffix); len(got) == 0 || !bytes.Equal(got, sc.want) {
			t.Errorf("%s%s is not the archive's", p, sc.suffix)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 5 {
		t.Errorf("WriteFile left %d files, want the archive, its signature and 3 sidecars", len(ents))
	}
}

// gunzip is the tar stream of a multi-member .tar.gz.
func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	out, err := gunzipErr(b)
	if err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	return out
}

func gunzipErr(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}
