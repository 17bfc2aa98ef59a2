package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/archive"
	"github.com/qms-tool/qms/internal/config"
	"github.com/qms-tool/qms/internal/store"
	"github.com/qms-tool/qms/internal/store/dir"
	"github.com/qms-tool/qms/internal/store/location"
	"github.com/qms-tool/qms/internal/store/s3"
)

func init() {
	archiveSubcommands = append(archiveSubcommands, archivePushCommand, archiveListCommand, archiveVerifyCommand, archiveRestoreCommand)
}

// The archive location flags every archive subcommand takes.
func locationFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "to", Aliases: []string{"from"}, Usage: "the archive location: s3://bucket/prefix or file:///dir (default: archive.to in qms.yaml, else " + location.DefaultNote + ")"},
		&cli.StringFlag{Name: "endpoint", Usage: "URL of an S3-compatible server (path-style addressing); default: AWS"},
	}
}

type locationOptions struct {
	to, endpoint string
}

func (o *locationOptions) read(c *cli.Context) {
	o.to, o.endpoint = c.String("to"), c.String("endpoint")
}

// retention reads qms.yaml's archive retention: every archive's, and the
// longer ones of archives that hold records of a kind.
func retention(a config.Archive) (archive.Period, map[string]archive.Period, error) {
	retain, kinds := archive.DefaultRetention, map[string]archive.Period{}
	if a.Retain != "" {
		var err error
		if retain, err = parseRetainPeriod(a.Retain); err != nil {
			return retain, nil, usagef("qms.yaml archive.retain %q: %v", a.Retain, err)
		}
	}
	for kind, r := range a.RetainKinds {
		p, err := parseRetainPeriod(r)
		if err != nil {
			return retain, nil, usagef("qms.yaml archive.retain_kinds.%s %q: %v", kind, r, err)
		}
		kinds[kind] = p
	}
	return retain, kinds, nil
}

// archiveStores are the kinds of archive location qms can keep archives
// in, by URL scheme; a new backend is registered here.
var archiveStores = location.NewRegistry(s3.Factory(), dir.Factory())

// openStore opens the location named by --to, qms.yaml or the default.
// ws may be nil outside a QMS repository.
func openStore(ctx context.Context, env *Env, o locationOptions, ws *workspace) (store.Store, error) {
	to := o.to
	if to == "" && ws != nil {
		to = ws.cfg.Archive.To
	}
	if to == "" {
		root := ""
		if ws != nil {
			root = ws.root
		}
		var err error
		if to, err = location.Default(env.Getenv, root); err != nil {
			return nil, withHint(usagef("no archive location: --to is not given, qms.yaml has no archive.to, and HOME is not set"), "pass --to s3://bucket/prefix or --to file:///dir")
		}
	}
	st, err := archiveStores.Open(ctx, to, location.Options{Endpoint: o.endpoint})
	var bad *location.Error
	if errors.As(err, &bad) {
		if bad.Hint != "" {
			return nil, withHint(usageError{bad.Error()}, "%s", bad.Hint)
		}
		return nil, usageError{bad.Error()}
	}
	return st, err
}

// optionalWorkspace opens the QMS repository when there is one.
func optionalWorkspace(env *Env) (*workspace, error) {
	if _, err := config.FindRoot(env.Dir); errors.Is(err, config.ErrNoRoot) {
		return nil, nil
	}
	return openWorkspace(env, false)
}

// openLocation opens the QMS repository when there is one, then the store
// it or o names: what the commands that read a location (list, verify,
// restore) start with. The caller closes the workspace, which may be nil.
func openLocation(ctx context.Context, env *Env, o locationOptions) (*workspace, store.Store, error) {
	ws, err := optionalWorkspace(env)
	if err != nil {
		return nil, nil, err
	}
	st, err := openStore(ctx, env, o, ws)
	if err != nil {
		ws.close()
		return nil, nil, err
	}
	return ws, st, nil
}

// storeError adds a hint to the errors of a location.
func storeError(s store.Store, err error) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return withHint(err, "run 'qms archive list --to %s' to see what is there", s)
	case errors.Is(err, store.ErrUnreachable), errors.Is(err, context.DeadlineExceeded):
		return withHint(fmt.Errorf("%s is unreachable: %w", s, err), "check the URL, --endpoint and the network")
	case errors.Is(err, store.ErrWrongRegion):
		return withHint(err, "set AWS_REGION (or the profile's region) to the bucket's region")
	case errors.Is(err, store.ErrNoBucket):
		return withHint(err, "create the bucket with Object Lock enabled first")
	case errors.Is(err, store.ErrCredentials):
		return withHint(err, "check the AWS credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID, ~/.aws/credentials)")
	}
	return err
}

// ---- push

type pushOptions struct {
	locationOptions
	class   string
	retain  string
	signKey string
}

func archivePushCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:  "push",
		Usage: "upload the signed archive of HEAD, locked for the retention period",
		Description: "Builds the archive of HEAD unless it is built already (kept in .git/qms/archive),\n" +
			"then uploads NAME.tar.gz and its signature NAME.tar.gz.asc with SHA-256 checksums,\n" +
			"in the storage class, under Object Lock retention in COMPLIANCE mode until now plus\n" +
			"the retention (10 years by default, longer for kinds listed in qms.yaml\n" +
			"archive.retain_kinds). An object already there with the same SHA-256 is not uploaded\n" +
			"again; an interrupted upload leaves nothing visible and the next run completes it.\n" +
			"The signing key comes from --sign-key FILE or QMS_SIGN_KEY=FILE, never from a file in\n" +
			"the repository.",
		Flags: append(locationFlags(),
			&cli.StringFlag{Name: "storage-class", Usage: "DEEP_ARCHIVE, GLACIER, GLACIER_IR or STANDARD (default: archive.storage_class in qms.yaml, else DEEP_ARCHIVE)"},
			&cli.StringFlag{Name: "retain", Usage: "how long to lock the archive, e.g. 10y or 10y30d (default: archive.retain in qms.yaml, else 10y)"},
			signKeyFlag(),
		),
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			var o pushOptions
			o.read(c)
			o.class, o.retain, o.signKey = c.String("storage-class"), c.String("retain"), c.String("sign-key")
			return runPush(c.Context, o, env)
		},
	}
}

func runPush(ctx context.Context, o pushOptions, env *Env) error {
	ws, err := openWorkspace(env, false)
	if err != nil {
		return err
	}
	defer ws.close()
	cfg := ws.cfg.Archive
	className := firstSet(o.class, cfg.StorageClass, string(store.DeepArchive))
	class, err := store.ParseClass(className)
	if err != nil {
		return usageError{err.Error()}
	}
	// The kinds' periods as build reads them; the base one from --retain,
	// else qms.yaml (a bad archive.retain is ignored when --retain is given).
	retain, kindRetain, err := retention(config.Archive{RetainKinds: cfg.RetainKinds})
	if err != nil {
		return err
	}
	if r := firstSet(o.retain, cfg.Retain); r != "" {
		if retain, err = parseRetainPeriod(r); err != nil {
			return usagef("retention %q: %v", r, err)
		}
	}
	st, err := openStore(ctx, env, o.locationOptions, ws)
	if err != nil {
		return err
	}
	if o.to == "" && cfg.To == "" {
		fmt.Fprintf(env.Stdout, "no archive location configured: using %s\n", st)
	}
	built, err := pushBuilt(ctx, env, ws, o.signKey)
	if err != nil {
		return err
	}
	meta := built.info.Meta
	meta.Retention = retain
	meta.KindRetention = kindRetain
	now := env.Now().UTC()
	until := meta.LongestRetention().After(now).Truncate(time.Second)

	f, err := os.Open(built.path)
	if err != nil {
		return err
	}
	defer f.Close()
	name := built.info.Name
	fmt.Fprintf(env.Stdout, "archive %s (%s, sha256 %s)\n", name, storeBytes(built.info.Size), built.info.SHA256)
	bar := newProgressBar(env, name, built.info.Size)
	up, err := st.Put(ctx, name, f, store.PutOptions{Size: built.info.Size, SHA256: built.info.SHA256, Class: class, RetainUntil: until, Progress: bar.update})
	bar.done()
	if err != nil {
		if errors.Is(err, store.ErrConflict) {
			return withHint(err, "an archive of this commit with other bytes is locked there: check it with 'qms archive verify %s --to %s'", name, st)
		}
		return storeError(st, err)
	}
	reportPut(env, st, name, up, class, until)
	archiveUploaded := up
	// Pushed before, maybe under a shorter retention than now applies
	// (a longer --retain, or a kind's retention added to qms.yaml).
	required := meta.LongestRetention().After(built.info.CommitTime)
	if !up {
		if err := extendShort(ctx, env, st, name, required, until); err != nil {
			return err
		}
	}
	sig, err := os.ReadFile(built.path + archive.SigSuffix)
	if err != nil {
		return err
	}
	// The store hashes the signature itself: it is in memory and cannot
	// change while it is uploaded.
	up, err = st.Put(ctx, name+archive.SigSuffix, bytes.NewReader(sig), store.PutOptions{Size: int64(len(sig)), Class: class, RetainUntil: until})
	if errors.Is(err, store.ErrConflict) && !archiveUploaded {
		// The same archive (the build is deterministic) was pushed before
		// with a signature made at another time, by a clone of its own.
		fmt.Fprintf(env.Stdout, "%s%s: a signature of the same archive, made at another time, is there already: kept it\n", name, archive.SigSuffix)
		return extendShort(ctx, env, st, name+archive.SigSuffix, required, until)
	}
	if err != nil {
		return storeError(st, err)
	}
	reportPut(env, st, name+archive.SigSuffix, up, class, until)
	if !up {
		return extendShort(ctx, env, st, name+archive.SigSuffix, required, until)
	}
	return nil
}

// extendShort lengthens the retention of an object pushed before when it
// ends before required.
func extendShort(ctx context.Context, env *Env, st store.Store, key string, required, until time.Time) error {
	if required.IsZero() || required.Year() < 1971 {
		return nil
	}
	info, err := st.Stat(ctx, key)
	if err != nil {
		return storeError(st, err)
	}
	if info.LockMode == store.Compliance && !info.RetainUntil.Before(required) {
		return nil
	}
	if err := st.Extend(ctx, key, until); err != nil {
		return storeError(st, err)
	}
	fmt.Fprintf(env.Stdout, "%s: COMPLIANCE retention extended to %s\n", key, until.Format("2006-01-02"))
	return nil
}

func reportPut(env *Env, st store.Store, key string, uploaded bool, class store.Class, until time.Time) {
	if !uploaded {
		fmt.Fprintf(env.Stdout, "%s: already at %s with the same SHA-256, nothing uploaded\n", key, st)
		return
	}
	fmt.Fprintf(env.Stdout, "%s: uploaded to %s (%s, COMPLIANCE retention until %s)\n", key, st, class, until.Format("2006-01-02"))
}

func firstSet(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

var periodRE = regexp.MustCompile(`^(?:(\d{1,3})y)?(?:(\d{1,5})d)?$`)

// parseRetainPeriod reads "10y", "90d" or "10y30d".
func parseRetainPeriod(s string) (archive.Period, error) {
	m := periodRE.FindStringSubmatch(s)
	if m == nil || s == "" {
		return archive.Period{}, errors.New("want years and days such as 10y, 90d or 10y30d")
	}
	y, _ := strconv.Atoi(m[1])
	d, _ := strconv.Atoi(m[2])
	if y == 0 && d == 0 {
		return archive.Period{}, errors.New("a retention of zero keeps nothing")
	}
	return archive.Period{Years: y, Days: d}, nil
}

// pushedArchive is the archive of HEAD, built in .git/qms/archive.
type pushedArchive struct {
	path string
	info archive.Info
}

// pushBuilt finds the archive of HEAD in .git/qms/archive, or builds it.
func pushBuilt(ctx context.Context, env *Env, ws *workspace, signKey string) (*pushedArchive, error) {
	repo, err := ws.gitRepo()
	if err != nil {
		return nil, err
	}
	desc, err := archive.Describe(ctx, repo.Root, "HEAD", "")
	if err != nil {
		return nil, withHint(fmt.Errorf("no commit to archive: %w", err), "commit the records first")
	}
	p, ok := builtArchive(archiveDir(repo), desc.Name)
	if !ok {
		fmt.Fprintf(env.Stdout, "building the archive of %s\n", desc.Commit[:12])
		b, err := buildArchive(ctx, env, ws, archiveBuildOptions{signKey: signKey, commit: desc.Commit, branch: desc.Branch})
		if err != nil {
			return nil, err
		}
		return &pushedArchive{path: filepath.Join(archiveDir(repo), b.Info.Name), info: b.Info}, nil
	}
	// Built before: hash it again (it may have been damaged since) and
	// read its archive.json for the retention.
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
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
		return nil, withHint(fmt.Errorf("%s: %w", p, err), "remove it and run 'qms archive build' again")
	}
	return &pushedArchive{path: p, info: info}, nil
}

// progressBar draws a bar on a terminal; elsewhere (CI logs) it writes a
// quiet line at each quarter of a large upload, and nothing for a small one.
type progressBar struct {
	env     *Env
	name    string
	total   int64
	start   time.Time
	last    time.Time
	drawn   bool
	quarter int64
}

// quietLines is the size from which uploads get progress lines off a
// terminal.
const quietLines = 64 << 20

func newProgressBar(env *Env, name string, total int64) *progressBar {
	return &progressBar{env: env, name: name, total: total, start: time.Now()}
}

func (p *progressBar) update(done int64) {
	if p.total == 0 {
		return
	}
	if !p.env.IsTerminal {
		if q := done * 4 / p.total; p.total >= quietLines && q > p.quarter && q < 4 {
			p.quarter = q
			fmt.Fprintf(p.env.Stdout, "%s: %d%% uploaded (%s of %s)\n", p.name, q*25, storeBytes(done), storeBytes(p.total))
		}
		return
	}
	now := time.Now()
	if now.Sub(p.last) < 100*time.Millisecond && done < p.total {
		return
	}
	p.last = now
	const width = 30
	n := int(done * width / p.total)
	rate := float64(done) / max(now.Sub(p.start).Seconds(), 0.001)
	fmt.Fprintf(p.env.Stderr, "\r%3d%% [%s%s] %s/%s %s/s ", done*100/p.total, strings.Repeat("#", n), strings.Repeat(" ", width-n),
		storeBytes(done), storeBytes(p.total), storeBytes(int64(rate)))
	p.drawn = true
}

func (p *progressBar) done() {
	if p.drawn {
		fmt.Fprintln(p.env.Stderr)
	}
}

func storeBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// ---- list

type listOptions struct {
	locationOptions
	format string
}

func archiveListCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:        "list",
		Usage:       "list the archives at a location",
		Description: "Shows each archive's size, storage class, retention and whether it can be read\nnow or needs a restore, from HEAD requests only (no Glacier data is read).",
		Flags:       append(locationFlags(), formatFlag(false)),
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			var o listOptions
			o.read(c)
			o.format = c.String("format")
			if err := checkFormat(o.format, false); err != nil {
				return err
			}
			return runList(c.Context, o, env)
		},
	}
}

type listedArchive struct {
	Name        string    `json:"name"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	Class       string    `json:"storage_class"`
	LockMode    string    `json:"retention_mode"`
	RetainUntil time.Time `json:"retain_until"`
	State       string    `json:"state"`
	Signature   bool      `json:"signature"`
}

func runList(ctx context.Context, o listOptions, env *Env) error {
	ws, st, err := openLocation(ctx, env, o.locationOptions)
	if err != nil {
		return err
	}
	defer ws.close()
	objs, err := st.List(ctx)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			objs = nil // an empty default directory
		} else {
			return storeError(st, err)
		}
	}
	keys := map[string]bool{}
	for _, ob := range objs {
		keys[ob.Key] = true
	}
	out := []listedArchive{}
	for _, ob := range objs {
		if !strings.HasSuffix(ob.Key, archive.Suffix) {
			continue
		}
		info, err := st.Stat(ctx, ob.Key)
		if err != nil {
			return storeError(st, err)
		}
		out = append(out, listedArchive{Name: ob.Key, Size: info.Size, SHA256: info.SHA256, Class: string(info.Class), LockMode: info.LockMode,
			RetainUntil: info.RetainUntil, State: info.Restore.String(), Signature: keys[ob.Key+archive.SigSuffix]})
	}
	if o.format == "json" {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"location": st.String(), "archives": out})
	}
	if len(out) == 0 {
		fmt.Fprintf(env.Stdout, "no archives at %s\n", st)
		return nil
	}
	fmt.Fprintf(env.Stdout, "%s\n", st)
	for _, l := range out {
		sig := "signed"
		if !l.Signature {
			sig = "NO SIGNATURE"
		}
		until := "no retention"
		if !l.RetainUntil.IsZero() {
			until = "locked until " + l.RetainUntil.Format("2006-01-02")
		}
		fmt.Fprintf(env.Stdout, "%s  %s  %s  %s  %s  %s\n", l.Name, storeBytes(l.Size), l.Class, until, l.State, sig)
	}
	return nil
}

// ---- verify

type archiveVerifyOptions struct {
	locationOptions
	name   string
	format string
}

func archiveVerifyCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "verify",
		Usage:     "check that every archive and its signature are kept as pushed, without reading them",
		ArgsUsage: "[NAME]",
		Description: "For each archive at the location (or just NAME), and its .asc signature: present,\n" +
			"size and SHA-256 as recorded at upload (and as the server computed them), an allowed\n" +
			"storage class, and Object Lock retention in COMPLIANCE mode at least the retention\n" +
			"period after the archived commit. Uses HEAD requests only: no Glacier data is read\n" +
			"or restored. Exit status 1 when anything is wrong.",
		Flags: append(locationFlags(), formatFlag(false)),
		Action: func(c *cli.Context) error {
			if c.NArg() > 1 {
				return usagef("archive verify takes at most one archive name, got %d", c.NArg())
			}
			var o archiveVerifyOptions
			o.read(c)
			o.name, o.format = c.Args().First(), c.String("format")
			if err := checkFormat(o.format, false); err != nil {
				return err
			}
			return runArchiveVerify(c.Context, o, env)
		},
	}
}

var nameTimeRE = regexp.MustCompile(`(?:^|/)qms-(\d{8}T\d{6}Z)-[0-9a-f]+\.tar\.gz$`)

func runArchiveVerify(ctx context.Context, o archiveVerifyOptions, env *Env) error {
	if o.name != "" {
		if err := store.CheckKey(o.name); err != nil {
			return usageError{err.Error()}
		}
		if !strings.HasSuffix(o.name, archive.Suffix) {
			return usagef("%q is not an archive name (NAME%s)", o.name, archive.Suffix)
		}
	}
	ws, st, err := openLocation(ctx, env, o.locationOptions)
	if err != nil {
		return err
	}
	defer ws.close()
	retain, kindRetain := archive.DefaultRetention, map[string]archive.Period{}
	if ws != nil {
		if retain, kindRetain, err = retention(ws.cfg.Archive); err != nil {
			return err
		}
	}
	names := []string{o.name}
	if o.name == "" {
		objs, err := st.List(ctx)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return storeError(st, err)
		}
		names = nil
		for _, ob := range objs {
			if strings.HasSuffix(ob.Key, archive.Suffix) {
				names = append(names, ob.Key)
			}
		}
	}
	now := env.Now().UTC()
	var findings []qms.Finding
	for _, name := range names {
		need := requiredRetention(ws, name, retain, kindRetain)
		got, err := verifyObject(ctx, st, name, need, now, true)
		if err != nil {
			return storeError(st, err)
		}
		findings = append(findings, got...)
		got, err = verifyObject(ctx, st, name+archive.SigSuffix, need, now, false)
		if err != nil {
			return storeError(st, err)
		}
		findings = append(findings, got...)
	}
	checked := len(names)
	if o.name == "" && checked == 0 {
		findings = append(findings, qms.Finding{Path: st.String(), Line: 1, Column: 1, Rule: "archive-missing", Severity: qms.Error,
			Message: "no archives at this location", Hint: "run 'qms archive push' first"})
	}
	if err := printFindings(env.Stdout, o.format, findings, map[string]any{"location": st.String(), "archives": checked}); err != nil {
		return err
	}
	if o.format == "text" {
		if len(findings) == 0 {
			fmt.Fprintf(env.Stdout, "%s: every archive and signature kept as pushed (%s)\n", st, plural(checked, "archive"))
		} else {
			fmt.Fprintf(env.Stdout, "%s: %s in %s\n", st, plural(len(findings), "problem"), plural(checked, "archive"))
		}
	}
	if len(findings) > 0 {
		return errFindings
	}
	return nil
}

// requiredRetention is how long the archive called name must be locked:
// the default period, or a kind's longer one when the archived commit holds
// records of that kind. The kinds are read from the commit in the
// repository verify runs in; without it (or the commit) the default applies.
func requiredRetention(ws *workspace, name string, base archive.Period, kinds map[string]archive.Period) archive.Period {
	meta := archive.Meta{Retention: base, KindRetention: kinds, Records: map[string]int{}}
	m := nameCommitRE.FindStringSubmatch(name)
	if ws == nil || len(kinds) == 0 || m == nil {
		return meta.LongestRetention()
	}
	repo, err := ws.gitRepo()
	if err != nil {
		return meta.LongestRetention()
	}
	c, err := repo.Commit(m[1])
	if err != nil {
		return meta.LongestRetention()
	}
	tree, err := repo.TreeFS(c.Tree)
	if err != nil {
		return meta.LongestRetention()
	}
	for kind := range kinds {
		k := ws.kinds.Kinds[kind]
		switch {
		case k == nil:
		case k.File != "":
			if _, err := fs.Stat(tree, k.File); err == nil {
				meta.Records[kind] = 1
			}
		case k.Folder != "":
			if md, _ := fs.Glob(tree, path.Join(strings.Trim(k.Folder, "/"), "*.md")); len(md) > 0 {
				meta.Records[kind] = len(md)
			}
		}
	}
	return meta.LongestRetention()
}

var nameCommitRE = regexp.MustCompile(`qms-\d{8}T\d{6}Z-([0-9a-f]{12,40})\.tar\.gz$`)

// verifyObject checks one object from its metadata alone.
func verifyObject(ctx context.Context, st store.Store, key string, retain archive.Period, now time.Time, isArchive bool) ([]qms.Finding, error) {
	finding := func(rule, format string, a ...any) qms.Finding {
		return archiveFinding(key, rule, format, a...)
	}
	info, err := st.Stat(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		what := "archive"
		if !isArchive {
			what = "signature"
		}
		return []qms.Finding{finding("archive-missing", "%s missing at %s", what, st)}, nil
	}
	if err != nil {
		return nil, err
	}
	var out []qms.Finding
	for _, p := range info.Problems {
		out = append(out, finding("archive-integrity", "%s", p))
	}
	if info.Size == 0 {
		out = append(out, finding("archive-integrity", "empty object"))
	}
	if _, err := store.ParseClass(string(info.Class)); err != nil {
		out = append(out, finding("archive-class", "storage class %s is not one qms archives in (DEEP_ARCHIVE, GLACIER, GLACIER_IR, STANDARD)", info.Class))
	}
	switch {
	case info.LockMode != store.Compliance:
		mode := info.LockMode
		if mode == "" {
			mode = "none"
		}
		out = append(out, finding("archive-retention", "not locked in COMPLIANCE mode (retention mode: %s): it can be deleted", mode))
	case !info.RetainUntil.After(now):
		out = append(out, finding("archive-retention", "retention ended on %s: it can be deleted", info.RetainUntil.Format("2006-01-02")))
	default:
		name := strings.TrimSuffix(key, archive.SigSuffix)
		if m := nameTimeRE.FindStringSubmatch(name); m != nil {
			made, err := time.Parse("20060102T150405Z", m[1])
			if want := retain.After(made); err == nil && info.RetainUntil.Before(want) {
				out = append(out, finding("archive-retention", "locked only until %s, less than %s after the commit (%s)",
					info.RetainUntil.Format("2006-01-02"), retainString(retain), want.Format("2006-01-02")))
			}
		}
	}
	return out, nil
}

// archiveFinding is an error about a whole object, file or archive at p,
// which has no line to point at.
func archiveFinding(p, rule, format string, a ...any) qms.Finding {
	return qms.Finding{Path: p, Line: 1, Column: 1, Rule: rule, Severity: qms.Error, Message: fmt.Sprintf(format, a...)}
}

func retainString(p archive.Period) string {
	var parts []string
	if p.Years > 0 {
		parts = append(parts, plural(p.Years, "year"))
	}
	if p.Days > 0 {
		parts = append(parts, plural(p.Days, "day"))
	}
	return strings.Join(parts, " ")
}

// ---- restore

type restoreOptions struct {
	locationOptions
	name   string
	out    string
	tier   string
	days   int
	wait   time.Duration
	key    string
	format string
}

func archiveRestoreCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "restore",
		Usage:     "get an archive back: restore it from Glacier, download, check and extract it",
		ArgsUsage: "NAME",
		Description: "Requests a Glacier restore of NAME and its signature when they are archived, waits\n" +
			"for it (with backoff, showing how long it has waited), downloads both into --out,\n" +
			"checks the SHA-256 recorded at upload, the signature and MANIFEST.sha256, and\n" +
			"extracts the archive there, refusing absolute paths, '..' and links that escape.\n" +
			"The signature is checked against --key when given, else against the key the archive\n" +
			"carries (keys/archive-signing-key.asc), which proves integrity but not who signed.\n" +
			"Exit status 1 on any mismatch.",
		Flags: append(locationFlags(),
			&cli.StringFlag{Name: "out", Usage: "the directory to download and extract into (required)"},
			&cli.StringFlag{Name: "tier", Value: "Standard", Usage: "Glacier restore tier: Expedited, Standard or Bulk"},
			&cli.IntFlag{Name: "days", Value: 7, Usage: "how many days the restored copy stays readable"},
			&cli.DurationFlag{Name: "wait", Value: 48 * time.Hour, Usage: "how long to wait for the restore before giving up"},
			&cli.StringFlag{Name: "key", Usage: "armored OpenPGP public key file the signature must verify against"},
		),
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usagef("archive restore takes one archive name, got %d", c.NArg())
			}
			o := restoreOptions{name: c.Args().First(), out: c.String("out"), tier: c.String("tier"), days: c.Int("days"), wait: c.Duration("wait"), key: c.String("key")}
			o.read(c)
			if o.out == "" {
				return usagef("archive restore needs --out DIR")
			}
			return runRestore(c.Context, o, env)
		},
	}
}

func runRestore(ctx context.Context, o restoreOptions, env *Env) error {
	tier, err := store.ParseTier(o.tier)
	if err != nil {
		return usageError{err.Error()}
	}
	if err := store.CheckKey(o.name); err != nil || !strings.HasSuffix(o.name, archive.Suffix) || strings.Contains(o.name, "/") {
		return usagef("%q is not an archive name (NAME%s, as 'qms archive list' shows)", o.name, archive.Suffix)
	}
	if o.days < 1 {
		return usagef("--days must be at least 1")
	}
	var pub []byte
	if o.key != "" {
		if pub, err = os.ReadFile(absPath(env, o.key)); err != nil {
			return err
		}
	}
	ws, st, err := openLocation(ctx, env, o.locationOptions)
	if err != nil {
		return err
	}
	defer ws.close()
	keys := []string{o.name, o.name + archive.SigSuffix}
	infos := make([]store.Info, len(keys))
	for i, k := range keys {
		if infos[i], err = st.Stat(ctx, k); err != nil {
			return storeError(st, err)
		}
	}
	if err := waitRestored(ctx, env, st, keys, o.days, tier, o.wait); err != nil {
		return err
	}
	out := absPath(env, o.out)
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	var findings []qms.Finding
	finding := func(rule, format string, a ...any) {
		findings = append(findings, archiveFinding(o.name, rule, format, a...))
	}
	for i, k := range keys {
		sum, err := storeDownload(ctx, st, k, filepath.Join(out, k))
		if errors.Is(err, store.ErrDamaged) {
			findings = append(findings, archiveFinding(k, "archive-integrity", "%v", err))
			return restoreVerdict(env, o.name, findings)
		}
		if err != nil {
			return storeError(st, err)
		}
		if infos[i].SHA256 != "" && sum != infos[i].SHA256 {
			findings = append(findings, archiveFinding(k, "archive-integrity",
				"downloaded data has SHA-256 %s, but %s was recorded at upload: the stored object is damaged", sum, infos[i].SHA256))
		}
	}
	fmt.Fprintf(env.Stdout, "downloaded %s and its signature into %s\n", o.name, out)
	tarPath := filepath.Join(out, o.name)
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
	mf, err := archive.Check(ctx, f)
	if err != nil {
		return err
	}
	findings = append(findings, mf...)
	top := strings.TrimSuffix(o.name, archive.Suffix)
	if len(mf) == 0 {
		r, err := fromStart()
		if err == nil {
			err = archive.Extract(ctx, r, filepath.Join(out, top))
		}
		if err != nil {
			if errors.Is(err, archive.ErrUnsafe) {
				finding("archive-unsafe", "%v", err)
			} else {
				return err
			}
		}
	}
	keyNote := o.key
	if pub == nil {
		if pub, err = os.ReadFile(filepath.Join(out, top, filepath.FromSlash(archive.SigningKeyName))); err != nil {
			finding("archive-signature", "no signing key to check the signature with (%s is not in the archive): pass --key", archive.SigningKeyName)
		}
		keyNote = "the key in the archive"
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
			finding("archive-signature", "the signature does not verify against %s: %v", keyNote, err)
		} else {
			fmt.Fprintf(env.Stdout, "good signature by %s (checked against %s)\n", signer, keyNote)
		}
	}
	if len(findings) > 0 {
		return restoreVerdict(env, o.name, findings)
	}
	fmt.Fprintf(env.Stdout, "manifest checked, extracted into %s\n", filepath.Join(out, top))
	return nil
}

func restoreVerdict(env *Env, name string, findings []qms.Finding) error {
	if err := printFindings(env.Stdout, "text", findings, nil); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "%s: %s: do not trust this copy\n", name, plural(len(findings), "problem"))
	return errFindings
}

// restorePoll is the first wait between looks at a running restore.
var restorePoll = 2 * time.Second

// waitRestored requests restores of the archived keys and polls, backing
// off from 2 seconds to 10 minutes, until all are readable.
func waitRestored(ctx context.Context, env *Env, st store.Store, keys []string, days int, tier store.Tier, maxWait time.Duration) error {
	start := time.Now()
	delay := restorePoll
	asked := map[string]bool{}
	for {
		pending, requested := 0, false
		for _, k := range keys {
			info, err := st.Stat(ctx, k)
			if err != nil {
				return storeError(st, err)
			}
			switch info.Restore {
			case store.Readable:
				continue
			case store.Archived:
				if asked[k] {
					// A restored copy that expired already, or a request
					// the store dropped: ask again.
					fmt.Fprintf(env.Stdout, "%s: archived again, requesting another restore\n", k)
				}
				err := st.Restore(ctx, k, days, tier)
				if err != nil && !errors.Is(err, store.ErrRestoreInProgress) {
					return storeError(st, err)
				}
				if err == nil && !asked[k] {
					fmt.Fprintf(env.Stdout, "%s: restore requested (%s tier, readable for %s)\n", k, tier, plural(days, "day"))
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
		if waited > maxWait {
			return withHint(fmt.Errorf("%s still being restored after %s", plural(pending, "object"), waited.Round(time.Second)),
				"run the same command later: the restore goes on, and it is not requested twice")
		}
		fmt.Fprintf(env.Stdout, "waiting for the restore of %s (waited %s, next look in %s)\n", plural(pending, "object"), waited.Round(time.Second), delay)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		delay = min(delay*2, 10*time.Minute)
	}
}

// storeDownload copies key into p (atomically) and returns its SHA-256.
func storeDownload(ctx context.Context, st store.Store, key, p string) (string, error) {
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
		return "", withHint(fmt.Errorf("%s exists already", p), "restore into an empty --out directory")
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
