package approval

import (
	"errors"
	"fmt"
	"io/fs"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/qms-tool/qms/internal/policy"
	"github.com/qms-tool/qms/internal/signature"
	"github.com/qms-tool/qms/internal/vcs"
)

// Tolerance is how far a signature's own time may be from its commit's
// committer date, and how far before a parent's: clocks drift, but a
// signature claiming another day is a backdated or replayed one.
const Tolerance = 15 * time.Minute

// Trailer binds a signature's meaning to a record's blob.
const Trailer = "QMS-Sign"

// History is what Verify reads; *vcs.Repo provides it.
type History interface {
	Commit(rev string) (*vcs.Commit, error)
	TreeFS(tree string) (fs.FS, error)
	TreeHash(tree, p string) (string, error)
	// Written lists the files (path -> blob) a commit wrote itself, given
	// its tree and its parents' trees.
	Written(tree string, parentTrees []string) (map[string]string, error)
}

var _ History = (*vcs.Repo)(nil)

// Config says where trust starts and where the policy lives.
type Config struct {
	// TrustRoot is the commit trusted as it is; RootSigner, when set, is
	// the fingerprint that must have signed it.
	TrustRoot, RootSigner string
	// StaffDir and MatrixPath locate the policy in a tree.
	StaffDir, MatrixPath string
	// Cache, when set, holds the outcomes of commits already checked.
	Cache *Cache
}

// Failure is one commit that could not be authenticated, and why.
type Failure struct {
	Commit      string `json:"commit"`
	Rule        string `json:"rule"`
	Message     string `json:"message"`
	Fingerprint string `json:"fingerprint,omitempty"`
	Person      string `json:"person,omitempty"`
}

// Signature is one signed meaning over one record's content, with what
// 21 CFR 11.50 asks to show: printed name, role, meaning, date and time.
type Signature struct {
	Meaning     string    `json:"meaning"`
	Path        string    `json:"path"`
	Blob        string    `json:"blob"`
	Person      string    `json:"person"`
	Name        string    `json:"name"`
	Roles       []string  `json:"roles"`
	Time        time.Time `json:"time"`
	Fingerprint string    `json:"fingerprint"`
	Commit      string    `json:"commit"`
}

// Report is the outcome of Verify.
type Report struct {
	Head     string    `json:"head"`
	Commits  int       `json:"commits"`
	Failures []Failure `json:"failures"`
	// Signatures are those of authenticated commits, oldest first.
	Signatures []Signature `json:"signatures"`
	// Matrix is the responsibility matrix at head (nil if none).
	Matrix *policy.Matrix `json:"-"`
	// Authors maps "path blob" to the people who signed the commits that
	// wrote that content: for separation of duties.
	Authors map[string][]string `json:"-"`

	seen map[string]*node
}

// Contains reports whether a commit is in the verified history (from the
// trust root to head): a previously verified head that is not means the
// history was rewritten or rolled back.
func (r *Report) Contains(id string) bool {
	_, ok := r.seen[id]
	return ok
}

// Verify authenticates every commit from the trust root to head.
func Verify(h History, head string, cfg Config) (*Report, error) {
	v := &verifier{h: h, cfg: cfg, nodes: map[string]*node{}, policies: map[string]*loaded{}}
	top, err := h.Commit(head)
	if err != nil {
		return nil, err
	}
	root, err := h.Commit(cfg.TrustRoot)
	if err != nil {
		return nil, fmt.Errorf("trust root: %w", err)
	}
	v.cfg.TrustRoot = root.ID
	order, err := v.collect(top)
	if err != nil {
		return nil, err
	}
	rep := &Report{Head: top.ID, Commits: len(order), seen: v.nodes, Authors: map[string][]string{}}
	headPolicy, _ := v.policyAt(top)
	if headPolicy != nil {
		rep.Matrix = headPolicy.Matrix
	}
	if _, ok := v.nodes[root.ID]; !ok {
		rep.Failures = append(rep.Failures, Failure{Commit: top.ID, Rule: "trust-root",
			Message: fmt.Sprintf("%s does not descend from the trust root %s", short(top.ID), short(root.ID))})
		return rep, nil
	}
	// Reading objects is sequential (go-git's pack reader is not safe for
	// concurrent use); checking signatures, the costly part, runs on every
	// core meanwhile; the rules are then applied in order.
	outs := make([]*Outcome, len(order))
	jobs := make(chan *job, 64)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				j.verify()
			}
		}()
	}
	var pending []*job
	for i, n := range order {
		if n.cached != nil {
			outs[i] = n.cached
			continue
		}
		j, err := v.prepare(n.c)
		if err != nil {
			close(jobs)
			wg.Wait()
			return nil, err
		}
		j.index = i
		pending = append(pending, j)
		jobs <- j
	}
	close(jobs)
	wg.Wait()
	for _, j := range pending {
		parents := append([]string{}, j.c.Parents...)
		v.cur = &Outcome{Parents: &parents}
		v.finish(j)
		outs[j.index] = v.cur
		cfg.Cache.put(j.c.ID, v.cur)
	}
	for i, out := range outs {
		// A key the head's policy declares compromised voids every
		// signature it made, even those its policy then accepted. Checked
		// here, not cached: a later revocation changes earlier outcomes.
		if k, bad := headPolicy.Compromised(out.Fingerprint); bad {
			rep.Failures = append(rep.Failures, Failure{Commit: order[i].id, Rule: "compromised", Fingerprint: k.Fingerprint, Person: k.Owner.ID,
				Message: fmt.Sprintf("commit %s was signed by %s's key %s, which was revoked as compromised on %s: all its signatures are void",
					short(order[i].id), k.Owner.Name, k.Fingerprint, k.RevokedAt.UTC().Format(time.RFC3339))})
			continue
		}
		rep.Failures = append(rep.Failures, out.Failures...)
		rep.Signatures = append(rep.Signatures, out.Signatures...)
		for k, people := range out.Authors {
			for _, p := range people {
				if !contains(rep.Authors[k], p) {
					rep.Authors[k] = append(rep.Authors[k], p)
				}
			}
		}
	}
	return rep, nil
}

type verifier struct {
	h        History
	cfg      Config
	nodes    map[string]*node
	policies map[string]*loaded // by the trees' hashes
	memo     policy.Memo
	cur      *Outcome // what checking the current commit found
}

// Outcome is what checking one commit found. It depends only on the
// commit's id (which fixes its content, its parents' and every ancestor's),
// the configuration and the qms build, so it can be cached.
type Outcome struct {
	// Parents are the commit's parents, so that a later run can walk the
	// history without reading commits it has checked before.
	Parents *[]string `json:"parents,omitempty"`
	// Fingerprint is the key that signed the commit, when it passed.
	Fingerprint string              `json:"fingerprint,omitempty"`
	Failures    []Failure           `json:"failures,omitempty"`
	Signatures  []Signature         `json:"signatures,omitempty"`
	Authors     map[string][]string `json:"authors,omitempty"`
}

type loaded struct {
	p   *policy.Policy
	err error
}

// node is a commit of the history being verified: its parents, and
// either its outcome from the cache or the commit itself, read.
type node struct {
	id      string
	parents []string
	cached  *Outcome
	c       *vcs.Commit
}

// commit returns a node's commit, reading it if it came from the cache.
func (v *verifier) commit(n *node) (*vcs.Commit, error) {
	if n.c == nil {
		c, err := v.h.Commit(n.id)
		if err != nil {
			return nil, err
		}
		n.c = c
	}
	return n.c, nil
}

// collect finds every commit reachable from top without going past the
// trust root, and returns them parents first. A commit whose outcome is
// cached is not read: the cache knows its parents.
func (v *verifier) collect(top *vcs.Commit) ([]*node, error) {
	visit := func(id string) (*node, error) {
		if out, ok := v.cfg.Cache.get(id); ok && out.Parents != nil {
			n := &node{id: id, parents: *out.Parents, cached: out}
			v.nodes[id] = n
			return n, nil
		}
		c, err := v.h.Commit(id)
		if err != nil {
			return nil, err
		}
		n := &node{id: id, parents: c.Parents, c: c}
		if out, ok := v.cfg.Cache.get(id); ok {
			n.cached = out
		}
		v.nodes[id] = n
		return n, nil
	}
	first := &node{id: top.ID, parents: top.Parents, c: top}
	if out, ok := v.cfg.Cache.get(top.ID); ok {
		first.cached = out
	}
	v.nodes[top.ID] = first
	stack := []*node{first}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if n.id == v.cfg.TrustRoot {
			continue
		}
		for _, p := range n.parents {
			if _, seen := v.nodes[p]; seen {
				continue
			}
			pn, err := visit(p)
			if err != nil {
				return nil, err
			}
			stack = append(stack, pn)
		}
	}
	// Parents first: depth-first post-order, iteratively.
	var order []*node
	done := map[string]bool{}
	type frame struct {
		n *node
		i int
	}
	st := []frame{{first, 0}}
	for len(st) > 0 {
		f := &st[len(st)-1]
		if f.n.id == v.cfg.TrustRoot || f.i >= len(f.n.parents) {
			if !done[f.n.id] {
				done[f.n.id] = true
				order = append(order, f.n)
			}
			st = st[:len(st)-1]
			continue
		}
		p := v.nodes[f.n.parents[f.i]]
		f.i++
		if !done[p.id] {
			st = append(st, frame{p, 0})
		}
	}
	return order, nil
}

func (v *verifier) fail(c *vcs.Commit, rule, fp, person, format string, a ...any) {
	v.cur.Failures = append(v.cur.Failures, Failure{Commit: c.ID, Rule: rule, Fingerprint: fp, Person: person, Message: fmt.Sprintf(format, a...)})
}

// policyAt returns the policy in force in a commit's tree.
func (v *verifier) policyAt(c *vcs.Commit) (*policy.Policy, error) {
	var key strings.Builder
	for _, p := range []string{v.cfg.StaffDir, v.cfg.MatrixPath, policy.KeysDir} {
		h, err := v.h.TreeHash(c.Tree, p)
		if err != nil {
			return nil, err
		}
		key.WriteString(h + "/")
	}
	if l, ok := v.policies[key.String()]; ok {
		return l.p, l.err
	}
	tfs, err := v.h.TreeFS(c.Tree)
	if err != nil {
		return nil, err
	}
	p, err := v.memo.Load(tfs, v.cfg.StaffDir, v.cfg.MatrixPath)
	v.policies[key.String()] = &loaded{p, err}
	return p, err
}

// job is one commit on its way through Verify: what prepare read from the
// repository, then what verify found of its signature against each
// parent's policy.
type job struct {
	index  int
	c      *vcs.Commit
	own    *policy.Policy
	ownErr error
	sp     *signature.Signed
	spErr  error
	// Per parent: the commit, its policy (or why it could not be read),
	// and the signature's verdict against it.
	parents  []*vcs.Commit
	pols     []*policy.Policy
	polErrs  []error
	verdicts []*signature.Verdict
	vErrs    []error
	// written is what the commit wrote itself, for separation of duties.
	written    map[string]string
	writtenErr error
}

// prepare reads everything a commit's check needs from the repository.
func (v *verifier) prepare(c *vcs.Commit) (*job, error) {
	j := &job{c: c}
	j.own, j.ownErr = v.policyAt(c)
	if c.ID == v.cfg.TrustRoot || j.ownErr != nil {
		return j, nil
	}
	j.sp, j.spErr = signature.Split(c.Raw)
	if j.spErr != nil || j.sp.Kind == signature.None {
		return j, nil
	}
	trees := make([]string, 0, len(c.Parents))
	for _, pid := range c.Parents {
		parent, err := v.commit(v.nodes[pid])
		if err != nil {
			return nil, err
		}
		j.parents = append(j.parents, parent)
		pol, err := v.policyAt(parent)
		j.pols = append(j.pols, pol)
		j.polErrs = append(j.polErrs, err)
		trees = append(trees, parent.Tree)
	}
	j.verdicts = make([]*signature.Verdict, len(c.Parents))
	j.vErrs = make([]error, len(c.Parents))
	j.written, j.writtenErr = v.h.Written(c.Tree, trees)
	return j, nil
}

// verify checks the signature against each parent's policy; it reads
// nothing from the repository, so jobs run in parallel.
func (j *job) verify() {
	for i, pol := range j.pols {
		if j.polErrs[i] != nil {
			continue
		}
		if i > 0 && pol == j.pols[i-1] {
			j.verdicts[i], j.vErrs[i] = j.verdicts[i-1], j.vErrs[i-1]
			continue
		}
		j.verdicts[i], j.vErrs[i] = verifySig(j.sp, pol)
	}
}

// finish applies the rules to a prepared and verified commit, in order.
func (v *verifier) finish(j *job) {
	c, own, ownErr := j.c, j.own, j.ownErr
	if c.ID == v.cfg.TrustRoot {
		v.checkRoot(c, own, ownErr)
		return
	}
	if errors.Is(ownErr, policy.ErrNoPolicy) {
		v.fail(c, "policy-deleted", "", "", "commit %s leaves no signing policy (staff records and matrix): it cannot be accepted", short(c.ID))
		return
	}
	if ownErr != nil {
		v.fail(c, "policy", "", "", "commit %s: %v", short(c.ID), ownErr)
		return
	}
	if j.spErr != nil {
		v.fail(c, "signature-format", "", "", "commit %s: %v", short(c.ID), j.spErr)
		return
	}
	if j.sp.Kind == signature.None {
		v.fail(c, "unsigned", "", "", "commit %s is not signed", short(c.ID))
		return
	}
	var signer *policy.Person
	var fp string
	var sigTime time.Time
	ok := true
	for i, pid := range c.Parents {
		parent := j.parents[i]
		pol := j.pols[i]
		if err := j.polErrs[i]; err != nil {
			v.fail(c, "policy", "", "", "commit %s: the policy of its parent %s: %v", short(c.ID), short(pid), err)
			ok = false
			continue
		}
		verdict, err := j.verdicts[i], j.vErrs[i]
		if err != nil {
			rule := "bad-signature"
			if errors.Is(err, signature.ErrPolicy) {
				rule = "weak-signature"
			}
			v.fail(c, rule, signature.Issuer(j.sp), "", "commit %s: %v (policy of parent %s)", short(c.ID), err, short(pid))
			ok = false
			continue
		}
		fp = verdict.Fingerprint
		at := verdict.Created
		if at.IsZero() {
			at = c.Committer // SSH signatures carry no time of their own
		}
		if d := at.Sub(c.Committer); d > Tolerance || d < -Tolerance {
			v.fail(c, "signature-time", fp, "", "commit %s: signed at %s but committed at %s", short(c.ID),
				at.UTC().Format(time.RFC3339), c.Committer.UTC().Format(time.RFC3339))
			ok = false
			continue
		}
		if at.Before(parent.Committer.Add(-Tolerance)) {
			v.fail(c, "signature-time", fp, "", "commit %s: signed at %s, before its parent %s was committed (%s)", short(c.ID),
				at.UTC().Format(time.RFC3339), short(pid), parent.Committer.UTC().Format(time.RFC3339))
			ok = false
			continue
		}
		per, _, err := pol.Signer(verdict, at)
		if err != nil {
			name := ""
			if per != nil {
				name = per.ID
			}
			v.fail(c, "unauthorized", fp, name, "commit %s: %v (policy of parent %s)", short(c.ID), err, short(pid))
			ok = false
			continue
		}
		if own.Digest() != pol.Digest() && !pol.Governs(per) {
			v.fail(c, "governance", fp, per.ID, "commit %s changes staff, keys or the matrix, but %s (%s) holds no governing role (%s)",
				short(c.ID), per.Name, per.ID, strings.Join(pol.Matrix.Govern, ", "))
			ok = false
			continue
		}
		if signer == nil {
			signer, sigTime = per, at
		}
	}
	if ok && signer != nil {
		v.cur.Fingerprint = fp
		v.collectSignatures(c, signer, fp, sigTime)
		v.collectAuthors(c, signer, j.written, j.writtenErr)
	}
}

func (v *verifier) checkRoot(c *vcs.Commit, own *policy.Policy, ownErr error) {
	if v.cfg.RootSigner == "" {
		return
	}
	if ownErr != nil {
		v.fail(c, "trust-root", "", "", "trust root %s has no signing policy: %v", short(c.ID), ownErr)
		return
	}
	sp, err := signature.Split(c.Raw)
	if err == nil && sp.Kind == signature.None {
		err = errors.New("not signed")
	}
	var verdict *signature.Verdict
	if err == nil {
		verdict, err = verifySig(sp, own)
	}
	if err == nil && verdict.Fingerprint != v.cfg.RootSigner {
		err = fmt.Errorf("signed by %s, not %s", verdict.Fingerprint, v.cfg.RootSigner)
	}
	if err != nil {
		v.fail(c, "trust-root", v.cfg.RootSigner, "", "trust root %s: %v", short(c.ID), err)
	}
}

func verifySig(sp *signature.Signed, pol *policy.Policy) (*signature.Verdict, error) {
	switch sp.Kind {
	case signature.OpenPGP:
		return signature.VerifyOpenPGP(sp.Payload, sp.Signature, pol.Keyring)
	case signature.SSH:
		return signature.VerifySSH(sp.Payload, sp.Signature, pol.SSH)
	}
	return nil, fmt.Errorf("%s signatures are not supported", sp.Kind)
}

// collectAuthors records the signer as an author of every file the commit
// wrote.
func (v *verifier) collectAuthors(c *vcs.Commit, per *policy.Person, written map[string]string, err error) {
	if err != nil {
		v.fail(c, "history", "", per.ID, "commit %s: %v", short(c.ID), err)
		return
	}
	for p, blob := range written {
		key := p + " " + blob
		if v.cur.Authors == nil {
			v.cur.Authors = map[string][]string{}
		}
		if !contains(v.cur.Authors[key], per.ID) {
			v.cur.Authors[key] = append(v.cur.Authors[key], per.ID)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// collectSignatures reads the QMS-Sign trailers of an authenticated commit.
func (v *verifier) collectSignatures(c *vcs.Commit, per *policy.Person, fp string, at time.Time) {
	for _, line := range strings.Split(c.Message, "\n") {
		rest, ok := strings.CutPrefix(line, Trailer+":")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 3 {
			v.fail(c, "trailer", fp, per.ID, "commit %s: malformed %s trailer %q (want: meaning path blob)", short(c.ID), Trailer, line)
			continue
		}
		roles := append([]string(nil), per.Roles...)
		sort.Strings(roles)
		v.cur.Signatures = append(v.cur.Signatures, Signature{Meaning: f[0], Path: f[1], Blob: f[2],
			Person: per.ID, Name: per.Name, Roles: roles, Time: at.UTC(), Fingerprint: fp, Commit: c.ID})
	}
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
