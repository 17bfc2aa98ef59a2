// Package check validates a QMS repository: each record against its kind's
// schema and x-qms rules, then the rules that span records (unique ids,
// references, plans in force, roles). It reports every finding it can.
package check
