package s3server

import (
	"os/exec"
	"syscall"
)

// dieWithParent kills versitygw when the test process dies without
// cleaning up (a panic, a timeout), so that no server outlives its test.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
