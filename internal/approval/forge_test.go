package approval

import (
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
	"time"

	"github.com/qms-tool/qms/internal/config"
	"github.com/qms-tool/qms/internal/policy"
	"github.com/qms-tool/qms/internal/signature"
)

// TestGitHubWebFlowForges declares GitHub's two real web-flow keys as
// qms.yaml would, with the dates GitHub used each, and checks that real
// commits of GitHub's merge button are recognised as the forge's, each by
// the key that made it, and that a date window outside a signature's
// time is what checkForge refuses.
func TestGitHubWebFlowForges(t *testing.T) {
	dir := filepath.Join("..", "signature", "testdata", "github")
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	fsys := fstest.MapFS{
		"keys/github-2017.asc": {Data: read("web-flow-4AEE18F83AFDEB23.asc")},
		"keys/github-2024.asc": {Data: read("web-flow-B5690EEEBB952194.asc")},
	}
	list := []config.Forge{
		{Name: "GitHub", Fingerprint: "5DE3E0509C47EA3CF04A42D34AEE18F83AFDEB23", File: "github-2017.asc", ValidFrom: "2017-08-16", ValidUntil: "2024-01-16"},
		{Name: "GitHub", Fingerprint: "968479A1AFF927E37D1A566BB5690EEEBB952194", File: "github-2024.asc", ValidFrom: "2024-01-16"},
	}
	forges := (*policy.Memo)(nil).Forges(fsys, list, nil)
	for _, f := range forges {
		if f.Refused != nil {
			t.Fatalf("forge key %s refused: %v", f.Fingerprint, f.Refused)
		}
	}
	w := &view{forges: forges}
	for _, tc := range []struct {
		file, fpr string
	}{
		{"merge-4AEE18F83AFDEB23.commit", list[0].Fingerprint},
		{"merge-B5690EEEBB952194.commit", list[1].Fingerprint},
		{"squash-4AEE18F83AFDEB23.commit", list[0].Fingerprint},
		{"squash-B5690EEEBB952194.commit", list[1].Fingerprint},
	} {
		sp, err := signature.Split(read(tc.file))
		if err != nil {
			t.Fatal(err)
		}
		fv := forgeVerify(sp, w, signature.ErrUnknownKey)
		if fv == nil {
			t.Fatalf("%s: not recognised as GitHub's", tc.file)
		}
		if fv.forge.Fingerprint != tc.fpr || fv.verdict.Fingerprint != tc.fpr {
			t.Errorf("%s: forge key %s (verdict %s), want %s", tc.file, fv.forge.Fingerprint, fv.verdict.Fingerprint, tc.fpr)
		}
		at := fv.verdict.Created
		if at.Before(fv.forge.From) || !fv.forge.Until.IsZero() && !at.Before(fv.forge.Until) {
			t.Errorf("%s: signed at %s, outside its key's dates %s..%s", tc.file, at, fv.forge.From, fv.forge.Until)
		}
		// A staff member's key makes the signature: forge keys are not
		// tried.
		if forgeVerify(sp, w, nil) != nil {
			t.Errorf("%s: forge keys tried though a staff key verified it", tc.file)
		}
	}
	// The old key's window ends with its last day: a signature of the
	// next day is outside it.
	f := forges[0]
	if next := time.Date(2024, 1, 17, 0, 0, 0, 0, time.UTC); next.Before(f.Until) {
		t.Errorf("old key valid until %s, want the end of 2024-01-16", f.Until)
	}
}
