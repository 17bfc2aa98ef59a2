// Package approval authenticates a QMS repository's history and collects
// the signatures it holds: every commit after the trust root must be signed
// by a key that the policy of each of its parents (staff records, matrix,
// keys as they stood there) gives to an active staff member, and a commit
// that changes that policy must be signed by a governor. Only signatures
// in authenticated commits count.
package approval
