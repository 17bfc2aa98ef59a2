package location_test

import (
	"context"
	"errors"
	"testing"

	"github.com/qms-tool/qms/internal/store/dir"
	"github.com/qms-tool/qms/internal/store/location"
	"github.com/qms-tool/qms/internal/store/s3"
)

func TestOpen(t *testing.T) {
	reg := location.NewRegistry(s3.Factory(), dir.Factory())
	tests := []struct {
		name     string
		url      string
		endpoint string
		want     string // the store's String, or the error
		wantHint string
	}{
		{"directory", "file:///srv/archive", "", "file:///srv/archive", ""},
		{"directory on localhost", "file://localhost/srv/archive", "", "file:///srv/archive", ""},
		{"unknown scheme", "ftp://example.com/x", "", `unknown archive location "ftp://example.com/x"`, "use s3://bucket/prefix or file:///dir"},
		{"no scheme", "/srv/archive", "", `unknown archive location "/srv/archive"`, "use s3://bucket/prefix or file:///dir"},
		{"relative directory", "file://relative/dir", "", `"file://relative/dir" is not a file:///absolute/dir URL`, "write file:///srv/archive (three slashes)"},
		{"endpoint for a directory", "file:///tmp/x", "http://127.0.0.1:1", "--endpoint is for s3:// locations, not file:///tmp/x", ""},
		{"bad prefix", "s3://bucket/a/../b", "", `"s3://bucket/a/../b": bad prefix: "a/../b": bad object name`, ""},
		{"endpoint not http", "s3://bucket", "ftp://example.com", `--endpoint "ftp://example.com" is not an http(s):// URL`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, err := reg.Open(context.Background(), tc.url, location.Options{Endpoint: tc.endpoint})
			if err == nil {
				if st.String() != tc.want {
					t.Fatalf("Open(%q) = %s, want %s", tc.url, st, tc.want)
				}
				return
			}
			var le *location.Error
			if !errors.As(err, &le) || err.Error() != tc.want || le.Hint != tc.wantHint {
				t.Fatalf("Open(%q) = %v (hint %q), want *location.Error %q (hint %q)", tc.url, err, hintOf(le), tc.want, tc.wantHint)
			}
		})
	}
}

func hintOf(e *location.Error) string {
	if e == nil {
		return ""
	}
	return e.Hint
}

func TestDefault(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		root    string
		want    string
		wantErr error
	}{
		{"data home", map[string]string{"XDG_DATA_HOME": "/data", "HOME": "/home/a"}, "/work/silvretta-qms", "file:///data/qms/archive/silvretta-qms", nil},
		{"relative data home ignored", map[string]string{"XDG_DATA_HOME": "data", "HOME": "/home/a"}, "/work/qms", "file:///home/a/.local/share/qms/archive/qms", nil},
		{"outside a repository", map[string]string{"HOME": "/home/a"}, "", "file:///home/a/.local/share/qms/archive/archive", nil},
		{"no home", map[string]string{}, "/work/qms", "", location.ErrNoHome},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := location.Default(func(k string) string { return tc.env[k] }, tc.root)
			if got != tc.want || !errors.Is(err, tc.wantErr) {
				t.Fatalf("Default(%v, %q) = %q, %v, want %q, %v", tc.env, tc.root, got, err, tc.want, tc.wantErr)
			}
		})
	}
}
