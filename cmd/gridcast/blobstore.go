package main

import (
	"context"
	"fmt"

	"github.com/gridcast/gridcast/blob"
	"github.com/gridcast/gridcast/blob/localfs"
	"github.com/gridcast/gridcast/blob/s3"
)

// openMedia builds the blob store of the blob section and the content rules
// over it. The s3 driver checks (or creates) its bucket here, so a process
// that cannot reach it fails at start rather than at a resident's first
// photo. Features that keep photos and voice call it once at start and
// share the *blob.Media (safe for concurrent use).
func (c Config) openMedia(ctx context.Context) (*blob.Media, error) {
	var store blob.Store
	switch c.blobDriver() {
	case blobDriverS3:
		s, err := s3.New(ctx, c.blobS3Config())
		if err != nil {
			return nil, fmt.Errorf("blob store: %w", err)
		}
		store = s
	default:
		s, err := localfs.New(c.blobDir())
		if err != nil {
			return nil, fmt.Errorf("blob store: %w", err)
		}
		store = s
	}
	return blob.NewMedia(store, c.blobLimits())
}
