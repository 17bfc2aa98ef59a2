package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"
	"golang.org/x/crypto/ssh"

	"github.com/qms-tool/qms/internal/record"
	"github.com/qms-tool/qms/internal/signature"
)

// KeysDir holds the public key files staff records name.
const KeysDir = "keys"

// Revocation reasons. A compromised key's signatures are void whenever
// they were made; superseded and retired keys stay good for signatures
// made before the revocation.
const (
	Compromised = "compromised"
	Superseded  = "superseded"
	Retired     = "retired"
)

// Person is a staff member as the policy sees them.
type Person struct {
	ID, Name string
	Roles    []string
	// ActiveFrom and ActiveUntil are calendar dates: a person is active
	// from the start of ActiveFrom to the end of ActiveUntil (UTC); a zero
	// ActiveUntil means still active.
	ActiveFrom, ActiveUntil time.Time
	Keys                    []*Key
}

// HasRole reports whether the person holds one of roles.
func (p *Person) HasRole(roles ...string) bool {
	for _, r := range p.Roles {
		for _, want := range roles {
			if r == want {
				return true
			}
		}
	}
	return false
}

// Active reports whether the person was active at t.
func (p *Person) Active(t time.Time) bool {
	if t.Before(p.ActiveFrom) {
		return false
	}
	return p.ActiveUntil.IsZero() || t.Before(p.ActiveUntil.AddDate(0, 0, 1))
}

// Key is a signing key a staff record lists.
type Key struct {
	Type        string // openpgp or ssh
	Fingerprint string
	File        string
	RevokedAt   time.Time
	Reason      string // empty unless revoked
	Owner       *Person
}

// ValidAt reports whether a signature made at t with this key counts, and
// if not, why.
func (k *Key) ValidAt(t time.Time) error {
	switch {
	case k.Reason == Compromised:
		return fmt.Errorf("key %s was revoked as compromised on %s: all its signatures are void", k.Fingerprint, k.RevokedAt.UTC().Format(time.RFC3339))
	case k.Reason != "" && !t.Before(k.RevokedAt):
		return fmt.Errorf("key %s was revoked (%s) on %s, before this signature", k.Fingerprint, k.Reason, k.RevokedAt.UTC().Format(time.RFC3339))
	}
	return nil
}

// Rule is one row of the responsibility matrix.
type Rule struct {
	Kinds   []string
	Review  Signers
	Approve Signers
}

// Signers says who must sign: at least Min distinct people holding any of
// the roles.
type Signers struct {
	AnyOf []string
	Min   int
}

// Matrix is the responsibility matrix.
type Matrix struct {
	Roles              map[string]string
	Rules              []Rule
	Govern             []string
	SeparationOfDuties bool
}

// Policy is who may sign, as one tree states it.
type Policy struct {
	People map[string]*Person
	Matrix *Matrix
	// Keyring holds the OpenPGP keys staff records list; SSH the SSH ones.
	Keyring openpgp.EntityList
	SSH     []ssh.PublicKey
	keys    map[string]*Key // by fingerprint
	// Problems are what could not be read; a policy with problems still
	// answers for what it could read.
	Problems []string

	digestOnce sync.Once
	digest     string
	memo       *Memo // while loading
}

// ErrNoPolicy is returned when a tree has no staff records or no matrix:
// deleting the policy must never pass as a change of it.
var ErrNoPolicy = errors.New("no signing policy (staff records and responsibility matrix)")

// Load reads the policy of a tree: staff records from staffDir, the matrix
// from matrixPath, keys from keys/.
func Load(fsys fs.FS, staffDir, matrixPath string) (*Policy, error) {
	return (*Memo)(nil).Load(fsys, staffDir, matrixPath)
}

// Memo remembers parsed staff records and key files by their Git blob id,
// for file systems that know them (a commit's tree): a history changes a
// few staff records at a time, and parsing all of them again for every
// policy was most of the cost of loading one. A nil Memo remembers nothing.
type Memo struct {
	mu     sync.Mutex
	parsed map[string]parsed // by "what blob-id"
}

type parsed struct {
	v   any
	err error
}

// blobIDer is implemented by file systems over Git trees.
type blobIDer interface {
	BlobID(name string) (string, bool)
}

// Load is Load, remembering what it parses.
func (m *Memo) Load(fsys fs.FS, staffDir, matrixPath string) (*Policy, error) {
	p := &Policy{People: map[string]*Person{}, keys: map[string]*Key{}, memo: m}
	ents, err := fs.ReadDir(fsys, staffDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	for _, e := range ents {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".md") {
			continue
		}
		p.loadPerson(fsys, path.Join(staffDir, e.Name()))
	}
	p.memo = nil
	if b, err := fs.ReadFile(fsys, matrixPath); err == nil {
		p.Matrix = p.loadMatrix(matrixPath, b)
	}
	if len(p.People) == 0 || p.Matrix == nil {
		return p, ErrNoPolicy
	}
	return p, nil
}

func (p *Policy) problem(format string, a ...any) {
	p.Problems = append(p.Problems, fmt.Sprintf(format, a...))
}

// blobID returns the blob id of a file when the memo can use it.
func (p *Policy) blobID(fsys fs.FS, file string) string {
	if p.memo == nil {
		return ""
	}
	if b, ok := fsys.(blobIDer); ok {
		if id, ok := b.BlobID(file); ok {
			return id
		}
	}
	return ""
}

// parse reads a file and parses it, or takes what parse made of the same
// blob from the memo; what names the parser.
func (p *Policy) parse(fsys fs.FS, what, file string, parse func([]byte) (any, error)) (any, error) {
	key := p.blobID(fsys, file)
	if key != "" {
		key = what + " " + key
		p.memo.mu.Lock()
		e, ok := p.memo.parsed[key]
		p.memo.mu.Unlock()
		if ok {
			return e.v, e.err
		}
	}
	b, err := fs.ReadFile(fsys, file)
	if err != nil {
		return nil, err
	}
	v, err := parse(b)
	if key != "" {
		p.memo.mu.Lock()
		if p.memo.parsed == nil {
			p.memo.parsed = map[string]parsed{}
		}
		p.memo.parsed[key] = parsed{v, err}
		p.memo.mu.Unlock()
	}
	return v, err
}

// parseRecord parses a staff record.
func (p *Policy) parseRecord(fsys fs.FS, file string) (*record.Record, error) {
	v, err := p.parse(fsys, "record", file, func(b []byte) (any, error) {
		r, fs_ := record.Parse(file, b)
		if r == nil {
			return nil, errors.New(fs_[0].Message)
		}
		return r, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*record.Record), nil
}

func (p *Policy) loadPerson(fsys fs.FS, file string) {
	r, err := p.parseRecord(fsys, file)
	if err != nil {
		p.problem("%s: %v", file, err)
		return
	}
	d := r.Data
	id, _ := d["id"].(string)
	if id == "" {
		p.problem("%s: no id", file)
		return
	}
	per := &Person{ID: id, Name: str(d["name"]), Roles: strs(d["roles"])}
	var ok bool
	if per.ActiveFrom, ok = date(d["active_from"]); !ok {
		p.problem("%s: active_from is not a date", file)
		return
	}
	if v, present := d["active_until"]; present && v != nil {
		if per.ActiveUntil, ok = date(v); !ok {
			p.problem("%s: active_until is not a date", file)
			return
		}
	}
	keys, _ := d["keys"].([]any)
	for i, kv := range keys {
		m, _ := kv.(map[string]any)
		k := &Key{Type: str(m["type"]), Fingerprint: str(m["fingerprint"]), File: str(m["file"]), Owner: per}
		if rv, ok := m["revoked"].(map[string]any); ok {
			k.Reason = str(rv["reason"])
			if k.RevokedAt, ok = timestamp(rv["at"]); !ok {
				p.problem("%s: keys[%d].revoked.at is not a time", file, i)
				k.Reason = Compromised // unreadable revocation: trust nothing
			}
		}
		if err := p.loadKey(fsys, k); err != nil {
			p.problem("%s: keys[%d]: %v", file, i, err)
			continue
		}
		if other, dup := p.keys[k.Fingerprint]; dup {
			// One person per key (21 CFR 11.100): a shared key counts for
			// no one.
			p.problem("%s: key %s is also listed for %s", file, k.Fingerprint, other.Owner.ID)
			other.Reason, k.Reason = Compromised, Compromised
			continue
		}
		p.keys[k.Fingerprint] = k
		per.Keys = append(per.Keys, k)
	}
	p.People[id] = per
}

// loadKey reads the key file and checks that it holds the listed key.
func (p *Policy) loadKey(fsys fs.FS, k *Key) error {
	if k.File == "" || strings.ContainsAny(k.File, `/\`) || k.File == "." || k.File == ".." {
		return fmt.Errorf("file %q is not a file name in %s/", k.File, KeysDir)
	}
	if k.Type != "openpgp" && k.Type != "ssh" {
		return fmt.Errorf("unknown key type %q", k.Type)
	}
	v, err := p.keyFile(fsys, k.Type, path.Join(KeysDir, k.File))
	if err != nil {
		return fmt.Errorf("%s: %v", k.File, err)
	}
	switch k.Type {
	case "openpgp":
		el := v.(openpgp.EntityList)
		for _, e := range el {
			if e.PrimaryKey != nil && fingerprintHex(e.PrimaryKey.Fingerprint) == k.Fingerprint {
				p.Keyring = append(p.Keyring, e)
				return nil
			}
		}
		return fmt.Errorf("%s does not hold key %s (%d keys read)", k.File, k.Fingerprint, len(el))
	case "ssh":
		pub := v.(ssh.PublicKey)
		if fp := ssh.FingerprintSHA256(pub); fp != k.Fingerprint {
			return fmt.Errorf("%s holds key %s, not %s", k.File, fp, k.Fingerprint)
		}
		p.SSH = append(p.SSH, pub)
	}
	return nil
}

// keyFile parses a key file of a type (openpgp: an EntityList, ssh: a
// PublicKey).
func (p *Policy) keyFile(fsys fs.FS, typ, file string) (any, error) {
	return p.parse(fsys, typ, file, func(b []byte) (any, error) {
		if typ == "ssh" {
			pub, _, _, _, err := ssh.ParseAuthorizedKey(b)
			return pub, err
		}
		return openpgp.ReadArmoredKeyRing(bytes.NewReader(b))
	})
}

func (p *Policy) loadMatrix(file string, b []byte) *Matrix {
	r, fs_ := record.Parse(file, b)
	if r == nil {
		p.problem("%s: %s", file, fs_[0].Message)
		return nil
	}
	d := r.Data
	m := &Matrix{Roles: map[string]string{}, Govern: strs(d["govern"])}
	m.SeparationOfDuties, _ = d["separation_of_duties"].(bool)
	roles, _ := d["roles"].(map[string]any)
	for code, title := range roles {
		m.Roles[code] = str(title)
	}
	rules, _ := d["rules"].([]any)
	for _, rv := range rules {
		rm, _ := rv.(map[string]any)
		m.Rules = append(m.Rules, Rule{Kinds: strs(rm["kinds"]), Review: signers(rm["review"]), Approve: signers(rm["approve"])})
	}
	return m
}

// Signer says who made a good signature at time t, or why it does not
// count: a key no staff record lists, a revoked key, a person not active.
func (p *Policy) Signer(v *signature.Verdict, t time.Time) (*Person, *Key, error) {
	k := p.keys[v.Fingerprint]
	if k == nil {
		return nil, nil, fmt.Errorf("key %s is in no staff record", v.Fingerprint)
	}
	if err := k.ValidAt(t); err != nil {
		return k.Owner, k, err
	}
	if !k.Owner.Active(t) {
		return k.Owner, k, fmt.Errorf("%s (%s) was not active on %s", k.Owner.Name, k.Owner.ID, t.UTC().Format(time.DateOnly))
	}
	return k.Owner, k, nil
}

// Compromised returns the key with that fingerprint if this policy
// declares it compromised: every signature it ever made is void, including
// those checked against earlier policies that did not know it yet.
func (p *Policy) Compromised(fingerprint string) (*Key, bool) {
	if p == nil {
		return nil, false
	}
	k := p.keys[fingerprint]
	if k == nil || k.Reason != Compromised {
		return nil, false
	}
	return k, true
}

// Governs reports whether the person holds a role that may change staff,
// keys and the matrix.
func (p *Policy) Governs(per *Person) bool {
	return p.Matrix != nil && per.HasRole(p.Matrix.Govern...)
}

// Rule returns the matrix rule for a kind of record, or nil.
func (m *Matrix) Rule(kind string) *Rule {
	for i := range m.Rules {
		for _, k := range m.Rules[i].Kinds {
			if k == kind {
				return &m.Rules[i]
			}
		}
	}
	return nil
}

func fingerprintHex(b []byte) string { return strings.ToUpper(fmt.Sprintf("%x", b)) }

func str(v any) string {
	s, _ := v.(string)
	return s
}

func strs(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, x := range l {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func signers(v any) Signers {
	m, _ := v.(map[string]any)
	s := Signers{AnyOf: strs(m["any_of"])}
	switch n := m["min"].(type) {
	case uint64:
		s.Min = int(n)
	case int64:
		s.Min = int(n)
	}
	return s
}

func date(v any) (time.Time, bool) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(time.DateOnly, s)
	return t, err == nil
}

func timestamp(v any) (time.Time, bool) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, s)
	return t, err == nil
}

// Digest describes everything in the policy that decides who may sign:
// people, roles, validity, keys and their revocations, and the matrix.
// Two trees whose digests differ have different policies, and the commit
// between them must be signed by a governor. Contact details do not count.
func (p *Policy) Digest() string {
	p.digestOnce.Do(func() { p.digest = p.computeDigest() })
	return p.digest
}

func (p *Policy) computeDigest() string {
	var b strings.Builder
	ids := make([]string, 0, len(p.People))
	for id := range p.People {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		per := p.People[id]
		roles := append([]string(nil), per.Roles...)
		sort.Strings(roles)
		fmt.Fprintf(&b, "person %s %q %s %s %s\n", id, per.Name, strings.Join(roles, ","),
			per.ActiveFrom.Format(time.DateOnly), per.ActiveUntil.Format(time.DateOnly))
		for _, k := range per.Keys {
			fmt.Fprintf(&b, " key %s %s %s %s\n", k.Type, k.Fingerprint, k.Reason, k.RevokedAt.UTC().Format(time.RFC3339))
		}
	}
	for _, pr := range p.Problems {
		fmt.Fprintf(&b, "problem %s\n", pr)
	}
	if m := p.Matrix; m != nil {
		codes := make([]string, 0, len(m.Roles))
		for c := range m.Roles {
			codes = append(codes, c)
		}
		sort.Strings(codes)
		for _, c := range codes {
			fmt.Fprintf(&b, "role %s %q\n", c, m.Roles[c])
		}
		for _, r := range m.Rules {
			fmt.Fprintf(&b, "rule %v %v/%d %v/%d\n", r.Kinds, r.Review.AnyOf, r.Review.Min, r.Approve.AnyOf, r.Approve.Min)
		}
		fmt.Fprintf(&b, "govern %v sod %v\n", m.Govern, m.SeparationOfDuties)
	}
	return b.String()
}
