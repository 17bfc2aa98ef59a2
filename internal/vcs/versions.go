package vcs

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/qms-tool/qms/internal/gitcmd"
)

// Version is one commit's change to one path: the blob it wrote there
// ("" when it removed the path).
type Version struct {
	Commit string
	Time   time.Time // the committer's time
	Path   string
	Blob   string
}

// Versions walks the history of head once and returns, per path under the
// given folders, the changes that non-merge commits made to it, newest
// first (git log's order). A merge writes nothing of its own here: what it
// brings in was written by the commits of its branches, which the walk
// visits too. Replace refs and grafts are ignored, as verification ignores
// them.
func (r *Repo) Versions(ctx context.Context, head string, folders ...string) (map[string][]Version, error) {
	// No pathspec: git's path limiting costs more than it saves (0.83 s
	// against 0.37 s for 10,000 commits here); the paths are filtered here.
	// --no-replace-objects leaves a grafts file in force: GIT_GRAFT_FILE
	// points git at none, or a graft could hide versions the verified
	// history has (or show ones it has not).
	out, err := gitcmd.RunEnv(ctx, r.Root, []string{"GIT_GRAFT_FILE=" + os.DevNull}, nil, "--no-replace-objects", "log", "-z", "--no-renames", "--raw", "--no-abbrev",
		"--no-ext-diff", "--no-textconv", "--format=%x01%H%x02%ct", head, "--")
	if err != nil {
		return nil, err
	}
	all, err := parseVersions(out)
	if err != nil {
		return nil, err
	}
	for p := range all {
		keep := false
		for _, f := range folders {
			if p == f || strings.HasPrefix(p, f+"/") {
				keep = true
				break
			}
		}
		if !keep {
			delete(all, p)
		}
	}
	return all, nil
}

// parseVersions reads the output of Versions' git log: per commit
// "\x01<id>\x02<time>", then NUL-separated raw records
// ":<mode> <mode> <old> <new> <status>\0<path>\0".
func parseVersions(out []byte) (map[string][]Version, error) {
	res := map[string][]Version{}
	for _, chunk := range bytes.Split(out, []byte{1})[1:] {
		head, rest, ok := bytes.Cut(chunk, []byte{2})
		if !ok || len(head) != 40 && len(head) != 64 {
			return nil, fmt.Errorf("git log: unexpected commit header %q", truncate(chunk))
		}
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		secs, err := strconv.ParseInt(string(rest[:i]), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("git log: commit %s: bad time %q", head, truncate(rest))
		}
		at := time.Unix(secs, 0).UTC()
		rest = bytes.TrimLeft(rest[i:], "\x00\n")
		for len(rest) > 0 {
			meta, after, ok := bytes.Cut(rest, []byte{0})
			if !ok || len(meta) == 0 || meta[0] != ':' {
				return nil, fmt.Errorf("git log: commit %s: unexpected raw line %q", head, truncate(rest))
			}
			path, after, _ := bytes.Cut(after, []byte{0})
			f := bytes.Fields(meta[1:])
			if len(f) < 5 || len(path) == 0 {
				return nil, fmt.Errorf("git log: commit %s: unexpected raw line %q", head, truncate(meta))
			}
			blob := string(f[3])
			if f[4][0] == 'D' || bytes.Count(f[3], []byte("0")) == len(f[3]) {
				blob = ""
			}
			p := string(path)
			res[p] = append(res[p], Version{Commit: string(head), Time: at, Path: p, Blob: blob})
			rest = bytes.TrimLeft(after, "\n")
		}
	}
	return res, nil
}

func truncate(b []byte) []byte {
	if len(b) > 80 {
		return b[:80]
	}
	return b
}
