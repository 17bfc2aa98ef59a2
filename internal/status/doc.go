// Package status computes what a QMS owes as of a date: the plan's review,
// the continuity tests and their recovery times against the objectives,
// open incidents and objective breaches, approvals, supplier evaluations
// and role cover. It is pure: the records' typed views (records.Index) and
// the clock come in, a Report goes out; Compute is one named step per part.
package status
