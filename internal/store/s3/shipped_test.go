package s3_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestOnlyS3Package: in the qms binary, this package alone imports the AWS
// SDK, and no test tooling (internal/testkit) is linked in.
func TestOnlyS3Package(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not in PATH")
	}
	out, err := exec.Command(gobin, "list", "-deps", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "github.com/qms-tool/qms/cmd/qms").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	const self, qms = "github.com/qms-tool/qms/internal/store/s3", "github.com/qms-tool/qms"
	found := false
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, " ")
		if pkg == self {
			found = true
		}
		if strings.HasPrefix(pkg, qms+"/internal/testkit") {
			t.Errorf("the qms binary links the test tooling %s", pkg)
		}
		if pkg == self || pkg != qms && !strings.HasPrefix(pkg, qms+"/") {
			continue
		}
		for _, imp := range strings.Fields(imports) {
			if strings.HasPrefix(imp, "github.com/aws/") {
				t.Errorf("%s imports %s: only %s may talk to S3", pkg, imp, self)
			}
		}
	}
	if !found {
		t.Errorf("go list: the qms binary does not link %s", self)
	}
}
