package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
)

// PostgresSchema creates a schema of the test's own in the database of
// GRIDCAST_TEST_POSTGRES, registers its drop (after anything the test opens
// on it has closed: cleanups run last-in first-out) and returns the DSN
// with search_path set to it. Without the variable the test is skipped,
// saying so — or fails when CI is set, since CI must run PostgreSQL.
func PostgresSchema(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv("GRIDCAST_TEST_POSTGRES")
	if dsn == "" {
		if os.Getenv("CI") != "" {
			tb.Fatal("GRIDCAST_TEST_POSTGRES is not set; CI must run the PostgreSQL tests")
		}
		tb.Skip("GRIDCAST_TEST_POSTGRES is not set (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable); skipping PostgreSQL")
	}
	u, err := url.Parse(dsn)
	if err != nil || !strings.HasPrefix(u.Scheme, "postgres") {
		tb.Fatalf("GRIDCAST_TEST_POSTGRES must be a postgres:// URL: %v", err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "gridcast_t_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := admin.ExecContext(context.Background(), "CREATE SCHEMA "+schema); err != nil {
		_ = admin.Close()
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		defer admin.Close()
		if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
