// Package schema loads the record kinds: one JSON Schema 2020-12 file per
// kind, from the defaults embedded in qms overlaid with a repository's own
// schema/ folder, compiled for validation, with the x-qms-* keywords (see
// schema/README.md) extracted into rules the checker applies.
package schema
