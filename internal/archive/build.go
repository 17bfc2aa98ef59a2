package archive

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/klauspost/pgzip"
)

// compressionLevel is the gzip level of the archive. The archive is mostly
// Git objects and records; klauspost's level 5 is about as small as
// gzip -6 there at a fraction of the time.
const compressionLevel = 5

// blockSize is pgzip's unit of parallel work. It is fixed, never derived
// from the number of cores, so that the output is the same everywhere.
const blockSize = 1 << 20

// maxLink bounds a symbolic link's target read into memory.
const maxLink = 4096

// maxKey bounds a public key file copied into keys/.
const maxKey = 1 << 20

// build writes the archive in named steps: the bundle starts in the
// background, the HTML is spooled, then the four gzip members are written
// in order (see the layout in archive.go) and the signature is finished.
func build(ctx context.Context, w io.Writer, opts BuildOptions) (Info, error) {
	if opts.Root == "" {
		return Info{}, errors.New("archive: no repository directory")
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	sg, err := signerFor(opts)
	if err != nil {
		return Info{}, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	c, err := resolve(ctx, opts.Root, opts.Commit, opts.Branch)
	if err != nil {
		return Info{}, err
	}
	entries, err := listTree(ctx, opts.Root, c.id)
	if err != nil {
		return Info{}, err
	}
	info := Info{Name: ArchiveName(c.id, c.time), Commit: c.id, CommitTime: c.time, Branch: c.branch}
	if sg != nil {
		info.Signer = sg.fingerprint
	}

	bundle, err := startBundle(ctx, opts.Root, opts.TempDir, c)
	if err != nil {
		return Info{}, err
	}
	defer bundle.stop(cancel)

	html, err := spoolHTML(opts.HTML, opts.TempDir)
	if err != nil {
		return Info{}, err
	}
	defer html.close()

	info.Meta = newMeta(info, c, entries, opts)
	metaJSON, err := json.MarshalIndent(info.Meta, "", "  ")
	if err != nil {
		return Info{}, err
	}
	metaJSON = append(metaJSON, '\n')

	b, err := newBuilder(w, sg, now(), info, opts)
	if err != nil {
		return Info{}, err
	}
	defer b.abort()
	if err := b.writeHead(ctx, opts, entries, metaJSON, html); err != nil {
		return Info{}, err
	}
	if err := b.writeBundle(bundle.f, bundle.wait(ctx)); err != nil {
		return Info{}, err
	}
	if err := b.writeTail(); err != nil {
		return Info{}, err
	}
	return b.finish()
}

// signerFor loads the signing key, or returns nil for an unsigned build.
func signerFor(opts BuildOptions) (*signer, error) {
	switch {
	case len(opts.SignKey) > 0:
		return loadSigner(opts.SignKey)
	case !opts.Unsigned:
		return nil, ErrNoSignKey
	}
	return nil, nil
}

// newMeta is archive.json: the commit, the tool, the retention and the
// counts of records (per kind) and files at the commit.
func newMeta(info Info, c *commitInfo, entries []treeEntry, opts BuildOptions) Meta {
	meta := Meta{
		Format: Format, Name: info.Name, Commit: c.id, CommitTime: c.time, Branch: c.branch,
		ToolVersion: opts.ToolVersion, Retention: opts.Retention, KindRetention: opts.KindRetention,
		Records: map[string]int{}, Signer: info.Signer, DocumentRetention: opts.DocumentRetention,
	}
	if meta.Retention.IsZero() {
		meta.Retention = DefaultRetention
	}
	for _, t := range c.tags {
		meta.Tags = append(meta.Tags, t.name)
	}
	for kind, where := range opts.Kinds {
		meta.Records[kind] = 0
		where = strings.Trim(where, "/")
		for _, e := range entries {
			if e.path == where || path.Dir(e.path) == where && strings.HasSuffix(e.path, ".md") {
				meta.Records[kind]++
			}
		}
	}
	meta.Files = len(entries)
	return meta
}

// bundleJob makes the bundle in the background. It is the slowest part (a
// pack made from scratch): git makes it on one core while the tree is
// compressed on the others, and it is compressed as it comes, into a gzip
// member of its own spooled to a temporary file: its tar header, which
// needs its size, is written once it is complete. gzip readers (gzip, tar,
// Go) read the members as one stream.
type bundleJob struct {
	f    *os.File
	done chan bundleResult
}

type bundleResult struct {
	size   int64 // of the bundle, uncompressed
	sum    string
	sum512 string
	err    error
}

func startBundle(ctx context.Context, root, tempDir string, c *commitInfo) (*bundleJob, error) {
	f, err := os.CreateTemp(tempDir, "qms-bundle-*")
	if err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	j := &bundleJob{f: f, done: make(chan bundleResult, 1)}
	go func() { j.done <- j.run(ctx, root, c) }()
	return j, nil
}

func (j *bundleJob) run(ctx context.Context, root string, c *commitInfo) bundleResult {
	h, h512 := sha256.New(), sha512.New()
	bw := bufio.NewWriterSize(j.f, 1<<20)
	gz, err := newGzip(bw)
	if err != nil {
		return bundleResult{err: err}
	}
	cw := &counter{w: io.MultiWriter(gz, h, h512)}
	err = writeBundle(ctx, root, c, cw)
	if err == nil {
		err = gz.Close()
	}
	if err == nil {
		err = bw.Flush()
	}
	return bundleResult{cw.n, hex.EncodeToString(h.Sum(nil)), hex.EncodeToString(h512.Sum(nil)), err}
}

// wait returns the bundle's result once it is done, or the context's
// error; it can be called again.
func (j *bundleJob) wait(ctx context.Context) bundleResult {
	select {
	case r := <-j.done:
		j.done <- r
		return r
	case <-ctx.Done():
		return bundleResult{err: ctx.Err()}
	}
}

// stop cancels the bundle if it still runs, waits for it, and removes its
// file.
func (j *bundleJob) stop(cancel context.CancelFunc) {
	cancel()
	<-j.done
	j.f.Close()
	os.Remove(j.f.Name())
}

// builder writes the archive's tar stream across its gzip members to the
// output, which it hashes and counts on the way; it signs the tag
// manifest at the end.
type builder struct {
	info   Info
	opts   BuildOptions
	sg     *signer
	now    time.Time
	out    io.Writer // the output, hashed and counted
	cnt    *counter
	sum    hash.Hash
	gz     *pgzip.Writer // the open member; nil between members
	member *switchWriter // what the tar writer writes to
	a      *tarWriter
}

func newBuilder(w io.Writer, sg *signer, now time.Time, info Info, opts BuildOptions) (*builder, error) {
	b := &builder{info: info, opts: opts, sg: sg, now: now, sum: sha256.New(), member: &switchWriter{}}
	b.cnt = &counter{w: io.MultiWriter(w, b.sum)}
	b.out = b.cnt
	b.a = &tarWriter{tw: tar.NewWriter(b.member), top: strings.TrimSuffix(info.Name, Suffix), mtime: info.CommitTime, dirs: map[string]bool{}}
	return b, nil
}

// startMember opens the next gzip member.
func (b *builder) startMember() error {
	gz, err := newGzip(b.out)
	if err != nil {
		return err
	}
	b.gz, b.member.w = gz, gz
	return nil
}

// endMember closes the open gzip member.
func (b *builder) endMember() error {
	gz := b.gz
	b.gz = nil
	if err := gz.Close(); err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	return nil
}

// abort stops the open member's compressing goroutines, after an error.
func (b *builder) abort() {
	if b.gz != nil {
		b.gz.Close()
	}
}

// writeHead writes the first member: everything before the bundle
// (bagit.txt, then data/ with VERIFY.txt, archive.json, html/, keys/,
// tree/), padding included.
func (b *builder) writeHead(ctx context.Context, opts BuildOptions, entries []treeEntry, metaJSON []byte, html *spooled) error {
	if err := b.startMember(); err != nil {
		return err
	}
	a := b.a
	if err := a.dir(""); err != nil {
		return err
	}
	if err := a.file(BagitName, []byte(bagitText)); err != nil {
		return err
	}
	if err := a.file(payload(VerifyName), verifyText(b.info, opts.ToolVersion)); err != nil {
		return err
	}
	if err := a.file(payload(MetaName), metaJSON); err != nil {
		return err
	}
	if err := html.write(a); err != nil {
		return err
	}
	if err := writeKeys(ctx, opts.Root, entries, b.sg, a); err != nil {
		return err
	}
	if err := writeTree(ctx, opts.Root, entries, a); err != nil {
		return err
	}
	if err := a.tw.Flush(); err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	return b.endMember()
}

// writeBundle writes the second member, the bundle's tar header, and the
// third, the bundle from spool f, compressed already. The tar writer is
// fed as many bytes as the bundle has, to keep its count, and they go
// nowhere.
func (b *builder) writeBundle(f *os.File, r bundleResult) error {
	if r.err != nil {
		return r.err
	}
	if err := b.startMember(); err != nil {
		return err
	}
	a := b.a
	if err := a.tw.WriteHeader(a.header(payload(BundleName), 0o644, tar.TypeReg, r.size)); err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	if err := b.endMember(); err != nil {
		return err
	}
	b.member.w = io.Discard
	if _, err := io.CopyN(a.tw, zeros{}, r.size); err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	a.add(payload(BundleName), r.size, r.sum, r.sum512)
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if _, err := io.Copy(b.out, bufio.NewReaderSize(f, 1<<20)); err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	return nil
}

// writeTail writes the last member: the bundle's padding, bag-info.txt,
// the list of symbolic links, the payload manifests, the tag manifests, the end of the tar.
func (b *builder) writeTail() error {
	if err := b.startMember(); err != nil {
		return err
	}
	a := b.a
	b.info.BagInfo = bagInfo(b.info, b.opts, a.payloadBytes, a.payloadFiles)
	if err := a.file(BagInfoName, b.info.BagInfo); err != nil {
		return err
	}
	if err := a.file(LinksName, linkList(a.links)); err != nil {
		return err
	}
	if err := a.file(Manifest256, bagManifest(a.payload, false)); err != nil {
		return err
	}
	if err := a.file(Manifest512, bagManifest(a.payload, true)); err != nil {
		return err
	}
	tags := a.tags
	b.info.TagManifest = bagManifest(tags, false)
	if err := a.file(TagManifest256, b.info.TagManifest); err != nil {
		return err
	}
	if err := a.file(TagManifest512, bagManifest(tags, true)); err != nil {
		return err
	}
	if err := a.tw.Close(); err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	return b.endMember()
}

// finish signs the tag manifest and says what was written.
func (b *builder) finish() (Info, error) {
	info := b.info
	if b.sg != nil {
		var sig bytes.Buffer
		w, err := b.sg.signWriter(&sig, b.now)
		if err != nil {
			return Info{}, err
		}
		if _, err := w.Write(info.TagManifest); err != nil {
			return Info{}, err
		}
		if err := w.Close(); err != nil {
			return Info{}, err
		}
		info.Signature, info.Key = sig.Bytes(), b.sg.public
	}
	info.Size = b.cnt.n
	info.SHA256 = hex.EncodeToString(b.sum.Sum(nil))
	return info, nil
}

// newGzip starts a gzip member: no name, no time, fixed block size and
// level, so the bytes depend on nothing but the input.
func newGzip(w io.Writer) (*pgzip.Writer, error) {
	gz, err := pgzip.NewWriterLevel(w, compressionLevel)
	if err != nil {
		return nil, err
	}
	if err := gz.SetConcurrency(blockSize, 2*runtime.GOMAXPROCS(0)); err != nil {
		return nil, err
	}
	// pgzip writes the zero time.Time as a date in 2042: say "no time".
	gz.ModTime = time.Unix(0, 0)
	return gz, nil
}

// switchWriter lets the tar writer go on across gzip members.
type switchWriter struct{ w io.Writer }

func (s *switchWriter) Write(p []byte) (int, error) { return s.w.Write(p) }

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

type counter struct {
	w io.Writer
	n int64
}

func (c *counter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// tarWriter writes members under the top directory with fixed owners,
// modes and times, and remembers each regular file's digests: the
// payload's (under data/) and the tag files'.
type tarWriter struct {
	tw           *tar.Writer
	top          string
	mtime        time.Time
	dirs         map[string]bool
	payload      []manifestLine
	tags         []manifestLine
	payloadBytes int64
	payloadFiles int
	// links are the symbolic links written, for LinksName.
	links []linkLine
}

type linkLine struct{ path, target string }

type manifestLine struct{ path, sum, sum512 string }

// payload is the name of a payload file in the bag.
func payload(name string) string { return PayloadDir + "/" + name }

// add remembers a regular file's digests.
func (a *tarWriter) add(name string, size int64, sum, sum512 string) {
	l := manifestLine{name, sum, sum512}
	if strings.HasPrefix(name, PayloadDir+"/") {
		a.payload = append(a.payload, l)
		a.payloadBytes += size
		a.payloadFiles++
		return
	}
	a.tags = append(a.tags, l)
}

func (a *tarWriter) header(name string, mode int64, typ byte, size int64) *tar.Header {
	n := a.top + "/" + name
	if name == "" {
		n = a.top + "/"
	}
	return &tar.Header{
		Typeflag: typ, Name: n, Mode: mode, Size: size, ModTime: a.mtime,
		Uid: 0, Gid: 0, Uname: "root", Gname: "root", Format: tar.FormatPAX,
	}
}

// dir writes a directory entry for name and its parents, once each.
func (a *tarWriter) dir(name string) error {
	if a.dirs[name] {
		return nil
	}
	if name != "" {
		if err := a.dir(parent(name)); err != nil {
			return err
		}
	}
	a.dirs[name] = true
	h := a.header(name, 0o755, tar.TypeDir, 0)
	if name != "" {
		h.Name += "/"
	}
	return a.tw.WriteHeader(h)
}

func parent(name string) string {
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		return name[:i]
	}
	return ""
}

func (a *tarWriter) file(name string, data []byte) error {
	return a.stream(name, int64(len(data)), 0o644, bytes.NewReader(data))
}

// stream writes a regular file of the given size from r.
func (a *tarWriter) stream(name string, size, mode int64, r io.Reader) error {
	if err := a.dir(parent(name)); err != nil {
		return err
	}
	if err := a.tw.WriteHeader(a.header(name, mode, tar.TypeReg, size)); err != nil {
		return fmt.Errorf("archive: %s: %w", name, err)
	}
	h, h512 := sha256.New(), sha512.New()
	n, err := io.Copy(io.MultiWriter(a.tw, h, h512), io.LimitReader(r, size))
	if err != nil {
		return fmt.Errorf("archive: %s: %w", name, err)
	}
	if n != size {
		return fmt.Errorf("archive: %s: %d bytes, expected %d", name, n, size)
	}
	a.add(name, size, hex.EncodeToString(h.Sum(nil)), hex.EncodeToString(h512.Sum(nil)))
	return nil
}

func (a *tarWriter) symlink(name, target string) error {
	if err := a.dir(parent(name)); err != nil {
		return err
	}
	h := a.header(name, 0o777, tar.TypeSymlink, 0)
	h.Linkname = target
	a.links = append(a.links, linkLine{name, target})
	return a.tw.WriteHeader(h)
}

// linkList is LinksName: a line "path target" for each symbolic link,
// sorted by path, the path percent-encoded as in a manifest and where it
// holds a space, the target as in a manifest. BagIt manifests list regular
// files only; this tag file, listed in the tag manifests and so signed,
// covers the links too.
func linkList(links []linkLine) []byte {
	links = append([]linkLine(nil), links...)
	sort.Slice(links, func(i, j int) bool { return links[i].path < links[j].path })
	var b bytes.Buffer
	for _, l := range links {
		b.WriteString(strings.ReplaceAll(encodeBagPath(l.path), " ", "%20") + " " + encodeBagPath(l.target) + "\n")
	}
	return b.Bytes()
}

// bagManifest is a BagIt manifest (SHA-256, or SHA-512 when wide) of
// lines, sorted by path: "digest path" (one space, which both BagIt tools
// and sha256sum read), the path percent-encoded where it
// holds CR, LF or "%" (RFC 8493, 2.1.3). Without those, sha256sum -c reads
// the SHA-256 one as it is.
func bagManifest(lines []manifestLine, wide bool) []byte {
	lines = append([]manifestLine(nil), lines...)
	sort.Slice(lines, func(i, j int) bool { return lines[i].path < lines[j].path })
	var b bytes.Buffer
	for _, l := range lines {
		sum := l.sum
		if wide {
			sum = l.sum512
		}
		b.WriteString(sum + " " + encodeBagPath(l.path) + "\n")
	}
	return b.Bytes()
}

// bagPathEncoder percent-encodes what a BagIt manifest line cannot hold.
var bagPathEncoder = strings.NewReplacer("%", "%25", "\n", "%0A", "\r", "%0D")

func encodeBagPath(p string) string { return bagPathEncoder.Replace(p) }

// bagitText is bagit.txt.
const bagitText = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"

// bagInfo is bag-info.txt: who keeps the records, which commit, the
// Bagging-Date (the commit's date, so that the bytes stay the same),
// the payload's size, and qms's own fields.
func bagInfo(info Info, opts BuildOptions, bytes int64, files int) []byte {
	var b strings.Builder
	field := func(k, v string) {
		v = strings.Join(strings.Fields(v), " ") // one line, no control characters
		if v != "" {
			b.WriteString(k + ": " + v + "\n")
		}
	}
	field("Source-Organization", opts.Organization)
	field("External-Identifier", info.Commit)
	field("External-Description", "Quality records at commit "+info.Commit+" of branch "+info.Branch+", with their signed Git history")
	field("Bagging-Date", info.CommitTime.UTC().Format("2006-01-02"))
	tool := opts.ToolVersion
	if tool == "" {
		tool = "(unknown version)"
	}
	field("Bag-Software-Agent", "qms "+tool)
	field("Payload-Oxum", fmt.Sprintf("%d.%d", bytes, files))
	field("QMS-Archive-Format", fmt.Sprint(Format))
	field("QMS-Commit-Time", info.CommitTime.UTC().Format(time.RFC3339))
	field("QMS-Retention", info.Meta.LongestRetention().String())
	field("QMS-Signer", info.Signer)
	return []byte(b.String())
}

// formatManifestLine writes one sha256sum line, escaping a name that holds
// a backslash or newline the way GNU sha256sum does.
func formatManifestLine(sum, name string) string {
	if strings.ContainsAny(name, "\\\n") {
		name = strings.ReplaceAll(name, "\\", "\\\\")
		name = strings.ReplaceAll(name, "\n", "\\n")
		return "\\" + sum + "  " + name + "\n"
	}
	return sum + "  " + name + "\n"
}

// writeTree copies the commit's files into tree/, straight from git.
func writeTree(ctx context.Context, dir string, entries []treeEntry, a *tarWriter) error {
	if err := a.dir(payload("tree")); err != nil {
		return err
	}
	ids := make([]string, len(entries))
	for i, e := range entries {
		ids[i] = e.id
	}
	br, err := readBlobs(ctx, dir, ids)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := writeEntry(a, br, e); err != nil {
			br.abort()
			return err
		}
	}
	return br.close()
}

// writeEntry copies the blob of e, next in br, into tree/.
func writeEntry(a *tarWriter, br *blobReader, e treeEntry) error {
	size, err := br.next(e.id)
	if err != nil {
		return err
	}
	name := payload("tree/" + e.path)
	if e.mode == "120000" {
		if size > maxLink {
			return fmt.Errorf("archive: %s: symbolic link target too long", e.path)
		}
		target, err := io.ReadAll(br)
		if err != nil {
			return err
		}
		return a.symlink(name, string(target))
	}
	mode := int64(0o644)
	if e.mode == "100755" {
		mode = 0o755
	}
	return a.stream(name, size, mode, br)
}

// writeKeys writes keys/: the signing key's public half and the
// repository's own public keys.
func writeKeys(ctx context.Context, dir string, entries []treeEntry, sg *signer, a *tarWriter) error {
	type key struct {
		name string
		data []byte
	}
	var keys []key
	var repo []treeEntry
	for _, e := range entries {
		if strings.HasPrefix(e.path, "keys/") && e.mode != "120000" && e.size <= maxKey {
			repo = append(repo, e)
		}
	}
	err := readEach(ctx, dir, repo, func(e treeEntry, data []byte) error {
		keys = append(keys, key{e.path, data})
		return nil
	})
	if err != nil {
		return err
	}
	if sg != nil {
		for _, k := range keys {
			if k.name == SigningKeyName {
				return fmt.Errorf("archive: the repository has its own %s: rename it, the archive puts the signing key there", SigningKeyName)
			}
		}
		keys = append(keys, key{SigningKeyName, sg.public})
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].name < keys[j].name })
	if err := a.dir(payload("keys")); err != nil {
		return err
	}
	for _, k := range keys {
		if err := a.file(payload(k.name), k.data); err != nil {
			return err
		}
	}
	return nil
}

// spooled holds the rendered HTML on disk until it is written in order.
type spooled struct {
	f     *os.File
	off   int64
	files map[string][2]int64 // name → offset, size
}

func spoolHTML(render func(emit func(string, []byte) error) error, tempDir string) (*spooled, error) {
	f, err := os.CreateTemp(tempDir, "qms-html-*")
	if err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	os.Remove(f.Name()) // kept open; gone when closed
	s := &spooled{f: f, files: map[string][2]int64{}}
	if render == nil {
		return s, nil
	}
	bw := bufio.NewWriter(f)
	emit := func(name string, data []byte) error {
		if !validMember(name) {
			return fmt.Errorf("archive: html: bad file name %q", name)
		}
		if _, dup := s.files[name]; dup {
			return fmt.Errorf("archive: html: %s rendered twice", name)
		}
		if _, err := bw.Write(data); err != nil {
			return fmt.Errorf("archive: html: %w", err)
		}
		s.files[name] = [2]int64{s.off, int64(len(data))}
		s.off += int64(len(data))
		return nil
	}
	if err := render(emit); err != nil {
		f.Close()
		return nil, fmt.Errorf("render html: %w", err)
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return nil, fmt.Errorf("archive: html: %w", err)
	}
	return s, nil
}

func (s *spooled) close() { s.f.Close() }

func (s *spooled) write(a *tarWriter) error {
	names := make([]string, 0, len(s.files)+1)
	for n := range s.files {
		names = append(names, n)
	}
	sort.Strings(names)
	var index []byte
	if _, ok := s.files["index.html"]; !ok {
		index = defaultIndex(names)
		names = append(names, "index.html")
		sort.Strings(names)
	}
	if err := a.dir(payload("html")); err != nil {
		return err
	}
	for _, n := range names {
		if n == "index.html" && index != nil {
			if err := a.file(payload("html/index.html"), index); err != nil {
				return err
			}
			continue
		}
		at := s.files[n]
		if err := a.stream(payload("html/"+n), at[1], 0o644, io.NewSectionReader(s.f, at[0], at[1])); err != nil {
			return err
		}
	}
	return nil
}

func defaultIndex(names []string) []byte {
	var b bytes.Buffer
	b.WriteString("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Records</title></head><body>\n<h1>Records</h1>\n<ul>\n")
	for _, n := range names {
		fmt.Fprintf(&b, "<li><a href=\"%s\">%s</a></li>\n", htmlEscape(n), htmlEscape(n))
	}
	b.WriteString("</ul>\n</body></html>\n")
	return b.Bytes()
}

func htmlEscape(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;")
	return r.Replace(s)
}

// validMember reports whether name is a clean relative slash path.
func validMember(name string) bool {
	if name == "" || strings.HasPrefix(name, "/") || path.Clean(name) != name || name == "." {
		return false
	}
	for _, el := range strings.Split(name, "/") {
		if el == ".." {
			return false
		}
	}
	return !strings.Contains(name, "\x00")
}
