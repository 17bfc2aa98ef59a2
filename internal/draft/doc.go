// Package draft composes the next record of a kind, as 'qms new' writes
// it: the next free id, the values it derives from the records already
// there (a test run's previous run, the revision a new plan revision
// supersedes), and the kind's template (the repository's own, else the
// built-in one) filled in and set. It writes nothing.
package draft
