package signature

import (
	"bytes"
	"crypto"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"crypto/rsa"

	"github.com/ProtonMail/go-crypto/openpgp/armor"
	pgperrors "github.com/ProtonMail/go-crypto/openpgp/errors"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"
	"github.com/hiddeco/sshsig"
	"golang.org/x/crypto/ssh"
)

// Namespace is the SSHSIG namespace git signs commits in.
const Namespace = "git"

// Verdict is a good signature: which key made it, and when.
type Verdict struct {
	Kind Kind
	// Fingerprint identifies the key as staff records list it: the
	// OpenPGP primary key's v4 fingerprint in upper-case hex, or the SSH
	// key's "SHA256:..." fingerprint.
	Fingerprint string
	// SigningKey is the OpenPGP (sub)key that signed, upper-case hex; for
	// SSH the same as Fingerprint.
	SigningKey string
	// Created is when the signer says the signature was made (OpenPGP).
	// SSH signatures carry no time: zero.
	Created time.Time
	// Hash names the digest the signature covers.
	Hash string
}

// ErrPolicy is wrapped by errors for signatures and keys that may be
// genuine but that qms refuses: weak hashes and keys, for OpenPGP and SSH
// alike.
var ErrPolicy = errors.New("refused by policy")

// ErrUnknownKey is wrapped by the verify functions' errors when the
// signature was made by none of the keys given: the caller says whose keys
// those were.
var ErrUnknownKey = errors.New("made by none of the given keys")

// ErrRevoked is wrapped by VerifyOpenPGP's error for a signature whose
// key its own key file revokes.
var ErrRevoked = errors.New("revoked in its key file")

// PolicyError is a refusal by policy, with what to do about it.
type PolicyError struct {
	Reason string // what was refused
	Fix    string // what the key's owner can do, or ""
}

func (e *PolicyError) Error() string { return "refused by policy: " + e.Reason }
func (e *PolicyError) Unwrap() error { return ErrPolicy }

func refuse(fix, format string, a ...any) error {
	return &PolicyError{Reason: fmt.Sprintf(format, a...), Fix: fix}
}

// Fixes for the refusals.
const (
	fixNewKey = "make a new Ed25519 key (gpg --quick-gen-key NAME ed25519 sign, or ssh-keygen -t ed25519), have a governor list it in the staff record and keys/, and sign with it"
	fixSHA1   = "re-certify the key with SHA-256 (gpg --cert-digest-algo SHA256 --quick-set-expire FINGERPRINT 2y '*'), export it again (gpg --armor --export FINGERPRINT) into keys/, and have a governor commit it"
)

// Policy is the OpenPGP configuration qms verifies every signature with
// (commits and archives): keys judged at time at, no DSA or ElGamal keys,
// RSA of 2048 bits at least, no MD5, SHA-1 or RIPEMD-160 digests.
func Policy(at time.Time) *packet.Config {
	return &packet.Config{
		Time:       func() time.Time { return at },
		MinRSABits: 2048,
		RejectPublicKeyAlgorithms: map[packet.PublicKeyAlgorithm]bool{
			packet.PubKeyAlgoElGamal: true,
			packet.PubKeyAlgoDSA:     true,
		},
		RejectHashAlgorithms: map[crypto.Hash]bool{
			crypto.MD5: true, crypto.SHA1: true, crypto.RIPEMD160: true,
		},
		RejectMessageHashAlgorithms: map[crypto.Hash]bool{
			crypto.MD5: true, crypto.SHA1: true, crypto.RIPEMD160: true,
		},
	}
}

// VerifyOpenPGP checks an armored detached OpenPGP signature over payload
// against keys. Key validity (expiry, revocation, binding signatures) is
// judged at the signature's own creation time, never at today's: a
// signature made while a key was valid stays good after the key expires.
// The creation time is the signer's claim; callers must check it against
// what they know (the committer date, parents).
func VerifyOpenPGP(payload, armored []byte, keys openpgp.EntityList) (*Verdict, error) {
	sig, err := readSignature(armored)
	if err != nil {
		return nil, err
	}
	switch sig.Hash {
	case crypto.MD5, crypto.SHA1, crypto.RIPEMD160:
		return nil, refuse("sign with SHA-256 or better (gpg's default; set personal-digest-preferences SHA512 SHA384 SHA256 in gpg.conf)", "signature digest %s", sig.Hash)
	}
	switch sig.PubKeyAlgo {
	case packet.PubKeyAlgoDSA, packet.PubKeyAlgoElGamal:
		return nil, refuse(fixNewKey, "DSA and ElGamal keys are not accepted")
	}
	body, err := armor.Decode(bytes.NewReader(armored))
	if err != nil {
		return nil, fmt.Errorf("signature: %w", err)
	}
	good, signer, err := openpgp.VerifyDetachedSignature(keys, bytes.NewReader(payload), body.Body, Policy(sig.CreationTime))
	if err != nil {
		if d := describe(err); errors.Is(d, ErrUnknownKey) || errors.Is(d, ErrPolicy) || errors.Is(d, ErrRevoked) {
			return nil, d
		}
		if v, rerr := recertified(sig, payload, keys); rerr == nil {
			return v, nil
		}
		// Many keys made before about 2020 carry only SHA-1 self-signatures:
		// say so, and how to fix it, rather than "no valid self signature".
		if sig.IssuerKeyId != nil {
			for _, e := range keys.EntitiesById(*sig.IssuerKeyId) {
				if sha1Only(e) {
					return nil, refuse(fixSHA1, "the signing key's self-signatures use SHA-1 only")
				}
			}
		}
		return nil, describe(err)
	}
	v := &Verdict{Kind: OpenPGP, Created: good.CreationTime, Hash: good.Hash.String()}
	if signer != nil && signer.PrimaryKey != nil {
		v.Fingerprint = upperHex(signer.PrimaryKey.Fingerprint)
		if bits, err := signer.PrimaryKey.BitLength(); err == nil && isRSA(signer.PrimaryKey.PubKeyAlgo) && bits < 2048 {
			return nil, refuse(fixNewKey, "RSA key of %d bits (2048 at least)", bits)
		}
	}
	if good.IssuerFingerprint != nil {
		v.SigningKey = upperHex(good.IssuerFingerprint)
	} else {
		v.SigningKey = v.Fingerprint
	}
	return v, nil
}

// recertified verifies a signature made before the newest self-signature
// of its key, as gpg (and so git verify-commit) does: a key re-certified
// with SHA-256, or renewed, after it signed has no self-signature qms
// accepts as of the signature's time, and go-crypto judges keys only as of
// that time. The newest valid self-signature (and binding, for a subkey)
// still binds the same key: the key's validity at the signature's own time
// is judged from it (not expired, not revoked, allowed to sign), and the
// signature is checked over the payload directly.
func recertified(sig *packet.Signature, payload []byte, keys openpgp.EntityList) (*Verdict, error) {
	if sig.IssuerKeyId == nil || sig.Version != 4 || sig.SigType != packet.SigTypeBinary {
		return nil, errors.New("not a v4 binary signature with an issuer")
	}
	var zero time.Time
	cfg := Policy(zero)
	at := sig.CreationTime
	for _, e := range keys.EntitiesById(*sig.IssuerKeyId) {
		self, err := e.PrimarySelfSignature(zero, cfg)
		if err != nil || !self.CreationTime.After(at) {
			continue
		}
		if e.PrimaryKey.KeyExpired(self, at) {
			return nil, errors.New("the key had expired when it signed")
		}
		if e.Revoked(at) {
			return nil, errors.New("the key is revoked")
		}
		pub, flags := e.PrimaryKey, self
		if e.PrimaryKey.KeyId != *sig.IssuerKeyId {
			pub = nil
			for i := range e.Subkeys {
				sk := &e.Subkeys[i]
				if sk.PublicKey.KeyId != *sig.IssuerKeyId {
					continue
				}
				b, err := sk.LatestValidBindingSignature(zero, cfg)
				if err != nil || sk.Revoked(b, at) || sk.PublicKey.KeyExpired(b, at) {
					continue
				}
				pub, flags = sk.PublicKey, b
			}
		}
		if pub == nil || flags.FlagsValid && !flags.FlagSign || at.Before(pub.CreationTime) {
			continue
		}
		if err := CheckAlgorithm(pub); err != nil {
			return nil, err
		}
		h, err := sig.PrepareVerify()
		if err != nil {
			return nil, err
		}
		h.Write(payload)
		if err := pub.VerifySignature(h, sig); err != nil {
			return nil, err
		}
		if err := CheckAlgorithm(e.PrimaryKey); err != nil {
			return nil, err
		}
		v := &Verdict{Kind: OpenPGP, Created: at, Hash: sig.Hash.String(), Fingerprint: upperHex(e.PrimaryKey.Fingerprint), SigningKey: upperHex(pub.Fingerprint)}
		return v, nil
	}
	return nil, errors.New("no newer self-signature")
}

func isRSA(a packet.PublicKeyAlgorithm) bool {
	return a == packet.PubKeyAlgoRSA || a == packet.PubKeyAlgoRSASignOnly
}

func upperHex(b []byte) string { return strings.ToUpper(hex.EncodeToString(b)) }

// Created returns when an armored detached OpenPGP signature (one
// signature packet, nothing else) claims to have been made: the time to
// judge its key's validity at.
func Created(armored []byte) (time.Time, error) {
	sig, err := readSignature(armored)
	if err != nil {
		return time.Time{}, err
	}
	return sig.CreationTime, nil
}

// readSignature parses the single signature packet of an armored
// signature, to learn when it claims to have been made.
func readSignature(armored []byte) (*packet.Signature, error) {
	block, err := armor.Decode(bytes.NewReader(armored))
	if err != nil {
		return nil, fmt.Errorf("signature is not armored OpenPGP: %w", err)
	}
	r := packet.NewReader(block.Body)
	var sig *packet.Signature
	for {
		p, err := r.Next()
		if err != nil {
			if sig != nil && errors.Is(err, io.EOF) {
				return sig, nil
			}
			if sig == nil && errors.Is(err, io.EOF) {
				return nil, errors.New("signature holds no signature packet")
			}
			return nil, fmt.Errorf("signature: %w", err)
		}
		s, ok := p.(*packet.Signature)
		if !ok {
			return nil, fmt.Errorf("signature holds a %T, not only a signature", p)
		}
		if sig != nil {
			return nil, fmt.Errorf("%w: more than one signature packet", ErrPolicy)
		}
		sig = s
	}
}

// describe turns go-crypto's errors into what a reviewer reads.
func describe(err error) error {
	var weak pgperrors.WeakAlgorithmError
	switch {
	case errors.Is(err, pgperrors.ErrUnknownIssuer):
		return fmt.Errorf("signed by a key that is %w", ErrUnknownKey)
	case errors.Is(err, pgperrors.ErrKeyRevoked):
		return fmt.Errorf("signed with a key that is %w", ErrRevoked)
	case errors.As(err, &weak):
		return &PolicyError{Reason: string(weak), Fix: fixNewKey}
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "signature made by unknown entity"), strings.Contains(msg, "unknown issuer"):
		return fmt.Errorf("signed by a key that is %w", ErrUnknownKey)
	case strings.Contains(msg, "insecure"), strings.Contains(msg, "rejected"):
		return &PolicyError{Reason: strings.TrimPrefix(msg, "openpgp: "), Fix: fixNewKey}
	}
	return err
}

// VerifySSH checks an armored SSHSIG signature over payload in the "git"
// namespace, made by one of keys, under the same policy as OpenPGP: no DSA
// key, no RSA key under 2048 bits, no SHA-1 RSA signature, only the SHA-256
// and SHA-512 message digests.
func VerifySSH(payload, armored []byte, keys []ssh.PublicKey) (*Verdict, error) {
	sig, err := sshsig.Unarmor(armored)
	if err != nil {
		return nil, fmt.Errorf("signature is not an SSH signature: %w", err)
	}
	if sig.Namespace != Namespace {
		return nil, refuse("sign commits through git (gpg.format=ssh), which signs in the git namespace", "SSH signature in namespace %q, not %q", sig.Namespace, Namespace)
	}
	if err := CheckSSHKey(sig.PublicKey); err != nil {
		return nil, err
	}
	if err := sig.HashAlgorithm.Supported(); err != nil {
		return nil, refuse("sign with OpenSSH's ssh-keygen -Y sign (SHA-512)", "SSH signature digest %q", sig.HashAlgorithm)
	}
	if sig.Signature != nil {
		switch sig.Signature.Format {
		case ssh.KeyAlgoRSA: // "ssh-rsa" signatures hash with SHA-1
			return nil, refuse("sign with OpenSSH 8.2 or later, which makes rsa-sha2-512 signatures", "SSH RSA signature with SHA-1 (ssh-rsa)")
		case ssh.KeyAlgoDSA:
			return nil, refuse(fixNewKey, "SSH DSA signature")
		}
	}
	fp := ssh.FingerprintSHA256(sig.PublicKey)
	for _, k := range keys {
		if ssh.FingerprintSHA256(k) != fp {
			continue
		}
		if err := sshsig.Verify(bytes.NewReader(payload), sig, k, sig.HashAlgorithm, Namespace); err != nil {
			return nil, fmt.Errorf("bad SSH signature by %s: %w", fp, err)
		}
		return &Verdict{Kind: SSH, Fingerprint: fp, SigningKey: fp, Hash: sig.HashAlgorithm.String()}, nil
	}
	return nil, fmt.Errorf("signed by SSH key %s, which is %w", fp, ErrUnknownKey)
}

// CheckSSHKey refuses the SSH keys qms does not accept: DSA (ssh-dss), RSA
// under 2048 bits, certificates (qms trusts keys, not certificate
// authorities).
func CheckSSHKey(pub ssh.PublicKey) error {
	switch pub.Type() {
	case ssh.KeyAlgoDSA:
		return refuse(fixNewKey, "DSA key (ssh-dss)")
	case ssh.KeyAlgoRSA:
		ck, ok := pub.(ssh.CryptoPublicKey)
		if !ok {
			return refuse(fixNewKey, "RSA key of unknown size")
		}
		rk, ok := ck.CryptoPublicKey().(*rsa.PublicKey)
		if !ok {
			return refuse(fixNewKey, "RSA key of unknown size")
		}
		if bits := rk.N.BitLen(); bits < 2048 {
			return refuse(fixNewKey, "RSA key of %d bits (2048 at least)", bits)
		}
	case ssh.KeyAlgoED25519, ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521,
		ssh.KeyAlgoSKED25519, ssh.KeyAlgoSKECDSA256:
	default:
		return refuse("list a plain public key (ssh-ed25519 ...) in keys/", "SSH key type %s", pub.Type())
	}
	return nil
}

// CheckOpenPGPKey refuses the OpenPGP keys qms does not accept, judged at
// t: a primary or signing key that is DSA, ElGamal or RSA under 2048 bits,
// and a key whose self-signatures are valid only when SHA-1 is allowed
// (common on keys made before about 2020), which is refused with how to
// re-certify it. It also says when the key has no subkey or primary key
// that can sign at t (expired, revoked).
func CheckOpenPGPKey(e *openpgp.Entity, t time.Time) error {
	cfg := Policy(t)
	if err := CheckAlgorithm(e.PrimaryKey); err != nil {
		return err
	}
	if sha1Only(e) {
		return refuse(fixSHA1, "the key's self-signatures use SHA-1 only")
	}
	if _, err := e.VerifyPrimaryKey(t, cfg); err != nil {
		return fmt.Errorf("the key is not valid on %s: %w", t.UTC().Format(time.DateOnly), err)
	}
	for _, sk := range e.Subkeys {
		if err := CheckAlgorithm(sk.PublicKey); err != nil && sk.PublicKey.PubKeyAlgo.CanSign() {
			return err
		}
	}
	if _, ok := e.SigningKey(t, cfg); !ok {
		return fmt.Errorf("the key has no key that can sign on %s (expired or revoked?)", t.UTC().Format(time.DateOnly))
	}
	return nil
}

// sha1Only reports whether every self-signature of a key's user ids, or
// every binding signature of each of its signing subkeys, uses SHA-1.
// It inspects the packets without verifying anything, so that no verdict
// made under a laxer configuration is remembered in the key (go-crypto
// caches each signature's validity in the key itself).
func sha1Only(e *openpgp.Entity) bool {
	ids := 0
	for _, id := range e.Identities {
		for _, s := range id.SelfCertifications {
			ids++
			if s.Packet.Hash != crypto.SHA1 {
				return false
			}
		}
	}
	if ids > 0 {
		return true
	}
	return false
}

// Warm verifies, once and under qms's policy with no time, every self-
// signature, binding and revocation of a key: go-crypto remembers each
// signature's validity inside the key the first time it checks it (under
// that call's time and configuration), which made verdicts depend on
// which check came first and raced when signatures are verified on
// several goroutines. After Warm the key is only read.
func Warm(e *openpgp.Entity) {
	var zero time.Time
	cfg := Policy(zero)
	for _, id := range e.Identities {
		_, _ = id.Verify(zero, cfg)
		_ = id.Revoked(nil, zero, cfg)
	}
	_ = e.Revoked(zero)
	_, _ = e.LatestValidDirectSignature(zero, cfg)
	for i := range e.Subkeys {
		_, _ = e.Subkeys[i].LatestValidBindingSignature(zero, cfg)
		_ = e.Subkeys[i].Revoked(nil, zero)
	}
}

// CheckAlgorithm refuses OpenPGP keys by algorithm alone: DSA, ElGamal,
// RSA under 2048 bits.
func CheckAlgorithm(k *packet.PublicKey) error {
	switch k.PubKeyAlgo {
	case packet.PubKeyAlgoDSA, packet.PubKeyAlgoElGamal:
		return refuse(fixNewKey, "DSA and ElGamal keys are not accepted")
	}
	if isRSA(k.PubKeyAlgo) {
		if bits, err := k.BitLength(); err != nil || bits < 2048 {
			return refuse(fixNewKey, "RSA key of %d bits (2048 at least)", bits)
		}
	}
	return nil
}

// Issuer names the key a signature claims to be made by, without checking
// it: the OpenPGP issuer fingerprint (or key id, "0x..."), or the SSH key's
// fingerprint; empty when the signature cannot be read. Failures use it to
// say who signed a commit that no policy accepts.
func Issuer(s *Signed) string {
	switch s.Kind {
	case OpenPGP:
		sig, err := readSignature(s.Signature)
		if err != nil {
			return ""
		}
		if sig.IssuerFingerprint != nil {
			return upperHex(sig.IssuerFingerprint)
		}
		if sig.IssuerKeyId != nil {
			return fmt.Sprintf("0x%016X", *sig.IssuerKeyId)
		}
	case SSH:
		if sig, err := sshsig.Unarmor(s.Signature); err == nil {
			return ssh.FingerprintSHA256(sig.PublicKey)
		}
	}
	return ""
}
