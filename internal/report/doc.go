// Package report renders a check's outcome for CI systems: a markdown
// summary (GitHub's job summary, a GitLab merge request comment) and
// GitLab's Code Quality report. It writes to the io.Writer it is given.
package report
