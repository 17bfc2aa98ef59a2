// Package status computes what a QMS owes as of a date: the plan's review,
// the continuity tests and their recovery times against the objectives,
// open incidents and objective breaches, approvals, supplier evaluations
// and role cover. It is pure: records and the clock come in, a Report
// goes out.
package status
