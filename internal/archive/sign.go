package archive

import (
	"bytes"
	"crypto"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"

	"github.com/qms-tool/qms/internal/signature"
)

// ErrBadSignature is wrapped by VerifySignature's error when the signature
// does not match the data or was not made by one of the keys.
var ErrBadSignature = errors.New("bad signature")

// signer is a loaded signing key.
type signer struct {
	entity *openpgp.Entity
	// public is the armored public key, for keys/.
	public []byte
	// fingerprint is the primary key's, upper-case hex.
	fingerprint string
}

// loadSigner reads the first private key of an armored key ring.
func loadSigner(key []byte) (*signer, error) {
	list, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(key))
	if err != nil {
		return nil, fmt.Errorf("signing key is not an armored OpenPGP key: %w", err)
	}
	for _, e := range list {
		if e.PrivateKey == nil {
			continue
		}
		if e.PrivateKey.Encrypted {
			return nil, errors.New("signing key is protected by a passphrase: export a key without one for the archive (gpg --export-secret-keys after 'passwd' to an empty passphrase, kept offline)")
		}
		for _, sub := range e.Subkeys {
			if sub.PrivateKey != nil && sub.PrivateKey.Encrypted {
				return nil, errors.New("signing subkey is protected by a passphrase: export a key without one for the archive")
			}
		}
		var pub bytes.Buffer
		aw, err := armor.Encode(&pub, openpgp.PublicKeyType, nil)
		if err != nil {
			return nil, err
		}
		if err := e.Serialize(aw); err != nil {
			return nil, fmt.Errorf("signing key: %w", err)
		}
		if err := aw.Close(); err != nil {
			return nil, err
		}
		pub.WriteString("\n")
		return &signer{entity: e, public: pub.Bytes(), fingerprint: fmt.Sprintf("%X", e.PrimaryKey.Fingerprint)}, nil
	}
	return nil, errors.New("signing key file holds no private key (it looks like a public key)")
}

func signConfig(now time.Time) *packet.Config {
	return &packet.Config{DefaultHash: crypto.SHA256, Time: func() time.Time { return now }}
}

// signWriter returns a writer that hashes what is written to it and, on
// Close, puts the armored detached signature into out.
func (s *signer) signWriter(out *bytes.Buffer, now time.Time) (io.WriteCloser, error) {
	aw, err := armor.Encode(out, openpgp.SignatureType, nil)
	if err != nil {
		return nil, err
	}
	sw, err := openpgp.DetachSignWriter(aw, []*openpgp.Entity{s.entity}, &openpgp.SignParams{Config: signConfig(now)})
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	return closeBoth{sw, aw, out}, nil
}

type closeBoth struct {
	io.WriteCloser
	armor io.WriteCloser
	out   *bytes.Buffer
}

func (c closeBoth) Close() error {
	if err := c.WriteCloser.Close(); err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	if err := c.armor.Close(); err != nil {
		return err
	}
	c.out.WriteString("\n")
	return nil
}

// Sign makes a detached armored OpenPGP signature of r's content with the
// armored private key, as gpg --detach-sign --armor would.
func Sign(key []byte, r io.Reader) ([]byte, error) {
	s, err := loadSigner(key)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	w, err := s.signWriter(&out, time.Now())
	if err != nil {
		return nil, err
	}
	if _, err := io.Copy(w, r); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// PublicKey returns the armored public half of an armored private key and
// its primary fingerprint (upper-case hex): what Build puts into keys/.
func PublicKey(key []byte) (armored []byte, fingerprint string, err error) {
	s, err := loadSigner(key)
	if err != nil {
		return nil, "", err
	}
	return s.public, s.fingerprint, nil
}

// VerifySignature checks the detached armored signature sig over data
// against the armored public keys in pub. Key validity is judged at the
// time the signature says it was made, so an archive signed with a key
// that has since expired still verifies. Errors for a signature that does
// not match wrap ErrBadSignature.
func VerifySignature(pub []byte, data io.Reader, sig []byte) error {
	_, err := VerifySigner(pub, data, sig)
	return err
}

// VerifySigner is VerifySignature that also returns the signing primary
// key's fingerprint (upper-case hex).
func VerifySigner(pub []byte, data io.Reader, sig []byte) (string, error) {
	keys, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(pub))
	if err != nil {
		return "", fmt.Errorf("public key: %w", err)
	}
	created, err := signature.Created(sig)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrBadSignature, err)
	}
	block, err := armor.Decode(bytes.NewReader(sig))
	if err != nil {
		return "", fmt.Errorf("signature is not armored OpenPGP: %w", err)
	}
	cfg := signature.Policy(created)
	src := &errReader{r: data}
	_, e, err := openpgp.VerifyDetachedSignature(keys, src, block.Body, cfg)
	if src.err != nil {
		return "", src.err // reading the data failed: not the signature's fault
	}
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrBadSignature, err)
	}
	if e == nil || e.PrimaryKey == nil {
		return "", ErrBadSignature
	}
	return fmt.Sprintf("%X", e.PrimaryKey.Fingerprint), nil
}

// ErrKeyInRepository is returned by ReadSignKey for a key file inside the
// repository: a private key committed by mistake would be archived, and
// kept, for ten years.
var ErrKeyInRepository = errors.New("the signing key is inside the repository")

// ReadSignKey reads the armored OpenPGP private key at p that is to sign
// archives of the repository whose work tree is repoRoot, following
// symbolic links. Its errors are an *fs.PathError for a file it cannot
// read, ErrKeyInRepository, or else PublicKey's for a key that cannot sign.
func ReadSignKey(p, repoRoot string) ([]byte, error) {
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return nil, err
	}
	if root, err := filepath.EvalSymlinks(repoRoot); err == nil {
		if rel, err := filepath.Rel(root, real); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return nil, ErrKeyInRepository
		}
	}
	b, err := os.ReadFile(real)
	if err != nil {
		return nil, err
	}
	if _, _, err := PublicKey(b); err != nil {
		return nil, err
	}
	return b, nil
}
