// Command qmsgen writes a synthetic QMS repository of any size, for
// benchmarks and scale tests:
//
//	go run ./internal/testkit/cmd/qmsgen -n 10000 -seed 1 -git -out DIR
//
// The same -n and -seed always give the same files (and, with -git, the
// same commit).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/qms-tool/qms/internal/testkit/gen"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

// run returns the exit status: 0 ok, 2 usage error, 3 failure.
func run(args []string, stderr io.Writer) int {
	fl := flag.NewFlagSet("qmsgen", flag.ContinueOnError)
	fl.SetOutput(stderr)
	n := fl.Int("n", 1000, "number of records, the matrix and plan revisions included")
	seed := fl.Int64("seed", 1, "seed: the same -n and -seed give the same files")
	followUp := fl.Bool("followup", false, "also write nonconformities of failed test runs and training records (about a tenth of the records)")
	continuity := fl.Bool("continuity", false, "plans with risk scales and a communication plan, incidents with notice logs, and a risk register (about a twentieth of the records)")
	withGit := fl.Bool("git", false, "make the directory a git repository with one commit (needs git)")
	commits := fl.Int("history", 0, "make a git repository with this many signed commits (edits, approvals, staff changes, merges) instead of one")
	forge := fl.Bool("forge", false, "with -history: a forge key in qms.yaml signs every merge (GitHub's merge button)")
	branch := fl.Int("branch", 0, "with -history: a branch \"pr\" of this many signed commits on top of main")
	out := fl.String("out", "", "directory to write, empty or not existing (required)")
	fl.Usage = func() {
		fmt.Fprintf(stderr, "usage: qmsgen -n RECORDS [-seed N] [-git | -history COMMITS] -out DIR\n\n")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if *out == "" || fl.NArg() > 0 {
		fl.Usage()
		return 2
	}
	start := time.Now()
	if *commits > 0 {
		hs, err := gen.WriteHistory(*out, gen.HistoryOptions{Records: *n, Seed: *seed, Commits: *commits, Forge: *forge, Branch: *branch,
			Log: func(format string, a ...any) { fmt.Fprintf(stderr, "qmsgen: "+format+"\n", a...) }})
		if err != nil {
			fmt.Fprintf(stderr, "qmsgen: %v\n", err)
			return 3
		}
		fmt.Fprintf(stderr, "qmsgen: wrote %d records and %d signed commits (%d edits, %d approvals, %d staff changes, %d merges, %d signed by a forge; %d on branch pr; keys: %v) to %s in %s\n",
			hs.Records, hs.Commits, hs.Edits, hs.Approvals, hs.Governance, hs.Merges, hs.ForgeMerges, hs.BranchCommits, hs.Signers, *out, time.Since(start).Round(time.Millisecond))
		fmt.Fprintf(stderr, "qmsgen: trust root %s signed by %s\n", hs.TrustRoot, hs.RootSigner)
		return 0
	}
	st, err := gen.Write(*out, gen.Options{Records: *n, Seed: *seed, Git: *withGit, FollowUp: *followUp, Continuity: *continuity})
	if err != nil {
		fmt.Fprintf(stderr, "qmsgen: %v\n", err)
		if errors.Is(err, gen.ErrNotEmpty) {
			fmt.Fprintf(stderr, "qmsgen: hint: remove %s or choose another -out\n", *out)
		}
		return 3
	}
	follow := ""
	if *followUp {
		follow = fmt.Sprintf(", %d nonconformities, %d training records", st.Nonconformities, st.Training)
	}
	if *continuity {
		follow += fmt.Sprintf(", %d risks", st.Risks)
	}
	fmt.Fprintf(stderr, "qmsgen: wrote %d records (%d incidents, %d tests, %d staff, %d suppliers, %d plan revisions%s, matrix; %.1f MB, %d-%d) to %s in %s\n",
		st.Records, st.Incidents, st.Tests, st.Staff, st.Suppliers, st.Plans, follow, float64(st.Bytes)/1e6,
		st.FirstYear, st.LastYear, *out, time.Since(start).Round(time.Millisecond))
	return 0
}
