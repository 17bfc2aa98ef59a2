// Package vault keeps signed archives at a location (a store.Store) for ten
// years and gets them back: push under COMPLIANCE retention, list, verify
// what is stored without reading it, and restore from Glacier, checked.
package vault
