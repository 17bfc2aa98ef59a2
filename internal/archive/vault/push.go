package vault

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/qms-tool/qms/internal/archive"
	"github.com/qms-tool/qms/internal/store"
)

// Local is an archive file built on this machine, open for reading, with
// its signature beside it (archive.WriteFile's output).
type Local struct {
	Path string
	Info archive.Info
	f    *os.File
}

// OpenLocal opens the archive just built at p, which info describes.
func OpenLocal(p string, info archive.Info) (*Local, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	return &Local{Path: p, Info: info, f: f}, nil
}

// ReadLocal opens the archive built before at p, of the commit desc
// describes (archive.Describe): its size and SHA-256 are hashed again,
// since it may have been damaged since it was built, and its archive.json
// read for the retention. An archive.json that cannot be read is a
// *DamagedError.
func ReadLocal(p string, desc archive.Info) (*Local, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	l, err := readLocal(f, p, desc)
	if err != nil {
		f.Close()
		return nil, err
	}
	return l, nil
}

func readLocal(f *os.File, p string, desc archive.Info) (*Local, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	info := desc
	info.Size = st.Size()
	if info.SHA256, err = store.Hash(f, info.Size); err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	if info.Meta, err = archive.ReadMeta(io.NewSectionReader(f, 0, info.Size)); err != nil {
		return nil, &DamagedError{Path: p, Err: err}
	}
	return &Local{Path: p, Info: info, f: f}, nil
}

// Close closes the archive file.
func (l *Local) Close() error { return l.f.Close() }

// DamagedError is a local archive that cannot be read as one: build it
// again.
type DamagedError struct {
	Path string
	Err  error
}

func (e *DamagedError) Error() string { return e.Path + ": " + e.Err.Error() }
func (e *DamagedError) Unwrap() error { return e.Err }

// ConflictError is returned by Push when the location holds an archive of
// the same name (so of the same commit) with other bytes, locked. It wraps
// the store's error, which wraps store.ErrConflict.
type ConflictError struct {
	Name string
	Err  error
}

func (e *ConflictError) Error() string { return e.Err.Error() }
func (e *ConflictError) Unwrap() error { return e.Err }

// PushOptions say how an archive is kept.
type PushOptions struct {
	Class store.Class
	// Retention and KindRetention are the periods that apply now; they
	// replace those in the archive's archive.json, whose record counts
	// say which kinds' periods count.
	Retention     archive.Period
	KindRetention map[string]archive.Period
	// Now is when the push runs: the retention runs from it.
	Now time.Time
	// Progress is called with the bytes of the archive uploaded so far.
	Progress func(done int64)
}

// Pushed is what Push did.
type Pushed struct {
	// Until is the end of the COMPLIANCE retention objects were uploaded
	// or extended under: the longest period that applies, from Now.
	Until time.Time
	// Objects are the archive, then its signature and its sidecars, as
	// far as Push got.
	Objects []PushedObject
}

// PushedObject is what Push did with one object.
type PushedObject struct {
	Key string
	// Uploaded is false when the same bytes were there already.
	Uploaded bool
	// KeptTheirs: another signature of the same archive (made at another
	// time, by another clone) was there already, and was kept.
	KeptTheirs bool
	// Extended: it was there under a retention that ends before the
	// archived commit's time plus the period, and was locked until Until.
	Extended bool
	// PreviousFormat: the archive of the same commit in the previous
	// format (1, no sidecars) was there already, locked, and was kept;
	// nothing else was uploaded.
	PreviousFormat bool
	// Stored is what the store reports of the object once Push is done
	// with it: its class and lock as the server keeps them, never just as
	// they were asked for (Stored.Enforced is false for a directory).
	Stored store.Info
}

// Push uploads the archive and its signature to st under COMPLIANCE
// retention until o.Now plus the longest period that applies. It is
// idempotent: an object already there with the same SHA-256 is not
// uploaded again, but its retention is extended when it is shorter than
// the commit's time plus the period (a longer --retain, or a kind's period
// added since). The archive's signature differs between builds (it is made
// at build time), so when the archive was there already another signature
// of it is kept rather than refused. On error, Pushed says what was done.
func Push(ctx context.Context, st store.Store, l *Local, o PushOptions) (Pushed, error) {
	meta := l.Info.Meta
	meta.Retention = o.Retention
	meta.KindRetention = o.KindRetention
	// meta.DocumentRetention stays: the archive's documents say it.
	longest := meta.LongestRetention()
	res := Pushed{Until: longest.After(o.Now.UTC()).Truncate(time.Second)}
	// Pushed before, maybe under a shorter retention than now applies.
	required := longest.After(l.Info.CommitTime)

	name := l.Info.Name
	up, err := st.Put(ctx, name, l.f, store.PutOptions{Size: l.Info.Size, SHA256: l.Info.SHA256, Class: o.Class, RetainUntil: res.Until, Progress: o.Progress})
	if errors.Is(err, store.ErrConflict) {
		// The same commit archived by a qms of the previous format: its
		// archive and signature are there, locked, without sidecars. It
		// is kept; verify and restore read it.
		if l.Info.Meta.Format != archive.Format {
			return res, &ConflictError{Name: name, Err: err}
		}
		if previous, perr := previousFormat(ctx, st, name); perr != nil {
			return res, perr
		} else if previous {
			res.Objects = append(res.Objects, PushedObject{Key: name, KeptTheirs: true, PreviousFormat: true})
			return res, nil
		}
		return res, &ConflictError{Name: name, Err: err}
	}
	if err != nil {
		return res, err
	}
	res.Objects = append(res.Objects, PushedObject{Key: name, Uploaded: up})
	if !up {
		if res.Objects[0].Extended, err = extendShort(ctx, st, name, required, res.Until); err != nil {
			return res, err
		}
	}
	archiveUploaded := up

	if res.Objects[0].Stored, err = st.Stat(ctx, name); err != nil {
		return res, err
	}
	// The signature and the sidecars, in an instantly readable class under
	// the same lock. The signature differs between builds (it is made at
	// build time), and so does the key when another clone signs with its
	// own: when the archive was there already, what is there is kept.
	for _, suffix := range append([]string{archive.SigSuffix}, archive.SidecarSuffixes...) {
		data, err := os.ReadFile(l.Path + suffix)
		if errors.Is(err, fs.ErrNotExist) && suffix != archive.SigSuffix {
			continue // built by a qms of format 1: no sidecars
		}
		if err != nil {
			return res, err
		}
		// The store hashes it itself: it is in memory and cannot change
		// while it is uploaded.
		key := name + suffix
		up, err := st.Put(ctx, key, bytes.NewReader(data), store.PutOptions{Size: int64(len(data)), Class: sidecarClass, RetainUntil: res.Until})
		obj := PushedObject{Key: key, Uploaded: up}
		switch {
		case errors.Is(err, store.ErrConflict) && !archiveUploaded && (suffix == archive.SigSuffix || suffix == archive.KeySuffix):
			obj.KeptTheirs = true
		case errors.Is(err, store.ErrConflict):
			return res, &ConflictError{Name: key, Err: err}
		case err != nil:
			return res, err
		}
		if !up {
			if obj.Extended, err = extendShort(ctx, st, key, required, res.Until); err != nil {
				res.Objects = append(res.Objects, obj)
				return res, err
			}
		}
		if obj.Stored, err = st.Stat(ctx, key); err != nil {
			res.Objects = append(res.Objects, obj)
			return res, err
		}
		res.Objects = append(res.Objects, obj)
	}
	return res, nil
}

// extendShort lengthens the retention of an object pushed before to until
// when it ends before required, and says whether it did.
func extendShort(ctx context.Context, st store.Store, key string, required, until time.Time) (bool, error) {
	if required.IsZero() || required.Year() < 1971 {
		return false, nil
	}
	info, err := st.Stat(ctx, key)
	if err != nil {
		return false, err
	}
	if info.LockMode == store.Compliance && !info.RetainUntil.Before(required) {
		return false, nil
	}
	if err := st.Extend(ctx, key, until); err != nil {
		return false, err
	}
	return true, nil
}

// previousFormat reports whether st holds an archive called name of the
// previous format: its signature there, none of the sidecars.
func previousFormat(ctx context.Context, st store.Store, name string) (bool, error) {
	if _, err := st.Stat(ctx, name+archive.SigSuffix); errors.Is(err, store.ErrNotFound) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	for _, suffix := range archive.SidecarSuffixes {
		if _, err := st.Stat(ctx, name+suffix); err == nil {
			return false, nil
		} else if !errors.Is(err, store.ErrNotFound) {
			return false, err
		}
	}
	return true, nil
}
