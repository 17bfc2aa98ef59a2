// Package clone checks that a Git clone is a faithful backup of its origin:
// refs against the remote's (Compare), every reachable object present and
// intact (Verify), nothing left uncommitted. It asks git (through gitcmd)
// for refs, status and the network but reads and hashes the objects itself,
// sharing no code with go-git or vcs: an integrity checker must not trust
// the library it checks.
package clone
