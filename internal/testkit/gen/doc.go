// Package gen writes synthetic but realistic QMS repositories of any size,
// the same files for the same options, for benchmarks and scale tests.
package gen
