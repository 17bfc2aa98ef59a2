package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Sentinel errors; backends wrap them with the key and location.
var (
	// ErrNotFound is returned by Stat, Get and Restore when there is no
	// object under the key.
	ErrNotFound = errors.New("not found")
	// ErrNotRestored is returned by Get for an object in a cold storage
	// class (GLACIER, DEEP_ARCHIVE) that has not been restored (S3 answers
	// 403 InvalidObjectState): call Restore and wait.
	ErrNotRestored = errors.New("archived in cold storage and not restored")
	// ErrRestoreInProgress is returned by Restore when a restore of the
	// object is already running (S3 RestoreAlreadyInProgress): wait for it.
	ErrRestoreInProgress = errors.New("restore already in progress")
	// ErrConflict is returned by Put when the key already holds different
	// content: archives are never overwritten.
	ErrConflict = errors.New("already holds different content")
	// ErrDamaged is returned while reading Get's data when the backend
	// finds that the data does not match the checksum it recorded.
	ErrDamaged = errors.New("stored data does not match its checksum: damaged")
	// ErrChanged is returned by Put when the source does not hash to the
	// SHA-256 it was given (it changed while being uploaded).
	ErrChanged = errors.New("source changed during upload")
	// ErrUnreachable: the location could not be reached (connection
	// refused, unknown host, timeout).
	ErrUnreachable = errors.New("unreachable")
	// ErrNoBucket: the bucket does not exist.
	ErrNoBucket = errors.New("no such bucket")
	// ErrWrongRegion: the bucket is in another region than the one asked.
	ErrWrongRegion = errors.New("the bucket is in another region")
	// ErrCredentials: no credentials, or ones the server refuses.
	ErrCredentials = errors.New("credentials missing or refused")
)

// Class is an S3 storage class.
type Class string

// The storage classes an archive may be kept in.
const (
	DeepArchive Class = "DEEP_ARCHIVE"
	Glacier     Class = "GLACIER"
	GlacierIR   Class = "GLACIER_IR"
	Standard    Class = "STANDARD"
)

// Classes lists the allowed storage classes, the default first.
var Classes = []Class{DeepArchive, Glacier, GlacierIR, Standard}

// ParseClass reads a storage class name, case-insensitively.
func ParseClass(s string) (Class, error) {
	for _, c := range Classes {
		if strings.EqualFold(s, string(c)) {
			return c, nil
		}
	}
	names := make([]string, len(Classes))
	for i, c := range Classes {
		names[i] = string(c)
	}
	return "", fmt.Errorf("unknown storage class %q (use %s)", s, strings.Join(names, ", "))
}

// Cold says whether reading an object of this class needs a restore first.
func (c Class) Cold() bool { return c == Glacier || c == DeepArchive }

// Tier is how fast (and at what price) a restore runs.
type Tier string

// The restore tiers of S3 Glacier.
const (
	Expedited    Tier = "Expedited"
	StandardTier Tier = "Standard"
	Bulk         Tier = "Bulk"
)

// ParseTier reads a restore tier name, case-insensitively.
func ParseTier(s string) (Tier, error) {
	for _, t := range []Tier{Expedited, StandardTier, Bulk} {
		if strings.EqualFold(s, string(t)) {
			return t, nil
		}
	}
	return "", fmt.Errorf("unknown restore tier %q (use Expedited, Standard or Bulk)", s)
}

// Compliance is the Object Lock mode under which nobody, not even the
// account's root user, can delete an object or shorten its retention.
const Compliance = "COMPLIANCE"

// RestoreState says whether an object's data can be read now.
type RestoreState int

const (
	// Readable: the data can be read (a warm class, or a restored copy).
	Readable RestoreState = iota
	// Archived: a cold object with no restored copy; Get fails with
	// ErrNotRestored.
	Archived
	// Restoring: a restore was requested and is running.
	Restoring
)

func (s RestoreState) String() string {
	switch s {
	case Archived:
		return "archived"
	case Restoring:
		return "restoring"
	}
	return "readable"
}

// Info is what Stat knows about an object without reading its data.
type Info struct {
	Key  string
	Size int64
	// SHA256 is the hex SHA-256 of the whole object recorded when it was
	// put, or "" when the object was not put by qms.
	SHA256 string
	Class  Class
	// LockMode is the Object Lock retention mode ("COMPLIANCE"), or "".
	LockMode    string
	RetainUntil time.Time
	Restore     RestoreState
	// RestoreExpiry is when a restored copy goes away (zero if none).
	RestoreExpiry time.Time
	// Problems are inconsistencies the backend saw in its own records, such
	// as a checksum the server computed that differs from the recorded one.
	Problems []string
	// Enforced says that Class, LockMode and RetainUntil are what the
	// server reports and enforces (S3). False for a directory: they are
	// only what qms recorded when it put the object, and nothing stops
	// anyone who can write there from deleting or changing it.
	Enforced bool
}

// Local is implemented by stores whose data is on this machine (a
// directory): reading it costs nothing and needs no restore, so a check
// of what is stored always reads and hashes it rather than trusting
// recorded metadata.
type Local interface {
	Store
	// Local reports true.
	Local() bool
}

// IsLocal reports whether st keeps its data on this machine.
func IsLocal(st Store) bool {
	l, ok := st.(Local)
	return ok && l.Local()
}

// PutOptions says how an object is to be kept.
type PutOptions struct {
	// Size is the number of bytes to read from the source.
	Size int64
	// SHA256 is the hex SHA-256 of the source; Put computes it when empty
	// and fails with ErrChanged when the data read does not match it.
	SHA256      string
	Class       Class
	RetainUntil time.Time
	// Progress, when set, is called with the number of bytes stored so far
	// (from one goroutine at a time).
	Progress func(done int64)
}

// Store keeps objects. Every implementation passes the shared suite in
// internal/testkit/storetest and is opened through a location.Factory.
type Store interface {
	// Stat describes the object under key without reading its data.
	Stat(ctx context.Context, key string) (Info, error)
	// List returns the objects at the location, sorted by key; only Key
	// and Size are sure to be filled in (use Stat for the rest).
	List(ctx context.Context) ([]Info, error)
	// Put stores size bytes from src under key, with the class and the
	// COMPLIANCE retention of o. It is atomic (no partial object is ever
	// visible) and idempotent: when the key already holds the same SHA-256
	// it uploads nothing and returns false. It fails with ErrConflict when
	// the key holds different content.
	Put(ctx context.Context, key string, src io.ReaderAt, o PutOptions) (uploaded bool, err error)
	// Restore asks for a readable copy of a cold object for days days. It
	// returns nil when the object is readable already or the restore was
	// started, and ErrRestoreInProgress while one runs.
	Restore(ctx context.Context, key string, days int, tier Tier) error
	// Extend lengthens the object's COMPLIANCE retention to until; it does
	// nothing when the retention ends at until or later (a lock is never
	// shortened).
	Extend(ctx context.Context, key string, until time.Time) error
	// Get reads the object's data; ErrNotRestored for a cold object that
	// has not been restored.
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	// String is the location as a URL.
	String() string
}

// ErrBadKey is returned for a key that is empty, absolute, or has empty,
// "." or ".." segments or characters other than letters, digits and
// "-_.+/@".
var ErrBadKey = errors.New("bad object name")

// CheckKey refuses keys that could escape a directory or confuse a
// listing.
func CheckKey(key string) error {
	if key == "" || len(key) > 512 || strings.HasPrefix(key, "/") {
		return fmt.Errorf("%q: %w", key, ErrBadKey)
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("%q: %w", key, ErrBadKey)
		}
	}
	for _, r := range key {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.+/@", r)
		if !ok {
			return fmt.Errorf("%q: %w", key, ErrBadKey)
		}
	}
	return nil
}

// Hash returns the hex SHA-256 of the first size bytes of src.
func Hash(src io.ReaderAt, size int64) (string, error) {
	h := sha256.New()
	n, err := io.Copy(h, io.NewSectionReader(src, 0, size))
	if err != nil {
		return "", err
	}
	if n != size {
		return "", fmt.Errorf("read %d bytes, want %d: %w", n, size, ErrChanged)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
