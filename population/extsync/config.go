package extsync

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"

	"github.com/gridcast/gridcast/population/importer"
)

// DefaultBatchSize is the number of residents upserted per store
// transaction when Config.BatchSize is 0.
const DefaultBatchSize = 1000

// Config describes one external population database and how to read
// residents from it. It mirrors one entry of sync.sources in the YAML
// config.
type Config struct {
	// Name identifies the source; the sync cursor is stored under it.
	// Required; keep it stable, since a new name starts from scratch.
	Name string
	// Driver is "postgres" or "mysql" ("mariadb" is accepted as mysql).
	Driver string
	// DSN is the source's connection string: a PostgreSQL URL or key=value
	// string, or a go-sql-driver/mysql DSN (user:pass@tcp(host:3306)/db).
	// parseTime=true is forced for MySQL. Never logged.
	DSN string
	// Query is the SELECT that returns residents, one per row. When
	// UpdatedAtColumn is set it must contain the placeholder :cursor
	// (rewritten to $1 or ?) and should order by that column ascending,
	// e.g. SELECT … FROM hukou WHERE updated_at >= :cursor ORDER BY updated_at.
	Query string
	// Mapping maps fields (importer.Fields: name, id_number, grid …) to
	// result column names, overriding importer.DefaultHeaders; a field
	// mapped to "" is not imported. Nil uses the defaults only.
	Mapping map[string]string
	// UpdatedAtColumn names the result column holding each row's last
	// change time. Set, syncs are incremental: each run reads the rows with
	// updated_at >= the largest value seen before. Empty means every run
	// reads everything (upserts are idempotent, so that is only slower).
	UpdatedAtColumn string
	// KeyColumn optionally names a result column (such as the source's
	// primary key) that identifies a row in reports of invalid rows. Empty
	// means the masked ID number.
	KeyColumn string
	// BatchSize is the number of residents per store transaction; the
	// cursor advances after each. 0 means DefaultBatchSize.
	BatchSize int
	// Interval is the time between runs for Loop; 0 means on demand only.
	Interval time.Duration
}

var cursorRE = regexp.MustCompile(`(^|[^:]):cursor\b`)

// Validate reports every problem with c, joined, each naming its key as
// sync.sources[NAME].key.
func (c Config) Validate() error {
	return c.ValidateKey(fmt.Sprintf("sync.sources[%s]", c.Name))
}

// ValidateKey is Validate with keys named under prefix, e.g.
// "sync.sources[0]" for the first configured source.
func (c Config) ValidateKey(prefix string) error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s.%s: %s", prefix, key, fmt.Sprintf(format, args...)))
	}
	if strings.TrimSpace(c.Name) == "" {
		bad("name", "required: the cursor is saved under it")
	}
	switch driverName(c.Driver) {
	case "postgres":
		if c.DSN == "" {
			bad("dsn", "required")
		} else if _, err := pgx.ParseConfig(c.DSN); err != nil {
			bad("dsn", "not a PostgreSQL connection string: %v", err)
		}
	case "mysql":
		if c.DSN == "" {
			bad("dsn", "required")
		} else if _, err := mysql.ParseDSN(c.DSN); err != nil {
			bad("dsn", "not a MySQL DSN (user:pass@tcp(host:3306)/db): %v", err)
		}
	default:
		bad("driver", "%q: want postgres or mysql", c.Driver)
	}
	q := strings.TrimSpace(c.Query)
	hasCursor := cursorRE.MatchString(q)
	switch {
	case q == "":
		bad("query", "required: a SELECT returning one row per resident")
	case !startsWithFold(q, "select") && !startsWithFold(q, "with"):
		bad("query", "must be a SELECT (or WITH … SELECT)")
	case c.UpdatedAtColumn != "" && !hasCursor:
		bad("query", "must contain :cursor (e.g. WHERE updated_at >= :cursor) because updated_at_column is set")
	case c.UpdatedAtColumn == "" && hasCursor:
		bad("updated_at_column", "required because the query uses :cursor")
	}
	if err := importer.ValidateMapping(c.Mapping); err != nil {
		bad("mapping", "%v", strings.TrimPrefix(err.Error(), "importer: "))
	}
	if c.BatchSize < 0 {
		bad("batch_size", "must not be negative (0 means %d)", DefaultBatchSize)
	}
	if c.Interval < 0 {
		bad("interval", "must not be negative (0 means on demand)")
	}
	return errors.Join(errs...)
}

// ValidateSources validates each source under sync.sources[i] and checks
// that names are unique.
func ValidateSources(cs []Config) error {
	var errs []error
	seen := map[string]int{}
	for i, c := range cs {
		key := fmt.Sprintf("sync.sources[%d]", i)
		errs = append(errs, c.ValidateKey(key))
		if j, dup := seen[c.Name]; dup && c.Name != "" {
			errs = append(errs, fmt.Errorf("%s.name: %q is already used by sync.sources[%d]", key, c.Name, j))
		}
		seen[c.Name] = i
	}
	return errors.Join(errs...)
}

func driverName(d string) string {
	switch strings.ToLower(d) {
	case "postgres", "postgresql", "pgx":
		return "postgres"
	case "mysql", "mariadb":
		return "mysql"
	}
	return ""
}

func startsWithFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// rewriteQuery replaces each :cursor placeholder with the driver's bind
// parameter and returns how many there were.
func rewriteQuery(q, driver string) (string, int) {
	n := 0
	out := cursorRE.ReplaceAllStringFunc(q, func(m string) string {
		n++
		lead := strings.TrimSuffix(m, ":cursor")
		if driver == "postgres" {
			return lead + "$1"
		}
		return lead + "?"
	})
	return out, n
}
