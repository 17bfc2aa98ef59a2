package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	openpgp "github.com/ProtonMail/go-crypto/openpgp/v2"
	"golang.org/x/crypto/ssh"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/check"
	"github.com/qms-tool/qms/internal/config"
	"github.com/qms-tool/qms/internal/record"
	"github.com/qms-tool/qms/internal/records"
	"github.com/qms-tool/qms/internal/schema"
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

// Rules of the findings Check and Load report.
const (
	RuleStaff  = "policy-staff"  // a staff record the policy cannot use
	RuleKey    = "signing-key"   // a key entry or key file that cannot sign
	RuleMatrix = "policy-matrix" // a matrix the policy cannot use, for a reason its schema does not see
	// RuleUnreadable is a staff record or matrix the policy cannot use
	// because it does not pass its schema ('qms validate' reports why).
	RuleUnreadable = "policy-unreadable"
	RuleNoGovernor = "no-governor"  // nobody could change the policy any more
	RuleSharedKey  = "shared-key"   // one key listed for two people
	RuleShared     = "shared-email" // one email for two people
	// RuleKeyFile is the rule 'qms validate' reports a missing key file
	// under; the policy uses it too, so that the two say it once.
	RuleKeyFile = "file-missing"
)

// ValidateRules are the rules of Check's findings that 'qms validate'
// reports besides its own checks of each record (which find the rest).
var ValidateRules = map[string]bool{RuleKey: true, RuleSharedKey: true, RuleShared: true, RuleNoGovernor: true, RuleMatrix: true}

// Person is a staff member as the policy sees them.
type Person struct {
	ID, Name, Email string
	Roles           []string
	// ActiveFrom and ActiveUntil are calendar dates: a person is active
	// from the start of ActiveFrom to the end of ActiveUntil (UTC); a zero
	// ActiveUntil means still active.
	ActiveFrom, ActiveUntil time.Time
	Keys                    []*Key
	// File is the staff record's path.
	File string
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

// SameRoles reports whether two people hold exactly the same roles.
func (p *Person) SameRoles(o *Person) bool {
	a, b := sortedCopy(p.Roles), sortedCopy(o.Roles)
	return strings.Join(a, "\x00") == strings.Join(b, "\x00")
}

// Key is a signing key a staff record lists.
type Key struct {
	Type        string // openpgp or ssh
	Fingerprint string
	File        string
	RevokedAt   time.Time
	Reason      string // empty unless revoked
	Owner       *Person
	// Refused, when set, is why qms's crypto policy refuses the key
	// (wrapping signature.ErrPolicy): it is listed, and nothing it signs
	// counts.
	Refused error
	// Entity is the OpenPGP key as read from its file (nil for SSH).
	Entity *openpgp.Entity
	// SSH is the SSH key as read from its file (nil for OpenPGP).
	SSH ssh.PublicKey
	// Pos is where the staff record lists the key.
	Pos record.Pos
}

// ValidAt reports whether a signature made at t with this key counts, and
// if not, why.
func (k *Key) ValidAt(t time.Time) error {
	switch {
	case k.Refused != nil:
		return fmt.Errorf("key %s: %w", k.Fingerprint, k.Refused)
	case k.Reason == Compromised:
		return fmt.Errorf("key %s was revoked as compromised on %s: all its signatures are void", k.Fingerprint, k.RevokedAt.UTC().Format(time.RFC3339))
	case k.Reason != "" && !t.Before(k.RevokedAt):
		return fmt.Errorf("key %s was revoked (%s) on %s, before this signature", k.Fingerprint, k.Reason, k.RevokedAt.UTC().Format(time.RFC3339))
	}
	return nil
}

// Usable reports whether the key could make a signature that counts at t:
// valid as listed, and for OpenPGP keys valid at t as the key file states
// (not expired, not revoked, a key that can sign).
func (k *Key) Usable(t time.Time) error {
	if err := k.ValidAt(t); err != nil {
		return err
	}
	if k.Entity != nil {
		if err := signature.CheckOpenPGPKey(k.Entity, t); err != nil {
			return fmt.Errorf("key %s: %w", k.Fingerprint, err)
		}
	}
	return nil
}

// Rule is one row of the responsibility matrix.
type Rule struct {
	Kinds   []string
	Review  Signers
	Approve Signers
}

// Signers says who must sign: at least Min (one or more) distinct people
// holding any of the roles.
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
	// ReviewAndApproval lets one person's signatures count for both the
	// review and the approval of the same content; by default they count
	// for one of the two.
	ReviewAndApproval bool
}

// Policy is who may sign, as one tree states it.
type Policy struct {
	People map[string]*Person
	// Matrix is nil when the tree's matrix cannot be read; MatrixProblem
	// then says why. Records are then approved by no one.
	Matrix        *Matrix
	MatrixProblem string
	// Keyring holds the OpenPGP keys staff records list; SSH the SSH ones.
	Keyring openpgp.EntityList
	SSH     []ssh.PublicKey
	keys    map[string]*Key // by fingerprint
	// Problems are what could not be used, as findings of the files;
	// a policy with problems still answers for what it could read, and
	// its problems are part of its digest.
	Problems []qms.Finding

	matrixFile string
	digestOnce sync.Once
	digest     string
}

// ErrNoPolicy is returned when a tree has no staff records or no matrix:
// deleting the policy must never pass as a change of it.
var ErrNoPolicy = errors.New("no signing policy (staff records and responsibility matrix)")

// Load reads the policy of a tree, whose record kinds are kinds: the staff
// records (listed and checked exactly as 'qms validate' lists and checks
// them), the responsibility matrix, and the key files under keys/.
func Load(fsys fs.FS, kinds *schema.Set) (*Policy, error) {
	return (*Memo)(nil).Load(fsys, kinds, "")
}

// Memo remembers parsed staff records and key files by their Git blob id,
// for file systems that know them (a commit's tree): a history changes a
// few staff records at a time, and parsing all of them again for every
// policy was most of the cost of loading one. A nil Memo remembers nothing.
type Memo struct {
	mu     sync.Mutex
	parsed map[string]parsed // by "what kinds-id blob-id"
}

type parsed struct {
	v   any
	err error
}

// blobIDer is implemented by file systems over Git trees.
type blobIDer interface {
	BlobID(name string) (string, bool)
}

// loader is one Load in progress.
type loader struct {
	p       *Policy
	fsys    fs.FS
	memo    *Memo
	kindsID string
	checked map[string][]qms.Finding
}

// LoadChecked is Load for a caller that has just checked every record of
// fsys with check.File ('qms validate'): checked holds each record's
// findings (no entry: not checked), so that the staff records are not
// checked against their schema a second time.
func LoadChecked(fsys fs.FS, kinds *schema.Set, checked map[string][]qms.Finding) (*Policy, error) {
	return (*Memo)(nil).load(fsys, kinds, "", checked)
}

// Load is Load, remembering what it parses; kindsID identifies the record
// kinds (a hash of the schema files they came from), since a staff record
// checks differently under another schema. An empty kindsID remembers
// nothing.
func (m *Memo) Load(fsys fs.FS, kinds *schema.Set, kindsID string) (*Policy, error) {
	return m.load(fsys, kinds, kindsID, nil)
}

func (m *Memo) load(fsys fs.FS, kinds *schema.Set, kindsID string, checked map[string][]qms.Finding) (*Policy, error) {
	p := &Policy{People: map[string]*Person{}, keys: map[string]*Key{}}
	l := &loader{p: p, fsys: fsys, memo: m, kindsID: kindsID, checked: checked}
	if kindsID == "" {
		l.memo = nil
	}
	staff, matrix := kinds.Kinds["staff"], kinds.Kinds["matrix"]
	if staff == nil || matrix == nil || staff.Folder == "" || matrix.File == "" {
		return p, fmt.Errorf("%w: the record kinds declare no staff folder or matrix file", ErrNoPolicy)
	}
	paths, listed, err := records.ListKind(kinds, fsys, staff)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", staff.Folder, err)
	}
	for _, f := range listed {
		f.Rule = RuleStaff
		p.Problems = append(p.Problems, f)
	}
	for _, file := range paths {
		l.person(staff, file)
	}
	l.dedupe()
	p.matrixFile = matrix.File
	if _, err := fs.Stat(fsys, matrix.File); errors.Is(err, fs.ErrNotExist) {
		return p, fmt.Errorf("%w: %s is missing", ErrNoPolicy, matrix.File)
	}
	l.matrix(matrix)
	if len(p.People) == 0 {
		return p, fmt.Errorf("%w: no usable staff record in %s", ErrNoPolicy, staff.Folder)
	}
	qms.SortFindings(p.Problems)
	return p, nil
}

func (l *loader) problem(file string, pos record.Pos, rule, hint, format string, a ...any) {
	l.p.Problems = append(l.p.Problems, qms.Finding{Path: file, Line: pos.Line, Column: pos.Col, Rule: rule,
		Severity: qms.Error, Message: fmt.Sprintf(format, a...), Hint: hint})
}

// remember returns what parse made of file before, by its blob id, or
// parses it now.
func (l *loader) remember(what, file string, parse func([]byte) (any, error)) (any, error) {
	key := ""
	if l.memo != nil {
		if b, ok := l.fsys.(blobIDer); ok {
			if id, ok := b.BlobID(file); ok {
				key = what + " " + l.kindsID + " " + id
			}
		}
	}
	if key != "" {
		l.memo.mu.Lock()
		e, ok := l.memo.parsed[key]
		l.memo.mu.Unlock()
		if ok {
			return e.v, e.err
		}
	}
	b, err := fs.ReadFile(l.fsys, file)
	if err != nil {
		return nil, err
	}
	v, err := parse(b)
	if key != "" {
		l.memo.mu.Lock()
		if l.memo.parsed == nil {
			l.memo.parsed = map[string]parsed{}
		}
		l.memo.parsed[key] = parsed{v, err}
		l.memo.mu.Unlock()
	}
	return v, err
}

// checked is a record parsed and checked against its kind's schema.
type checked struct {
	rec      *record.Record
	findings []qms.Finding
}

// record reads a staff record or the matrix as 'qms validate' checks it.
func (l *loader) record(k *schema.Kind, file string) (*checked, error) {
	v, err := l.remember("record", file, func(b []byte) (any, error) {
		r, fs_ := record.Parse(file, b)
		if r == nil {
			return &checked{findings: fs_}, nil
		}
		if found, ok := l.checked[file]; ok {
			return &checked{rec: r, findings: found}, nil
		}
		_, more := check.CheckFile(k, file, b)
		return &checked{rec: r, findings: more}, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*checked), nil
}

func firstError(fs_ []qms.Finding) *qms.Finding {
	for i := range fs_ {
		if fs_[i].Severity != qms.Warning {
			return &fs_[i]
		}
	}
	return nil
}

func (l *loader) person(k *schema.Kind, file string) {
	c, err := l.record(k, file)
	if err != nil {
		l.problem(file, record.Pos{Line: 1, Col: 1}, RuleStaff, "", "cannot read the staff record: %v", err)
		return
	}
	if f := firstError(c.findings); f != nil || c.rec == nil {
		msg := "the staff record does not parse"
		pos := record.Pos{Line: 1, Col: 1}
		if f != nil {
			msg, pos = f.Message, record.Pos{Line: f.Line, Col: f.Column}
		}
		l.problem(file, pos, RuleStaff, "fix the record ('qms validate' shows every finding): until then this person can sign nothing",
			"not in the signing policy: %s", msg)
		return
	}
	r := c.rec
	d := r.Data
	id, _ := d["id"].(string)
	if want := strings.TrimSuffix(path.Base(file), ".md"); id != want {
		l.problem(file, r.Locate([]string{"id"}), RuleStaff, "rename the file or fix the id", "not in the signing policy: id %q is not the file name %q", id, want)
		return
	}
	per := &Person{ID: id, Name: str(d["name"]), Email: strings.ToLower(str(d["email"])), Roles: strs(d["roles"]), File: file}
	var ok bool
	if per.ActiveFrom, ok = date(d["active_from"]); !ok {
		l.problem(file, r.Locate([]string{"active_from"}), RuleStaff, "", "not in the signing policy: active_from is not a date")
		return
	}
	if v, present := d["active_until"]; present && v != nil {
		if per.ActiveUntil, ok = date(v); !ok {
			l.problem(file, r.Locate([]string{"active_until"}), RuleStaff, "", "not in the signing policy: active_until is not a date")
			return
		}
	}
	keys, _ := d["keys"].([]any)
	for i, kv := range keys {
		m, _ := kv.(map[string]any)
		ptr := []string{"keys", fmt.Sprint(i)}
		key := &Key{Type: str(m["type"]), Fingerprint: str(m["fingerprint"]), File: str(m["file"]), Owner: per, Pos: r.Locate(ptr)}
		if rv, ok := m["revoked"].(map[string]any); ok {
			key.Reason = str(rv["reason"])
			at, ok := timestamp(rv["at"])
			switch {
			case !ok:
				l.problem(file, r.Locate(append(ptr, "revoked", "at")), RuleKey, "", "keys[%d].revoked.at is not a time: the key counts as compromised", i)
				key.Reason = Compromised // unreadable revocation: trust nothing
			case key.Reason != Compromised && key.Reason != Superseded && key.Reason != Retired:
				l.problem(file, r.Locate(append(ptr, "revoked", "reason")), RuleKey, "", "keys[%d].revoked.reason %q is unknown: the key counts as compromised", i, key.Reason)
				key.Reason = Compromised
			}
			key.RevokedAt = at
		}
		if err := l.loadKey(key); err != nil {
			rule := RuleKey
			if errors.Is(err, fs.ErrNotExist) {
				rule = RuleKeyFile
			}
			l.problem(file, key.Pos, rule, "", "keys[%d]: %v", i, err)
			continue
		}
		if other, dup := l.p.keys[key.Fingerprint]; dup {
			// One person per key (21 CFR 11.100): a shared key counts for
			// no one.
			l.problem(file, key.Pos, RuleSharedKey, "a key belongs to one person: give each their own", "key %s is also listed for %s: it counts for neither", key.Fingerprint, other.Owner.ID)
			other.Reason, key.Reason = Compromised, Compromised
			continue
		}
		if key.Refused != nil {
			hint := ""
			var pe *signature.PolicyError
			if errors.As(key.Refused, &pe) {
				hint = pe.Fix
			}
			l.problem(file, key.Pos, RuleKey, hint, "keys[%d] (%s): %v", i, key.Fingerprint, key.Refused)
		}
		l.p.keys[key.Fingerprint] = key
		per.Keys = append(per.Keys, key)
	}
	if other, dup := l.p.People[id]; dup {
		// Cannot happen while ids equal file names; kept so that no
		// reading of the tree can make one person replace another.
		l.problem(file, r.Locate([]string{"id"}), RuleStaff, "", "id %q is also the id of %s", id, other.File)
		l.p.People[id] = nil
		return
	}
	l.p.People[id] = per
}

// dedupe removes people whose id or email another record also claims:
// neither can be told apart from the other, so neither signs.
func (l *loader) dedupe() {
	byEmail := map[string][]*Person{}
	for id, per := range l.p.People {
		if per == nil {
			delete(l.p.People, id)
			continue
		}
		if per.Email != "" {
			byEmail[per.Email] = append(byEmail[per.Email], per)
		}
	}
	for email, ps := range byEmail {
		if len(ps) < 2 {
			continue
		}
		sort.Slice(ps, func(i, j int) bool { return ps[i].ID < ps[j].ID })
		for _, per := range ps {
			l.problem(per.File, record.Pos{Line: 1, Col: 1}, RuleShared, "give each person their own email address",
				"not in the signing policy: email %s is listed for %d people", email, len(ps))
			for _, k := range per.Keys {
				delete(l.p.keys, k.Fingerprint)
			}
			delete(l.p.People, per.ID)
		}
	}
	for _, k := range l.p.keys {
		switch {
		case k.Entity != nil:
			l.p.Keyring = append(l.p.Keyring, k.Entity)
		case k.SSH != nil:
			l.p.SSH = append(l.p.SSH, k.SSH)
		}
	}
	// The keyring's order decides nothing, but keep it stable.
	sort.Slice(l.p.Keyring, func(i, j int) bool {
		return bytes.Compare(l.p.Keyring[i].PrimaryKey.Fingerprint, l.p.Keyring[j].PrimaryKey.Fingerprint) < 0
	})
}

// openPGPKey is a key file's one OpenPGP key, and whether qms's policy
// refuses it for its algorithms.
type openPGPKey struct {
	e       *openpgp.Entity
	refused error
}

// loadKey reads the key file and checks that it holds the listed key,
// and only that key.
func (l *loader) loadKey(k *Key) error {
	if k.File == "" || strings.ContainsAny(k.File, `/\`) || k.File == "." || k.File == ".." || strings.HasPrefix(k.File, ".") {
		return fmt.Errorf("file %q is not a file name in %s/", k.File, KeysDir)
	}
	file := path.Join(KeysDir, k.File)
	switch k.Type {
	case "openpgp":
		v, err := l.remember("openpgp", file, readOpenPGPKey)
		if err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		key := v.(*openPGPKey)
		if fp := fingerprintHex(key.e.PrimaryKey.Fingerprint); fp != k.Fingerprint {
			return fmt.Errorf("%s holds key %s, not %s", file, fp, k.Fingerprint)
		}
		k.Entity, k.Refused = key.e, key.refused
	case "ssh":
		v, err := l.remember("ssh", file, readSSHKey)
		if err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		pub := v.(ssh.PublicKey)
		if fp := ssh.FingerprintSHA256(pub); fp != k.Fingerprint {
			return fmt.Errorf("%s holds key %s, not %s", file, fp, k.Fingerprint)
		}
		k.SSH, k.Refused = pub, signature.CheckSSHKey(pub)
	default:
		return fmt.Errorf("unknown key type %q", k.Type)
	}
	return nil
}

// readOpenPGPKey reads an armored key file holding exactly one public key.
// go-crypto skips keys it cannot parse: the primary keys are counted in the
// packets, so that a file with one readable and one unreadable key is not
// taken for a file with one key.
func readOpenPGPKey(b []byte) (any, error) {
	if n := bytes.Count(b, []byte("-----BEGIN PGP")); n != 1 {
		return nil, fmt.Errorf("holds %d armored blocks: a key file holds one person's one key", n)
	}
	block, err := armor.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("not an armored OpenPGP public key: %w", err)
	}
	if block.Type != openpgp.PublicKeyType {
		return nil, fmt.Errorf("holds a %q block, not a public key", block.Type)
	}
	raw, err := io.ReadAll(io.LimitReader(block.Body, 1<<20+1))
	if err != nil {
		return nil, fmt.Errorf("not an armored OpenPGP public key: %w", err)
	}
	if len(raw) > 1<<20 {
		return nil, errors.New("larger than 1 MiB")
	}
	primaries := 0
	pr := packet.NewReader(bytes.NewReader(raw))
	for {
		p, err := pr.NextWithUnsupported()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("unreadable packet: %w", err)
		}
		if pk, ok := p.(*packet.PublicKey); ok && !pk.IsSubkey {
			primaries++
		}
		if _, ok := p.(*packet.PrivateKey); ok {
			return nil, errors.New("holds a private key: export the public key only (gpg --armor --export)")
		}
	}
	el, err := openpgp.ReadKeyRing(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	if primaries != 1 || len(el) != 1 {
		return nil, fmt.Errorf("holds %d keys (%d readable): a key file holds one person's one key", primaries, len(el))
	}
	e := el[0]
	signature.Warm(e)
	key := &openPGPKey{e: e}
	key.refused = algorithms(e)
	return key, nil
}

// algorithms refuses keys by their algorithms alone (DSA, ElGamal, RSA
// under 2048 bits), whatever the time: the primary key and every subkey
// that may sign.
func algorithms(e *openpgp.Entity) error {
	if err := signature.CheckAlgorithm(e.PrimaryKey); err != nil {
		return err
	}
	for _, sk := range e.Subkeys {
		if !sk.PublicKey.PubKeyAlgo.CanSign() {
			continue
		}
		if err := signature.CheckAlgorithm(sk.PublicKey); err != nil {
			return fmt.Errorf("signing subkey %s: %w", fingerprintHex(sk.PublicKey.Fingerprint), err)
		}
	}
	return nil
}

// readSSHKey reads a key file holding exactly one OpenSSH public key line.
func readSSHKey(b []byte) (any, error) {
	pub, _, _, rest, err := ssh.ParseAuthorizedKey(b)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(rest)) > 0 {
		if _, _, _, _, err := ssh.ParseAuthorizedKey(rest); err == nil {
			return nil, errors.New("holds more than one key: a key file holds one person's one key")
		}
	}
	return pub, nil
}

func (l *loader) matrix(k *schema.Kind) {
	p := l.p
	c, err := l.record(k, k.File)
	if err != nil {
		p.MatrixProblem = err.Error()
		l.problem(k.File, record.Pos{Line: 1, Col: 1}, RuleMatrix, "", "the responsibility matrix cannot be read: %v", err)
		return
	}
	ch := c
	if f := firstError(ch.findings); f != nil || ch.rec == nil {
		msg, pos := "it does not parse", record.Pos{Line: 1, Col: 1}
		if f != nil {
			msg, pos = fmt.Sprintf("%s (line %d)", f.Message, f.Line), record.Pos{Line: f.Line, Col: f.Column}
		}
		p.MatrixProblem = msg
		l.problem(k.File, pos, RuleUnreadable, "fix the matrix ('qms validate' shows every finding): until then no record is approved",
			"the responsibility matrix cannot be used: %s", msg)
		return
	}
	m, ptr, msg := readMatrix(ch.rec.Data)
	if m == nil {
		// What the matrix's schema sees too ('qms validate' reports it
		// there) is RuleUnreadable; what only the policy sees, RuleMatrix.
		rule := RuleUnreadable
		if strings.Contains(msg, "is a second rule for") {
			rule = RuleMatrix
		}
		p.MatrixProblem = msg
		l.problem(k.File, ch.rec.Locate(ptr), rule, "until it is fixed no record is approved", "the responsibility matrix cannot be used: %s", msg)
		return
	}
	p.Matrix = m
}

// ReadMatrix reads a matrix record's frontmatter as verification does:
// nil, with why, for anything it cannot use.
func ReadMatrix(d map[string]any) (*Matrix, string) {
	m, _, why := readMatrix(d)
	return m, why
}

// readMatrix reads the matrix strictly: whatever is not exactly of the
// expected type makes the whole matrix unusable (nil, with where and why),
// never a default that approves more.
func readMatrix(d map[string]any) (*Matrix, []string, string) {
	m := &Matrix{Roles: map[string]string{}}
	roles, ok := d["roles"].(map[string]any)
	if !ok || len(roles) == 0 {
		return nil, []string{"roles"}, "roles is not a map of role codes to titles"
	}
	for code, title := range roles {
		t, ok := title.(string)
		if !ok || t == "" || code == "" {
			return nil, []string{"roles", code}, fmt.Sprintf("role %q has no title", code)
		}
		m.Roles[code] = t
	}
	rules, ok := d["rules"].([]any)
	if !ok || len(rules) == 0 {
		return nil, []string{"rules"}, "rules is not a list of rules"
	}
	for i, rv := range rules {
		at := []string{"rules", fmt.Sprint(i)}
		rm, ok := rv.(map[string]any)
		if !ok {
			return nil, at, fmt.Sprintf("rules[%d] is not a rule", i)
		}
		kinds, ok := strList(rm["kinds"])
		if !ok || len(kinds) == 0 {
			return nil, append(at, "kinds"), fmt.Sprintf("rules[%d].kinds is not a list of kinds", i)
		}
		for _, k := range kinds {
			if r := m.Rule(k); r != nil {
				// Two rules for one kind: which one applies would be a
				// matter of order; neither does.
				return nil, append(at, "kinds"), fmt.Sprintf("rules[%d] is a second rule for %s records", i, k)
			}
		}
		r := Rule{Kinds: kinds}
		for _, part := range []struct {
			name string
			dst  *Signers
		}{{"review", &r.Review}, {"approve", &r.Approve}} {
			sm, ok := rm[part.name].(map[string]any)
			if !ok {
				return nil, append(at, part.name), fmt.Sprintf("rules[%d].%s is missing", i, part.name)
			}
			anyOf, ok := strList(sm["any_of"])
			if !ok || len(anyOf) == 0 {
				return nil, append(at, part.name, "any_of"), fmt.Sprintf("rules[%d].%s.any_of is not a list of roles", i, part.name)
			}
			for _, role := range anyOf {
				if _, ok := m.Roles[role]; !ok {
					return nil, append(at, part.name, "any_of"), fmt.Sprintf("rules[%d].%s.any_of names role %s, which roles does not declare", i, part.name, role)
				}
			}
			n, ok := count(sm["min"])
			if !ok {
				return nil, append(at, part.name, "min"), fmt.Sprintf("rules[%d].%s.min is not a whole number of at least 1", i, part.name)
			}
			*part.dst = Signers{AnyOf: anyOf, Min: n}
		}
		m.Rules = append(m.Rules, r)
	}
	gov, ok := strList(d["govern"])
	if !ok || len(gov) == 0 {
		return nil, []string{"govern"}, "govern is not a list of roles"
	}
	for _, role := range gov {
		if _, ok := m.Roles[role]; !ok {
			return nil, []string{"govern"}, fmt.Sprintf("govern names role %s, which roles does not declare", role)
		}
	}
	m.Govern = gov
	sod, ok := d["separation_of_duties"].(bool)
	if !ok {
		return nil, []string{"separation_of_duties"}, "separation_of_duties is not true or false"
	}
	m.SeparationOfDuties = sod
	if v, present := d["review_and_approval_by_one_person"]; present {
		b, ok := v.(bool)
		if !ok {
			return nil, []string{"review_and_approval_by_one_person"}, "review_and_approval_by_one_person is not true or false"
		}
		m.ReviewAndApproval = b
	}
	return m, nil, ""
}

// count reads a signer count: a whole number from 1 to 1,000 (JSON Schema
// counts 1.0 as the integer 1, and so does this).
func count(v any) (int, bool) {
	switch n := v.(type) {
	case uint64:
		if n >= 1 && n <= 1000 {
			return int(n), true
		}
	case int64:
		if n >= 1 && n <= 1000 {
			return int(n), true
		}
	case int:
		if n >= 1 && n <= 1000 {
			return n, true
		}
	case float64:
		if n >= 1 && n <= 1000 && n == math.Trunc(n) {
			return int(n), true
		}
	}
	return 0, false
}

// strList reads a list of strings; anything else in it makes it unreadable.
func strList(v any) ([]string, bool) {
	l, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(l))
	for _, x := range l {
		s, ok := x.(string)
		if !ok || s == "" {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

// Signer says who made a good signature at time t, or why it does not
// count: a key no staff record lists (wrapping signature.ErrUnknownKey), a
// key the crypto policy refuses (wrapping signature.ErrPolicy), a revoked
// key, a person not active.
func (p *Policy) Signer(v *signature.Verdict, t time.Time) (*Person, *Key, error) {
	k := p.keys[v.Fingerprint]
	if k == nil {
		return nil, nil, fmt.Errorf("key %s is in no staff record: %w", v.Fingerprint, signature.ErrUnknownKey)
	}
	if err := k.ValidAt(t); err != nil {
		return k.Owner, k, err
	}
	if !k.Owner.Active(t) {
		return k.Owner, k, fmt.Errorf("%s (%s) was not active on %s", k.Owner.Name, k.Owner.ID, t.UTC().Format(time.DateOnly))
	}
	return k.Owner, k, nil
}

// Key returns the key with that fingerprint, or nil.
func (p *Policy) Key(fingerprint string) *Key {
	if p == nil {
		return nil
	}
	return p.keys[fingerprint]
}

// ByEmail returns the staff member with that email address (compared
// without case), or nil.
func (p *Policy) ByEmail(email string) *Person {
	email = strings.ToLower(strings.TrimSpace(email))
	if p == nil || email == "" {
		return nil
	}
	for _, per := range p.People {
		if per.Email == email {
			return per
		}
	}
	return nil
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
// keys, the matrix and the rest of the policy.
func (p *Policy) Governs(per *Person) bool {
	return p.Matrix != nil && per.HasRole(p.Matrix.Govern...)
}

// Governors returns the people who could sign a change of this policy at
// t: active, holding a governing role, with a key that is usable at t.
func (p *Policy) Governors(t time.Time) []*Person {
	if p == nil || p.Matrix == nil {
		return nil
	}
	var out []*Person
	for _, per := range p.People {
		if !p.Governs(per) || !per.Active(t) {
			continue
		}
		for _, k := range per.Keys {
			if k.Usable(t) == nil {
				out = append(out, per)
				break
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Check returns what 'qms validate' reports about the policy at t: every
// problem Load met, every listed key that could not make a signature that
// counts at t (and why: expired, revoked in the key file, refused by the
// crypto policy), and a policy that no governor could change any more.
func (p *Policy) Check(t time.Time) []qms.Finding {
	out := append([]qms.Finding(nil), p.Problems...)
	for _, id := range p.ids() {
		per := p.People[id]
		for _, k := range per.Keys {
			if k.Refused != nil || k.Reason != "" || k.Entity == nil {
				continue // refusals are problems already; revoked keys sign nothing by design
			}
			if err := signature.CheckOpenPGPKey(k.Entity, t); err != nil {
				f := qms.Finding{Path: per.File, Line: k.Pos.Line, Column: k.Pos.Col, Rule: RuleKey, Severity: qms.Error,
					Message: fmt.Sprintf("key %s (%s) cannot sign now: %v", k.Fingerprint, k.File, err)}
				var pe *signature.PolicyError
				if errors.As(err, &pe) {
					f.Hint = pe.Fix
				} else {
					f.Hint = "renew the key (gpg --quick-set-expire FINGERPRINT 2y), export it again into keys/ and have a governor commit it; or mark it revoked"
				}
				out = append(out, f)
			}
		}
	}
	if p.Matrix != nil && len(p.Governors(t)) == 0 {
		// An error once anyone can sign: the policy is locked, and 'qms
		// verify' refuses the commit that did it. A new QMS, where nobody
		// has a key yet, gets a warning.
		sev := qms.Warning
		for _, per := range p.People {
			for _, k := range per.Keys {
				if per.Active(t) && k.Usable(t) == nil {
					sev = qms.Error
				}
			}
		}
		out = append(out, qms.Finding{Path: p.matrixFile, Line: 1, Column: 1, Rule: RuleNoGovernor, Severity: sev,
			Message: fmt.Sprintf("no active staff member holding a governing role (%s) has a usable signing key: nobody could change staff, keys or the matrix",
				strings.Join(p.Matrix.Govern, ", ")),
			Hint: "give a governing role to an active person with a valid key"})
	}
	qms.SortFindings(out)
	return out
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

func sortedCopy(s []string) []string {
	c := append([]string(nil), s...)
	sort.Strings(c)
	return c
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
// people, emails, roles, validity, keys and their revocations, the matrix
// and the problems met reading them. Two trees whose digests differ have
// different policies, and the commit between them must be signed by a
// governor. Contact details other than the email do not count; the key
// files' bytes, the schemas and qms.yaml are compared by the verifier.
func (p *Policy) Digest() string {
	p.digestOnce.Do(func() { p.digest = p.computeDigest() })
	return p.digest
}

// ids returns the staff ids, sorted.
func (p *Policy) ids() []string {
	ids := make([]string, 0, len(p.People))
	for id := range p.People {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

func (p *Policy) computeDigest() string {
	var b strings.Builder
	for _, id := range p.ids() {
		per := p.People[id]
		fmt.Fprintf(&b, "person %s %q %q %s %s %s %s\n", id, per.Name, per.Email, strings.Join(sortedCopy(per.Roles), ","),
			per.ActiveFrom.Format(time.DateOnly), per.ActiveUntil.Format(time.DateOnly), per.File)
		for _, k := range per.Keys {
			fmt.Fprintf(&b, " key %s %s %s %s %s\n", k.Type, k.Fingerprint, k.File, k.Reason, k.RevokedAt.UTC().Format(time.RFC3339))
		}
	}
	for _, pr := range p.Problems {
		fmt.Fprintf(&b, "problem %s\n", pr.String())
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
			fmt.Fprintf(&b, "rule %q %q/%d %q/%d\n", r.Kinds, r.Review.AnyOf, r.Review.Min, r.Approve.AnyOf, r.Approve.Min)
		}
		fmt.Fprintf(&b, "govern %q sod %v both %v\n", m.Govern, m.SeparationOfDuties, m.ReviewAndApproval)
	} else {
		fmt.Fprintf(&b, "matrix unusable %q\n", p.MatrixProblem)
	}
	return b.String()
}

// Forge is a forge's signing key as a tree's qms.yaml declares it: the key
// the forge's merge button signs with, and the dates it did.
type Forge struct {
	Name        string
	Fingerprint string
	// Entity or SSH is the key as read from its file in keys/.
	Entity *openpgp.Entity
	SSH    ssh.PublicKey
	// From and Until bound the times of the signatures it may make (a
	// zero Until is open).
	From, Until time.Time
	// Refused says why the key cannot be used (nil when it can).
	Refused error
}

// Forges reads the forge keys qms.yaml declares, from keys/. A forge key
// that is also a staff member's, or that the crypto policy refuses, is
// listed with Refused set: a forge is no person, and a person no forge.
func (m *Memo) Forges(fsys fs.FS, list []config.Forge, p *Policy) []*Forge {
	l := &loader{p: &Policy{keys: map[string]*Key{}}, fsys: fsys, memo: m, kindsID: "forge"}
	if m == nil {
		l.memo = nil
	}
	var out []*Forge
	for _, cf := range list {
		f := &Forge{Name: cf.Name, Fingerprint: cf.Fingerprint}
		var err error
		if f.From, f.Until, err = cf.Dates(); err != nil {
			f.Refused = err
			out = append(out, f)
			continue
		}
		k := &Key{Type: "openpgp", Fingerprint: cf.Fingerprint, File: cf.File}
		if strings.HasPrefix(cf.Fingerprint, "SHA256:") {
			k.Type = "ssh"
		}
		switch err := l.loadKey(k); {
		case err != nil:
			f.Refused = err
		case k.Refused != nil:
			f.Refused = k.Refused
		case p != nil && p.keys[k.Fingerprint] != nil:
			f.Refused = fmt.Errorf("key %s is also %s's, a staff member's: a forge key signs for no person", k.Fingerprint, p.keys[k.Fingerprint].Owner.ID)
		}
		f.Entity, f.SSH = k.Entity, k.SSH
		out = append(out, f)
	}
	return out
}

// ForgeKeys are the usable forge keys, as keyrings for verification.
func ForgeKeys(forges []*Forge) (openpgp.EntityList, []ssh.PublicKey) {
	var el openpgp.EntityList
	var sk []ssh.PublicKey
	for _, f := range forges {
		switch {
		case f.Refused != nil:
		case f.Entity != nil:
			el = append(el, f.Entity)
		case f.SSH != nil:
			sk = append(sk, f.SSH)
		}
	}
	return el, sk
}
