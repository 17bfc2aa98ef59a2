package signature

import (
	"bytes"
	"crypto"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"
	"golang.org/x/crypto/ssh"

	"github.com/qms-tool/qms/internal/testkit/testrepo"
)

type lab = testrepo.Lab

func newLab(t *testing.T) *lab { return testrepo.New(t) }

func keyring(l *lab, uids ...string) openpgp.EntityList {
	l.T.Helper()
	out := l.Run(l.Dir, nil, "gpg", append([]string{"--armor", "--export"}, uids...)...)
	el, err := openpgp.ReadArmoredKeyRing(strings.NewReader(out))
	if err != nil {
		l.T.Fatal(err)
	}
	return el
}

// commit makes a signed commit with the given git -c settings and returns
// the raw object.
func commit(l *lab, msg string, config ...string) []byte {
	l.T.Helper()
	args := []string{}
	for _, c := range config {
		args = append(args, "-c", c)
	}
	l.Git(append(args, "commit", "-q", "--allow-empty", "-S", "-m", msg)...)
	return []byte(l.Run(l.Repo, nil, "git", "cat-file", "commit", "HEAD"))
}

// gitVerifies says whether git verify-commit accepts the raw object.
func gitVerifies(l *lab, raw []byte, config ...string) bool {
	id := strings.TrimSpace(l.Run(l.Repo, raw, "git", "hash-object", "-t", "commit", "--literally", "-w", "--stdin"))
	args := []string{}
	for _, c := range config {
		args = append(args, "-c", c)
	}
	_, err := l.Try(l.Repo, nil, "git", append(args, "verify-commit", id)...)
	return err == nil
}

func TestOpenPGP(t *testing.T) {
	l := newLab(t)
	fpr := l.GPGKey("Lucia Rossi <lucia.rossi@example.com>", "ed25519")
	l.GPGKey("Marco Brunner <marco.brunner@example.com>", "ed25519")
	sign := "user.signingkey=" + fpr
	raw := commit(l, "Review of INC-2026-0001\n\nQMS-Sign: review records/incidents/INC-2026-0001.md 3e488a1c390aa2e72d13b9d61ec60c0bdd4e9fbd", sign)
	s, err := Split(raw)
	if err != nil || s.Kind != OpenPGP {
		t.Fatalf("Split = %v, %v; want an OpenPGP signature", s, err)
	}
	keys := keyring(l, "lucia.rossi@example.com", "marco.brunner@example.com")

	v, err := VerifyOpenPGP(s.Payload, s.Signature, keys)
	if err != nil {
		t.Fatalf("VerifyOpenPGP(good) = %v", err)
	}
	if v.Fingerprint != fpr || v.Created.IsZero() || v.Hash != "SHA-512" && v.Hash != "SHA-256" {
		t.Errorf("verdict = %+v, want fingerprint %s, a time and SHA-2", v, fpr)
	}
	if !gitVerifies(l, raw) {
		t.Error("git verify-commit refuses the good commit")
	}

	// One byte of the message changed: both refuse.
	bad := bytes.Replace(raw, []byte("INC-2026-0001\n"), []byte("INC-2026-0002\n"), 1)
	sb, _ := Split(bad)
	if _, err := VerifyOpenPGP(sb.Payload, sb.Signature, keys); err == nil {
		t.Error("VerifyOpenPGP accepted a changed message")
	}
	if gitVerifies(l, bad) {
		t.Error("git verify-commit accepted a changed message")
	}

	// A key that is not in the keyring: refused, whatever gpg's keyring holds.
	if _, err := VerifyOpenPGP(s.Payload, s.Signature, keyring(l, "marco.brunner@example.com")); err == nil {
		t.Error("VerifyOpenPGP accepted a signer outside the keyring")
	}
}

func TestOpenPGPDuplicateSignatureHeaders(t *testing.T) {
	l := newLab(t)
	fpr := l.GPGKey("Lucia Rossi <lucia.rossi@example.com>", "ed25519")
	raw := commit(l, "one", "user.signingkey="+fpr)
	i := bytes.Index(raw, []byte("gpgsig "))
	j := bytes.Index(raw, []byte("-----END PGP SIGNATURE-----\n")) + len("-----END PGP SIGNATURE-----\n")
	dup := append(append(append([]byte{}, raw[:j]...), raw[i:j]...), raw[j:]...)
	if _, err := Split(dup); !errors.Is(err, ErrMultipleSignatures) {
		t.Errorf("Split(two gpgsig headers) = %v, want ErrMultipleSignatures", err)
	}
	sha256 := append(append(append([]byte{}, raw[:j]...), []byte("gpgsig-sha256 x\n")...), raw[j:]...)
	if _, err := Split(sha256); !errors.Is(err, ErrOtherAlgorithm) {
		t.Errorf("Split(gpgsig-sha256) = %v, want ErrOtherAlgorithm", err)
	}
}

func TestOpenPGPPolicy(t *testing.T) {
	l := newLab(t)
	// A SHA-1 digest: git accepts it, qms does not.
	fpr := l.GPGKey("Lucia Rossi <lucia.rossi@example.com>", "ed25519")
	wrapper := filepath.Join(l.Dir, "gpg-sha1")
	if err := os.WriteFile(wrapper, []byte("#!/bin/sh\nexec gpg --digest-algo SHA1 \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	raw := commit(l, "sha1", "user.signingkey="+fpr, "gpg.program="+wrapper)
	s, _ := Split(raw)
	if _, err := VerifyOpenPGP(s.Payload, s.Signature, keyring(l, fpr)); !errors.Is(err, ErrPolicy) {
		t.Errorf("VerifyOpenPGP(SHA-1 digest) = %v, want ErrPolicy", err)
	}
	if !gitVerifies(l, raw) {
		t.Log("note: this git refuses SHA-1 signatures too")
	}

	// RSA under 2048 bits and DSA keys.
	for _, algo := range []string{"rsa1024", "dsa2048"} {
		uid := "Weak " + algo + " <" + algo + "@example.com>"
		weak := l.GPGKey(uid, algo, "--allow-weak-key-signatures")
		raw := commit(l, algo, "user.signingkey="+weak)
		s, _ := Split(raw)
		if _, err := VerifyOpenPGP(s.Payload, s.Signature, keyring(l, weak)); !errors.Is(err, ErrPolicy) {
			t.Errorf("VerifyOpenPGP(%s key) = %v, want ErrPolicy", algo, err)
		}
	}
}

func TestOpenPGPExpiredKeyJudgedWhenSigned(t *testing.T) {
	l := newLab(t)
	// A key made in 2025 that expired a day later; a commit signed within
	// that day stays good, while git now calls it expired.
	const made = "20250301T090000!"
	fpr := l.GPGKey("Former Signer <former@example.com>", "ed25519", "--faked-system-time", made)
	l.Run(l.Dir, nil, "gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", "", "--faked-system-time", "20250301T090100!", "--quick-set-expire", fpr, "1d")
	wrapper := filepath.Join(l.Dir, "gpg-then")
	if err := os.WriteFile(wrapper, []byte("#!/bin/sh\nexec gpg --faked-system-time 20250301T120000! \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	raw := commit(l, "signed in time", "user.signingkey="+fpr, "gpg.program="+wrapper)
	s, _ := Split(raw)
	v, err := VerifyOpenPGP(s.Payload, s.Signature, keyring(l, fpr))
	if err != nil {
		t.Fatalf("VerifyOpenPGP(signed before expiry) = %v", err)
	}
	if got := v.Created.UTC().Format("2006-01-02T15"); got != "2025-03-01T12" {
		t.Errorf("Created = %s, want 2025-03-01T12", got)
	}

	// Signed after the expiry, with the same key (gpg will not do it, so
	// go-crypto's packet layer does): refused.
	secret := l.Run(l.Dir, nil, "gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", "", "--armor", "--export-secret-keys", fpr)
	el, err := openpgp.ReadArmoredKeyRing(strings.NewReader(secret))
	if err != nil || len(el) != 1 || el[0].PrivateKey == nil {
		t.Fatalf("read the secret key: %v", err)
	}
	priv := el[0].PrivateKey
	sig := &packet.Signature{
		Version: 4, SigType: packet.SigTypeBinary, PubKeyAlgo: priv.PubKeyAlgo, Hash: crypto.SHA256,
		CreationTime: time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC), IssuerKeyId: &priv.KeyId, IssuerFingerprint: priv.Fingerprint,
	}
	h, err := sig.PrepareSign(nil)
	if err != nil {
		t.Fatal(err)
	}
	h.Write(s.Payload)
	if err := sig.Sign(h, priv, nil); err != nil {
		t.Fatal(err)
	}
	var armored bytes.Buffer
	w, err := armor.Encode(&armored, "PGP SIGNATURE", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := sig.Serialize(w); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if _, err := VerifyOpenPGP(s.Payload, armored.Bytes(), keyring(l, fpr)); err == nil {
		t.Error("VerifyOpenPGP accepted a signature made after the key expired")
	}
	// The same construction with the creation time inside the validity
	// passes: the refusal above is about the time, not the construction.
	sig.CreationTime = time.Date(2025, 3, 1, 13, 0, 0, 0, time.UTC)
	h, _ = sig.PrepareSign(nil)
	h.Write(s.Payload)
	if err := sig.Sign(h, priv, nil); err != nil {
		t.Fatal(err)
	}
	armored.Reset()
	w, _ = armor.Encode(&armored, "PGP SIGNATURE", nil)
	sig.Serialize(w)
	w.Close()
	if _, err := VerifyOpenPGP(s.Payload, armored.Bytes(), keyring(l, fpr)); err != nil {
		t.Errorf("VerifyOpenPGP(in-time signature made the same way) = %v", err)
	}
}

func TestSSH(t *testing.T) {
	l := newLab(t)
	key := filepath.Join(l.Dir, "id_tmeier")
	l.Run(l.Dir, nil, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "tobias.meier@example.com", "-f", key)
	other := filepath.Join(l.Dir, "id_other")
	l.Run(l.Dir, nil, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", other)
	pub := parsePub(t, key+".pub")
	raw := commit(l, "ssh", "gpg.format=ssh", "user.signingkey="+key+".pub")
	s, err := Split(raw)
	if err != nil || s.Kind != SSH {
		t.Fatalf("Split = %v, %v; want an SSH signature", s, err)
	}
	v, err := VerifySSH(s.Payload, s.Signature, []ssh.PublicKey{parsePub(t, other+".pub"), pub})
	if err != nil {
		t.Fatalf("VerifySSH(good) = %v", err)
	}
	if v.Fingerprint != ssh.FingerprintSHA256(pub) {
		t.Errorf("Fingerprint = %s, want %s", v.Fingerprint, ssh.FingerprintSHA256(pub))
	}
	if _, err := VerifySSH(s.Payload, s.Signature, []ssh.PublicKey{parsePub(t, other+".pub")}); err == nil {
		t.Error("VerifySSH accepted a key that is not listed")
	}
	bad := append(append([]byte{}, s.Payload...), '!')
	if _, err := VerifySSH(bad, s.Signature, []ssh.PublicKey{pub}); err == nil {
		t.Error("VerifySSH accepted a changed payload")
	}

	// The same key's signature over the same payload in another namespace,
	// spliced into the commit: refused.
	payload := filepath.Join(l.Dir, "payload")
	if err := os.WriteFile(payload, s.Payload, 0o600); err != nil {
		t.Fatal(err)
	}
	l.Run(l.Dir, nil, "ssh-keygen", "-Y", "sign", "-f", key, "-n", "file", payload)
	fileSig, err := os.ReadFile(payload + ".sig")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifySSH(s.Payload, fileSig, []ssh.PublicKey{pub}); !errors.Is(err, ErrPolicy) {
		t.Errorf("VerifySSH(namespace file) = %v, want ErrPolicy", err)
	}
}

func parsePub(t *testing.T, p string) ssh.PublicKey {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	k, _, _, _, err := ssh.ParseAuthorizedKey(b)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func FuzzSplit(f *testing.F) {
	f.Add([]byte("tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\ngpgsig -----BEGIN PGP SIGNATURE-----\n \n abc\n -----END PGP SIGNATURE-----\n\nmsg\n"))
	f.Add([]byte("tree x\n\n"))
	f.Add([]byte("gpgsig a\ngpgsig b\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		s, err := Split(raw)
		if err != nil {
			return
		}
		if len(s.Payload)+len(s.Signature) > len(raw) {
			t.Fatalf("payload %d + signature %d > object %d", len(s.Payload), len(s.Signature), len(raw))
		}
		if !bytes.Contains(raw, []byte("gpgsig ")) && !bytes.Equal(s.Payload, raw) {
			t.Fatalf("unsigned object changed: %q -> %q", raw, s.Payload)
		}
	})
}

// TestAgreesWithGit crafts commit objects around a real signature and
// checks that the verdict is git verify-commit's, for mergetag and
// encoding headers too.
func TestAgreesWithGit(t *testing.T) {
	l := newLab(t)
	fpr := l.GPGKey("Lucia Rossi <lucia.rossi@example.com>", "ed25519")
	keys := keyring(l, fpr)
	sign := []string{"user.signingkey=" + fpr}
	l.Write("a.md", "one\n")
	l.Git("add", ".")
	commit(l, "base", sign...)
	// A signed tag merged with a signed merge commit: a mergetag header.
	l.Git("checkout", "-q", "-b", "side")
	l.Write("b.md", "two\n")
	l.Git("add", ".")
	commit(l, "side", sign...)
	l.Git("-c", "user.signingkey="+fpr, "tag", "-s", "-m", "release", "v1")
	l.Git("checkout", "-q", "main")
	l.Git("-c", "user.signingkey="+fpr, "merge", "-q", "-S", "--no-ff", "-m", "Merge v1", "v1")
	merge := []byte(l.Run(l.Repo, nil, "git", "cat-file", "commit", "HEAD"))
	if !bytes.Contains(merge, []byte("\nmergetag object ")) {
		t.Fatalf("no mergetag header:\n%s", merge)
	}
	// A commit with an encoding header.
	enc := commit(l, "caf\xe9", append(sign, "i18n.commitEncoding=ISO-8859-1")...)
	if !bytes.Contains(enc, []byte("\nencoding ISO-8859-1\n")) {
		t.Fatalf("no encoding header:\n%s", enc)
	}

	ours := func(raw []byte) bool {
		s, err := Split(raw)
		if err != nil || s.Kind != OpenPGP {
			return false
		}
		_, err = VerifyOpenPGP(s.Payload, s.Signature, keys)
		return err == nil
	}
	sigStart := func(raw []byte) int { return bytes.Index(raw, []byte("gpgsig ")) }
	sigEnd := func(raw []byte) int {
		return bytes.Index(raw, []byte("-----END PGP SIGNATURE-----\n")) + len("-----END PGP SIGNATURE-----\n")
	}
	move := func(raw []byte) []byte { // the signature header first
		i, j := sigStart(raw), sigEnd(raw)
		sig := append([]byte{}, raw[i:j]...)
		rest := append(append([]byte{}, raw[:i]...), raw[j:]...)
		return append(sig, rest...)
	}
	cases := map[string][]byte{
		"merge with mergetag":     merge,
		"encoding header":         enc,
		"signature header first":  move(enc),
		"header added":            bytes.Replace(enc, []byte("\nencoding "), []byte("\nx-extra y\nencoding "), 1),
		"message extended":        append(append([]byte{}, enc...), []byte("more\n")...),
		"mergetag edited":         bytes.Replace(merge, []byte("release"), []byte("Release"), 1),
		"signature line doubled":  bytes.Replace(enc, []byte("\n -----END PGP"), []byte("\n \n -----END PGP"), 1),
		"no newline at the end":   bytes.TrimSuffix(enc, []byte("\n")),
		"tab-indented signature":  bytes.ReplaceAll(enc, []byte("\n "), []byte("\n\t")),
		"committer date replaced": bytes.Replace(enc, []byte("+0000\n"), []byte("+0100\n"), 1),
	}
	for name, raw := range cases {
		t.Run(name, func(t *testing.T) {
			if got, want := ours(raw), gitVerifies(l, raw); got != want {
				t.Errorf("qms says %v, git verify-commit says %v, for:\n%s", got, want, raw)
			}
		})
	}
	if !ours(merge) || !ours(enc) {
		t.Error("the genuine merge and encoding commits must verify")
	}
}

func TestIssuer(t *testing.T) {
	l := newLab(t)
	fpr := l.GPGKey("Issuer Test <issuer@example.com>", "ed25519")
	s, err := Split(commit(l, "pgp", "user.signingkey="+fpr))
	if err != nil {
		t.Fatal(err)
	}
	if got := Issuer(s); got != fpr {
		t.Errorf("Issuer(OpenPGP) = %q, want %q", got, fpr)
	}
	key := filepath.Join(l.Dir, "id_issuer")
	l.Run(l.Dir, nil, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key)
	s, err = Split(commit(l, "ssh", "gpg.format=ssh", "user.signingkey="+key+".pub"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := Issuer(s), ssh.FingerprintSHA256(parsePub(t, key+".pub")); got != want {
		t.Errorf("Issuer(SSH) = %q, want %q", got, want)
	}
	if got := Issuer(&Signed{Kind: OpenPGP, Signature: []byte("garbage")}); got != "" {
		t.Errorf("Issuer(garbage) = %q, want empty", got)
	}
}

// TestSHA1SelfSignatures: a key whose self-signatures are SHA-1 only (many
// keys made before about 2020) is refused by policy, with how to fix it,
// not reported as a bad signature.
func TestSHA1SelfSignatures(t *testing.T) {
	l := newLab(t)
	uid := "Old Key <old.key@example.com>"
	fpr := l.GPGKey(uid, "ed25519", "--cert-digest-algo", "SHA1")
	raw := commit(l, "old key", "user.signingkey="+fpr)
	s, _ := Split(raw)
	_, err := VerifyOpenPGP(s.Payload, s.Signature, keyring(l, fpr))
	var pe *PolicyError
	if !errors.As(err, &pe) || !strings.Contains(pe.Reason, "SHA-1") || !strings.Contains(pe.Fix, "--cert-digest-algo SHA256") {
		t.Fatalf("VerifyOpenPGP(key with SHA-1 self-signatures) = %v, want a policy refusal saying how to re-certify", err)
	}
	el := keyring(l, fpr)
	if err := CheckOpenPGPKey(el[0], time.Now()); !errors.As(err, &pe) || !strings.Contains(pe.Reason, "SHA-1") {
		t.Errorf("CheckOpenPGPKey = %v, want the SHA-1 refusal", err)
	}
	// Re-certified with SHA-256 as the hint says, the same key signs.
	l.Run(l.Dir, nil, "gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", "", "--cert-digest-algo", "SHA256", "--quick-set-expire", fpr, "2y", "*")
	l.Run(l.Dir, nil, "gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", "", "--cert-digest-algo", "SHA256", "--quick-set-expire", fpr, "2y")
	if _, err := VerifyOpenPGP(s.Payload, s.Signature, keyring(l, fpr)); err != nil {
		t.Errorf("after re-certifying with SHA-256: %v", err)
	}
}

// TestSSHKeyPolicy: the SSH keys the crypto policy refuses, as OpenPGP's:
// DSA, RSA under 2048 bits; and SHA-1 RSA signatures.
func TestSSHKeyPolicy(t *testing.T) {
	l := newLab(t)
	for _, tc := range []struct {
		name string
		args []string
		ok   bool
	}{
		{"ed25519", []string{"-t", "ed25519"}, true},
		{"rsa 3072", []string{"-t", "rsa", "-b", "3072"}, true},
		{"rsa 1024", []string{"-t", "rsa", "-b", "1024"}, false},
		{"dsa", []string{"-t", "dsa"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := filepath.Join(l.Dir, "id_"+strings.ReplaceAll(tc.name, " ", ""))
			if out, err := l.Try(l.Dir, nil, "ssh-keygen", append([]string{"-q", "-N", "", "-f", key}, tc.args...)...); err != nil {
				t.Skipf("this ssh-keygen does not make %s keys: %s", tc.name, out)
			}
			pub := parsePub(t, key+".pub")
			if err := CheckSSHKey(pub); (err == nil) != tc.ok || err != nil && !errors.Is(err, ErrPolicy) {
				t.Errorf("CheckSSHKey(%s) = %v, want ok=%v", tc.name, err, tc.ok)
			}
			raw, err := l.Try(l.Repo, nil, "git", "-c", "gpg.format=ssh", "-c", "user.signingkey="+key+".pub", "commit", "-q", "--allow-empty", "-S", "-m", tc.name)
			if err != nil {
				t.Skipf("git cannot sign with a %s key here: %s", tc.name, raw)
			}
			s, _ := Split([]byte(l.Run(l.Repo, nil, "git", "cat-file", "commit", "HEAD")))
			_, err = VerifySSH(s.Payload, s.Signature, []ssh.PublicKey{pub})
			if (err == nil) != tc.ok || err != nil && !errors.Is(err, ErrPolicy) {
				t.Errorf("VerifySSH(%s) = %v, want ok=%v", tc.name, err, tc.ok)
			}
		})
	}
}
