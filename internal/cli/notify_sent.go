package cli

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/check"
	"github.com/qms-tool/qms/internal/record"
	"github.com/qms-tool/qms/internal/records"
	"github.com/qms-tool/qms/internal/safefile"
)

// noticeAudiences are the audiences of a communication plan.
var noticeAudiences = []string{"internal", "external"}

// checkSentFlags refuses the flags of --sent without it, and a missing or
// unknown audience with it.
func checkSentFlags(opts notifyOptions) error {
	if !opts.sent {
		if opts.audience != "" || opts.at != "" || opts.by != "" || len(opts.channels) > 0 {
			return usagef("--audience, --at, --by and --channel record a notice: add --sent")
		}
		return nil
	}
	if !contains(noticeAudiences, opts.audience) {
		return withHint(usagef("--sent needs --audience internal or external"), "qms notify %s --stage %s --audience external --sent", opts.id, opts.stage)
	}
	if opts.at != "" {
		if _, err := time.Parse(time.RFC3339, opts.at); err != nil {
			return usagef("--at %q is not a time such as 2026-11-23T09:30:00+01:00", opts.at)
		}
	}
	return nil
}

// recordNotice appends the notice to the notice log of the incident at p
// (src its bytes) and writes the file atomically, after checking that the
// new log fits the record: known staff, a time between detection and
// resolution, a record its schema accepts.
func recordNotice(env *Env, w *workspace, p string, src []byte, opts notifyOptions) error {
	ix, err := loadIndex(env, w, true)
	if err != nil {
		return err
	}
	rec, _ := record.Parse(p, src)
	in := (*records.Incident)(nil)
	for _, x := range ix.Incidents {
		if x.Path == p {
			in = x
		}
	}
	if in == nil {
		return withHint(errFindings, "fix %s, then run 'qms validate'", p)
	}
	at := opts.at
	if at == "" {
		at = env.Now().Truncate(time.Second).Format(time.RFC3339)
	}
	by := opts.by
	if by == "" {
		if g, err := w.gitRepo(); err == nil {
			_, email := g.Identity(env.Getenv("GIT_CONFIG_NOSYSTEM") != "")
			by = ix.StaffByEmail(email)
		}
		if by == "" {
			return withHint(usagef("no staff record has your git user.email: say who sent the notice"), "pass --by STAFF-ID")
		}
	}
	known := false
	for _, s := range ix.Staff {
		known = known || s.DisplayID() == by
	}
	if !known {
		return withHint(usagef("no staff record has id %q", by), "pass --by with the id of a staff record (records/staff)")
	}
	channels := opts.channels
	if len(channels) == 0 {
		if pl := ix.InForce(in.DetectedAt); pl != nil {
			if c := pl.CadenceFor(opts.audience, in.Level); c != nil {
				channels = c.Channels
			}
		}
	}
	// The times, as validate judges them.
	sent, _ := time.Parse(time.RFC3339, at)
	pos := rec.Locate([]string{"detected_at"})
	finding := func(msg, hint string) error {
		printFindings(env.Stdout, "text", []qms.Finding{{Path: w.display(env, p), Line: pos.Line, Column: pos.Col, Rule: check.RuleNoticeTime,
			Severity: qms.Error, Message: msg, Hint: hint}}, nil)
		return errFindings
	}
	if det, ok := records.Time(in.DetectedAt); ok && sent.Before(det) {
		return finding(fmt.Sprintf("the notice sent at %s would be before detected_at %s", at, in.DetectedAt), "pass --at with the time it was sent")
	}
	if res, ok := records.Time(in.ResolvedAt); ok && sent.After(res) && opts.stage != "resolved" {
		pos = rec.Locate([]string{"resolved_at"})
		return finding(fmt.Sprintf("the %s notice sent at %s would be after resolved_at %s", opts.stage, at, in.ResolvedAt),
			"after resolution only the resolved notice goes out")
	}
	if res, ok := records.Time(in.ResolvedAt); ok && sent.Before(res) && opts.stage == "resolved" {
		pos = rec.Locate([]string{"resolved_at"})
		return finding(fmt.Sprintf("the resolved notice sent at %s would be before resolved_at %s", at, in.ResolvedAt),
			"pass --at with the time it was sent, or correct resolved_at")
	}
	entry := map[string]any{"stage": opts.stage, "audience": opts.audience, "sent_at": at, "by": by}
	if len(channels) > 0 {
		l := make([]any, len(channels))
		for i, c := range channels {
			l[i] = c
		}
		entry["channels"] = l
	}
	old, _ := rec.Data["notices"].([]any)
	log := append(slices.Clone(old), entry)
	out, err := record.Set(src, []string{"notices"}, log)
	if err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	if _, fs_ := check.CheckFile(w.kinds.Kinds[records.KindIncident], p, out); qms.HasErrors(fs_) {
		printFindings(env.Stdout, "text", fs_, nil)
		return withHint(errFindings, "nothing was written to %s", p)
	}
	if err := safefile.Write(filepath.Join(w.root, filepath.FromSlash(p)), out, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "qms: recorded in %s: %s %s notice sent %s by %s%s\n", w.display(env, p), opts.audience, opts.stage, at, by, channelWord(channels))
	return nil
}

func channelWord(cs []string) string {
	if len(cs) == 0 {
		return ""
	}
	return " (" + strings.Join(cs, ", ") + ")"
}
