// Package record reads a QMS record: it splits the YAML frontmatter from the
// markdown body, turns the frontmatter into JSON-compatible data without
// losing where each value came from, and lists the body's headings.
// It never trusts its input: every malformed file yields findings, not panics.
package record
