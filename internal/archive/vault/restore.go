package vault

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/archive"
	"github.com/qms-tool/qms/internal/store"
)

// RestoreOptions say where and how an archive is got back.
type RestoreOptions struct {
	// Out is the directory the archive and its signature are downloaded
	// into (made when missing); the archive is extracted below it.
	Out string
	// Days is how long a restored Glacier copy stays readable; Tier how
	// fast it is made.
	Days int
	Tier store.Tier
	// Wait bounds how long Restore waits for Glacier (Wait's options).
	Wait WaitOptions
	// Key is the armored OpenPGP public key the signature must verify
	// against, and KeyName how to call it in messages. Nil: the key the
	// archive carries (archive.SigningKeyName), which proves integrity but
	// not who signed.
	Key     []byte
	KeyName string
}

// Restored is what Restore found. Any finding means: do not trust this
// copy.
type Restored struct {
	// Downloaded says that the archive and its signature are in Out; it
	// is false when the download found the stored data damaged.
	Downloaded bool
	// Dir is where the archive is extracted, once it checked out.
	Dir string
	// Signer is the fingerprint of the key of a good signature, checked
	// against KeyName ("the key in the archive" without RestoreOptions.Key).
	Signer, KeyName string
	Findings        []qms.Finding
}

// Restore gets the archive called name back from st into o.Out: it
// requests a Glacier restore of it and its signature when they are
// archived and waits for it (Wait), downloads both atomically, compares
// them with the SHA-256 recorded at upload, checks the archive's manifest
// (archive.Check), extracts it refusing unsafe members, and verifies the
// signature. What is wrong with the copy is in Restored.Findings; the
// error is for failures to get that far.
func Restore(ctx context.Context, st store.Store, name string, o RestoreOptions) (Restored, error) {
	res := Restored{KeyName: o.KeyName}
	if err := CheckLocalName(name); err != nil {
		return res, err
	}
	keys := []string{name, name + archive.SigSuffix}
	infos := make([]store.Info, len(keys))
	for i, k := range keys {
		var err error
		if infos[i], err = st.Stat(ctx, k); err != nil {
			return res, err
		}
	}
	// The sidecars (format 2) are compared with what the archive holds.
	sidecars := map[string][]byte{}
	for _, suffix := range []string{archive.TagManifestSuffix, archive.BagInfoSuffix} {
		b, err := readSmall(ctx, st, name+suffix)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return res, err
		}
		sidecars[suffix] = b
	}
	if err := Wait(ctx, st, keys, o.Days, o.Tier, o.Wait); err != nil {
		return res, err
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return res, err
	}
	for i, k := range keys {
		sum, err := download(ctx, st, k, filepath.Join(o.Out, k))
		if errors.Is(err, store.ErrDamaged) {
			res.Findings = append(res.Findings, finding(k, RuleIntegrity, "%v", err))
			return res, nil
		}
		if err != nil {
			return res, err
		}
		if infos[i].SHA256 != "" && sum != infos[i].SHA256 {
			res.Findings = append(res.Findings, finding(k, RuleIntegrity,
				"downloaded data has SHA-256 %s, but %s was recorded at upload: the stored object is damaged", sum, infos[i].SHA256))
		}
	}
	res.Downloaded = true
	err := check(ctx, filepath.Join(o.Out, name), o, sidecars, &res)
	return res, err
}

// maxSidecar bounds a sidecar read into memory.
const maxSidecar = 16 << 20

// readSmall reads a small object (a signature, a sidecar) into memory.
func readSmall(ctx context.Context, st store.Store, key string) ([]byte, error) {
	rc, err := st.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxSidecar+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxSidecar {
		return nil, fmt.Errorf("%s: larger than a sidecar can be (%d bytes)", key, maxSidecar)
	}
	return b, nil
}

// check checks, extracts and verifies the archive downloaded at tarPath:
// for a bag (format 2) the signature over its tag manifest and the
// sidecars are checked before anything is extracted; for format 1 the
// signature covers the .tar.gz and is checked after.
func check(ctx context.Context, tarPath string, o RestoreOptions, sidecars map[string][]byte, res *Restored) error {
	name := filepath.Base(tarPath)
	add := func(rule, format string, a ...any) {
		res.Findings = append(res.Findings, finding(name, rule, format, a...))
	}
	// The downloaded archive is read up to three times, from the start:
	// checked, extracted, and its signature verified.
	f, err := os.Open(tarPath)
	if err != nil {
		return err
	}
	defer f.Close()
	fromStart := func() (io.Reader, error) {
		_, err := f.Seek(0, io.SeekStart)
		return f, err
	}
	c, err := archive.Inspect(ctx, f)
	if err != nil {
		return err
	}
	mf := c.Findings
	res.Findings = append(res.Findings, mf...)
	dir := filepath.Join(filepath.Dir(tarPath), strings.TrimSuffix(name, archive.Suffix))
	if c.Format == archive.Format {
		if len(mf) > 0 {
			return nil
		}
		res.Findings = append(res.Findings, compareSidecars(name, c, sidecars)...)
		sig, err := os.ReadFile(tarPath + archive.SigSuffix)
		if err != nil {
			return err
		}
		pub, keyName := o.Key, o.KeyName
		if pub == nil {
			pub, keyName = c.SigningKey, "the key in the archive"
		}
		res.KeyName = keyName
		if signer, err := archive.VerifySigner(pub, bytes.NewReader(c.TagManifest), sig); err != nil {
			add(RuleSignature, "the signature does not verify against %s: %v", keyName, err)
		} else {
			res.Signer = signer
		}
		if len(res.Findings) > 0 {
			return nil
		}
		r, err := fromStart()
		if err == nil {
			err = archive.Extract(ctx, r, dir)
		}
		if err != nil {
			if !errors.Is(err, archive.ErrUnsafe) {
				return err
			}
			add(RuleUnsafe, "%v", err)
		}
		if len(res.Findings) == 0 {
			res.Dir = dir
		}
		return nil
	}
	if len(mf) == 0 {
		r, err := fromStart()
		if err == nil {
			err = archive.Extract(ctx, r, dir)
		}
		if err != nil {
			if !errors.Is(err, archive.ErrUnsafe) {
				return err
			}
			add(RuleUnsafe, "%v", err)
		}
	}
	pub := o.Key
	if pub == nil {
		if pub, err = os.ReadFile(filepath.Join(dir, filepath.FromSlash(archive.SigningKeyName))); err != nil {
			add(RuleSignature, "no signing key to check the signature with (%s is not in the archive): pass --key", archive.SigningKeyName)
		}
		res.KeyName = "the key in the archive"
	}
	if pub != nil {
		sig, err := os.ReadFile(tarPath + archive.SigSuffix)
		if err != nil {
			return err
		}
		r, err := fromStart()
		if err != nil {
			return err
		}
		signer, err := archive.VerifySigner(pub, r, sig)
		if err != nil {
			add(RuleSignature, "the signature does not verify against %s: %v", res.KeyName, err)
		} else {
			res.Signer = signer
		}
	}
	if len(res.Findings) == 0 {
		res.Dir = dir
	}
	return nil
}

// compareSidecars says where a sidecar kept beside the archive differs
// from the file in the archive it copies.
func compareSidecars(name string, c archive.Checked, sidecars map[string][]byte) []qms.Finding {
	var out []qms.Finding
	for _, sc := range []struct {
		suffix string
		want   []byte
	}{{archive.TagManifestSuffix, c.TagManifest}, {archive.BagInfoSuffix, c.BagInfo}} {
		got, ok := sidecars[sc.suffix]
		if ok && !bytes.Equal(got, sc.want) {
			out = append(out, finding(name+sc.suffix, RuleSidecar, "the sidecar differs from the archive's %s", strings.TrimPrefix(sc.suffix, ".")))
		}
	}
	return out
}

// ExistsError is returned by Restore when a file it would download to is
// there already: it never overwrites one.
type ExistsError struct{ Path string }

func (e *ExistsError) Error() string { return e.Path + " exists already" }

// download copies key into p (atomically: p appears complete or not at
// all) and returns its SHA-256.
func download(ctx context.Context, st store.Store, key, p string) (string, error) {
	rc, err := st.Get(ctx, key)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	tmp, err := os.CreateTemp(filepath.Dir(p), "."+filepath.Base(p)+".tmp-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(tmp, h), rc); err != nil {
		return "", fmt.Errorf("download %s: %w", key, err)
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	if _, err := os.Stat(p); err == nil {
		return "", &ExistsError{Path: p}
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// WaitOptions bound Wait.
type WaitOptions struct {
	// Max is how long to wait before giving up with a
	// *StillRestoringError.
	Max time.Duration
	// Poll is the first wait between looks at a running restore (2
	// seconds when zero); it doubles after each look, up to 10 minutes.
	Poll time.Duration
	// Progress, when set, is told each request and each wait.
	Progress func(WaitEvent)
}

// WaitEvent is one step of Wait.
type WaitEvent struct {
	Kind WaitKind
	// Key is the object a restore was requested for.
	Key string
	// Pending is how many objects are still being restored, Waited how
	// long Wait has waited so far, and Next how long until it looks again.
	Pending      int
	Waited, Next time.Duration
}

// WaitKind says what a WaitEvent is.
type WaitKind int

const (
	// Requested: a restore of Key was requested.
	Requested WaitKind = iota
	// RequestedAgain: Key was archived again (a restored copy that
	// expired, or a request the store dropped): another restore is asked.
	RequestedAgain
	// Waiting: Wait sleeps Next before it looks again.
	Waiting
)

// StillRestoringError is returned by Wait when the restore has not
// finished within WaitOptions.Max. The restore goes on; running again
// later does not request it twice.
type StillRestoringError struct {
	Pending int
	Waited  time.Duration
}

func (e *StillRestoringError) Error() string {
	return fmt.Sprintf("%s still being restored after %s", plural(e.Pending, "object"), e.Waited.Round(time.Second))
}

// Wait requests restores of the archived keys (Glacier, Deep Archive) for
// days days at tier, and polls, backing off, until all are readable. A
// restore someone else requested meanwhile (store.ErrRestoreInProgress) is
// waited for, not requested again.
func Wait(ctx context.Context, st store.Store, keys []string, days int, tier store.Tier, o WaitOptions) error {
	progress := o.Progress
	if progress == nil {
		progress = func(WaitEvent) {}
	}
	delay := o.Poll
	if delay <= 0 {
		delay = 2 * time.Second
	}
	start := time.Now()
	asked := map[string]bool{}
	for {
		pending, requested := 0, false
		for _, k := range keys {
			info, err := st.Stat(ctx, k)
			if err != nil {
				return err
			}
			switch info.Restore {
			case store.Readable:
				continue
			case store.Archived:
				if asked[k] {
					progress(WaitEvent{Kind: RequestedAgain, Key: k})
				}
				err := st.Restore(ctx, k, days, tier)
				if err != nil && !errors.Is(err, store.ErrRestoreInProgress) {
					return err
				}
				if err == nil && !asked[k] {
					progress(WaitEvent{Kind: Requested, Key: k})
					requested = true
				}
				asked[k] = true
			}
			pending++
		}
		if pending == 0 {
			return nil
		}
		if requested {
			continue // a restore may be done at once: look again before waiting
		}
		waited := time.Since(start)
		if waited > o.Max {
			return &StillRestoringError{Pending: pending, Waited: waited}
		}
		progress(WaitEvent{Kind: Waiting, Pending: pending, Waited: waited, Next: delay})
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		delay = min(delay*2, 10*time.Minute)
	}
}
