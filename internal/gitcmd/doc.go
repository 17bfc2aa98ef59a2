// Package gitcmd is the one way qms runs the git executable, for what only
// git itself does (signing with the user's setup, ls-remote, fetch, status,
// bundles): one environment policy (no GIT_DIR and friends unless passed on
// purpose, no prompts, English messages) and one error type, *Error.
package gitcmd
