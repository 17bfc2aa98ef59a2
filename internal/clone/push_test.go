package clone

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/qms-tool/qms/internal/oid"
)

const zero = "0000000000000000000000000000000000000000"

func TestParsePush(t *testing.T) {
	a, b := mustID(idA), mustID(idB)
	for _, tc := range []struct {
		name, in string
		want     []PushRef
		err      string
	}{
		{"nothing pushed", "", nil, ""},
		{"update", "refs/heads/main " + idA + " refs/heads/main " + idB + "\n",
			[]PushRef{{LocalRef: "refs/heads/main", Local: a, RemoteRef: "refs/heads/main", Remote: b}}, ""},
		{"create and delete, CRLF, no final newline",
			"refs/tags/v1 " + idA + " refs/tags/v1 " + zero + "\r\n(delete) " + zero + " refs/heads/old " + idB,
			[]PushRef{{LocalRef: "refs/tags/v1", Local: a, RemoteRef: "refs/tags/v1"}, {LocalRef: "(delete)", RemoteRef: "refs/heads/old", Remote: b}}, ""},
		{"HEAD pushed to a branch", "HEAD " + idA + " refs/heads/x " + zero + "\n",
			[]PushRef{{LocalRef: "HEAD", Local: a, RemoteRef: "refs/heads/x"}}, ""},
		{"three fields", "refs/heads/main " + idA + " refs/heads/main\n", nil, "line 1"},
		{"bad id", "\nrefs/heads/main " + idA + " refs/heads/main 12345\n", nil, "line 2"},
		{"short remote ref", "refs/heads/main " + idA + " main " + idB + "\n", nil, "not a full ref name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParsePush([]byte(tc.in))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("ParsePush(%q) error = %v, want one with %q", tc.in, err, tc.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("ParsePush(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
			}
		})
	}
}

// FuzzParsePush: the hook's input comes from git, but a user can pipe
// anything into 'qms clone check --pushing'.
func FuzzParsePush(f *testing.F) {
	f.Add([]byte("refs/heads/main " + idA + " refs/heads/main " + zero + "\n"))
	f.Add([]byte("(delete) " + zero + " refs/tags/v1 " + idB + "\r\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		refs, err := ParsePush(b)
		if err != nil {
			return
		}
		for _, r := range refs {
			if r.LocalRef == "" || !strings.HasPrefix(r.RemoteRef, "refs/") {
				t.Fatalf("ParsePush kept %+v", r)
			}
		}
	})
}

// pushGraph answers Count from a table and Unique by the tip alone.
type pushGraph struct {
	count  map[[2]oid.ID][2]int
	unique map[oid.ID]int
}

func (g pushGraph) Count(a, b oid.ID) (int, int, oid.ID, error) {
	r, ok := g.count[[2]oid.ID{a, b}]
	if !ok {
		return 0, 0, oid.ID{}, errors.New("no such commits")
	}
	return r[0], r[1], oid.ID{}, nil
}

func (g pushGraph) Unique(tip oid.ID, others []oid.ID) (int, error) {
	n, ok := g.unique[tip]
	if !ok {
		return 0, errors.New("no such commit")
	}
	return n, nil
}

func TestComparePush(t *testing.T) {
	a, b, c, gone := mustID(idA), mustID(idB), mustID("3333333333333333333333333333333333333333"), mustID("4444444444444444444444444444444444444444")
	has := map[oid.ID]bool{a: true, b: true, c: true}
	g := pushGraph{count: map[[2]oid.ID][2]int{{a, b}: {2, 0}, {b, a}: {0, 2}, {a, c}: {1, 3}}, unique: map[oid.ID]int{a: 2, b: 0, c: 1}}
	there := Refs{"refs/heads/main": b, "refs/heads/merged": b, "refs/heads/topic": c, "refs/tags/v1": b, "refs/heads/theirs": gone}
	br := func(n string) string { return "refs/heads/" + n }
	for _, tc := range []struct {
		name    string
		push    PushRef
		want    RefState
		finding string // the rule of the finding, "" for none
	}{
		{"fast-forward", PushRef{RemoteRef: br("main"), Local: a, Remote: b},
			RefState{Ref: br("main"), Local: a, Remote: b, State: Ahead, Ahead: 2}, ""},
		{"new branch", PushRef{RemoteRef: br("new"), Local: a},
			RefState{Ref: br("new"), Local: a, State: Extra, Ahead: 2}, ""},
		{"new tag", PushRef{RemoteRef: "refs/tags/v2", Local: a},
			RefState{Ref: "refs/tags/v2", Local: a, State: Extra}, ""},
		{"forced, diverged", PushRef{RemoteRef: br("topic"), Local: a, Remote: c},
			RefState{Ref: br("topic"), Local: a, Remote: c, State: Diverged, Ahead: 1, Behind: 3}, RuleDiverged},
		{"forced, back", PushRef{RemoteRef: br("main"), Local: b, Remote: a},
			RefState{Ref: br("main"), Local: b, Remote: a, State: Behind, Behind: 2}, RuleBehind},
		{"forced over a commit the clone lacks", PushRef{RemoteRef: br("theirs"), Local: a, Remote: gone},
			RefState{Ref: br("theirs"), Local: a, Remote: gone, State: Unknown, Note: "the remote's 4444444 is not in this clone"}, RuleUnknown},
		{"tag moved", PushRef{RemoteRef: "refs/tags/v1", Local: a, Remote: b},
			RefState{Ref: "refs/tags/v1", Local: a, Remote: b, State: Moved}, RuleTagMoved},
		{"tag deleted", PushRef{RemoteRef: "refs/tags/v1", Remote: b},
			RefState{Ref: "refs/tags/v1", Remote: b, State: Deleted}, RuleDelete},
		{"merged branch deleted", PushRef{RemoteRef: br("merged"), Remote: b},
			RefState{Ref: br("merged"), Remote: b, State: Deleted}, ""},
		{"unmerged branch deleted, with a branch there not fetched", PushRef{RemoteRef: br("topic"), Remote: c},
			RefState{Ref: br("topic"), Remote: c, State: Unknown, Note: "the remote has commits this clone has not fetched, which may hold the branch's"}, RuleUnknown},
		{"deleting what the clone lacks", PushRef{RemoteRef: br("theirs"), Remote: gone},
			RefState{Ref: br("theirs"), Remote: gone, State: Unknown, Note: "the remote's 4444444 is not in this clone"}, RuleUnknown},
		{"no ancestry", PushRef{RemoteRef: br("main"), Local: c, Remote: b},
			RefState{Ref: br("main"), Local: c, Remote: b, State: Unknown, Note: "no such commits"}, RuleUnknown},
		{"unchanged", PushRef{RemoteRef: br("main"), Local: b, Remote: b},
			RefState{Ref: br("main"), Local: b, Remote: b, State: InSync}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := comparePush([]PushRef{tc.push}, there, has, g)
			if len(got) != 1 || !reflect.DeepEqual(got[0], tc.want) {
				t.Fatalf("comparePush(%+v) = %+v, want %+v", tc.push, got, tc.want)
			}
			rep := &Report{Remote: "origin", Refs: got, pushing: true}
			var rules []string
			for _, f := range rep.Findings(".") {
				rules = append(rules, f.Rule)
				if f.Hint == "" {
					t.Errorf("finding %v has no hint", f)
				}
			}
			if strings.Join(rules, ",") != tc.finding {
				t.Errorf("findings = %v, want %q", rules, tc.finding)
			}
		})
	}
	// Deleting topic while the remote has a branch the clone has not
	// fetched: that branch may hold topic's commit.
	delete(there, "refs/heads/theirs")
	got := comparePush([]PushRef{{RemoteRef: br("topic"), Remote: c}}, there, has, g)
	if len(got) != 1 || got[0].State != Deleted || got[0].Behind != 1 {
		t.Errorf("deleting topic, everything fetched = %+v, want deleted with 1 commit", got)
	}
	if fs := (&Report{Remote: "origin", Refs: got, pushing: true}).Findings("."); len(fs) != 1 || fs[0].Rule != RuleDelete {
		t.Errorf("findings of deleting topic = %v, want %s", fs, RuleDelete)
	}
	there["refs/heads/unfetched"] = gone
	if got := comparePush([]PushRef{{RemoteRef: br("topic"), Remote: c}}, there, has, g); len(got) != 1 || got[0].State != Unknown {
		t.Errorf("deleting topic, a branch not fetched = %+v, want unknown", got)
	}
	if got := comparePush([]PushRef{{RemoteRef: br("merged"), Remote: b}}, there, has, g); len(got) != 1 || got[0].State != Deleted {
		t.Errorf("deleting merged, a branch not fetched = %+v, want deleted: its commits are on main", got)
	}
	if got := comparePush([]PushRef{{RemoteRef: br("none")}}, there, has, g); len(got) != 0 {
		t.Errorf("deleting a ref the remote does not have = %+v, want nothing", got)
	}
}
