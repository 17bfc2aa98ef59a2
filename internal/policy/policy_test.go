package policy

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/qms-tool/qms/internal/signature"
	"github.com/qms-tool/qms/internal/testkit/testrepo"
)

const (
	staffDir = "records/staff"
	matrix   = "records/matrix.md"
)

func example(t *testing.T) fstest.MapFS {
	return testrepo.Example(t)
}

func fingerprint(t *testing.T, m fstest.MapFS, person string) string {
	t.Helper()
	for _, line := range strings.Split(string(m[staffDir+"/"+person+".md"].Data), "\n") {
		if f, ok := strings.CutPrefix(strings.TrimSpace(line), "fingerprint: "); ok {
			return f
		}
	}
	t.Fatalf("%s has no key", person)
	return ""
}

func day(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestLoadExample(t *testing.T) {
	p, err := Load(example(t), staffDir, matrix)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Problems) > 0 {
		t.Errorf("problems: %v", p.Problems)
	}
	if len(p.People) != 5 || len(p.Keyring) != 3 || len(p.SSH) != 2 {
		t.Errorf("people %d, OpenPGP keys %d, SSH keys %d; want 5, 3, 2", len(p.People), len(p.Keyring), len(p.SSH))
	}
	r := p.Matrix.Rule("incident")
	if r == nil || r.Review.Min != 1 || strings.Join(r.Approve.AnyOf, ",") != "JD-001,JD-002" || !p.Matrix.SeparationOfDuties {
		t.Errorf("incident rule = %+v", r)
	}
	if !p.Governs(p.People["akeller"]) || p.Governs(p.People["lrossi"]) {
		t.Error("govern roles: akeller (JD-001) governs, lrossi (JD-003, JD-005) does not")
	}
}

func TestSigner(t *testing.T) {
	m := example(t)
	p, err := Load(m, staffDir, matrix)
	if err != nil {
		t.Fatal(err)
	}
	anna := &signature.Verdict{Fingerprint: fingerprint(t, m, "akeller")}
	sam := &signature.Verdict{Fingerprint: fingerprint(t, m, "snguyen")}
	tests := []struct {
		name string
		v    *signature.Verdict
		at   string
		who  string
		err  string
	}{
		{"active staff member", anna, "2026-04-21T10:00:00+02:00", "akeller", ""},
		{"before they joined", anna, "2010-01-01T10:00:00Z", "akeller", "was not active"},
		{"retired key, signed before", sam, "2025-06-01T10:00:00Z", "snguyen", ""},
		{"retired key, signed after", sam, "2025-09-30T17:00:00Z", "snguyen", "revoked (retired)"},
		{"left the company", sam, "2025-09-30T10:00:00Z", "snguyen", ""},
		{"unknown key", &signature.Verdict{Fingerprint: "SHA256:nope"}, "2026-01-01T00:00:00Z", "", "is in no staff record"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			who, _, err := p.Signer(tc.v, day(tc.at))
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Errorf("Signer at %s: error %v, want %q", tc.at, err, tc.err)
			}
			if tc.who != "" && (who == nil || who.ID != tc.who) {
				t.Errorf("Signer at %s = %v, want %s", tc.at, who, tc.who)
			}
		})
	}
}

func TestCompromisedKeyVoidsEverySignature(t *testing.T) {
	m := example(t)
	f := m[staffDir+"/tmeier.md"]
	s := string(f.Data)
	i := strings.Index(s, "    file: tmeier.pub\n") + len("    file: tmeier.pub\n")
	m[staffDir+"/tmeier.md"] = &fstest.MapFile{Data: []byte(s[:i] + "    revoked: {at: 2026-06-01T00:00:00Z, reason: compromised}\n" + s[i:])}
	p, err := Load(m, staffDir, matrix)
	if err != nil || len(p.Problems) > 0 {
		t.Fatalf("Load: %v %v", err, p.Problems)
	}
	v := &signature.Verdict{Fingerprint: fingerprint(t, m, "tmeier")}
	if _, _, err := p.Signer(v, day("2024-01-01T00:00:00Z")); err == nil || !strings.Contains(err.Error(), "compromised") {
		t.Errorf("signature from before a compromise: %v, want void", err)
	}
}

func TestLoadProblems(t *testing.T) {
	t.Run("key file holds another key", func(t *testing.T) {
		m := example(t)
		m["keys/lrossi.asc"] = m["keys/akeller.asc"]
		p, _ := Load(m, staffDir, matrix)
		if len(p.Problems) != 1 || !strings.Contains(p.Problems[0], "does not hold key") {
			t.Errorf("problems = %v", p.Problems)
		}
		v := &signature.Verdict{Fingerprint: fingerprint(t, m, "lrossi")}
		if _, _, err := p.Signer(v, day("2026-01-01T00:00:00Z")); err == nil {
			t.Error("a key whose file does not hold it still counts")
		}
	})
	t.Run("one key for two people", func(t *testing.T) {
		m := example(t)
		anna := fingerprint(t, m, "akeller")
		s := string(m[staffDir+"/mbrunner.md"].Data)
		s = strings.Replace(s, fingerprint(t, m, "mbrunner"), anna, 1)
		s = strings.Replace(s, "file: mbrunner.asc", "file: akeller.asc", 1)
		m[staffDir+"/mbrunner.md"] = &fstest.MapFile{Data: []byte(s)}
		p, _ := Load(m, staffDir, matrix)
		if len(p.Problems) != 1 || !strings.Contains(p.Problems[0], "also listed for") {
			t.Errorf("problems = %v", p.Problems)
		}
		if _, _, err := p.Signer(&signature.Verdict{Fingerprint: anna}, day("2026-01-01T00:00:00Z")); err == nil {
			t.Error("a shared key still counts")
		}
	})
	t.Run("no matrix", func(t *testing.T) {
		m := example(t)
		delete(m, matrix)
		if _, err := Load(m, staffDir, matrix); !errors.Is(err, ErrNoPolicy) {
			t.Errorf("Load without a matrix = %v, want ErrNoPolicy", err)
		}
	})
	t.Run("no staff", func(t *testing.T) {
		if _, err := Load(fstest.MapFS{matrix: example(t)[matrix]}, staffDir, matrix); !errors.Is(err, ErrNoPolicy) {
			t.Errorf("Load without staff = %v, want ErrNoPolicy", err)
		}
	})
}

func TestDigest(t *testing.T) {
	m := example(t)
	base, _ := Load(m, staffDir, matrix)
	s := string(m[staffDir+"/lrossi.md"].Data)
	for _, tc := range []struct {
		name, old, new string
		changes        bool
	}{
		{"phone number", "phone: +41 44 555 0103", "phone: +41 44 555 0199", false},
		{"a role", "roles: [JD-003, JD-005]", "roles: [JD-001, JD-003, JD-005]", true},
		{"leaving", "active_from: 2020-09-01", "active_from: 2020-09-01\nactive_until: 2026-12-31", true},
	} {
		m2 := example(t)
		if !strings.Contains(s, tc.old) {
			t.Fatalf("%s: example changed", tc.name)
		}
		m2[staffDir+"/lrossi.md"] = &fstest.MapFile{Data: []byte(strings.Replace(s, tc.old, tc.new, 1))}
		p, _ := Load(m2, staffDir, matrix)
		if changed := p.Digest() != base.Digest(); changed != tc.changes {
			t.Errorf("%s: policy changed = %v, want %v", tc.name, changed, tc.changes)
		}
	}
}

// blobFS gives every file a blob id, as a Git tree does.
type blobFS struct {
	fstest.MapFS
	ids map[string]string
}

func (b blobFS) BlobID(name string) (string, bool) {
	id, ok := b.ids[name]
	return id, ok
}

// TestMemo: a Memo reuses what it parsed for the same blob id, and parses
// again when the id changes.
func TestMemo(t *testing.T) {
	m := example(t)
	ids := map[string]string{}
	for name := range m {
		ids[name] = "blob:" + name
	}
	var memo Memo
	p1, err := memo.Load(blobFS{m, ids}, "records/staff", "records/matrix.md")
	if err != nil {
		t.Fatal(err)
	}
	// The same id with other content: the memo answers (it trusts ids,
	// which Git derives from content).
	changed := fstest.MapFS{}
	for k, v := range m {
		changed[k] = v
	}
	changed["records/staff/akeller.md"] = &fstest.MapFile{Data: []byte("---\nid: akeller\n---\n")}
	p2, err := memo.Load(blobFS{changed, ids}, "records/staff", "records/matrix.md")
	if err != nil {
		t.Fatal(err)
	}
	if p1.Digest() != p2.Digest() {
		t.Errorf("same blob ids, different policies: the memo was not used")
	}
	ids2 := map[string]string{}
	for k, v := range ids {
		ids2[k] = v
	}
	ids2["records/staff/akeller.md"] = "blob:other"
	p3, _ := memo.Load(blobFS{changed, ids2}, "records/staff", "records/matrix.md")
	if p3 == nil || p3.Digest() == p1.Digest() {
		t.Errorf("a new blob id did not parse the new content")
	}
}
