package extsync

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/population/importer"
)

// Cursors keeps each source's sync position. SyncCursor returns "" for a
// source never synced.
type Cursors interface {
	SyncCursor(ctx context.Context, source string) (string, error)
	SetSyncCursor(ctx context.Context, source, cursor string) error
}

// Store is what a sync needs from the population store: the importer's
// grids and all-or-nothing upsert, and the cursors.
// store.Store satisfies it.
type Store interface {
	importer.Store
	Cursors
}

// RowError is one invalid source row. Key identifies it without personal
// data: the KeyColumn value, or the masked ID number, or "row N".
type RowError struct {
	Key    string `json:"key"`
	Column string `json:"column"` // the source column at fault; "" for the row as a whole
	Msg    string `json:"msg"`
}

// maxRowErrors caps Result.Errors; Result.Invalid still counts them all.
const maxRowErrors = 100

// Result is what one Run did.
type Result struct {
	Source     string                 `json:"source"`
	Rows       int                    `json:"rows"`       // rows the query returned
	Imported   population.UpsertStats `json:"imported"`   // what the upserts did
	Invalid    int                    `json:"invalid"`    // rows skipped because of errors
	Duplicates int                    `json:"duplicates"` // rows replaced by a later row with the same ID number in the same batch
	Batches    int                    `json:"batches"`    // store transactions committed
	Errors     []RowError             `json:"errors"`     // the first 100 invalid rows' problems
	Cursor     string                 `json:"cursor"`     // the cursor after the run ("" if not incremental)
}

// Run pulls residents from the source once: it runs cfg.Query with the
// saved cursor, converts and checks each row as the importer does, upserts
// valid rows by ID number in batches of cfg.BatchSize (each batch one store
// transaction) and saves the cursor after each batch commits, so that a
// crash re-reads at most one batch. Rows sharing the cursor's timestamp are
// read again on the next run (>= semantics) and come back Unchanged.
//
// With UpdatedAtColumn, each row carries its date (Resident.SourceUpdatedAt):
// a field a worker changed in GridCast after it (a phone, see
// store.RecordChanges) keeps GridCast's value.
//
// Invalid rows are counted and listed in the Result, not fatal. A source
// that cannot be reached, a failing query or a missing required column is
// an error before anything is written; a store failure stops the run with
// the batches before it kept.
func Run(ctx context.Context, cfg Config, store Store, log *slog.Logger) (Result, error) {
	res := Result{Source: cfg.Name}
	if err := cfg.Validate(); err != nil {
		return res, fmt.Errorf("extsync: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	batchSize := cfg.BatchSize
	if batchSize == 0 {
		batchSize = DefaultBatchSize
	}
	driver := driverName(cfg.Driver)
	prefix := fmt.Sprintf("extsync: source %s", cfg.Name)

	var (
		since       time.Time
		incremental = cfg.UpdatedAtColumn != ""
	)
	if incremental {
		c, err := store.SyncCursor(ctx, cfg.Name)
		if err != nil {
			return res, fmt.Errorf("%s: load cursor: %w", prefix, err)
		}
		res.Cursor = c
		since = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
		if c != "" {
			if since, err = time.Parse(time.RFC3339Nano, c); err != nil {
				return res, fmt.Errorf("%s: saved cursor %q is not an RFC 3339 time: %w", prefix, c, err)
			}
		}
	}
	grids, err := store.Grids(ctx)
	if err != nil {
		return res, fmt.Errorf("%s: load grids: %w", prefix, err)
	}
	parser := importer.NewParser(grids, time.Now)

	db, err := openSource(driver, cfg.DSN)
	if err != nil {
		return res, fmt.Errorf("%s: %w", prefix, err)
	}
	defer db.Close()
	if err := db.PingContext(ctx); err != nil {
		return res, fmt.Errorf("%s: connect: %w", prefix, err)
	}

	query, n := rewriteQuery(cfg.Query, driver)
	var args []any
	for range n {
		args = append(args, since)
	}
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return res, fmt.Errorf("%s: query: %w", prefix, err)
	}
	defer rows.Close()

	cols, err := rows.Columns()
	if err != nil {
		return res, fmt.Errorf("%s: columns: %w", prefix, err)
	}
	fields, err := importer.MatchColumns(cols, cfg.Mapping)
	if err != nil {
		return res, fmt.Errorf("%s: %w", prefix, err)
	}
	updatedIdx, keyIdx := -1, -1
	for i, c := range cols {
		if incremental && strings.EqualFold(c, cfg.UpdatedAtColumn) && updatedIdx < 0 {
			updatedIdx = i
		}
		if cfg.KeyColumn != "" && strings.EqualFold(c, cfg.KeyColumn) && keyIdx < 0 {
			keyIdx = i
		}
	}
	if incremental && updatedIdx < 0 {
		return res, fmt.Errorf("%s: updated_at_column %q is not among the query's columns: %s", prefix, cfg.UpdatedAtColumn, strings.Join(cols, ", "))
	}
	if cfg.KeyColumn != "" && keyIdx < 0 {
		return res, fmt.Errorf("%s: key_column %q is not among the query's columns: %s", prefix, cfg.KeyColumn, strings.Join(cols, ", "))
	}

	var (
		vals    = make([]any, len(cols))
		ptrs    = make([]any, len(cols))
		row     = make(importer.Row, len(importer.Fields))
		batch   = make([]population.Resident, 0, batchSize)
		inBatch = make(map[pii.IDNumber]int, batchSize)
		maxSeen = since
		ordered = true // rows arrive in updated_at order, so the cursor may advance per batch
		seenAny bool
	)
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		st, err := store.UpsertResidents(ctx, batch)
		if err != nil {
			return fmt.Errorf("%s: upsert batch of %d: %w", prefix, len(batch), err)
		}
		res.Imported = res.Imported.Add(st)
		res.Batches++
		batch = batch[:0]
		clear(inBatch)
		if incremental && ordered && seenAny {
			return saveCursor(ctx, store, cfg.Name, maxSeen, &res)
		}
		return nil
	}

	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return res, fmt.Errorf("%s: scan row %d: %w", prefix, res.Rows+1, err)
		}
		res.Rows++
		clear(row)
		for i, f := range fields {
			if f != "" {
				row[f] = text(vals[i], f)
			}
		}
		var rowTime time.Time
		if updatedIdx >= 0 {
			if t, ok := asTime(vals[updatedIdx]); ok {
				rowTime = t
				if t.Before(maxSeen) && seenAny {
					ordered = false
				}
				if !seenAny || t.After(maxSeen) {
					maxSeen = t
				}
				seenAny = true
			}
		}
		r, ferrs := parser.Parse(row)
		if len(ferrs) > 0 {
			res.Invalid++
			key := rowKey(vals, keyIdx, r.IDNumber, res.Rows)
			for _, fe := range ferrs {
				col := columnOf(fe.Field, fields, cols)
				if len(res.Errors) < maxRowErrors {
					res.Errors = append(res.Errors, RowError{Key: key, Column: col, Msg: fe.Msg})
				}
				log.DebugContext(ctx, "sync_row_invalid", "source", cfg.Name, "key", key, "column", col, "error", fe.Msg)
			}
			continue
		}
		// Dated by the source, the row leaves a field changed in
		// GridCast after that date as GridCast has it.
		r.SourceUpdatedAt = rowTime
		if i, dup := inBatch[r.IDNumber]; dup {
			batch[i] = r // the later row wins
			res.Duplicates++
			continue
		}
		inBatch[r.IDNumber] = len(batch)
		batch = append(batch, r)
		if len(batch) >= batchSize {
			if err := flush(); err != nil {
				return res, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return res, fmt.Errorf("%s: read rows: %w", prefix, err)
	}
	if err := flush(); err != nil {
		return res, err
	}
	if incremental && seenAny && !ordered {
		log.WarnContext(ctx, "sync_rows_unordered", "source", cfg.Name,
			"hint", "add ORDER BY "+cfg.UpdatedAtColumn+" to the query so the cursor can advance per batch")
	}
	if incremental && seenAny {
		if err := saveCursor(ctx, store, cfg.Name, maxSeen, &res); err != nil {
			return res, err
		}
	}
	log.InfoContext(ctx, "sync_done", "source", cfg.Name, "rows", res.Rows,
		"inserted", res.Imported.Inserted, "updated", res.Imported.Updated, "unchanged", res.Imported.Unchanged,
		"erased", res.Imported.Erased,
		"invalid", res.Invalid, "duplicates", res.Duplicates, "batches", res.Batches, "cursor", res.Cursor)
	return res, nil
}

func saveCursor(ctx context.Context, c Cursors, name string, t time.Time, res *Result) error {
	s := t.UTC().Format(time.RFC3339Nano)
	if s == res.Cursor {
		return nil
	}
	if err := c.SetSyncCursor(ctx, name, s); err != nil {
		return fmt.Errorf("extsync: source %s: save cursor: %w", name, err)
	}
	res.Cursor = s
	return nil
}

// Loop runs Run now and then every cfg.Interval until ctx is done, logging
// each result; a failed run is logged and retried at the next tick. With
// Interval 0 it runs once and returns that run's error. It returns nil when
// ctx is done.
func Loop(ctx context.Context, cfg Config, store Store, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("extsync: %w", err)
	}
	if cfg.Interval <= 0 {
		_, err := Run(ctx, cfg, store, log)
		return err
	}
	t := time.NewTicker(cfg.Interval)
	defer t.Stop()
	for {
		if _, err := Run(ctx, cfg, store, log); err != nil && ctx.Err() == nil {
			log.ErrorContext(ctx, "sync_failed", "source", cfg.Name, "error", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// openSource opens the external database. The DSN is parsed here so that
// a malformed one fails before any connection attempt, with the driver's
// message (which leaves the password out).
func openSource(driver, dsn string) (*sql.DB, error) {
	switch driver {
	case "postgres":
		pc, err := pgx.ParseConfig(dsn)
		if err != nil {
			return nil, fmt.Errorf("dsn: %w", err)
		}
		return stdlib.OpenDB(*pc), nil
	case "mysql":
		mc, err := mysql.ParseDSN(dsn)
		if err != nil {
			return nil, fmt.Errorf("dsn: %w", err)
		}
		mc.ParseTime = true
		conn, err := mysql.NewConnector(mc)
		if err != nil {
			return nil, fmt.Errorf("dsn: %w", err)
		}
		return sql.OpenDB(conn), nil
	}
	return nil, fmt.Errorf("driver %q: want postgres or mysql", driver)
}

// text renders a scanned value as the importer's Row wants it: dates as
// YYYY-MM-DD (birth dates) or RFC 3339, bytes as UTF-8 text, NULL as "".
func text(v any, f importer.Field) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []byte:
		return string(x)
	case time.Time:
		if f == importer.FieldBirthDate {
			return x.Format(time.DateOnly)
		}
		return x.Format(time.RFC3339Nano)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case []string:
		return strings.Join(x, ",")
	}
	return fmt.Sprint(v)
}

// asTime reads an updated_at value: a time, or text in RFC 3339 or
// "2006-01-02 15:04:05[.999999]" (taken as UTC).
func asTime(v any) (time.Time, bool) {
	var s string
	switch x := v.(type) {
	case time.Time:
		return x, true
	case string:
		s = x
	case []byte:
		s = string(x)
	default:
		return time.Time{}, false
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, strings.TrimSpace(s)); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func rowKey(vals []any, keyIdx int, id pii.IDNumber, n int) string {
	if keyIdx >= 0 {
		if k := text(vals[keyIdx], ""); k != "" {
			return k
		}
	}
	if id != "" {
		return id.Masked()
	}
	return "row " + strconv.Itoa(n)
}

func columnOf(f importer.Field, fields []importer.Field, cols []string) string {
	if f == "" {
		return ""
	}
	for i, x := range fields {
		if x == f {
			return cols[i]
		}
	}
	return string(f)
}
