package oid

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	const hex = "0123456789abcdef0123456789abcdef01234567"
	tests := []struct {
		name, in string
		want     string // String() of the result, "" when Parse fails
	}{
		{"lower case", hex, hex},
		{"upper case", strings.ToUpper(hex), hex},
		{"zero", strings.Repeat("0", 40), strings.Repeat("0", 40)},
		{"short", hex[:39], ""},
		{"long", hex + "0", ""},
		{"abbreviated", hex[:7], ""},
		{"not hexadecimal", "g" + hex[1:], ""},
		{"space", " " + hex[1:], ""},
		{"empty", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id, err := Parse(tc.in)
			got := ""
			if err == nil {
				got = id.String()
			}
			if got != tc.want {
				t.Errorf("Parse(%q) = %s, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestText(t *testing.T) {
	id, _ := Parse("0123456789abcdef0123456789abcdef01234567")
	tests := []struct {
		name string
		id   ID
		want string
	}{
		{"an object", id, `"0123456789abcdef0123456789abcdef01234567"`},
		{"no object", ID{}, `""`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(tc.id)
			if err != nil || string(b) != tc.want {
				t.Fatalf("json.Marshal(%v) = %s, %v; want %s", tc.id, b, err, tc.want)
			}
			var back ID
			if err := json.Unmarshal(b, &back); err != nil || back != tc.id {
				t.Errorf("json.Unmarshal(%s) = %v, %v; want %v", b, back, err, tc.id)
			}
		})
	}
	if id.Short() != "0123456" {
		t.Errorf("Short() = %s, want 0123456", id.Short())
	}
}

func FuzzParse(f *testing.F) {
	f.Add("0123456789abcdef0123456789abcdef01234567")
	f.Add("0123456789ABCDEF0123456789abcdef0123456g")
	f.Fuzz(func(t *testing.T, s string) {
		id, err := Parse(s)
		if err != nil {
			return
		}
		if !strings.EqualFold(id.String(), s) {
			t.Errorf("Parse(%q).String() = %s", s, id)
		}
		if back, err := Parse(id.String()); err != nil || back != id {
			t.Errorf("Parse(Parse(%q).String()) = %v, %v", s, back, err)
		}
	})
}
