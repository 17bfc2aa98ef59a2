package clone

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/qms-tool/qms/internal/gitcmd"
	"github.com/qms-tool/qms/internal/oid"
)

// Options say what Check looks at.
type Options struct {
	// Remote is the remote to compare with (default origin).
	Remote string
	// RefsOnly skips reading and hashing the objects.
	RefsOnly bool
	// Workers hash objects in parallel (<= 0: one per CPU).
	Workers int
	// Timeout bounds each network operation (zero: 60 s).
	Timeout time.Duration
	// Pushing compares, instead of every branch and tag, only the refs a
	// push is about to set on Remote (Push, as git gives them to the
	// pre-push hook), each as the push would change it. The objects and
	// the working tree are checked as always.
	Pushing bool
	Push    []PushRef
}

// defaultTimeout is Options.Timeout when none is given.
const defaultTimeout = 60 * time.Second

// Report is everything Check found about one clone.
type Report struct {
	Dir    string     `json:"dir"`
	Remote string     `json:"remote"`
	URL    string     `json:"url"`
	Refs   []RefState `json:"refs"`
	// Objects is nil when the objects were not checked.
	Objects *Integrity `json:"objects"`
	// Worktree is nil for a bare repository.
	Worktree *Worktree `json:"worktree"`
	// Unreachable says why the remote could not be read, if it could not.
	Unreachable string `json:"unreachable,omitempty"`

	repo *Repo
	// remote refs as read, for comparing mirrors.
	remoteRefs Refs
	// pushing: Refs are the refs being pushed.
	pushing bool
}

// Pushing reports whether Refs are the refs of a push (Options.Pushing).
func (r *Report) Pushing() bool { return r.pushing }

// Check compares a clone with its remote, verifies its objects and reports
// its uncommitted work, changing nothing in it. A remote that cannot be
// read is reported in Unreachable (and as a *RemoteError); the rest of the
// report is still filled in.
func Check(ctx context.Context, dir string, opts Options) (*Report, error) {
	if opts.Remote == "" {
		opts.Remote = "origin"
	}
	if opts.Timeout <= 0 {
		opts.Timeout = defaultTimeout
	}
	// The remote, the working tree, the refs and the objects are read at
	// the same time: most of the wall time is git starting and the network.
	var (
		wg                  sync.WaitGroup
		there               Refs
		urlErr, lsErr, wErr error
	)
	// Deferred in this order so that, on an early return, ls-remote is
	// stopped (cancel) before it is waited for.
	defer wg.Wait()
	nctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	wg.Add(1)
	go func() {
		defer wg.Done()
		there, lsErr = LsRemote(nctx, dir, opts.Remote)
	}()
	repo, err := Open(ctx, dir)
	if err != nil {
		return nil, err
	}
	rep := &Report{Dir: repo.Dir, Remote: opts.Remote, Refs: []RefState{}, repo: repo}
	wg.Add(1)
	go func() {
		defer wg.Done()
		rep.URL, urlErr = repo.RemoteURL(ctx, opts.Remote)
	}()
	if !repo.Bare {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep.Worktree, wErr = Status(ctx, repo.Dir)
		}()
	}
	all, err := repo.Refs(ctx)
	if err != nil {
		return nil, err
	}
	type verified struct {
		in  *Integrity
		err error
	}
	vc := make(chan verified, 1)
	if !opts.RefsOnly {
		go func() {
			in, err := Verify(repo.ObjectsDir(), all, repo.Shallow(), opts.Workers)
			vc <- verified{in, err}
		}()
	}
	wg.Wait()
	if urlErr != nil {
		return nil, urlErr
	}
	if wErr != nil {
		return nil, wErr
	}

	var remoteErr error
	if lsErr != nil {
		remoteErr = lsErr
		rep.Unreachable = lsErr.Error()
	} else if opts.Pushing {
		rep.remoteRefs, rep.pushing = there, true
		if rep.Refs, err = checkPush(nctx, repo, opts.Push, there); err != nil {
			return nil, err
		}
	} else {
		rep.remoteRefs = there
		here, tracking := Refs{}, map[string]Root{}
		prefix := "refs/remotes/" + opts.Remote + "/"
		for _, r := range all {
			switch {
			case strings.HasPrefix(r.Name, "refs/heads/"), strings.HasPrefix(r.Name, "refs/tags/"):
				here[r.Name] = r.ID
			case strings.HasPrefix(r.Name, prefix) && r.Name != prefix+"HEAD":
				tracking["refs/heads/"+strings.TrimPrefix(r.Name, prefix)] = r
			}
		}
		url := func() (string, error) { return fetchURL(ctx, repo, opts.Remote) }
		g := &lazyGraph{build: func() (Graph, func(), error) {
			return graphFor(nctx, repo, here, tracking, []source{{url, there}})
		}}
		defer g.close()
		rep.Refs = Compare(here, there, tracking, g)
		if g.err != nil {
			noteUnknown(rep.Refs, g.err)
		}
	}

	if !opts.RefsOnly {
		v := <-vc
		if v.err != nil {
			return nil, v.err
		}
		rep.Objects = v.in
		// Name damaged files from the clone's top, as git does (.git/objects/...).
		if objs, err := filepath.Rel(repo.Dir, repo.ObjectsDir()); err == nil && !strings.HasPrefix(objs, "..") {
			for i, c := range rep.Objects.Corrupt {
				if !filepath.IsAbs(c.Path) {
					rep.Objects.Corrupt[i].Path = filepath.ToSlash(filepath.Join(objs, c.Path))
				}
			}
		}
	}
	return rep, remoteErr
}

// checkPush compares the refs being pushed, asking the clone's own git
// about ancestry: every commit pushed is in the clone, and a remote commit
// that is not cannot be an ancestor of one that is. Nothing is fetched.
func checkPush(ctx context.Context, repo *Repo, push []PushRef, there Refs) ([]RefState, error) {
	if len(push) == 0 {
		return []RefState{}, nil // nothing to push: git runs the hook all the same
	}
	var ids []oid.ID
	for _, p := range push {
		for _, id := range []oid.ID{p.Local, p.Remote} {
			if !id.IsZero() {
				ids = append(ids, id)
			}
		}
	}
	for _, id := range there {
		ids = append(ids, id)
	}
	has, err := repo.Has(ctx, ids)
	if err != nil {
		return nil, err
	}
	return comparePush(push, there, has, gitGraph{ctx, repo.Dir}), nil
}

// source is a remote to fetch from (its URL worked out only when
// needed) and the refs it advertised.
type source struct {
	url  func() (string, error)
	refs Refs
}

// graphFor returns a Graph that holds every tip of here, tracking and the
// sources: the clone itself when it has them all, else a scratch repository
// borrowing the clone's objects into which the missing tips are fetched.
// done removes the scratch repository.
func graphFor(ctx context.Context, repo *Repo, here Refs, tracking map[string]Root, srcs []source) (Graph, func(), error) {
	noop := func() {}
	var ids []oid.ID
	for _, id := range here {
		ids = append(ids, id)
	}
	for _, t := range tracking {
		ids = append(ids, t.ID)
	}
	for _, s := range srcs {
		for _, id := range s.refs {
			ids = append(ids, id)
		}
	}
	has, err := repo.Has(ctx, ids)
	if err != nil {
		return nil, noop, err
	}
	type want struct {
		url  func() (string, error)
		refs []string
	}
	var wants []want
	for _, s := range srcs {
		w := want{url: s.url}
		for name, id := range s.refs {
			if !has[id] && (strings.HasPrefix(name, "refs/heads/") || strings.HasPrefix(name, "refs/tags/")) {
				w.refs = append(w.refs, name)
				has[id] = true // fetched once, even if several refs name it
			}
		}
		if len(w.refs) > 0 {
			sort.Strings(w.refs)
			wants = append(wants, w)
		}
	}
	if len(wants) == 0 {
		return gitGraph{ctx, repo.Dir}, noop, nil
	}
	s, err := newScratch(ctx, repo.ObjectsDir())
	if err != nil {
		return nil, noop, err
	}
	for _, w := range wants {
		url, err := w.url()
		if err == nil {
			err = s.fetch(ctx, url, w.refs)
		}
		if err != nil {
			return gitGraph{ctx, s.dir}, s.close, fmt.Errorf("fetching the missing commits into a scratch repository: %w", err)
		}
	}
	return gitGraph{ctx, s.dir}, s.close, nil
}

// noteUnknown explains refs whose ancestry could not be worked out.
func noteUnknown(states []RefState, err error) {
	for i := range states {
		if states[i].State == Unknown && states[i].Note != "" && states[i].Note != err.Error() {
			states[i].Note = err.Error() + " (" + states[i].Note + ")"
		}
	}
}

// fetchURL is where git would fetch a remote from, made absolute when it is
// a path relative to the clone.
func fetchURL(ctx context.Context, repo *Repo, remote string) (string, error) {
	out, err := gitcmd.Run(ctx, repo.Dir, nil, "ls-remote", "--get-url", remote)
	if err != nil {
		return "", err
	}
	return AbsURL(repo.Dir, strings.TrimSpace(string(out))), nil
}

// AbsURL makes a remote given as a relative path absolute against dir;
// URLs and scp-like ssh addresses (host:path) are kept as they are.
func AbsURL(dir, u string) string {
	if strings.Contains(u, "://") || filepath.IsAbs(u) {
		return u
	}
	if i := strings.IndexByte(u, ':'); i > 0 && !strings.Contains(u[:i], "/") {
		return u
	}
	return filepath.Join(dir, u)
}

// Mirror is a mirror compared with origin.
type Mirror struct {
	URL         string     `json:"url"`
	Refs        []RefState `json:"refs"`
	Unreachable string     `json:"unreachable,omitempty"`
}

// CheckMirror compares a mirror's branches and tags with the refs origin
// advertised to rep's clone; commits neither holds are fetched into a
// scratch repository, never into the clone.
func CheckMirror(ctx context.Context, rep *Report, url string, opts Options) (*Mirror, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = defaultTimeout
	}
	m := &Mirror{URL: url, Refs: []RefState{}}
	if rep.remoteRefs == nil {
		return nil, errors.New("origin's refs are unknown")
	}
	nctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	mirrorURL := AbsURL(rep.repo.Dir, url)
	refs, err := LsRemote(nctx, rep.repo.Dir, mirrorURL)
	if err != nil {
		m.Unreachable = err.Error()
		return m, err
	}
	origin := func() (string, error) { return fetchURL(ctx, rep.repo, rep.Remote) }
	mirror := func() (string, error) { return mirrorURL, nil }
	g := &lazyGraph{build: func() (Graph, func(), error) {
		return graphFor(nctx, rep.repo, nil, nil, []source{{origin, rep.remoteRefs}, {mirror, refs}})
	}}
	defer g.close()
	m.Refs = Compare(refs, rep.remoteRefs, nil, g)
	if g.err != nil {
		noteUnknown(m.Refs, g.err)
	}
	return m, nil
}

// Worktree is the work in a clone that is not committed, so not backed up.
type Worktree struct {
	Staged    []string `json:"staged"`
	Modified  []string `json:"modified"`
	Untracked []string `json:"untracked"`
	Unmerged  []string `json:"unmerged"`
	Stashes   int      `json:"stashes"`
}

// Clean reports whether nothing is left uncommitted.
func (w *Worktree) Clean() bool {
	return len(w.Staged)+len(w.Modified)+len(w.Untracked)+len(w.Unmerged) == 0 && w.Stashes == 0
}

// Status reads a working tree's uncommitted changes and stashes without
// refreshing the index.
func Status(ctx context.Context, dir string) (*Worktree, error) {
	var (
		st     []byte
		stErr  error
		stashd = make(chan struct{})
	)
	go func() {
		st, stErr = gitcmd.Run(ctx, dir, nil, "stash", "list", "--format=%gd")
		close(stashd)
	}()
	out, err := gitcmd.Run(ctx, dir, nil, "--no-optional-locks", "status", "--porcelain=v2", "-z")
	<-stashd
	if err != nil {
		return nil, err
	}
	if stErr != nil {
		return nil, stErr
	}
	w, err := ParseStatus(out)
	if err != nil {
		return nil, err
	}
	w.Stashes = len(strings.Fields(string(st)))
	return w, nil
}

// ParseStatus reads 'git status --porcelain=v2 -z' output.
func ParseStatus(b []byte) (*Worktree, error) {
	w := &Worktree{Staged: []string{}, Modified: []string{}, Untracked: []string{}, Unmerged: []string{}}
	recs := bytes.Split(b, []byte{0})
	for i := 0; i < len(recs); i++ {
		r := string(recs[i])
		if r == "" {
			continue
		}
		var fields int
		switch r[0] {
		case '1':
			fields = 9
		case '2':
			fields = 10
		case 'u':
			fields = 11
		case '?', '!':
			if len(r) < 3 {
				return nil, fmt.Errorf("git status: bad entry %q", r)
			}
			if r[0] == '?' {
				w.Untracked = append(w.Untracked, r[2:])
			}
			continue
		case '#':
			continue
		default:
			return nil, fmt.Errorf("git status: bad entry %q", r)
		}
		f := strings.SplitN(r, " ", fields)
		if len(f) != fields || len(f[1]) != 2 {
			return nil, fmt.Errorf("git status: bad entry %q", r)
		}
		path := f[fields-1]
		if r[0] == '2' {
			i++ // the original path follows
		}
		if r[0] == 'u' {
			w.Unmerged = append(w.Unmerged, path)
			continue
		}
		if f[1][0] != '.' {
			w.Staged = append(w.Staged, path)
		}
		if f[1][1] != '.' {
			w.Modified = append(w.Modified, path)
		}
	}
	return w, nil
}

// lazyGraph builds its Graph on the first question: when every ref is in
// sync, no commit needs looking up, and no git process needs starting.
type lazyGraph struct {
	build func() (Graph, func(), error)
	g     Graph
	done  func()
	err   error
	built bool
}

func (l *lazyGraph) get() Graph {
	if !l.built {
		l.built = true
		l.g, l.done, l.err = l.build()
	}
	return l.g
}

func (l *lazyGraph) Count(a, b oid.ID) (int, int, oid.ID, error) {
	if g := l.get(); g != nil {
		return g.Count(a, b)
	}
	return 0, 0, oid.ID{}, l.err
}

func (l *lazyGraph) Unique(tip oid.ID, others []oid.ID) (int, error) {
	if g := l.get(); g != nil {
		return g.Unique(tip, others)
	}
	return 0, l.err
}

func (l *lazyGraph) close() {
	if l.done != nil {
		l.done()
	}
}
