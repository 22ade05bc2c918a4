package store

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrationFiles embed.FS

// migration is one numbered file, NNNN_name.sql, applied whole in the
// transaction that records it.
type migration struct {
	version int
	name    string
	sql     string
}

func loadMigrations(driver string) ([]migration, error) {
	dir := "migrations/" + driver
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, fmt.Errorf("store: migrations: %w", err)
	}
	var ms []migration
	seen := map[int]string{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("store: migration %s: name must be NNNN_description.sql", e.Name())
		}
		if other, dup := seen[v]; dup {
			return nil, fmt.Errorf("store: migrations %s and %s share version %d", other, e.Name(), v)
		}
		seen[v] = e.Name()
		b, err := migrationFiles.ReadFile(path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("store: migration %s: %w", e.Name(), err)
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms, nil
}

// migrate applies every embedded migration not yet recorded in
// schema_migrations, all in one transaction. Two processes opening at once
// serialize: PostgreSQL on an advisory transaction lock keyed by the schema,
// SQLite on the write lock BEGIN IMMEDIATE takes.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := loadMigrations(s.driver)
	if err != nil {
		return err
	}
	// SQLite answers SQLITE_BUSY without waiting while another process is
	// still creating the file or switching it to WAL; retry for a while.
	delay := 10 * time.Millisecond
	deadline := time.Now().Add(30 * time.Second)
	for {
		err = s.migrateOnce(ctx, ms)
		if !isBusy(err) || time.Now().After(deadline) {
			return err
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		delay = min(2*delay, time.Second)
	}
}

// isBusy reports whether err is SQLite's SQLITE_BUSY (any extended code).
func isBusy(err error) bool {
	var coded interface{ Code() int }
	return errors.As(err, &coded) && coded.Code()&0xff == 5
}

func (s *Store) migrateOnce(ctx context.Context, ms []migration) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: migrate: begin: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, s.q.get("MigrateLock")); err != nil {
		return fmt.Errorf("store: migrate: lock: %w", err)
	}
	if _, err := tx.ExecContext(ctx, s.q.get("MigrateInit")); err != nil {
		return fmt.Errorf("store: migrate: create schema_migrations: %w", err)
	}
	rows, err := tx.QueryContext(ctx, s.q.get("MigrateApplied"))
	if err != nil {
		return fmt.Errorf("store: migrate: read schema_migrations: %w", err)
	}
	applied := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return fmt.Errorf("store: migrate: read schema_migrations: %w", err)
		}
		applied[v] = true
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("store: migrate: read schema_migrations: %w", err)
	}
	n := 0
	for _, m := range ms {
		if applied[m.version] {
			continue
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("store: migrate %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, s.q.get("MigrateRecord"), m.version, m.name, s.ts(s.now())); err != nil {
			return fmt.Errorf("store: migrate %s: record: %w", m.name, err)
		}
		n++
	}
	// A seed that died before rebuilding its indexes left them missing;
	// rebuild under the same lock so two processes never race to do it.
	if _, err := tx.ExecContext(ctx, s.q.get("EnsureIndexes")); err != nil {
		return fmt.Errorf("store: migrate: ensure indexes: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: migrate: commit: %w", err)
	}
	if n > 0 {
		s.log.InfoContext(ctx, "store_migrated", "driver", s.driver, "applied", n)
	}
	return nil
}
