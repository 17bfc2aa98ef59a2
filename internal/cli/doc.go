// Package cli is the qms command line: one file per command, each copying
// its flags into an options struct and calling a run function. It maps
// errors to the documented exit statuses in one place.
package cli
