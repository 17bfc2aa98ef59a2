package dir

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/qms-tool/qms/internal/store"
	"github.com/qms-tool/qms/internal/store/location"
)

// Factory opens file:///dir locations: an absolute directory, on this
// host.
func Factory() location.Factory {
	return location.Factory{Scheme: "file", Example: "file:///dir", Open: open}
}

func open(_ context.Context, raw string, o location.Options) (store.Store, error) {
	if o.Endpoint != "" {
		return nil, &location.Error{Err: fmt.Errorf("--endpoint is for s3:// locations, not %s", raw)}
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Host != "" && u.Host != "localhost") || !strings.HasPrefix(u.Path, "/") {
		return nil, &location.Error{Err: fmt.Errorf("%q is not a file:///absolute/dir URL", raw), Hint: "write file:///srv/archive (three slashes)"}
	}
	s, err := New(filepath.FromSlash(u.Path))
	if err != nil {
		return nil, err
	}
	return s, nil
}
