package store_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/internal/testlog"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/store"
	"github.com/gridcast/gridcast/store/storetest"
	"github.com/gridcast/gridcast/tickets"
)

// The upgrade to one ledger (migration 8) on a store that holds the data of
// the version before it: campaign messages with their history, the desk's
// messages in ticket_outbound and visit reminders on visit_slots. Nothing
// is lost, ids the providers know survive, and everything is found where
// the one pipeline looks.

func TestUpgradeToOneLedgerSQLite(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "upgrade.db")
	testUpgradeToOneLedger(t, store.Config{Driver: store.DriverSQLite, DSN: path})
}

func TestUpgradeToOneLedgerPostgres(t *testing.T) {
	t.Parallel()
	testUpgradeToOneLedger(t, store.Config{Driver: store.DriverPostgres, DSN: storetest.PostgresSchema(t)})
}

// exec runs a statement written with ? placeholders on either dialect.
func exec(t *testing.T, st *store.Store, q string, args ...any) {
	t.Helper()
	if st.Driver() == store.DriverPostgres {
		n := 0
		var b strings.Builder
		for _, r := range q {
			if r == '?' {
				n++
				fmt.Fprintf(&b, "$%d", n)
				continue
			}
			b.WriteRune(r)
		}
		q = b.String()
	}
	if _, err := st.DB().ExecContext(t.Context(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func testUpgradeToOneLedger(t *testing.T, cfg store.Config) {
	ctx := t.Context()
	old, err := store.OpenUpTo(ctx, cfg, testSealer(t), nil, 7)
	if err != nil {
		t.Fatal(err)
	}
	// The population, a campaign with a run, a ticket: tables the upgrade
	// does not touch, written by today's code. (Residents are loaded by
	// the bulk path, which writes only the columns version 7 had; an
	// upsert also reads what later migrations added.)
	if err := old.UpsertGrids(ctx, storetest.Grids); err != nil {
		t.Fatal(err)
	}
	n := 0
	if _, err := old.BulkInsertResidents(ctx, func() (population.Resident, bool) {
		n++
		return storetest.Resident(n - 1), n <= 4
	}, nil); err != nil {
		t.Fatal(err)
	}
	var residents []int64
	for i := range 3 {
		r := storetest.Resident(i)
		got, err := old.ResidentByIDNumber(ctx, r.IDNumber)
		if err != nil {
			t.Fatal(err)
		}
		residents = append(residents, got.ID)
	}
	if err := old.UpsertWorkers(ctx, []population.Worker{{Code: "W001", Name: "王芳", Phone: "13700000001",
		Role: population.RoleGridWorker, GridCode: "NY-01-01-01"}}); err != nil {
		t.Fatal(err)
	}
	ws, err := old.Workers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	worker := ws[0].ID
	t0 := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	// The campaign as version 7's columns hold it (today's CreateCampaign
	// writes columns version 7 did not have).
	c := campaigns.Campaign{ID: 7, Name: "走访预约", Kind: campaigns.KindVisitSchedule, Segment: "category:elderly_alone",
		ChannelPolicy: campaigns.WeChatFirst, ScheduleAt: t0, ExpiresAt: t0.Add(72 * time.Hour), Owner: "li"}
	exec(t, old, `INSERT INTO campaigns (id, name, kind, segment, channel_policy, schedule_at, expires_at, owner, state,
		created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'draft', ?, ?)`, c.ID, c.Name, string(c.Kind), c.Segment,
		string(c.ChannelPolicy), old.TS(t0), old.TS(c.ExpiresAt), c.Owner, old.TS(t0), old.TS(t0))
	if _, err := old.StartRun(ctx, c.ID, 1, t0); err != nil {
		t.Fatal(err)
	}
	// The ticket as version 7's columns hold it (today's CreateTicket
	// writes the reported events' columns).
	tk := tickets.Ticket{ID: 5, ResidentID: residents[0], GridCode: "NY-01-01-01", Channel: population.ChannelSMS,
		Category: tickets.CategoryOther, Level: tickets.LevelGridWorker, Status: tickets.StatusNew, Text: "楼道灯坏了",
		CreatedAt: t0, UpdatedAt: t0}
	exec(t, old, `INSERT INTO tickets (id, resident_id, grid_code, channel, text, category, level, status, rating,
		created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)`, tk.ID, tk.ResidentID, tk.GridCode,
		string(tk.Channel), tk.Text, string(tk.Category), string(tk.Level), string(tk.Status), old.TS(t0), old.TS(t0))
	exec(t, old, `INSERT INTO ticket_events (ticket_id, at, actor, kind) VALUES (?, ?, ?, 'created')`, tk.ID, old.TS(t0), tickets.ActorResident)
	ts := old.TS

	// Version 7's ledger, written as version 7 wrote it: two campaign
	// messages (one delivered WeChat, one SMS still sending), their history.
	exec(t, old, `INSERT INTO messages (id, campaign_id, run, resident_id, channel, status, attempts, provider_id,
		provider_code, template_code, created_at, sent_at, finished_at, updated_at)
		VALUES (41, ?, 1, ?, 'wechat', 'delivered', 1, '9001', 'success', 'TPL_VISIT', ?, ?, ?, ?)`,
		c.ID, residents[0], ts(t0), ts(t0), ts(t0.Add(time.Minute)), ts(t0.Add(time.Minute)))
	exec(t, old, `INSERT INTO messages (id, campaign_id, run, resident_id, channel, status, attempts, created_at, updated_at)
		VALUES (42, ?, 1, ?, 'sms', 'sending', 1, ?, ?)`, c.ID, residents[1], ts(t0), ts(t0))
	if old.Driver() == store.DriverPostgres {
		// As if the sequence had handed out those ids.
		exec(t, old, `SELECT setval(pg_get_serial_sequence('messages', 'id'), 42)`)
	}
	exec(t, old, `INSERT INTO message_events (message_id, at, from_status, to_status, code, note)
		VALUES (41, ?, 'pending', 'sending', '', 'attempt 1'), (41, ?, 'sending', 'sent', 'OK', ''), (41, ?, 'sent', 'delivered', 'success', '')`,
		ts(t0), ts(t0), ts(t0.Add(time.Minute)))
	// The desk's messages: an SMS acknowledgement delivered, a reply to a
	// resident in the middle of its send, a notification to the worker.
	exec(t, old, `INSERT INTO ticket_outbound (id, kind, ticket_id, resident_id, route, route_reason, to_key, text,
		template_code, params, actor, status, attempts, provider_id, provider_code, created_at, sent_at, finished_at, updated_at)
		VALUES (1, 'ack', ?, ?, 'sms', 'answer on the channel the message came by', '13900000001', '已收到',
		'SMS_GRID_REPLY', '{"reply":"已收到"}', 'system', 'delivered', 1, 'biz-7', 'DELIVERED', ?, ?, ?, ?)`,
		tk.ID, residents[0], ts(t0), ts(t0), ts(t0.Add(time.Minute)), ts(t0.Add(time.Minute)))
	exec(t, old, `INSERT INTO ticket_outbound (id, kind, ticket_id, resident_id, route, to_key, text, actor, status,
		attempts, created_at, updated_at)
		VALUES (2, 'reply', ?, ?, 'wechat_customer_service', 'oResident0001', '明天上午来修', 'wang', 'sending', 1, ?, ?)`,
		tk.ID, residents[0], ts(t0.Add(2*time.Minute)), ts(t0.Add(2*time.Minute)))
	exec(t, old, `INSERT INTO ticket_outbound (id, kind, ticket_id, worker_id, route, to_key, text, template_code,
		params, actor, status, created_at, updated_at)
		VALUES (3, 'notify', ?, ?, 'sms', '13700000001', '新工单 #1', 'SMS_GRID_NOTIFY', '{"worker":"王芳"}', 'system', 'pending', ?, ?)`,
		tk.ID, worker, ts(t0), ts(t0))
	// Visit slots with version 7's reminder columns: one reminded by SMS,
	// one skipped (opted out), one claimed and never settled, one not yet.
	start := t0.Add(24 * time.Hour)
	for i, r := range residents {
		s := start.Add(time.Duration(i) * time.Hour)
		if err := old.BookSlot(ctx, campaigns.Visit{WorkerID: worker, ResidentID: r, CampaignID: c.ID, Start: s, End: s.Add(30 * time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	fourth, _ := old.ResidentByIDNumber(ctx, storetest.Resident(3).IDNumber)
	if err := old.BookSlot(ctx, campaigns.Visit{WorkerID: worker, ResidentID: fourth.ID, CampaignID: c.ID, Start: start.Add(3 * time.Hour), End: start.Add(4 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	exec(t, old, `UPDATE visit_slots SET state = 'confirmed'`)
	remindedAt := t0.Add(8 * time.Hour)
	exec(t, old, `UPDATE visit_slots SET reminder_sent_at = ?, reminder_channel = 'sms', reminder_provider_id = 'biz-9/13900000001'
		WHERE resident_id = ?`, ts(remindedAt), residents[0])
	exec(t, old, `UPDATE visit_slots SET reminder_sent_at = ?, reminder_code = 'skipped:opted_out' WHERE resident_id = ?`,
		ts(remindedAt), residents[1])
	exec(t, old, `UPDATE visit_slots SET reminder_sent_at = ?, reminder_channel = 'wechat' WHERE resident_id = ?`,
		ts(remindedAt), residents[2])
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}

	// The upgrade: a store opened by the new version migrates on Open.
	st, err := store.Open(ctx, cfg, testSealer(t), testlog.New(t))
	if err != nil {
		t.Fatalf("upgrade: %v", err)
	}
	t.Cleanup(func() { st.Close() })

	// A campaign made before scopes reaches the whole city, with the
	// approval digest it had (its audience is its segment).
	if got, err := st.Campaign(ctx, c.ID); err != nil || len(got.Scope) != 1 || got.Scope[0] != "*" || got.Audience() != c.Segment {
		t.Errorf("campaign after the upgrade: scope %v audience %q (%v); want * and its segment", got.Scope, got.Audience(), err)
	}

	// Campaign messages keep their ids (the providers' OutId) and history.
	m41, err := st.Message(ctx, 41)
	if err != nil || m41.Purpose != outbound.PurposeCampaign || m41.Route != outbound.RouteWeChatTemplate ||
		m41.Status != outbound.StatusDelivered || m41.ProviderID != "9001" || m41.TemplateCode != "TPL_VISIT" || m41.Run != 1 {
		t.Errorf("campaign message 41 after the upgrade = %+v, %v", m41, err)
	}
	if evs, err := st.MessageEvents(ctx, 41); err != nil || len(evs) != 3 {
		t.Errorf("history of message 41 = %d events, %v; want 3", len(evs), err)
	}
	if m, err := st.MessageByProviderID(ctx, population.ChannelWeChat, "9001"); err != nil || m.ID != 41 {
		t.Errorf("receipt lookup of 9001 = %d, %v; want 41", m.ID, err)
	}
	stuck, err := st.StuckSending(ctx, time.Now().Add(time.Hour), 0, 10)
	if err != nil || len(stuck) != 1 || stuck[0].ID != 42 || stuck[0].Route != outbound.RouteSMS {
		t.Errorf("stuck sends after the upgrade = %+v, %v; want message 42, for the reconciler", stuck, err)
	}

	// The ticket written before reported events existed came from a
	// resident, and has no attachments.
	gotTk, err := st.Ticket(ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	tk.Source = tickets.SourceResident
	if d := cmp.Diff(tk, gotTk, cmpopts.EquateApproxTime(time.Millisecond)); d != "" {
		t.Errorf("ticket after the upgrade (-want +got):\n%s", d)
	}
	if atts, err := st.Attachments(ctx, tk.ID); err != nil || len(atts) != 0 {
		t.Errorf("attachments of the old ticket = %+v, %v; want none", atts, err)
	}

	// The desk's messages are rows of the ledger now.
	conv, err := st.Conversation(ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range conv {
		got = append(got, fmt.Sprintf("%s %s %s %s", e.Purpose, e.Route, e.Status, e.Text))
	}
	want := []string{"ack sms delivered 已收到", "reply wechat_customer_service pending 明天上午来修"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("conversation after the upgrade (-want +got):\n%s", d)
	}
	ack, err := st.MessageByProviderID(ctx, population.ChannelSMS, outbound.SMSProviderID("biz-7", "13900000001"))
	if err != nil || ack.Purpose != outbound.PurposeAck || ack.Params["reply"] != "已收到" || ack.TicketID != tk.ID {
		t.Errorf("the acknowledgement by its report's BizId and phone = %+v, %v", ack, err)
	}
	pending, err := st.PendingSingles(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	var purposes []outbound.Purpose
	for _, m := range pending {
		purposes = append(purposes, m.Purpose)
		if m.ID <= 42 {
			t.Errorf("desk message got id %d, one a campaign message holds", m.ID)
		}
	}
	if d := cmp.Diff([]outbound.Purpose{outbound.PurposeReply, outbound.PurposeNotify}, purposes); d != "" {
		t.Errorf("pending desk messages after the upgrade (-want +got):\n%s", d)
	}
	if pending[1].WorkerID != worker || pending[1].To != "13700000001" || pending[1].Params["worker"] != "王芳" {
		t.Errorf("the notification after the upgrade = %+v", pending[1])
	}

	// Reminders: on the ledger, and only the visit never reminded is due.
	hist, err := st.ResidentMessages(ctx, residents[0], 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	var reminder outbound.Message
	for _, m := range hist {
		if m.Purpose == outbound.PurposeReminder {
			reminder = m
		}
	}
	if reminder.Status != outbound.StatusSent || reminder.ProviderID != "biz-9/13900000001" || reminder.SlotID == 0 ||
		reminder.CampaignID != c.ID || !reminder.SentAt.Equal(remindedAt) {
		t.Errorf("the reminder sent before the upgrade = %+v", reminder)
	}
	f, err := st.Funnel(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[outbound.Purpose]outbound.ChannelFunnel{outbound.PurposeReminder: {Sent: 1, Skipped: 1, Failed: 1,
		FailedBy: map[string]int{"UNSETTLED": 1}}}, f.FollowUps); d != "" || f.Targeted != 2 {
		t.Errorf("funnel after the upgrade: targeted %d, follow-ups (-want +got):\n%s", f.Targeted, d)
	}
	due, err := st.DueReminders(ctx, t0, t0.Add(72*time.Hour), 10)
	if err != nil || len(due) != 1 || due[0].ResidentID != fourth.ID {
		t.Errorf("due reminders after the upgrade = %+v, %v; want the fourth visit only", due, err)
	}
	// The old table is gone.
	if _, err := st.DB().ExecContext(ctx, "SELECT 1 FROM ticket_outbound"); err == nil {
		t.Error("ticket_outbound survived the upgrade")
	}
}
