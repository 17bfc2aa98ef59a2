// Package vcs is the one package that uses go-git: it opens and initialises
// repositories, reads settings, trees, history and the index as it will be
// committed; what only git can do (signing a commit) it runs through gitcmd.
package vcs
