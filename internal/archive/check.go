package archive

import (
	"archive/tar"
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/klauspost/compress/gzip"

	"github.com/qms-tool/qms"
)

// Rules of the findings Check returns.
const (
	RuleFormat   = "archive-format"   // not a readable gzipped tar
	RuleMember   = "archive-member"   // a member that must not be there
	RuleManifest = "archive-manifest" // a file missing from, extra to or differing from the manifest
)

// maxManifest bounds MANIFEST.sha256 and archive.json, which are read into
// memory.
const maxManifest = 64 << 20

// Check reads a .tar.gz archive of the current or the previous format
// from r to its end and reports what is wrong with it (Inspect's
// findings): a damaged gzip or tar stream, unsafe or unexpected members,
// and every file missing from a manifest, listed but absent, or whose
// digest differs. It holds only the digests in memory. Its error is for
// failures to read r, not for a damaged archive.
func Check(ctx context.Context, r io.Reader) ([]qms.Finding, error) {
	c, err := Inspect(ctx, r)
	return c.Findings, err
}

// checker judges a format-1 archive from its members' digests.
type checker struct {
	sums     map[string]string // regular file → sha256
	manifest []byte
	found    []qms.Finding
}

func (c *checker) add(p, rule, msg string) {
	c.found = append(c.found, qms.Finding{Path: p, Rule: rule, Severity: qms.Error, Message: msg})
}

func (c *checker) finish() {
	for _, need := range []string{VerifyName, MetaName, BundleName} {
		if _, ok := c.sums[need]; !ok {
			c.add(need, RuleManifest, "required file is missing from the archive")
		}
	}
	if c.manifest == nil {
		c.add(ManifestName, RuleManifest, "the archive has no manifest")
		return
	}
	listed := map[string]bool{}
	for i, line := range strings.SplitAfter(string(c.manifest), "\n") {
		if line == "" {
			continue
		}
		sum, name, err := parseManifestLine(line)
		if err != nil {
			c.found = append(c.found, qms.Finding{Path: ManifestName, Line: i + 1, Column: 1, Rule: RuleManifest, Severity: qms.Error, Message: err.Error()})
			continue
		}
		if listed[name] {
			c.found = append(c.found, qms.Finding{Path: ManifestName, Line: i + 1, Column: 1, Rule: RuleManifest, Severity: qms.Error, Message: fmt.Sprintf("%s is listed twice", name)})
			continue
		}
		listed[name] = true
		got, ok := c.sums[name]
		switch {
		case !ok:
			c.add(name, RuleManifest, "listed in the manifest but missing from the archive")
		case got != sum:
			c.add(name, RuleManifest, fmt.Sprintf("SHA-256 is %s, the manifest says %s", got, sum))
		}
	}
	extra := []string{}
	for name := range c.sums {
		if !listed[name] {
			extra = append(extra, name)
		}
	}
	sort.Strings(extra)
	for _, name := range extra {
		c.add(name, RuleManifest, "file is not listed in the manifest")
	}
}

// parseManifestLine reads one sha256sum line (text or binary mode, with
// GNU's escaping of backslash and newline).
func parseManifestLine(line string) (sum, name string, err error) {
	line = strings.TrimSuffix(line, "\n")
	escaped := strings.HasPrefix(line, "\\")
	if escaped {
		line = line[1:]
	}
	if len(line) < 66 || (line[64:66] != "  " && line[64:66] != " *") {
		return "", "", errors.New("not a sha256sum line (64 hex digits, two spaces, a path)")
	}
	sum, name = line[:64], line[66:]
	if _, err := hex.DecodeString(sum); err != nil || strings.ToLower(sum) != sum {
		return "", "", errors.New("not a lower-case hex SHA-256")
	}
	if escaped {
		var b strings.Builder
		for i := 0; i < len(name); i++ {
			if name[i] != '\\' {
				b.WriteByte(name[i])
				continue
			}
			i++
			switch {
			case i < len(name) && name[i] == '\\':
				b.WriteByte('\\')
			case i < len(name) && name[i] == 'n':
				b.WriteByte('\n')
			default:
				return "", "", errors.New("bad escape in path")
			}
		}
		name = b.String()
	}
	if !validMember(name) {
		return "", "", fmt.Errorf("path %q is not a clean relative path", name)
	}
	return sum, name, nil
}

// formatError is a damaged gzip or tar stream.
type formatError struct{ err error }

func (e *formatError) Error() string {
	return "not a readable .tar.gz: " + e.err.Error()
}
func (e *formatError) Unwrap() error { return e.err }

// walk calls fn for each member of the archive with its name relative to
// the top directory ("" for the top directory itself). Names outside a
// single top directory are passed whole, with the leading "/" kept, for fn
// to refuse.
func walk(ctx context.Context, r io.Reader, fn func(name string, h *tar.Header, body io.Reader) error) error {
	src := &errReader{r: bufio.NewReaderSize(r, 256<<10)}
	zr, err := gzip.NewReader(src)
	if err != nil {
		if src.err != nil {
			return src.err
		}
		return &formatError{err}
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	top := ""
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if src.err != nil {
				return src.err
			}
			return &formatError{err}
		}
		name := h.Name
		if top == "" {
			t, _, _ := strings.Cut(strings.TrimPrefix(name, "./"), "/")
			if t == "" || t == "." || t == ".." {
				t = "\x00" // matches nothing: every name is passed whole
			}
			top = t
		}
		rel, ok := strings.CutPrefix(strings.TrimPrefix(name, "./"), top+"/")
		switch {
		case !ok && strings.TrimPrefix(name, "./") == top && h.Typeflag == tar.TypeDir:
			rel = ""
		case !ok:
			rel = "/" + name // outside the top directory: never valid
		default:
			rel = strings.TrimSuffix(rel, "/")
		}
		if err := fn(rel, h, tr); err != nil {
			if src.err != nil {
				return src.err
			}
			var fe *formatError
			if errors.As(err, &fe) {
				return err
			}
			if isFormat(err) {
				return &formatError{err}
			}
			return err
		}
	}
	// Read to the end so that gzip checks its CRC and length.
	if _, err := io.Copy(io.Discard, zr); err != nil {
		if src.err != nil {
			return src.err
		}
		return &formatError{err}
	}
	return nil
}

func isFormat(err error) bool {
	return errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) ||
		errors.Is(err, tar.ErrHeader) || errors.Is(err, io.ErrUnexpectedEOF) ||
		strings.Contains(err.Error(), "flate")
}

// errReader remembers the underlying reader's own error, to tell a broken
// connection (operational) from a broken archive (a finding).
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		e.err = err
	}
	return n, err
}

// unsafeMember says why a member must not be extracted, or "".
func unsafeMember(name string, h *tar.Header) string {
	if strings.HasPrefix(name, "/") || !validMember(name) {
		return fmt.Sprintf("unsafe path %q (absolute, outside the archive's directory, or with ..)", h.Name)
	}
	for k := range h.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			// A sparse file can claim terabytes of zeros in a few bytes.
			return "sparse files are not allowed"
		}
	}
	switch h.Typeflag {
	case tar.TypeReg, tar.TypeDir:
	case tar.TypeSymlink:
		t := h.Linkname
		if t == "" || path.IsAbs(t) || strings.Contains(t, "\x00") {
			return fmt.Sprintf("symbolic link to %q leaves the archive", t)
		}
		if j := path.Join(path.Dir(name), t); j == ".." || strings.HasPrefix(j, "../") {
			return fmt.Sprintf("symbolic link to %q leaves the archive", t)
		}
	case tar.TypeLink:
		return "hard links are not allowed"
	default:
		return fmt.Sprintf("member of type %q is not a file, directory or symbolic link", string(h.Typeflag))
	}
	return ""
}

// Extract unpacks the archive into dir (created if missing), dropping the
// top directory: dir/MANIFEST.sha256, dir/tree/..., and so on. It refuses,
// with an error wrapping ErrUnsafe and before writing that member, absolute
// paths, "..", members outside the top directory, hard links, devices and
// other special files, and symbolic links that lead out of dir, even
// through other links. It never replaces an existing file, and writes
// nothing outside dir. Extract does not check the manifest: run Check
// first, or after.
func Extract(ctx context.Context, r io.Reader, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	type link struct{ name, target string }
	var links []link
	err = walk(ctx, r, func(name string, h *tar.Header, body io.Reader) error {
		if name == "" {
			return nil
		}
		if reason := unsafeMember(name, h); reason != "" {
			return fmt.Errorf("%w: %s: %s", ErrUnsafe, h.Name, reason)
		}
		switch h.Typeflag {
		case tar.TypeDir:
			return root.MkdirAll(name, 0o755)
		case tar.TypeSymlink:
			// Made last, so that no file is ever written through a link.
			links = append(links, link{name, h.Linkname})
			return nil
		}
		if p := parent(name); p != "" {
			if err := root.MkdirAll(p, 0o755); err != nil {
				return err
			}
		}
		perm := fs.FileMode(0o644)
		if h.Mode&0o111 != 0 {
			perm = 0o755
		}
		f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
		if err != nil {
			return fmt.Errorf("extract %s: %w", name, err)
		}
		if _, err := io.Copy(f, body); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		if !h.ModTime.IsZero() {
			root.Chtimes(name, h.ModTime, h.ModTime)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, l := range links {
		if p := parent(l.name); p != "" {
			if err := root.MkdirAll(p, 0o755); err != nil {
				return err
			}
		}
		if err := root.Symlink(l.target, l.name); err != nil {
			return fmt.Errorf("extract %s: %w", l.name, err)
		}
	}
	// A link can stay inside lexically and still lead out through another
	// link ("a/b" → "..", "c" → "a/b/.."). Resolve each one inside the root:
	// it refuses to leave it.
	for _, l := range links {
		if _, err := root.Stat(l.name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			for _, l := range links {
				root.Remove(l.name)
			}
			return fmt.Errorf("%w: %s: symbolic link to %q leads out of the directory", ErrUnsafe, l.name, l.target)
		}
	}
	return nil
}
