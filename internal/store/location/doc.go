// Package location opens the store an archive location URL names: a
// registry maps each scheme (s3://, file://) to the backend that opens it,
// so that commands pass URLs along and never take them apart.
package location
