package archive_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qms-tool/qms/internal/archive"
)

// member is one entry of a hand-made tarball.
type member struct {
	name string
	typ  byte
	body string
	link string
}

// tarball makes a .tar.gz of the members, in order, with no checks: the
// kind of archive an attacker or a broken disk hands to Check and Extract.
func tarball(t testing.TB, ms ...member) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, m := range ms {
		h := &tar.Header{Name: m.name, Typeflag: m.typ, Mode: 0o644, Linkname: m.link, Size: int64(len(m.body))}
		if m.typ == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Typeflag != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			tw.Write([]byte(m.body))
		}
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

const sumHello = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03" // "hello\n"

func valid(extra ...member) []member {
	ms := []member{
		{name: "a/", typ: tar.TypeDir},
		{name: "a/VERIFY.txt", body: "hello\n"},
		{name: "a/archive.json", body: "hello\n"},
		{name: "a/repo.bundle", body: "hello\n"},
	}
	ms = append(ms, extra...)
	return ms
}

func manifest(names ...string) member {
	var b strings.Builder
	for _, n := range names {
		b.WriteString(sumHello + "  " + n + "\n")
	}
	return member{name: "a/MANIFEST.sha256", body: b.String()}
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
		want []string // substrings of the findings, in order
	}{
		{"good", tarball(t, valid(manifest("VERIFY.txt", "archive.json", "repo.bundle"))...), nil},
		{"changed member", tarball(t, append(valid(member{name: "a/tree/x", body: "hellO\n"}), manifest("VERIFY.txt", "archive.json", "repo.bundle", "tree/x"))...),
			[]string{"tree/x:0:0: SHA-256 is"}},
		{"missing member", tarball(t, valid(manifest("VERIFY.txt", "archive.json", "repo.bundle", "tree/gone"))...),
			[]string{"tree/gone:0:0: listed in the manifest but missing"}},
		{"extra member", tarball(t, append(valid(member{name: "a/tree/x", body: "hello\n"}), manifest("VERIFY.txt", "archive.json", "repo.bundle"))...),
			[]string{"tree/x:0:0: file is not listed"}},
		{"no manifest", tarball(t, valid()...), []string{"MANIFEST.sha256:0:0: the archive has no manifest"}},
		{"bad manifest line", tarball(t, append(valid(), member{name: "a/MANIFEST.sha256", body: "nonsense\n" + sumHello + "  VERIFY.txt\n" + sumHello + "  archive.json\n" + sumHello + "  repo.bundle\n"})...),
			[]string{"MANIFEST.sha256:1:1: not a sha256sum line"}},
		{"dot-dot", tarball(t, append(valid(member{name: "a/../evil", body: "hello\n"}), manifest("VERIFY.txt", "archive.json", "repo.bundle"))...),
			[]string{"unsafe path"}},
		{"device", tarball(t, append(valid(member{name: "a/dev", typ: tar.TypeChar}), manifest("VERIFY.txt", "archive.json", "repo.bundle"))...),
			[]string{"not a file, directory or symbolic link"}},
		{"escaping link", tarball(t, append(valid(member{name: "a/l", typ: tar.TypeSymlink, link: "../../etc"}), manifest("VERIFY.txt", "archive.json", "repo.bundle"))...),
			[]string{"leaves the archive"}},
		{"link outside tree/", tarball(t, append(valid(member{name: "a/html/l", typ: tar.TypeSymlink, link: "../VERIFY.txt"}), manifest("VERIFY.txt", "archive.json", "repo.bundle"))...),
			[]string{"html/l:0:0: symbolic link outside tree/"}},
		{"not gzip", []byte("plain text, not an archive"), []string{"not a readable .tar.gz"}},
		{"truncated", tarball(t, valid(manifest("VERIFY.txt", "archive.json", "repo.bundle"))...)[:40], []string{"not a readable .tar.gz"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs, err := archive.Check(context.Background(), bytes.NewReader(tc.data))
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			if len(fs) != len(tc.want) {
				t.Fatalf("Check = %v, want %d findings like %q", fs, len(tc.want), tc.want)
			}
			for i, f := range fs {
				if !strings.Contains(f.String(), tc.want[i]) {
					t.Errorf("finding %d = %q, want %q in it", i, f, tc.want[i])
				}
			}
		})
	}
}

// TestCheckBuilt corrupts one member of a real archive, re-gzipping it so
// that only the manifest can tell.
func TestCheckBuilt(t *testing.T) {
	f := newFixture(t)
	data, _ := f.build(t, f.lab.Repo)
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	changed := ""
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		body := new(bytes.Buffer)
		body.ReadFrom(tr)
		if changed == "" && strings.Contains(h.Name, "/tree/records/") && body.Len() > 0 {
			changed = h.Name[strings.Index(h.Name, "/")+1:]
			body.Bytes()[0] ^= 0x20
		}
		tw.WriteHeader(h)
		tw.Write(body.Bytes())
	}
	tw.Close()
	zw.Close()
	fs, err := archive.Check(context.Background(), &buf)
	if err != nil || len(fs) != 1 || fs[0].Path != changed || fs[0].Rule != archive.RuleManifest {
		t.Errorf("Check(archive with %s changed) = %v, %v", changed, fs, err)
	}
}

func TestExtractRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		ms   []member
	}{
		{"dot-dot", valid(member{name: "a/../../evil", body: "x"})},
		{"absolute", valid(member{name: "/tmp/evil", body: "x"})},
		{"outside the top directory", valid(member{name: "b/evil", body: "x"})},
		{"absolute link", valid(member{name: "a/l", typ: tar.TypeSymlink, link: "/etc"})},
		{"escaping link", valid(member{name: "a/tree/l", typ: tar.TypeSymlink, link: "../../x"})},
		{"link through a link", valid(
			member{name: "a/q/", typ: tar.TypeDir},
			member{name: "a/q/t", typ: tar.TypeSymlink, link: ".."},
			member{name: "a/x", typ: tar.TypeSymlink, link: "q/t/.."})},
		{"write through a link", valid(
			member{name: "a/l", typ: tar.TypeSymlink, link: "."},
			member{name: "a/l/../../evil", body: "x"})},
		{"hard link", valid(member{name: "a/h", typ: tar.TypeLink, link: "a/VERIFY.txt"})},
		{"device", valid(member{name: "a/dev", typ: tar.TypeBlock})},
		{"fifo", valid(member{name: "a/fifo", typ: tar.TypeFifo})},
		{"twice", valid(member{name: "a/VERIFY.txt", body: "again"})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			dir := filepath.Join(base, "out")
			err := archive.Extract(context.Background(), bytes.NewReader(tarball(t, tc.ms...)), dir)
			if err == nil {
				t.Fatalf("Extract accepted it")
			}
			if tc.name != "twice" && !errors.Is(err, archive.ErrUnsafe) {
				t.Errorf("Extract = %v, want ErrUnsafe", err)
			}
			entries, _ := os.ReadDir(base)
			if len(entries) != 1 {
				t.Errorf("Extract wrote outside its directory: %v", entries)
			}
			if _, err := os.Lstat(filepath.Join(dir, "x")); err == nil && tc.name == "link through a link" {
				t.Errorf("the escaping link is still there")
			}
		})
	}
}

func FuzzCheck(f *testing.F) {
	f.Add(tarball(f, valid(manifest("VERIFY.txt", "archive.json", "repo.bundle"))...))
	f.Add(tarball(f, valid(member{name: "a/l", typ: tar.TypeSymlink, link: "../x"})...))
	f.Fuzz(func(t *testing.T, data []byte) {
		archive.Check(context.Background(), bytes.NewReader(data))
	})
}

func FuzzExtract(f *testing.F) {
	f.Add(tarball(f, valid(manifest("VERIFY.txt", "archive.json", "repo.bundle"))...))
	f.Add(tarball(f, valid(member{name: "a/q/t", typ: tar.TypeSymlink, link: ".."}, member{name: "a/x", typ: tar.TypeSymlink, link: "q/t/.."})...))
	f.Fuzz(func(t *testing.T, data []byte) {
		base := t.TempDir()
		dir := filepath.Join(base, "out")
		archive.Extract(context.Background(), bytes.NewReader(data), dir)
		if entries, _ := os.ReadDir(base); len(entries) > 1 {
			t.Fatalf("Extract wrote outside its directory: %v", entries)
		}
	})
}
