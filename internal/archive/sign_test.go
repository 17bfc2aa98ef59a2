package archive_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"

	"github.com/qms-tool/qms/internal/archive"
)

// newKey makes an armored Ed25519 secret key, passphrase-protected when
// pass is set.
func newKey(t *testing.T, name, pass string) []byte {
	t.Helper()
	e, err := openpgp.NewEntity(name, "", name+"@silvretta.example", &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA})
	if err != nil {
		t.Fatal(err)
	}
	if pass != "" {
		if err := e.EncryptPrivateKeys([]byte(pass), nil); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	w, _ := armor.Encode(&b, openpgp.PrivateKeyType, nil)
	if err := e.SerializePrivateWithoutSigning(w, nil); err != nil {
		t.Fatal(err)
	}
	w.Close()
	return b.Bytes()
}

func TestSignVerify(t *testing.T) {
	key, other := newKey(t, "archive", ""), newKey(t, "other", "")
	pub, fpr, err := archive.PublicKey(key)
	if err != nil || len(fpr) != 40 || !bytes.Contains(pub, []byte("PUBLIC KEY")) {
		t.Fatalf("PublicKey = %q, %q, %v", pub, fpr, err)
	}
	otherPub, _, _ := archive.PublicKey(other)
	data := "the archive's bytes"
	sig, err := archive.Sign(key, strings.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := archive.VerifySigner(pub, strings.NewReader(data), sig); err != nil || got != fpr {
		t.Errorf("VerifySigner = %q, %v; want %s", got, err, fpr)
	}
	for _, tc := range []struct {
		name      string
		pub       []byte
		data      string
		sig       []byte
		wantBadSi bool
	}{
		{"changed data", pub, data + ".", sig, true},
		{"another key", otherPub, data, sig, true},
		{"not a signature", pub, data, []byte("nonsense"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := archive.VerifySignature(tc.pub, strings.NewReader(tc.data), tc.sig)
			if err == nil || tc.wantBadSi && !errors.Is(err, archive.ErrBadSignature) {
				t.Errorf("VerifySignature = %v, want a failure (ErrBadSignature: %v)", err, tc.wantBadSi)
			}
		})
	}
	for _, tc := range []struct{ name, key, want string }{
		{"passphrase", string(newKey(t, "locked", "secret")), "passphrase"},
		{"public key", string(pub), "no private key"},
		{"garbage", "not a key", "not an armored OpenPGP key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := archive.Sign([]byte(tc.key), strings.NewReader(data)); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Sign with %s = %v, want %q", tc.name, err, tc.want)
			}
		})
	}
}
