package location

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/qms-tool/qms/internal/store"
)

// Options are the settings of a location that its URL does not carry.
type Options struct {
	// Endpoint is the URL of an S3-compatible server (the CLI's
	// --endpoint); only s3:// locations take one.
	Endpoint string
}

// Factory opens the locations of one URL scheme. Each backend package
// provides one (dir.Factory, s3.Factory).
type Factory struct {
	// Scheme is the URL scheme without "://", e.g. "s3".
	Scheme string
	// Example is how such a location is written, for hints:
	// "s3://bucket/prefix".
	Example string
	// Open opens the location u (which starts with Scheme + "://").
	// Mistakes in how u or o are written are *Error.
	Open func(ctx context.Context, u string, o Options) (store.Store, error)
}

// Registry maps schemes to the factories that open them.
type Registry struct {
	factories []Factory // in registration order, for the hint
}

// NewRegistry returns a registry of fs; a scheme given twice panics.
func NewRegistry(fs ...Factory) *Registry {
	r := &Registry{}
	for _, f := range fs {
		r.Register(f)
	}
	return r
}

// Register adds f; a scheme registered twice is a programming error and
// panics.
func (r *Registry) Register(f Factory) {
	if r.lookup(f.Scheme) != nil {
		panic("location: scheme " + f.Scheme + " registered twice")
	}
	r.factories = append(r.factories, f)
}

func (r *Registry) lookup(scheme string) *Factory {
	for i := range r.factories {
		if r.factories[i].Scheme == scheme {
			return &r.factories[i]
		}
	}
	return nil
}

// Open opens the store the URL u names. An unknown scheme, or a URL or
// option its backend refuses, is an *Error; anything else (credentials,
// configuration files) is an operational failure of the backend.
func (r *Registry) Open(ctx context.Context, u string, o Options) (store.Store, error) {
	scheme, _, ok := strings.Cut(u, "://")
	f := r.lookup(scheme)
	if !ok || f == nil {
		examples := make([]string, len(r.factories))
		for i, f := range r.factories {
			examples[i] = f.Example
		}
		return nil, &Error{Err: fmt.Errorf("unknown archive location %q", u), Hint: "use " + strings.Join(examples, " or ")}
	}
	return f.Open(ctx, u, o)
}

// Error is a location written wrongly: an unknown scheme, a malformed URL,
// an option its scheme does not take. The CLI reports it as a usage error.
type Error struct {
	Err error
	// Hint, when set, shows how to write the location.
	Hint string
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// ErrNoHome is returned by Default when neither XDG_DATA_HOME (absolute)
// nor HOME is set.
var ErrNoHome = errors.New("HOME is not set")

// Default is the location used when none is named: a directory outside
// the clone (deleting or re-cloning it keeps the archives), per
// repository, in the user's data directory:
// file://$XDG_DATA_HOME/qms/archive/<base name of root>, with
// XDG_DATA_HOME defaulting to ~/.local/share. root is the repository's
// work tree, or "" outside one.
func Default(getenv func(string) string, root string) (string, error) {
	data := getenv("XDG_DATA_HOME")
	if data == "" || !filepath.IsAbs(data) {
		home := getenv("HOME")
		if home == "" {
			return "", ErrNoHome
		}
		data = filepath.Join(home, ".local", "share")
	}
	name := "archive"
	if root != "" {
		name = filepath.Base(root)
	}
	return "file://" + filepath.ToSlash(filepath.Join(data, "qms", "archive", name)), nil
}

// DefaultNote is how Default's location is written for people (flag help).
const DefaultNote = "file://$XDG_DATA_HOME/qms/archive/<repository folder name>"
