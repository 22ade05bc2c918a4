package localfs_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gridcast/gridcast/blob"
	"github.com/gridcast/gridcast/blob/blobtest"
	"github.com/gridcast/gridcast/blob/localfs"
)

func TestConformance(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store {
		s, err := localfs.New(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestFailedPutLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	s, err := localfs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// A short body (the declared size is not met) must not leave a partial
	// object or a temporary file behind.
	if err := s.Put(ctx, "a/k", "audio/amr", 100, strings.NewReader("short")); err == nil {
		t.Fatal("Put of a short body succeeded")
	}
	if _, err := s.Stat(ctx, "a/k"); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Stat after failed Put = %v, want ErrNotFound", err)
	}
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), ".tmp-") {
			t.Errorf("temporary file left: %s", path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestKeysStayInsideDir(t *testing.T) {
	parent := t.TempDir()
	s, err := localfs.New(filepath.Join(parent, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	err = s.Put(context.Background(), "../../escaped", "text/plain", 1, strings.NewReader("x"))
	if !errors.Is(err, blob.ErrBadKey) {
		t.Fatalf("Put(../../escaped) = %v, want ErrBadKey", err)
	}
	if _, err := os.Stat(filepath.Join(parent, "escaped")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a file was written outside the directory: %v", err)
	}
}
