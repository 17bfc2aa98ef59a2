package clone

import (
	"encoding/binary"
	"strings"
	"testing"
)

// TestCheckPack damages a real pack in each way checkPack looks for and
// checks that it names the damage, and only that.
func TestCheckPack(t *testing.T) {
	pack, idx, ok := realPack(t)
	if !ok {
		t.Skip("needs git")
	}
	ix, err := parseIndex(idx)
	if err != nil {
		t.Fatal(err)
	}
	// The layout of the intact pack: a delta and its base, and the first
	// object.
	c := &packCheck{name: "p", pack: pack, ix: ix}
	c.header()
	c.layout()
	c.readEntries()
	if len(c.res.bad) != 0 {
		t.Fatalf("intact pack: %v", c.res.bad)
	}
	delta := -1
	for i, e := range c.entries {
		if e.base >= 0 {
			delta = i
			break
		}
	}
	if delta < 0 {
		t.Fatal("the test pack has no delta")
	}
	base := c.entries[c.entries[delta].base]
	first := c.entries[0]
	at := func(e packEntry) string { return ix.ids[e.idx].String() }

	tests := []struct {
		name   string
		damage func(p []byte)
		want   []string // "<id or ->: <message start>": each found, in order
	}{
		{name: "intact", damage: func([]byte) {}},
		{name: "not a pack", damage: func(p []byte) { p[0] = 'X' }, want: []string{"-: not a pack file"}},
		{name: "unknown version", damage: func(p []byte) { binary.BigEndian.PutUint32(p[4:], 4) },
			want: []string{"-: pack version 4 is not supported"}},
		{name: "object count", damage: func(p []byte) { p[11]++ }, want: []string{"-: pack holds"}},
		{name: "trailing checksum", damage: func(p []byte) { p[len(p)-1] ^= 1 },
			want: []string{"-: pack's trailing checksum differs", "-: pack checksum does not match"}},
		{name: "stored bytes", damage: func(p []byte) { p[first.end-1] ^= 1 },
			want: []string{at(first) + ": stored bytes at offset", "-: pack checksum does not match"}},
		{name: "delta base", damage: func(p []byte) { p[base.end-1] ^= 1 },
			want: []string{at(base) + ": stored bytes at offset", at(c.entries[delta]) + ": delta at offset",
				"-: pack checksum does not match"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := append([]byte{}, pack...)
			tc.damage(p)
			res := checkPack("p", p, ix, 2)
			var got []string
			for _, b := range res.bad {
				id := "-"
				if !b.ID.IsZero() {
					id = b.ID.String()
				}
				got = append(got, id+": "+b.Message)
			}
			if !matches(got, tc.want) {
				t.Errorf("checkPack found:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			if len(tc.want) == 0 && len(res.objects) != len(ix.ids) {
				t.Errorf("checkPack read %d objects, want %d", len(res.objects), len(ix.ids))
			}
		})
	}
}

// matches reports whether each of want starts a line of got, in order,
// and any other line of got repeats the message of the want before it for
// another object: a damaged delta base takes every delta built on it
// along, however many there are.
func matches(got, want []string) bool {
	message := func(s string) string { _, m, _ := strings.Cut(s, ": "); return m }
	i := 0
	for _, g := range got {
		switch {
		case i < len(want) && strings.HasPrefix(g, want[i]):
			i++
		case i > 0 && strings.HasPrefix(message(g), message(want[i-1])):
		default:
			return false
		}
	}
	return i == len(want)
}
