package gen

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
)

// commitDate is the fixed date of the generated commit, so that the same
// options give the same commit id.
const commitDate = "2026-10-31T18:00:00+01:00"

// commit makes dir a Git repository whose one commit holds every file.
func commit(dir string, st Stats) error {
	msg := fmt.Sprintf("Generated QMS: %d records (%d incidents, %d tests, %d staff, %d suppliers, %d plan revisions)",
		st.Records, st.Incidents, st.Tests, st.Staff, st.Suppliers, st.Plans)
	for _, args := range [][]string{
		{"-c", "init.defaultBranch=main", "init", "-q"},
		{"-c", "core.autocrlf=false", "add", "-A"},
		{"-c", "user.name=Bench", "-c", "user.email=bench@example.com", "-c", "commit.gpgsign=false",
			"commit", "-q", "--no-verify", "-m", msg},
	} {
		name := args[len(args)-2]
		if name != "init" && name != "add" {
			name = "commit"
		}
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_DATE="+commitDate, "GIT_COMMITTER_DATE="+commitDate)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("gen: git %s: %w\n%s", name, err, bytes.TrimSpace(out.Bytes()))
		}
	}
	return nil
}
