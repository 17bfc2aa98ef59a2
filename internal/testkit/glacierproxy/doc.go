// Package glacierproxy is a reverse proxy for tests that gives an
// S3-compatible server (versitygw) the Glacier semantics it lacks: it keeps
// each object's storage class, answers 403 InvalidObjectState to a GET of an
// unrestored GLACIER or DEEP_ARCHIVE object, implements RestoreObject
// (POST ?restore), and reports the x-amz-storage-class and x-amz-restore
// headers on HEAD. A restore completes at once: the states "restore in
// progress" and "already in progress" are not produced here (package s3
// unit-tests them with a fake client). Path-style requests only. Test
// tooling: never imported by the qms binary.
package glacierproxy
