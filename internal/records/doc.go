// Package records is the one layer that reads a QMS repository's records:
// it lists them the way 'qms validate' does, from any fs.FS (the working
// tree, the Git index, a commit's tree), parses each once on every core,
// remembers per-file outcomes between runs in a cache keyed by content, and
// hands out typed views of the kinds the rules read (plans, incidents, tests,
// staff, suppliers, the matrix), with the one rule for the plan in force.
package records
