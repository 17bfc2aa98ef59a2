package s3

import (
	"context"
	"fmt"
	"net/url"

	"github.com/qms-tool/qms/internal/store"
	"github.com/qms-tool/qms/internal/store/location"
)

// Factory opens s3://bucket/prefix locations, on AWS or, with
// Options.Endpoint, on an S3-compatible server.
func Factory() location.Factory {
	return location.Factory{Scheme: "s3", Example: "s3://bucket/prefix", Open: open}
}

func open(ctx context.Context, raw string, o location.Options) (store.Store, error) {
	cfg, err := ParseURL(raw)
	if err != nil {
		return nil, &location.Error{Err: err}
	}
	if o.Endpoint != "" {
		u, err := url.Parse(o.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, &location.Error{Err: fmt.Errorf("--endpoint %q is not an http(s):// URL", o.Endpoint)}
		}
		cfg.Endpoint = o.Endpoint
	}
	s, err := New(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return s, nil
}
