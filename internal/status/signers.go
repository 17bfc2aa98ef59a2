package status

import (
	"errors"
	"io/fs"
	"time"

	"github.com/qms-tool/qms/internal/policy"
)

// SignersAt returns the staff ids with a key that could sign at t as the
// signing policy of fsys sees it: the key file under keys/ holds the
// listed key, and it is neither compromised nor revoked before t. A tree
// without staff or matrix has no signers.
func SignersAt(fsys fs.FS, staffDir, matrixPath string, t time.Time) (map[string]bool, error) {
	p, err := policy.Load(fsys, staffDir, matrixPath)
	if err != nil && !errors.Is(err, policy.ErrNoPolicy) {
		return nil, err
	}
	out := map[string]bool{}
	for id, per := range p.People {
		for _, k := range per.Keys {
			if k.ValidAt(t) == nil {
				out[id] = true
			}
		}
	}
	return out, nil
}
