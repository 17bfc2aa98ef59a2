// Package clone checks that a Git clone is a faithful backup of its origin:
// every branch and tag compared with the remote's (Compare), every object
// reachable from a ref present and intact (Verify), and the changes that are
// not committed yet. It runs git for the network and reads objects itself.
package clone
