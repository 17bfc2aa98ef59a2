// Package render makes the static HTML site of a QMS: an index, a page per
// kind and per record with its 21 CFR 11.50 signature block, and the
// continuity dashboard. 'qms render' writes it to a folder and the archive
// puts it in its html/ folder; both go through Write.
package render
