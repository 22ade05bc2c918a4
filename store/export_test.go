package store

import (
	"context"
	"log/slog"
	"time"

	"github.com/gridcast/gridcast/pii"
)

// OpenUpTo opens a store with migrations up to version upTo only, for the
// upgrade tests.
func OpenUpTo(ctx context.Context, cfg Config, sealer *pii.Sealer, log *slog.Logger, upTo int) (*Store, error) {
	return open(ctx, cfg, sealer, log, upTo)
}

// MigrateAll applies the migrations OpenUpTo left out.
func (s *Store) MigrateAll(ctx context.Context) error { return s.migrate(ctx, 0) }

// TS encodes a timestamp as the dialect stores it.
func (s *Store) TS(t time.Time) any { return s.ts(t) }
