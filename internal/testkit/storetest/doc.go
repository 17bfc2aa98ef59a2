// Package storetest is the test suite every store.Store backend passes:
// the local directory and the real S3-compatible server run the same cases.
// Test tooling: never imported by the qms binary.
package storetest
