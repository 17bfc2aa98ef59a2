package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/record"
)

// File is the configuration file's name; its presence marks the root.
const File = "qms.yaml"

// ErrNoRoot is returned by FindRoot outside any QMS repository.
var ErrNoRoot = errors.New("not in a QMS repository (no qms.yaml here or in any parent directory)")

// Config is qms.yaml.
type Config struct {
	// Version is the configuration format version (1).
	Version int `yaml:"version"`
	// Company is the name shown in rendered records and notices.
	Company string `yaml:"company"`
	// TrustRoot is where 'qms verify' starts trusting history.
	TrustRoot TrustRoot `yaml:"trust_root"`
	// Archive is where and how long 'qms archive push' keeps archives.
	Archive Archive `yaml:"archive"`
	// Forges are the keys with which a forge (GitHub, GitLab, Gitea)
	// signs the merges its merge button makes: accepted only for merges of
	// two authenticated parents that add nothing.
	Forges []Forge `yaml:"forges"`
}

// Forge is one signing key of a forge, with the dates it was in use:
// forges replace their keys (GitHub's web-flow key changed on
// 2024-01-16).
type Forge struct {
	// Name is the forge, as messages name it ("GitHub").
	Name string `yaml:"name"`
	// Fingerprint is the key's: OpenPGP (hex) or SSH ("SHA256:...").
	Fingerprint string `yaml:"fingerprint"`
	// File is the public key's file name in keys/.
	File string `yaml:"file"`
	// ValidFrom and ValidUntil (optional) are the dates, inclusive, on
	// which the forge signed with the key.
	ValidFrom  string `yaml:"valid_from"`
	ValidUntil string `yaml:"valid_until"`
}

// Dates returns the forge key's validity: from the start of ValidFrom to
// the end of ValidUntil (UTC); a zero until is open.
func (f Forge) Dates() (from, until time.Time, err error) {
	if from, err = time.Parse(time.DateOnly, f.ValidFrom); err != nil {
		return from, until, fmt.Errorf("valid_from %q is not a date (YYYY-MM-DD)", f.ValidFrom)
	}
	if f.ValidUntil != "" {
		if until, err = time.Parse(time.DateOnly, f.ValidUntil); err != nil {
			return from, until, fmt.Errorf("valid_until %q is not a date (YYYY-MM-DD)", f.ValidUntil)
		}
		if until.Before(from) {
			return from, until, fmt.Errorf("valid_until %s is before valid_from %s", f.ValidUntil, f.ValidFrom)
		}
		until = until.AddDate(0, 0, 1)
	}
	return from, until, nil
}

var forgeFile = regexp.MustCompile(`^[A-Za-z0-9._-]+\.(asc|pub)$`)

// Archive configures the long-term archive.
type Archive struct {
	// To is the location: s3://bucket/prefix or file:///dir (--to wins).
	To string `yaml:"to"`
	// StorageClass is DEEP_ARCHIVE (default), GLACIER, GLACIER_IR or
	// STANDARD (--storage-class wins).
	StorageClass string `yaml:"storage_class"`
	// Retain is how long every archive is kept, e.g. "10y" (the default)
	// or "10y30d"; RetainKinds gives longer periods to archives holding
	// records of a kind, e.g. {ifu: 15y}.
	Retain      string            `yaml:"retain"`
	RetainKinds map[string]string `yaml:"retain_kinds"`
	// DrillTest is the plan's test id of the periodic restoration drill
	// ('qms archive drill' writes its report as a run of it), and
	// DrillService the plan's service its measured times are given for.
	DrillTest    string `yaml:"drill_test"`
	DrillService string `yaml:"drill_service"`
	// Budget is the prepaid amount the archive's storage is paid from
	// ('qms archive cost'); Prices replace the default prices per
	// GB-month of the storage classes.
	Budget *Budget `yaml:"budget"`
	Prices *Prices `yaml:"prices"`
}

// Budget is an amount in a currency; Rate converts the prices' currency
// into it (units of Currency per unit of the prices' currency), needed
// when they differ.
type Budget struct {
	Amount   float64 `yaml:"amount"`
	Currency string  `yaml:"currency"`
	Rate     float64 `yaml:"rate"`
}

// Prices are per GB-month, by storage class (DEEP_ARCHIVE, GLACIER,
// GLACIER_IR, STANDARD), in Currency.
type Prices struct {
	Currency   string             `yaml:"currency"`
	PerGBMonth map[string]float64 `yaml:"per_gb_month"`
}

// TrustRoot is a commit trusted as it is, and who must have signed it:
// a full commit id and a key fingerprint, both required (a ref name or a
// short id could be moved by the history it is meant to authenticate).
type TrustRoot struct {
	Commit      string `yaml:"commit"`
	Fingerprint string `yaml:"fingerprint"`
}

var (
	commitRE      = regexp.MustCompile(`^[0-9a-f]{40}$`)
	fingerprintRE = regexp.MustCompile(`^([0-9A-F]{40}|[0-9A-F]{64}|SHA256:[A-Za-z0-9+/]{43})$`)
)

// IsCommitID reports whether s is a full commit id (40 lower-case hex).
func IsCommitID(s string) bool { return commitRE.MatchString(s) }

// IsFingerprint reports whether s is a key fingerprint as staff records
// list them: OpenPGP (40 or 64 upper-case hex) or SSH ("SHA256:...").
func IsFingerprint(s string) bool { return fingerprintRE.MatchString(s) }

// FindRoot walks up from dir to the directory holding qms.yaml.
func FindRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		if st, err := os.Stat(filepath.Join(dir, File)); err == nil && st.Mode().IsRegular() {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", ErrNoRoot
		}
		dir = parent
	}
}

// Parse reads qms.yaml; problems come back as findings and leave defaults.
func Parse(b []byte) (*Config, []qms.Finding) {
	cfg := &Config{Version: 1}
	if len(b) > record.MaxSize {
		return cfg, []qms.Finding{{Path: File, Line: 1, Column: 1, Rule: "config", Severity: qms.Error, Message: "qms.yaml is too large"}}
	}
	if err := yaml.UnmarshalWithOptions(b, cfg, yaml.Strict()); err != nil {
		f := qms.Finding{Path: File, Line: 1, Column: 1, Rule: "config", Severity: qms.Error, Message: err.Error()}
		var ye yaml.Error
		if errors.As(err, &ye) {
			f.Message = ye.GetMessage()
			if t := ye.GetToken(); t != nil && t.Position != nil {
				f.Line, f.Column = t.Position.Line, t.Position.Column
			}
		}
		return &Config{Version: 1}, []qms.Finding{f}
	}
	if cfg.Version == 0 {
		cfg.Version = 1 // an empty qms.yaml, or one without a version
	}
	if t := cfg.TrustRoot; t != (TrustRoot{}) {
		var msg string
		switch {
		case !IsCommitID(t.Commit):
			msg = fmt.Sprintf("trust_root.commit %q is not a full commit id (40 lower-case hex digits)", t.Commit)
		case t.Fingerprint == "":
			msg = "trust_root.fingerprint is missing: the trust root names the key that must have signed it"
		case !IsFingerprint(t.Fingerprint):
			msg = fmt.Sprintf("trust_root.fingerprint %q is not a key fingerprint (40 or 64 upper-case hex digits, or SHA256:...)", t.Fingerprint)
		}
		if msg != "" {
			line := 1
			if i := bytes.Index(b, []byte("trust_root")); i >= 0 {
				line = bytes.Count(b[:i], []byte("\n")) + 1
			}
			return cfg, []qms.Finding{{Path: File, Line: line, Column: 1, Rule: "trust-root", Severity: qms.Error, Message: msg,
				Hint: "write trust_root: {commit: <the full id of the first signed commit>, fingerprint: <its signer's key>}"}}
		}
	}
	for i, f := range cfg.Forges {
		var msg string
		_, _, derr := f.Dates()
		switch {
		case strings.TrimSpace(f.Name) == "":
			msg = fmt.Sprintf("forges[%d].name is missing", i)
		case !IsFingerprint(f.Fingerprint):
			msg = fmt.Sprintf("forges[%d].fingerprint %q is not a key fingerprint (40 or 64 upper-case hex digits, or SHA256:...)", i, f.Fingerprint)
		case !forgeFile.MatchString(f.File) || strings.HasPrefix(f.File, "."):
			msg = fmt.Sprintf("forges[%d].file %q is not a key file name in keys/ (NAME.asc or NAME.pub)", i, f.File)
		case derr != nil:
			msg = fmt.Sprintf("forges[%d]: %v", i, derr)
		}
		if msg != "" {
			line := 1
			if j := bytes.Index(b, []byte("forges")); j >= 0 {
				line = bytes.Count(b[:j], []byte("\n")) + 1
			}
			return cfg, []qms.Finding{{Path: File, Line: line, Column: 1, Rule: "forge", Severity: qms.Error, Message: msg,
				Hint: "forges: [{name: GitHub, fingerprint: <the key's>, file: <its file in keys/>, valid_from: YYYY-MM-DD}]"}}
		}
	}
	if cfg.Version != 1 {
		return cfg, []qms.Finding{{Path: File, Line: 1, Column: 1, Rule: "config", Severity: qms.Error,
			Message: fmt.Sprintf("unsupported version %d (this qms reads version 1)", cfg.Version), Hint: "upgrade qms"}}
	}
	return cfg, nil
}

// Load reads qms.yaml from fsys.
func Load(fsys fs.FS) (*Config, []qms.Finding, error) {
	b, err := fs.ReadFile(fsys, File)
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", File, err)
	}
	cfg, fs_ := Parse(b)
	return cfg, fs_, nil
}
