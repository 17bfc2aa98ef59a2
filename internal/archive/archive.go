package archive

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"time"

	"github.com/klauspost/compress/gzip"
)

// Layout of an archive (format 2). The archive is a BagIt bag (RFC 8493)
// serialized as one top directory named after the archive (Name without
// ".tar.gz"), its members in this fixed order:
//
//	bagit.txt                the bag declaration (BagIt 1.0, UTF-8)
//	data/VERIFY.txt          how to check the archive without qms
//	data/archive.json        format, commit, dates, tool, retention, counts (Meta)
//	data/html/...            the records rendered, readable offline
//	data/keys/...            the archive signing key and the repository's public keys
//	data/tree/...            the files of the commit, from the Git tree
//	data/repo.bundle         the history (git bundle v2) with its signatures
//	bag-info.txt             organization, commit, Bagging-Date, Payload-Oxum, ...
//	qms-symlinks.txt         each symbolic link under data/tree/ and its target
//	manifest-sha256.txt      every payload file (sha256sum can check it)
//	manifest-sha512.txt      the same with SHA-512
//	tagmanifest-sha256.txt   bagit.txt, bag-info.txt, qms-symlinks.txt and the manifests
//	tagmanifest-sha512.txt   the same with SHA-512
//
// The detached signature (Name+".asc") signs tagmanifest-sha256.txt, which
// covers everything else. The .tar.gz is four gzip members in a row
// (everything before the bundle; the bundle's tar header; the bundle,
// compressed while git wrote it; the rest), which gzip, tar and Go's
// readers read as one stream.
//
// Format 1, the previous one, had the payload at the top, a single
// MANIFEST.sha256 last, and a signature over the .tar.gz itself: Check,
// Inspect and Extract still read it.
const (
	// Format is the format Build writes, in archive.json.
	Format = 2

	BagitName   = "bagit.txt"
	BagInfoName = "bag-info.txt"
	Manifest256 = "manifest-sha256.txt"
	Manifest512 = "manifest-sha512.txt"
	// LinksName lists the bag's symbolic links (data/tree/...) and their
	// targets, which BagIt manifests do not cover.
	LinksName      = "qms-symlinks.txt"
	TagManifest256 = "tagmanifest-sha256.txt"
	TagManifest512 = "tagmanifest-sha512.txt"
	// PayloadDir holds the payload, the format-1 layout below it.
	PayloadDir = "data"

	// ManifestName is format 1's manifest.
	ManifestName = "MANIFEST.sha256"
	VerifyName   = "VERIFY.txt"
	MetaName     = "archive.json"
	BundleName   = "repo.bundle"
	// SigningKeyName is the public half of the key that signed the
	// archive, under keys/ (of data/ in format 2).
	SigningKeyName = "keys/archive-signing-key.asc"
)

// Sidecars: small objects kept beside each archive, in an instantly
// readable class, so that what is stored can be checked without a Glacier
// restore. Each is the archive's name plus the suffix.
const (
	// TagManifestSuffix: a copy of the archive's tagmanifest-sha256.txt,
	// which the signature signs.
	TagManifestSuffix = "." + TagManifest256
	// BagInfoSuffix: a copy of the archive's bag-info.txt.
	BagInfoSuffix = "." + BagInfoName
	// KeySuffix: the public half of the signing key (as in the archive).
	KeySuffix = ".key.asc"
)

// SidecarSuffixes are the sidecars every format-2 archive has beside it
// besides its signature, in the order they are written.
var SidecarSuffixes = []string{TagManifestSuffix, BagInfoSuffix, KeySuffix}

// Suffix ends every archive's file name; the detached signature is the
// archive's name plus SigSuffix.
const (
	Suffix    = ".tar.gz"
	SigSuffix = ".asc"
)

// ErrNoSignKey is returned by Build when no signing key is given and
// Unsigned is not set.
var ErrNoSignKey = errors.New("no signing key")

// ErrNoCommit is wrapped by Build's and Describe's errors when the
// revision names no commit (an empty repository, a typo).
var ErrNoCommit = errors.New("no commit")

// ErrShallow is returned by Build and Describe for a shallow clone: the
// archive must hold the whole history.
var ErrShallow = errors.New("the clone is shallow: the archive needs the whole history (run 'git fetch --unshallow')")

// ErrUnsafe is wrapped by Extract's errors for members it refuses to write:
// absolute paths, "..", links leaving the directory, devices.
var ErrUnsafe = errors.New("unsafe archive member")

// BuildOptions says what to archive and how.
type BuildOptions struct {
	// Root is the repository's work tree (or any directory inside it).
	Root string
	// Commit names the commit to archive (any git revision); "" means HEAD.
	Commit string
	// Branch is the branch name the bundle carries the commit under
	// (refs/heads/Branch). "" means: the branch HEAD points at when its tip
	// is the commit, else "main". It is part of the archive's bytes, so two
	// builds of one commit agree only when they agree on it.
	Branch string
	// SignKey is an armored OpenPGP private key (not passphrase-protected)
	// that signs the archive; its public half goes into keys/.
	SignKey []byte
	// Unsigned allows a nil SignKey: Info.Signature is then nil. For tests
	// and dry runs; never upload an unsigned archive.
	Unsigned bool
	// ToolVersion is qms's version, recorded in archive.json and VERIFY.txt.
	ToolVersion string
	// HTML renders the records: it calls emit once per file with a path
	// relative to html/ (e.g. "index.html", "records/incidents/INC-1.html").
	// Order does not matter; names must be unique, clean and relative.
	// Nil makes an html/ with an index only.
	HTML func(emit func(name string, data []byte) error) error
	// Organization is the company keeping the records (qms.yaml's
	// company): bag-info.txt's Source-Organization.
	Organization string
	// Retention is how long the archive must be kept by default (10 years
	// when zero), and KindRetention longer periods per record kind; both are
	// written to archive.json for the upload to apply.
	Retention     Period
	KindRetention map[string]Period
	// DocumentRetention is the longest retention_years of the controlled
	// documents at the commit: an archive holding the instructions for
	// use is kept as long as they must be.
	DocumentRetention Period
	// Kinds maps each record kind to its folder (or single file) in the
	// tree, to count records per kind in archive.json. May be nil.
	Kinds map[string]string
	// TempDir holds the spooled bundle and HTML while building; "" means
	// the system's temporary directory.
	TempDir string
	// Now is when the signature is made; nil means time.Now. Nothing else
	// in the archive depends on the clock.
	Now func() time.Time
}

// Info describes a built archive.
type Info struct {
	// Name is the archive's stable file name,
	// qms-<commit date, UTC, YYYYMMDDTHHMMSSZ>-<12 hex of the commit>.tar.gz.
	Name string `json:"name"`
	// Commit is the full id of the archived commit; CommitTime its
	// committer date; Branch the ref it is bundled under.
	Commit     string    `json:"commit"`
	CommitTime time.Time `json:"commit_time"`
	Branch     string    `json:"branch"`
	// Size and SHA256 (lower-case hex) describe the .tar.gz bytes.
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	// Signature is the detached armored OpenPGP signature of TagManifest
	// (to store as Name+".asc"); nil when built Unsigned.
	Signature []byte `json:"-"`
	// TagManifest, BagInfo and Key are the sidecars: the archive's
	// tagmanifest-sha256.txt and bag-info.txt, and the signing key's
	// public half (nil when unsigned).
	TagManifest []byte `json:"-"`
	BagInfo     []byte `json:"-"`
	Key         []byte `json:"-"`
	// Signer is the signing key's fingerprint, upper-case hex.
	Signer string `json:"signer,omitempty"`
	// Meta is what archive.json says.
	Meta Meta `json:"meta"`
}

// Meta is archive.json.
type Meta struct {
	// Format is the archive's layout: 2 (Format) for a BagIt bag, 1 for
	// the previous layout.
	Format      int       `json:"format"`
	Name        string    `json:"name"`
	Commit      string    `json:"commit"`
	CommitTime  time.Time `json:"commit_time"`
	Branch      string    `json:"branch"`
	Tags        []string  `json:"tags,omitempty"`
	ToolVersion string    `json:"tool_version"`
	// Retention is the default period; KindRetention the longer ones. The
	// archive is to be kept for the longest that applies to a kind it holds.
	Retention     Period            `json:"retention"`
	KindRetention map[string]Period `json:"kind_retention,omitempty"`
	// Records counts the records of each kind at the commit; Files counts
	// tree/.
	Records map[string]int `json:"records"`
	Files   int            `json:"files"`
	Signer  string         `json:"signer,omitempty"`
	// DocumentRetention is the longest retention of a controlled
	// document the archive holds (BuildOptions.DocumentRetention).
	DocumentRetention Period `json:"document_retention,omitempty"`
}

// LongestRetention is the longest period that applies to the archive: the
// default, or a kind's own when the archive holds records of that kind.
func (m Meta) LongestRetention() Period {
	best := m.Retention
	if best.IsZero() {
		best = DefaultRetention
	}
	ref := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	for kind, p := range m.KindRetention {
		if m.Records != nil && m.Records[kind] == 0 {
			continue
		}
		if p.After(ref).After(best.After(ref)) {
			best = p
		}
	}
	if d := m.DocumentRetention; d.After(ref).After(best.After(ref)) {
		best = d
	}
	return best
}

// ArchiveName is the file name Build gives the archive of commit made at t.
func ArchiveName(commit string, t time.Time) string {
	short := commit
	if len(short) > 12 {
		short = short[:12]
	}
	return "qms-" + t.UTC().Format("20060102T150405Z") + "-" + short + Suffix
}

// Build writes the archive of opts.Commit as a gzipped tar to w, streaming:
// nothing proportional to the repository's content is held in memory (the
// compressed bundle and the HTML are spooled to opts.TempDir; the list of
// file names and digests is kept). The same commit, branch, tool
// version and HTML give the same bytes whatever the checkout, umask,
// locale, clock or packing of the repository.
func Build(ctx context.Context, w io.Writer, opts BuildOptions) (Info, error) {
	return build(ctx, w, opts)
}

// Describe resolves rev ("" means HEAD) in the repository at root and
// returns the Info a Build of it would have, without Size, SHA256,
// Signature, Signer and Meta: enough to know the archive's Name, to look
// for it before building it again.
func Describe(ctx context.Context, root, rev, branch string) (Info, error) {
	c, err := resolve(ctx, root, rev, branch)
	if err != nil {
		return Info{}, err
	}
	return Info{Name: ArchiveName(c.id, c.time), Commit: c.id, CommitTime: c.time, Branch: c.branch}, nil
}

// ReadMeta reads archive.json, among the first members of the archive r
// (Build writes it among the first), without reading the rest: how long an archive
// built before must be kept.
func ReadMeta(r io.Reader) (Meta, error) {
	var m Meta
	zr, err := gzip.NewReader(r)
	if err != nil {
		return m, err
	}
	tr := tar.NewReader(zr)
	for i := 0; i < 8; i++ {
		h, err := tr.Next()
		if err != nil {
			return m, fmt.Errorf("no %s: %w", MetaName, err)
		}
		if path.Base(h.Name) == MetaName && h.Typeflag == tar.TypeReg {
			if err := json.NewDecoder(io.LimitReader(tr, 1<<20)).Decode(&m); err != nil {
				return m, fmt.Errorf("%s: %w", MetaName, err)
			}
			return m, nil
		}
	}
	return m, fmt.Errorf("no %s among the first members", MetaName)
}
