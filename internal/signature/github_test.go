package signature

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"
)

// GitHub's web-flow keys, as https://github.com/web-flow.gpg publishes them
// (testdata/github/README.md says where each copy came from).
const (
	webFlowOld = "5DE3E0509C47EA3CF04A42D34AEE18F83AFDEB23" // 4AEE18F83AFDEB23, until 2024-01-16
	webFlowNew = "968479A1AFF927E37D1A566BB5690EEEBB952194" // B5690EEEBB952194, since 2024-01-16
)

// webFlowExpiry is when the old key's published self-signature says it
// expires: created 2017-08-16T15:44:01Z plus 202536959 seconds. go-crypto
// counts that second as still valid and the next one as expired (gpg's
// KEYEXPIRED status names this second).
var webFlowExpiry = time.Date(2024, 1, 16, 20, 0, 0, 0, time.UTC)

// webFlowCommits are real commits of github.com/psf/requests that GitHub
// made and signed when a maintainer pressed "Merge pull request" or
// "Squash and merge", kept byte for byte as 'git cat-file commit' prints
// them.
var webFlowCommits = []struct {
	name    string
	file    string
	id      string
	key     string // the key file that verifies it
	fpr     string
	created time.Time // the signature's creation time, as gpg --list-packets shows it
	parents int
}{
	{"merge with the old key", "merge-4AEE18F83AFDEB23.commit", "96b22fa18c00831656ee4b286bf1c9062459b00a",
		"web-flow-4AEE18F83AFDEB23.asc", webFlowOld, time.Unix(1704736561, 0), 2},
	{"merge with the new key", "merge-B5690EEEBB952194.commit", "4f3f189d6b7d2a19ff73dfb4a3e39713d4abe01a",
		"web-flow-B5690EEEBB952194.asc", webFlowNew, time.Unix(1707188066, 0), 2},
	{"squash with the old key", "squash-4AEE18F83AFDEB23.commit", "f5a7aefc2dc123c65ec1c6d3e83949999b03876b",
		"web-flow-4AEE18F83AFDEB23.asc", webFlowOld, time.Unix(1696631664, 0), 1},
	{"squash with the new key", "squash-B5690EEEBB952194.commit", "e18879932287c2bf4bcee4ddf6ccb8a69b6fc656",
		"web-flow-B5690EEEBB952194.asc", webFlowNew, time.Unix(1716996219, 0), 1},
}

func readGitHub(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "github", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// webFlowKey reads a key file as qms's policy loader does (one key, its
// self-signatures verified once under the policy, its algorithms checked).
func webFlowKey(t *testing.T, name string) *openpgp.Entity {
	t.Helper()
	el, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(readGitHub(t, name)))
	if err != nil || len(el) != 1 {
		t.Fatalf("%s: %d keys, %v; want one key", name, len(el), err)
	}
	Warm(el[0])
	if err := CheckAlgorithm(el[0].PrimaryKey); err != nil {
		t.Fatalf("CheckAlgorithm(%s) = %v", name, err)
	}
	return el[0]
}

// gitID is the id git gives a commit object: the test data is the commit
// itself only if it hashes to the commit's id.
func gitID(raw []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "commit %d\x00", len(raw))
	h.Write(raw)
	return hex.EncodeToString(h.Sum(nil))
}

// TestGitHubWebFlow: the commits GitHub's merge button makes verify
// against its web-flow keys, old and new, under qms's crypto policy: the
// keys are RSA 2048 and 4096 with SHA-256 and SHA-512 self-signatures,
// the signatures RSA with SHA-256.
func TestGitHubWebFlow(t *testing.T) {
	both := openpgp.EntityList{webFlowKey(t, "web-flow-4AEE18F83AFDEB23.asc"), webFlowKey(t, "web-flow-B5690EEEBB952194.asc")}
	for _, tc := range webFlowCommits {
		t.Run(tc.name, func(t *testing.T) {
			raw := readGitHub(t, tc.file)
			if got := gitID(raw); got != tc.id {
				t.Fatalf("%s hashes to %s, want %s: the file is not the commit byte for byte", tc.file, got, tc.id)
			}
			if got := bytes.Count(raw, []byte("\nparent ")); got != tc.parents {
				t.Errorf("%s has %d parents, want %d", tc.file, got, tc.parents)
			}
			if !bytes.Contains(raw, []byte("\ncommitter GitHub <noreply@github.com> ")) {
				t.Errorf("%s was not committed by GitHub", tc.file)
			}
			s, err := Split(raw)
			if err != nil || s.Kind != OpenPGP {
				t.Fatalf("Split(%s) = %v, %v; want an OpenPGP signature", tc.file, s, err)
			}
			if got, want := Issuer(s), "0x"+tc.fpr[24:]; got != want {
				t.Errorf("Issuer = %q, want %q (web-flow signatures name the key id only)", got, want)
			}
			key := webFlowKey(t, tc.key)
			if err := CheckOpenPGPKey(key, tc.created); err != nil {
				t.Errorf("CheckOpenPGPKey(%s, %s) = %v, want a key qms accepts", tc.key, tc.created.UTC().Format(time.RFC3339), err)
			}
			for _, keys := range []openpgp.EntityList{{key}, both} {
				v, err := VerifyOpenPGP(s.Payload, s.Signature, keys)
				if err != nil {
					t.Fatalf("VerifyOpenPGP(%s) with %d keys = %v", tc.file, len(keys), err)
				}
				want := Verdict{Kind: OpenPGP, Fingerprint: tc.fpr, SigningKey: tc.fpr, Created: tc.created, Hash: "SHA-256"}
				if v.Kind != want.Kind || v.Fingerprint != want.Fingerprint || v.SigningKey != want.SigningKey || !v.Created.Equal(want.Created) || v.Hash != want.Hash {
					t.Errorf("VerifyOpenPGP(%s) = %+v, want %+v", tc.file, *v, want)
				}
			}

			other := "web-flow-B5690EEEBB952194.asc"
			if tc.key == other {
				other = "web-flow-4AEE18F83AFDEB23.asc"
			}
			if _, err := VerifyOpenPGP(s.Payload, s.Signature, openpgp.EntityList{webFlowKey(t, other)}); !errors.Is(err, ErrUnknownKey) {
				t.Errorf("VerifyOpenPGP(%s) with the other web-flow key = %v, want ErrUnknownKey", tc.file, err)
			}
			// One byte of the message changed: GitHub's signature no longer holds.
			forged := bytes.Replace(s.Payload, []byte("\n\n"), []byte("\n\nX"), 1)
			if _, err := VerifyOpenPGP(forged, s.Signature, both); err == nil || errors.Is(err, ErrPolicy) || errors.Is(err, ErrUnknownKey) {
				t.Errorf("VerifyOpenPGP(altered %s) = %v, want a bad signature", tc.file, err)
			}
		})
	}
}

// TestGitHubWebFlowOldKeyExpired: GitHub's old key expired on 2024-01-16
// (its published self-signature says so), and qms judges a key's expiry at
// the time of each signature, never today: the old key's signatures made
// before that stay good, while the key itself is no longer valid after it.
// The copy published in 2017 had no expiry; it verifies the same
// signatures.
func TestGitHubWebFlowOldKeyExpired(t *testing.T) {
	old := webFlowKey(t, "web-flow-4AEE18F83AFDEB23.asc")
	if err := CheckOpenPGPKey(old, webFlowExpiry); err != nil {
		t.Errorf("CheckOpenPGPKey(old key, its last second) = %v", err)
	}
	after := webFlowExpiry.Add(time.Second)
	err := CheckOpenPGPKey(old, after)
	if err == nil || errors.Is(err, ErrPolicy) || !strings.Contains(err.Error(), "expired") {
		t.Errorf("CheckOpenPGPKey(old key, %s) = %v, want an expired key, not a policy refusal", after.Format(time.RFC3339), err)
	}
	if err := CheckOpenPGPKey(webFlowKey(t, "web-flow-B5690EEEBB952194.asc"), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Errorf("CheckOpenPGPKey(new key, 2100) = %v; the new key has no expiry", err)
	}

	v2017 := webFlowKey(t, "web-flow-4AEE18F83AFDEB23-2017.asc")
	if err := CheckOpenPGPKey(v2017, time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Errorf("CheckOpenPGPKey(old key as published in 2017, 2100) = %v; that copy has no expiry", err)
	}
	for _, tc := range webFlowCommits {
		if tc.fpr != webFlowOld {
			continue
		}
		// VerifyOpenPGP takes no clock: the verdict is the same whenever it
		// is asked, years after the key expired included.
		s, _ := Split(readGitHub(t, tc.file))
		for _, key := range []*openpgp.Entity{old, v2017} {
			v, err := VerifyOpenPGP(s.Payload, s.Signature, openpgp.EntityList{key})
			if err != nil || v.Fingerprint != webFlowOld || !v.Created.Before(webFlowExpiry) {
				t.Errorf("VerifyOpenPGP(%s) = %+v, %v; want good, made before the expiry", tc.file, v, err)
			}
		}
	}
}
