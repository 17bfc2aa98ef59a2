package vault

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/archive"
	"github.com/qms-tool/qms/internal/store"
)

// Required says how long each archive must be locked: Retention, or the
// longer period of a kind whose records the archived commit holds.
type Required struct {
	Retention     archive.Period
	KindRetention map[string]archive.Period
	// Kinds maps each record kind to its folder, or its single file, in
	// the tree (as archive.BuildOptions.Kinds).
	Kinds map[string]string
	// Tree returns the files of the commit an archive's name carries (12
	// to 40 hex digits of its id). Nil outside the repository, or when the
	// commit cannot be read: Retention applies then.
	Tree func(commit string) (fs.FS, error)
	// Documents returns the longest retention of the controlled documents
	// in the commit an archive's name carries (nil: none count).
	Documents func(commit string) archive.Period
}

// nameCommitRE finds the commit in an archive's name.
var nameCommitRE = regexp.MustCompile(`qms-\d{8}T\d{6}Z-([0-9a-f]{12,40})\.tar\.gz$`)

// For is the period the archive called name must be locked for.
func (r Required) For(name string) archive.Period {
	meta := archive.Meta{Retention: r.Retention, KindRetention: r.KindRetention, Records: map[string]int{}}
	m := nameCommitRE.FindStringSubmatch(name)
	if m != nil && r.Documents != nil {
		meta.DocumentRetention = r.Documents(m[1])
	}
	if r.Tree == nil || len(r.KindRetention) == 0 || m == nil {
		return meta.LongestRetention()
	}
	tree, err := r.Tree(m[1])
	if err != nil {
		return meta.LongestRetention()
	}
	for kind := range r.KindRetention {
		if where, ok := r.Kinds[kind]; ok {
			if n := records(tree, where); n > 0 {
				meta.Records[kind] = n
			}
		}
	}
	return meta.LongestRetention()
}

// records counts the records at where in tree: 1 for a kind kept in one
// file that is there, else the *.md files in the kind's folder.
func records(tree fs.FS, where string) int {
	where = strings.Trim(where, "/")
	if st, err := fs.Stat(tree, where); err == nil && !st.IsDir() {
		return 1
	}
	md, _ := fs.Glob(tree, path.Join(where, "*.md"))
	return len(md)
}

// VerifyOptions say what Verify checks.
type VerifyOptions struct {
	// Name is the one archive to check; "" checks every archive there.
	Name string
	// Required is how long each archive must be locked.
	Required Required
	// Now is when the retention must still run.
	Now time.Time
	// Key is the armored public key the signatures must verify against,
	// KeyName how to call it; nil: the key kept beside each archive.
	Key     []byte
	KeyName string
	// ReadData reads every archive whole (restoring it from Glacier when
	// needed, bounded by Days, Tier and Wait) and checks it as Restore
	// does, without extracting it. A local store (a directory) is always
	// read: it costs nothing there.
	ReadData bool
	Days     int
	Tier     store.Tier
	Wait     WaitOptions
}

// Verified is what Verify found.
type Verified struct {
	// Archives is how many archives were checked.
	Archives int
	Findings []qms.Finding
	// Unenforced says that the location is a directory: the classes and
	// retentions it shows are what qms recorded, and nothing enforces
	// them.
	Unenforced bool
	// ReadData says that every archive was read whole and hashed.
	ReadData bool
	// Signed counts the archives whose signature was checked over the tag
	// manifest kept beside them (format 2); Format1 those of the previous
	// format, whose signature covers the whole archive and is checked
	// only when it is read.
	Signed, Format1 int
	// Signers are the fingerprints of the good signatures, sorted.
	Signers []string
}

// Verify checks each archive at st (or just o.Name) and its signature from
// their metadata alone (HEAD requests: no Glacier data is read or
// restored): present, not empty, size and SHA-256 as recorded at upload
// (and as the server computed them), an allowed storage class, and
// COMPLIANCE retention that still runs and ends no earlier than the
// required period after the archived commit. A location with no archives
// is a finding when no name is given. Its error is for a location that
// cannot be read.
func Verify(ctx context.Context, st store.Store, o VerifyOptions) (Verified, error) {
	names := []string{o.Name}
	if o.Name == "" {
		objs, err := st.List(ctx)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return Verified{}, err
		}
		names = nil
		for _, ob := range objs {
			if strings.HasSuffix(ob.Key, archive.Suffix) {
				names = append(names, ob.Key)
			}
		}
	}
	now := o.Now.UTC()
	res := Verified{ReadData: o.ReadData || store.IsLocal(st)}
	signers := map[string]bool{}
	for _, name := range names {
		need := o.Required.For(name)
		for _, key := range []string{name, name + archive.SigSuffix} {
			got, err := verifyObject(ctx, st, key, need, now, key == name, &res)
			if err != nil {
				return Verified{}, err
			}
			res.Findings = append(res.Findings, got...)
		}
		sc, err := verifySidecars(ctx, st, name, need, now, o, &res)
		if err != nil {
			return Verified{}, err
		}
		if sc.signer != "" {
			signers[sc.signer] = true
		}
		if res.ReadData {
			if err := readData(ctx, st, name, sc, o, &res); err != nil {
				return Verified{}, err
			}
		}
	}
	for s := range signers {
		res.Signers = append(res.Signers, s)
	}
	sort.Strings(res.Signers)
	res.Archives = len(names)
	if o.Name == "" && res.Archives == 0 {
		f := finding(st.String(), RuleMissing, "no archives at this location")
		f.Hint = "run 'qms archive push' first"
		res.Findings = append(res.Findings, f)
	}
	return res, nil
}

// nameTimeRE finds the commit time in an archive's name.
var nameTimeRE = regexp.MustCompile(`(?:^|/)qms-(\d{8}T\d{6}Z)-[0-9a-f]+\.tar\.gz$`)

// verifyObject checks one object from its metadata alone.
func verifyObject(ctx context.Context, st store.Store, key string, retain archive.Period, now time.Time, isArchive bool, res *Verified) ([]qms.Finding, error) {
	info, err := st.Stat(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		what := "archive"
		if !isArchive {
			what = "signature"
		}
		return []qms.Finding{finding(key, RuleMissing, "%s missing at %s", what, st)}, nil
	}
	if err != nil {
		return nil, err
	}
	if !info.Enforced {
		res.Unenforced = true
	}
	var out []qms.Finding
	for _, p := range info.Problems {
		out = append(out, finding(key, RuleIntegrity, "%s", p))
	}
	if info.Size == 0 {
		out = append(out, finding(key, RuleIntegrity, "empty object"))
	}
	if _, err := store.ParseClass(string(info.Class)); err != nil {
		out = append(out, finding(key, RuleClass, "storage class %s is not one qms archives in (DEEP_ARCHIVE, GLACIER, GLACIER_IR, STANDARD)", info.Class))
	}
	switch {
	case info.LockMode != store.Compliance:
		mode := info.LockMode
		if mode == "" {
			mode = "none"
		}
		out = append(out, finding(key, RuleRetention, "not locked in COMPLIANCE mode (retention mode: %s): it can be deleted", mode))
	case !info.RetainUntil.After(now):
		out = append(out, finding(key, RuleRetention, "retention ended on %s: it can be deleted", info.RetainUntil.Format("2006-01-02")))
	default:
		name := key
		for _, suffix := range append([]string{archive.SigSuffix}, archive.SidecarSuffixes...) {
			name = strings.TrimSuffix(name, suffix)
		}
		if m := nameTimeRE.FindStringSubmatch(name); m != nil {
			made, err := time.Parse("20060102T150405Z", m[1])
			if want := retain.After(made); err == nil && info.RetainUntil.Before(want) {
				out = append(out, finding(key, RuleRetention, "locked only until %s, less than %s after the commit (%s)",
					info.RetainUntil.Format("2006-01-02"), retain, want.Format("2006-01-02")))
			}
		}
	}
	return out, nil
}

// sidecarsOf is what Verify read of an archive's sidecars.
type sidecarsOf struct {
	format      int // 2 with sidecars, 1 with none
	tagManifest []byte
	bagInfo     []byte
	key         []byte
	signer      string
}

// verifySidecars checks the signature, tag manifest, bag-info.txt and key
// kept beside the archive (format 2): each present, locked like the
// archive, the signature good over the tag manifest, bag-info.txt the
// one the tag manifest lists. An archive with none of them is of the
// previous format.
func verifySidecars(ctx context.Context, st store.Store, name string, need archive.Period, now time.Time, o VerifyOptions, res *Verified) (sidecarsOf, error) {
	if _, err := st.Stat(ctx, name); errors.Is(err, store.ErrNotFound) {
		return sidecarsOf{}, nil // reported as missing already
	} else if err != nil {
		return sidecarsOf{}, err
	}
	sc := sidecarsOf{format: 2}
	data := map[string][]byte{}
	var missing []string
	for _, suffix := range archive.SidecarSuffixes {
		key := name + suffix
		if _, err := st.Stat(ctx, key); errors.Is(err, store.ErrNotFound) {
			missing = append(missing, key)
			continue
		} else if err != nil {
			return sc, err
		}
		got, err := verifyObject(ctx, st, key, need, now, false, res)
		if err != nil {
			return sc, err
		}
		res.Findings = append(res.Findings, got...)
		if data[suffix], err = readSmall(ctx, st, key); err != nil {
			return sc, err
		}
	}
	if len(missing) == len(archive.SidecarSuffixes) {
		sc.format = 1
		res.Format1++
		return sc, nil
	}
	for _, key := range missing {
		res.Findings = append(res.Findings, finding(key, RuleMissing, "sidecar missing at %s", st))
	}
	sc.tagManifest, sc.bagInfo, sc.key = data[archive.TagManifestSuffix], data[archive.BagInfoSuffix], data[archive.KeySuffix]
	if sc.tagManifest == nil {
		return sc, nil
	}
	if sc.bagInfo != nil {
		sum := sha256.Sum256(sc.bagInfo)
		if listed := archive.TagManifestSum(sc.tagManifest, archive.BagInfoName); listed != hex.EncodeToString(sum[:]) {
			res.Findings = append(res.Findings, finding(name+archive.BagInfoSuffix, RuleSidecar,
				"bag-info.txt has SHA-256 %x, but the tag manifest beside it lists %q for it", sum, listed))
		}
		if oxum := archive.BagInfoField(sc.bagInfo, "Payload-Oxum"); oxum == "" {
			res.Findings = append(res.Findings, finding(name+archive.BagInfoSuffix, RuleSidecar, "bag-info.txt has no Payload-Oxum"))
		}
	}
	sig, err := readSmall(ctx, st, name+archive.SigSuffix)
	if errors.Is(err, store.ErrNotFound) {
		return sc, nil // reported as missing already
	}
	if errors.Is(err, store.ErrNotRestored) {
		res.Findings = append(res.Findings, finding(name+archive.SigSuffix, RuleSidecar,
			"the signature is in a cold storage class: it cannot be checked without a restore"))
		return sc, nil
	}
	if err != nil {
		return sc, err
	}
	pub, keyName := o.Key, o.KeyName
	if pub == nil {
		pub, keyName = sc.key, "the key kept beside it"
	}
	if pub == nil {
		return sc, nil
	}
	signer, err := archive.VerifySigner(pub, bytes.NewReader(sc.tagManifest), sig)
	if err != nil {
		res.Findings = append(res.Findings, finding(name+archive.SigSuffix, RuleSignature,
			"the signature does not verify over %s against %s: %v", name+archive.TagManifestSuffix, keyName, err))
		return sc, nil
	}
	sc.signer = signer
	res.Signed++
	return sc, nil
}

// readData reads the archive whole (restoring it first when it is cold),
// compares its SHA-256 with the one recorded at upload, checks it as a bag
// (or a format-1 archive), and compares it with its sidecars; for format 1
// the signature over the whole archive is checked too.
func readData(ctx context.Context, st store.Store, name string, sc sidecarsOf, o VerifyOptions, res *Verified) error {
	info, err := st.Stat(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil // reported as missing already
	}
	if err != nil {
		return err
	}
	keys := []string{name}
	if sc.format == 1 {
		keys = append(keys, name+archive.SigSuffix)
	}
	if info.Restore != store.Readable {
		days := o.Days
		if days < 1 {
			days = 1
		}
		tier := o.Tier
		if tier == "" {
			tier = store.Bulk
		}
		if err := Wait(ctx, st, keys, days, tier, o.Wait); err != nil {
			return err
		}
	}
	rc, err := st.Get(ctx, name)
	if err != nil {
		return err
	}
	defer rc.Close()
	h := sha256.New()
	tee := io.TeeReader(rc, h)
	c, err := archive.Inspect(ctx, tee)
	if errors.Is(err, store.ErrDamaged) {
		res.Findings = append(res.Findings, finding(name, RuleIntegrity, "%v", err))
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := io.Copy(io.Discard, tee); err != nil {
		return err
	}
	if sum := hex.EncodeToString(h.Sum(nil)); info.SHA256 != "" && sum != info.SHA256 {
		res.Findings = append(res.Findings, finding(name, RuleIntegrity,
			"the stored data has SHA-256 %s, but %s was recorded at upload: the stored object is damaged", sum, info.SHA256))
	}
	for _, f := range c.Findings {
		f.Path = strings.TrimSuffix(name+"/"+f.Path, "/")
		res.Findings = append(res.Findings, f)
	}
	switch c.Format {
	case archive.Format:
		if sc.format == 2 {
			res.Findings = append(res.Findings, compareSidecars(name, c, map[string][]byte{
				archive.TagManifestSuffix: sc.tagManifest, archive.BagInfoSuffix: sc.bagInfo})...)
		} else {
			res.Findings = append(res.Findings, finding(name, RuleMissing, "the archive is a bag (format 2), but its sidecars are missing at %s", st))
		}
	case 1:
		return verifyFormat1(ctx, st, name, c, o, res)
	}
	return nil
}

// verifyFormat1 checks the signature of a format-1 archive, which covers
// the whole .tar.gz: it is read a second time.
func verifyFormat1(ctx context.Context, st store.Store, name string, c archive.Checked, o VerifyOptions, res *Verified) error {
	sig, err := readSmall(ctx, st, name+archive.SigSuffix)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	pub, keyName := o.Key, o.KeyName
	if pub == nil {
		pub, keyName = c.SigningKey, "the key in the archive"
	}
	if pub == nil {
		res.Findings = append(res.Findings, finding(name, RuleSignature, "no key to check the signature with: pass --key"))
		return nil
	}
	rc, err := st.Get(ctx, name)
	if err != nil {
		return err
	}
	defer rc.Close()
	if _, err := archive.VerifySigner(pub, rc, sig); err != nil {
		if errors.Is(err, archive.ErrBadSignature) {
			res.Findings = append(res.Findings, finding(name+archive.SigSuffix, RuleSignature, "the signature does not verify against %s: %v", keyName, err))
			return nil
		}
		return err
	}
	res.Signed++
	return nil
}
