// Package store is where signed archives are kept for ten years and more: a
// narrow interface (stat, list, put, restore, get) that the local-directory
// and S3 backends in its sub-packages implement, with the errors and states
// (storage class, retention, restore) they share.
package store
