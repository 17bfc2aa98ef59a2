// Package check validates a QMS repository: each record on its own against
// its kind's schema and x-qms rules (File, run by the records layer as it
// loads), then the rules that span records (unique ids, references,
// previous runs, services of the plan in force, roles, key files). It
// reports every finding it can; the rules' names are in rules.go.
package check
