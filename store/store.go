package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers database/sql driver "pgx"
	_ "modernc.org/sqlite"             // registers database/sql driver "sqlite"

	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/pii"
)

// The driver names Config.Driver accepts.
const (
	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"
)

// Config selects and locates the database. The zero value is not valid:
// Driver and DSN are required (cmd/gridcast fills in the embedded default,
// a SQLite file under the data directory).
type Config struct {
	// Driver is "sqlite" (the embedded default: a file, pure Go, no cgo) or
	// "postgres" (production). Config key store.driver.
	Driver string
	// DSN locates the database. For sqlite, a file path or a file: URI; the
	// store adds its own _pragma parameters (WAL, foreign keys, busy
	// timeout, synchronous=NORMAL) and creates the file's directory. For
	// postgres, a URL or key=value string as pgx accepts, e.g.
	// postgres://user@host:5432/db?sslmode=disable&search_path=gridcast.
	// Config key store.dsn.
	DSN string
	// Now is the clock for created_at/updated_at and the reference instant
	// for ages in segment expressions; nil means time.Now.
	Now func() time.Time
	// Location is the zone whose calendar ages in segment expressions turn
	// over in; nil means China Standard Time (UTC+8, no DST).
	Location *time.Location
	// MaxConns caps this process's connections to PostgreSQL; zero means
	// DefaultMaxConns. Size it for the queue's concurrency: a campaign's
	// fan-out holds one connection for its segment cursor while its pages'
	// child rows and its ledger writes take others, and every other task
	// takes one. The sum over processes must stay under the server's
	// max_connections. At least MinMaxConns. SQLite ignores it (one writer;
	// readers are pooled by CPU count). Config key store.max_conns.
	MaxConns int
}

// DefaultMaxConns is the PostgreSQL pool of a process when
// Config.MaxConns is zero: two connections for each of the queue's
// default 10 concurrent tasks.
const DefaultMaxConns = 20

// MinMaxConns is the smallest pool Config.MaxConns accepts: a streamed
// segment holds a connection for its cursor while its child rows and the
// caller's writes need one each, and the API needs one more.
const MinMaxConns = 4

// Validate reports every problem with c, joined, in terms of the config
// keys store.driver and store.dsn.
func (c Config) Validate() error {
	var errs []error
	switch c.Driver {
	case DriverSQLite, DriverPostgres:
	case "":
		errs = append(errs, errors.New("store.driver: required, want sqlite or postgres"))
	default:
		errs = append(errs, fmt.Errorf("store.driver: %q: want sqlite or postgres", c.Driver))
	}
	if strings.TrimSpace(c.DSN) == "" {
		errs = append(errs, errors.New("store.dsn: required (sqlite: a file path such as data/gridcast.db; postgres: a URL such as postgres://user@host/db)"))
	} else if c.Driver == DriverPostgres && !strings.HasPrefix(c.DSN, "postgres://") && !strings.HasPrefix(c.DSN, "postgresql://") && !strings.Contains(c.DSN, "=") {
		errs = append(errs, errors.New("store.dsn: for postgres, want a URL postgres://… or key=value pairs"))
	}
	if c.MaxConns != 0 && c.MaxConns < MinMaxConns {
		errs = append(errs, fmt.Errorf("store.max_conns: %d: want 0 (the default, %d) or at least %d", c.MaxConns, DefaultMaxConns, MinMaxConns))
	}
	return errors.Join(errs...)
}

// Store is the population store over SQLite or PostgreSQL. It is safe for
// concurrent use by multiple goroutines. With SQLite, writes go through a
// single connection (SQLite has one writer) while reads use a pool (WAL lets
// readers run beside the writer).
type Store struct {
	driver string
	w      *sql.DB // writes (one connection for sqlite)
	r      *sql.DB // reads; the same pool as w for postgres
	// oneConn is set when reads and writes share a single connection
	// (in-memory SQLite): nothing may hold a cursor open while writing.
	oneConn bool
	q       queries
	sealer  *pii.Sealer
	log     *slog.Logger
	now     func() time.Time
	loc     *time.Location
	hot     hotStmts // SQLite's prepared hot statements (hotstmts.go)
	// noRecords is set on a store opened at a schema before the living
	// records (migration 19; the upgrade tests): residents are read
	// without them and segments without the status.
	noRecords bool
}

// Open connects to the database cfg names, applies pending migrations and
// returns the store. sealer hashes and encrypts ID numbers and must not be
// nil; log may be nil (logs are discarded). Open is safe to run from two
// processes at once: migrations are serialized by a lock.
func Open(ctx context.Context, cfg Config, sealer *pii.Sealer, log *slog.Logger) (*Store, error) {
	return open(ctx, cfg, sealer, log, 0)
}

// open is Open, applying migrations up to version upTo only (0: all): the
// upgrade tests start from an earlier schema.
func open(ctx context.Context, cfg Config, sealer *pii.Sealer, log *slog.Logger, upTo int) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if sealer == nil {
		return nil, errors.New("store: a pii.Sealer is required")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	q, err := loadQueries(cfg.Driver)
	if err != nil {
		return nil, err
	}
	s := &Store{driver: cfg.Driver, q: q, sealer: sealer, log: log, now: cfg.Now, noRecords: upTo > 0 && upTo < recordsVersion}
	if s.now == nil {
		s.now = time.Now
	}
	if s.loc = cfg.Location; s.loc == nil {
		s.loc = china
	}
	switch cfg.Driver {
	case DriverSQLite:
		err = s.openSQLite(cfg.DSN)
	case DriverPostgres:
		err = s.openPostgres(cfg.DSN, cfg.MaxConns)
	}
	if err != nil {
		return nil, err
	}
	if err := s.migrate(ctx, upTo); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) openSQLite(dsn string) error {
	path, name, memory := sqliteDSN(dsn)
	// The writer gets a large page cache so that a bulk transaction's index
	// pages stay in memory; readers a moderate one each.
	wname := name + "&_pragma=cache_size(-131072)"
	rname := name + "&_pragma=cache_size(-32768)"
	if !memory && path != "" {
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return fmt.Errorf("store: create database directory: %w", err)
		}
	}
	w, err := sql.Open("sqlite", wname)
	if err != nil {
		return fmt.Errorf("store: open sqlite: %w", err)
	}
	// One writer: SQLite serializes writers anyway, and a single connection
	// turns lock contention into queueing in database/sql instead of
	// SQLITE_BUSY retries.
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	s.w, s.r = w, w
	s.oneConn = memory
	if !memory {
		r, err := sql.Open("sqlite", rname)
		if err != nil {
			w.Close()
			return fmt.Errorf("store: open sqlite: %w", err)
		}
		n := max(4, runtime.GOMAXPROCS(0))
		r.SetMaxOpenConns(n)
		r.SetMaxIdleConns(n)
		s.r = r
	}
	return nil
}

// sqliteDSN returns the file path (for creating its directory), the DSN to
// hand the driver with our pragmas added, and whether it is in memory.
func sqliteDSN(dsn string) (path, name string, memory bool) {
	params := url.Values{}
	params.Add("_pragma", "busy_timeout(10000)")
	params.Add("_pragma", "foreign_keys(1)")
	params.Add("_pragma", "journal_mode(WAL)")
	params.Add("_pragma", "synchronous(NORMAL)")
	params.Add("_pragma", "temp_store(MEMORY)")
	params.Set("_txlock", "immediate")
	enc := params.Encode()
	if dsn == ":memory:" {
		return "", "file::memory:?" + enc, true
	}
	if rest, ok := strings.CutPrefix(dsn, "file:"); ok {
		p, q, _ := strings.Cut(rest, "?")
		memory = p == ":memory:" || strings.Contains(q, "mode=memory")
		if strings.HasPrefix(p, "///") || !strings.HasPrefix(p, "//") {
			path = strings.TrimPrefix(p, "//")
		}
		if u, err := url.PathUnescape(path); err == nil {
			path = u
		}
		sep := "?"
		if strings.Contains(dsn, "?") {
			sep = "&"
		}
		return path, dsn + sep + enc, memory
	}
	return dsn, dsn + "?" + enc, false
}

func (s *Store) openPostgres(dsn string, maxConns int) error {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return fmt.Errorf("store: open postgres: %w", err)
	}
	if maxConns == 0 {
		maxConns = DefaultMaxConns
	}
	db.SetMaxOpenConns(maxConns)
	// Idle connections are kept for the bursts of a fan-out, up to the
	// CPUs' worth the server can keep busy; the rest close when returned.
	db.SetMaxIdleConns(min(maxConns, max(8, 2*runtime.GOMAXPROCS(0))))
	db.SetConnMaxIdleTime(5 * time.Minute)
	s.w, s.r = db, db
	return nil
}

// Close closes the database pools. Calls after the first return nil.
func (s *Store) Close() error {
	errs := []error{s.closeStmts()}
	if s.r != nil && s.r != s.w {
		errs = append(errs, s.r.Close())
	}
	if s.w != nil {
		errs = append(errs, s.w.Close())
	}
	s.r, s.w = nil, nil
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// Driver returns "sqlite" or "postgres".
func (s *Store) Driver() string { return s.driver }

// Ping checks that the database answers (the /readyz probe).
func (s *Store) Ping(ctx context.Context) error {
	if err := s.w.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// DB returns the read pool, for benchmarks and diagnostics that run
// hand-written SQL next to compiled segments. With SQLite writes through it
// compete with the store's writer (busy_timeout applies); prefer the Store
// methods for writes.
func (s *Store) DB() *sql.DB { return s.r }

// missing maps sql.ErrNoRows to a fault.NotFoundError for thing and key:
// a record the user asked for by its id, code or name.
func missing(err error, thing fault.Thing, key any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("store: %w", fault.NotFound(thing, key))
	}
	return fmt.Errorf("store: %s %v: %w", thing.En, key, err)
}

// notFound maps sql.ErrNoRows to fault.ErrNotFound, for lookups the user
// does not make by name (the latest campaign a resident was sent, a
// pending binding).
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("store: %s: %w", what, fault.ErrNotFound)
	}
	return fmt.Errorf("store: %s: %w", what, err)
}

// --- value encoding shared by both dialects --------------------------------

// tsLayout is RFC 3339 in UTC with fixed microseconds, so SQLite's text
// timestamps sort as they compare and round-trip PostgreSQL's precision.
const tsLayout = "2006-01-02T15:04:05.000000Z"

// ts encodes a timestamp for the dialect: RFC 3339 text for SQLite, a
// time.Time for PostgreSQL's TIMESTAMPTZ.
func (s *Store) ts(t time.Time) any {
	t = t.UTC().Truncate(time.Microsecond)
	if s.driver == DriverSQLite {
		return t.Format(tsLayout)
	}
	return t
}

// date encodes a calendar date: 'YYYY-MM-DD' text for SQLite, a
// time.Time at UTC midnight for PostgreSQL's DATE.
func (s *Store) date(t time.Time) any {
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	if s.driver == DriverSQLite {
		return d.Format(time.DateOnly)
	}
	return d
}

// int64s and strs encode a list as one bound argument: a JSON array read
// with json_each for SQLite, an array for PostgreSQL.
func (s *Store) int64s(v []int64) any {
	if s.driver == DriverSQLite {
		if v == nil {
			v = []int64{}
		}
		b, _ := json.Marshal(v)
		return string(b)
	}
	if v == nil {
		v = []int64{}
	}
	return v
}

func (s *Store) strs(v []string) any {
	if s.driver == DriverSQLite {
		if v == nil {
			v = []string{}
		}
		b, _ := json.Marshal(v)
		return string(b)
	}
	if v == nil {
		v = []string{}
	}
	return v
}

// pairs encodes parallel child-row columns: one JSON array of
// [id, value] pairs for SQLite (json_each cannot join two arrays by index
// without a quadratic scan), two arrays for PostgreSQL's unnest.
func (s *Store) pairs(ids []int64, vals []string) []any {
	if s.driver == DriverSQLite {
		var b strings.Builder
		b.Grow(len(ids) * 24)
		b.WriteByte('[')
		for i, id := range ids {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('[')
			b.WriteString(strconv.FormatInt(id, 10))
			b.WriteByte(',')
			v, _ := json.Marshal(vals[i])
			b.Write(v)
			b.WriteByte(']')
		}
		b.WriteByte(']')
		return []any{b.String()}
	}
	return []any{ids, vals}
}

// timeCol scans a timestamp or date stored as TIMESTAMPTZ/DATE (a
// time.Time) or as SQLite text.
type timeCol struct{ t *time.Time }

func (c timeCol) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*c.t = time.Time{}
	case time.Time:
		*c.t = x.UTC()
	case string:
		return c.parse(x)
	case []byte:
		return c.parse(string(x))
	default:
		return fmt.Errorf("store: cannot scan %T as a time", v)
	}
	return nil
}

func (c timeCol) parse(s string) error {
	for _, layout := range []string{time.RFC3339Nano, time.DateOnly, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			*c.t = t.UTC()
			return nil
		}
	}
	return fmt.Errorf("store: cannot parse time %q", s)
}
