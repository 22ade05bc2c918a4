package store_test

import (
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/store"
	"github.com/gridcast/gridcast/store/storetest"
)

// The upgrade to migration 26 (test sends) on a ledger that holds
// messages of every kind: each row keeps its id and every column, the
// history and the indexes stay, and a test send can then be written.
// (SQLite rebuilds messages to change its CHECK.)

func TestUpgradeTestSendsSQLite(t *testing.T) {
	t.Parallel()
	testUpgradeTestSends(t, store.Config{Driver: store.DriverSQLite, DSN: filepath.Join(t.TempDir(), "upgrade.db")})
}

func TestUpgradeTestSendsPostgres(t *testing.T) {
	t.Parallel()
	testUpgradeTestSends(t, store.Config{Driver: store.DriverPostgres, DSN: storetest.PostgresSchema(t)})
}

// messageIndexes lists the indexes of messages by name.
func messageIndexes(t *testing.T, st *store.Store) []string {
	t.Helper()
	q := `SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'messages' AND sql IS NOT NULL`
	if st.Driver() == store.DriverPostgres {
		q = `SELECT indexname FROM pg_indexes WHERE tablename = 'messages' AND schemaname = current_schema()
			AND indexname <> 'messages_pkey'`
	}
	rows, err := st.DB().QueryContext(t.Context(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// purged reads purged_at of message id as text (” for none).
func purged(t *testing.T, st *store.Store, id int64) string {
	t.Helper()
	q := `SELECT COALESCE(CAST(purged_at AS TEXT), '') FROM messages WHERE id = ?`
	if st.Driver() == store.DriverPostgres {
		q = `SELECT COALESCE(CAST(purged_at AS TEXT), '') FROM messages WHERE id = $1`
	}
	var s string
	if err := st.DB().QueryRowContext(t.Context(), q, id).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

func testUpgradeTestSends(t *testing.T, cfg store.Config) {
	ctx := t.Context()
	old, err := store.OpenUpTo(ctx, cfg, testSealer(t), nil, 25)
	if err != nil {
		t.Fatal(err)
	}
	if err := old.UpsertGrids(ctx, storetest.Grids); err != nil {
		t.Fatal(err)
	}
	n := 0
	if _, err := old.BulkInsertResidents(ctx, func() (population.Resident, bool) {
		n++
		return storetest.Resident(n - 1), n <= 2
	}, nil); err != nil {
		t.Fatal(err)
	}
	var residents []int64
	for i := range 2 {
		r, err := old.ResidentByIDNumber(ctx, storetest.Resident(i).IDNumber)
		if err != nil {
			t.Fatal(err)
		}
		residents = append(residents, r.ID)
	}
	if err := old.UpsertWorkers(ctx, []population.Worker{{Code: "W001", Name: "王芳", Phone: "13700000001",
		Role: population.RoleGridWorker, GridCode: "NY-01-01-01"}}); err != nil {
		t.Fatal(err)
	}
	ws, err := old.Workers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	c := campaigns.Campaign{Name: "体检通知", Kind: campaigns.KindPolicyNotice, Segment: "category:elderly_alone",
		ChannelPolicy: campaigns.WeChatFirst, SMS: campaigns.SMSContent{SignName: "网格通", TemplateCode: "SMS_1"},
		ScheduleAt: t0, ExpiresAt: t0.Add(72 * time.Hour), Owner: "li"}
	if err := old.CreateCampaign(ctx, &c); err != nil {
		t.Fatal(err)
	}
	if _, err := old.StartRun(ctx, c.ID, 1, t0); err != nil {
		t.Fatal(err)
	}
	// A campaign's messages: a WeChat one that failed and the SMS that
	// replaced it, a second resident's still pending; a notification to
	// the worker; one purged by the retention sweep.
	ms, err := old.WriteMessages(ctx, c.ID, 1, []outbound.Message{{ResidentID: residents[0], Channel: population.ChannelWeChat},
		{ResidentID: residents[1], Channel: population.ChannelSMS}}, 0, false)
	if err != nil || len(ms) != 2 {
		t.Fatalf("WriteMessages = %v, %v", ms, err)
	}
	if _, ok, err := old.ClaimMessage(ctx, ms[0].ID, t0); !ok || err != nil {
		t.Fatalf("claim: %v, %v", ok, err)
	}
	if ok, err := old.AdvanceMessage(ctx, ms[0].ID, outbound.StatusFailed, outbound.Update{ProviderCode: "43004", At: t0}); !ok || err != nil {
		t.Fatalf("fail: %v, %v", ok, err)
	}
	fb, _, err := old.CreateMessage(ctx, outbound.Message{Purpose: outbound.PurposeCampaign, CampaignID: c.ID, Run: 1,
		ResidentID: residents[0], Route: outbound.RouteSMS, RouteReason: "fallback after WeChat 43004", FallbackOf: ms[0].ID,
		NotBefore: t0, CreatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	notify, _, err := old.CreateMessage(ctx, outbound.Message{Purpose: outbound.PurposeNotify, WorkerID: ws[0].ID,
		Route: outbound.RouteSMS, To: "13700000001", Text: "新工单", TemplateCode: "SMS_NOTIFY",
		Params: map[string]string{"worker": "王芳"}, Actor: "system", CreatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	exec(t, old, `UPDATE messages SET purged_at = ?, out_id = 'o-1', wait_reason = 'quiet_hours' WHERE id = ?`, old.TS(t0), ms[1].ID)
	ids := []int64{ms[0].ID, ms[1].ID, fb.ID, notify.ID}
	before := map[int64]outbound.Message{}
	for _, id := range ids {
		if before[id], err = old.Message(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	purgedBefore := purged(t, old, ms[1].ID)
	indexes := messageIndexes(t, old)
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}

	st, err := store.Open(ctx, cfg, testSealer(t), nil)
	if err != nil {
		t.Fatalf("upgrade: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	for _, id := range ids {
		got, err := st.Message(ctx, id)
		if err != nil {
			t.Fatalf("message %d after the upgrade: %v", id, err)
		}
		if d := cmp.Diff(before[id], got); d != "" {
			t.Errorf("message %d after the upgrade (-before +after):\n%s", id, d)
		}
	}
	if got := purged(t, st, ms[1].ID); got != purgedBefore || got == "" {
		t.Errorf("purged_at after the upgrade = %q, want %q", got, purgedBefore)
	}
	if evs, err := st.MessageEvents(ctx, ms[0].ID); err != nil || len(evs) != 2 {
		t.Errorf("history of message %d after the upgrade = %d events, %v; want 2", ms[0].ID, len(evs), err)
	}
	want := slices.Sorted(slices.Values(append(indexes, "messages_test_actor")))
	if d := cmp.Diff(want, messageIndexes(t, st)); d != "" {
		t.Errorf("indexes of messages after the upgrade (-want +got):\n%s", d)
	}
	// The one-per-resident key still holds.
	if _, created, err := st.CreateMessage(ctx, outbound.Message{Purpose: outbound.PurposeCampaign, CampaignID: c.ID, Run: 1,
		ResidentID: residents[1], Route: outbound.RouteSMS}); err != nil || created {
		t.Errorf("a second SMS of the run to resident 2 after the upgrade: created %v, %v; want the stored one", created, err)
	}

	// A test send is written, with a new id.
	m, created, err := st.CreateMessage(ctx, outbound.Message{Purpose: outbound.PurposeTest, Route: outbound.RouteSMS,
		RouteReason: outbound.TestReason(c.ID), To: "13800000000", Text: "【网格通】张先生", TemplateCode: "SMS_1", Actor: "li"})
	if err != nil || !created || slices.Contains(ids, m.ID) || m.ID < slices.Max(ids) {
		t.Fatalf("test send after the upgrade = %+v, %v, %v", m, created, err)
	}
	if got, err := st.TestSends(ctx, "li", c.ID, time.Now().Add(-time.Hour), 10); err != nil || len(got) != 1 || got[0].ID != m.ID {
		t.Errorf("TestSends after the upgrade = %+v, %v", got, err)
	}
}
