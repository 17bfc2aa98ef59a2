// Package testkit holds what qms's tests and benchmarks use and the qms
// binary never ships: the repository generator (gen, cmd/qmsgen) and the
// lab of real git, gpg and ssh-keygen (testrepo).
package testkit
