// Package vcs is the one place qms talks to Git (through go-git): it opens
// and initialises repositories, reads identity and hook settings, and serves
// the index as it will be committed.
package vcs
