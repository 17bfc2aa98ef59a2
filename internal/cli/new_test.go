package cli

import (
	"strings"
	"testing"

	"github.com/qms-tool/qms/internal/draft"
)

func TestNoteSkipped(t *testing.T) {
	taken := func(id string, staged bool, branches ...string) draft.Taken {
		return draft.Taken{ID: id, Branches: branches, Staged: staged}
	}
	for _, tc := range []struct {
		name    string
		skipped []draft.Taken
		want    string
	}{
		{"none", nil, ""},
		{"one id on one branch", []draft.Taken{taken("INC-2026-0008", false, "origin/feature-x")},
			"qms: INC-2026-0008 is taken on branch origin/feature-x; using INC-2026-0010\n"},
		{"one id on two branches", []draft.Taken{taken("INC-2026-0008", false, "feature-x", "origin/feature-x")},
			"qms: INC-2026-0008 is taken on branches feature-x and origin/feature-x; using INC-2026-0010\n"},
		{"two ids", []draft.Taken{taken("INC-2026-0008", false, "a"), taken("INC-2026-0009", false, "b")},
			"qms: INC-2026-0008 and INC-2026-0009 are taken on branches a and b; using INC-2026-0010\n"},
		{"many ids, many branches", []draft.Taken{taken("INC-2026-0004", false, "a", "b"), taken("INC-2026-0005", false, "c"),
			taken("INC-2026-0007", false, "d", "e"), taken("INC-2026-0009", false, "a")},
			"qms: INC-2026-0004, INC-2026-0005 and 2 more are taken on branches a, b, c and 2 more; using INC-2026-0010\n"},
		{"in the index only", []draft.Taken{taken("INC-2026-0009", true)},
			"qms: INC-2026-0009 is taken in the index; using INC-2026-0010\n"},
		{"a branch and the index", []draft.Taken{taken("INC-2026-0008", false, "a"), taken("INC-2026-0009", true)},
			"qms: INC-2026-0008 and INC-2026-0009 are taken on branch a and in the index; using INC-2026-0010\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr strings.Builder
			noteSkipped(&Env{Stderr: &stderr}, &draft.Maker{Skipped: tc.skipped}, "INC-2026-0010")
			if got := stderr.String(); got != tc.want {
				t.Errorf("noteSkipped(%v) wrote %q, want %q", tc.skipped, got, tc.want)
			}
		})
	}
}
