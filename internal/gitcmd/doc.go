// Package gitcmd runs the git binary for the commands that need git itself
// (ls-remote, fetch, bundle, status): in a clean environment, without a
// terminal, and with git's complaint in the error.
package gitcmd
