package signature_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/policy"
	"github.com/qms-tool/qms/internal/schema"
	"github.com/qms-tool/qms/internal/signature"
	"github.com/qms-tool/qms/internal/testkit/testrepo"
)

const webFlowRecord = "records/staff/webflow.md"

// webFlowQMS is the example QMS with one more staff record listing
// GitHub's two web-flow keys, their files in keys/ as a governor would
// commit them; revoked is the old key's revoked: block, or "".
func webFlowQMS(t *testing.T, revoked string) fstest.MapFS {
	t.Helper()
	m := testrepo.Example(t)
	for _, f := range []string{"web-flow-4AEE18F83AFDEB23.asc", "web-flow-B5690EEEBB952194.asc"} {
		b, err := os.ReadFile(filepath.Join("testdata", "github", f))
		if err != nil {
			t.Fatal(err)
		}
		m["keys/"+f] = &fstest.MapFile{Data: b}
	}
	m[webFlowRecord] = &fstest.MapFile{Data: []byte(`---
id: webflow
name: GitHub web-flow
position: Merges made on github.com
roles: []
email: noreply@github.com
phone: +1 000 000 0000
active_from: 2017-08-16
keys:
  - type: openpgp
    fingerprint: 5DE3E0509C47EA3CF04A42D34AEE18F83AFDEB23
    file: web-flow-4AEE18F83AFDEB23.asc
` + revoked + `  - type: openpgp
    fingerprint: 968479A1AFF927E37D1A566BB5690EEEBB952194
    file: web-flow-B5690EEEBB952194.asc
---
`)}
	return m
}

func loadPolicy(t *testing.T, m fstest.MapFS) *policy.Policy {
	t.Helper()
	kinds, fs := schema.Load(qms.Defaults, m)
	if qms.HasErrors(fs) {
		t.Fatalf("schema: %v", fs)
	}
	p, err := policy.Load(m, kinds)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range p.Problems {
		t.Errorf("policy problem: %s", f)
	}
	return p
}

// webFlowFindings are the findings 'qms validate' would report at t about
// the web-flow staff record.
func webFlowFindings(p *policy.Policy, t time.Time) []string {
	var out []string
	for _, f := range p.Check(t) {
		if f.Path == webFlowRecord {
			out = append(out, f.String())
		}
	}
	return out
}

// TestGitHubWebFlowThroughPolicy: GitHub's web-flow keys, committed to
// keys/ and listed in a staff record, pass the policy loader's key checks
// (the ones every key file gets), and the real merge and squash commits
// verify as approval does: VerifyOpenPGP against the policy's keyring,
// then Policy.Signer at the signature's time.
func TestGitHubWebFlowThroughPolicy(t *testing.T) {
	commits := []struct {
		file, fpr string
		created   time.Time
	}{
		{"merge-4AEE18F83AFDEB23.commit", "5DE3E0509C47EA3CF04A42D34AEE18F83AFDEB23", time.Unix(1704736561, 0)},
		{"merge-B5690EEEBB952194.commit", "968479A1AFF927E37D1A566BB5690EEEBB952194", time.Unix(1707188066, 0)},
		{"squash-4AEE18F83AFDEB23.commit", "5DE3E0509C47EA3CF04A42D34AEE18F83AFDEB23", time.Unix(1696631664, 0)},
		{"squash-B5690EEEBB952194.commit", "968479A1AFF927E37D1A566BB5690EEEBB952194", time.Unix(1716996219, 0)},
	}
	expired := time.Date(2024, 1, 16, 20, 0, 1, 0, time.UTC) // the old key's first second past its expiry
	later := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

	for _, tc := range []struct {
		name    string
		revoked string
		// validate is what 'qms validate' says, at later, about the record.
		validate string
	}{
		// Listed as it is, the old key is reported for good once it has
		// expired, as every expired key is: it cannot sign now.
		{"both keys listed", "", "key 5DE3E0509C47EA3CF04A42D34AEE18F83AFDEB23 (web-flow-4AEE18F83AFDEB23.asc) cannot sign now: the key is not valid on 2026-06-01: openpgp: key expired"},
		// Marked superseded when it expired, it is not reported, and what
		// it signed before still counts.
		{"old key superseded", "    revoked:\n      at: 2024-01-16T20:00:00Z\n      reason: superseded\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := loadPolicy(t, webFlowQMS(t, tc.revoked))
			for _, fpr := range []string{commits[0].fpr, commits[1].fpr} {
				k := p.Key(fpr)
				if k == nil || k.Refused != nil || k.Owner == nil || k.Owner.ID != "webflow" {
					t.Fatalf("Key(%s) = %+v, want a key of webflow that the crypto policy accepts", fpr, k)
				}
			}
			for _, c := range commits {
				raw, err := os.ReadFile(filepath.Join("testdata", "github", c.file))
				if err != nil {
					t.Fatal(err)
				}
				s, err := signature.Split(raw)
				if err != nil {
					t.Fatal(err)
				}
				v, err := signature.VerifyOpenPGP(s.Payload, s.Signature, p.Keyring)
				if err != nil || v.Fingerprint != c.fpr || !v.Created.Equal(c.created) {
					t.Fatalf("VerifyOpenPGP(%s, the policy's keyring) = %+v, %v; want %s at %s", c.file, v, err, c.fpr, c.created.UTC().Format(time.RFC3339))
				}
				per, k, err := p.Signer(v, v.Created)
				if err != nil || per.ID != "webflow" || k.Fingerprint != c.fpr {
					t.Errorf("Signer(%s at %s) = %v, %v, %v; want webflow", c.file, v.Created.UTC().Format(time.RFC3339), per, k, err)
				}
				if err := k.Usable(v.Created); err != nil {
					t.Errorf("Usable(%s at %s) = %v", c.fpr, v.Created.UTC().Format(time.RFC3339), err)
				}
			}

			old := p.Key(commits[0].fpr)
			switch err := old.Usable(expired); {
			case err == nil:
				t.Errorf("the old key is usable at %s, after its expiry", expired.Format(time.RFC3339))
			case tc.revoked == "" && !strings.Contains(err.Error(), "key expired"):
				t.Errorf("Usable(old key, %s) = %v, want expired", expired.Format(time.RFC3339), err)
			case tc.revoked != "" && !strings.Contains(err.Error(), "was revoked (superseded)"):
				t.Errorf("Usable(old key, %s) = %v, want revoked as superseded", expired.Format(time.RFC3339), err)
			}
			if got := strings.Join(webFlowFindings(p, later), "\n"); !strings.Contains(got, tc.validate) || (tc.validate == "") != (got == "") {
				t.Errorf("Check(%s) on %s:\n%s\nwant %q", later.Format(time.DateOnly), webFlowRecord, got, tc.validate)
			}
		})
	}
}
