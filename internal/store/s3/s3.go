package s3

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"

	"github.com/qms-tool/qms/internal/store"
)

// Client is the part of the S3 API that Store uses; *s3.Client has it, and
// unit tests pass a fake for the states no local server produces.
type Client interface {
	HeadObject(context.Context, *s3.HeadObjectInput, ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	GetObject(context.Context, *s3.GetObjectInput, ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	CreateMultipartUpload(context.Context, *s3.CreateMultipartUploadInput, ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error)
	UploadPart(context.Context, *s3.UploadPartInput, ...func(*s3.Options)) (*s3.UploadPartOutput, error)
	CompleteMultipartUpload(context.Context, *s3.CompleteMultipartUploadInput, ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error)
	AbortMultipartUpload(context.Context, *s3.AbortMultipartUploadInput, ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error)
	ListMultipartUploads(context.Context, *s3.ListMultipartUploadsInput, ...func(*s3.Options)) (*s3.ListMultipartUploadsOutput, error)
	ListObjectsV2(context.Context, *s3.ListObjectsV2Input, ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	RestoreObject(context.Context, *s3.RestoreObjectInput, ...func(*s3.Options)) (*s3.RestoreObjectOutput, error)
	PutObjectRetention(context.Context, *s3.PutObjectRetentionInput, ...func(*s3.Options)) (*s3.PutObjectRetentionOutput, error)
}

var _ Client = (*s3.Client)(nil)

// Metadata keys qms records on every object (x-amz-meta-...).
const (
	metaSHA256    = "qms-sha256"    // hex SHA-256 of the whole object
	metaSize      = "qms-size"      // its size in bytes
	metaComposite = "qms-composite" // the checksum S3 computes from the parts' SHA-256s, "base64-N"
)

// Defaults for Config.
const (
	DefaultPartSize    = 64 << 20
	DefaultConcurrency = 4
)

// Config says where and how to upload.
type Config struct {
	Bucket string
	// Prefix is put in front of every key ("" or ending in "/").
	Prefix string
	// Endpoint is the URL of an S3-compatible server; it implies
	// path-style addressing. Empty for AWS.
	Endpoint string
	// PartSize is the size of multipart parts; objects up to PartSize go
	// up in one PutObject.
	PartSize int64
	// Concurrency is how many parts go up at once.
	Concurrency int
}

// ParseURL reads s3://bucket/prefix.
func ParseURL(raw string) (Config, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "s3" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return Config{}, fmt.Errorf("%q is not an s3://bucket/prefix URL", raw)
	}
	prefix := strings.Trim(u.Path, "/")
	if prefix != "" {
		if err := store.CheckKey(prefix); err != nil {
			return Config{}, fmt.Errorf("%q: bad prefix: %w", raw, err)
		}
		prefix += "/"
	}
	return Config{Bucket: u.Host, Prefix: prefix}, nil
}

// Store is a bucket and prefix.
type Store struct {
	c   Client
	cfg Config
}

var _ store.Store = (*Store)(nil)

// New connects with the standard AWS configuration chain (environment,
// shared config and credentials files, SSO, instance roles).
func New(ctx context.Context, cfg Config) (*Store, error) {
	awscfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("aws configuration: %w", err)
	}
	if awscfg.Region == "" {
		awscfg.Region = "us-east-1"
	}
	c := s3.NewFromConfig(awscfg, func(o *s3.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
			o.UsePathStyle = true
		}
	})
	return NewWithClient(c, cfg), nil
}

// NewWithClient uses c.
func NewWithClient(c Client, cfg Config) *Store {
	if cfg.PartSize <= 0 {
		cfg.PartSize = DefaultPartSize
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	return &Store{c: c, cfg: cfg}
}

func (s *Store) String() string {
	return "s3://" + s.cfg.Bucket + "/" + s.cfg.Prefix
}

func (s *Store) key(key string) (string, error) {
	if err := store.CheckKey(key); err != nil {
		return "", err
	}
	return s.cfg.Prefix + key, nil
}

// errorCode is the S3 error code of err, or "".
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func (s *Store) wrap(key string, err error) error {
	if sentinel := classify(err); sentinel != nil {
		return fmt.Errorf("%s%s: %w: %w", s, key, sentinel, err)
	}
	return fmt.Errorf("%s%s: %w", s, key, err)
}

// classify maps what S3 or the network answered to the store's sentinel
// errors, or nil.
func classify(err error) error {
	switch errorCode(err) {
	case "NotFound", "NoSuchKey":
		return store.ErrNotFound
	case "InvalidObjectState":
		return store.ErrNotRestored
	case "RestoreAlreadyInProgress":
		return store.ErrRestoreInProgress
	case "NoSuchBucket":
		return store.ErrNoBucket
	case "PermanentRedirect", "AuthorizationHeaderMalformed":
		return store.ErrWrongRegion
	case "InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied":
		return store.ErrCredentials
	}
	var ne net.Error
	var dns *net.DNSError
	var op *net.OpError
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &dns), errors.As(err, &op), errors.As(err, &ne) && ne.Timeout():
		return store.ErrUnreachable
	case strings.Contains(err.Error(), "failed to retrieve credentials"):
		// The SDK's credential chain reports its failure as text only.
		return store.ErrCredentials
	}
	return nil
}

// Stat sends a HEAD request.
func (s *Store) Stat(ctx context.Context, key string) (store.Info, error) {
	k, err := s.key(key)
	if err != nil {
		return store.Info{}, err
	}
	out, err := s.c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.cfg.Bucket, Key: &k, ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		return store.Info{}, s.wrap(key, err)
	}
	info := store.Info{
		Key:      key,
		Size:     aws.ToInt64(out.ContentLength),
		SHA256:   out.Metadata[metaSHA256],
		Class:    store.Class(out.StorageClass),
		LockMode: string(out.ObjectLockMode),
		Enforced: true,
	}
	if info.Class == "" {
		info.Class = store.Standard
	}
	if out.ObjectLockRetainUntilDate != nil {
		info.RetainUntil = out.ObjectLockRetainUntilDate.UTC()
	}
	info.Restore, info.RestoreExpiry = ParseRestore(aws.ToString(out.Restore), info.Class.Cold())
	if info.SHA256 == "" {
		info.Problems = append(info.Problems, "no recorded SHA-256 (x-amz-meta-"+metaSHA256+"): not uploaded by qms")
	}
	if v, ok := out.Metadata[metaSize]; ok && v != strconv.FormatInt(info.Size, 10) {
		info.Problems = append(info.Problems, fmt.Sprintf("size %d differs from the %s bytes recorded at upload", info.Size, v))
	}
	server := aws.ToString(out.ChecksumSHA256)
	if server == "" {
		info.Problems = append(info.Problems, "the server reports no SHA-256 checksum")
	} else if want := expectedChecksum(out.Metadata); want != "" && server != want {
		info.Problems = append(info.Problems, fmt.Sprintf("the server's SHA-256 checksum %s differs from the %s recorded at upload", server, want))
	}
	return info, nil
}

// expectedChecksum is the x-amz-checksum-sha256 an object put by qms must
// have: the composite one for multipart uploads, the plain one otherwise.
func expectedChecksum(meta map[string]string) string {
	if c := meta[metaComposite]; c != "" {
		return c
	}
	b, err := hex.DecodeString(meta[metaSHA256])
	if err != nil || len(b) != sha256.Size {
		return ""
	}
	return base64.StdEncoding.EncodeToString(b)
}

// ParseRestore reads an x-amz-restore header: `ongoing-request="true"`, or
// `ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT"`.
// cold says whether the object's class needs a restore at all.
func ParseRestore(h string, cold bool) (store.RestoreState, time.Time) {
	h = strings.TrimSpace(h)
	if h == "" {
		if cold {
			return store.Archived, time.Time{}
		}
		return store.Readable, time.Time{}
	}
	fields := map[string]string{}
	for h != "" {
		name, rest, ok := strings.Cut(h, "=")
		if !ok {
			break
		}
		name = strings.ToLower(strings.TrimSpace(strings.TrimLeft(name, ", ")))
		rest = strings.TrimSpace(rest)
		if !strings.HasPrefix(rest, `"`) {
			break
		}
		val, after, ok := strings.Cut(rest[1:], `"`)
		if !ok {
			break
		}
		fields[name] = val
		h = after
	}
	if fields["ongoing-request"] == "true" {
		return store.Restoring, time.Time{}
	}
	if fields["ongoing-request"] == "false" {
		exp, _ := time.Parse(time.RFC1123, fields["expiry-date"])
		return store.Readable, exp.UTC()
	}
	if cold {
		return store.Archived, time.Time{}
	}
	return store.Readable, time.Time{}
}

// List lists the objects under the prefix.
func (s *Store) List(ctx context.Context) ([]store.Info, error) {
	var out []store.Info
	p := s3.NewListObjectsV2Paginator(s.c, &s3.ListObjectsV2Input{Bucket: &s.cfg.Bucket, Prefix: aws.String(s.cfg.Prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, s.wrap("", err)
		}
		for _, o := range page.Contents {
			k := strings.TrimPrefix(aws.ToString(o.Key), s.cfg.Prefix)
			if strings.HasSuffix(k, "/") {
				continue // a "directory" marker
			}
			out = append(out, store.Info{Key: k, Size: aws.ToInt64(o.Size), Class: store.Class(o.StorageClass)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Restore sends RestoreObject unless the object is readable already.
func (s *Store) Restore(ctx context.Context, key string, days int, tier store.Tier) error {
	info, err := s.Stat(ctx, key)
	if err != nil {
		return err
	}
	switch info.Restore {
	case store.Readable:
		return nil
	case store.Restoring:
		return fmt.Errorf("%s%s: %w", s, key, store.ErrRestoreInProgress)
	}
	k, _ := s.key(key)
	_, err = s.c.RestoreObject(ctx, &s3.RestoreObjectInput{
		Bucket: &s.cfg.Bucket,
		Key:    &k,
		RestoreRequest: &types.RestoreRequest{
			Days:                 aws.Int32(int32(days)),
			GlacierJobParameters: &types.GlacierJobParameters{Tier: types.Tier(tier)},
		},
	})
	if err != nil {
		return s.wrap(key, err)
	}
	return nil
}

// Extend sends PutObjectRetention (COMPLIANCE) when until is later than
// the current retention.
func (s *Store) Extend(ctx context.Context, key string, until time.Time) error {
	info, err := s.Stat(ctx, key)
	if err != nil {
		return err
	}
	if info.LockMode == store.Compliance && !until.After(info.RetainUntil) {
		return nil
	}
	k, _ := s.key(key)
	_, err = s.c.PutObjectRetention(ctx, &s3.PutObjectRetentionInput{
		Bucket:    &s.cfg.Bucket,
		Key:       &k,
		Retention: &types.ObjectLockRetention{Mode: types.ObjectLockRetentionModeCompliance, RetainUntilDate: aws.Time(until.UTC())},
	})
	if err != nil {
		return s.wrap(key, err)
	}
	return nil
}

// Get sends a GET request.
func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	k, err := s.key(key)
	if err != nil {
		return nil, err
	}
	out, err := s.c.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.cfg.Bucket, Key: &k, ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		return nil, s.wrap(key, err)
	}
	return damageReader{out.Body}, nil
}

// damageReader turns the SDK's failed response checksum validation (of a
// single-part object; composite checksums are not validated by the SDK)
// into store.ErrDamaged.
type damageReader struct{ io.ReadCloser }

func (d damageReader) Read(b []byte) (int, error) {
	n, err := d.ReadCloser.Read(b)
	if err != nil && err != io.EOF && strings.Contains(err.Error(), "checksum did not match") {
		err = fmt.Errorf("%w (%w)", store.ErrDamaged, err)
	}
	return n, err
}

// Put uploads in one PutObject, or in parts above the part size.
func (s *Store) Put(ctx context.Context, key string, src io.ReaderAt, o store.PutOptions) (bool, error) {
	k, err := s.key(key)
	if err != nil {
		return false, err
	}
	if o.Class == "" {
		o.Class = store.DeepArchive
	}
	partSize := s.cfg.PartSize
	for o.Size/partSize >= 10000 {
		partSize *= 2
	}
	// The SHA-256 decides whether the object is there already; with the
	// caller's, nothing is read for a rerun. Either way the data sent is
	// checked against it before the object becomes visible.
	sum := o.SHA256
	var whole []byte
	if sum == "" || o.Size <= partSize {
		if whole, err = digest(ctx, src, 0, o.Size); err != nil {
			return false, err
		}
		if o.SHA256 != "" && o.SHA256 != hex.EncodeToString(whole) {
			return false, fmt.Errorf("%s: %w", key, store.ErrChanged)
		}
		sum = hex.EncodeToString(whole)
	}
	info, err := s.Stat(ctx, key)
	switch {
	case err == nil && info.SHA256 == sum && info.Size == o.Size:
		return false, nil
	case err == nil:
		return false, fmt.Errorf("%s%s: %w", s, key, store.ErrConflict)
	case !errors.Is(err, store.ErrNotFound):
		return false, err
	}
	if err := s.abortOrphans(ctx, k); err != nil {
		return false, err
	}
	meta := map[string]string{metaSHA256: sum, metaSize: strconv.FormatInt(o.Size, 10)}
	prog := &progress{fn: o.Progress}
	if o.Size <= partSize {
		b64 := base64.StdEncoding.EncodeToString(whole)
		_, err := s.c.PutObject(ctx, &s3.PutObjectInput{
			Bucket:                    &s.cfg.Bucket,
			Key:                       &k,
			Body:                      prog.reader(src, 0, o.Size),
			ContentLength:             aws.Int64(o.Size),
			ContentType:               aws.String(contentType(key)),
			ChecksumAlgorithm:         types.ChecksumAlgorithmSha256,
			ChecksumSHA256:            &b64,
			StorageClass:              types.StorageClass(o.Class),
			ObjectLockMode:            types.ObjectLockModeCompliance,
			ObjectLockRetainUntilDate: aws.Time(o.RetainUntil.UTC()),
			Metadata:                  meta,
		}, unsignedPayload)
		if err != nil {
			return false, s.wrap(key, err)
		}
		return true, nil
	}
	return true, s.multipart(ctx, key, k, src, o, sum, partSize, meta, prog)
}

// multipart uploads the parts in parallel, each with its SHA-256 (computed
// by the worker just before sending, so hashing overlaps the transfer),
// while one more goroutine reads the source in order to check the whole
// object's SHA-256. The upload is completed only when everything agrees,
// and aborted otherwise.
func (s *Store) multipart(ctx context.Context, key, k string, src io.ReaderAt, o store.PutOptions, sum string, partSize int64, meta map[string]string, prog *progress) (err error) {
	n := int((o.Size + partSize - 1) / partSize)
	parts := make([][]byte, n)
	// The composite checksum goes into the metadata at creation, so it
	// must be known first: hash the parts now, on every core.
	if err := eachPart(ctx, n, s.cfg.Concurrency, func(i int) error {
		off := int64(i) * partSize
		d, err := digest(ctx, src, off, min(partSize, o.Size-off))
		parts[i] = d
		return err
	}); err != nil {
		return err
	}
	meta[metaComposite] = composite(parts)
	cr, err := s.c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
		Bucket:                    &s.cfg.Bucket,
		Key:                       &k,
		ContentType:               aws.String(contentType(key)),
		ChecksumAlgorithm:         types.ChecksumAlgorithmSha256,
		StorageClass:              types.StorageClass(o.Class),
		ObjectLockMode:            types.ObjectLockModeCompliance,
		ObjectLockRetainUntilDate: aws.Time(o.RetainUntil.UTC()),
		Metadata:                  meta,
	})
	if err != nil {
		return s.wrap(key, err)
	}
	uploadID := cr.UploadId
	defer func() {
		if err != nil {
			// Never leave the parts behind, even when ctx was cancelled.
			actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			s.c.AbortMultipartUpload(actx, &s3.AbortMultipartUploadInput{Bucket: &s.cfg.Bucket, Key: &k, UploadId: uploadID})
		}
	}()
	// The whole object's SHA-256, read in order next to the uploads.
	wholeSum := make(chan error, 1)
	hashCtx, stopHash := context.WithCancel(ctx)
	defer stopHash()
	go func() {
		d, err := digest(hashCtx, src, 0, o.Size)
		if err == nil && hex.EncodeToString(d) != sum {
			err = fmt.Errorf("%s: %w", key, store.ErrChanged)
		}
		wholeSum <- err
	}()
	done := make([]types.CompletedPart, n)
	err = eachPart(ctx, n, s.cfg.Concurrency, func(i int) error {
		off := int64(i) * partSize
		size := min(partSize, o.Size-off)
		b64 := base64.StdEncoding.EncodeToString(parts[i])
		out, err := s.c.UploadPart(ctx, &s3.UploadPartInput{
			Bucket:            &s.cfg.Bucket,
			Key:               &k,
			UploadId:          uploadID,
			PartNumber:        aws.Int32(int32(i + 1)),
			Body:              prog.reader(src, off, size),
			ContentLength:     aws.Int64(size),
			ChecksumAlgorithm: types.ChecksumAlgorithmSha256,
			ChecksumSHA256:    &b64,
		}, unsignedPayload)
		if err == nil && out.ChecksumSHA256 != nil && *out.ChecksumSHA256 != b64 {
			err = fmt.Errorf("the server computed SHA-256 %s, want %s", *out.ChecksumSHA256, b64)
		}
		if err != nil {
			return fmt.Errorf("upload part %d: %w", i+1, err)
		}
		done[i] = types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(int32(i + 1)), ChecksumSHA256: &b64}
		return nil
	})
	if err != nil {
		stopHash()
	}
	if werr := <-wholeSum; err == nil {
		err = werr
	}
	if err != nil {
		if errors.Is(err, store.ErrChanged) || errors.Is(err, context.Canceled) {
			return err
		}
		return s.wrap(key, err)
	}
	_, err = s.c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket:          &s.cfg.Bucket,
		Key:             &k,
		UploadId:        uploadID,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: done},
	})
	if err != nil {
		return s.wrap(key, err)
	}
	return nil
}

// eachPart runs fn for 0..n-1 on workers goroutines, stopping at the first
// error.
func eachPart(ctx context.Context, n, workers int, fn func(i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan int)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for w := 0; w < min(workers, n); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				if err := fn(i); err != nil {
					errs <- err
					cancel()
				}
			}
		}()
	}
feed:
	for i := 0; i < n; i++ {
		select {
		case jobs <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	close(errs)
	if err, ok := <-errs; ok {
		return err
	}
	return ctx.Err()
}

// abortOrphans aborts the multipart uploads of an earlier, interrupted run
// for the key, so that nothing is left behind (and billed).
func (s *Store) abortOrphans(ctx context.Context, k string) error {
	in := &s3.ListMultipartUploadsInput{Bucket: &s.cfg.Bucket, Prefix: &k}
	for {
		out, err := s.c.ListMultipartUploads(ctx, in)
		if err != nil {
			return s.wrap("", fmt.Errorf("list multipart uploads: %w", err))
		}
		for _, u := range out.Uploads {
			if aws.ToString(u.Key) != k {
				continue
			}
			if _, err := s.c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &s.cfg.Bucket, Key: &k, UploadId: u.UploadId}); err != nil && errorCode(err) != "NoSuchUpload" {
				return s.wrap("", fmt.Errorf("abort the unfinished upload of %s: %w", k, err))
			}
		}
		if !aws.ToBool(out.IsTruncated) {
			return nil
		}
		in.KeyMarker, in.UploadIdMarker = out.NextKeyMarker, out.NextUploadIdMarker
	}
}

// digest returns the SHA-256 of n bytes of src at off.
func digest(ctx context.Context, src io.ReaderAt, off, n int64) ([]byte, error) {
	h := sha256.New()
	buf := make([]byte, 1<<20)
	r := io.NewSectionReader(src, off, n)
	var m int64
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		k, err := r.Read(buf)
		h.Write(buf[:k])
		m += int64(k)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if m != n {
		return nil, fmt.Errorf("read %d bytes at %d, want %d: %w", m, off, n, store.ErrChanged)
	}
	return h.Sum(nil), nil
}

// composite is the checksum S3 gives a multipart object: the SHA-256 of
// the parts' SHA-256s, then "-" and the number of parts.
func composite(parts [][]byte) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write(p)
	}
	return base64.StdEncoding.EncodeToString(h.Sum(nil)) + "-" + strconv.Itoa(len(parts))
}

// unsignedPayload keeps the request signer from reading the body to hash
// it: the body's integrity is checked by its x-amz-checksum-sha256 header,
// which is signed, so hashing it a second time (on both sides) buys nothing.
func unsignedPayload(o *s3.Options) {
	o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
		return st.Finalize.Insert(middleware.FinalizeMiddlewareFunc("qmsUnsignedPayload",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				return next.HandleFinalize(v4.SetPayloadHash(ctx, "UNSIGNED-PAYLOAD"), in)
			}), "ComputePayloadHash", middleware.Before)
	})
}

func contentType(key string) string {
	switch {
	case strings.HasSuffix(key, ".tar.gz"):
		return "application/gzip"
	case strings.HasSuffix(key, ".asc"):
		return "application/pgp-signature"
	}
	return "application/octet-stream"
}

// progress counts the bytes sent, for the progress bar.
type progress struct {
	mu   sync.Mutex
	done int64
	fn   func(int64)
}

func (p *progress) add(n int64) {
	if p.fn == nil || n == 0 {
		return
	}
	p.mu.Lock()
	p.done += n
	p.fn(p.done)
	p.mu.Unlock()
}

// reader is a section of src that reports what is read, and takes it back
// when the SDK rewinds to retry.
func (p *progress) reader(src io.ReaderAt, off, n int64) io.ReadSeeker {
	return &countingReader{SectionReader: io.NewSectionReader(src, off, n), p: p}
}

type countingReader struct {
	*io.SectionReader
	p    *progress
	read int64
}

func (r *countingReader) Read(b []byte) (int, error) {
	n, err := r.SectionReader.Read(b)
	r.read += int64(n)
	r.p.add(int64(n))
	return n, err
}

func (r *countingReader) Seek(off int64, whence int) (int64, error) {
	pos, err := r.SectionReader.Seek(off, whence)
	if err == nil && pos < r.read {
		r.p.add(pos - r.read)
		r.read = pos
	}
	return pos, err
}
