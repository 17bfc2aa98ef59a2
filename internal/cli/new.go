package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/check"
	"github.com/qms-tool/qms/internal/draft"
	"github.com/qms-tool/qms/internal/record"
	"github.com/qms-tool/qms/internal/records"
	"github.com/qms-tool/qms/internal/safefile"
	"github.com/qms-tool/qms/internal/schema"
)

// ruleIO is the finding given when the draft could not be checked.
const ruleIO = "io"

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
			"An id is free when neither the working tree, the index nor any local or remote-tracking\n" +
			"branch has it (fetch first to see your colleagues' latest branches).\n" +
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

func runNew(ctx context.Context, opts newOptions, env *Env) error {
	w, err := openWorkspace(env, false)
	if err != nil {
		return err
	}
	defer w.close()
	req, err := newRequest(w.kinds, opts)
	if err != nil {
		return err
	}
	k := req.Kind
	// Every record, checked: the draft is checked with them, and the
	// typed views give what it derives. The cache spares parsing them; it
	// is not saved, as the new record may never be written.
	cache := w.cache()
	paths, _, err := records.List(w.kinds, w.src)
	if err != nil {
		return err
	}
	entries, err := records.Load(w.src, w.kinds, paths, records.Options{Check: check.File, Cache: cache})
	if err != nil {
		return err
	}
	repo := &draft.Repo{FS: w.src, Paths: paths, Index: records.NewIndex(entries), Now: env.Now()}
	if g, err := w.gitRepo(); err == nil {
		_, req.Email = g.Identity(env.Getenv("GIT_CONFIG_NOSYSTEM") != "")
		// Ids that the index or any branch uses are not free either.
		repo.Git = g
		if rel, err := filepath.Rel(g.Root, w.root); err == nil && rel != "." {
			repo.GitPrefix = filepath.ToSlash(rel)
		}
		if st, err := g.Staged(env.Getenv("GIT_INDEX_FILE")); err == nil {
			repo.Staged = st
		} else {
			fmt.Fprintf(env.Stderr, "qms: warning: cannot read which ids the index uses: %v\n", err)
		}
	}
	mk, err := repo.Start(req)
	if err != nil {
		return draftError(err)
	}
	for _, u := range mk.Unread {
		fmt.Fprintf(env.Stderr, "qms: warning: cannot read which ids %s uses: %v\n", u.Where, u.Err)
	}
	for {
		d, err := mk.Draft()
		if err != nil {
			return draftError(err)
		}
		if records.Exists(w.src, d.Path) {
			if mk.Retry() {
				continue
			}
			return withHint(usagef("%s already exists", w.display(env, d.Path)), "choose another --id")
		}
		if fs_ := draftFindings(w, entries, d); len(fs_) > 0 && !opts.edit {
			noteSkipped(env, mk, d.ID)
			return missingValues(env, mk, d, k, fs_)
		}
		full := filepath.Join(w.root, filepath.FromSlash(d.Path))
		err = createExclusive(full, d.Content)
		if errors.Is(err, fs.ErrExist) && mk.Retry() {
			continue // someone took this id a moment ago
		}
		if errors.Is(err, fs.ErrExist) {
			return withHint(usagef("%s already exists", w.display(env, d.Path)), "choose another --id")
		}
		if err != nil {
			return err
		}
		noteSkipped(env, mk, d.ID)
		fmt.Fprintln(env.Stdout, w.display(env, d.Path))
		if opts.edit {
			return editRecord(ctx, env, w, d.Path, full)
		}
		return nil
	}
}

// noteSkipped says which ids the new record's id stepped over because
// other branches or the index use them; nothing when it stepped over none.
func noteSkipped(env *Env, mk *draft.Maker, id string) {
	if len(mk.Skipped) == 0 {
		return
	}
	var ids, branches []string
	staged, seen := false, map[string]bool{}
	for _, t := range mk.Skipped {
		ids = append(ids, t.ID)
		staged = staged || t.Staged
		for _, b := range t.Branches {
			if !seen[b] {
				seen[b] = true
				branches = append(branches, b)
			}
		}
	}
	verb := "are"
	switch {
	case len(ids) == 1:
		verb = "is"
	case len(ids) > 2:
		ids = []string{ids[0], ids[1], fmt.Sprintf("%d more", len(ids)-2)}
	}
	var where []string
	switch len(branches) {
	case 0:
	case 1:
		where = append(where, "on branch "+branches[0])
	default:
		const most = 4
		if len(branches) > most {
			branches = append(branches[:most-1:most-1], fmt.Sprintf("%d more", len(branches)-most+1))
		}
		where = append(where, "on branches "+andList(branches))
	}
	sep := " and "
	if len(branches) > 1 {
		sep = ", and " // "on branches a and b, and in the index"
	}
	if staged {
		where = append(where, "in the index")
	}
	fmt.Fprintf(env.Stderr, "qms: %s %s taken %s; using %s\n", andList(ids), verb, strings.Join(where, sep), id)
}

// andList joins words as "a, b and c".
func andList(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}

// newRequest turns the flags into a request, refusing what cannot work.
func newRequest(kinds *schema.Set, opts newOptions) (draft.Request, error) {
	k := kinds.Kinds[opts.kind]
	if k == nil {
		return draft.Request{}, withHint(usagef("unknown kind %q", opts.kind), "kinds: %s", strings.Join(creatable(kinds), ", "))
	}
	if k.Folder == "" {
		return draft.Request{}, withHint(usagef("%s is a single record (%s), not a kind to add records to", k.Name, k.File), "edit %s instead", k.File)
	}
	if opts.level != "" && k.Name != records.KindIncident {
		return draft.Request{}, usagef("--level is for incidents")
	}
	switch opts.level {
	case "", "minimal", "moderate", "major", "catastrophic":
	default:
		return draft.Request{}, usagef("unknown level %q (use minimal, moderate, major or catastrophic)", opts.level)
	}
	if opts.title != "" && !hasProperty(k, "title") {
		return draft.Request{}, withHint(usagef("%s records have no title", k.Name), "use --set FIELD=VALUE; fields: %s", strings.Join(k.Properties, ", "))
	}
	req := draft.Request{Kind: k, Title: opts.title, Level: opts.level, ID: opts.id}
	for _, s := range opts.sets {
		key, val, ok := strings.Cut(s, "=")
		if !ok || key == "" {
			return draft.Request{}, usagef("--set %q: use key=value", s)
		}
		parts := strings.Split(key, ".")
		for _, p := range parts {
			if p == "" {
				return draft.Request{}, usagef("--set %q: empty part in the field name", s)
			}
		}
		if parts[0] == "id" {
			return draft.Request{}, usagef("use --id to name the record, not --set id=")
		}
		req.Sets = append(req.Sets, draft.Set{Key: parts, Value: record.Value(val)})
	}
	return req, nil
}

// draftError says, in the command's words, why a record cannot be made.
func draftError(err error) error {
	var (
		idErr    *draft.IDError
		fieldErr *draft.NameFieldError
		named    *draft.NamedByPeopleError
		setErr   *draft.SetError
		noTmpl   *draft.NoTemplateError
	)
	switch {
	case errors.As(err, &idErr):
		return usagef("--id %s", idErr)
	case errors.As(err, &fieldErr):
		return withHint(usageError{msg: fieldErr.Error()}, "pass --set %s=VALUE", fieldErr.Field)
	case errors.As(err, &named):
		return withHint(usagef("%s: pass --id", named), "e.g. 'qms new %s --id jdoe'", named.Kind)
	case errors.As(err, &setErr):
		return usagef("--set %s", setErr)
	case errors.As(err, &noTmpl):
		return withHint(usageError{msg: noTmpl.Error()}, "add templates/%s.md", noTmpl.Name)
	}
	return err
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

// draftFindings checks the draft with the rest of the repository and
// returns its errors.
func draftFindings(w *workspace, entries []*records.Entry, d *draft.Draft) []qms.Finding {
	src := records.Overlay(w.src, map[string][]byte{d.Path: d.Content})
	es, err := records.Load(src, w.kinds, []string{d.Path}, records.Options{Check: check.File})
	if err != nil {
		return []qms.Finding{{Path: d.Path, Line: 1, Column: 1, Rule: ruleIO, Severity: qms.Error, Message: err.Error()}}
	}
	res := check.Entries(w.kinds, src, append(entries[:len(entries):len(entries)], es...))
	var out []qms.Finding
	for _, f := range res.Findings {
		if f.Path == d.Path && f.Severity == qms.Error {
			out = append(out, f)
		}
	}
	return out
}

// missingValues explains, field by field, which flag supplies what the
// new record lacks.
func missingValues(env *Env, mk *draft.Maker, d *draft.Draft, k *schema.Kind, fs_ []qms.Finding) error {
	fmt.Fprintf(env.Stderr, "qms: %s %s cannot be created as given; nothing was written:\n", k.Name, d.ID)
	seen := map[string]bool{}
	for _, f := range fs_ {
		a := mk.Advise(d, f.Line)
		key := a.Field
		flag := "--set " + key + "=" + a.Placeholder
		switch {
		case f.Rule == check.RuleUnknownField:
			flag = "" // the hint says what to do instead
		case key == "title":
			flag = "--title TEXT"
		case key == "level" && k.Name == records.KindIncident:
			flag = "--level minimal|moderate|major|catastrophic"
		case key == "":
			flag = "--edit to write it yourself"
		}
		fmt.Fprintf(env.Stderr, "qms:   %s [%s]\n", f.Message, f.Rule)
		if f.Rule == check.RuleUnknownField {
			fmt.Fprintf(env.Stderr, "qms:     %s has no field %q: leave out --set %s (%s)\n", k.Name, key, key, f.Hint)
		} else if f.Hint != "" && f.Rule != check.RuleRequired {
			fmt.Fprintf(env.Stderr, "qms:     %s\n", f.Hint)
		}
		if flag != "" && !seen[flag] {
			fmt.Fprintf(env.Stderr, "qms:     pass %s\n", flag)
			seen[flag] = true
		}
	}
	if mk.Data.Author == "" {
		fmt.Fprintf(env.Stderr, "qms: note: no staff record has your git user.email, so author fields are empty\n")
	}
	return usageError{msg: fmt.Sprintf("%s needs the values above (or --edit to create it and fill them in)", k.Name)}
}

// createExclusive writes p atomically and only if it does not exist: the
// content goes to a temporary file that is then hard-linked into place,
// which fails if p exists. Readers never see a partial record.
func createExclusive(p string, content []byte) error {
	// The kind's folder, when no record of it was made yet (a kind added
	// since 'qms init', such as document).
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
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
