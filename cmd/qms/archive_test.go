package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/qms-tool/qms/internal/testkit/need"
	"github.com/qms-tool/qms/internal/testkit/s3server"
)

// The archive scenarios' S3 server: 's3 start' runs versitygw (pinned
// v1.8.0, see .ci/run) behind the Glacier-semantics proxy on 127.0.0.1 for
// this script, sets S3_ENDPOINT (the proxy), S3_DIRECT (versitygw itself)
// and the AWS_* variables, and stops it when the script ends. Without
// versitygw the script is skipped, unless CI=true: then it fails.
//
//	s3 start
//	s3 mb BUCKET          make a bucket with Object Lock
//	s3 corrupt BUCKET/GLOB flip one byte of a stored object, behind the server's back
//	s3 truncate BUCKET/GLOB cut a stored object in half, behind the server's back
//	s3 stop | s3 restart  stop versitygw (the proxy stays), start it again
func init() {
	extraCmds["s3"] = cmdS3
	extraCmds["evil-archive"] = cmdEvilArchive
	extraSetup = append(extraSetup, needS3)
}

// needS3 skips the S3 scenarios (archive_push*, _list*, _verify*,
// _restore*) when versitygw is missing, and fails them when CI=true.
func needS3(e *testscript.Env) error {
	name := strings.TrimPrefix(filepath.Base(e.WorkDir), "script-")
	s3 := false
	for _, p := range []string{"archive_push", "archive_list", "archive_verify", "archive_restore", "archive_drill", "archive_cost"} {
		s3 = s3 || strings.HasPrefix(name, p)
	}
	if !s3 {
		return nil
	}
	if _, err := s3server.Binary(); err != nil {
		if os.Getenv("CI") == "true" {
			return err
		}
		need.Note("TestScript/"+name, "versitygw", need.Versitygw)
		e.T().Skip(err.Error())
	}
	return nil
}

// s3Servers holds each running script's server, by work directory.
var s3Servers sync.Map

func cmdS3(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: s3 start | mb BUCKET | corrupt BUCKET/KEY | truncate BUCKET/KEY | stop | restart")
	}
	work := ts.Getenv("WORK")
	v, _ := s3Servers.Load(work)
	srv, _ := v.(*s3server.Server)
	if args[0] != "start" && srv == nil {
		ts.Fatalf("s3 %s: run 's3 start' first", args[0])
	}
	switch args[0] {
	case "start":
		dir := ts.MkAbs("s3")
		s, err := s3server.Start(dir)
		ts.Check(err)
		ts.Defer(func() { s.Close(); s3Servers.Delete(work) })
		s3Servers.Store(work, s)
		for _, kv := range s.Env(ts.Getenv("HOME")) {
			k, v, _ := strings.Cut(kv, "=")
			ts.Setenv(k, v)
		}
		ts.Setenv("S3_ENDPOINT", s.URL)
		ts.Setenv("S3_DIRECT", s.Direct)
	case "mb":
		if len(args) != 2 {
			ts.Fatalf("usage: s3 mb BUCKET")
		}
		ts.Check(srv.CreateBucket(context.Background(), args[1]))
	case "corrupt":
		if len(args) != 2 {
			ts.Fatalf("usage: s3 corrupt BUCKET/KEY")
		}
		p := s3Object(ts, srv, args[1])
		b, err := os.ReadFile(p)
		ts.Check(err)
		if len(b) == 0 {
			ts.Fatalf("%s is empty", p)
		}
		b[len(b)/2] ^= 0xff
		// The object is read-only for the server's clients, not for us.
		st, err := os.Stat(p)
		ts.Check(err)
		ts.Check(os.Chmod(p, 0o644))
		ts.Check(os.WriteFile(p, b, 0o644))
		ts.Check(os.Chmod(p, st.Mode().Perm()))
	case "truncate":
		if len(args) != 2 {
			ts.Fatalf("usage: s3 truncate BUCKET/KEY")
		}
		p := s3Object(ts, srv, args[1])
		st, err := os.Stat(p)
		ts.Check(err)
		ts.Check(os.Chmod(p, 0o644))
		ts.Check(os.Truncate(p, st.Size()/2))
		ts.Check(os.Chmod(p, st.Mode().Perm()))
	case "stop":
		srv.StopGateway()
	case "restart":
		ts.Check(srv.StartGateway())
	default:
		ts.Fatalf("unknown s3 command %q", args[0])
	}
}

// s3Object is the file holding the one object that matches the glob
// BUCKET/KEY in the server's directory.
func s3Object(ts *testscript.TestScript, srv *s3server.Server, glob string) string {
	m, err := filepath.Glob(filepath.Join(srv.Root, filepath.FromSlash(glob)))
	ts.Check(err)
	if len(m) != 1 {
		ts.Fatalf("%s matches %d objects, want 1", glob, len(m))
	}
	return m[0]
}

// evil-archive FILE writes a .tar.gz named like an archive whose second
// member climbs out of the directory it is extracted into.
func cmdEvilArchive(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: evil-archive FILE")
	}
	top := strings.TrimSuffix(filepath.Base(args[0]), ".tar.gz")
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, name := range []string{top + "/VERIFY.txt", top + "/../../escape.txt"} {
		body := []byte("gotcha\n")
		ts.Check(tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}))
		_, err := tw.Write(body)
		ts.Check(err)
	}
	ts.Check(tw.Close())
	ts.Check(zw.Close())
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), buf.Bytes(), 0o644))
}
