package archive

import (
	"bufio"
	"context"
	"os"
	"path/filepath"

	"github.com/qms-tool/qms/internal/safefile"
)

// WriteFile builds the archive (as Build does) into the file out, its
// signature into out+SigSuffix and its sidecars (SidecarSuffixes) beside
// it. All are read-only and renamed into place only once complete, the
// archive last: a reader never sees part of an archive, nor an archive
// without its signature and sidecars. The folder is made when missing.
func WriteFile(ctx context.Context, out string, opts BuildOptions) (Info, error) {
	dir := filepath.Dir(out)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Info{}, err
	}
	tmp, err := os.CreateTemp(dir, ".qms-archive-*")
	if err != nil {
		return Info{}, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	bw := bufio.NewWriterSize(tmp, 1<<20)
	info, err := Build(ctx, bw, opts)
	if err != nil {
		return Info{}, err
	}
	if err := bw.Flush(); err != nil {
		return Info{}, err
	}
	if err := tmp.Sync(); err != nil {
		return Info{}, err
	}
	if err := tmp.Chmod(0o444); err != nil {
		return Info{}, err
	}
	if err := tmp.Close(); err != nil {
		return Info{}, err
	}
	if err := safefile.Write(out+SigSuffix, info.Signature, 0o444); err != nil {
		return Info{}, err
	}
	for _, sc := range []struct {
		suffix string
		data   []byte
	}{{TagManifestSuffix, info.TagManifest}, {BagInfoSuffix, info.BagInfo}, {KeySuffix, info.Key}} {
		if err := safefile.Write(out+sc.suffix, sc.data, 0o444); err != nil {
			return Info{}, err
		}
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return Info{}, err
	}
	return info, nil
}

// Built reports whether the archive file p, its signature and its
// sidecars beside it all exist: what WriteFile leaves once it is done.
func Built(p string) bool {
	for _, suffix := range append([]string{"", SigSuffix}, SidecarSuffixes...) {
		if _, err := os.Stat(p + suffix); err != nil {
			return false
		}
	}
	return true
}
