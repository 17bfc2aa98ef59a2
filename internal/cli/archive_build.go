package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"
	"github.com/yuin/goldmark"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/approval"
	"github.com/qms-tool/qms/internal/archive"
	"github.com/qms-tool/qms/internal/config"
	"github.com/qms-tool/qms/internal/record"
	"github.com/qms-tool/qms/internal/safefile"
	"github.com/qms-tool/qms/internal/schema"
)

type archiveBuildOptions struct {
	out     string
	signKey string
	commit  string
	branch  string
	format  string
}

func archiveBuildCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:  "build",
		Usage: "write the signed archive of a commit (default HEAD)",
		Description: "Writes qms-<commit date>-<commit>.tar.gz and its detached signature (.asc) into\n" +
			".git/qms/archive/ (or --out FILE and FILE.asc). The same commit built by the same qms\n" +
			"gives the same bytes from any clone. The signing key is an armored OpenPGP secret key\n" +
			"without passphrase, from --sign-key FILE or QMS_SIGN_KEY=FILE, never inside the repository.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "write the archive to `FILE` (default .git/qms/archive/NAME)"},
			&cli.StringFlag{Name: "sign-key", Usage: "armored OpenPGP secret key `FILE` (default $QMS_SIGN_KEY)"},
			&cli.StringFlag{Name: "commit", Value: "HEAD", Usage: "the `REV` to archive"},
			&cli.StringFlag{Name: "branch", Usage: "the branch `NAME` the history is bundled under (default: the current branch when REV is its tip, else main)"},
			formatFlag(false),
		},
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			return runArchiveBuild(c.Context, archiveBuildOptions{out: c.String("out"), signKey: c.String("sign-key"),
				commit: c.String("commit"), branch: c.String("branch"), format: c.String("format")}, env)
		},
	}
}

func runArchiveBuild(ctx context.Context, opts archiveBuildOptions, env *Env) error {
	if err := checkFormat(opts.format, false); err != nil {
		return err
	}
	built, err := buildArchive(ctx, env, opts)
	if err != nil {
		return err
	}
	if opts.format == "json" {
		return json.NewEncoder(env.Stdout).Encode(built)
	}
	i := built.Info
	fmt.Fprintf(env.Stdout, "archive   %s\n", built.Path)
	fmt.Fprintf(env.Stdout, "signature %s\n", built.SigPath)
	fmt.Fprintf(env.Stdout, "commit    %s (%s, %s)\n", i.Commit, i.Branch, i.CommitTime.Format("2006-01-02 15:04:05 UTC"))
	fmt.Fprintf(env.Stdout, "size      %d bytes\n", i.Size)
	fmt.Fprintf(env.Stdout, "sha256    %s\n", i.SHA256)
	fmt.Fprintf(env.Stdout, "signer    %s\n", i.Signer)
	return nil
}

// builtArchiveFiles is a built archive on disk.
type builtArchiveFiles struct {
	Path    string       `json:"path"`
	SigPath string       `json:"signature_path"`
	Info    archive.Info `json:"archive"`
}

// buildArchive builds the archive of opts.commit into opts.out (default:
// archiveDir) with its signature beside it, each renamed into place only
// once complete. 'qms archive push' calls it when the archive of HEAD is
// not built yet.
func buildArchive(ctx context.Context, env *Env, opts archiveBuildOptions) (*builtArchiveFiles, error) {
	w, err := openWorkspace(env, false)
	if err != nil {
		return nil, err
	}
	defer w.close()
	repo, err := w.gitRepo()
	if err != nil {
		return nil, err
	}
	key, _, err := readSignKey(env, opts.signKey, repo.Root)
	if err != nil {
		return nil, err
	}
	desc, err := archive.Describe(ctx, repo.Root, opts.commit, opts.branch)
	if errors.Is(err, archive.ErrNoCommit) {
		return nil, withHint(usageError{err.Error()}, "commit the records first, or name an existing commit with --commit")
	}
	if err != nil {
		return nil, err
	}
	// Settings and kinds come from the archived commit, not the working
	// tree: the same commit must give the same archive.
	cm, err := repo.Commit(desc.Commit)
	if err != nil {
		return nil, err
	}
	tree, err := repo.TreeFS(cm.Tree)
	if err != nil {
		return nil, err
	}
	cfg, _, err := config.Load(tree)
	if err != nil {
		return nil, withHint(fmt.Errorf("commit %s: %w", short(desc.Commit), err), "archive a commit of the QMS repository")
	}
	kindSet, _ := schema.Load(qms.Defaults, tree)
	kinds := map[string]string{}
	for _, name := range kindSet.Names {
		k := kindSet.Kinds[name]
		kinds[name] = k.Folder + k.File
	}
	// The retention goes into archive.json, so that the archive itself says
	// how long it must be kept; push applies it.
	retain, kindRetain := archive.DefaultRetention, map[string]archive.Period{}
	if r := cfg.Archive.Retain; r != "" {
		if retain, err = parseRetainPeriod(r); err != nil {
			return nil, usagef("qms.yaml archive.retain %q: %v", r, err)
		}
	}
	for kind, r := range cfg.Archive.RetainKinds {
		p, err := parseRetainPeriod(r)
		if err != nil {
			return nil, usagef("qms.yaml archive.retain_kinds.%s %q: %v", kind, r, err)
		}
		kindRetain[kind] = p
	}
	out := opts.out
	if out == "" {
		out = filepath.Join(archiveDir(repo), desc.Name)
	} else if !filepath.IsAbs(out) {
		out = filepath.Join(env.Dir, out)
	}
	if st, err := os.Stat(out); err == nil && st.IsDir() {
		out = filepath.Join(out, desc.Name)
	}
	dir := filepath.Dir(out)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(dir, ".qms-archive-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	bw := bufio.NewWriterSize(tmp, 1<<20)

	sigs := archiveSignatures(ctx, env, w, repo.Root, desc.Commit)
	info, err := archive.Build(ctx, bw, archive.BuildOptions{
		Root: repo.Root, Commit: desc.Commit, Branch: desc.Branch, SignKey: key,
		ToolVersion: Version, Kinds: kinds, Now: env.Now,
		Retention: retain, KindRetention: kindRetain,
		HTML: recordPages(ctx, repo.Root, desc.Commit, kindSet, sigs),
	})
	if err != nil {
		return nil, err
	}
	if err := bw.Flush(); err != nil {
		return nil, err
	}
	if err := tmp.Sync(); err != nil {
		return nil, err
	}
	if err := tmp.Chmod(0o444); err != nil {
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	sig := out + archive.SigSuffix
	if err := safefile.Write(sig, info.Signature, 0o444); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return nil, err
	}
	return &builtArchiveFiles{Path: displayPath(env, out), SigPath: displayPath(env, sig), Info: info}, nil
}

// displayPath shows p relative to the working directory when it is below it.
func displayPath(env *Env, p string) string {
	if rel, err := filepath.Rel(env.Dir, p); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return p
}

// pageSignatures is what the pages say about approvals: each record's
// state and signatures, and how they were verified.
type pageSignatures struct {
	note   string
	states map[string]approval.State
}

// archiveSignatures verifies the history as 'qms verify' does when the
// archived commit is HEAD and a trust root is configured; otherwise the
// pages say why they show no signatures. The outcome depends only on the
// history, so the archive stays deterministic.
func archiveSignatures(ctx context.Context, env *Env, w *workspace, root, commit string) pageSignatures {
	if w.cfg.TrustRoot.Commit == "" {
		return pageSignatures{note: "Signatures were not verified when this archive was made: qms.yaml sets no trust_root. The history in repo.bundle holds every signature ('git log --show-signature')."}
	}
	head, err := archive.Describe(ctx, root, "HEAD", "")
	if err != nil || head.Commit != commit {
		return pageSignatures{note: "Signatures were not verified when this archive was made: it was built from a commit other than HEAD. The history in repo.bundle holds every signature ('git log --show-signature')."}
	}
	v, err := verifyHistory(env, "", false)
	if err != nil {
		return pageSignatures{note: "Signatures could not be verified when this archive was made: " + err.Error()}
	}
	defer v.w.close()
	ps := pageSignatures{states: map[string]approval.State{}}
	ps.note = fmt.Sprintf("Signatures verified by qms %s from the trust root %s: %s, %s.", Version, short(w.cfg.TrustRoot.Commit),
		plural(v.report.Commits, "commit"), plural(len(v.report.Failures), "authentication failure"))
	for _, s := range v.states {
		ps.states[s.Path] = s
	}
	return ps
}

// recordPages renders every record at the commit as a plain HTML page:
// its frontmatter as a table, its approval state and signatures (21 CFR
// 11.50: printed name, role, meaning, UTC time; plus key and commit), its
// body with goldmark (raw HTML in records is escaped, never passed
// through), and an index by kind.
//
// TODO(issue 6): the lead replaces this with the shared renderer of
// 'qms render', which also shows each record's signatures.
func recordPages(ctx context.Context, root, commit string, kinds *schema.Set, sigs pageSignatures) func(emit func(string, []byte) error) error {
	return func(emit func(string, []byte) error) error {
		kindOf := func(p string) string {
			if !strings.HasSuffix(p, ".md") {
				return ""
			}
			for _, name := range kinds.Names {
				k := kinds.Kinds[name]
				if k.File != "" && p == k.File || k.Folder != "" && path.Dir(p) == strings.Trim(k.Folder, "/") {
					return name
				}
			}
			return ""
		}
		type entry struct{ kind, id, title, page, path string }
		var index []entry
		md := goldmark.New()
		err := archive.ReadFiles(ctx, root, commit, func(p string) bool { return kindOf(p) != "" }, func(p string, src []byte) error {
			rec, _ := record.Parse(p, src)
			page := strings.TrimSuffix(p, ".md") + ".html"
			var body bytes.Buffer
			title := p
			var data map[string]any
			if rec != nil {
				data = rec.Data
				if t, ok := data["title"].(string); ok && t != "" {
					title = t
				}
				if err := md.Convert(rec.Body, &body); err != nil {
					return fmt.Errorf("%s: %w", p, err)
				}
			} else {
				body.WriteString("<pre>" + html.EscapeString(string(src)) + "</pre>\n")
			}
			id, _ := data["id"].(string)
			index = append(index, entry{kindOf(p), id, title, page, p})
			return emit(page, recordPage(p, title, data, sigs, body.Bytes(), strings.Count(page, "/")))
		})
		if err != nil {
			return err
		}
		var b bytes.Buffer
		b.WriteString(pageHead("Records", 0))
		b.WriteString("<h1>Records</h1>\n")
		fmt.Fprintf(&b, "<p>%s</p>\n", html.EscapeString(sigs.note))
		last := ""
		for _, e := range index {
			if e.kind != last {
				if last != "" {
					b.WriteString("</ul>\n")
				}
				fmt.Fprintf(&b, "<h2>%s</h2>\n<ul>\n", html.EscapeString(e.kind))
				last = e.kind
			}
			state := ""
			if st, ok := sigs.states[e.path]; ok {
				state = " (" + st.State + ")"
			}
			fmt.Fprintf(&b, "<li><a href=\"%s\">%s</a> %s%s</li>\n", html.EscapeString(e.page), html.EscapeString(e.id), html.EscapeString(e.title), html.EscapeString(state))
		}
		if last != "" {
			b.WriteString("</ul>\n")
		}
		b.WriteString("</body>\n</html>\n")
		return emit("index.html", b.Bytes())
	}
}

func pageHead(title string, depth int) string {
	return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" + html.EscapeString(title) + "</title>\n" +
		"<style>body{font-family:sans-serif;max-width:50em;margin:2em auto;padding:0 1em}table{border-collapse:collapse}" +
		"th,td{border:1px solid #999;padding:.2em .5em;text-align:left;vertical-align:top}</style>\n</head>\n<body>\n" +
		"<p><a href=\"" + strings.Repeat("../", depth) + "index.html\">All records</a></p>\n"
}

func recordPage(p, title string, data map[string]any, sigs pageSignatures, body []byte, depth int) []byte {
	var b bytes.Buffer
	b.WriteString(pageHead(title, depth))
	fmt.Fprintf(&b, "<h1>%s</h1>\n<p>Source: <code>tree/%s</code></p>\n<table>\n", html.EscapeString(title), html.EscapeString(p))
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := data[k]
		var s string
		switch v.(type) {
		case map[string]any, []any:
			j, _ := json.Marshal(v)
			s = string(j)
		case nil:
			s = ""
		default:
			s = fmt.Sprint(v)
		}
		fmt.Fprintf(&b, "<tr><th>%s</th><td>%s</td></tr>\n", html.EscapeString(k), html.EscapeString(s))
	}
	b.WriteString("</table>\n")
	if st, ok := sigs.states[p]; ok {
		fmt.Fprintf(&b, "<h2>Approval: %s</h2>\n", html.EscapeString(st.State))
		if len(st.Signatures) > 0 {
			b.WriteString("<table>\n<tr><th>Meaning</th><th>Name</th><th>Roles</th><th>Time (UTC)</th><th>Key</th><th>Commit</th></tr>\n")
			for _, g := range st.Signatures {
				fmt.Fprintf(&b, "<tr><td>%s</td><td>%s (%s)</td><td>%s</td><td>%s</td><td><code>%s</code></td><td><code>%s</code></td></tr>\n",
					html.EscapeString(g.Meaning), html.EscapeString(g.Name), html.EscapeString(g.Person), html.EscapeString(strings.Join(g.Roles, ", ")),
					g.Time.UTC().Format("2006-01-02 15:04:05"), html.EscapeString(g.Fingerprint), html.EscapeString(g.Commit))
			}
			b.WriteString("</table>\n")
		}
		for _, m := range st.Missing {
			fmt.Fprintf(&b, "<p>Still needs: %s</p>\n", html.EscapeString(m))
		}
	}
	fmt.Fprintf(&b, "<p><small>%s</small></p>\n", html.EscapeString(sigs.note))
	b.Write(body)
	b.WriteString("</body>\n</html>\n")
	return b.Bytes()
}
