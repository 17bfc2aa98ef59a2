package vcs

import (
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"
)

// Blob returns the content of the blob with the given id (40 hex digits),
// for reading a record as it stood in an earlier commit: 'qms render
// --released' publishes the last approved version of each record.
func (r *Repo) Blob(id string) ([]byte, error) {
	if !isHex40(id) {
		return nil, fmt.Errorf("read object %q: not a blob id", id)
	}
	return r.blob(plumbing.NewHash(id))
}
