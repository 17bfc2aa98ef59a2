package cli

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"text/template"

	"github.com/urfave/cli/v2"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/draft"
	"github.com/qms-tool/qms/internal/record"
	"github.com/qms-tool/qms/internal/records"
)

// ruleNoticeStage is the finding when a notice does not fit the incident.
const ruleNoticeStage = "notice-stage"

type notifyOptions struct {
	id, stage, eta string
	// sent records the notice in the incident's notice log.
	sent             bool
	audience, at, by string
	channels         []string
}

// noticeStages are the stakeholder notices the plan asks for.
var noticeStages = []string{"initial", "update", "resolved"}

func notifyCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "notify",
		Usage:     "print the stakeholder notice for an incident",
		ArgsUsage: "ID",
		Description: "Fills templates/notice-<stage>.md (or notice-<stage>-<level>.md when it exists; the\n" +
			"repository's templates/ overrides the built-in ones) from the incident record: .Record\n" +
			"is its frontmatter (services, times, level...), .Company the company in qms.yaml, .ETA\n" +
			"the --eta text and .Stage the stage. A resolved notice is refused while the incident is\n" +
			"open (exit 1): record its resolution first.\n\n" +
			"With --sent, the notice is also recorded in the incident's notice log (notices): the stage,\n" +
			"--audience, the time it was sent (--at, default now), who sent it (--by, default the staff\n" +
			"member with your git user.email) and the channels (--channel, default those the plan in\n" +
			"force at detection sets for the audience). A notice before detection, or other than the\n" +
			"resolved notice after resolution, is refused (exit 1) and nothing is written.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "stage", Usage: "initial, update or resolved"},
			&cli.StringFlag{Name: "eta", Usage: "expected restoration, as the stakeholders should read it"},
			&cli.BoolFlag{Name: "sent", Usage: "record the notice as sent in the incident's notice log"},
			&cli.StringFlag{Name: "audience", Usage: "with --sent: internal or external"},
			&cli.StringFlag{Name: "at", Usage: "with --sent: when it was sent (RFC 3339), default now"},
			&cli.StringFlag{Name: "by", Usage: "with --sent: the staff id of who sent it, default the one with your git user.email"},
			&cli.StringSliceFlag{Name: "channel", Usage: "with --sent: a channel it went by (repeat), default the plan's for the audience"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return withHint(usagef("notify needs exactly one incident id"), "qms notify INC-2026-0001 --stage initial")
			}
			return runNotify(c.Context, notifyOptions{id: c.Args().First(), stage: c.String("stage"), eta: c.String("eta"),
				sent: c.Bool("sent"), audience: c.String("audience"), at: c.String("at"), by: c.String("by"), channels: c.StringSlice("channel")}, env)
		},
	}
}

// noticeData is what notice templates see (templates/README.md).
type noticeData struct {
	Record  map[string]any
	Company string
	ETA     string
	Stage   string
	Path    string
}

func runNotify(_ context.Context, opts notifyOptions, env *Env) error {
	if !contains(noticeStages, opts.stage) {
		if opts.stage == "" {
			return usagef("--stage is required: %s", strings.Join(noticeStages, ", "))
		}
		return usagef("unknown --stage %q (use %s)", opts.stage, strings.Join(noticeStages, ", "))
	}
	if err := checkSentFlags(opts); err != nil {
		return err
	}
	w, err := openWorkspace(env, false)
	if err != nil {
		return err
	}
	defer w.close()
	k := w.kinds.Kinds[records.KindIncident]
	if k == nil || k.Folder == "" {
		return usagef("the repository has no incident kind")
	}
	if strings.ContainsAny(opts.id, `/\`) || strings.HasPrefix(opts.id, ".") {
		return usagef("%q is not an incident id", opts.id)
	}
	p := k.Folder + "/" + strings.TrimSuffix(opts.id, ".md") + ".md"
	if !records.Exists(w.src, p) {
		return withHint(usagef("no incident %s (%s does not exist)", opts.id, p), "run 'qms status' to list the open incidents")
	}
	b, err := records.ReadFile(w.src, p)
	if err != nil {
		return err
	}
	rec, fs_ := record.Parse(p, b)
	if rec == nil || qms.HasErrors(fs_) {
		printFindings(env.Stdout, "text", fs_, nil)
		return withHint(errFindings, "fix %s, then run 'qms validate'", p)
	}
	if opts.stage == "resolved" && (rec.Data["status"] == "open" || rec.Data["resolved_at"] == nil) {
		pos := rec.Locate([]string{"status"})
		printFindings(env.Stdout, "text", []qms.Finding{{Path: w.display(env, p), Line: pos.Line, Column: pos.Col, Rule: ruleNoticeStage, Severity: qms.Error,
			Message: fmt.Sprintf("%s is still open: a resolved notice would tell stakeholders what the record does not say", opts.id),
			Hint:    "set status and resolved_at (and the measured downtime and data loss) first, or send an update notice"}}, nil)
		return errFindings
	}
	level, _ := rec.Data["level"].(string)
	if strings.ContainsAny(level, `/\.`) {
		level = ""
	}
	src, name, err := draft.Template(w.src, "notice-"+opts.stage, level)
	if err != nil {
		return draftError(err)
	}
	t, err := template.New(name).Option("missingkey=zero").Parse(string(src))
	if err != nil {
		return withHint(fmt.Errorf("template %s: %w", name, err), "see templates/README.md for what a notice template can use")
	}
	var out bytes.Buffer
	data := noticeData{Record: rec.Data, Company: w.cfg.Company, ETA: opts.eta, Stage: opts.stage, Path: p}
	if err := t.Execute(&out, data); err != nil {
		return withHint(fmt.Errorf("template %s: %w", name, err), "see templates/README.md for what a notice template can use")
	}
	text := strings.ReplaceAll(out.String(), "<no value>", "")
	if !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	if opts.sent {
		// Recorded first: a notice the log refuses is not printed as sent.
		if err := recordNotice(env, w, p, b, opts); err != nil {
			return err
		}
	}
	_, err = fmt.Fprint(env.Stdout, text)
	return err
}
