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

	"github.com/ProtonMail/go-crypto/openpgp/armor"
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

// ErrPolicy is wrapped by errors for signatures that may be genuine but
// that qms refuses: weak hashes and keys.
var ErrPolicy = errors.New("refused by policy")

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
		return nil, fmt.Errorf("%w: signature digest %s", ErrPolicy, sig.Hash)
	}
	switch sig.PubKeyAlgo {
	case packet.PubKeyAlgoDSA, packet.PubKeyAlgoElGamal:
		return nil, fmt.Errorf("%w: DSA and ElGamal keys are not accepted", ErrPolicy)
	}
	body, err := armor.Decode(bytes.NewReader(armored))
	if err != nil {
		return nil, fmt.Errorf("signature: %w", err)
	}
	good, signer, err := openpgp.VerifyDetachedSignature(keys, bytes.NewReader(payload), body.Body, Policy(sig.CreationTime))
	if err != nil {
		return nil, describe(err)
	}
	v := &Verdict{Kind: OpenPGP, Created: good.CreationTime, Hash: good.Hash.String()}
	if signer != nil && signer.PrimaryKey != nil {
		v.Fingerprint = upperHex(signer.PrimaryKey.Fingerprint)
		if bits, err := signer.PrimaryKey.BitLength(); err == nil && isRSA(signer.PrimaryKey.PubKeyAlgo) && bits < 2048 {
			return nil, fmt.Errorf("%w: RSA key of %d bits (2048 at least)", ErrPolicy, bits)
		}
	}
	if good.IssuerFingerprint != nil {
		v.SigningKey = upperHex(good.IssuerFingerprint)
	} else {
		v.SigningKey = v.Fingerprint
	}
	return v, nil
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
	msg := err.Error()
	switch {
	case strings.Contains(msg, "signature made by unknown entity"), strings.Contains(msg, "unknown issuer"):
		return fmt.Errorf("signed by a key that is not in the keyring: %w", err)
	case strings.Contains(msg, "insecure"), strings.Contains(msg, "rejected"):
		return fmt.Errorf("%w: %v", ErrPolicy, err)
	}
	return err
}

// VerifySSH checks an armored SSHSIG signature over payload in the "git"
// namespace, made by one of keys.
func VerifySSH(payload, armored []byte, keys []ssh.PublicKey) (*Verdict, error) {
	sig, err := sshsig.Unarmor(armored)
	if err != nil {
		return nil, fmt.Errorf("signature is not an SSH signature: %w", err)
	}
	if sig.Namespace != Namespace {
		return nil, fmt.Errorf("%w: SSH signature in namespace %q, not %q", ErrPolicy, sig.Namespace, Namespace)
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
	return nil, fmt.Errorf("signed by SSH key %s, which is not among the keys given", fp)
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
