package policy

import (
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/schema"
	"github.com/qms-tool/qms/internal/signature"
	"github.com/qms-tool/qms/internal/testkit/testrepo"
)

const (
	staffDir = "records/staff"
	matrix   = "records/matrix.md"
)

// edit replaces old with new in file of m, failing if old is not there.
func edit(t *testing.T, m fstest.MapFS, file, old, new string) {
	t.Helper()
	s := string(m[file].Data)
	if !strings.Contains(s, old) {
		t.Fatalf("%s does not hold %q", file, old)
	}
	m[file] = &fstest.MapFile{Data: []byte(strings.Replace(s, old, new, 1))}
}

func example(t *testing.T) fstest.MapFS {
	return testrepo.Example(t)
}

// load reads the policy of m with the built-in kinds and m's schema/.
func load(t *testing.T, m fstest.MapFS) (*Policy, error) {
	t.Helper()
	kinds, fs_ := schema.Load(qms.Defaults, m)
	if qms.HasErrors(fs_) {
		t.Fatalf("schema: %v", fs_)
	}
	return Load(m, kinds)
}

func problems(p *Policy) string {
	var out []string
	for _, f := range p.Problems {
		out = append(out, f.String())
	}
	return strings.Join(out, "\n")
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
	p, err := load(t, example(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Problems) > 0 {
		t.Errorf("problems:\n%s", problems(p))
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
	p, err := load(t, m)
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
	p, err := load(t, m)
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
		p, _ := load(t, m)
		if len(p.Problems) != 1 || !strings.Contains(p.Problems[0].Message, "holds key") || p.Problems[0].Line == 0 {
			t.Errorf("problems = %s", problems(p))
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
		p, _ := load(t, m)
		if len(p.Problems) != 1 || !strings.Contains(p.Problems[0].Message, "also listed for") {
			t.Errorf("problems = %s", problems(p))
		}
		if _, _, err := p.Signer(&signature.Verdict{Fingerprint: anna}, day("2026-01-01T00:00:00Z")); err == nil {
			t.Error("a shared key still counts")
		}
	})
	t.Run("no matrix", func(t *testing.T) {
		m := example(t)
		delete(m, matrix)
		if _, err := load(t, m); !errors.Is(err, ErrNoPolicy) {
			t.Errorf("Load without a matrix = %v, want ErrNoPolicy", err)
		}
	})
	t.Run("no staff", func(t *testing.T) {
		if _, err := load(t, fstest.MapFS{matrix: example(t)[matrix]}); !errors.Is(err, ErrNoPolicy) {
			t.Errorf("Load without staff = %v, want ErrNoPolicy", err)
		}
	})
}

func TestDigest(t *testing.T) {
	m := example(t)
	base, _ := load(t, m)
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
		p, _ := load(t, m2)
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
	kinds, _ := schema.Load(qms.Defaults, m)
	p1, err := memo.Load(blobFS{m, ids}, kinds, "k")
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
	p2, err := memo.Load(blobFS{changed, ids}, kinds, "k")
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
	p3, _ := memo.Load(blobFS{changed, ids2}, kinds, "k")
	if p3 == nil || p3.Digest() == p1.Digest() {
		t.Errorf("a new blob id did not parse the new content")
	}
}

// TestMatrixFailsClosed: whatever in the matrix is not exactly a positive
// whole number or a boolean where one is due makes the matrix unusable, so
// that no record is approved; never a default that approves more.
func TestMatrixFailsClosed(t *testing.T) {
	const rule = "review: {any_of: [JD-003, JD-004], min: 1}"
	tests := []struct {
		name, old, new string
		usable         bool
	}{
		{"as written", "", "", true},
		{"min 1.0 is the integer 1", rule, "review: {any_of: [JD-003, JD-004], min: 1.0}", true},
		{"min 0", rule, "review: {any_of: [JD-003, JD-004], min: 0}", false},
		{"min 1.5", rule, "review: {any_of: [JD-003, JD-004], min: 1.5}", false},
		{"min quoted", rule, "review: {any_of: [JD-003, JD-004], min: \"1\"}", false},
		{"min missing", rule, "review: {any_of: [JD-003, JD-004]}", false},
		{"min negative", rule, "review: {any_of: [JD-003, JD-004], min: -1}", false},
		{"any_of empty", rule, "review: {any_of: [], min: 1}", false},
		{"an undeclared role", rule, "review: {any_of: [JD-009], min: 1}", false},
		{"separation_of_duties quoted", "separation_of_duties: true", "separation_of_duties: \"true\"", false},
		{"separation_of_duties missing", "separation_of_duties: true", "", false},
		{"govern empty", "govern: [JD-001, JD-002]", "govern: []", false},
		{"review and approval by one person, quoted", "separation_of_duties: true", "separation_of_duties: true\nreview_and_approval_by_one_person: \"yes\"", false},
		{"review and approval by one person", "separation_of_duties: true", "separation_of_duties: true\nreview_and_approval_by_one_person: true", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := example(t)
			if tc.old != "" {
				edit(t, m, matrix, tc.old, tc.new)
			}
			p, err := load(t, m)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Matrix != nil; got != tc.usable {
				t.Fatalf("matrix usable = %v, want %v (%s)", got, tc.usable, problems(p))
			}
			if !tc.usable && (p.MatrixProblem == "" || len(p.Problems) == 0 || p.Problems[0].Path != matrix || p.Problems[0].Line == 0) {
				t.Errorf("an unusable matrix without a located problem: %q %s", p.MatrixProblem, problems(p))
			}
			if tc.usable && p.Matrix.Rule("incident").Review.Min != 1 {
				t.Errorf("min = %d, want 1", p.Matrix.Rule("incident").Review.Min)
			}
		})
	}
}

// TestStaffAsValidateReadsThem: the policy sees the staff records 'qms
// validate' sees, and no others: a dot-file or a file of another name is
// not policy, a record whose id is not its file name or that fails its
// schema signs nothing, two people with one email sign nothing.
func TestStaffAsValidateReadsThem(t *testing.T) {
	anna := string(example(t)[staffDir+"/akeller.md"].Data)
	mallory := strings.Replace(strings.Replace(anna, "id: akeller", "id: mallory", 1), "name: Anna Keller", "name: Mallory", 1)
	tests := []struct {
		name    string
		change  func(m fstest.MapFS)
		people  int
		problem string
	}{
		{"a dot-file with Anna's id", func(m fstest.MapFS) {
			m[staffDir+"/.akeller.md"] = &fstest.MapFile{Data: []byte(strings.Replace(anna, "roles: [JD-001]", "roles: [JD-001, JD-002]", 1))}
		}, 5, ""},
		{"a second file with Anna's id", func(m fstest.MapFS) {
			m[staffDir+"/akeller2.md"] = &fstest.MapFile{Data: []byte(anna)}
		}, 5, "does not match the file name"},
		{"an id that is not the file name", func(m fstest.MapFS) {
			m[staffDir+"/mallory.md"] = &fstest.MapFile{Data: []byte(strings.Replace(mallory, "id: mallory", "id: akeller", 1))}
		}, 5, "does not match the file name"},
		{"two people with one email", func(m fstest.MapFS) {
			m[staffDir+"/mallory.md"] = &fstest.MapFile{Data: []byte(strings.Replace(mallory, "fingerprint: 5040046C6263F8269D1CC1D0ED16403F2EB2F7CC\n    file: akeller.asc", "fingerprint: 5040046C6263F8269D1CC1D0ED16403F2EB2F7CC\n    file: akeller.asc", 1))}
		}, 4, "listed for 2 people"},
		{"roles that are not a list", func(m fstest.MapFS) {
			edit(t, m, staffDir+"/lrossi.md", "roles: [JD-003, JD-005]", "roles: JD-001")
		}, 4, "not in the signing policy"},
		{"a file in a subfolder", func(m fstest.MapFS) {
			m[staffDir+"/old/akeller.md"] = &fstest.MapFile{Data: []byte(anna)}
		}, 5, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := example(t)
			tc.change(m)
			p, err := load(t, m)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.People) != tc.people {
				t.Errorf("people = %d, want %d", len(p.People), tc.people)
			}
			if got := problems(p); tc.problem == "" && got != "" || !strings.Contains(got, tc.problem) {
				t.Errorf("problems:\n%s\nwant %q", got, tc.problem)
			}
		})
	}
}

// TestSSHKeyPolicy: DSA and short RSA SSH keys are refused by the same
// crypto policy as OpenPGP keys: listed, but nothing they sign counts.
func TestSSHKeyPolicy(t *testing.T) {
	rsa1024, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ssh.NewPublicKey(&rsa1024.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	m := example(t)
	fp := ssh.FingerprintSHA256(pub)
	old := fingerprint(t, m, "tmeier")
	edit(t, m, staffDir+"/tmeier.md", old, fp)
	m["keys/tmeier.pub"] = &fstest.MapFile{Data: ssh.MarshalAuthorizedKey(pub)}
	p, err := load(t, m)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(problems(p), "RSA key of 1024 bits") {
		t.Errorf("problems:\n%s", problems(p))
	}
	_, _, err = p.Signer(&signature.Verdict{Fingerprint: fp}, day("2026-06-01T00:00:00Z"))
	if !errors.Is(err, signature.ErrPolicy) {
		t.Errorf("Signer with an RSA-1024 key: %v, want a policy refusal", err)
	}
}

// TestKeyFiles: a key file holds exactly one public key.
func TestKeyFiles(t *testing.T) {
	m := example(t)
	both := string(m["keys/akeller.asc"].Data) + string(m["keys/mbrunner.asc"].Data)
	m["keys/akeller.asc"] = &fstest.MapFile{Data: []byte(both)}
	p, err := load(t, m)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.People["akeller"]; !ok || len(p.People["akeller"].Keys) != 0 || !strings.Contains(problems(p), "akeller.asc") {
		t.Errorf("a key file with two keys: %+v\n%s", p.People["akeller"], problems(p))
	}
}

// FuzzLoad feeds the policy loader hostile staff records, matrices and key
// files: it never panics, a person it accepts has a record that passes the
// staff schema and an id equal to the file name, and a matrix it accepts
// asks for at least one signer everywhere.
func FuzzLoad(f *testing.F) {
	m := testrepo.Example(f)
	f.Add(m[staffDir+"/akeller.md"].Data, m[matrix].Data, m["keys/akeller.asc"].Data)
	f.Add([]byte("---\nid: akeller\nname: [\n---\n"), []byte("---\nroles: {A: b}\nrules: [{kinds: [x], review: {any_of: [A], min: 1.0}, approve: {any_of: [A], min: 1}}]\ngovern: [A]\nseparation_of_duties: true\n---\n"), []byte("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nxx\n-----END PGP PUBLIC KEY BLOCK-----\n"))
	kinds, _ := schema.Load(qms.Defaults, m)
	f.Fuzz(func(t *testing.T, staff, mat, key []byte) {
		fsys := fstest.MapFS{}
		for k, v := range m {
			fsys[k] = v
		}
		fsys[staffDir+"/akeller.md"] = &fstest.MapFile{Data: staff}
		fsys[matrix] = &fstest.MapFile{Data: mat}
		fsys["keys/akeller.asc"] = &fstest.MapFile{Data: key}
		watch := time.AfterFunc(5*time.Second, func() { panic(fmt.Sprintf("Load hangs on staff %q matrix %q key %q", staff, mat, key)) })
		defer watch.Stop()
		p, err := Load(fsys, kinds)
		if err != nil {
			return
		}
		if per, ok := p.People["akeller"]; ok {
			if per.ID != "akeller" {
				t.Fatalf("person %q from akeller.md", per.ID)
			}
		}
		if p.Matrix != nil {
			for _, r := range p.Matrix.Rules {
				if r.Review.Min < 1 || r.Approve.Min < 1 {
					t.Fatalf("accepted a rule asking for no signer: %+v", r)
				}
			}
			if len(p.Matrix.Govern) == 0 {
				t.Fatal("accepted a matrix with no governing role")
			}
		}
		_ = p.Digest()
		_ = p.Check(time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC))
	})
}
