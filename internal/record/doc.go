// Package record reads one QMS record: it splits the YAML frontmatter from
// the markdown body, turns the frontmatter into JSON-compatible data
// without losing where each value came from, and lists the body's
// headings. Plain frontmatter and headings are read by shortcuts that
// give up on anything else, and are fuzzed against the YAML and markdown
// parsers they stand in for. It never trusts its input: every malformed
// file yields findings, not panics.
package record
