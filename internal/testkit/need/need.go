// Package need lets a test ask for a program the machine may lack: it
// fails under CI (where .ci/run installs everything) and otherwise skips,
// writing the skip where 'make test' names it at the end with the command
// that installs the program. Test tooling, never shipped.
package need

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// SkippedEnv names the file 'make test' collects skips in.
const SkippedEnv = "QMS_SKIPPED"

// Tool returns the path of the program name (or of the first of its other
// names found), or stops the test: a failure under CI, else a skip noted
// with install, the command that brings it.
func Tool(t testing.TB, install, name string, other ...string) string {
	t.Helper()
	for _, n := range append([]string{name}, other...) {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	Missing(t, name, install)
	return ""
}

// Missing stops the test for a program that is not there, as Tool does.
func Missing(t testing.TB, name, install string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is not installed (.ci/run installs it: %s)", name, install)
	}
	Note(t.Name(), name, install)
	t.Skipf("%s is not installed (%s)", name, install)
}

// Note writes down that test skipped for want of name, for 'make test'
// to report; for test runners that are not a testing.TB (testscript).
func Note(test, name, install string) {
	if f := os.Getenv(SkippedEnv); f != "" {
		if w, err := os.OpenFile(f, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
			fmt.Fprintf(w, "%s\t%s\t%s\n", test, name, install)
			w.Close()
		}
	}
}

// Install commands for the programs tests use.
const (
	Git        = "apt-get install git"
	GPG        = "apt-get install gnupg"
	SSHKeygen  = "apt-get install openssh-client"
	PreCommit  = "apt-get install pre-commit"
	Chromium   = "apt-get install chromium"
	AWS        = "apt-get install awscli"
	Versitygw  = "go install github.com/versity/versitygw/cmd/versitygw@v1.8.0 (make test does it)"
	Pdftotext  = "apt-get install poppler-utils"
	ChromiumAt = "/usr/bin/chromium"
)

// BagitFS installs bagit-fs, the npm BagIt implementation the archive's
// bag is checked with (TestBagIndependent), where the test looks for it.
const BagitFS = "npm install --prefix ~/.cache/qms-bagcheck bagit-fs@1.1.1 (.ci/run does it)"
