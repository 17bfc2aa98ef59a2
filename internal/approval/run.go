package approval

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/qms-tool/qms/internal/check"
	"github.com/qms-tool/qms/internal/policy"
	"github.com/qms-tool/qms/internal/safefile"
	"github.com/qms-tool/qms/internal/vcs"
)

// Repository is what Run reads: the history, and what the clone says
// about its head and about git settings that show another history than
// the objects hold.
type Repository interface {
	History
	HeadRef() (string, error)
	Overrides() vcs.Overrides
}

var _ Repository = (*vcs.Repo)(nil)

// Where a trust root came from, as Result.RootSource says it.
const (
	FromFlag         = "--trust-root"
	FromEnv          = "QMS_TRUST_ROOT"
	FromPin          = ".git/qms/trust-root"
	FromIntroduction = "qms.yaml (the earliest introduction in the history)"
)

// Options say how Run verifies.
type Options struct {
	// Root, when set, is the trust root given out of band; RootSource
	// names where from (FromFlag, FromEnv).
	Root       Root
	RootSource string
	// StateDir keeps what a clone remembers (.git/qms): the pinned trust
	// root, the verified head of each branch, the cache. Empty: nothing.
	StateDir string
	// Remember writes the pin and the verified head after a run without
	// failures ('qms verify'); other commands only read them.
	Remember bool
	// AllowDowngrade accepts a head that does not descend from the one
	// verified before on the same branch.
	AllowDowngrade bool
	// NoCache checks every commit again.
	NoCache bool
	// Tool identifies the qms build, for the cache.
	Tool []byte
	// Now is the time of verification.
	Now time.Time
	// Head is the commit to verify ("" is HEAD). Another head than HEAD
	// remembers nothing and checks no rollback.
	Head string
	// NoStates skips the head's record states (Result.States is nil).
	NoStates bool
	// Reuse is an earlier Run of the same repository and trust root: its
	// cache and parsed policy files serve this one too.
	Reuse *Result
}

// Result is what Run found.
type Result struct {
	Report *Report
	States []State
	// RootSource says where the trust root came from.
	RootSource string
	// Ref is the branch verified ("" for a detached head).
	Ref string
	// Saved says what was remembered, for the user; Warnings what could
	// not be (the run still counts).
	Saved, Warnings []string

	cache *Cache
	memo  *policy.Memo
}

// ErrShallow is returned by Run when the clone lacks the history to verify:
// a shallow clone, as CI runners make by default.
var ErrShallow = errors.New("this clone is shallow: verification needs the history from the trust root on")

// ErrNoRoot is returned by Run when no trust root is given and the
// history states none.
var ErrNoRoot = errors.New("no trust root: history is authenticated from a commit you trust")

// Run verifies the history of HEAD as every command that shows approvals
// must: the trust root chosen by one rule (given out of band, else pinned
// in the clone, else the history's earliest introduction), every commit
// from it authenticated, each record at HEAD given its state, and the
// branch's last verified head checked for a rollback.
func Run(repo Repository, opts Options) (*Result, error) {
	res := &Result{}
	head := opts.Head
	if head == "" {
		head = "HEAD"
	}
	root, source := opts.Root, opts.RootSource
	if root.IsZero() && opts.StateDir != "" {
		if b, err := os.ReadFile(filepath.Join(opts.StateDir, "trust-root")); err == nil {
			r, err := ParseRoot(string(b))
			if err != nil {
				return nil, fmt.Errorf("%s: %w", filepath.Join(opts.StateDir, "trust-root"), err)
			}
			root, source = r, FromPin
		}
	}
	var statedAt string
	if root.IsZero() {
		r, at, err := Introduction(repo, head)
		statedAt = at
		if err != nil {
			if o := repo.Overrides(); len(o.Shallow) > 0 {
				return nil, fmt.Errorf("%w (%d boundary commit(s) in .git/shallow): %v", ErrShallow, len(o.Shallow), err)
			}
			return nil, err
		}
		if r.IsZero() {
			return nil, ErrNoRoot
		}
		root, source = r, FromIntroduction
	}
	res.RootSource = source
	cfg := Config{Root: root, Now: opts.Now, Memo: &policy.Memo{}}
	if r := opts.Reuse; r != nil && r.Report != nil && r.Report.Root == root {
		cfg.Memo = r.memo
		if !opts.NoCache {
			cfg.Cache = r.cache
		}
	} else if !opts.NoCache && opts.StateDir != "" {
		cfg.Cache = OpenCache(filepath.Join(opts.StateDir, "verify-cache"), cfg, opts.Tool)
	}
	res.cache, res.memo = cfg.Cache, cfg.Memo
	rep, err := Verify(repo, head, cfg)
	if err != nil {
		if o := repo.Overrides(); len(o.Shallow) > 0 {
			return nil, fmt.Errorf("%w (%d boundary commit(s) in .git/shallow): %v", ErrShallow, len(o.Shallow), err)
		}
		return nil, err
	}
	if err := cfg.Cache.Save(); err != nil {
		res.Warnings = append(res.Warnings, fmt.Sprintf("cannot save the verify cache: %v", err))
	}
	res.Report = rep
	if source == FromIntroduction {
		// A root the history chose for itself is sound only where the
		// history begins: before a later one, commits anyone could have
		// made chose it.
		if c, err := repo.Commit(root.Commit); err == nil && len(c.Parents) > 0 {
			rep.Failures = append(rep.Failures, Failure{Commit: root.Commit, Rule: RuleTrustRoot,
				Message: fmt.Sprintf("the history's own trust root, stated in qms.yaml at %s, is commit %s, which is not where the history begins: the commits before it are not verified, and whoever made them could have chosen it", short(statedAt), short(root.Commit)),
				Hint:    "give the trust root out of band: --trust-root COMMIT:FINGERPRINT, or QMS_TRUST_ROOT in CI"})
		}
	}
	if !opts.NoStates {
		if res.States, err = headStates(repo, rep); err != nil {
			return nil, err
		}
	}
	if o := repo.Overrides(); o.Replace > 0 || o.Grafts {
		var what []string
		if o.Replace > 0 {
			what = append(what, fmt.Sprintf("%d replace ref(s) (refs/replace/)", o.Replace))
		}
		if o.Grafts {
			what = append(what, "a grafts file (.git/info/grafts)")
		}
		rep.Warnings = append(rep.Warnings, Failure{Commit: rep.Head, Rule: RuleOverride,
			Message: fmt.Sprintf("this clone has %s: 'git log' may show another history than the one verified here, which reads the objects themselves", strings.Join(what, " and ")),
			Hint:    "git replace -d / remove .git/info/grafts unless you know why they are there"})
	}
	res.Ref, _ = repo.HeadRef()
	if opts.StateDir == "" || head != "HEAD" {
		return res, nil
	}
	headFile := verifiedFile(opts.StateDir, res.Ref)
	if headFile != "" && !opts.AllowDowngrade {
		last := readLast(opts.StateDir, res.Ref)
		if last != "" && !rep.Contains(last) {
			rep.Failures = append(rep.Failures, Failure{Commit: rep.Head, Rule: RuleRollback,
				Message: fmt.Sprintf("HEAD %s does not descend from %s, verified before on %s: the history was rewritten or rolled back", short(rep.Head), short(last), res.Ref),
				Hint:    "if the rewrite was intended, run 'qms verify --allow-downgrade' once"})
		}
	}
	if !opts.Remember || len(rep.Failures) > 0 {
		return res, nil
	}
	if headFile != "" {
		if err := safefile.Write(headFile, []byte(rep.Head+"\n"), 0o600); err != nil {
			res.Warnings = append(res.Warnings, fmt.Sprintf("cannot remember the verified head: %v", err))
		}
	}
	pin := filepath.Join(opts.StateDir, "trust-root")
	if source != FromPin {
		if b, err := os.ReadFile(pin); err != nil || strings.TrimSpace(string(b)) != root.String() {
			if err := safefile.Write(pin, []byte(root.String()+"\n"), 0o600); err != nil {
				res.Warnings = append(res.Warnings, fmt.Sprintf("cannot pin the trust root: %v", err))
			} else {
				res.Saved = append(res.Saved, fmt.Sprintf("trust root %s pinned in %s", root, FromPin))
			}
		}
	}
	return res, nil
}

// verifiedFile is where the verified head of a branch is kept ("" for a
// detached head, which remembers nothing).
func verifiedFile(stateDir, ref string) string {
	if ref == "" || !strings.HasPrefix(ref, "refs/") || strings.Contains(ref, "..") {
		return ""
	}
	return filepath.Join(stateDir, "verified", filepath.FromSlash(ref))
}

// readLast returns the head last verified on ref. A clone verified by an
// earlier qms kept one head for the whole clone ("verified-head"): it
// counts for main only.
func readLast(stateDir, ref string) string {
	if b, err := os.ReadFile(verifiedFile(stateDir, ref)); err == nil {
		return strings.TrimSpace(string(b))
	}
	if ref == "refs/heads/main" || ref == "refs/heads/master" {
		if b, err := os.ReadFile(filepath.Join(stateDir, "verified-head")); err == nil {
			return strings.TrimSpace(string(b))
		}
	}
	return ""
}

// headStates lists the records of the head's tree, with the head's own
// record kinds, and computes their states. A file under records/ that no
// kind claims is listed too, as a record nobody can approve, so that
// moving a kind's folder cannot drop records from the list.
func headStates(h History, rep *Report) ([]State, error) {
	if rep.HeadKinds == nil {
		return nil, nil
	}
	head, err := h.Commit(rep.Head)
	if err != nil {
		return nil, err
	}
	tree, err := h.TreeFS(head.Tree)
	if errors.Is(err, vcs.ErrMalformedTree) {
		return nil, nil // a failure says so
	}
	if err != nil {
		return nil, err
	}
	paths, listed, err := check.List(rep.HeadKinds, check.FS{FS: tree})
	if errors.Is(err, vcs.ErrMalformedTree) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	blobs, err := h.Written(head.Tree, nil) // every file at HEAD, in one walk
	if err != nil {
		return nil, err
	}
	var recs []Record
	for _, p := range paths {
		recs = append(recs, Record{Path: p, Kind: check.KindOf(rep.HeadKinds, p).Name, Blob: blobs[p]})
	}
	for _, f := range listed {
		if f.Rule == "unknown-kind" && path.Ext(f.Path) == ".md" {
			recs = append(recs, Record{Path: f.Path, Blob: blobs[f.Path]})
		}
	}
	return States(recs, rep.Evidence()), nil
}
