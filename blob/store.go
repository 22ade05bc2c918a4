package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Store keeps bytes under keys. Implementations are safe for concurrent
// use, write atomically (a reader never sees a partial object) and report a
// missing key as [ErrNotFound] (wrapped).
type Store interface {
	// Put stores size bytes of r under key with the given content type,
	// replacing any object already there. size is -1 when unknown.
	Put(ctx context.Context, key, contentType string, size int64, r io.Reader) error
	// Get opens the object under key; the caller closes it.
	Get(ctx context.Context, key string) (io.ReadCloser, Info, error)
	// Stat describes the object under key without reading it.
	Stat(ctx context.Context, key string) (Info, error)
	// Delete removes the object under key; deleting a missing key is not an
	// error.
	Delete(ctx context.Context, key string) error
}

// Info describes a stored object.
type Info struct {
	Key         string
	Size        int64
	ContentType string
}

// ErrNotFound is returned (wrapped) for a key that holds no object.
var ErrNotFound = errors.New("blob: not found")

// ErrBadKey is returned (wrapped) for a key a Store refuses; see [CheckKey].
var ErrBadKey = errors.New("blob: bad key")

// CheckKey reports whether key is one every Store accepts: 1 to 512
// characters of lower-case ASCII letters, digits, '.', '-', '_' and '/',
// made of non-empty segments separated by single slashes, none of them "."
// or "..". Such a key is a safe relative path and a valid S3 object name.
func CheckKey(key string) error {
	if key == "" || len(key) > 512 {
		return fmt.Errorf("%w: %q must be 1 to 512 characters", ErrBadKey, key)
	}
	for _, r := range key {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune("._-/", r)) {
			return fmt.Errorf("%w: %q may hold only a-z, 0-9, '.', '-', '_' and '/'", ErrBadKey, key)
		}
	}
	for seg := range strings.SplitSeq(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("%w: %q has an empty, '.' or '..' segment", ErrBadKey, key)
		}
	}
	return nil
}
