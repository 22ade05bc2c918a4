package store_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/gridcast/gridcast/internal/testlog"
	"github.com/gridcast/gridcast/store"
	"github.com/gridcast/gridcast/store/storetest"
)

// postgresDSN returns GRIDCAST_TEST_POSTGRES, skipping the test when it is
// unset (failing instead when CI is set).
func postgresDSN(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv("GRIDCAST_TEST_POSTGRES")
	if dsn == "" {
		if os.Getenv("CI") != "" {
			tb.Fatal("GRIDCAST_TEST_POSTGRES is not set; CI must run the PostgreSQL tests")
		}
		tb.Skip("GRIDCAST_TEST_POSTGRES is not set (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable); skipping PostgreSQL tests")
	}
	return dsn
}

// openPostgres opens a store in a schema of its own, dropped at cleanup.
func openPostgres(tb testing.TB) *store.Store {
	tb.Helper()
	st, err := store.Open(context.Background(), store.Config{Driver: "postgres", DSN: storetest.PostgresSchema(tb)}, testSealer(tb), testlog.New(tb))
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

func withSearchPath(tb testing.TB, dsn, schema string) string {
	u, err := url.Parse(dsn)
	if err != nil || !strings.HasPrefix(u.Scheme, "postgres") {
		tb.Fatalf("GRIDCAST_TEST_POSTGRES must be a postgres:// URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func randHex(tb testing.TB) string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func TestPostgres(t *testing.T) {
	t.Parallel()
	postgresDSN(t)
	storetest.Run(t, func(t *testing.T) storetest.Store { return openPostgres(t) })
}

// TestPostgresConcurrentOpen opens one schema from several goroutines at
// once, as several processes starting together would: the advisory lock
// must serialize the migration.
func TestPostgresConcurrentOpen(t *testing.T) {
	t.Parallel()
	st := openPostgres(t) // creates and migrates the schema
	var schema string
	if err := st.DB().QueryRowContext(t.Context(), "SELECT current_schema()").Scan(&schema); err != nil {
		t.Fatal(err)
	}
	// A second, empty schema opened concurrently.
	dsn := postgresDSN(t)
	fresh := "gridcast_test_" + randHex(t)
	if _, err := st.DB().ExecContext(t.Context(), "CREATE SCHEMA "+fresh); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.DB().ExecContext(context.Background(), "DROP SCHEMA "+fresh+" CASCADE") })
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			s, err := store.Open(t.Context(), store.Config{Driver: "postgres", DSN: withSearchPath(t, dsn, fresh)}, testSealer(t), testlog.New(t))
			if err == nil {
				err = s.Close()
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Errorf("concurrent Open: %v", err)
		}
	}
	var n int
	if err := st.DB().QueryRowContext(t.Context(), "SELECT count(*) FROM "+fresh+".schema_migrations").Scan(&n); err != nil || n != migrations {
		t.Errorf("schema_migrations rows = %d, %v; want %d", n, err, migrations)
	}
}

func TestPostgresIndexesAfterBulk(t *testing.T) {
	t.Parallel()
	testIndexesAfterBulk(t, openPostgres(t))
}
