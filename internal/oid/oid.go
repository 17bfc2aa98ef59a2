package oid

import (
	"encoding/hex"
	"fmt"
)

// ID is a SHA-1 Git object id. The zero ID names no object.
type ID [20]byte

// String is the id in hexadecimal, as git prints it.
func (id ID) String() string { return hex.EncodeToString(id[:]) }

// Short is the id's first seven hexadecimal digits.
func (id ID) Short() string { return id.String()[:7] }

// IsZero reports whether id is the all-zero id (no object).
func (id ID) IsZero() bool { return id == ID{} }

// MarshalText writes the id in hexadecimal, and the zero id as "".
func (id ID) MarshalText() ([]byte, error) {
	if id.IsZero() {
		return []byte{}, nil
	}
	return []byte(id.String()), nil
}

// UnmarshalText reads what MarshalText writes.
func (id *ID) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*id = ID{}
		return nil
	}
	p, err := Parse(string(b))
	if err != nil {
		return err
	}
	*id = p
	return nil
}

// Parse reads a 40-digit hexadecimal object id.
func Parse(s string) (ID, error) {
	var id ID
	if len(s) != 40 {
		return id, fmt.Errorf("object id %q is not 40 hexadecimal digits", s)
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return id, fmt.Errorf("object id %q is not hexadecimal", s)
	}
	return id, nil
}
