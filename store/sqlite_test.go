package store_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/store"
	"github.com/gridcast/gridcast/store/storetest"
)

// migrations is how many migrations each dialect embeds
// (migrations/<dialect>/NNNN_*.sql).
const migrations = 10

// testSealer is a fixed-key sealer: tests never need the key to be secret.
func testSealer(tb testing.TB) *pii.Sealer {
	tb.Helper()
	s, err := pii.NewSealer([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func openSQLite(tb testing.TB) *store.Store {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "sub", "gridcast.db")
	st, err := store.Open(context.Background(), store.Config{Driver: "sqlite", DSN: path}, testSealer(tb), nil)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

func TestSQLite(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) storetest.Store { return openSQLite(t) })
}

// TestSQLiteReopen checks that a second Open of the same file (as a second
// process would) finds the schema migrated and applies nothing twice.
func TestSQLiteReopen(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "gridcast.db")
	cfg := store.Config{Driver: "sqlite", DSN: "file:" + path}
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			st, err := store.Open(ctx, cfg, testSealer(t), nil)
			if err == nil {
				err = st.Close()
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Errorf("concurrent Open: %v", err)
		}
	}
	st, err := store.Open(ctx, cfg, testSealer(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var n int
	if err := st.DB().QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations").Scan(&n); err != nil || n != migrations {
		t.Errorf("schema_migrations rows = %d, %v; want %d", n, err, migrations)
	}
	var mode string
	if err := st.DB().QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
	var fk int
	if err := st.DB().QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
		t.Errorf("foreign_keys = %d, %v; want 1", fk, err)
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cfg  store.Config
		want []string
	}{
		{store.Config{Driver: "sqlite", DSN: "x.db"}, nil},
		{store.Config{Driver: "postgres", DSN: "postgres://u@h/db"}, nil},
		{store.Config{}, []string{"store.driver", "store.dsn"}},
		{store.Config{Driver: "mysql", DSN: "x"}, []string{"store.driver"}},
		{store.Config{Driver: "postgres", DSN: "somewhere"}, []string{"store.dsn"}},
	} {
		err := tc.cfg.Validate()
		if (err == nil) != (tc.want == nil) {
			t.Errorf("Validate(%+v) = %v", tc.cfg, err)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("Validate(%+v) = %v; want it to name %s", tc.cfg, err, w)
			}
		}
	}
}

// testIndexesAfterBulk seeds an empty store (which drops and rebuilds the
// secondary indexes) and checks every index of the migration is back.
func testIndexesAfterBulk(t *testing.T, st *store.Store) {
	ctx := t.Context()
	if err := st.UpsertGrids(ctx, benchGrids()); err != nil {
		t.Fatal(err)
	}
	count := func() int {
		q := "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'"
		if st.Driver() == "postgres" {
			q = "SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema()"
		}
		var n int
		if err := st.DB().QueryRowContext(ctx, q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := count()
	i := 0
	if _, err := st.BulkInsertResidents(ctx, func() (population.Resident, bool) {
		i++
		return genResident(i), i <= 100
	}, nil); err != nil {
		t.Fatal(err)
	}
	if after := count(); after != before {
		t.Errorf("%d indexes after a seed, %d before", after, before)
	}
}

func TestSQLiteIndexesAfterBulk(t *testing.T) {
	t.Parallel()
	testIndexesAfterBulk(t, openSQLite(t))
}
