// Package policy reads who may sign from a QMS tree: the staff records
// (roles, validity, signing keys), the responsibility matrix and the public
// keys under keys/. 'qms verify' builds one policy per parent commit and
// asks it who made a signature and whether they could at the time.
package policy
