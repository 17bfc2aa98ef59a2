//go:build unix

package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// Scenario commands for 'qms clone check': real Git servers on 127.0.0.1
// and a fingerprint of a .git directory.
func init() {
	extraCmds["gitdaemon"] = cmdGitDaemon
	extraCmds["githttp"] = cmdGitHTTP
	extraCmds["gitsnap"] = cmdGitSnap
	extraCmds["flipbyte"] = cmdFlipByte
	extraCmds["silentserver"] = cmdSilentServer
}

// silentserver accepts connections on 127.0.0.1 and never answers, like a
// remote behind a broken network; it sets SILENT to a git:// URL on it.
func cmdSilentServer(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: silentserver")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	ts.Defer(func() {
		l.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	ts.Setenv("SILENT", "git://"+l.Addr().String()+"/qms.git")
}

// freePort asks the kernel for a free loopback port.
func freePort(ts *testscript.TestScript) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

// gitdaemon BASE serves the repositories under BASE with a real
// 'git daemon' on 127.0.0.1 and sets GITD to its git:// URL. The daemon is
// stopped when the scenario ends.
func cmdGitDaemon(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: gitdaemon BASE")
	}
	base := ts.MkAbs(args[0])
	for attempt := 0; ; attempt++ {
		port := freePort(ts)
		cmd := exec.Command("git", "daemon", "--export-all", "--reuseaddr", "--informative-errors",
			"--listen=127.0.0.1", "--port="+strconv.Itoa(port), "--base-path="+base, base)
		cmd.Env = os.Environ()
		// Its own process group, so that stopping it stops the
		// upload-pack processes it forked too.
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		ts.Check(cmd.Start())
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		stop := func() {
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		if waitListening(port, exited) {
			ts.Defer(stop)
			ts.Setenv("GITD", fmt.Sprintf("git://127.0.0.1:%d", port))
			return
		}
		stop()
		if attempt == 3 {
			ts.Fatalf("git daemon did not start")
		}
	}
}

// waitListening waits until something accepts connections on port, or the
// process exits, or 10 s pass.
func waitListening(port int, exited <-chan struct{}) bool {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return false
		default:
		}
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err == nil {
			c.Close()
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

// githttp BASE serves the repositories under BASE over smart HTTP, with
// git's own 'git http-backend' run as a CGI program, on 127.0.0.1; it sets
// GITHTTP to the server's URL.
func cmdGitHTTP(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: githttp BASE")
	}
	gitPath, err := exec.LookPath("git")
	ts.Check(err)
	h := &cgi.Handler{
		Path: gitPath,
		Args: []string{"http-backend"},
		Env:  []string{"GIT_PROJECT_ROOT=" + ts.MkAbs(args[0]), "GIT_HTTP_EXPORT_ALL=1", "GIT_CONFIG_NOSYSTEM=1", "HOME=" + ts.Getenv("HOME")},
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(l)
	ts.Defer(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	ts.Setenv("GITHTTP", "http://"+l.Addr().String())
}

// gitsnap DIR FILE writes a fingerprint of everything under DIR (each
// entry's path, mode, size, modification time and SHA-256) to FILE, so
// that 'cmp' can prove a check changed nothing.
func cmdGitSnap(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: gitsnap DIR FILE")
	}
	root := ts.MkAbs(args[0])
	var lines []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		st, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		line := fmt.Sprintf("%s %v %d %d", filepath.ToSlash(rel), st.Mode(), st.Size(), st.ModTime().UnixNano())
		if st.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			line += fmt.Sprintf(" %x", sha256.Sum256(b))
		}
		lines = append(lines, line)
		return nil
	})
	ts.Check(err)
	sort.Strings(lines)
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(strings.Join(lines, "\n")+"\n"), 0o644))
}

// flipbyte GLOB flips one bit of the middle byte of the one file GLOB
// matches (a pack file, to simulate a bad disk sector).
func cmdFlipByte(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: flipbyte GLOB")
	}
	ms, err := filepath.Glob(ts.MkAbs(args[0]))
	ts.Check(err)
	if len(ms) != 1 {
		ts.Fatalf("flipbyte: %s matches %d files", args[0], len(ms))
	}
	b, err := os.ReadFile(ms[0])
	ts.Check(err)
	b[len(b)/2] ^= 0x10
	ts.Check(os.Chmod(ms[0], 0o644))
	ts.Check(os.WriteFile(ms[0], b, 0o444))
}
