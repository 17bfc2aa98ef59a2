package approval

import (
	"errors"
	"fmt"
	"strings"

	"github.com/qms-tool/qms/internal/config"
	"github.com/qms-tool/qms/internal/vcs"
)

// Root is an introduction: the commit where verification starts, trusted
// as it is, and the fingerprint of the key that must have signed it. Both
// are required and exact: a ref name or a short id could be moved by the
// history being verified.
type Root struct {
	Commit string `json:"commit"`
	Signer string `json:"fingerprint"`
}

// String writes the root as --trust-root and QMS_TRUST_ROOT take it.
func (r Root) String() string { return r.Commit + ":" + r.Signer }

// IsZero reports whether the root is unset.
func (r Root) IsZero() bool { return r == Root{} }

// ErrRoot is wrapped by the errors for trust roots that are not a full
// commit id and a signer's fingerprint.
var ErrRoot = errors.New("a trust root is a full commit id and the fingerprint of its signer")

// Valid reports whether the root is a full commit id and a fingerprint.
func (r Root) Valid() error {
	switch {
	case !config.IsCommitID(r.Commit):
		return fmt.Errorf("%w: %q is not a commit id of 40 lower-case hex digits", ErrRoot, r.Commit)
	case r.Signer == "":
		return fmt.Errorf("%w: the fingerprint of the key that signed %s is missing", ErrRoot, short(r.Commit))
	case !config.IsFingerprint(r.Signer):
		return fmt.Errorf("%w: %q is not an OpenPGP fingerprint (40 or 64 upper-case hex digits) or an SSH one (SHA256:...)", ErrRoot, r.Signer)
	}
	return nil
}

// ParseRoot reads "COMMIT:FINGERPRINT", as --trust-root and QMS_TRUST_ROOT
// give it.
func ParseRoot(s string) (Root, error) {
	s = strings.TrimSpace(s)
	c, fp, _ := strings.Cut(s, ":")
	r := Root{Commit: c, Signer: fp}
	return r, r.Valid()
}

// RootOf reads the trust root qms.yaml states.
func RootOf(t config.TrustRoot) (Root, error) {
	r := Root{Commit: strings.TrimSpace(t.Commit), Signer: strings.TrimSpace(t.Fingerprint)}
	return r, r.Valid()
}

// Introduction finds where the history itself starts trusting: the trust
// root stated in qms.yaml by the earliest commits that state one (those
// with no ancestor stating one). It is the fallback when no root is given
// out of band, and a history cannot move it: a later change of trust_root
// is a change of qms.yaml, governed and reported. Unrelated commits that
// state different roots make the history ambiguous, and nothing is chosen.
// It returns the zero Root when no commit states a root.
func Introduction(h History, head string) (Root, string, error) {
	top, err := h.Commit(head)
	if err != nil {
		return Root{}, "", err
	}
	v := &verifier{h: h, configs: map[string]*declared{}}
	// Walk every commit once, parents first.
	type item struct {
		c    *vcs.Commit
		done bool
	}
	seen := map[string]bool{top.ID: true}
	stated := map[string]bool{} // commits at or above which a root is stated
	stack := []item{{c: top}}
	var found []struct {
		root   Root
		commit string
		err    error
	}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		if !it.done {
			stack[len(stack)-1].done = true
			for _, p := range it.c.Parents {
				if seen[p] {
					continue
				}
				seen[p] = true
				pc, err := h.Commit(p)
				if err != nil {
					return Root{}, "", err
				}
				stack = append(stack, item{c: pc})
			}
			continue
		}
		stack = stack[:len(stack)-1]
		c := it.c
		above := false
		for _, p := range c.Parents {
			above = above || stated[p]
		}
		if c.Oversize {
			stated[c.ID] = above
			continue
		}
		tfs, err := h.TreeFS(c.Tree)
		if errors.Is(err, vcs.ErrMalformedTree) {
			stated[c.ID] = above
			continue
		}
		if err != nil {
			return Root{}, "", err
		}
		d, _, err := v.declaredAt(c.Tree, tfs)
		if errors.Is(err, vcs.ErrMalformedTree) {
			stated[c.ID] = above
			continue
		}
		if err != nil {
			return Root{}, "", err
		}
		here := !d.root.IsZero() || d.err != nil
		if here && !above {
			found = append(found, struct {
				root   Root
				commit string
				err    error
			}{d.root, c.ID, d.err})
		}
		stated[c.ID] = above || here
	}
	if len(found) == 0 {
		return Root{}, "", nil
	}
	first := found[0]
	for _, f := range found[1:] {
		if f.root != first.root || (f.err == nil) != (first.err == nil) {
			return Root{}, "", fmt.Errorf("%w: commits %s and %s, neither an ancestor of the other, state different trust roots in qms.yaml (%s, %s): the history cannot say where it starts",
				ErrRoot, short(first.commit), short(f.commit), describeRoot(first.root, first.err), describeRoot(f.root, f.err))
		}
	}
	if first.err != nil {
		return Root{}, first.commit, fmt.Errorf("qms.yaml at %s: %w", short(first.commit), first.err)
	}
	return first.root, first.commit, nil
}

func describeRoot(r Root, err error) string {
	if err != nil {
		return "an unreadable one"
	}
	return r.String()
}

// Beginnings returns the parentless commits reachable from head: where
// the history begins (one, in a history that can be verified).
func Beginnings(h History, head string) ([]*vcs.Commit, error) {
	top, err := h.Commit(head)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{top.ID: true}
	stack := []*vcs.Commit{top}
	var out []*vcs.Commit
	for len(stack) > 0 {
		c := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if len(c.Parents) == 0 {
			out = append(out, c)
		}
		for _, p := range c.Parents {
			if seen[p] {
				continue
			}
			seen[p] = true
			pc, err := h.Commit(p)
			if err != nil {
				return nil, err
			}
			stack = append(stack, pc)
		}
	}
	return out, nil
}
