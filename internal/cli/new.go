package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/template"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/check"
	"github.com/qms-tool/qms/internal/record"
	"github.com/qms-tool/qms/internal/safefile"
	"github.com/qms-tool/qms/internal/schema"
)

type newOptions struct {
	kind  string
	title string
	level string
	id    string
	sets  []string
	edit  bool
}

func newCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "new",
		Usage:     "create the next record of a kind from its template",
		ArgsUsage: "KIND",
		Description: "Kinds: incident, test, staff, supplier, plan (and any the repository's schema/ adds).\n" +
			"The record gets the next free id, your staff id as author, the current time, and the\n" +
			"values of --title, --level and --set; it is created atomically and never overwrites.\n" +
			"A test run gets the previous run of the same test as 'previous'; a plan revision starts\n" +
			"from the current revision of the document.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "title", Usage: "the record's title"},
			&cli.StringFlag{Name: "level", Usage: "incident level: minimal, moderate, major or catastrophic (selects the remedy checklist)"},
			&cli.StringFlag{Name: "id", Usage: "the record's id, for kinds named by people (staff handles)"},
			&cli.StringSliceFlag{Name: "set", Usage: "set a field: key=value (YAML value; dotted keys for nested fields); repeatable"},
			&cli.BoolFlag{Name: "edit", Usage: "open the new record in $VISUAL or $EDITOR"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return withHint(usagef("new needs exactly one KIND"), "e.g. 'qms new incident --level minimal --title \"VPN down\"'")
			}
			return runNew(c.Context, newOptions{
				kind: c.Args().First(), title: c.String("title"), level: c.String("level"), id: c.String("id"),
				sets: c.StringSlice("set"), edit: c.Bool("edit"),
			}, env)
		},
	}
}

// templateData is what record templates see (templates/README.md).
type templateData struct {
	ID, Kind, Title, Level string
	Now, Today             string
	Year                   int
	Author                 string
	Plan                   string
}

type assignment struct {
	key   []string
	value any
}

func runNew(ctx context.Context, opts newOptions, env *Env) error {
	w, err := openWorkspace(env, false)
	if err != nil {
		return err
	}
	k := w.kinds.Kinds[opts.kind]
	if k == nil {
		return withHint(usagef("unknown kind %q", opts.kind), "kinds: %s", strings.Join(creatable(w.kinds), ", "))
	}
	if k.Folder == "" {
		return withHint(usagef("%s is a single record (%s), not a kind to add records to", k.Name, k.File), "edit %s instead", k.File)
	}
	if opts.level != "" && k.Name != "incident" {
		return usagef("--level is for incidents")
	}
	switch opts.level {
	case "", "minimal", "moderate", "major", "catastrophic":
	default:
		return usagef("unknown level %q (use minimal, moderate, major or catastrophic)", opts.level)
	}
	if opts.title != "" && !hasProperty(k, "title") {
		return withHint(usagef("%s records have no title", k.Name), "use --set FIELD=VALUE; fields: %s", strings.Join(k.Properties, ", "))
	}
	var sets []assignment
	if opts.title != "" {
		sets = append(sets, assignment{[]string{"title"}, opts.title})
	}
	if opts.level != "" {
		sets = append(sets, assignment{[]string{"level"}, opts.level})
	}
	for _, s := range opts.sets {
		key, val, ok := strings.Cut(s, "=")
		if !ok || key == "" {
			return usagef("--set %q: use key=value", s)
		}
		parts := strings.Split(key, ".")
		for _, p := range parts {
			if p == "" {
				return usagef("--set %q: empty part in the field name", s)
			}
		}
		if parts[0] == "id" {
			return usagef("use --id to name the record, not --set id=")
		}
		sets = append(sets, assignment{parts, record.Value(val)})
	}
	now := env.Now()
	paths, _, err := check.List(w.kinds, w.src)
	if err != nil {
		return err
	}
	ctxs := loadContext(w, paths, now, k.Name == "test")

	data := templateData{
		Kind: k.Name, Title: opts.title, Level: opts.level,
		Now: now.Format(time.RFC3339), Today: now.Format(time.DateOnly), Year: now.Year(),
		Plan: ctxs.planInForce,
	}
	defer w.close()
	if repo, err := w.gitRepo(); err == nil {
		_, email := repo.Identity(env.Getenv("GIT_CONFIG_NOSYSTEM") != "")
		data.Author = ctxs.staffByEmail[strings.ToLower(email)]
	}

	// Derived values come first so that the user's --set wins.
	base, derived, err := derive(w, k, ctxs, sets, now)
	if err != nil {
		return err
	}
	sets = append(derived, sets...)

	seqRe := k.SeqPattern(now.Year())
	seq := 0
	if opts.id == "" && seqRe != nil {
		seq = nextSeq(paths, k, seqRe)
	}
	for attempt := 0; ; attempt++ {
		id, err := chooseID(w, k, base, data, opts.id, seqRe != nil, now.Year(), seq, sets)
		if err != nil {
			return err
		}
		data.ID = id
		content, err := render(w, k, base, data, sets)
		if err != nil {
			return err
		}
		rel := path.Join(k.Folder, id+".md")
		if w.src.Exists(rel) {
			if opts.id == "" && seqRe != nil && attempt < 1000 {
				seq++
				continue
			}
			return withHint(usagef("%s already exists", w.display(env, rel)), "choose another --id")
		}
		if fs_ := newFindings(env, w, paths, rel, content); len(fs_) > 0 && !opts.edit {
			return missingValues(env, k, id, content, fs_, ctxs, data.Author)
		}
		full := filepath.Join(w.root, filepath.FromSlash(rel))
		err = createExclusive(full, content)
		if errors.Is(err, fs.ErrExist) && opts.id == "" && seqRe != nil && attempt < 1000 {
			seq++ // someone took this id a moment ago
			continue
		}
		if errors.Is(err, fs.ErrExist) {
			return withHint(usagef("%s already exists", w.display(env, rel)), "choose another --id")
		}
		if err != nil {
			return err
		}
		fmt.Fprintln(env.Stdout, w.display(env, rel))
		if opts.edit {
			return editRecord(ctx, env, w, rel, full)
		}
		return nil
	}
}

func hasProperty(k *schema.Kind, name string) bool {
	for _, p := range k.Properties {
		if p == name {
			return true
		}
	}
	return false
}

func creatable(set *schema.Set) []string {
	var out []string
	for _, n := range set.Names {
		if set.Kinds[n].Folder != "" {
			out = append(out, n)
		}
	}
	return out
}

// repoContext is what 'qms new' needs to know about existing records.
type repoContext struct {
	staffByEmail map[string]string
	planInForce  string
	records      map[string]*record.Record // by id, for staff, plans and tests
	kindOf       map[string]string
}

// loadContext reads staff and plans, and with tests the test reports (to
// find a test's previous run).
func loadContext(w *workspace, paths []string, now time.Time, tests bool) *repoContext {
	c := &repoContext{staffByEmail: map[string]string{}, records: map[string]*record.Record{}, kindOf: map[string]string{}}
	type item struct {
		kind string
		rec  *record.Record
	}
	var want []string
	var kinds []string
	for _, p := range paths {
		k := check.KindOf(w.kinds, p)
		if k != nil && (k.Name == "staff" || k.Name == "plan" || k.Name == "test" && tests) {
			want, kinds = append(want, p), append(kinds, k.Name)
		}
	}
	// Parse on every core: a test run's previous run is found among
	// thousands of reports.
	items := make([]item, len(want))
	var wg sync.WaitGroup
	var next atomic.Int64
	for n := runtime.GOMAXPROCS(0); n > 0; n-- {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < len(want); i = int(next.Add(1) - 1) {
				if b, err := w.src.Read(want[i]); err == nil {
					r, _ := record.Parse(want[i], b)
					items[i] = item{kinds[i], r}
				}
			}
		}()
	}
	wg.Wait()
	today := now.Format(time.DateOnly)
	bestEff := ""
	for _, it := range items {
		r := it.rec
		if r == nil {
			continue
		}
		id, _ := r.Data["id"].(string)
		if id == "" {
			continue
		}
		c.records[id] = r
		c.kindOf[id] = it.kind
		switch it.kind {
		case "staff":
			if e, ok := r.Data["email"].(string); ok {
				c.staffByEmail[strings.ToLower(e)] = id
			}
		case "plan":
			eff, _ := r.Data["effective"].(string)
			if eff != "" && eff <= today && eff >= bestEff {
				bestEff, c.planInForce = eff, id
			}
		}
	}
	return c
}

// derive returns the starting content (nil: the template) and the values
// qms fills in from other records: the previous run of a test, the
// revision a new plan revision supersedes.
func derive(w *workspace, k *schema.Kind, c *repoContext, sets []assignment, now time.Time) ([]byte, []assignment, error) {
	userSet := map[string]any{}
	for _, s := range sets {
		if len(s.key) == 1 {
			userSet[s.key[0]] = s.value
		}
	}
	switch k.Name {
	case "test":
		test, _ := userSet["test"].(string)
		if test == "" {
			return nil, nil, nil
		}
		if _, given := userSet["previous"]; given {
			return nil, nil, nil
		}
		best, bestAt := "", ""
		for id, r := range c.records {
			if c.kindOf[id] != "test" || r.Data["test"] != test {
				continue
			}
			at, _ := r.Data["started_at"].(string)
			if t, err := time.Parse(time.RFC3339, at); err == nil && t.Before(now) && at > bestAt {
				best, bestAt = id, at
			}
		}
		if best != "" {
			return nil, []assignment{{[]string{"previous"}, best}}, nil
		}
	case "plan":
		doc, _ := userSet["document"].(string)
		var prev *record.Record
		var prevRev float64
		for id, r := range c.records {
			if c.kindOf[id] != "plan" {
				continue
			}
			d, _ := r.Data["document"].(string)
			if doc != "" && d != doc {
				continue
			}
			rev, _ := strconv.ParseFloat(schema.Scalar(r.Data["revision"]), 64)
			if prev == nil || rev > prevRev || (rev == prevRev && d < schema.Scalar(prev.Data["document"])) {
				prev, prevRev = r, rev
			}
		}
		if prev == nil {
			return nil, []assignment{{[]string{"next_review"}, now.AddDate(1, 0, 0).Format(time.DateOnly)}}, nil
		}
		b, err := w.src.Read(prev.Path)
		if err != nil {
			return nil, nil, err
		}
		next := int64(prevRev) + 1
		today := now.Format(time.DateOnly)
		return b, []assignment{
			{[]string{"revision"}, next},
			{[]string{"supersedes"}, prev.Data["id"]},
			{[]string{"effective"}, today},
			{[]string{"next_review"}, now.AddDate(1, 0, 0).Format(time.DateOnly)},
			{[]string{"reason"}, "periodic"},
		}, nil
	}
	return nil, nil, nil
}

func nextSeq(paths []string, k *schema.Kind, re *regexp.Regexp) int {
	max := 0
	for _, p := range paths {
		if path.Dir(p) != k.Folder {
			continue
		}
		m := re.FindStringSubmatch(strings.TrimSuffix(path.Base(p), ".md"))
		if m == nil {
			continue
		}
		if n, err := strconv.Atoi(m[1]); err == nil && n > max {
			max = n
		}
	}
	return max + 1
}

func chooseID(w *workspace, k *schema.Kind, base []byte, data templateData, given string, hasSeq bool, year, seq int, sets []assignment) (string, error) {
	switch {
	case given != "":
		if !fs.ValidPath(given+".md") || strings.Contains(given, "/") {
			return "", usagef("--id %q is not a usable file name", given)
		}
		return given, nil
	case hasSeq:
		return k.FormatID(nil, year, seq), nil
	case k.IDTemplate != "":
		// Named by fields ({document}-r{revision}): fill them from the
		// template and the sets, then name the record.
		content, err := render(w, k, base, data, sets)
		if err != nil {
			return "", err
		}
		r, _ := record.Parse("", content)
		if r == nil {
			return "", fmt.Errorf("template for %s does not render a record", k.Name)
		}
		for _, f := range placeholderFields(k.IDTemplate) {
			if schema.Scalar(r.Data[f]) == "" {
				return "", withHint(usagef("a %s is named %s: %s is missing", k.Name, k.IDTemplate, f), "pass --set %s=VALUE", f)
			}
		}
		return k.FormatID(r.Data, year, 0), nil
	}
	return "", withHint(usagef("%s records are named by people: pass --id", k.Name), "e.g. 'qms new %s --id jdoe'", k.Name)
}

var fieldPlaceholder = regexp.MustCompile(`\{([a-z_]+)\}`)

func placeholderFields(t string) []string {
	var out []string
	for _, m := range fieldPlaceholder.FindAllStringSubmatch(t, -1) {
		if m[1] != "year" && m[1] != "seq" {
			out = append(out, m[1])
		}
	}
	return out
}

// render makes the record's text: the template (or base) with sets applied
// and the id written in.
func render(w *workspace, k *schema.Kind, base []byte, data templateData, sets []assignment) ([]byte, error) {
	content := base
	if content == nil {
		src, name, err := findTemplate(w, k.Name, data.Level)
		if err != nil {
			return nil, err
		}
		t, err := template.New(name).Option("missingkey=zero").Funcs(template.FuncMap{
			"yaml": func(v any) string { return record.Flow(v) },
		}).Parse(string(src))
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		var b bytes.Buffer
		if err := t.Execute(&b, data); err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		content = b.Bytes()
	}
	var err error
	if content, err = record.Set(content, []string{"id"}, data.ID); err != nil {
		return nil, fmt.Errorf("template for %s: %w", k.Name, err)
	}
	for _, s := range sets {
		if content, err = record.Set(content, s.key, s.value); err != nil {
			return nil, usagef("--set %s: %v", strings.Join(s.key, "."), err)
		}
	}
	return content, nil
}

// findTemplate looks in the repository's templates/ first, then the
// built-in ones; an incident level has its own template when one exists.
func findTemplate(w *workspace, kind, level string) ([]byte, string, error) {
	var names []string
	if level != "" {
		names = append(names, kind+"-"+level+".md")
	}
	names = append(names, kind+".md")
	for _, n := range names {
		p := "templates/" + n
		if w.src.Exists(p) {
			b, err := w.src.Read(p)
			return b, p, err
		}
		if b, err := fs.ReadFile(qms.Defaults, p); err == nil {
			return b, "(built-in) " + p, nil
		}
	}
	return nil, "", withHint(usagef("no template for %s", kind), "add templates/%s.md", kind)
}

// newFindings checks the record about to be created, with the rest of the
// repository, and returns its errors.
func newFindings(env *Env, w *workspace, paths []string, rel string, content []byte) []qms.Finding {
	src := check.Overlay{Base: w.src, Files: map[string][]byte{rel: content}}
	all := append(append([]string(nil), paths...), rel)
	// The cache spares parsing the rest of the repository; it is not saved,
	// as the new record may never be written.
	chk := &check.Checker{Kinds: w.kinds, Cache: w.cache(env)}
	res, err := chk.Check(src, all)
	if err != nil {
		return []qms.Finding{{Path: rel, Line: 1, Column: 1, Rule: "io", Severity: qms.Error, Message: err.Error()}}
	}
	var out []qms.Finding
	for _, f := range res.Findings {
		if f.Path == rel && f.Severity == qms.Error {
			out = append(out, f)
		}
	}
	return out
}

// missingValues explains, field by field, which flag supplies what the
// new record lacks.
func missingValues(env *Env, k *schema.Kind, id string, content []byte, fs_ []qms.Finding, c *repoContext, author string) error {
	fmt.Fprintf(env.Stderr, "qms: %s %s cannot be created as given; nothing was written:\n", k.Name, id)
	lines := strings.Split(string(content), "\n")
	r, _ := record.Parse("", content)
	seen := map[string]bool{}
	for _, f := range fs_ {
		key := keyAt(lines, f.Line)
		flag := "--set " + key + "=" + placeholderFor(r, key, k, c)
		switch {
		case f.Rule == "unknown-field":
			flag = "" // the hint says what to do instead
		case key == "title":
			flag = "--title TEXT"
		case key == "level":
			flag = "--level minimal|moderate|major|catastrophic"
		case key == "":
			flag = "--edit to write it yourself"
		}
		fmt.Fprintf(env.Stderr, "qms:   %s [%s]\n", f.Message, f.Rule)
		if f.Rule == "unknown-field" {
			fmt.Fprintf(env.Stderr, "qms:     %s has no field %q: leave out --set %s (%s)\n", k.Name, key, key, f.Hint)
		} else if f.Hint != "" && f.Rule != "required" {
			fmt.Fprintf(env.Stderr, "qms:     %s\n", f.Hint)
		}
		if flag != "" && !seen[flag] {
			fmt.Fprintf(env.Stderr, "qms:     pass %s\n", flag)
			seen[flag] = true
		}
	}
	if author == "" {
		fmt.Fprintf(env.Stderr, "qms: note: no staff record has your git user.email, so author fields are empty\n")
	}
	return usageError{msg: fmt.Sprintf("%s needs the values above (or --edit to create it and fill them in)", k.Name)}
}

// placeholderFor shows the shape of a value, with the choices the plan in
// force offers where it names them.
func placeholderFor(r *record.Record, key string, k *schema.Kind, c *repoContext) string {
	var cur any
	if r != nil {
		cur = r.Data[key]
	}
	plan := c.records[c.planInForce]
	var services, tests []string
	if plan != nil {
		obj, _ := plan.Data["objectives"].(map[string]any)
		for s := range obj {
			services = append(services, s)
		}
		sort.Strings(services)
		ts, _ := plan.Data["tests"].([]any)
		for _, t := range ts {
			m, _ := t.(map[string]any)
			if id, ok := m["id"].(string); ok {
				tests = append(tests, id)
			}
		}
	}
	switch {
	case k.Name == "incident" && key == "services" && len(services) > 0:
		return fmt.Sprintf("[SERVICE, ...] (services of %s: %s)", c.planInForce, strings.Join(services, ", "))
	case k.Name == "test" && key == "results" && len(services) > 0:
		return fmt.Sprintf("'{SERVICE: {rto_minutes: N, rpo_minutes: N}, ...}' (services of %s: %s)", c.planInForce, strings.Join(services, ", "))
	case k.Name == "test" && key == "test" && len(tests) > 0:
		return fmt.Sprintf("ID (tests of %s: %s)", c.planInForce, strings.Join(tests, ", "))
	}
	switch cur.(type) {
	case []any:
		return "[VALUE, ...]"
	case map[string]any:
		return "'{KEY: VALUE, ...}'"
	}
	return "VALUE"
}

var keyLine = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_-]*):`)

// keyAt returns the top-level frontmatter key whose block holds line.
func keyAt(lines []string, line int) string {
	for i := line - 1; i >= 1 && i < len(lines); i-- {
		if m := keyLine.FindStringSubmatch(lines[i]); m != nil {
			return m[1]
		}
		if strings.TrimSpace(lines[i]) == "---" {
			break
		}
	}
	return ""
}

// createExclusive writes p atomically and only if it does not exist: the
// content goes to a temporary file that is then hard-linked into place,
// which fails if p exists. Readers never see a partial record.
func createExclusive(p string, content []byte) error {
	tmp, err := safefile.Temp(filepath.Dir(p), ".qms-new-*", content, 0o644)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	err = os.Link(tmp, p)
	if err == nil || errors.Is(err, fs.ErrExist) {
		return err
	}
	// No hard links here (some network or FAT file systems): O_EXCL.
	return writeNew(p, content)
}

func editRecord(ctx context.Context, env *Env, w *workspace, rel, full string) error {
	editor := env.Getenv("VISUAL")
	if editor == "" {
		editor = env.Getenv("EDITOR")
	}
	if editor == "" {
		editor = "vi"
	}
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", editor+` "$1"`, "qms-editor", full)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = env.Stdin, env.Stdout, env.Stderr
	cmd.Dir = env.Dir
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("editor %q: %w", editor, err)
	}
	res, _, _, err := w.checkAll(env)
	if err != nil {
		return err
	}
	fs_ := filterPaths(res.Findings, []string{rel})
	for i := range fs_ {
		fs_[i].Path = w.display(env, fs_[i].Path)
	}
	if len(fs_) > 0 {
		printFindings(env.Stdout, "text", fs_, nil)
	}
	if qms.HasErrors(fs_) {
		return errFindings
	}
	return nil
}
