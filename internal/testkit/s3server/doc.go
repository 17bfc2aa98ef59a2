// Package s3server starts a real S3-compatible server for tests and
// benchmarks: versitygw (pinned v1.8.0, see .ci/run) on 127.0.0.1 with
// versioning and Object Lock, behind the Glacier-semantics proxy of package
// glacierproxy. Test tooling: never imported by the qms binary.
package s3server
