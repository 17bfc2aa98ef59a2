// Package s3 keeps archives in an S3 bucket (s3://bucket/prefix), on AWS or
// an S3-compatible server: storage class, Object Lock retention in
// COMPLIANCE mode, SHA-256 checksums on every part, multipart uploads that
// never leave a partial object, and Glacier restores. It is the only package
// of the qms binary that talks to S3 (the test servers under
// internal/testkit talk to it too).
package s3
