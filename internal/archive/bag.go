package archive

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/qms-tool/qms"
)

// Rules of the bag's own findings (format 2), besides RuleFormat,
// RuleMember and RuleManifest.
const (
	RuleBag         = "archive-bag"          // bagit.txt or bag-info.txt missing or wrong, Payload-Oxum wrong
	RuleTagManifest = "archive-tag-manifest" // a tag file missing from, extra to or differing from the tag manifests
)

// Checked is what Inspect found in an archive.
type Checked struct {
	// Format is the archive's layout: 2 (a BagIt bag) or 1 (the previous
	// one, with MANIFEST.sha256), 0 when neither could be told.
	Format   int
	Findings []qms.Finding
	// TagManifest and BagInfo are the bag's tagmanifest-sha256.txt and
	// bag-info.txt, and SigningKey its data/keys/archive-signing-key.asc
	// (nil when absent or format 1): what the signature and the sidecars
	// are checked against.
	TagManifest, BagInfo, SigningKey []byte
	// Meta is archive.json, when it could be read.
	Meta *Meta
}

// fileSum is what Inspect keeps of each regular file.
type fileSum struct {
	size        int64
	sum, sum512 string
}

// inspector collects the members of an archive of either format.
type inspector struct {
	files map[string]fileSum
	small map[string][]byte // top-level files, archive.json and the signing key
	links []string
	// targets are the symbolic links' targets, by name.
	targets map[string]string
	found   []qms.Finding
}

// keepSmall says which members Inspect holds in memory (bounded by
// maxManifest): the top-level (tag) files, archive.json and the signing
// key of either format (not format 1's top-level repo.bundle).
func keepSmall(name string) bool {
	return !strings.Contains(name, "/") && name != BundleName || name == payload(MetaName) || name == payload(SigningKeyName) || name == SigningKeyName
}

// Inspect reads a .tar.gz archive of the current or the previous format
// from r to its end and reports what is wrong with it. For a bag (format
// 2): a damaged gzip or tar stream, unsafe members, bagit.txt, every
// payload file missing from, extra to or differing from each payload
// manifest, every tag file missing from, extra to or differing from the
// tag manifests, and a Payload-Oxum that does not match the payload. For
// format 1, what Check always reported. It holds only digests and the
// small tag files in memory; its error is for failures to read r.
func Inspect(ctx context.Context, r io.Reader) (Checked, error) {
	in := &inspector{files: map[string]fileSum{}, small: map[string][]byte{}}
	err := walk(ctx, r, in.member)
	var ferr *formatError
	switch {
	case errors.As(err, &ferr):
		in.add("", RuleFormat, ferr.Error())
		qms.SortFindings(in.found)
		return Checked{Findings: in.found}, nil
	case err != nil:
		return Checked{}, err
	}
	var c Checked
	switch {
	case in.has(BagitName) || in.hasPayload():
		c = in.bag()
	default:
		c = in.format1()
	}
	c.Findings = append(in.found, c.Findings...)
	qms.SortFindings(c.Findings)
	return c, nil
}

func (in *inspector) add(p, rule, msg string) {
	in.found = append(in.found, qms.Finding{Path: p, Rule: rule, Severity: qms.Error, Message: msg})
}

func (in *inspector) has(name string) bool { _, ok := in.files[name]; return ok }

func (in *inspector) hasPayload() bool {
	for n := range in.files {
		if strings.HasPrefix(n, PayloadDir+"/") {
			return true
		}
	}
	return false
}

func (in *inspector) member(name string, h *tar.Header, body io.Reader) error {
	if name == "" {
		return nil
	}
	if reason := unsafeMember(name, h); reason != "" {
		in.add(name, RuleMember, reason)
		return nil
	}
	switch h.Typeflag {
	case tar.TypeDir:
		return nil
	case tar.TypeSymlink:
		if _, dup := in.targets[name]; dup {
			in.add(name, RuleMember, "member appears twice")
			return nil
		}
		if in.targets == nil {
			in.targets = map[string]string{}
		}
		in.links = append(in.links, name)
		in.targets[name] = h.Linkname
		return nil
	}
	if _, dup := in.files[name]; dup {
		in.add(name, RuleMember, "member appears twice")
		return nil
	}
	h256, h512 := sha256.New(), sha512.New()
	w := io.MultiWriter(h256, h512)
	var kept []byte
	var n int64
	var err error
	if keepSmall(name) {
		kept, err = io.ReadAll(io.LimitReader(body, maxManifest+1))
		if err != nil {
			return err
		}
		if len(kept) > maxManifest {
			in.add(name, RuleManifest, "file is too large for a tag file")
			kept = nil
		}
		w.Write(kept)
		m, err := io.Copy(w, body)
		if err != nil {
			return err
		}
		n = int64(len(kept)) + m
		if kept != nil {
			in.small[name] = kept
		}
	} else if n, err = io.Copy(w, body); err != nil {
		return err
	}
	in.files[name] = fileSum{n, hex.EncodeToString(h256.Sum(nil)), hex.EncodeToString(h512.Sum(nil))}
	return nil
}

// format1 checks an archive of the previous layout, as Check always did.
func (in *inspector) format1() Checked {
	c := &checker{sums: map[string]string{}}
	for _, l := range in.links {
		if !strings.HasPrefix(l, "tree/") {
			c.add(l, RuleMember, "symbolic link outside tree/")
		}
	}
	for name, f := range in.files {
		if name == ManifestName {
			continue
		}
		c.sums[name] = f.sum
	}
	if _, ok := in.files[ManifestName]; ok {
		c.manifest = in.small[ManifestName]
		if c.manifest == nil {
			c.manifest = []byte{}
		}
	}
	c.finish()
	out := Checked{Format: 1, Findings: c.found, SigningKey: in.small[SigningKeyName]}
	if m := in.meta(MetaName); m != nil {
		out.Meta = m
	}
	if in.has(ManifestName) || in.has(MetaName) {
		return out
	}
	out.Format = 0
	return out
}

func (in *inspector) meta(name string) *Meta {
	b, ok := in.small[name]
	if !ok {
		return nil
	}
	var m Meta
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	return &m
}

// bag checks a BagIt bag (format 2).
func (in *inspector) bag() Checked {
	c := Checked{Format: 2, TagManifest: in.small[TagManifest256], BagInfo: in.small[BagInfoName], SigningKey: in.small[payload(SigningKeyName)]}
	add := func(p, rule, format string, a ...any) {
		c.Findings = append(c.Findings, qms.Finding{Path: p, Rule: rule, Severity: qms.Error, Message: fmt.Sprintf(format, a...)})
	}
	// A file wrong in both manifests is one finding, of the first.
	seen := map[string]bool{}
	addOnce := func(p, rule, format string, a ...any) {
		if !seen[p+"\x00"+rule] {
			seen[p+"\x00"+rule] = true
			add(p, rule, format, a...)
		}
	}
	addAt := func(p string, line int, rule, format string, a ...any) {
		c.Findings = append(c.Findings, qms.Finding{Path: p, Line: line, Column: 1, Rule: rule, Severity: qms.Error, Message: fmt.Sprintf(format, a...)})
	}
	for _, l := range in.links {
		if !strings.HasPrefix(l, payload("tree/")) {
			add(l, RuleMember, "symbolic link outside data/tree/")
		}
	}
	in.checkLinks(add, addAt)
	// bagit.txt
	if b, ok := in.small[BagitName]; !ok {
		add(BagitName, RuleBag, "the bag has no bagit.txt")
	} else if string(b) != bagitText {
		if v := tagValues(b)["BagIt-Version"]; len(v) != 1 || v[0] != "1.0" {
			add(BagitName, RuleBag, "not a BagIt 1.0 declaration (BagIt-Version: 1.0, Tag-File-Character-Encoding: UTF-8)")
		} else if e := tagValues(b)["Tag-File-Character-Encoding"]; len(e) != 1 || !strings.EqualFold(e[0], "UTF-8") {
			add(BagitName, RuleBag, "tag files must be UTF-8 (Tag-File-Character-Encoding: UTF-8)")
		}
	}
	// Required payload.
	for _, need := range []string{VerifyName, MetaName, BundleName} {
		if !in.has(payload(need)) {
			add(payload(need), RuleManifest, "required file is missing from the bag")
		}
	}
	if m := in.meta(payload(MetaName)); m != nil {
		c.Meta = m
		if m.Format != Format {
			add(payload(MetaName), RuleBag, "archive.json says format %d, but the archive is a bag (format %d)", m.Format, Format)
		}
	} else if in.has(payload(MetaName)) {
		add(payload(MetaName), RuleBag, "archive.json cannot be read")
	}
	// The payload manifests: every payload file in each, as it is.
	var payloadBytes int64
	payloadFiles := 0
	for name, f := range in.files {
		if strings.HasPrefix(name, PayloadDir+"/") {
			payloadBytes += f.size
			payloadFiles++
		}
	}
	for _, m := range []struct {
		name string
		wide bool
	}{{Manifest256, false}, {Manifest512, true}} {
		body, ok := in.small[m.name]
		if !ok {
			add(m.name, RuleManifest, "the bag has no %s", m.name)
			continue
		}
		listed := in.checkManifest(m.name, body, m.wide, true, addAt, addOnce)
		var extra []string
		for name := range in.files {
			if strings.HasPrefix(name, PayloadDir+"/") && !listed[name] {
				extra = append(extra, name)
			}
		}
		sort.Strings(extra)
		for _, name := range extra {
			addOnce(name, RuleManifest, "payload file is not listed in %s", m.name)
		}
	}
	// The tag manifests: every other top-level file in each.
	for _, m := range []struct {
		name string
		wide bool
	}{{TagManifest256, false}, {TagManifest512, true}} {
		body, ok := in.small[m.name]
		if !ok {
			add(m.name, RuleTagManifest, "the bag has no %s", m.name)
			continue
		}
		listed := in.checkManifest(m.name, body, m.wide, false, addAt, addOnce)
		var extra []string
		for name := range in.files {
			if !strings.Contains(name, "/") && !strings.HasPrefix(name, "tagmanifest-") && !listed[name] {
				extra = append(extra, name)
			}
		}
		sort.Strings(extra)
		for _, name := range extra {
			addOnce(name, RuleTagManifest, "tag file is not listed in %s: the signature does not cover it", m.name)
		}
	}
	for name := range in.files {
		if !strings.Contains(name, "/") && strings.HasPrefix(name, "tagmanifest-") && name != TagManifest256 && name != TagManifest512 {
			add(name, RuleTagManifest, "a tag manifest qms does not write")
		}
	}
	// bag-info.txt and its Payload-Oxum.
	b, ok := in.small[BagInfoName]
	if !ok {
		add(BagInfoName, RuleBag, "the bag has no bag-info.txt")
		return c
	}
	oxum := tagValues(b)["Payload-Oxum"]
	want := fmt.Sprintf("%d.%d", payloadBytes, payloadFiles)
	switch {
	case len(oxum) != 1:
		add(BagInfoName, RuleBag, "bag-info.txt must have one Payload-Oxum (the payload's bytes.files: %s)", want)
	case !validOxum(oxum[0]):
		add(BagInfoName, RuleBag, "Payload-Oxum %q is not bytes.files", oxum[0])
	case oxum[0] != want:
		add(BagInfoName, RuleBag, "Payload-Oxum is %s, but the payload is %s (bytes.files)", oxum[0], want)
	}
	return c
}

// checkManifest checks each line of a (tag) manifest against the files
// found, and returns the paths it lists.
func (in *inspector) checkManifest(mname string, body []byte, wide, payloadManifest bool,
	addAt func(string, int, string, string, ...any), add func(string, string, string, ...any)) map[string]bool {
	rule := RuleManifest
	if !payloadManifest {
		rule = RuleTagManifest
	}
	algo, digits := "SHA-256", 64
	if wide {
		algo, digits = "SHA-512", 128
	}
	listed := map[string]bool{}
	for i, line := range strings.SplitAfter(string(body), "\n") {
		if line == "" {
			continue
		}
		sum, name, err := parseBagLine(line, digits)
		if err != nil {
			addAt(mname, i+1, rule, "%v", err)
			continue
		}
		if payloadManifest != strings.HasPrefix(name, PayloadDir+"/") {
			if payloadManifest {
				addAt(mname, i+1, rule, "%s is not under data/: a payload manifest lists only the payload", name)
			} else {
				addAt(mname, i+1, rule, "%s is not a tag file", name)
			}
			continue
		}
		if listed[name] {
			addAt(mname, i+1, rule, "%s is listed twice", name)
			continue
		}
		listed[name] = true
		f, ok := in.files[name]
		got := f.sum
		if wide {
			got = f.sum512
		}
		switch {
		case !ok:
			add(name, rule, "listed in %s but missing from the bag", mname)
		case got != sum:
			add(name, rule, "%s is %s, %s says %s", algo, got, mname, sum)
		}
	}
	return listed
}

// parseBagLine reads one BagIt manifest line: lower- or upper-case hex
// digits, whitespace, a percent-encoded path relative to the bag.
func parseBagLine(line string, digits int) (sum, name string, err error) {
	line = strings.TrimRight(line, "\r\n")
	sum, rest, ok := strings.Cut(line, " ")
	if !ok || len(sum) != digits {
		return "", "", fmt.Errorf("not a manifest line (%d hex digits, spaces, a path)", digits)
	}
	if _, err := hex.DecodeString(sum); err != nil {
		return "", "", fmt.Errorf("not a manifest line (%d hex digits, spaces, a path)", digits)
	}
	name = strings.TrimLeft(rest, " \t")
	if name, err = decodeBagPath(name); err != nil {
		return "", "", err
	}
	if !validMember(name) {
		return "", "", fmt.Errorf("path %q is not a clean relative path", name)
	}
	return strings.ToLower(sum), name, nil
}

// decodeBagPath undoes encodeBagPath: %25, %0A and %0D (any case); any
// other "%" stays as it is, as RFC 8493 leaves it.
func decodeBagPath(p string) (string, error) {
	if !strings.Contains(p, "%") {
		return p, nil
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] == '%' && i+2 < len(p) {
			switch strings.ToUpper(p[i+1 : i+3]) {
			case "25":
				b.WriteByte('%')
				i += 2
				continue
			case "0A":
				b.WriteByte('\n')
				i += 2
				continue
			case "0D":
				b.WriteByte('\r')
				i += 2
				continue
			}
		}
		b.WriteByte(p[i])
	}
	return b.String(), nil
}

// tagValues reads a tag file's "Label: value" lines (continuation lines
// start with whitespace), keeping every value of a label in order.
func tagValues(b []byte) map[string][]string {
	out := map[string][]string{}
	var last string
	for _, line := range strings.Split(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n") {
		if line == "" {
			continue
		}
		if (line[0] == ' ' || line[0] == '\t') && last != "" {
			vs := out[last]
			vs[len(vs)-1] += " " + strings.TrimSpace(line)
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		last = strings.TrimSpace(k)
		out[last] = append(out[last], strings.TrimSpace(v))
	}
	return out
}

// BagInfoField returns the value of a bag-info.txt label, or "".
func BagInfoField(bagInfo []byte, label string) string {
	if v := tagValues(bagInfo)[label]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// TagManifestSum returns the SHA-256 a tag manifest (tagmanifest-sha256.txt)
// lists for the tag file name, or "".
func TagManifestSum(tagManifest []byte, name string) string {
	for _, line := range strings.SplitAfter(string(tagManifest), "\n") {
		if sum, n, err := parseBagLine(line, 64); err == nil && n == name {
			return sum
		}
	}
	return ""
}

func validOxum(s string) bool {
	a, b, ok := strings.Cut(s, ".")
	if !ok {
		return false
	}
	_, err1 := strconv.ParseUint(a, 10, 63)
	_, err2 := strconv.ParseUint(b, 10, 63)
	return err1 == nil && err2 == nil
}

// checkLinks compares the bag's symbolic links with LinksName, which the
// tag manifests (and so the signature) cover: a link not listed, listed
// but absent, or pointing elsewhere than listed is a finding.
func (in *inspector) checkLinks(add func(p, rule, format string, a ...any), addAt func(p string, line int, rule, format string, a ...any)) {
	body, ok := in.small[LinksName]
	if !ok {
		add(LinksName, RuleTagManifest, "the bag has no %s: its symbolic links are not covered by the signature", LinksName)
		return
	}
	listed := map[string]string{}
	for i, line := range strings.SplitAfter(string(body), "\n") {
		if line == "" {
			continue
		}
		p, target, ok := strings.Cut(strings.TrimSuffix(line, "\n"), " ")
		if !ok {
			addAt(LinksName, i+1, RuleManifest, "not a link line (path, one space, target)")
			continue
		}
		p, err := decodeBagPath(strings.ReplaceAll(p, "%20", " "))
		if err == nil {
			target, err = decodeBagPath(target)
		}
		if err != nil || !validMember(p) {
			addAt(LinksName, i+1, RuleManifest, "not a link line (path, one space, target)")
			continue
		}
		if _, dup := listed[p]; dup {
			addAt(LinksName, i+1, RuleManifest, "%s is listed twice", p)
			continue
		}
		listed[p] = target
	}
	names := slices.Sorted(maps.Keys(listed))
	for _, p := range names {
		got, ok := in.targets[p]
		switch {
		case !ok:
			add(p, RuleManifest, "symbolic link listed in %s is missing", LinksName)
		case got != listed[p]:
			add(p, RuleManifest, "symbolic link points to %q, %s says %q", got, LinksName, listed[p])
		}
	}
	for _, p := range in.links {
		if _, ok := listed[p]; !ok {
			add(p, RuleManifest, "symbolic link is not listed in %s: the signature does not cover it", LinksName)
		}
	}
}
