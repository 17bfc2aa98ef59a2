package gen

import (
	"bytes"
	"compress/zlib"
	"context"
	"crypto"
	"crypto/ed25519"
	crand "crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/hiddeco/sshsig"
	"golang.org/x/crypto/ssh"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/gitcmd"
	"github.com/qms-tool/qms/internal/policy"
	"github.com/qms-tool/qms/internal/schema"
)

// HistoryOptions says what signed history WriteHistory makes.
type HistoryOptions struct {
	// Records and Seed are as for Write.
	Records int
	Seed    int64
	// Commits is the number of signed commits, the trust root included.
	Commits int
	// Forge declares a forge's merge key (OpenPGP RSA-4096, as GitHub's
	// web-flow key) in qms.yaml, and the forge signs every merge.
	Forge bool
	// Branch, when above zero, makes a branch "pr" of that many signed
	// commits (edits and approvals) on top of main: a pull request.
	Branch int
	// Log, when set, receives progress lines.
	Log func(format string, a ...any)
}

// HistoryStats says what WriteHistory wrote.
type HistoryStats struct {
	Stats
	Commits, Merges, Approvals, Edits, Governance int
	// ForgeMerges counts the merges the forge signed; BranchCommits the
	// commits of the branch "pr".
	ForgeMerges, BranchCommits int
	// Signers counts the signing keys by kind: "ed25519", "rsa3072", "ssh".
	Signers map[string]int
	// TrustRoot is the first commit; RootSigner the fingerprint that signed it.
	TrustRoot, RootSigner, Head string
}

// The staff directory and matrix of generated repositories.
const (
	staffDir   = "records/staff"
	matrixPath = "records/matrix.md"
)

// historyStart is when the generated history begins; commits follow every
// commitGap, inside every signer's active period.
var historyStart = time.Date(2026, time.January, 5, 8, 0, 0, 0, time.UTC)

const commitGap = 20 * time.Minute

// WriteHistory writes a repository as Write does, gives signing keys to the
// staff who hold a role in the matrix (OpenPGP Ed25519, OpenPGP RSA-3072
// and SSH Ed25519, in turn), then makes a history of opts.Commits commits,
// each signed by a key the policy gives to its signer: record edits,
// approvals with QMS-Sign trailers over the edited blobs, staff changes by
// governors, and merges of short side branches. It writes the objects
// itself (git would run gpg once a commit), then has git pack them and
// check out the head, so 'qms verify --trust-root <TrustRoot>' passes. Keys
// are random: the same options give the same files but other keys.
func WriteHistory(dir string, opts HistoryOptions) (HistoryStats, error) {
	if opts.Commits < 1 {
		return HistoryStats{}, fmt.Errorf("gen: cannot make a history of %d commits", opts.Commits)
	}
	logf := opts.Log
	if logf == nil {
		logf = func(string, ...any) {}
	}
	st, err := Write(dir, Options{Records: opts.Records, Seed: opts.Seed})
	if err != nil {
		return HistoryStats{}, err
	}
	h := &history{dir: dir, r: rand.New(rand.NewPCG(uint64(opts.Seed), 7)), files: map[string][]byte{},
		writers: map[string]string{}, stats: HistoryStats{Stats: st, Signers: map[string]int{}}, logf: logf}
	if err := h.init(); err != nil {
		return h.stats, err
	}
	if err := h.keys(); err != nil {
		return h.stats, err
	}
	if opts.Forge {
		if err := h.forgeKey(); err != nil {
			return h.stats, err
		}
	}
	logf("%d signers, writing %d commits", len(h.signers), opts.Commits)
	if err := h.commits(opts.Commits); err != nil {
		return h.stats, err
	}
	if opts.Branch > 0 {
		if err := h.branch(opts.Branch); err != nil {
			return h.stats, err
		}
	}
	logf("packing and checking out")
	if err := h.finish(); err != nil {
		return h.stats, err
	}
	return h.stats, nil
}

type signer struct {
	id, name, email string
	roles           []string
	kind            string
	pgp             *openpgp.Entity
	ssh             ssh.Signer
	fingerprint     string
}

type history struct {
	dir     string
	r       *rand.Rand
	files   map[string][]byte // path -> content at the current head
	blobs   map[string]string // path -> blob id at the current head
	signers []*signer
	matrix  *policy.Matrix
	people  map[string]*policy.Person // the generated staff, as the policy reads them
	// writers maps a path to who last wrote it; pending lists records
	// edited and not yet approved.
	writers  map[string]string
	pending  []string
	reviewed map[string]string // path -> reviewer of its current blob
	// trees maps a directory to its entries (name -> blob id, a
	// subdirectory's name ending in '/'), treeIDs to its last tree id;
	// dirty lists the files changed since the last tree.
	trees   map[string]map[string]string
	treeIDs map[string]string
	dirty   map[string]bool
	stats   HistoryStats
	logf    func(string, ...any)
	clock   time.Time
	// forge, when set, signs the merges.
	forge *signer
	// editable are the records edits pick from.
	editable []string
}

func (h *history) init() error {
	if _, err := gitcmd.Run(context.Background(), h.dir, nil, "-c", "init.defaultBranch=main", "init", "-q"); err != nil {
		return fmt.Errorf("gen: %w", err)
	}
	err := filepath.WalkDir(h.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(h.dir, p)
		if d.IsDir() {
			if rel == ".git" {
				return filepath.SkipDir
			}
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		h.files[filepath.ToSlash(rel)] = b
		return nil
	})
	if err != nil {
		return err
	}
	kinds, _ := schema.Load(qms.Defaults, os.DirFS(h.dir))
	pol, err := policy.Load(os.DirFS(h.dir), kinds)
	if err != nil {
		return fmt.Errorf("gen: the generated policy: %w", err)
	}
	h.matrix, h.people = pol.Matrix, pol.People
	h.reviewed = map[string]string{}
	return nil
}

// keys picks up to three people per matrix role who are active through the
// whole history, gives each a key and writes it into their staff record.
func (h *history) keys() error {
	end := historyStart.AddDate(1, 0, 0)
	var ids []string
	for id := range h.people {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	roles := make([]string, 0, len(h.matrix.Roles))
	for r := range h.matrix.Roles {
		roles = append(roles, r)
	}
	sort.Strings(roles)
	chosen := map[string]bool{}
	for _, role := range roles {
		n := 0
		for _, id := range ids {
			p := h.people[id]
			if n < 3 && p.HasRole(role) && p.Active(historyStart.AddDate(0, 0, -1)) && p.Active(end) {
				chosen[id] = true
				n++
			}
		}
		if n == 0 && contains(h.matrix.Govern, role) {
			return fmt.Errorf("gen: no staff member holds %s, a governing role, through the history", role)
		}
	}
	created := historyStart.AddDate(0, -1, 0)
	kinds := []string{"ed25519", "rsa3072", "ssh"}
	for _, id := range ids {
		if !chosen[id] {
			continue
		}
		p := h.people[id]
		// Commits are authored as the staff record's email says, as the
		// person's own git would: verify counts an approval only when its
		// author is its signer.
		s := &signer{id: id, name: p.Name, email: p.Email, roles: p.Roles, kind: kinds[len(h.signers)%3]}
		var entry string
		switch s.kind {
		case "ssh":
			_, priv, err := ed25519.GenerateKey(crand.Reader)
			if err != nil {
				return err
			}
			if s.ssh, err = ssh.NewSignerFromKey(priv); err != nil {
				return err
			}
			s.fingerprint = ssh.FingerprintSHA256(s.ssh.PublicKey())
			h.files["keys/"+id+".pub"] = ssh.MarshalAuthorizedKey(s.ssh.PublicKey())
			entry = "  - type: ssh\n    fingerprint: " + s.fingerprint + "\n    file: " + id + ".pub\n"
		default:
			cfg := &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA, Time: func() time.Time { return created }, DefaultHash: crypto.SHA256}
			if s.kind == "rsa3072" {
				cfg.Algorithm, cfg.RSABits = packet.PubKeyAlgoRSA, 3072
			}
			e, err := openpgp.NewEntity(s.name, "", s.email, cfg)
			if err != nil {
				return err
			}
			s.pgp = e
			s.fingerprint = strings.ToUpper(hex.EncodeToString(e.PrimaryKey.Fingerprint))
			var buf bytes.Buffer
			w, err := armor.Encode(&buf, openpgp.PublicKeyType, nil)
			if err != nil {
				return err
			}
			if err := e.Serialize(w); err != nil {
				return err
			}
			w.Close()
			buf.WriteByte('\n')
			h.files["keys/"+id+".asc"] = buf.Bytes()
			entry = "  - type: openpgp\n    fingerprint: " + s.fingerprint + "\n    file: " + id + ".asc\n"
		}
		file := staffDir + "/" + id + ".md"
		b := h.files[file]
		if !bytes.Contains(b, []byte("\nkeys: []\n")) {
			return fmt.Errorf("gen: %s has no empty key list to fill", file)
		}
		h.files[file] = bytes.Replace(b, []byte("\nkeys: []\n"), []byte("\nkeys:\n"+entry), 1)
		h.signers = append(h.signers, s)
		h.stats.Signers[s.kind]++
	}
	return nil
}

// holder picks a signer holding one of roles who is none of the excluded.
func (h *history) holder(roles []string, exclude ...string) *signer {
	var ok []*signer
	for _, s := range h.signers {
		if len(roles) > 0 && !hasAny(s.roles, roles) {
			continue
		}
		if contains(exclude, s.id) {
			continue
		}
		ok = append(ok, s)
	}
	if len(ok) == 0 {
		return nil
	}
	return ok[h.r.IntN(len(ok))]
}

func hasAny(have, want []string) bool {
	for _, w := range want {
		if contains(have, w) {
			return true
		}
	}
	return false
}

// kindOf maps a record's folder to its kind.
func kindOf(p string) string {
	switch path.Dir(p) {
	case "records/incidents":
		return "incident"
	case "records/tests":
		return "test"
	case "records/plans":
		return "plan"
	case "records/staff":
		return "staff"
	case "records/suppliers":
		return "supplier"
	}
	return ""
}

func (h *history) rule(p string) *policy.Rule { return h.matrix.Rule(kindOf(p)) }

func (h *history) commits(n int) error {
	var editable []string
	for p := range h.files {
		if k := kindOf(p); k != "" && k != "staff" && k != "plan" && h.rule(p) != nil {
			editable = append(editable, p)
		}
	}
	sort.Strings(editable)
	if len(editable) == 0 {
		return errors.New("gen: no editable records")
	}
	h.editable = editable
	gov := h.holder(h.matrix.Govern)
	if gov == nil {
		return errors.New("gen: no governor has a key")
	}
	h.clock = historyStart
	root, err := h.commit(gov, "Adopt the QMS and its signing policy", nil)
	if err != nil {
		return err
	}
	h.stats.TrustRoot, h.stats.RootSigner = root, gov.fingerprint
	head := root
	for i := 1; i < n; {
		var err error
		switch {
		case i%200 == 199:
			head, err = h.govern(head)
			i++
		case i%250 == 125 && n-i >= 3:
			head, err = h.merge(head, editable)
			i += 3
		case len(h.pending) > 0 && h.r.IntN(2) == 0:
			head, err = h.approve(head)
			i++
		default:
			head, err = h.edit(head, editable[h.r.IntN(len(editable))])
			i++
		}
		if err != nil {
			return err
		}
		if i%2000 == 0 {
			h.logf("%d commits", i)
		}
	}
	h.stats.Head = head
	return os.WriteFile(filepath.Join(h.dir, ".git", "refs", "heads", "main"), []byte(head+"\n"), 0o644)
}

// edit appends a revision note to a record, by any signer.
func (h *history) edit(parent, p string) (string, error) {
	s := h.signers[h.r.IntN(len(h.signers))]
	h.set(p, append(bytes.TrimRight(h.files[p], "\n"), fmt.Sprintf("\n\nRevision note by %s, change %d.\n", s.name, h.stats.Edits+1)...))
	h.writers[p] = s.id
	delete(h.reviewed, p)
	if !contains(h.pending, p) {
		h.pending = append(h.pending, p)
	}
	h.stats.Edits++
	return h.commit(s, "Update "+path.Base(p), []string{parent})
}

// approve signs review or approval of one to three pending records by one
// signer allowed to, never their writer.
func (h *history) approve(parent string) (string, error) {
	p := h.pending[h.r.IntN(len(h.pending))]
	rule := h.rule(p)
	writer := h.writers[p]
	meaning, roles := "review", rule.Review.AnyOf
	if _, ok := h.reviewed[p]; ok {
		meaning, roles = "approval", rule.Approve.AnyOf
	}
	s := h.holder(roles, writer, h.reviewed[p])
	if s == nil {
		// Nobody else may sign it: leave it a draft.
		h.drop(p)
		return h.edit(parent, p)
	}
	var trailers []string
	for _, q := range h.pending {
		if len(trailers) == 3 {
			break
		}
		qr := h.rule(q)
		_, rev := h.reviewed[q]
		if q != p && (rev != (meaning == "approval") || qr != rule || h.writers[q] == s.id || h.reviewed[q] == s.id) {
			continue
		}
		trailers = append(trailers, fmt.Sprintf("QMS-Sign: %s %s %s", meaning, q, h.blobs[q]))
	}
	for _, t := range trailers {
		q := strings.Fields(t)[2]
		if meaning == "review" {
			h.reviewed[q] = s.id
		} else {
			h.drop(q)
		}
	}
	h.stats.Approvals++
	return h.commit(s, fmt.Sprintf("%s: %d record(s)\n\n%s", strings.ToUpper(meaning[:1])+meaning[1:], len(trailers), strings.Join(trailers, "\n")), []string{parent})
}

func (h *history) drop(p string) {
	for i, q := range h.pending {
		if q == p {
			h.pending = append(h.pending[:i], h.pending[i+1:]...)
			return
		}
	}
}

// govern sets or clears a far-off end of a signer's employment, signed by
// a governor: a change of the policy that only a governor may make.
func (h *history) govern(parent string) (string, error) {
	gov := h.holder(h.matrix.Govern)
	s := h.signers[h.r.IntN(len(h.signers))]
	file := staffDir + "/" + s.id + ".md"
	b := h.files[file]
	const until = "active_until: 2030-12-31\n"
	if bytes.Contains(b, []byte("\n"+until)) {
		b = bytes.Replace(b, []byte("\n"+until), []byte("\n"), 1)
	} else {
		i := bytes.Index(b, []byte("\nactive_from: "))
		if i < 0 || bytes.Contains(b, []byte("\nactive_until: ")) {
			return h.edit(parent, file)
		}
		j := bytes.IndexByte(b[i+1:], '\n') + i + 2
		b = append(append(append([]byte{}, b[:j]...), until...), b[j:]...)
	}
	h.set(file, b)
	h.stats.Governance++
	return h.commit(gov, "Record the end of employment of "+s.id, []string{parent})
}

// merge makes a side commit and a main commit from head, then merges them.
func (h *history) merge(head string, editable []string) (string, error) {
	a, b := editable[h.r.IntN(len(editable))], editable[h.r.IntN(len(editable))]
	if a == b {
		return h.edit(head, a)
	}
	orig := h.files[a]
	side, err := h.edit(head, a)
	if err != nil {
		return "", err
	}
	// The main line does not have the side edit yet: undo it in the
	// working state, commit b, then merge with both edits: the merge adds
	// nothing.
	sideA := h.files[a]
	h.set(a, orig)
	main, err := h.edit(head, b)
	if err != nil {
		return "", err
	}
	h.set(a, sideA)
	h.stats.Merges++
	if h.forge != nil {
		h.stats.ForgeMerges++
		return h.commit(h.forge, fmt.Sprintf("Merge pull request #%d from side", h.stats.Merges), []string{main, side})
	}
	return h.commit(h.holder(nil), "Merge branch 'side'", []string{main, side})
}

// commit writes the current files as a tree and a commit on parents,
// signed by s, and returns the commit id.
func (h *history) commit(s *signer, msg string, parents []string) (string, error) {
	tree, err := h.writeTree()
	if err != nil {
		return "", err
	}
	h.clock = h.clock.Add(commitGap)
	var b bytes.Buffer
	fmt.Fprintf(&b, "tree %s\n", tree)
	for _, p := range parents {
		fmt.Fprintf(&b, "parent %s\n", p)
	}
	ident := fmt.Sprintf("%s <%s> %d +0000", s.name, s.email, h.clock.Unix())
	fmt.Fprintf(&b, "author %s\ncommitter %s\n", ident, ident)
	header := b.Len()
	fmt.Fprintf(&b, "\n%s\n", msg)
	payload := b.Bytes()
	sig, err := h.sign(s, payload)
	if err != nil {
		return "", err
	}
	var signed bytes.Buffer
	signed.Write(payload[:header])
	signed.WriteString("gpgsig ")
	signed.WriteString(strings.ReplaceAll(strings.TrimRight(string(sig), "\n"), "\n", "\n "))
	signed.WriteByte('\n')
	signed.Write(payload[header:])
	h.stats.Commits++
	return h.object("commit", signed.Bytes())
}

func (h *history) sign(s *signer, payload []byte) ([]byte, error) {
	if s.ssh != nil {
		sig, err := sshsig.Sign(bytes.NewReader(payload), s.ssh, sshsig.HashSHA512, "git")
		if err != nil {
			return nil, err
		}
		return sshsig.Armor(sig), nil
	}
	var out bytes.Buffer
	at := h.clock
	err := openpgp.ArmoredDetachSign(&out, s.pgp, bytes.NewReader(payload), &packet.Config{DefaultHash: crypto.SHA256, Time: func() time.Time { return at }})
	return out.Bytes(), err
}

// set changes a file for the next commit.
func (h *history) set(p string, b []byte) {
	h.files[p] = b
	if h.dirty != nil {
		h.dirty[p] = true
	}
}

// writeTree writes the blobs of changed files and the trees above them,
// and returns the root tree's id.
func (h *history) writeTree() (string, error) {
	if h.trees == nil {
		h.blobs, h.trees, h.treeIDs, h.dirty = map[string]string{}, map[string]map[string]string{}, map[string]string{}, map[string]bool{}
		for p := range h.files {
			h.dirty[p] = true
			for d := path.Dir(p); ; d = path.Dir(d) {
				if h.trees[d] == nil {
					h.trees[d] = map[string]string{}
				}
				if d == "." {
					break
				}
				if h.trees[path.Dir(d)] == nil {
					h.trees[path.Dir(d)] = map[string]string{}
				}
				h.trees[path.Dir(d)][path.Base(d)+"/"] = ""
			}
		}
	}
	changed := map[string]bool{}
	for p := range h.dirty {
		id, err := h.object("blob", h.files[p])
		if err != nil {
			return "", err
		}
		h.blobs[p] = id
		for d := path.Dir(p); ; d = path.Dir(d) {
			changed[d] = true
			if d == "." {
				break
			}
		}
		h.trees[path.Dir(p)][path.Base(p)] = id
	}
	h.dirty = map[string]bool{}
	// Deepest first, so that a tree's subtrees are written before it.
	order := make([]string, 0, len(changed))
	for d := range changed {
		order = append(order, d)
	}
	depth := func(d string) int {
		if d == "." {
			return 0
		}
		return strings.Count(d, "/") + 1
	}
	sort.Slice(order, func(i, j int) bool { return depth(order[i]) > depth(order[j]) })
	for _, d := range order {
		es := h.trees[d]
		names := make([]string, 0, len(es))
		for n := range es {
			names = append(names, n)
		}
		// Git sorts entries by name, a directory as if its name ended in
		// '/', which is how they are keyed here.
		sort.Strings(names)
		var b bytes.Buffer
		for _, n := range names {
			id, mode := es[n], "100644"
			if sub, ok := strings.CutSuffix(n, "/"); ok {
				id, mode = h.treeIDs[path.Join(d, sub)], "40000"
				n = sub
			}
			raw, _ := hex.DecodeString(id)
			fmt.Fprintf(&b, "%s %s\x00", mode, n)
			b.Write(raw)
		}
		id, err := h.object("tree", b.Bytes())
		if err != nil {
			return "", err
		}
		h.treeIDs[d] = id
	}
	return h.treeIDs["."], nil
}

func objectID(kind string, data []byte) string {
	s := sha1.New()
	fmt.Fprintf(s, "%s %d\x00", kind, len(data))
	s.Write(data)
	return hex.EncodeToString(s.Sum(nil))
}

// object writes a loose object unless it exists.
func (h *history) object(kind string, data []byte) (string, error) {
	id := objectID(kind, data)
	p := filepath.Join(h.dir, ".git", "objects", id[:2], id[2:])
	if _, err := os.Stat(p); err == nil {
		return id, nil
	}
	var z bytes.Buffer
	w, _ := zlib.NewWriterLevel(&z, zlib.BestSpeed)
	fmt.Fprintf(w, "%s %d\x00", kind, len(data))
	w.Write(data)
	if err := w.Close(); err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return "", err
	}
	return id, os.WriteFile(p, z.Bytes(), 0o444)
}

// finish packs the objects and checks the head out.
func (h *history) finish() error {
	for _, args := range [][]string{
		{"repack", "-adq"},
		{"reset", "-q", "--hard"},
	} {
		if _, err := gitcmd.Run(context.Background(), h.dir, nil, args...); err != nil {
			return fmt.Errorf("gen: %w", err)
		}
	}
	return nil
}

// forgeKey makes the forge's merge key and declares it in qms.yaml, from
// the first commit on.
func (h *history) forgeKey() error {
	created := historyStart.AddDate(0, -1, 0)
	cfg := &packet.Config{Algorithm: packet.PubKeyAlgoRSA, RSABits: 4096, Time: func() time.Time { return created }, DefaultHash: crypto.SHA256}
	e, err := openpgp.NewEntity("GitHub", "web-flow commit signing", "noreply@github.example", cfg)
	if err != nil {
		return err
	}
	f := &signer{id: "github", name: "GitHub", email: "noreply@github.example", kind: "rsa4096", pgp: e,
		fingerprint: strings.ToUpper(hex.EncodeToString(e.PrimaryKey.Fingerprint))}
	var buf bytes.Buffer
	w, err := armor.Encode(&buf, openpgp.PublicKeyType, nil)
	if err != nil {
		return err
	}
	if err := e.Serialize(w); err != nil {
		return err
	}
	w.Close()
	buf.WriteByte('\n')
	h.files["keys/forge-github.asc"] = buf.Bytes()
	h.files["qms.yaml"] = append(h.files["qms.yaml"], fmt.Sprintf("forges:\n  - {name: GitHub, fingerprint: %s, file: forge-github.asc, valid_from: %s}\n",
		f.fingerprint, created.Format(time.DateOnly))...)
	h.forge = f
	return nil
}

// branch makes the branch "pr": n commits on top of main, edits and
// approvals as on main.
func (h *history) branch(n int) error {
	head := h.stats.Head
	for i := 0; i < n; i++ {
		var err error
		if len(h.pending) > 0 && h.r.IntN(2) == 0 {
			head, err = h.approve(head)
		} else {
			head, err = h.edit(head, h.editable[h.r.IntN(len(h.editable))])
		}
		if err != nil {
			return err
		}
		h.stats.BranchCommits++
	}
	return os.WriteFile(filepath.Join(h.dir, ".git", "refs", "heads", "pr"), []byte(head+"\n"), 0o644)
}
