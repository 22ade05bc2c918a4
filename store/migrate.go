package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
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

// migrate applies every embedded migration (up to version upTo, when it
// is positive) not yet recorded in schema_migrations, all in one
// transaction. Two processes opening at once serialize: PostgreSQL on an
// advisory transaction lock keyed by the schema, SQLite on the write lock
// BEGIN IMMEDIATE takes.
func (s *Store) migrate(ctx context.Context, upTo int) error {
	ms, err := loadMigrations(s.driver)
	if err != nil {
		return err
	}
	if upTo > 0 {
		ms = slices.DeleteFunc(ms, func(m migration) bool { return m.version > upTo })
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
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: migrate: connect: %w", err)
	}
	defer conn.Close()
	if s.driver == DriverSQLite {
		// A migration that rebuilds a table (SQLite cannot drop a NOT NULL
		// or a constraint in place) drops a table others refer to: that
		// needs foreign keys off, which SQLite only allows outside a
		// transaction. Every reference is checked before the commit.
		if _, err := conn.ExecContext(ctx, s.q.get("ForeignKeysOff")); err != nil {
			return fmt.Errorf("store: migrate: foreign keys off: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), s.q.get("ForeignKeysOn"))
	}
	tx, err := conn.BeginTx(ctx, nil)
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
	if n > 0 && s.driver == DriverSQLite {
		if err := foreignKeyCheck(ctx, tx, s.q.get("ForeignKeyCheck")); err != nil {
			return fmt.Errorf("store: migrate: %w", err)
		}
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

// foreignKeyCheck runs SQLite's foreign_key_check and returns an error
// naming the first row whose reference is broken.
func foreignKeyCheck(ctx context.Context, tx *sql.Tx, query string) error {
	rows, err := tx.QueryContext(ctx, query)
	if err != nil {
		return fmt.Errorf("foreign key check: %w", err)
	}
	defer rows.Close()
	if rows.Next() {
		var table, parent string
		var rowid sql.NullInt64
		var fk int
		if err := rows.Scan(&table, &rowid, &parent, &fk); err != nil {
			return fmt.Errorf("foreign key check: %w", err)
		}
		return fmt.Errorf("foreign key check: %s row %d refers to a missing %s row", table, rowid.Int64, parent)
	}
	return rows.Err()
}
