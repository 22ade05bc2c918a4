package store_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/gridcast/gridcast/audit"
	"github.com/gridcast/gridcast/store"
)

// Two processes appending to one log at once — two Stores, each with its
// own pool, as `gridcast serve` and a CLI command are — still make one
// chain: the head is read and the entry inserted under one lock.
func TestAuditTwoProcessesSQLite(t *testing.T) {
	t.Parallel()
	cfg := store.Config{Driver: store.DriverSQLite, DSN: filepath.Join(t.TempDir(), "audit.db")}
	testAuditTwoProcesses(t, openTwice(t, cfg))
}

func TestAuditTwoProcessesPostgres(t *testing.T) {
	t.Parallel()
	first := openPostgres(t)
	var schema string
	if err := first.DB().QueryRowContext(t.Context(), "SELECT current_schema()").Scan(&schema); err != nil {
		t.Fatal(err)
	}
	second, err := store.Open(t.Context(), store.Config{Driver: store.DriverPostgres, DSN: withSearchPath(t, postgresDSN(t), schema)}, testSealer(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { second.Close() })
	testAuditTwoProcesses(t, [2]*store.Store{first, second})
}

func openTwice(t *testing.T, cfg store.Config) [2]*store.Store {
	t.Helper()
	var out [2]*store.Store
	for i := range out {
		st, err := store.Open(context.Background(), cfg, testSealer(t), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		out[i] = st
	}
	return out
}

func testAuditTwoProcesses(t *testing.T, sts [2]*store.Store) {
	ctx := t.Context()
	const perStore, goroutines = 40, 4
	var wg sync.WaitGroup
	errs := make(chan error, 2*perStore*goroutines)
	for i, st := range sts {
		for g := range goroutines {
			wg.Go(func() {
				for n := range perStore {
					_, err := st.AppendAudit(ctx, audit.Entry{Actor: fmt.Sprintf("process%d", i), OSUser: fmt.Sprintf("g%d", g),
						Source: audit.SourceSystem, Action: audit.ActionExport, Subject: fmt.Sprintf("file:%d", n)})
					if err != nil {
						errs <- err
					}
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("AppendAudit: %v", err)
	}
	const total = 2 * perStore * goroutines
	for i, st := range sts {
		// Pages of 7 entries: the walk crosses many page boundaries.
		rep, err := st.VerifyAuditPaged(ctx, audit.Head{}, 7)
		if err != nil || rep.Checked != total || rep.Head.Seq != total {
			t.Errorf("store %d verifies %+v, %v; want %d entries, one chain", i, rep, err, total)
		}
	}
	// Both see the same head.
	a, _ := sts[0].VerifyAudit(ctx, audit.Head{})
	b, _ := sts[1].VerifyAudit(ctx, audit.Head{})
	if a.Head != b.Head {
		t.Errorf("heads differ: %v and %v", a.Head, b.Head)
	}
}

// A break on a page boundary is found, and the walk stops there.
func TestAuditVerifyAcrossPages(t *testing.T) {
	t.Parallel()
	st := openSQLite(t)
	ctx := t.Context()
	for i := range 20 {
		if _, err := st.AppendAudit(ctx, audit.Entry{Actor: "王芳", Source: audit.SourceCLI, Action: audit.ActionExport,
			Subject: fmt.Sprintf("file:%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []string{"DROP TRIGGER audit_log_no_delete", "DELETE FROM audit_log WHERE seq = 11"} {
		if _, err := st.DB().ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []int{5, 10, 11, 1000} {
		rep, err := st.VerifyAuditPaged(ctx, audit.Head{}, n)
		var b *audit.Break
		if !errors.As(err, &b) || b.Kind != audit.BreakDeleted || b.Seq != 12 || rep.Checked != 10 {
			t.Errorf("pages of %d: %+v, %v; want entry 11 found deleted after 10 checked", n, rep, err)
		}
	}
}
