package draft

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/records"
	"github.com/qms-tool/qms/internal/schema"
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
			has: []string{"previous: TST-2026-0001", "plan: GP-100-r3"}},
		{name: "a plan revision supersedes the current one", kind: "plan", req: Request{Sets: []Set{{[]string{"document"}, "GP-100"}}}, id: "GP-100-r4",
			has: []string{"revision: 4", "supersedes: GP-100-r3", "effective: 2026-11-23", "next_review: 2027-11-23"}},
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
