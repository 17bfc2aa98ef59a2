package approval

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/config"
	"github.com/qms-tool/qms/internal/policy"
	"github.com/qms-tool/qms/internal/schema"
	"github.com/qms-tool/qms/internal/signature"
	"github.com/qms-tool/qms/internal/vcs"
)

// Tolerance is how far a signature's own time may be from its commit's
// committer date, and how far before a parent's: clocks drift, but a
// signature claiming another day is a backdated or replayed one.
const Tolerance = 15 * time.Minute

// FutureMargin is how far after the time of verification a commit or a
// signature may be dated: a commit dated later is refused (and does not
// make its honest children look older than their parent).
const FutureMargin = time.Hour

// MaxSignatures is the most QMS-Sign trailers one commit may carry: a
// thousand records signed at once is a big release; a flood of trailers is
// an attempt to exhaust the verifier and counts for nothing.
const MaxSignatures = 10000

// History is what Verify reads; *vcs.Repo provides it.
type History interface {
	Commit(rev string) (*vcs.Commit, error)
	TreeFS(tree string) (fs.FS, error)
	TreeHash(tree, p string) (string, error)
	// Written lists the files (path -> blob) a commit wrote itself, given
	// its tree and its parents' trees.
	Written(tree string, parentTrees []string) (map[string]string, error)
	// CheckTree reports a malformed tree under tree (vcs.ErrMalformedTree).
	CheckTree(tree string) error
	// CleanMerge reports whether merged is the merge of ours and theirs
	// over base that adds nothing, the first path that is not, and the
	// files merged line by line.
	CleanMerge(merged, base, ours, theirs string) (vcs.MergeCheck, error)
}

var _ History = (*vcs.Repo)(nil)

// Config says where trust starts and when verification happens.
type Config struct {
	// Root is the introduction: the commit trusted as it is, and the key
	// that must have signed it.
	Root Root
	// Now is the time of verification: commits and signatures dated more
	// than FutureMargin after it are refused.
	Now time.Time
	// Cache, when set, holds the outcomes of commits already checked.
	Cache *Cache
	// Memo, when set, holds the staff records and key files parsed by an
	// earlier Verify of the same repository.
	Memo *policy.Memo
}

// Rules of the failures Verify reports.
const (
	RuleUnsigned      = "unsigned"
	RuleBadSignature  = "bad-signature"
	RuleWeakSignature = "weak-signature"
	RuleUnauthorized  = "unauthorized"
	RuleIdentity      = "identity"
	RuleGovernance    = "governance"
	RuleLockout       = "lockout"
	RulePolicy        = "policy"
	RulePolicyDeleted = "policy-deleted"
	RuleOrphan        = "orphan"
	RuleTrustRoot     = "trust-root"
	RuleSignatureTime = "signature-time"
	RuleFuture        = "future"
	RuleCompromised   = "compromised"
	RuleTrailer       = "trailer"
	RuleCommitSize    = "commit-size"
	RuleMalformedTree = "malformed-tree"
	RuleFormat        = "signature-format"
	RuleHistory       = "history"
	RuleRollback      = "rollback"
	// Warnings: they fail nothing, and say why signatures do not count.
	RuleResigned   = "resigned"
	RuleNotTrailer = "not-a-trailer"
	RuleOverride   = "git-override"
	RuleAdopts     = "adopts-refused"
)

// Failure is one commit that could not be authenticated, or a warning
// about one, and why.
type Failure struct {
	Commit      string `json:"commit"`
	Rule        string `json:"rule"`
	Message     string `json:"message"`
	Hint        string `json:"hint,omitempty"`
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
	Root     Root      `json:"trust_root"`
	Commits  int       `json:"commits"`
	Failures []Failure `json:"failures"`
	// Warnings fail nothing: re-signed approvals, QMS-Sign lines outside
	// the trailer block.
	Warnings []Failure `json:"warnings"`
	// Signatures are those of authenticated commits, oldest first.
	Signatures []Signature `json:"signatures"`
	// Accepted are the commits whose failures governors accepted.
	Accepted []Exception `json:"accepted"`
	// ForgeMerges counts the merges a declared forge key signed that add
	// nothing.
	ForgeMerges int `json:"forge_merges"`
	// Signers maps each authenticated commit to the fingerprint of the
	// key that signed it, for showing who changed what.
	Signers map[string]string `json:"-"`
	// Matrix is the responsibility matrix in force at head (nil if it
	// cannot be used; MatrixProblem then says why, as a sentence).
	Matrix        *policy.Matrix `json:"-"`
	MatrixProblem string         `json:"-"`
	// Authors maps a blob to the people who wrote that content, at any
	// path (moving content does not make it someone else's): the signers
	// of the commits that wrote it and the staff members those commits
	// name as their author. For separation of duties.
	Authors map[string][]string `json:"-"`
	// Unauthenticated maps a blob to a commit that wrote that content and
	// failed authentication: such content is approved by no one.
	Unauthenticated map[string]string `json:"-"`
	// HeadView is the record kinds and policy of the head's tree.
	HeadKinds  *schema.Set    `json:"-"`
	HeadPolicy *policy.Policy `json:"-"`
	// HeadRoot is the trust root qms.yaml declares at head (zero if none).
	HeadRoot Root `json:"-"`
	// HeadForges names the forges whose keys the head's policy in force
	// accepts for merges.
	HeadForges []string `json:"-"`

	seen  map[string]*node
	order []string // the commits verified, parents first
}

// Contains reports whether a commit is in the verified history (from the
// trust root to head): a previously verified head that is not means the
// history was rewritten or rolled back.
func (r *Report) Contains(id string) bool {
	_, ok := r.seen[id]
	return ok
}

// Verify authenticates every commit from the trust root to head.
//
// A key that any policy in force declares compromised voids every commit
// it signed, whenever: the commit is refused, so its changes to the policy
// never take effect and what was signed against them fails too. Such a
// key is found only by verifying the history, so when one turns out to
// have signed something, the history is verified again knowing it (without
// the cache, whose outcomes were computed not knowing it), until no new
// compromised key signed anything.
func Verify(h History, head string, cfg Config) (*Report, error) {
	if err := cfg.Root.Valid(); err != nil {
		return nil, err
	}
	compromised := map[string]compromise{}
	accepted := map[string]Exception{}
	if cfg.Memo == nil {
		cfg.Memo = &policy.Memo{}
	}
	for {
		v := &verifier{h: h, cfg: cfg, memo: cfg.Memo, ctx: cacheContext(compromised, accepted), nodes: map[string]*node{}, views: map[string]*view{},
			kinds: map[string]*kindsView{}, configs: map[string]*declared{}, badTrees: map[string]string{},
			outs: map[string]*Outcome{}, eff: map[string]*effective{}, compromised: compromised, accepted: accepted}
		rep, err := v.run(head)
		if err != nil || rep.Commits == 0 {
			return rep, err
		}
		grew := false
		// Acceptances found in this pass count in the next: the history
		// is verified again with those commits' failures accepted, until
		// no new acceptance counts (the set only grows).
		for _, ex := range v.newAccepts {
			if _, known := accepted[ex.Commit]; !known {
				accepted[ex.Commit] = ex
				grew = true
			}
		}
		for fp, by := range v.declared {
			if _, known := compromised[fp]; known {
				continue
			}
			compromised[fp] = by
			if v.signedBy[fp] {
				grew = true
			}
		}
		if !grew {
			return rep, nil
		}
	}
}

// cacheContext names what a pass knows beforehand, for the cache: outcomes
// computed knowing other keys compromised are others.
func cacheContext(compromised map[string]compromise, accepted map[string]Exception) string {
	if len(compromised) == 0 && len(accepted) == 0 {
		return ""
	}
	fps := make([]string, 0, len(compromised)+len(accepted))
	for fp := range compromised {
		fps = append(fps, fp)
	}
	for id, ex := range accepted {
		fps = append(fps, "accept "+id+" "+ex.Acceptance)
	}
	sort.Strings(fps)
	sum := sha256.Sum256([]byte(strings.Join(fps, "\n")))
	return hex.EncodeToString(sum[:8]) + ":"
}

// compromise is where a key was first declared compromised: the commit
// whose policy says so, and the time it gives.
type compromise struct{ commit, at string }

// run is one pass of Verify.
func (v *verifier) run(head string) (*Report, error) {
	cfg := v.cfg
	top, err := v.h.Commit(head)
	if err != nil {
		return nil, err
	}
	root, err := v.h.Commit(cfg.Root.Commit)
	if err != nil {
		return nil, fmt.Errorf("trust root: %w", err)
	}
	order, err := v.collect(top)
	if err != nil {
		return nil, err
	}
	rep := &Report{Head: top.ID, Root: cfg.Root, Commits: len(order), seen: v.nodes,
		Authors: map[string][]string{}, Unauthenticated: map[string]string{}}
	rep.order = make([]string, len(order))
	for i, n := range order {
		rep.order[i] = n.id
	}
	if _, ok := v.nodes[root.ID]; !ok {
		rep.Commits = 0
		rep.Failures = append(rep.Failures, Failure{Commit: top.ID, Rule: RuleTrustRoot,
			Message: fmt.Sprintf("%s does not descend from the trust root %s", short(top.ID), short(root.ID)),
			Hint:    "check the trust root you verify from (--trust-root, QMS_TRUST_ROOT, .git/qms/trust-root)"})
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
			v.outs[n.id] = n.cached
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
		if err := v.finish(j); err != nil {
			return nil, err
		}
		outs[j.index] = v.cur
		v.outs[j.c.ID] = v.cur
		if !v.cur.Volatile {
			cfg.Cache.put(v.ctx, j.c.ID, v.cur)
		}
	}
	v.declared, v.signedBy = map[string]compromise{}, map[string]bool{}
	for i, out := range outs {
		for _, entry := range out.Compromised {
			fp, at, _ := strings.Cut(entry, " ")
			if _, ok := v.declared[fp]; !ok {
				v.declared[fp] = compromise{commit: order[i].id, at: at}
			}
		}
		if out.Fingerprint != "" && len(out.Failures) == 0 {
			v.signedBy[out.Fingerprint] = true
			if rep.Signers == nil {
				rep.Signers = map[string]string{}
			}
			rep.Signers[order[i].id] = out.Fingerprint
		}
		if len(out.Failures) == 0 {
			v.newAccepts = append(v.newAccepts, out.Accepts...)
		}
		if out.Excepted != nil {
			rep.Accepted = append(rep.Accepted, *out.Excepted)
		}
		if out.Forge != "" && len(out.Failures) == 0 {
			rep.ForgeMerges++
		}
		rep.Failures = append(rep.Failures, out.Failures...)
		rep.Warnings = append(rep.Warnings, out.Warnings...)
		rep.Signatures = append(rep.Signatures, out.Signatures...)
		for k, people := range out.Authors {
			for _, p := range people {
				if !contains(rep.Authors[k], p) {
					rep.Authors[k] = append(rep.Authors[k], p)
				}
			}
		}
		for _, k := range out.Unauthenticated {
			rep.Unauthenticated[k] = order[i].id
		}
		for merged, from := range out.Derived {
			for _, src := range from {
				for _, p := range rep.Authors[src] {
					if !contains(rep.Authors[merged], p) {
						rep.Authors[merged] = append(rep.Authors[merged], p)
					}
				}
				if by := rep.Unauthenticated[src]; by != "" && rep.Unauthenticated[merged] == "" {
					rep.Unauthenticated[merged] = by
				}
			}
		}
	}
	// The head's effective policy decides the states: its matrix, and its
	// record kinds which files are records; a policy change refused on
	// the way, though still in the head's tree, decides nothing.
	eff, err := v.effectiveOf(top.ID)
	if err != nil {
		return nil, err
	}
	hv := eff.v
	rep.HeadKinds, rep.HeadPolicy = hv.kinds, hv.pol
	for _, f := range hv.forges {
		if f.Refused == nil {
			rep.HeadForges = append(rep.HeadForges, f.Name)
		}
	}
	switch {
	case hv.pol != nil && hv.pol.Matrix == nil:
		rep.MatrixProblem = "the responsibility matrix cannot be used (" + hv.pol.MatrixProblem + ")"
	case hv.pol != nil:
		rep.Matrix = hv.pol.Matrix
	case hv.polErr != nil:
		rep.MatrixProblem = "the signing policy cannot be read (" + hv.polErr.Error() + ")"
	}
	own, err := v.viewOf(top)
	if err != nil {
		return nil, err
	}
	rep.HeadRoot = own.root
	// The root the history states must be the one verification started
	// from: a moved root is a governed change that every verifier must
	// adopt out of band, never something the history decides.
	if own.rootErr != nil && !errors.Is(own.rootErr, vcs.ErrMalformedTree) {
		rep.Failures = append(rep.Failures, Failure{Commit: top.ID, Rule: RuleTrustRoot,
			Message: fmt.Sprintf("qms.yaml at %s: %v", short(top.ID), own.rootErr),
			Hint:    "write trust_root as {commit: <40 hex digits>, fingerprint: <the key that signed it>}"})
	} else if !own.root.IsZero() && own.root != cfg.Root {
		rep.Failures = append(rep.Failures, Failure{Commit: top.ID, Rule: RuleTrustRoot,
			Message: fmt.Sprintf("qms.yaml at %s names the trust root %s, but verification started from %s", short(top.ID), own.root, cfg.Root),
			Hint:    "if a governor moved the trust root on purpose, verify from the new one (--trust-root COMMIT:FINGERPRINT); otherwise restore trust_root in qms.yaml"})
	}
	return rep, nil
}

// effective is the policy a commit hands on to its children: its own,
// when it was authenticated and any change of the policy it made was
// governed; else the one its first parent handed on, so that a refused
// change never takes effect. inertFrom names the refused commit whose
// change the tree still carries, unenforced ("" if none).
type effective struct {
	v         *view
	inertFrom string
}

// effectiveOf returns the policy a commit hands on, from the outcomes of
// the commits checked so far (or cached).
func (v *verifier) effectiveOf(id string) (*effective, error) {
	var chain []string
	var e *effective
	for cur := id; ; {
		if got, ok := v.eff[cur]; ok {
			e = got
			break
		}
		out := v.outs[cur]
		n := v.nodes[cur]
		if out == nil || n == nil {
			return nil, fmt.Errorf("verify: commit %s was not checked before its children", short(cur))
		}
		if !out.Inherit {
			c, err := v.commit(n)
			if err != nil {
				return nil, err
			}
			own, err := v.viewOf(c)
			if err != nil {
				return nil, err
			}
			e = &effective{v: own}
			v.eff[cur] = e
			break
		}
		chain = append(chain, cur)
		if len(n.parents) == 0 || cur == v.cfg.Root.Commit {
			e = &effective{v: &view{polErr: fmt.Errorf("it descends from commit %s, which begins a history and was refused", short(cur)), governed: "refused " + cur}}
			break
		}
		cur = n.parents[0]
	}
	for _, c := range chain {
		ce := &effective{v: e.v, inertFrom: v.outs[c].InertFrom}
		v.eff[c] = ce
	}
	if len(chain) > 0 {
		return v.eff[chain[0]], nil
	}
	return e, nil
}

type verifier struct {
	h     History
	cfg   Config
	ctx   string // the cache's context (cacheContext)
	nodes map[string]*node
	outs  map[string]*Outcome   // every commit's outcome, once known
	eff   map[string]*effective // the policy each commit hands on
	// compromised maps the keys known compromised to the commit whose
	// policy declares it; declared and signedBy are what this pass found:
	// keys declared compromised, keys that signed an authenticated commit.
	compromised map[string]compromise
	declared    map[string]compromise
	signedBy    map[string]bool
	// accepted are the failed commits governors accept (known from an
	// earlier pass), by commit; accepts what this pass found.
	accepted   map[string]Exception
	newAccepts []Exception
	views      map[string]*view      // by the keys of the trees they read
	kinds      map[string]*kindsView // by schema tree id
	configs    map[string]*declared  // by qms.yaml blob id
	// badTrees maps a commit to the malformed tree under it ("" if none).
	badTrees map[string]string
	memo     *policy.Memo
	cur      *Outcome // what checking the current commit found
}

// Outcome is what checking one commit found. It depends only on the
// commit's id (which fixes its content, its parents' and every ancestor's),
// the configuration and the qms build, so it can be cached, unless it
// depended on the time of verification (Volatile).
type Outcome struct {
	// Parents are the commit's parents, so that a later run can walk the
	// history without reading commits it has checked before.
	Parents *[]string `json:"parents,omitempty"`
	// Fingerprint is the key that signed the commit, when it passed.
	Fingerprint string              `json:"fingerprint,omitempty"`
	Failures    []Failure           `json:"failures,omitempty"`
	Warnings    []Failure           `json:"warnings,omitempty"`
	Signatures  []Signature         `json:"signatures,omitempty"`
	Authors     map[string][]string `json:"authors,omitempty"`
	// Unauthenticated lists the blobs the commit wrote when it failed.
	Unauthenticated []string `json:"unauthenticated,omitempty"`
	// Derived maps a blob a forge merge made of both sides' lines to the
	// blobs it was merged from: it has their authors, and is
	// unauthenticated when one of them is.
	Derived map[string][]string `json:"derived,omitempty"`
	// Inherit says the commit hands on its first parent's policy, not its
	// own: it was refused, or it kept a refused change without making one.
	// InertFrom names the refused commit whose change its tree carries.
	Inherit   bool   `json:"inherit,omitempty"`
	InertFrom string `json:"inert_from,omitempty"`
	// Compromised lists the keys the policy the commit put in force
	// declares compromised.
	Compromised []string `json:"compromised,omitempty"`
	// BadTree is the malformed tree the commit has ("" if none).
	BadTree string `json:"bad_tree,omitempty"`
	// Forge names the forge whose key signed the commit, a merge that
	// adds nothing.
	Forge string `json:"forge,omitempty"`
	// Accepts are the failed commits this one accepts; Excepted, when
	// set, is this commit's own failures, accepted by a governor.
	Accepts  []Exception `json:"accepts,omitempty"`
	Excepted *Exception  `json:"excepted,omitempty"`
	// Volatile outcomes depended on the time of verification and are not
	// cached.
	Volatile bool `json:"-"`
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
		if out, ok := v.cfg.Cache.get(v.ctx, id); ok && out.Parents != nil {
			n := &node{id: id, parents: *out.Parents, cached: out}
			v.nodes[id] = n
			return n, nil
		}
		c, err := v.h.Commit(id)
		if err != nil {
			return nil, err
		}
		n := &node{id: id, parents: c.Parents, c: c}
		if out, ok := v.cfg.Cache.get(v.ctx, id); ok {
			n.cached = out
		}
		v.nodes[id] = n
		return n, nil
	}
	first := &node{id: top.ID, parents: top.Parents, c: top}
	if out, ok := v.cfg.Cache.get(v.ctx, top.ID); ok {
		first.cached = out
	}
	v.nodes[top.ID] = first
	stack := []*node{first}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if n.id == v.cfg.Root.Commit {
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
		if f.n.id == v.cfg.Root.Commit || f.i >= len(f.n.parents) {
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

func (v *verifier) fail(c *vcs.Commit, rule, fp, person, hint, format string, a ...any) {
	v.cur.Failures = append(v.cur.Failures, Failure{Commit: c.ID, Rule: rule, Fingerprint: fp, Person: person, Hint: hint, Message: fmt.Sprintf(format, a...)})
}

func (v *verifier) warn(c *vcs.Commit, rule, fp, person, hint, format string, a ...any) {
	v.cur.Warnings = append(v.cur.Warnings, Failure{Commit: c.ID, Rule: rule, Fingerprint: fp, Person: person, Hint: hint, Message: fmt.Sprintf(format, a...)})
}

// kindsView is the record kinds a tree's schema/ gives.
type kindsView struct {
	kinds *schema.Set
	id    string
	err   error
}

// declared is the trust root a tree's qms.yaml states.
type declared struct {
	root   Root
	err    error
	forges []config.Forge
}

// view is what one commit's tree says about signing: its record kinds,
// its policy, the trust root it declares, and a digest of everything a
// governor must sign a change of.
type view struct {
	kinds    *schema.Set
	pol      *policy.Policy
	polErr   error
	root     Root
	rootErr  error
	governed string
	// The parts of governed, to say what a change changed.
	schemaHash, configHash, keysHash, polDigest string
	// forges are the forge keys qms.yaml declares.
	forges []*policy.Forge
}

// kindsAt returns the record kinds of a tree: the built-in schemas and the
// tree's own schema/, as 'qms validate' would load them there.
func (v *verifier) kindsAt(tree string, tfs fs.FS) (*kindsView, string, error) {
	sh, err := v.h.TreeHash(tree, schema.Dir)
	if err != nil {
		return nil, "", err
	}
	if k, ok := v.kinds[sh]; ok {
		return k, sh, nil
	}
	set, fs_ := schema.Load(qms.Defaults, tfs)
	k := &kindsView{kinds: set, id: hex.EncodeToString(set.Digest[:])}
	for _, f := range fs_ {
		if f.Severity != qms.Warning {
			k.err = fmt.Errorf("%s/ does not load: %s:%d: %s", schema.Dir, f.Path, f.Line, f.Message)
			break
		}
	}
	v.kinds[sh] = k
	return k, sh, nil
}

// declaredAt returns the trust root qms.yaml states in a tree.
func (v *verifier) declaredAt(tree string, tfs fs.FS) (*declared, string, error) {
	ch, err := v.h.TreeHash(tree, config.File)
	if err != nil {
		return nil, "", err
	}
	if d, ok := v.configs[ch]; ok {
		return d, ch, nil
	}
	d := &declared{}
	if ch != "" {
		b, err := fs.ReadFile(tfs, config.File)
		if err != nil {
			d.err = err
		} else if cfg, fs_ := config.Parse(b); len(fs_) > 0 && cfg.TrustRoot.Commit == "" {
			d.err = errors.New(fs_[0].Message)
		} else {
			if cfg.TrustRoot != (config.TrustRoot{}) {
				d.root, d.err = RootOf(cfg.TrustRoot)
			}
			if len(fs_) == 0 {
				d.forges = cfg.Forges
			}
		}
	}
	v.configs[ch] = d
	return d, ch, nil
}

// viewOf returns the view of a commit's tree. A malformed tree gives a
// view whose policy cannot be read.
func (v *verifier) viewOf(c *vcs.Commit) (*view, error) {
	w, err := v.readView(c)
	if errors.Is(err, vcs.ErrMalformedTree) {
		return &view{polErr: err, rootErr: err, governed: "malformed " + err.Error()}, nil
	}
	return w, err
}

func (v *verifier) readView(c *vcs.Commit) (*view, error) {
	tfs, err := v.h.TreeFS(c.Tree)
	if err != nil {
		return nil, err
	}
	kv, schemaHash, err := v.kindsAt(c.Tree, tfs)
	if err != nil {
		return nil, err
	}
	dv, configHash, err := v.declaredAt(c.Tree, tfs)
	if err != nil {
		return nil, err
	}
	keysHash, err := v.h.TreeHash(c.Tree, policy.KeysDir)
	if err != nil {
		return nil, err
	}
	key := strings.Join([]string{schemaHash, configHash, keysHash}, "/")
	var staffHash, matrixHash string
	if kv.err == nil {
		staff, matrix := kv.kinds.Kinds["staff"], kv.kinds.Kinds["matrix"]
		if staff != nil && matrix != nil {
			if staffHash, err = v.h.TreeHash(c.Tree, staff.Folder); err != nil {
				return nil, err
			}
			if matrixHash, err = v.h.TreeHash(c.Tree, matrix.File); err != nil {
				return nil, err
			}
		}
		key += "/" + staffHash + "/" + matrixHash
	}
	if w, ok := v.views[key]; ok {
		return w, nil
	}
	w := &view{kinds: kv.kinds, root: dv.root, rootErr: dv.err, schemaHash: schemaHash, configHash: configHash, keysHash: keysHash}
	if kv.err != nil {
		w.polErr = kv.err
	} else {
		w.pol, w.polErr = v.memo.Load(tfs, kv.kinds, kv.id)
	}
	if len(dv.forges) > 0 {
		w.forges = v.memo.Forges(tfs, dv.forges, w.pol)
	}
	var g strings.Builder
	fmt.Fprintf(&g, "schema %s\nconfig %s\nkeys %s\n", schemaHash, configHash, keysHash)
	switch {
	case w.polErr != nil:
		w.polDigest = "unreadable " + w.polErr.Error()
	default:
		w.polDigest = w.pol.Digest()
	}
	g.WriteString(w.polDigest)
	w.governed = g.String()
	v.views[key] = w
	return w, nil
}

// job is one commit on its way through Verify: what prepare read from the
// repository, then what verify found of its signature against each
// parent's policy.
type job struct {
	index int
	c     *vcs.Commit
	own   *view
	// badTree is the malformed tree the commit brought in ("" if none);
	// keptBadTree says it keeps one of its parent's.
	badTree     string
	keptBadTree bool
	sp          *signature.Signed
	spErr       error
	// Per parent: the commit, its view as its own tree states it (or the
	// root's own view, for the root), and the signature's verdict
	// against that view's policy. finish replaces a parent's view by the
	// policy the parent hands on when they differ.
	parents  []*vcs.Commit
	views    []*view
	ownViews []*view
	verdicts []*signature.Verdict
	vErrs    []error
	// forge holds, per parent, the verdict of the forge keys when no
	// staff member's key made the signature.
	forge []*forgeVerdict
	// accepts are the commits this one accepts (QMS-Accept trailers), and
	// badAccepts the trailers that do not read as one.
	accepts    []acceptLine
	badAccepts []string
	// written is what the commit wrote itself, for separation of duties.
	written    map[string]string
	writtenErr error
	// signs are the QMS-Sign trailers, and held the blob the commit's own
	// tree has at each signed path: a signature binds content its signer
	// had before them.
	signs     []Sign
	malformed []string
	held      map[string]string
}

// prepare reads everything a commit's check needs from the repository.
func (v *verifier) prepare(c *vcs.Commit) (*job, error) {
	j := &job{c: c}
	isRoot := c.ID == v.cfg.Root.Commit
	if !isRoot {
		// The root's parents are not part of the verified history.
		for _, pid := range c.Parents {
			parent, err := v.commit(v.nodes[pid])
			if err != nil {
				return nil, err
			}
			j.parents = append(j.parents, parent)
		}
	}
	if err := v.h.CheckTree(c.Tree); err != nil {
		var te *vcs.TreeError
		if !errors.As(err, &te) {
			return nil, err
		}
		v.badTrees[c.ID] = te.Tree
		for _, p := range j.parents {
			if v.badTree(p.ID) == te.Tree {
				j.keptBadTree = true
			}
		}
		if !j.keptBadTree {
			j.badTree = err.Error()
		}
		return j, nil
	}
	// What the commit wrote, whatever becomes of it: content of a commit
	// that fails is approved by no one.
	var trees []string // none for the root: all of its content is its signer's
	for _, parent := range j.parents {
		trees = append(trees, parent.Tree)
	}
	j.written, j.writtenErr = v.h.Written(c.Tree, trees)
	if c.Oversize {
		return j, nil
	}
	own, err := v.viewOf(c)
	if err != nil {
		return nil, err
	}
	j.own = own
	if !isRoot && len(c.Parents) == 0 {
		return j, nil
	}
	j.sp, j.spErr = signature.Split(c.Raw)
	if j.spErr != nil || j.sp.Kind == signature.None {
		return j, nil
	}
	if isRoot {
		j.views = []*view{own} // the root is checked against its own policy
	}
	for _, parent := range j.parents {
		pv, err := v.viewOf(parent)
		if err != nil {
			return nil, err
		}
		j.views = append(j.views, pv)
	}
	j.ownViews = append([]*view(nil), j.views...)
	j.verdicts = make([]*signature.Verdict, len(j.views))
	j.vErrs = make([]error, len(j.views))
	if strings.Contains(strings.ToLower(c.Message), strings.ToLower(AcceptTrailer)) {
		var bad []string
		j.accepts, bad = accepts(c.Message)
		j.badAccepts = bad
	}
	j.signs, j.malformed = Signs(c.Message)
	if len(j.signs) <= MaxSignatures {
		j.held = map[string]string{}
		for _, s := range j.signs {
			if _, ok := j.held[s.Path]; ok {
				continue
			}
			h, err := v.h.TreeHash(c.Tree, s.Path)
			if err != nil && !errors.Is(err, vcs.ErrMalformedTree) {
				return nil, err
			}
			j.held[s.Path] = h
		}
	}
	return j, nil
}

// badTree returns the malformed tree a commit of the history has, from this
// run or from its cached outcome ("" if none).
func (v *verifier) badTree(id string) string {
	if t := v.badTrees[id]; t != "" {
		return t
	}
	if out := v.outs[id]; out != nil {
		return out.BadTree
	}
	return ""
}

// verify checks the signature against each parent's policy; it reads
// nothing from the repository, so jobs run in parallel.
func (j *job) verify() {
	j.forge = make([]*forgeVerdict, len(j.views))
	for i, w := range j.views {
		if w.polErr != nil || w.pol == nil {
			continue
		}
		if i > 0 && w == j.views[i-1] {
			j.verdicts[i], j.vErrs[i], j.forge[i] = j.verdicts[i-1], j.vErrs[i-1], j.forge[i-1]
			continue
		}
		j.verdicts[i], j.vErrs[i] = verifySig(j.sp, w.pol)
		j.forge[i] = forgeVerify(j.sp, w, j.vErrs[i])
	}
}

// signedBy is what a signature said against one parent's policy.
type signedBy struct {
	parent string
	per    *policy.Person
	err    error
	rule   string
}

// finish applies the rules to a prepared and verified commit, in order,
// then records the policy the commit hands on.
func (v *verifier) finish(j *job) error {
	if err := v.check(j); err != nil {
		return err
	}
	c := j.c
	if v.badTrees[c.ID] != "" {
		v.cur.BadTree = v.badTrees[c.ID]
	}
	if ex, ok := v.accepted[c.ID]; ok && len(v.cur.Failures) > 0 {
		v.except(j, ex)
		if j.own == nil || j.own.polErr != nil {
			// A policy that cannot be read is no policy to put in force.
			v.cur.Inherit = true
		} else {
			v.collectCompromised(j.own)
		}
	}
	if len(v.cur.Failures) == 0 {
		if !v.cur.Inherit && j.own != nil {
			v.eff[c.ID] = &effective{v: j.own}
		}
		return nil
	}
	// A refused commit signs nothing, authors nothing (what it wrote is
	// approved by no one), and hands on what its first parent handed on:
	// its changes to the policy never take effect.
	v.cur.Signatures, v.cur.Authors = nil, nil
	v.cur.Inherit, v.cur.Compromised = true, nil
	if c.ID == v.cfg.Root.Commit || len(c.Parents) == 0 {
		return nil
	}
	first, err := v.effectiveOf(c.Parents[0])
	if err != nil {
		return err
	}
	v.cur.InertFrom = first.inertFrom
	if j.own != nil && j.own.governed != first.v.governed {
		v.cur.InertFrom = c.ID
	}
	v.unauthenticated(j)
	return nil
}

// check applies the rules to a commit; failures go to v.cur.
func (v *verifier) check(j *job) error {
	c := j.c
	isRoot := c.ID == v.cfg.Root.Commit
	switch {
	case c.Oversize:
		v.fail(c, RuleCommitSize, "", "", "split the change into smaller commits",
			"commit %s is %d bytes, more than the %d a commit may have: it is not read, and authenticates nothing", short(c.ID), c.Size, vcs.MaxCommitSize)
		return nil
	case j.badTree != "":
		v.fail(c, RuleMalformedTree, "", "", "git fsck names the problem; no tool writes such a tree, so it was made by hand: remove it from the history",
			"commit %s has a malformed tree: %s", short(c.ID), j.badTree)
		return nil
	case j.keptBadTree:
		v.fail(c, RuleMalformedTree, "", "", "", "commit %s keeps the malformed tree of its parent", short(c.ID))
		return nil
	}
	if !isRoot && len(c.Parents) == 0 {
		v.fail(c, RuleOrphan, signature.IssuerOf(c.Raw), "", "a history has one beginning, the trust root: merge nothing that starts a history of its own",
			"commit %s has no parent and is not the trust root %s: nothing can authorize it", short(c.ID), short(v.cfg.Root.Commit))
		return nil
	}
	if !isRoot {
		if errors.Is(j.own.polErr, policy.ErrNoPolicy) {
			v.fail(c, RulePolicyDeleted, "", "", "", "commit %s leaves no signing policy (%v): it cannot be accepted", short(c.ID), j.own.polErr)
			return nil
		}
		if j.own.polErr != nil {
			v.fail(c, RulePolicy, "", "", "", "commit %s leaves a signing policy that cannot be read: %v", short(c.ID), j.own.polErr)
			return nil
		}
	} else if j.own.polErr != nil {
		v.fail(c, RuleTrustRoot, "", "", "", "trust root %s has no signing policy: %v", short(c.ID), j.own.polErr)
		return nil
	}
	if j.spErr != nil {
		v.fail(c, RuleFormat, "", "", "", "commit %s: %v", short(c.ID), j.spErr)
		return nil
	}
	if j.sp.Kind == signature.None {
		hint := "sign every commit (git config commit.gpgSign true)"
		if f := v.forgeCommitter(c, j); f != "" {
			// A forge's "Rebase and merge" re-commits the branch unsigned.
			hint = fmt.Sprintf("%s committed it: a rebase on the forge makes new, unsigned commits; %s", f, mergeAdvice(f))
		}
		v.fail(c, RuleUnsigned, "", "", hint, "commit %s is not signed", short(c.ID))
		return nil
	}
	// Each parent's policy is the one it hands on: a refused commit's
	// changes never decide who may sign its children.
	var inertFrom string
	if !isRoot {
		for i, pid := range c.Parents {
			e, err := v.effectiveOf(pid)
			if err != nil {
				return err
			}
			if e.inertFrom != "" && inertFrom == "" {
				inertFrom = e.inertFrom
			}
			if e.v != j.views[i] {
				j.views[i] = e.v
				j.verdicts[i], j.vErrs[i], j.forge[i] = nil, nil, nil
				if e.v.polErr == nil && e.v.pol != nil {
					j.verdicts[i], j.vErrs[i] = verifySig(j.sp, e.v.pol)
					j.forge[i] = forgeVerify(j.sp, e.v, j.vErrs[i])
				}
			}
		}
	}
	issuer := signature.Issuer(j.sp)
	var got []signedBy
	var fp string
	var sigTime time.Time
	for i, w := range j.views {
		pid := c.ID
		if !isRoot {
			pid = c.Parents[i]
		}
		if w.polErr != nil {
			got = append(got, signedBy{parent: pid, err: fmt.Errorf("parent %s hands on no policy that can be used: %v", short(pid), w.polErr), rule: RulePolicy})
			continue
		}
		verdict, err := j.verdicts[i], j.vErrs[i]
		if err != nil {
			rule := RuleBadSignature
			switch {
			case errors.Is(err, signature.ErrPolicy):
				rule = RuleWeakSignature
			case errors.Is(err, signature.ErrUnknownKey):
				rule = RuleUnauthorized
				err = fmt.Errorf("signed by key %s, which no active staff member holds", orUnknown(issuer))
			case errors.Is(err, signature.ErrRevoked):
				rule = RuleUnauthorized
			}
			got = append(got, signedBy{parent: pid, err: err, rule: rule})
			continue
		}
		fp = verdict.Fingerprint
		sigTime = verdict.Created
		if sigTime.IsZero() {
			sigTime = c.Committer // SSH signatures carry no time of their own
		}
		// Judged no earlier than the latest parent: a signature dated a
		// little before its parent (within the tolerance) must not slip
		// under a revocation that parent recorded.
		at := sigTime
		for _, p := range j.parents {
			if p.Committer.After(at) && !p.Committer.After(v.limit()) {
				at = p.Committer
			}
		}
		per, _, err := w.pol.Signer(verdict, at)
		if err != nil {
			rule := RuleUnauthorized
			if errors.Is(err, signature.ErrPolicy) {
				rule = RuleWeakSignature
			}
			got = append(got, signedBy{parent: pid, per: per, err: err, rule: rule})
			continue
		}
		got = append(got, signedBy{parent: pid, per: per})
	}
	if f := forgeSigned(j, got); !isRoot && f != nil {
		return v.checkForge(c, j, f)
	}
	if !v.reportSigners(c, got, fp, issuer, isRoot) {
		return nil
	}
	signer := got[0].per
	if by, bad := v.compromised[fp]; bad {
		v.fail(c, RuleCompromised, fp, signer.ID, "a governor's revocation of a compromised key is for good: its signatures stay void",
			"commit %s was signed by %s's key %s, which was revoked as compromised on %s (in the policy of commit %s): all its signatures are void",
			short(c.ID), signer.Name, fp, by.at, short(by.commit))
		return nil
	}
	if !v.checkTime(c, j, fp, signer, sigTime) {
		return nil
	}
	if isRoot {
		if fp != v.cfg.Root.Signer {
			v.fail(c, RuleTrustRoot, fp, signer.ID, "check the trust root you verify from",
				"trust root %s is signed by %s, not by %s as the trust root requires", short(c.ID), fp, v.cfg.Root.Signer)
			return nil
		}
	} else {
		inherit, ok := v.checkGovernance(c, j, fp, signer, sigTime, inertFrom)
		if !ok {
			return nil
		}
		if inherit {
			v.cur.Inherit, v.cur.InertFrom = true, inertFrom
		}
	}
	if len(j.badAccepts) > 0 {
		v.fail(c, RuleAccept, fp, signer.ID, "write acceptances with 'qms accept'",
			"commit %s: malformed %s trailer %q (want: commit-id reason)", short(c.ID), AcceptTrailer, j.badAccepts[0])
	}
	if len(j.accepts) > 0 {
		v.checkAccepts(c, j, fp, signer, sigTime)
	}
	v.cur.Fingerprint = fp
	if !v.cur.Inherit {
		v.collectCompromised(j.own)
	}
	author := j.own.pol.ByEmail(c.AuthorEmail)
	if len(j.views) > 0 && j.views[0].pol != nil {
		author = j.views[0].pol.ByEmail(c.AuthorEmail)
	}
	v.collectSignatures(c, j, signer, author, fp, sigTime)
	v.collectAuthors(c, signer, author, j.written, j.writtenErr)
	return nil
}

// collectCompromised notes the keys a policy put in force declares
// compromised.
func (v *verifier) collectCompromised(w *view) {
	if w.pol == nil {
		return
	}
	for _, per := range w.pol.People {
		for _, k := range per.Keys {
			if k.Reason == policy.Compromised {
				v.cur.Compromised = append(v.cur.Compromised, k.Fingerprint+" "+k.RevokedAt.UTC().Format(time.RFC3339))
			}
		}
	}
	sort.Strings(v.cur.Compromised)
}

// limit is the latest time a commit may be dated: the time of
// verification and the margin (zero: no limit).
func (v *verifier) limit() time.Time {
	if v.cfg.Now.IsZero() {
		return time.Time{}
	}
	return v.cfg.Now.Add(FutureMargin)
}

// reportSigners checks that the signature names one and the same active
// staff member, with the same roles, in the policy of every parent (as
// Guix intersects authorizations), and reports once why not.
func (v *verifier) reportSigners(c *vcs.Commit, got []signedBy, fp, issuer string, isRoot bool) bool {
	where := "in the policy of parent"
	if isRoot {
		where = "in its own policy"
	}
	var bad []signedBy
	for _, g := range got {
		if g.err != nil {
			bad = append(bad, g)
		}
	}
	if len(bad) > 0 {
		// One failure per commit: the same reason for several parents is
		// said once, naming them all.
		byMsg := map[string][]string{}
		var order []string
		rules := map[string]signedBy{}
		for _, b := range bad {
			msg := b.err.Error()
			if _, ok := byMsg[msg]; !ok {
				order = append(order, msg)
				rules[msg] = b
			}
			byMsg[msg] = append(byMsg[msg], short(b.parent))
		}
		for _, msg := range order {
			b := rules[msg]
			person := ""
			if b.per != nil {
				person = b.per.ID
			}
			key := fp
			if key == "" {
				key = issuer
			}
			text := fmt.Sprintf("commit %s: %s (%s %s)", short(c.ID), msg, where, strings.Join(byMsg[msg], ", "))
			if b.rule == RulePolicy {
				text = fmt.Sprintf("commit %s: %s", short(c.ID), msg)
			}
			if isRoot {
				text = fmt.Sprintf("commit %s: %s (%s)", short(c.ID), msg, where)
			}
			if b.rule == RuleWeakSignature {
				text += ": a refusal by qms's crypto policy"
			}
			v.fail(c, b.rule, key, person, hintFor(b), "%s", text)
		}
		return false
	}
	first := got[0].per
	for _, g := range got[1:] {
		if g.per.ID != first.ID || !g.per.SameRoles(first) || g.per.Email != first.Email {
			v.fail(c, RuleIdentity, fp, "", "a merge is signed by someone both histories agree on: merge after the staff records agree",
				"commit %s: key %s belongs to %s (%s) in the policy of parent %s but to %s (%s) in the policy of parent %s",
				short(c.ID), fp, first.Name, strings.Join(first.Roles, ", "), short(got[0].parent), g.per.Name, strings.Join(g.per.Roles, ", "), short(g.parent))
			return false
		}
	}
	return true
}

func hintFor(b signedBy) string {
	var pe *signature.PolicyError
	if errors.As(b.err, &pe) && pe.Fix != "" {
		return pe.Fix
	}
	switch b.rule {
	case RuleUnauthorized:
		if errors.Is(b.err, signature.ErrRevoked) {
			return "the key file in keys/ holds a revocation of the key: sign with a key that is not revoked"
		}
		return "a governor adds a person and their key in a commit of their own, before that person signs anything"
	case RuleBadSignature:
		return "the signature does not match the commit: the commit was altered after signing, or signed with another key"
	}
	return ""
}

func orUnknown(s string) string {
	if s == "" {
		return "(unreadable)"
	}
	return s
}

// checkTime judges the signature's time: near the committer date, not
// before any parent's, not after the time of verification.
func (v *verifier) checkTime(c *vcs.Commit, j *job, fp string, signer *policy.Person, at time.Time) bool {
	limit := v.limit()
	if !limit.IsZero() && (at.After(limit) || c.Committer.After(limit)) {
		v.cur.Volatile = true
		v.fail(c, RuleFuture, fp, signer.ID, "a clock was wrong when it was made; no later commit can repair it",
			"commit %s is dated %s and signed at %s, later than now (%s)", short(c.ID),
			c.Committer.UTC().Format(time.RFC3339), at.UTC().Format(time.RFC3339), v.cfg.Now.UTC().Format(time.RFC3339))
		return false
	}
	if d := at.Sub(c.Committer); d > Tolerance || d < -Tolerance {
		v.fail(c, RuleSignatureTime, fp, signer.ID, "", "commit %s: signed at %s but committed at %s", short(c.ID),
			at.UTC().Format(time.RFC3339), c.Committer.UTC().Format(time.RFC3339))
		return false
	}
	for _, parent := range j.parents {
		if !limit.IsZero() && parent.Committer.After(limit) {
			// The parent is refused for its date; judging this commit by
			// it would let one bad date fail every honest child.
			v.cur.Volatile = true
			continue
		}
		if at.Before(parent.Committer.Add(-Tolerance)) {
			v.fail(c, RuleSignatureTime, fp, signer.ID, "", "commit %s: signed at %s, before its parent %s was committed (%s)", short(c.ID),
				at.UTC().Format(time.RFC3339), short(parent.ID), parent.Committer.UTC().Format(time.RFC3339))
			return false
		}
	}
	return true
}

// checkGovernance requires a governor of every parent's (effective)
// policy for a change of anything governed, and refuses a change that
// leaves nobody who could govern. A commit whose tree differs from the
// policy its parents hand on only because it keeps a refused change it
// did not make needs no governor, and hands that policy on (inherit): the
// refused change stays without effect. A governor who changes the policy
// vouches for all of it, refused change included (said as a warning).
func (v *verifier) checkGovernance(c *vcs.Commit, j *job, fp string, signer *policy.Person, at time.Time, inertFrom string) (inherit, ok bool) {
	changed, touched := false, false
	var what []string
	for i, w := range j.views {
		if w.governed != j.own.governed {
			changed = true
			what = append(what, changedParts(w, j.own)...)
		}
		if j.ownViews[i].governed != j.own.governed {
			touched = true
		}
	}
	if !changed {
		return false, true
	}
	if !touched {
		return true, true
	}
	what = dedupe(what)
	for i, w := range j.views {
		if !w.pol.Governs(signer) {
			v.fail(c, RuleGovernance, fp, signer.ID, "ask a holder of a governing role to make (and sign) this change",
				"commit %s changes %s, but %s (%s) holds no governing role (%s) in the policy of parent %s",
				short(c.ID), strings.Join(what, ", "), signer.Name, signer.ID, strings.Join(w.pol.Matrix.Govern, ", "), short(c.Parents[i]))
			return false, false
		}
	}
	if len(j.own.pol.Governors(at)) == 0 {
		why := "no active staff member with a governing role and a usable key"
		if j.own.pol.Matrix == nil {
			why = "a responsibility matrix that cannot be used (" + j.own.pol.MatrixProblem + ")"
		}
		v.fail(c, RuleLockout, fp, signer.ID, "keep at least one active governor with a valid key, and a usable matrix, in every change",
			"commit %s leaves %s: nobody could change the policy after it", short(c.ID), why)
		return false, false
	}
	if inertFrom != "" {
		v.warn(c, RuleAdopts, fp, signer.ID, "if that change was not meant, revert it in a governed commit",
			"commit %s, a policy change signed by the governor %s (%s), also puts in force the change of commit %s, which was refused: its tree still held it",
			short(c.ID), signer.Name, signer.ID, short(inertFrom))
	}
	return false, true
}

// changedParts names what differs between two views' governed parts.
func changedParts(a, b *view) []string {
	var out []string
	if a.schemaHash != b.schemaHash {
		out = append(out, "schema/")
	}
	if a.configHash != b.configHash {
		out = append(out, "qms.yaml")
	}
	if a.keysHash != b.keysHash {
		out = append(out, "keys/")
	}
	if a.polDigest != b.polDigest {
		out = append(out, "the staff records or the matrix")
	}
	return out
}

func dedupe(l []string) []string {
	var out []string
	for _, s := range l {
		if !contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// unauthenticated marks what a failed commit wrote: approved by no one.
func (v *verifier) unauthenticated(j *job) {
	for _, blob := range j.written {
		if !contains(v.cur.Unauthenticated, blob) {
			v.cur.Unauthenticated = append(v.cur.Unauthenticated, blob)
		}
	}
	sort.Strings(v.cur.Unauthenticated)
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

// collectAuthors records the signer, and the staff member the commit names
// as its author, as authors of every file the commit wrote.
func (v *verifier) collectAuthors(c *vcs.Commit, signer, author *policy.Person, written map[string]string, err error) {
	if err != nil {
		v.fail(c, RuleHistory, "", signer.ID, "", "commit %s: %v", short(c.ID), err)
		return
	}
	for _, blob := range written {
		key := blob
		if v.cur.Authors == nil {
			v.cur.Authors = map[string][]string{}
		}
		for _, per := range []*policy.Person{signer, author} {
			if per != nil && !contains(v.cur.Authors[key], per.ID) {
				v.cur.Authors[key] = append(v.cur.Authors[key], per.ID)
			}
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

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
