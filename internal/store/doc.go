// Package store is where signed archives are kept for ten years and more: a
// narrow interface (stat, list, put, extend, restore, get) with the errors
// and states (storage class, retention, restore) its backends share. The
// backends are its sub-packages (dir for file://, s3 for s3://), opened by
// URL through package location; each passes internal/testkit/storetest.
package store
