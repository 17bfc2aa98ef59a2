package clone

import (
	"bytes"
	"compress/zlib"
	"crypto/sha1"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/qms-tool/qms/internal/oid"
)

func mustID(s string) oid.ID {
	id, err := oid.Parse(s)
	if err != nil {
		panic(err)
	}
	return id
}

const (
	idA = "1111111111111111111111111111111111111111"
	idB = "2222222222222222222222222222222222222222"
)

func TestParseLsRemote(t *testing.T) {
	tests := []struct {
		name, in string
		want     Refs
		err      string
	}{
		{"empty", "", Refs{}, ""},
		{"refs", idA + "\tHEAD\n" + idA + "\trefs/heads/main\n" + idB + "\trefs/tags/v1\n" + idA + "\trefs/tags/v1^{}\n",
			Refs{"HEAD": mustID(idA), "refs/heads/main": mustID(idA), "refs/tags/v1": mustID(idB)}, ""},
		{"crlf", idA + "\trefs/heads/main\r\n", Refs{"refs/heads/main": mustID(idA)}, ""},
		{"no tab", idA + " refs/heads/main\n", nil, "line 1"},
		{"short id", "1234\trefs/heads/main\n", nil, "not 40"},
		{"not hex", strings.Repeat("z", 40) + "\trefs/heads/main\n", nil, "not hexadecimal"},
		{"empty name", idA + "\t\n", nil, "line 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseLsRemote([]byte(tc.in))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("ParseLsRemote(%q) error = %v, want %q", tc.in, err, tc.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("ParseLsRemote(%q) = %v, %v, want %v", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestParseStatus(t *testing.T) {
	in := "1 M. N... 100644 100644 100644 " + idA + " " + idB + " staged.md\x00" +
		"1 .M N... 100644 100644 100644 " + idA + " " + idA + " with space.md\x00" +
		"2 R. N... 100644 100644 100644 " + idA + " " + idA + " R100 new.md\x00old.md\x00" +
		"u UU N... 100644 100644 100644 100644 " + idA + " " + idA + " " + idB + " conflict.md\x00" +
		"? notes.md\x00! ignored.log\x00"
	got, err := ParseStatus([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := &Worktree{Staged: []string{"staged.md", "new.md"}, Modified: []string{"with space.md"},
		Untracked: []string{"notes.md"}, Unmerged: []string{"conflict.md"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ParseStatus = %+v, want %+v", got, want)
	}
	for _, bad := range []string{"x\x00", "1 M\x00", "?\x00"} {
		if _, err := ParseStatus([]byte(bad)); err == nil {
			t.Errorf("ParseStatus(%q) accepted", bad)
		}
	}
}

// graph is a fixed answer to ancestry questions.
type graph map[[2]oid.ID][3]int

func (g graph) Count(a, b oid.ID) (int, int, oid.ID, error) {
	r, ok := g[[2]oid.ID{a, b}]
	if !ok {
		return 0, 0, oid.ID{}, errors.New("no such commits")
	}
	var base oid.ID
	if r[2] > 0 {
		base = mustID(idB)
	}
	return r[0], r[1], base, nil
}

func (g graph) Unique(tip oid.ID, others []oid.ID) (int, error) { return 3, nil }

func TestCompare(t *testing.T) {
	a, b, c := mustID(idA), mustID(idB), mustID("3333333333333333333333333333333333333333")
	g := graph{{a, b}: {2, 0, 0}, {b, a}: {0, 2, 0}, {a, c}: {1, 4, 1}, {c, a}: {0, 0, 0}}
	tests := []struct {
		name        string
		here, there Refs
		tracking    map[string]Root
		want        RefState
	}{
		{"in sync", Refs{"refs/heads/main": a}, Refs{"refs/heads/main": a}, nil, RefState{Ref: "refs/heads/main", Local: a, Remote: a, State: InSync}},
		{"ahead", Refs{"refs/heads/main": a}, Refs{"refs/heads/main": b}, nil, RefState{Ref: "refs/heads/main", Local: a, Remote: b, State: Ahead, Ahead: 2}},
		{"behind", Refs{"refs/heads/main": b}, Refs{"refs/heads/main": a}, nil, RefState{Ref: "refs/heads/main", Local: b, Remote: a, State: Behind, Behind: 2}},
		{"diverged", Refs{"refs/heads/main": a}, Refs{"refs/heads/main": c}, nil, RefState{Ref: "refs/heads/main", Local: a, Remote: c, State: Diverged, Ahead: 1, Behind: 4, Base: b}},
		{"same history", Refs{"refs/heads/main": c}, Refs{"refs/heads/main": a}, nil, RefState{Ref: "refs/heads/main", Local: c, Remote: a, State: Unknown, Note: "different commits with the same history"}},
		{"unknown", Refs{"refs/heads/main": c}, Refs{"refs/heads/main": b}, nil, RefState{Ref: "refs/heads/main", Local: c, Remote: b, State: Unknown, Note: "no such commits"}},
		{"tag moved", Refs{"refs/tags/v1": a}, Refs{"refs/tags/v1": b}, nil, RefState{Ref: "refs/tags/v1", Local: a, Remote: b, State: Moved}},
		{"only local", Refs{"refs/heads/x": a}, Refs{}, nil, RefState{Ref: "refs/heads/x", Local: a, State: Extra, Ahead: 3}},
		{"only local tag", Refs{"refs/tags/x": a}, Refs{}, nil, RefState{Ref: "refs/tags/x", Local: a, State: Extra}},
		{"missing", Refs{}, Refs{"refs/heads/x": a}, nil, RefState{Ref: "refs/heads/x", Remote: a, State: Absent}},
		{"tracking", Refs{}, Refs{"refs/heads/x": a}, map[string]Root{"refs/heads/x": {Name: "refs/remotes/origin/x", ID: a}},
			RefState{Ref: "refs/heads/x", Local: a, Remote: a, State: InSync, Via: "refs/remotes/origin/x"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Compare(tc.here, tc.there, tc.tracking, g)
			if len(got) != 1 || !reflect.DeepEqual(got[0], tc.want) {
				t.Fatalf("Compare(%v, %v) = %+v, want %+v", tc.here, tc.there, got, tc.want)
			}
		})
	}
	// Other refs are ignored; branches come before tags.
	got := Compare(Refs{"refs/tags/a": a, "refs/heads/z": a, "refs/notes/x": a, "HEAD": a}, Refs{"refs/tags/a": a, "refs/heads/z": a}, nil, nil)
	if len(got) != 2 || got[0].Ref != "refs/heads/z" || got[1].Ref != "refs/tags/a" {
		t.Fatalf("Compare order = %+v", got)
	}
}

func TestApplyDelta(t *testing.T) {
	base := []byte("0123456789abcdef")
	tests := []struct {
		name  string
		delta []byte
		want  string
		err   bool
	}{
		{"copy and insert", []byte{16, 7, 0x91, 2, 4, 3, 'x', 'y', 'z'}, "2345xyz", false},
		{"copy 0x10000 bytes is too long", []byte{16, 1, 0x80}, "", true},
		{"wrong base size", []byte{15, 1, 1, 'x'}, "", true},
		{"short result", []byte{16, 5, 1, 'x'}, "", true},
		{"reserved op", []byte{16, 1, 0}, "", true},
		{"insert cut", []byte{16, 3, 5, 'x'}, "", true},
		{"copy beyond base", []byte{16, 4, 0x91, 14, 4}, "", true},
		{"empty", nil, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := applyDelta(base, tc.delta)
			if (err != nil) != tc.err || (err == nil && string(got) != tc.want) {
				t.Fatalf("applyDelta(%q) = %q, %v, want %q (error %v)", tc.delta, got, err, tc.want, tc.err)
			}
		})
	}
}

func TestEdges(t *testing.T) {
	commit := "tree " + idA + "\nparent " + idB + "\nauthor x <x> 1 +0000\n\nparent " + idA + " in the message\n"
	got, err := edges(objCommit, []byte(commit), nil)
	if err != nil || !reflect.DeepEqual(got, []oid.ID{mustID(idA), mustID(idB)}) {
		t.Fatalf("edges(commit) = %v, %v", got, err)
	}
	tree := append([]byte("100644 a.md\x00"), idBytes(idA)...)
	tree = append(tree, append([]byte("160000 sub\x00"), idBytes(idB)...)...)
	got, err = edges(objTree, tree, nil)
	if err != nil || !reflect.DeepEqual(got, []oid.ID{mustID(idA)}) {
		t.Fatalf("edges(tree) = %v, %v", got, err)
	}
	bad := []struct {
		name string
		typ  byte
		b    string
	}{
		{"commit without a tree", objCommit, "author x\n"},
		{"short tree id", objCommit, "tree 12\n"},
		{"tree entry cut short", objTree, "100644 a.md\x00short"},
		{"tag without an object", objTag, "type commit\n"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := edges(tc.typ, []byte(tc.b), nil); err == nil {
				t.Errorf("edges(%d, %q) accepted", tc.typ, tc.b)
			}
		})
	}
}

func idBytes(s string) []byte { id := mustID(s); return id[:] }

func TestLooseObject(t *testing.T) {
	raw := []byte("blob 5\x00hello")
	id := oid.ID(sha1.Sum(raw))
	var z bytes.Buffer
	w := zlib.NewWriter(&z)
	w.Write(raw)
	w.Close()
	if _, err := looseObject(id, z.Bytes()); err != nil {
		t.Fatalf("looseObject: %v", err)
	}
	if _, err := looseObject(mustID(idA), z.Bytes()); err == nil || !strings.Contains(err.Error(), "hashes to") {
		t.Fatalf("looseObject with the wrong id: %v", err)
	}
	b := append([]byte{}, z.Bytes()...)
	b[len(b)-1] ^= 1
	if _, err := looseObject(id, b); err == nil {
		t.Fatal("looseObject accepted a damaged stream")
	}
}

// FuzzParseLsRemote: ls-remote output comes from a remote server.
func FuzzParseLsRemote(f *testing.F) {
	f.Add([]byte(idA + "\tHEAD\n" + idB + "\trefs/tags/v1^{}\n"))
	f.Add([]byte("\t\n\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		refs, err := ParseLsRemote(b)
		if err == nil {
			for name := range refs {
				if name == "" || strings.HasSuffix(name, "^{}") {
					t.Fatalf("ref %q kept", name)
				}
			}
		}
	})
}

// FuzzParseStatus: git status output holds file names a collaborator chose.
func FuzzParseStatus(f *testing.F) {
	f.Add([]byte("1 M. N... 100644 100644 100644 " + idA + " " + idB + " a b.md\x00? c\x00"))
	f.Add([]byte("2 R. N... 100644 100644 100644 " + idA + " " + idA + " R100 new.md\x00"))
	f.Fuzz(func(t *testing.T, b []byte) { ParseStatus(b) })
}

// FuzzObject: loose object files and the deltas, commits and trees inside
// pack files are bytes from disk that may be damaged or hostile.
func FuzzObject(f *testing.F) {
	f.Add([]byte{0x78, 0x9c, 0x4b, 0xca, 0xc9, 0x4f, 0x52, 0x30, 0x65, 0xc8, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x19, 0xaa, 0x04, 0x09})
	f.Add([]byte("tree " + idA + "\nparent " + idB + "\n"))
	f.Add([]byte{16, 7, 0x91, 2, 4, 3, 'x', 'y', 'z'})
	f.Fuzz(func(t *testing.T, b []byte) {
		looseObject(oid.ID{}, b)
		applyDelta([]byte("0123456789abcdef"), b)
		for _, typ := range []byte{objCommit, objTree, objTag} {
			edges(typ, b, nil)
		}
		var z inflater
		if len(b) > 0 {
			z.inflate(b, int(b[0]))
		}
		entryHeader(b)
		ofsDelta(b)
	})
}

// FuzzPack checks damaged pack and index files: any bytes, never a panic.
// The seeds are a real pack and its index, made by git.
func FuzzPack(f *testing.F) {
	if pack, idx, ok := realPack(f); ok {
		f.Add(pack, idx, uint16(len(pack)/2))
		f.Add(pack, idx, uint16(40))
	}
	f.Fuzz(func(t *testing.T, pack, idx []byte, flip uint16) {
		if len(pack) > 0 {
			pack = append([]byte{}, pack...)
			pack[int(flip)%len(pack)] ^= 0x5a
		}
		// Reseal the index so that the mutated tables get past its checksum.
		if len(idx) >= 20 {
			idx = append([]byte{}, idx...)
			sum := sha1.Sum(idx[:len(idx)-20])
			copy(idx[len(idx)-20:], sum[:])
		}
		if ix, err := parseIndex(idx); err == nil {
			checkPack("fuzz.pack", pack, ix, 2)
		}
	})
}

// realPack makes a small repository, packs it, and returns the pack and
// its index; ok is false without git.
func realPack(tb testing.TB) (pack, idx []byte, ok bool) {
	if _, err := exec.LookPath("git"); err != nil {
		return nil, nil, false
	}
	dir := tb.TempDir()
	gitT(tb, dir, "init", "-q")
	for i := 0; i < 3; i++ {
		// A common body, so that git stores some versions as deltas.
		body := strings.Repeat("A record's text, the same in every version.\n", 40) + strings.Repeat(fmt.Sprintf("line %d\n", i), 20+i)
		os.WriteFile(filepath.Join(dir, "r.md"), []byte(body), 0o644)
		gitT(tb, dir, "add", ".")
		gitT(tb, dir, "commit", "-q", "-m", fmt.Sprint(i))
	}
	gitT(tb, dir, "repack", "-adq")
	ps, _ := filepath.Glob(filepath.Join(dir, ".git", "objects", "pack", "*.pack"))
	if len(ps) != 1 {
		return nil, nil, false
	}
	pack, _ = os.ReadFile(ps[0])
	idx, _ = os.ReadFile(strings.TrimSuffix(ps[0], ".pack") + ".idx")
	return pack, idx, true
}
