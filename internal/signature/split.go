package signature

import (
	"bytes"
	"errors"
	"fmt"
)

// Kind is the kind of a commit signature.
type Kind string

// Kinds of signature.
const (
	None    Kind = ""
	OpenPGP Kind = "openpgp"
	SSH     Kind = "ssh"
	X509    Kind = "x509"
)

// Errors Split returns for commits no verdict can be trusted on.
var (
	// ErrMultipleSignatures: more than one signature header; git and
	// go-git disagree on which one counts, so neither does.
	ErrMultipleSignatures = errors.New("more than one signature header")
	// ErrOtherAlgorithm: a gpgsig-sha256 header in a SHA-1 repository,
	// whose place in the signed payload tools do not agree on.
	ErrOtherAlgorithm = errors.New("a gpgsig-sha256 signature header in a SHA-1 repository")
	// ErrMalformed: not a commit object git would parse (git starts with
	// the tree header and refuses anything else).
	ErrMalformed = errors.New("malformed commit object: it must start with a tree header")
)

// Signed is a commit object split for verification.
type Signed struct {
	// Payload is what the signature covers: the raw object without the
	// signature header, byte for byte as git hands it to gpg or ssh-keygen.
	Payload []byte
	// Signature is the signature header's value with the continuation
	// spaces removed (armored), or nil for an unsigned commit.
	Signature []byte
	Kind      Kind
}

const sigHeader = "gpgsig "

// Split separates a raw commit object of a SHA-1 repository (as 'git
// cat-file commit' prints it) into payload and signature, the way git's
// parse_buffer_signed_by_header does: the "gpgsig" header and its
// continuation lines (starting with one space) are the signature; every
// other line, and everything after the first empty line, is payload.
func Split(raw []byte) (*Signed, error) {
	if !validTreeLine(raw) {
		return nil, ErrMalformed
	}
	s := &Signed{Payload: make([]byte, 0, len(raw))}
	inSig := false
	headers := 0
	for rest := raw; len(rest) > 0; {
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line = rest[:i+1]
		}
		rest = rest[len(line):]
		switch {
		case inSig && line[0] == ' ':
			s.Signature = append(s.Signature, line[1:]...)
			continue
		case bytes.HasPrefix(line, []byte(sigHeader)):
			headers++
			inSig = true
			s.Signature = append(s.Signature, line[len(sigHeader):]...)
			continue
		case bytes.HasPrefix(line, []byte("gpgsig-sha256 ")):
			return nil, ErrOtherAlgorithm
		}
		inSig = false
		s.Payload = append(s.Payload, line...)
		if line[0] == '\n' {
			s.Payload = append(s.Payload, rest...) // the message
			break
		}
	}
	if headers > 1 {
		return nil, fmt.Errorf("%w (%d)", ErrMultipleSignatures, headers)
	}
	s.Kind = kindOf(s.Signature)
	return s, nil
}

// validTreeLine reports whether raw starts with "tree <40 hex>\n".
func validTreeLine(raw []byte) bool {
	const n = len("tree ") + 40
	if len(raw) < n+1 || !bytes.HasPrefix(raw, []byte("tree ")) || raw[n] != '\n' {
		return false
	}
	for _, c := range raw[len("tree "):n] {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func kindOf(sig []byte) Kind {
	switch {
	case len(sig) == 0:
		return None
	case bytes.HasPrefix(sig, []byte("-----BEGIN PGP SIGNATURE-----")):
		return OpenPGP
	case bytes.HasPrefix(sig, []byte("-----BEGIN SSH SIGNATURE-----")):
		return SSH
	case bytes.HasPrefix(sig, []byte("-----BEGIN SIGNED MESSAGE-----")):
		return X509
	}
	return Kind("unknown")
}

// IssuerOf names the key a raw commit's signature claims to be made by, as
// Issuer does, or "" when the commit is unsigned or unreadable.
func IssuerOf(raw []byte) string {
	s, err := Split(raw)
	if err != nil {
		return ""
	}
	return Issuer(s)
}
