package draft

import (
	"cmp"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/records"
	"github.com/qms-tool/qms/internal/schema"
	"github.com/qms-tool/qms/internal/vcs"
)

// example is the embedded example QMS as a repository to compose in.
func example(t *testing.T) (*Repo, *schema.Set) {
	t.Helper()
	m := fstest.MapFS{}
	err := fs.WalkDir(qms.Example, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(qms.Example, p)
		m[p] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	kinds, fs_ := schema.Load(qms.Defaults, m)
	if len(fs_) > 0 {
		t.Fatal(fs_)
	}
	paths, _, err := records.List(kinds, m)
	if err != nil {
		t.Fatal(err)
	}
	es, err := records.Load(m, kinds, paths, records.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	return &Repo{FS: m, Paths: paths, Index: records.NewIndex(es), Now: now}, kinds
}

func TestDraft(t *testing.T) {
	for _, tc := range []struct {
		name string
		kind string
		req  Request
		id   string
		has  []string // lines the draft must hold
	}{
		{name: "next incident", kind: "incident", req: Request{Title: "VPN down", Level: "minimal"}, id: "INC-2026-0004",
			has: []string{"title: VPN down", "level: minimal"}},
		{name: "author from the email", kind: "incident", req: Request{Email: "Lucia.Rossi@example.com"}, id: "INC-2026-0004",
			has: []string{"reported_by: lrossi"}},
		{name: "a test run follows the previous one", kind: "test", req: Request{Sets: []Set{{[]string{"test"}, "T01"}}}, id: "TST-2026-0003",
			has: []string{"previous: TST-2026-0001", "plan: GP-100-r4"}},
		{name: "a plan revision supersedes the current one", kind: "plan", req: Request{Sets: []Set{{[]string{"document"}, "GP-100"}}}, id: "GP-100-r5",
			has: []string{"revision: 5", "supersedes: GP-100-r4", "effective: 2026-11-23", "next_review: 2027-11-23"}},
		{name: "given id", kind: "staff", req: Request{ID: "jdoe"}, id: "jdoe"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			repo, kinds := example(t)
			tc.req.Kind = kinds.Kinds[tc.kind]
			mk, err := repo.Start(tc.req)
			if err != nil {
				t.Fatal(err)
			}
			d, err := mk.Draft()
			if err != nil {
				t.Fatal(err)
			}
			if d.ID != tc.id || d.Path != tc.req.Kind.Folder+"/"+tc.id+".md" {
				t.Errorf("Draft() = %s at %s, want %s", d.ID, d.Path, tc.id)
			}
			for _, want := range tc.has {
				if !strings.Contains(string(d.Content), "\n"+want+"\n") {
					t.Errorf("draft lacks %q:\n%s", want, d.Content)
				}
			}
		})
	}
}

func TestRetry(t *testing.T) {
	repo, kinds := example(t)
	mk, err := repo.Start(Request{Kind: kinds.Kinds["supplier"]})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"SUP-0004", "SUP-0005"} {
		d, err := mk.Draft()
		if err != nil || d.ID != want {
			t.Fatalf("Draft() = %v, %v; want %s", d, err, want)
		}
		if !mk.Retry() {
			t.Fatalf("Retry() = false after %s", want)
		}
	}
	n := 2
	for mk.Retry() {
		n++
	}
	if n != maxTries {
		t.Errorf("Retry() stepped over %d ids, want %d", n, maxTries)
	}
	given, _ := repo.Start(Request{Kind: kinds.Kinds["staff"], ID: "jdoe"})
	if given.Retry() {
		t.Errorf("Retry() = true for a given id")
	}
}

func TestDraftErrors(t *testing.T) {
	repo, kinds := example(t)
	for _, tc := range []struct {
		name string
		req  Request
		want any
	}{
		{"named by people", Request{Kind: kinds.Kinds["staff"]}, new(*NamedByPeopleError)},
		{"unusable id", Request{Kind: kinds.Kinds["staff"], ID: "../x"}, new(*IDError)},
		{"name field missing", Request{Kind: kinds.Kinds["plan"], Sets: []Set{{[]string{"document"}, "GP-200"}, {[]string{"revision"}, ""}}}, new(*NameFieldError)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mk, err := repo.Start(tc.req)
			if err == nil {
				_, err = mk.Draft()
			}
			if err == nil || !errors.As(err, tc.want) {
				t.Errorf("Draft() error = %v, want %T", err, tc.want)
			}
		})
	}
}

// branches is a repository's branches for Start: tips and the file names
// of records/incidents at each commit.
type branches struct {
	tips  []vcs.Tip
	files map[string][]string // commit (and its folder's tree) -> names
	err   error               // of listing the branches
	dir   string              // the folder asked for, if not records/incidents
}

func (b branches) Branches() ([]vcs.Tip, error) { return b.tips, b.err }

// Folder names a commit's folder by the commit: the tests' trees are
// the commits' file lists.
func (b branches) Folder(commit, dir string) (string, error) {
	if want := cmp.Or(b.dir, "records/incidents"); dir != want {
		return "", nil
	}
	if _, ok := b.files[commit]; !ok {
		return "", errors.New("object not found")
	}
	return commit, nil
}

func (b branches) EachFile(tree string, fn func([]byte)) error {
	for _, name := range b.files[tree] {
		fn([]byte(name))
	}
	return nil
}

type staged []string

func (s staged) Paths(dir string) ([]string, error) {
	var out []string
	for _, p := range s {
		if strings.HasPrefix(p, dir+"/") {
			out = append(out, p)
		}
	}
	return out, nil
}

func TestDraftAcrossBranches(t *testing.T) {
	// The example has INC-2026-0001 to 0003; the working tree's next is 0004.
	tip := func(ref, commit string) vcs.Tip {
		name := strings.TrimPrefix(strings.TrimPrefix(ref, "refs/heads/"), "refs/remotes/")
		return vcs.Tip{Ref: ref, Name: name, Commit: commit}
	}
	main := []string{"INC-2026-0001.md", "INC-2026-0002.md", "INC-2026-0003.md"}
	with := func(names ...string) []string { return append(append([]string{}, main...), names...) }
	for _, tc := range []struct {
		name    string
		git     Branches
		staged  staged
		prefix  string // of the QMS in the Git working tree
		id      string
		skipped string // Taken values, as "ID:branch,branch[+staged]"
		unread  string
	}{
		{name: "outside git", id: "INC-2026-0004"},
		{name: "no commits", git: branches{}, id: "INC-2026-0004"},
		{name: "branches at the working tree's ids", git: branches{
			tips:  []vcs.Tip{tip("refs/heads/main", "c1"), tip("refs/remotes/origin/main", "c1")},
			files: map[string][]string{"c1": main}}, id: "INC-2026-0004"},
		{name: "taken on a local branch", git: branches{
			tips:  []vcs.Tip{tip("refs/heads/feature-x", "c2"), tip("refs/heads/main", "c1")},
			files: map[string][]string{"c1": main, "c2": with("INC-2026-0004.md")}},
			id: "INC-2026-0005", skipped: "INC-2026-0004:feature-x"},
		{name: "taken on a remote-tracking branch and a local one", git: branches{
			tips: []vcs.Tip{tip("refs/heads/feature-x", "c2"), tip("refs/heads/main", "c1"),
				tip("refs/remotes/origin/feature-x", "c2"), tip("refs/remotes/origin/feature-y", "c3")},
			files: map[string][]string{"c1": main, "c2": with("INC-2026-0004.md"), "c3": with("INC-2026-0004.md", "INC-2026-0005.md")}},
			id: "INC-2026-0006", skipped: "INC-2026-0004:feature-x,origin/feature-x,origin/feature-y INC-2026-0005:origin/feature-y"},
		{name: "no gap is filled", git: branches{
			tips:  []vcs.Tip{tip("refs/remotes/origin/old", "c2")},
			files: map[string][]string{"c2": with("INC-2026-0007.md")}},
			id: "INC-2026-0008", skipped: "INC-2026-0007:origin/old"},
		{name: "other years, kinds and names do not count", git: branches{
			tips:  []vcs.Tip{tip("refs/heads/x", "c2")},
			files: map[string][]string{"c2": with("INC-2027-0009.md", "INC-2026-0009.txt", "README.md", ".INC-2026-0010.md")}},
			id: "INC-2026-0004"},
		{name: "staged, deleted from the working tree", staged: staged{"records/incidents/INC-2026-0004.md"},
			id: "INC-2026-0005", skipped: "INC-2026-0004:+staged"},
		{name: "in a folder of the Git working tree", prefix: "qms", git: branches{dir: "qms/records/incidents",
			tips:  []vcs.Tip{tip("refs/heads/feature-x", "c2")},
			files: map[string][]string{"c2": with("INC-2026-0004.md")}},
			staged: staged{"records/incidents/INC-2026-0009.md", "qms/records/incidents/INC-2026-0005.md"},
			id:     "INC-2026-0006", skipped: "INC-2026-0004:feature-x INC-2026-0005:+staged"},
		{name: "an unreadable branch is reported", git: branches{
			tips:  []vcs.Tip{tip("refs/heads/broken", "c9"), tip("refs/heads/feature-x", "c2")},
			files: map[string][]string{"c2": with("INC-2026-0004.md")}},
			id: "INC-2026-0005", skipped: "INC-2026-0004:feature-x", unread: "branch broken: object not found"},
		{name: "branches that cannot be listed are reported", git: branches{err: errors.New("bad packed-refs")},
			id: "INC-2026-0004", unread: "the branches: bad packed-refs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			repo, kinds := example(t)
			repo.Git, repo.GitPrefix = tc.git, tc.prefix
			if tc.staged != nil {
				repo.Staged = tc.staged
			}
			mk, err := repo.Start(Request{Kind: kinds.Kinds["incident"], Level: "minimal"})
			if err != nil {
				t.Fatal(err)
			}
			d, err := mk.Draft()
			if err != nil || d.ID != tc.id {
				t.Fatalf("Draft() = %v, %v; want %s", d, err, tc.id)
			}
			var skipped, unread []string
			for _, s := range mk.Skipped {
				v := s.ID + ":" + strings.Join(s.Branches, ",")
				if s.Staged {
					v += "+staged"
				}
				skipped = append(skipped, v)
			}
			for _, u := range mk.Unread {
				unread = append(unread, u.Where+": "+u.Err.Error())
			}
			if got := strings.Join(skipped, " "); got != tc.skipped {
				t.Errorf("Skipped = %q, want %q", got, tc.skipped)
			}
			if got := strings.Join(unread, "; "); got != tc.unread {
				t.Errorf("Unread = %q, want %q", got, tc.unread)
			}
			// A retry (someone created the id a moment ago) goes on from there.
			if !mk.Retry() {
				t.Fatal("Retry() = false")
			}
			if d, _ := mk.Draft(); d == nil || d.ID <= tc.id {
				t.Errorf("Draft() after Retry = %v, want the id after %s", d, tc.id)
			}
		})
	}
}
