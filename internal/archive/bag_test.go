package archive_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qms-tool/qms/internal/archive"
	"github.com/qms-tool/qms/internal/testkit/need"
)

// rewrite copies the archive data member by member through edit, which
// may change a body or drop the member (nil), then appends extra members.
func rewrite(t *testing.T, data []byte, edit func(name string, body []byte) []byte, extra ...member) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	top := ""
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if top == "" {
			top = h.Name
		}
		body, _ := io.ReadAll(tr)
		switch h.Typeflag {
		case tar.TypeReg:
			body = edit(strings.TrimPrefix(h.Name, top), body)
			if body == nil {
				continue
			}
			h.Size = int64(len(body))
		case tar.TypeSymlink:
			// A link is edited as "-> target": nil drops it.
			to := edit(strings.TrimPrefix(h.Name, top), []byte("-> "+h.Linkname))
			if to == nil {
				continue
			}
			h.Linkname = strings.TrimPrefix(string(to), "-> ")
		}
		tw.WriteHeader(h)
		tw.Write(body)
	}
	for _, m := range extra {
		if m.typ == tar.TypeSymlink {
			tw.WriteHeader(&tar.Header{Name: top + m.name, Typeflag: tar.TypeSymlink, Mode: 0o777, Linkname: m.link})
			continue
		}
		tw.WriteHeader(&tar.Header{Name: top + m.name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(m.body))})
		tw.Write([]byte(m.body))
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

// TestInspectBag: each way a bag can be wrong is a finding naming the file.
func TestInspectBag(t *testing.T) {
	f := newFixture(t)
	data, info := f.build(t, f.lab.Repo)
	same := func(_ string, b []byte) []byte { return b }
	drop := func(what string) func(string, []byte) []byte {
		return func(name string, b []byte) []byte {
			if name == what {
				return nil
			}
			return b
		}
	}
	change := func(what string, to func([]byte) []byte) func(string, []byte) []byte {
		return func(name string, b []byte) []byte {
			if name == what {
				return to(b)
			}
			return b
		}
	}
	flip := func(b []byte) []byte { b = bytes.Clone(b); b[0] ^= 0x20; return b }
	tests := []struct {
		name  string
		data  []byte
		want  []string // path: rule, in order
		label string
	}{
		{"as built", data, nil, ""},
		{"missing payload file", rewrite(t, data, drop("data/tree/qms.yaml")), []string{"bag-info.txt [archive-bag]", "data/tree/qms.yaml [archive-manifest]"}, ""},
		{"extra payload file", rewrite(t, data, same, member{name: "data/tree/extra.md", body: "hello\n"}),
			[]string{"bag-info.txt [archive-bag]", "data/tree/extra.md [archive-manifest]"}, ""},
		{"altered payload file", rewrite(t, data, change("data/tree/qms.yaml", flip)), []string{"data/tree/qms.yaml [archive-manifest]"}, ""},
		{"tag manifest does not match", rewrite(t, data, change("bag-info.txt", func(b []byte) []byte { return append(bytes.Clone(b), "X-Note: added\n"...) })),
			[]string{"bag-info.txt [archive-tag-manifest]"}, ""},
		{"extra tag file", rewrite(t, data, same, member{name: "notes.txt", body: "hello\n"}), []string{"notes.txt [archive-tag-manifest]"}, ""},
		{"Payload-Oxum wrong", rewrite(t, data, change("bag-info.txt", func(b []byte) []byte {
			return bytes.Replace(b, []byte("Payload-Oxum: "), []byte("Payload-Oxum: 1"), 1)
		})), []string{"bag-info.txt [archive-bag]", "bag-info.txt [archive-tag-manifest]"}, ""},
		{"no bagit.txt", rewrite(t, data, drop("bagit.txt")), []string{"bagit.txt [archive-bag]", "bagit.txt [archive-tag-manifest]"}, ""},
		// Symbolic links are no files to BagIt: qms-symlinks.txt, a signed
		// tag file, lists them with their targets.
		{"symbolic link retargeted", rewrite(t, data, change("data/tree/bin/notes", func([]byte) []byte { return []byte("-> ../qms.yaml") })),
			[]string{"data/tree/bin/notes [archive-manifest]"}, ""},
		{"symbolic link dropped", rewrite(t, data, drop("data/tree/bin/notes")), []string{"data/tree/bin/notes [archive-manifest]"}, ""},
		{"symbolic link added", rewrite(t, data, same, member{name: "data/tree/records/more.md", typ: tar.TypeSymlink, link: "../qms.yaml"}),
			[]string{"data/tree/records/more.md [archive-manifest]"}, ""},
		{"link list changed to match", rewrite(t, data, func(name string, b []byte) []byte {
			switch name {
			case "data/tree/bin/notes":
				return []byte("-> ../qms.yaml")
			case "qms-symlinks.txt":
				return bytes.Replace(b, []byte("../records/notes.md"), []byte("../qms.yaml"), 1)
			}
			return b
		}), []string{"qms-symlinks.txt [archive-tag-manifest]"}, ""},
		{"no link list", rewrite(t, data, drop("qms-symlinks.txt")), []string{"qms-symlinks.txt [archive-tag-manifest]", "qms-symlinks.txt [archive-tag-manifest]"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := archive.Inspect(context.Background(), bytes.NewReader(tc.data))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, fd := range c.Findings {
				got = append(got, fd.Path+" ["+fd.Rule+"]")
			}
			if strings.Join(got, "; ") != strings.Join(tc.want, "; ") {
				t.Errorf("Inspect = %v\nwant %v", c.Findings, tc.want)
			}
			if c.Format != archive.Format {
				t.Errorf("Format = %d, want %d", c.Format, archive.Format)
			}
		})
	}
	// A signature made over another tag manifest does not verify over this one.
	_, otherInfo := f.build(t, f.lab.Repo)
	pub := []byte(f.lab.ExportGPG(f.signFpr))
	if err := archive.VerifySignature(pub, bytes.NewReader(append(bytes.Clone(info.TagManifest), '\n')), otherInfo.Signature); err == nil {
		t.Errorf("a signature verified over another tag manifest")
	}
}

// TestInspectFormat1 reads an archive of the previous format, committed
// as testdata (built by qms before the BagIt layout): it checks out as
// format 1, and its signature covers the .tar.gz itself.
func TestInspectFormat1(t *testing.T) {
	dir := filepath.Join("testdata", "format1")
	name := "qms-20261120T090000Z-c6162f849e7b.tar.gz"
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	c, err := archive.Inspect(context.Background(), bytes.NewReader(data))
	if err != nil || c.Format != 1 || len(c.Findings) != 0 || c.Meta == nil || c.Meta.Format != 1 {
		t.Fatalf("Inspect(format 1) = format %d, %v, %v", c.Format, c.Findings, err)
	}
	sig, _ := os.ReadFile(filepath.Join(dir, name+".asc"))
	pub, _ := os.ReadFile(filepath.Join(dir, "archive-signing-key.pub.asc"))
	if err := archive.VerifySignature(pub, bytes.NewReader(data), sig); err != nil {
		t.Errorf("format-1 signature: %v", err)
	}
	if !bytes.Equal(bytes.TrimSpace(c.SigningKey), bytes.TrimSpace(pub)) && c.SigningKey == nil {
		t.Errorf("format 1: no signing key found")
	}
	bad := rewrite(t, data, func(name string, b []byte) []byte {
		if name == "tree/qms.yaml" {
			b = bytes.Clone(b)
			b[0] ^= 0x20
		}
		return b
	})
	c, err = archive.Inspect(context.Background(), bytes.NewReader(bad))
	if err != nil || len(c.Findings) != 1 || c.Findings[0].Path != "tree/qms.yaml" {
		t.Errorf("Inspect(format 1, changed) = %v, %v", c.Findings, err)
	}
}

// TestBagIndependent has a BagIt implementation that is not ours read the
// bag: bagit-fs (npm), driven by testdata/bagcheck.js under node, checks
// every file against manifest-sha256.txt and manifest-sha512.txt. .ci/run
// installs it; without node or the package the test is skipped (named by
// need).
func TestBagIndependent(t *testing.T) {
	node := need.Tool(t, "apt-get install nodejs", "node")
	mods := os.Getenv("QMS_BAGCHECK_MODULES")
	if mods == "" {
		mods = filepath.Join(os.Getenv("HOME"), ".cache", "qms-bagcheck", "node_modules")
	}
	if _, err := os.Stat(filepath.Join(mods, "bagit-fs")); err != nil {
		need.Missing(t, "bagit-fs", need.BagitFS)
	}
	f := newFixture(t)
	data, _ := f.build(t, f.lab.Repo)
	dir := t.TempDir()
	if err := archive.Extract(context.Background(), bytes.NewReader(data), dir); err != nil {
		t.Fatal(err)
	}
	script, _ := filepath.Abs(filepath.Join("testdata", "bagcheck.js"))
	run := func() (string, error) {
		cmd := exec.Command(node, script, dir)
		cmd.Env = append(os.Environ(), "NODE_PATH="+mods)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run()
	if err != nil || !strings.Contains(out, "valid bag") {
		t.Fatalf("bagit-fs on the bag: %v\n%s", err, out)
	}
	p := filepath.Join(dir, "data", "tree", "qms.yaml")
	os.Chmod(p, 0o644)
	if err := os.WriteFile(p, []byte("changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := run(); err == nil || !strings.Contains(out, "data/tree/qms.yaml") {
		t.Errorf("bagit-fs accepted a changed payload file: %v\n%s", err, out)
	}
}

// FuzzInspect: whatever bytes Inspect is handed, it returns findings or a
// read error, never a panic or a hang.
func FuzzInspect(f *testing.F) {
	f.Add(tarball(f, member{name: "a/", typ: tar.TypeDir}, member{name: "a/bagit.txt", body: "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"},
		member{name: "a/data/x", body: "hello\n"}, member{name: "a/manifest-sha256.txt", body: sumHello + " data/x\n"},
		member{name: "a/bag-info.txt", body: "Payload-Oxum: 6.1\n"}))
	f.Add(tarball(f, valid(manifest("VERIFY.txt", "archive.json", "repo.bundle"))...))
	f.Add([]byte("not a tar.gz"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := archive.Inspect(context.Background(), bytes.NewReader(data))
		if err != nil {
			t.Fatalf("Inspect(bytes in memory) = %v: only a failing reader may error", err)
		}
		if c.Format == archive.Format && len(c.Findings) == 0 && c.TagManifest == nil {
			t.Fatalf("a bag with no tag manifest checked out")
		}
	})
}

// FuzzBagFields reads manifest lines and tag files as Inspect does.
func FuzzBagFields(f *testing.F) {
	f.Add(sumHello + " data/a%0Ab%25c.txt\n")
	f.Add("Payload-Oxum: 12.3\nContact-Name: A\n  continued\n")
	f.Add("%")
	f.Fuzz(func(t *testing.T, s string) {
		archive.TagManifestSum([]byte(s), "bag-info.txt")
		archive.BagInfoField([]byte(s), "Payload-Oxum")
	})
}
