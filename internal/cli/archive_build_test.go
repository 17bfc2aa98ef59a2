package cli

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
)

// TestArchiveBuildSignatures: with a trust root, each record's page shows
// its approval state and every signature as 21 CFR 11.50 asks.
func TestArchiveBuildSignatures(t *testing.T) {
	l := newSignedQMS(t)
	inc := "records/incidents/INC-2026-0001.md"
	l.as("tobias")
	l.qms(t, 0, "approve", inc, "--meaning", "review")
	key := filepath.Join(l.Dir, "archive-key.asc")
	if err := os.WriteFile(key, []byte(l.Run(l.Dir, nil, "gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", "", "--armor", "--export-secret-keys", l.anna)), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(l.Dir, "a.tar.gz")
	l.qms(t, 0, "archive", "build", "--sign-key", key, "--out", out)
	pages := readMembers(t, out, "/data/html/")
	page := pages["data/html/records/incident/INC-2026-0001.html"]
	// The pages are those of 'qms render' (internal/render), as of the
	// commit, with the verified signatures.
	for _, want := range []string{`<span class="badge draft">draft</span>`, "<tr><td>Tobias Meier</td><td>Head of Operations (JD-004)</td><td>review</td>", `id="qms-signatures"`} {
		if !strings.Contains(page, want) {
			t.Errorf("INC-2026-0001.html lacks %q:\n%s", want, page)
		}
	}
	if !strings.Contains(pages["data/html/kinds/incident.html"], "INC-2026-0001") || pages["data/html/status.html"] == "" {
		t.Errorf("kinds/incident.html or status.html missing:\n%s", pages["data/html/kinds/incident.html"])
	}
}

// readMembers returns the archive's files whose names contain sub, by path
// below the top directory.
func readMembers(t *testing.T, path, sub string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	m := map[string]string{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return m
		}
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(h.Name, sub) && h.Typeflag == tar.TypeReg {
			var b bytes.Buffer
			b.ReadFrom(tr)
			_, rel, _ := strings.Cut(h.Name, "/")
			m[rel] = b.String()
		}
	}
}
