package vault

import (
	"context"
	"errors"
	"io/fs"
	"path"
	"regexp"
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
}

// nameCommitRE finds the commit in an archive's name.
var nameCommitRE = regexp.MustCompile(`qms-\d{8}T\d{6}Z-([0-9a-f]{12,40})\.tar\.gz$`)

// For is the period the archive called name must be locked for.
func (r Required) For(name string) archive.Period {
	meta := archive.Meta{Retention: r.Retention, KindRetention: r.KindRetention, Records: map[string]int{}}
	m := nameCommitRE.FindStringSubmatch(name)
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
}

// Verified is what Verify found.
type Verified struct {
	// Archives is how many archives were checked.
	Archives int
	Findings []qms.Finding
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
	var res Verified
	for _, name := range names {
		need := o.Required.For(name)
		for _, key := range []string{name, name + archive.SigSuffix} {
			got, err := verifyObject(ctx, st, key, need, now, key == name)
			if err != nil {
				return Verified{}, err
			}
			res.Findings = append(res.Findings, got...)
		}
	}
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
func verifyObject(ctx context.Context, st store.Store, key string, retain archive.Period, now time.Time, isArchive bool) ([]qms.Finding, error) {
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
		name := strings.TrimSuffix(key, archive.SigSuffix)
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
