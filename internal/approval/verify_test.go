package approval

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/qms-tool/qms/internal/testkit/testrepo"
	"github.com/qms-tool/qms/internal/vcs"
)

const (
	staffDir = "records/staff"
	matrix   = "records/matrix.md"
)

// qmsLab is a QMS with two people: Anna, general manager (JD-001, governs),
// and Lucia, head of engineering (JD-003, does not). The trust root is the
// first commit, signed by Anna.
type qmsLab struct {
	*testrepo.Lab
	anna, lucia string // gpg fingerprints
	root        string
}

func newQMS(t *testing.T) *qmsLab {
	l := &qmsLab{Lab: testrepo.New(t)}
	l.anna = l.GPGKey("Anna Keller <anna.keller@example.com>", "ed25519")
	l.lucia = l.GPGKey("Lucia Rossi <lucia.rossi@example.com>", "ed25519")
	m, err := os.ReadFile("../../templates/matrix.md")
	if err != nil {
		t.Fatal(err)
	}
	l.Write(matrix, string(m))
	l.person("akeller", "Anna Keller", "JD-001", l.anna)
	l.person("lrossi", "Lucia Rossi", "JD-003", l.lucia)
	l.Write("records/incidents/INC-2026-0001.md", "---\nid: INC-2026-0001\n---\n")
	l.root = l.Commit(l.anna, "Start the QMS")
	return l
}

func (l *qmsLab) person(id, name, role, fpr string) {
	l.Write("keys/"+id+".asc", l.ExportGPG(fpr))
	l.Write(staffDir+"/"+id+".md", staffRecord(id, name, role, email(name), "openpgp", fpr, id+".asc", ""))
}

// email is the address the lab gives a person: "Anna Keller" is
// anna.keller@example.com, as in the key's user id.
func email(name string) string {
	return strings.ToLower(strings.ReplaceAll(name, " ", ".")) + "@example.com"
}

// staffRecord is a staff record that passes the staff schema.
func staffRecord(id, name, role, mail, typ, fpr, file, revoked string) string {
	return fmt.Sprintf("---\nid: %s\nname: %s\nposition: Staff\nroles: [%s]\nemail: %s\nphone: +41 44 555 0100\nactive_from: 2020-01-01\nkeys:\n  - {type: %s, fingerprint: %s, file: %s%s}\n---\n",
		id, name, role, mail, typ, fpr, file, revoked)
}

func (l *qmsLab) verify(t *testing.T) *Report {
	t.Helper()
	r, err := vcs.Open(l.Repo)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Verify(r, "HEAD", Config{Root: Root{Commit: l.root, Signer: l.anna}, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func (l *qmsLab) verifyCached(t *testing.T, cachePath string) *Report {
	t.Helper()
	r, err := vcs.Open(l.Repo)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cfg := Config{Root: Root{Commit: l.root, Signer: l.anna}, Now: time.Now()}
	cfg.Cache = OpenCache(cachePath, cfg, []byte("test"))
	rep, err := Verify(r, "HEAD", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Cache.Save(); err != nil {
		t.Fatal(err)
	}
	return rep
}

func rules(rep *Report) string {
	var out []string
	for _, f := range rep.Failures {
		out = append(out, f.Rule)
	}
	return strings.Join(out, ",")
}

func TestAuthenticHistory(t *testing.T) {
	l := newQMS(t)
	l.Write("records/incidents/INC-2026-0001.md", "---\nid: INC-2026-0001\ntitle: x\n---\n")
	l.Commit(l.lucia, "Write the incident")
	blob := l.Git("rev-parse", "HEAD:records/incidents/INC-2026-0001.md")
	l.Commit(l.anna, "Approval of INC-2026-0001\n\nQMS-Sign: approval records/incidents/INC-2026-0001.md "+blob)
	rep := l.verify(t)
	if len(rep.Failures) > 0 {
		t.Fatalf("failures: %+v", rep.Failures)
	}
	cachePath := filepath.Join(t.TempDir(), "verify-cache")
	for i := 0; i < 2; i++ {
		if c := l.verifyCached(t, cachePath); !reflect.DeepEqual(c.Signatures, rep.Signatures) || !reflect.DeepEqual(c.Authors, rep.Authors) {
			t.Errorf("through the cache (run %d): %+v, want %+v", i, c, rep)
		}
	}
	if rep.Commits != 3 || len(rep.Signatures) != 1 {
		t.Fatalf("commits %d, signatures %+v", rep.Commits, rep.Signatures)
	}
	s := rep.Signatures[0]
	if s.Meaning != "approval" || s.Person != "akeller" || s.Name != "Anna Keller" || s.Fingerprint != l.anna ||
		s.Blob != blob || strings.Join(s.Roles, ",") != "JD-001" || s.Time.IsZero() || s.Time.Location().String() != "UTC" {
		t.Errorf("signature = %+v", s)
	}
}

func TestRefusedCommits(t *testing.T) {
	tests := []struct {
		name string
		do   func(l *qmsLab)
		want string
	}{
		{"unsigned", func(l *qmsLab) {
			l.Write("records/incidents/INC-2026-0001.md", "changed\n")
			l.Commit("", "Unsigned change")
		}, "unsigned"},
		{"key in no staff record", func(l *qmsLab) {
			other := l.GPGKey("Mallory <mallory@example.com>", "ed25519")
			l.Commit(other, "Sneaky")
		}, "unauthorized"},
		{"self-authorization: adds own key and signs with it", func(l *qmsLab) {
			dave := l.GPGKey("Dave Example <dave.example@example.com>", "ed25519")
			l.person("dave", "Dave Example", "JD-004", dave)
			l.Commit(dave, "Add myself")
		}, "unauthorized"},
		{"a non-governor adds a person", func(l *qmsLab) {
			dave := l.GPGKey("Dave Example <dave.example@example.com>", "ed25519")
			l.person("dave", "Dave Example", "JD-004", dave)
			l.Commit(l.lucia, "Add Dave")
		}, "governance"},
		{"a reviewer grants themself approver", func(l *qmsLab) {
			l.person("lrossi", "Lucia Rossi", "JD-001", l.lucia)
			l.Commit(l.lucia, "Promote myself")
		}, "governance"},
		{"deleting the matrix", func(l *qmsLab) {
			l.Git("rm", "-q", matrix)
			l.Commit(l.anna, "Remove the matrix")
		}, "policy-deleted"},
		{"unsigned commit on a merged side branch", func(l *qmsLab) {
			l.Git("checkout", "-q", "-b", "side")
			l.Write("records/incidents/INC-2026-0001.md", "side\n")
			l.Commit("", "Unsigned on a branch")
			l.Git("checkout", "-q", "main")
			l.Git("-c", "user.signingkey="+l.anna, "merge", "-q", "-S", "--no-ff", "-m", "Merge", "side")
		}, "unsigned"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := newQMS(t)
			tc.do(l)
			rep := l.verify(t)
			if got := rules(rep); got != tc.want {
				t.Errorf("failures = %q (%+v), want %q", got, rep.Failures, tc.want)
			}
			// Through a cache, cold and warm: the same failures.
			cachePath := filepath.Join(t.TempDir(), "verify-cache")
			for _, state := range []string{"cold", "warm"} {
				cached := l.verifyCached(t, cachePath)
				if !reflect.DeepEqual(cached.Failures, rep.Failures) || !reflect.DeepEqual(cached.Signatures, rep.Signatures) {
					t.Errorf("%s cache: failures %+v, want %+v", state, cached.Failures, rep.Failures)
				}
			}
			for _, f := range rep.Failures {
				if f.Commit == "" || f.Message == "" {
					t.Errorf("failure without commit or message: %+v", f)
				}
				if (f.Rule == "bad-signature" || f.Rule == "unauthorized") && f.Fingerprint == "" {
					t.Errorf("a bad signature's failure does not name the key: %+v", f)
				}
			}
		})
	}
}

func TestGovernorAddsPerson(t *testing.T) {
	l := newQMS(t)
	dave := l.GPGKey("Dave Example <dave.example@example.com>", "ed25519")
	l.person("dave", "Dave Example", "JD-004", dave)
	l.Commit(l.anna, "Add Dave")
	l.Write("records/incidents/INC-2026-0001.md", "by dave\n")
	l.Commit(dave, "Dave's first change")
	if rep := l.verify(t); len(rep.Failures) > 0 {
		t.Errorf("failures: %+v", rep.Failures)
	}
}

func TestTrustRoot(t *testing.T) {
	l := newQMS(t)
	r, _ := vcs.Open(l.Repo)
	rep, err := Verify(r, "HEAD", Config{Root: Root{Commit: l.root, Signer: l.lucia}, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if rules(rep) != "trust-root" {
		t.Errorf("root signed by Anna, configured Lucia: failures %+v", rep.Failures)
	}
	// A history that does not descend from the trust root.
	l.Git("checkout", "-q", "--orphan", "other")
	l.Commit(l.anna, "Unrelated")
	rep, err = Verify(r, "HEAD", Config{Root: Root{Commit: l.root, Signer: l.anna}, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if rules(rep) != "trust-root" {
		t.Errorf("unrelated history: failures %+v", rep.Failures)
	}
	// A root that is not a full id and a fingerprint is refused before
	// anything is read.
	for _, bad := range []Root{{Commit: "HEAD", Signer: l.anna}, {Commit: l.root[:12], Signer: l.anna}, {Commit: l.root}} {
		if _, err := Verify(r, "HEAD", Config{Root: bad, Now: time.Now()}); !errors.Is(err, ErrRoot) {
			t.Errorf("Verify from %+v: %v, want ErrRoot", bad, err)
		}
	}
}

// revoke marks Lucia's key revoked for reason at the given time.
func (l *qmsLab) revoke(reason, at string) {
	l.Write(staffDir+"/lrossi.md", staffRecord("lrossi", "Lucia Rossi", "JD-003", email("Lucia Rossi"), "openpgp", l.lucia, "lrossi.asc",
		fmt.Sprintf(", revoked: {reason: %s, at: %q}", reason, at)))
}

// TestRevocation: a soft revocation (superseded, retired) refuses the
// signatures made after its time and keeps those made before; a hard one
// (compromised) voids every signature of the key, even those made before
// the revocation was recorded.
func TestRevocation(t *testing.T) {
	tests := []struct {
		name, reason, at string
		revokeFirst      bool // recorded before Lucia's commit, else after it
		want             string
	}{
		{"superseded later than she signs", "superseded", "2099-01-01T00:00:00Z", true, ""},
		{"retired later than she signs", "retired", "2099-01-01T00:00:00Z", true, ""},
		{"superseded before she signs", "superseded", "2000-01-01T00:00:00Z", true, "unauthorized"},
		{"retired before she signs", "retired", "2000-01-01T00:00:00Z", true, "unauthorized"},
		{"compromised, recorded after she signed", "compromised", "2099-01-01T00:00:00Z", false, "compromised"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := newQMS(t)
			if tc.revokeFirst {
				l.revoke(tc.reason, tc.at)
				l.Commit(l.anna, "Record the revocation of Lucia's key")
			}
			l.Write("records/incidents/INC-2026-0001.md", "---\nid: INC-2026-0001\n---\nby lucia\n")
			lucia := l.Commit(l.lucia, "Lucia's change")
			if !tc.revokeFirst {
				l.revoke(tc.reason, tc.at)
				l.Commit(l.anna, "Record the revocation of Lucia's key")
			}
			for _, cached := range []bool{false, true} {
				var rep *Report
				if cached {
					// The outcome of Lucia's commit may come from a cache
					// filled before the revocation: it must still fail.
					p := filepath.Join(t.TempDir(), "cache")
					l.Git("checkout", "-q", lucia)
					l.verifyCached(t, p)
					l.Git("checkout", "-q", "main")
					rep = l.verifyCached(t, p)
				} else {
					rep = l.verify(t)
				}
				if got := rules(rep); got != tc.want {
					t.Errorf("cached=%v: failures = %+v, want %q", cached, rep.Failures, tc.want)
				}
				for _, f := range rep.Failures {
					if f.Commit != lucia {
						t.Errorf("failure on %s, want on Lucia's commit %s: %+v", f.Commit, lucia, f)
					}
				}
			}
		})
	}
}

// TestSSHSignedCommits: a staff member whose key is an SSH key signs
// commits that verify; an SSH key in no staff record does not.
func TestSSHSignedCommits(t *testing.T) {
	l := newQMS(t)
	key := l.SSHKey("id_tmeier", "Tobias Meier <tobias.meier@example.com>")
	pub, err := os.ReadFile(key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Fields(string(pub))
	fp := strings.TrimSpace(l.Run(l.Dir, nil, "ssh-keygen", "-l", "-E", "sha256", "-f", key+".pub"))
	fp = strings.Fields(fp)[1]
	l.Write("keys/tmeier.pub", fields[0]+" "+fields[1]+"\n")
	l.Write(staffDir+"/tmeier.md", staffRecord("tmeier", "Tobias Meier", "JD-004", email("Tobias Meier"), "ssh", fp, "tmeier.pub", ""))
	l.Commit(l.anna, "Add Tobias")
	l.Write("records/incidents/INC-2026-0001.md", "---\nid: INC-2026-0001\n---\nby tobias\n")
	l.Commit(key, "Tobias's change")
	rep := l.verify(t)
	if len(rep.Failures) != 0 {
		t.Fatalf("failures: %+v", rep.Failures)
	}
	other := l.SSHKey("id_other")
	l.Write("records/incidents/INC-2026-0001.md", "---\nid: INC-2026-0001\n---\nby someone\n")
	l.Commit(other, "Someone else's change")
	if got := rules(l.verify(t)); got != "unauthorized" {
		t.Errorf("failures = %q, want unauthorized", got)
	}
}
