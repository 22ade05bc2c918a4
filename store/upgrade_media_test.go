package store_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/gridcast/gridcast/retention"
	"github.com/gridcast/gridcast/store"
	"github.com/gridcast/gridcast/store/storetest"
	"github.com/gridcast/gridcast/tickets"
)

// The upgrade to migration 20 on a store the sweep has already walked:
// its marks stay, the new kinds are taken, and a ticket purged before
// loses the point and place the sweep did not clear then.

func TestUpgradeMediaRetentionSQLite(t *testing.T) {
	t.Parallel()
	testUpgradeMediaRetention(t, store.Config{Driver: store.DriverSQLite, DSN: filepath.Join(t.TempDir(), "upgrade.db")})
}

func TestUpgradeMediaRetentionPostgres(t *testing.T) {
	t.Parallel()
	testUpgradeMediaRetention(t, store.Config{Driver: store.DriverPostgres, DSN: storetest.PostgresSchema(t)})
}

func testUpgradeMediaRetention(t *testing.T, cfg store.Config) {
	ctx := t.Context()
	old, err := store.OpenUpTo(ctx, cfg, testSealer(t), nil, 17)
	if err != nil {
		t.Fatal(err)
	}
	if err := old.UpsertGrids(ctx, storetest.Grids); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 16, 10, 0, 0, 0, time.UTC)
	tk := tickets.Ticket{GridCode: "NY-01-01-01", Text: "东门消防通道被占", Category: tickets.CategoryEnvironment,
		Source: tickets.SourcePatrol, Reporter: "wangfang", Place: "东门消防通道",
		Location: tickets.Location{Address: "幸福小区东门", Lat: 30.69, Lng: 111.29}, CreatedAt: at, UpdatedAt: at}
	if err := old.CreateTicket(ctx, &tk, tickets.Event{At: at, Actor: "wangfang", Kind: tickets.EventCreated}); err != nil {
		t.Fatal(err)
	}
	// What the sweep of version 17 did: the text and address cleared, the
	// mark moved.
	exec(t, old, "UPDATE tickets SET text = '', address = '', purged_at = ? WHERE id = ?", old.TS(at), tk.ID)
	exec(t, old, "INSERT INTO retention_marks (kind, through_id, updated_at) VALUES ('tickets', ?, ?)", tk.ID, old.TS(at))
	old.Close()

	st, err := store.Open(ctx, cfg, testSealer(t), nil)
	if err != nil {
		t.Fatalf("upgrade: %v", err)
	}
	defer st.Close()
	got, err := st.Ticket(ctx, tk.ID)
	if err != nil || got.Location != (tickets.Location{}) || got.Place != "" || got.Reporter != "wangfang" {
		t.Errorf("ticket purged before the upgrade = %+v, %v; want its point and place cleared too", got, err)
	}
	var through int64
	if err := st.DB().QueryRowContext(ctx, "SELECT through_id FROM retention_marks WHERE kind = 'tickets'").Scan(&through); err != nil || through != tk.ID {
		t.Errorf("the tickets' mark after the upgrade = %d, %v; want %d", through, err, tk.ID)
	}
	// The new sweeps run and keep their marks.
	for _, kind := range []string{"attachments", "tasks", "supervisions"} {
		exec(t, st, "INSERT INTO retention_marks (kind, through_id, updated_at) VALUES (?, 0, ?)", kind, st.TS(at))
	}
	for _, sweep := range []func(context.Context, retention.Sweep) (int64, error){st.PurgeAttachments, st.PurgeTasks, st.PurgeSupervisions} {
		if _, err := sweep(ctx, retention.Sweep{Before: time.Now()}); err != nil {
			t.Errorf("sweep after the upgrade: %v", err)
		}
	}
}
