package vault

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"time"

	"github.com/qms-tool/qms/internal/archive"
	"github.com/qms-tool/qms/internal/store"
)

// Listed is one archive at a location, as 'qms archive list --format json'
// shows it.
type Listed struct {
	Name        string    `json:"name"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	Class       string    `json:"storage_class"`
	LockMode    string    `json:"retention_mode"`
	RetainUntil time.Time `json:"retain_until"`
	// State is the store.RestoreState: readable, archived or restoring.
	State string `json:"state"`
	// Signature says whether its .asc is there too.
	Signature bool `json:"signature"`
	// Enforced is false for a directory: class and retention are only
	// what qms recorded there, and nothing enforces them.
	Enforced bool `json:"enforced"`
}

// List describes the archives at st, sorted by name, from metadata alone
// (no Glacier data is read). A directory location that does not exist yet
// holds none.
func List(ctx context.Context, st store.Store) ([]Listed, error) {
	objs, err := st.List(ctx)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	keys := map[string]bool{}
	for _, ob := range objs {
		keys[ob.Key] = true
	}
	out := []Listed{}
	for _, ob := range objs {
		if !strings.HasSuffix(ob.Key, archive.Suffix) {
			continue
		}
		info, err := st.Stat(ctx, ob.Key)
		if err != nil {
			return nil, err
		}
		out = append(out, Listed{Name: ob.Key, Size: info.Size, SHA256: info.SHA256, Class: string(info.Class), LockMode: info.LockMode,
			RetainUntil: info.RetainUntil, State: info.Restore.String(), Signature: keys[ob.Key+archive.SigSuffix], Enforced: info.Enforced})
	}
	return out, nil
}
