package vault

import (
	"fmt"
	"strings"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/archive"
	"github.com/qms-tool/qms/internal/store"
)

// Rules of the findings Verify and Restore return (Restore also returns
// archive.Check's).
const (
	RuleMissing   = "archive-missing"   // no archive, or no signature, where there should be one
	RuleIntegrity = "archive-integrity" // size or SHA-256 not as recorded at upload
	RuleClass     = "archive-class"     // a storage class qms does not archive in
	RuleRetention = "archive-retention" // not locked, or not for long enough
	RuleUnsafe    = "archive-unsafe"    // a member Extract refused to write
	RuleSignature = "archive-signature" // the detached signature does not verify
	RuleSidecar   = "archive-sidecar"   // a sidecar that disagrees with the signed tag manifest or the archive
)

// sidecarClass is where the signature and the sidecars are kept, whatever
// the archive's class: small, and readable at once, so that verify needs
// no Glacier restore.
const sidecarClass = store.Standard

// finding is an error about a whole object, file or archive at p, which
// has no line to point at.
func finding(p, rule, format string, a ...any) qms.Finding {
	return qms.Finding{Path: p, Line: 1, Column: 1, Rule: rule, Severity: qms.Error, Message: fmt.Sprintf(format, a...)}
}

// CheckName refuses a name that cannot be an archive's at a location: a
// bad store key (store.ErrBadKey), or one not ending in archive.Suffix.
func CheckName(name string) error {
	if err := store.CheckKey(name); err != nil {
		return err
	}
	if !strings.HasSuffix(name, archive.Suffix) {
		return fmt.Errorf("%q is not an archive name (NAME%s)", name, archive.Suffix)
	}
	return nil
}

// CheckLocalName is CheckName for Restore, which downloads the archive
// into a directory under its name: no folders either.
func CheckLocalName(name string) error {
	if err := CheckName(name); err != nil {
		return err
	}
	if strings.Contains(name, "/") {
		return fmt.Errorf("%q is not an archive name: it has a folder", name)
	}
	return nil
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}
