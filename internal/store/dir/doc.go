// Package dir keeps archives in a local directory (file:///dir): each object
// is a read-only file put in place atomically, with a JSON sidecar recording
// its SHA-256, storage class and retention.
package dir
