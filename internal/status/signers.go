package status

import (
	"errors"
	"io/fs"
	"time"

	"github.com/qms-tool/qms/internal/policy"
	"github.com/qms-tool/qms/internal/schema"
)

// SignersAt returns the staff ids with a key that could sign at t as the
// signing policy of fsys sees it (policy.Load, the reader 'qms verify'
// uses): the key file under keys/ holds the listed key, the crypto policy
// accepts it, and it is neither compromised nor revoked before t, nor
// expired at t. A tree without staff or matrix has no signers.
func SignersAt(fsys fs.FS, kinds *schema.Set, t time.Time) (map[string]bool, error) {
	p, err := policy.Load(fsys, kinds)
	if err != nil && !errors.Is(err, policy.ErrNoPolicy) {
		return nil, err
	}
	out := map[string]bool{}
	for id, per := range p.People {
		for _, k := range per.Keys {
			if k.Usable(t) == nil {
				out[id] = true
			}
		}
	}
	return out, nil
}
