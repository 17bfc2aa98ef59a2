package s3server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/qms-tool/qms/internal/testkit/glacierproxy"
)

// Credentials of the server's root user.
const (
	AccessKey = "qmstestaccess"
	SecretKey = "qmstestsecret0123456789"
	Region    = "us-east-1"
)

// ErrNoServer is returned when the versitygw binary cannot be found.
var ErrNoServer = errors.New("versitygw not found in PATH or $(go env GOPATH)/bin: go install github.com/versity/versitygw/cmd/versitygw@v1.8.0")

// Server is a running versitygw with the proxy in front.
type Server struct {
	// URL is the proxy's address, what clients use.
	URL string
	// Direct is versitygw's own address.
	Direct string
	// Root is the directory holding the buckets (bucket/key files).
	Root string

	bin, versions, addr string
	posixArgs           []string
	cmd                 *exec.Cmd
	exited              chan struct{}
	proxy               *http.Server
}

// Binary finds versitygw.
func Binary() (string, error) {
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p, nil
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
			gopath = strings.TrimSpace(string(out))
		}
	}
	for _, dir := range filepath.SplitList(gopath) {
		p := filepath.Join(dir, "bin", "versitygw")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", ErrNoServer
}

// Start runs versitygw with its data under dir, and the proxy; posixArgs
// are more options for versitygw's posix backend.
func Start(dir string, posixArgs ...string) (*Server, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	s := &Server{bin: bin, posixArgs: posixArgs, Root: filepath.Join(dir, "data"), versions: filepath.Join(dir, "versions")}
	for _, d := range []string{s.Root, s.versions} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.addr = l.Addr().String()
	l.Close()
	s.Direct = "http://" + s.addr
	if err := s.StartGateway(); err != nil {
		return nil, err
	}
	p, err := glacierproxy.New(s.Direct)
	if err != nil {
		s.Close()
		return nil, err
	}
	pl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.Close()
		return nil, err
	}
	s.URL = "http://" + pl.Addr().String()
	s.proxy = &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	go s.proxy.Serve(pl)
	return s, nil
}

// StartGateway (re)starts versitygw on its address, after StopGateway.
func (s *Server) StartGateway() error {
	args := append([]string{"--port", s.addr, "--quiet", "posix", "--versioning-dir", s.versions}, s.posixArgs...)
	cmd := exec.Command(s.bin, append(args, s.Root)...)
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY="+AccessKey, "ROOT_SECRET_KEY="+SecretKey)
	log, err := os.Create(filepath.Join(filepath.Dir(s.Root), "versitygw.log"))
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = log, log
	dieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		log.Close()
		return fmt.Errorf("start versitygw: %w", err)
	}
	s.cmd = cmd
	s.exited = make(chan struct{})
	go func() { cmd.Wait(); log.Close(); close(s.exited) }()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			b, _ := os.ReadFile(filepath.Join(filepath.Dir(s.Root), "versitygw.log"))
			return fmt.Errorf("versitygw exited: %s", b)
		default:
		}
		if c, err := net.DialTimeout("tcp", s.addr, time.Second); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.StopGateway()
	return fmt.Errorf("versitygw did not listen on %s within 20s", s.addr)
}

// StopGateway kills versitygw (the proxy stays), as a crash would.
func (s *Server) StopGateway() {
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Kill()
	<-s.exited
	s.cmd = nil
}

// Close stops everything.
func (s *Server) Close() {
	if s.proxy != nil {
		s.proxy.Close()
	}
	s.StopGateway()
}

// Env is the environment the AWS SDK (and the aws command) needs to reach
// the server, isolated from the user's own AWS configuration.
func (s *Server) Env(home string) []string {
	return []string{
		"AWS_ACCESS_KEY_ID=" + AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + SecretKey,
		"AWS_REGION=" + Region,
		"AWS_DEFAULT_REGION=" + Region,
		"AWS_CONFIG_FILE=" + filepath.Join(home, ".aws", "config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, ".aws", "credentials"),
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_PAGER=",
	}
}

// Client is an S3 client for url (s.URL or s.Direct).
func (s *Server) Client(url string) *s3.Client {
	return s3.New(s3.Options{
		Region:       Region,
		BaseEndpoint: aws.String(url),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, ""),
	})
}

// CreateBucket makes a bucket with Object Lock (and so versioning) enabled.
func (s *Server) CreateBucket(ctx context.Context, name string) error {
	_, err := s.Client(s.Direct).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &name, ObjectLockEnabledForBucket: aws.Bool(true)})
	if err != nil {
		return fmt.Errorf("create bucket %s: %w", name, err)
	}
	return nil
}
