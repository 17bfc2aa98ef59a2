package gen

import (
	"context"
	"fmt"

	"github.com/qms-tool/qms/internal/gitcmd"
)

// commitDate is the fixed date of the generated commit, so that the same
// options give the same commit id.
const commitDate = "2026-10-31T18:00:00+01:00"

// commit makes dir a Git repository whose one commit holds every file.
func commit(dir string, st Stats) error {
	msg := fmt.Sprintf("Generated QMS: %d records (%d incidents, %d tests, %d staff, %d suppliers, %d plan revisions)",
		st.Records, st.Incidents, st.Tests, st.Staff, st.Suppliers, st.Plans)
	env := []string{"GIT_AUTHOR_DATE=" + commitDate, "GIT_COMMITTER_DATE=" + commitDate}
	for _, args := range [][]string{
		{"-c", "init.defaultBranch=main", "init", "-q"},
		{"-c", "core.autocrlf=false", "add", "-A"},
		{"-c", "user.name=Bench", "-c", "user.email=bench@example.com", "-c", "commit.gpgsign=false",
			"commit", "-q", "--no-verify", "-m", msg},
	} {
		if _, err := gitcmd.RunEnv(context.Background(), dir, env, nil, args...); err != nil {
			return fmt.Errorf("gen: %w", err)
		}
	}
	return nil
}
