package cli

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/qms-tool/qms/internal/approval"
	"github.com/qms-tool/qms/internal/testkit/gitlab"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -update to make it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run go test -update and review the diff):\n%s", p, got)
	}
}

// verifiedExample is a verification as the README's demo has it: Lucia,
// no governor, changed the matrix; a re-signed approval; one record
// approved, one draft, one stale.
func verifiedExample() *verified {
	at := time.Date(2026, 12, 2, 14, 52, 5, 0, time.UTC)
	return &verified{
		report: &approval.Report{
			Head:    "283fd90c06049d1e3b1cbd4b14e0e2b5e20b2a58",
			Root:    approval.Root{Commit: "43f2c4489fd5d174965b5a2dbba47f27fc8c2edc", Signer: "802B6D05F2D9AA7E79BB3BE3D60192171E9FF602"},
			Commits: 6,
			Failures: []approval.Failure{{Commit: "0b528fb518f5d2c1a0e4b7c9d8e6f5a4b3c2d1e0", Rule: "governance",
				Message:     "commit 0b528fb518f5 changes the staff records or the matrix, but Lucia Rossi (lrossi) holds no governing role (JD-001, JD-002) in the policy of parent e893b9c6c236",
				Hint:        "ask a holder of a governing role to make (and sign) this change",
				Person:      "lrossi",
				Fingerprint: "64172A148F5FCE41868BF6353DD60DA9FF8A0097"}},
			Warnings: []approval.Failure{{Commit: "e893b9c6c2361f0a9b8c7d6e5f4a3b2c1d0e9f8a", Rule: "resigned",
				Message: "QMS-Sign lines of a commit authored by Tobias Meier but signed by Marco Brunner count for nobody"}},
		},
		states: []approval.State{
			{Path: "records/incidents/INC-2026-0004.md", State: approval.Approved, Signatures: []approval.Signature{{Meaning: "review", Name: "Lucia Rossi", Person: "lrossi", Roles: []string{"JD-003"}, Time: at}}},
			{Path: "records/plans/GP-100-r3.md", State: approval.Draft, Missing: []string{"review by 1 more of JD-002, JD-003 (not by its author)", "approval by 1 more of JD-001 (not by its author)"}},
			{Path: "records/tests/TST-2026-0001.md", State: approval.Stale, Missing: []string{"approval by 1 more of JD-001 (not by its author)"}, Earlier: 2},
		},
		result: &approval.Result{RootSource: approval.FromEnv},
	}
}

func TestVerifyCIGolden(t *testing.T) {
	for _, tc := range []struct {
		name, format string
		strict       bool
	}{
		{"verify.md", "markdown", false},
		{"verify-strict.md", "markdown", true},
		{"verify.codequality.json", "codequality", false},
		{"verify-strict.codequality.json", "codequality", true},
		{"verify.github.txt", "github", false},
		{"verify-strict.github.txt", "github", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := printVerifyCI(&b, tc.format, verifiedExample(), tc.strict); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name, b.Bytes())
			if tc.format == "codequality" {
				if _, err := gitlab.CheckCodeQuality(b.Bytes()); err != nil {
					t.Error(err)
				}
			}
		})
	}
	// A clean verification.
	v := verifiedExample()
	v.report.Failures, v.report.Warnings, v.states = nil, nil, v.states[:1]
	var b bytes.Buffer
	if err := printVerifyCI(&b, "markdown", v, true); err != nil {
		t.Fatal(err)
	}
	golden(t, "verify-passed.md", b.Bytes())
}
