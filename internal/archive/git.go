package archive

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/qms-tool/qms/internal/gitcmd"
)

// commitInfo is the archived commit.
type commitInfo struct {
	id     string
	time   time.Time
	branch string
	tags   []ref // refs/tags/* whose target is in the commit's history
}

type ref struct{ id, name string }

func resolve(ctx context.Context, dir, rev, branch string) (*commitInfo, error) {
	if rev == "" {
		rev = "HEAD"
	}
	out, err := gitcmd.Run(ctx, dir, nil, "rev-parse", "--verify", "--end-of-options", rev+"^{commit}")
	if err != nil {
		return nil, fmt.Errorf("%w %q", ErrNoCommit, rev)
	}
	c := &commitInfo{id: strings.TrimSpace(string(out))}
	if out, err := gitcmd.Run(ctx, dir, nil, "rev-parse", "--is-shallow-repository"); err == nil && strings.TrimSpace(string(out)) == "true" {
		return nil, ErrShallow
	}
	out, err = gitcmd.Run(ctx, dir, nil, "show", "-s", "--format=%ct", c.id)
	if err != nil {
		return nil, err
	}
	sec, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
	if err != nil {
		return nil, fmt.Errorf("commit %s: bad committer date %q", c.id, out)
	}
	c.time = time.Unix(sec, 0).UTC()

	c.branch = branch
	if c.branch == "" {
		c.branch = "main"
		if out, err := gitcmd.Run(ctx, dir, nil, "symbolic-ref", "-q", "HEAD"); err == nil {
			name := strings.TrimSpace(string(out))
			if tip, err := gitcmd.Run(ctx, dir, nil, "rev-parse", "--verify", "-q", name+"^{commit}"); err == nil &&
				strings.TrimSpace(string(tip)) == c.id && strings.HasPrefix(name, "refs/heads/") {
				c.branch = strings.TrimPrefix(name, "refs/heads/")
			}
		}
	}
	if _, err := gitcmd.Run(ctx, dir, nil, "check-ref-format", "refs/heads/"+c.branch); err != nil {
		return nil, fmt.Errorf("branch name %q is not a valid ref name", c.branch)
	}

	out, err = gitcmd.Run(ctx, dir, nil, "for-each-ref", "--merged", c.id, "--format=%(objectname) %(refname)", "refs/tags/")
	if err != nil {
		return nil, err
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		id, name, ok := strings.Cut(line, " ")
		if ok {
			c.tags = append(c.tags, ref{id, name})
		}
	}
	sort.Slice(c.tags, func(i, j int) bool { return c.tags[i].name < c.tags[j].name })
	return c, nil
}

// treeEntry is one entry of `git ls-tree -r -l`.
type treeEntry struct {
	mode string // 100644, 100755, 120000
	id   string
	size int64
	path string
}

// listTree lists the blobs of commit's tree in Git's order, skipping
// submodules (whose content is not in this repository).
func listTree(ctx context.Context, dir, commit string) ([]treeEntry, error) {
	out, err := gitcmd.Run(ctx, dir, nil, "ls-tree", "-r", "-l", "-z", "--full-tree", commit)
	if err != nil {
		return nil, err
	}
	var list []treeEntry
	for _, rec := range bytes.Split(out, []byte{0}) {
		if len(rec) == 0 {
			continue
		}
		meta, p, ok := bytes.Cut(rec, []byte{'\t'})
		f := strings.Fields(string(meta))
		if !ok || len(f) != 4 {
			return nil, fmt.Errorf("git ls-tree: unexpected line %q", rec)
		}
		if f[1] != "blob" {
			continue
		}
		size, err := strconv.ParseInt(f[3], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("git ls-tree: unexpected size in %q", rec)
		}
		list = append(list, treeEntry{mode: f[0], id: f[2], size: size, path: string(p)})
	}
	return list, nil
}

// blobReader streams blobs out of one `git cat-file --batch`, in the order
// they were requested.
type blobReader struct {
	cmd     *exec.Cmd
	r       *bufio.Reader
	left    int64 // bytes of the current blob not read yet
	started bool
	errc    chan error
}

// readBlobs starts cat-file and feeds it ids from another goroutine so
// that requests and answers overlap.
func readBlobs(ctx context.Context, dir string, ids []string) (*blobReader, error) {
	cmd := gitcmd.Command(ctx, dir, "-c", "core.packedGitWindowSize=16m", "-c", "core.packedGitLimit=64m", "-c", "core.deltaBaseCacheLimit=16m", "cat-file", "--batch")
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("git cat-file: %w", err)
	}
	b := &blobReader{cmd: cmd, r: bufio.NewReaderSize(out, 256<<10), errc: make(chan error, 1)}
	go func() {
		w := bufio.NewWriter(in)
		var err error
		for _, id := range ids {
			if _, err = w.WriteString(id + "\n"); err != nil {
				break
			}
		}
		if err == nil {
			err = w.Flush()
		}
		in.Close()
		b.errc <- err
	}()
	return b, nil
}

// next positions the reader at the next blob and returns its size.
func (b *blobReader) next(id string) (int64, error) {
	if b.started {
		// The rest of the previous blob, and the newline after it.
		if _, err := io.CopyN(io.Discard, b.r, b.left+1); err != nil {
			return 0, fmt.Errorf("git cat-file: %w", err)
		}
	}
	b.started = true
	line, err := b.r.ReadString('\n')
	if err != nil {
		return 0, fmt.Errorf("git cat-file %s: %w", id, err)
	}
	f := strings.Fields(line)
	if len(f) != 3 || f[0] != id || f[1] != "blob" {
		return 0, fmt.Errorf("git cat-file %s: unexpected answer %q", id, strings.TrimSpace(line))
	}
	size, err := strconv.ParseInt(f[2], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("git cat-file %s: unexpected answer %q", id, strings.TrimSpace(line))
	}
	b.left = size
	return size, nil
}

func (b *blobReader) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	if err == io.EOF && b.left > 0 {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

func (b *blobReader) close() error {
	io.Copy(io.Discard, b.r)
	werr := <-b.errc
	if err := b.cmd.Wait(); err != nil {
		return fmt.Errorf("git cat-file: %w", err)
	}
	return werr
}

// writeBundle writes a git bundle (v2) of the branch and tags to w. The
// pack is made from scratch, single-threaded, with fixed settings and no
// reuse of the repository's own packs, so that its bytes depend only on
// the objects: `git bundle create` reuses whatever deltas the clone
// happens to hold.
func writeBundle(ctx context.Context, dir string, c *commitInfo, w io.Writer) error {
	var head bytes.Buffer
	head.WriteString("# v2 git bundle\n")
	fmt.Fprintf(&head, "%s HEAD\n", c.id)
	fmt.Fprintf(&head, "%s refs/heads/%s\n", c.id, c.branch)
	tips := []string{c.id}
	for _, t := range c.tags {
		fmt.Fprintf(&head, "%s %s\n", t.id, t.name)
		tips = append(tips, t.id)
	}
	head.WriteString("\n")
	if _, err := w.Write(head.Bytes()); err != nil {
		return err
	}
	cmd := gitcmd.Command(ctx, dir,
		"-c", "pack.threads=1", "-c", "pack.useBitmaps=false", "-c", "pack.allowPackReuse=false",
		"-c", "pack.window=4", "-c", "pack.depth=50", "-c", "pack.windowMemory=0",
		"-c", "pack.useSparse=false", "-c", "pack.island=", "-c", "core.bigFileThreshold="+bigFile,
		// Bound git's memory: pack windows are mapped, and mapped pages
		// count as resident. None of these change the output.
		"-c", "core.packedGitWindowSize=16m", "-c", "core.packedGitLimit=64m",
		"-c", "pack.deltaCacheSize=16m", "-c", "core.deltaBaseCacheLimit=16m",
		"pack-objects", "--stdout", "--revs", "--no-reuse-object", "--delta-base-offset",
		"--threads=1", "--window=4", "--depth=50", "--compression="+strconv.Itoa(bundleCompression), "-q")
	cmd.Stdin = strings.NewReader(strings.Join(tips, "\n") + "\n")
	cmd.Stdout = w
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return fmt.Errorf("git pack-objects: %s", msg)
	}
	return nil
}

// The delta window is 4, not git's 10: on a history of 10,000 record
// commits the bundle is 5 % larger and made in two thirds of the time.
//
// bigFile is the size above which a blob is stored whole, without looking
// for a delta: records (a few KB, in many versions) delta well and cheaply;
// attachments (scans, PDFs, images) are already compressed, rarely delta,
// and cost the most to try. Part of the output's definition: changing it
// changes the archive's bytes.
const bigFile = "512k"

// bundleCompression is the zlib level of the bundle's objects. The whole
// archive is gzipped again, on every core, so the pack stays uncompressed
// rather than paying for deflate twice.
const bundleCompression = 0

// readEach calls fn with the content of each of entries, in order, read
// whole through one cat-file: for small files.
func readEach(ctx context.Context, dir string, entries []treeEntry, fn func(treeEntry, []byte) error) error {
	if len(entries) == 0 {
		return nil
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
		if _, err := br.next(e.id); err != nil {
			br.abort()
			return err
		}
		data, err := io.ReadAll(br)
		if err == nil {
			err = fn(e, data)
		}
		if err != nil {
			br.abort()
			return err
		}
	}
	return br.close()
}

// abort stops cat-file after an error, without reading what it has left.
func (b *blobReader) abort() {
	b.cmd.Process.Kill()
	<-b.errc
	b.cmd.Wait()
}
