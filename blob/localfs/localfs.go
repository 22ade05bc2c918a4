// Package localfs is a [blob.Store] in a local directory, the default for a
// single `serve` process.
//
// Objects live at DIR/objects/<key> and their content types at
// DIR/types/<key>. Each file is written to a temporary file in the same
// directory and renamed into place, so a reader sees the old object or the
// new one, never part of one; the type file is written first.
package localfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/gridcast/gridcast/blob"
)

// Store is a blob.Store in a directory. It is safe for concurrent use,
// also by several processes sharing the directory.
type Store struct {
	dir string
}

var _ blob.Store = (*Store)(nil)

// New returns a Store in dir, creating it (mode 0750) when missing.
func New(dir string) (*Store, error) {
	if dir == "" {
		return nil, errors.New("localfs: no directory")
	}
	for _, sub := range []string{"objects", "types"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o750); err != nil {
			return nil, fmt.Errorf("localfs: %w", err)
		}
	}
	return &Store{dir: dir}, nil
}

func (s *Store) paths(key string) (obj, typ string, err error) {
	if err := blob.CheckKey(key); err != nil {
		return "", "", fmt.Errorf("localfs: %w", err)
	}
	rel := filepath.FromSlash(key)
	return filepath.Join(s.dir, "objects", rel), filepath.Join(s.dir, "types", rel), nil
}

// Put implements blob.Store. size, when not -1, must match the bytes read.
func (s *Store) Put(ctx context.Context, key, contentType string, size int64, r io.Reader) error {
	obj, typ, err := s.paths(key)
	if err != nil {
		return err
	}
	if err := writeAtomic(typ, strings.NewReader(contentType), -1); err != nil {
		return fmt.Errorf("localfs: put %s: %w", key, err)
	}
	if err := writeAtomic(obj, &ctxReader{ctx: ctx, r: r}, size); err != nil {
		return fmt.Errorf("localfs: put %s: %w", key, err)
	}
	return nil
}

// writeAtomic writes r to a temporary file beside path, syncs it, renames
// it to path and syncs the directory.
func writeAtomic(path string, r io.Reader, size int64) (err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	n, err := io.Copy(f, r)
	if err != nil {
		return err
	}
	if size >= 0 && n != size {
		return fmt.Errorf("read %d bytes, expected %d", n, size)
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	// The rename is durable once the directory is synced: without it a
	// crash could lose an object whose Put returned.
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Get implements blob.Store.
func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, blob.Info, error) {
	obj, typ, err := s.paths(key)
	if err != nil {
		return nil, blob.Info{}, err
	}
	f, err := os.Open(obj)
	if err != nil {
		return nil, blob.Info{}, notFound(key, err)
	}
	info, err := stat(key, f, typ)
	if err != nil {
		f.Close()
		return nil, blob.Info{}, err
	}
	return f, info, nil
}

// Stat implements blob.Store.
func (s *Store) Stat(ctx context.Context, key string) (blob.Info, error) {
	obj, typ, err := s.paths(key)
	if err != nil {
		return blob.Info{}, err
	}
	f, err := os.Open(obj)
	if err != nil {
		return blob.Info{}, notFound(key, err)
	}
	defer f.Close()
	return stat(key, f, typ)
}

func stat(key string, f *os.File, typ string) (blob.Info, error) {
	fi, err := f.Stat()
	if err != nil {
		return blob.Info{}, fmt.Errorf("localfs: stat %s: %w", key, err)
	}
	if !fi.Mode().IsRegular() {
		return blob.Info{}, fmt.Errorf("localfs: %s: %w", key, blob.ErrNotFound)
	}
	ct, err := os.ReadFile(typ)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return blob.Info{}, fmt.Errorf("localfs: stat %s: %w", key, err)
	}
	if len(ct) == 0 {
		ct = []byte("application/octet-stream")
	}
	return blob.Info{Key: key, Size: fi.Size(), ContentType: string(ct)}, nil
}

// Delete implements blob.Store.
func (s *Store) Delete(ctx context.Context, key string) error {
	obj, typ, err := s.paths(key)
	if err != nil {
		return err
	}
	for _, p := range []string{obj, typ} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("localfs: delete %s: %w", key, err)
		}
	}
	return nil
}

func notFound(key string, err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return fmt.Errorf("localfs: %s: %w", key, blob.ErrNotFound)
	}
	return fmt.Errorf("localfs: %s: %w", key, err)
}

// ctxReader stops a long copy when ctx ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
