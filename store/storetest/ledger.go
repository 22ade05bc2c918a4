package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/population"
)

// The outreach ledger: campaigns and their events, runs and checkpoints,
// messages and their history, templates and visit slots.

// ledgerTests are run by Run beside the population tests.
var ledgerTests = []struct {
	name string
	fn   func(t *testing.T, st Store)
}{
	{"CampaignRoundTrip", testCampaignRoundTrip},
	{"CampaignOptimistic", testCampaignOptimistic},
	{"StartRun", testStartRun},
	{"WriteMessages", testWriteMessages},
	{"WriteMessagesBigChunk", testWriteMessagesBigChunk},
	{"ClaimOnce", testClaimOnce},
	{"AdvanceForwardOnly", testAdvanceForwardOnly},
	{"MessageHistory", testMessageHistory},
	{"RecoverMessage", testRecoverMessage},
	{"UnknownOutcome", testUnknownOutcome},
	{"BatchMoves", testBatchMoves},
	{"AdvanceMessages", testAdvanceMessages},
	{"SentCountsFor", testSentCountsFor},
	{"Funnel", testFunnel},
	{"SentCounts", testSentCounts},
	{"StaleSent", testStaleSent},
	{"Templates", testTemplates},
	{"Slots", testSlots},
	{"VisitReminders", testVisitReminders},
	{"ResidentsBatch", testResidentsBatch},
}

// t0 is the suite's reference instant, whole seconds (both dialects keep
// microseconds).
var t0 = time.Date(2026, 3, 16, 10, 0, 0, 0, campaigns.Shanghai())

// testCampaign is a valid WeChat-only policy notice with every field set
// that the store keeps.
func testCampaign(name string) campaigns.Campaign {
	return campaigns.Campaign{
		Name: name, Kind: campaigns.KindPolicyNotice, Segment: "category:unemployed",
		ChannelPolicy: campaigns.WeChatOnly,
		SMS:           campaigns.SMSContent{SignName: "网格通", TemplateCode: "SMS_1", Params: map[string]string{"name": "{{worker.name}}", "x": "回T退订"}},
		WeChat: campaigns.WeChatContent{TemplateID: "TPL_POLICY", URL: "https://example.org/p",
			Fields: map[string]string{"keyword1": "{{resident.surname_title}}您好", "keyword2": "网格员{{worker.name}}", "keyword3": "{{reply_hint}}"}},
		Text:         "您好",
		ScheduleAt:   t0.Add(24 * time.Hour),
		ExpiresAt:    t0.Add(72 * time.Hour),
		Owner:        "officer.li",
		ReplyOptions: map[string]string{"1": "报名", "2": "咨询"},
		ExtendCode:   "12",
	}
}

func createCampaign(t *testing.T, st Store, name string) campaigns.Campaign {
	t.Helper()
	c := testCampaign(name)
	if err := st.CreateCampaign(t.Context(), &c); err != nil {
		t.Fatalf("CreateCampaign: %v", err)
	}
	return c
}

// seedIDs loads n residents and returns their store ids in order.
func seedIDs(t *testing.T, st Store, n int) []int64 {
	t.Helper()
	rs := seed(t, st, n)
	ids := make([]int64, len(rs))
	for i, r := range rs {
		ids[i] = r.ID
	}
	return ids
}

// startedRun creates a campaign with run 1 started.
func startedRun(t *testing.T, st Store, name string) campaigns.Campaign {
	t.Helper()
	c := createCampaign(t, st, name)
	if _, err := st.StartRun(t.Context(), c.ID, 1, t0); err != nil {
		t.Fatalf("StartRun: %v", err)
	}
	return c
}

// writeOne writes a pending message and returns it.
func writeOne(t *testing.T, st Store, campaignID, residentID int64, ch population.Channel) outbound.Message {
	t.Helper()
	ms, err := st.WriteMessages(t.Context(), campaignID, 1, []outbound.Message{{ResidentID: residentID, Channel: ch}}, 0, false)
	if err != nil || len(ms) != 1 {
		t.Fatalf("WriteMessages: %v, %v", ms, err)
	}
	return ms[0]
}

func testCampaignRoundTrip(t *testing.T, st Store) {
	ctx := t.Context()
	c := testCampaign("失业保险金申领政策")
	c.State = campaigns.StateRunning // ignored: a new campaign is a draft
	before := time.Now().Add(-time.Second)
	if err := st.CreateCampaign(ctx, &c); err != nil {
		t.Fatal(err)
	}
	if c.ID == 0 || c.State != campaigns.StateDraft || c.CreatedAt.Before(before) || !c.UpdatedAt.Equal(c.CreatedAt) {
		t.Fatalf("after CreateCampaign: id %d, state %q, created %v, updated %v", c.ID, c.State, c.CreatedAt, c.UpdatedAt)
	}
	got, err := st.Campaign(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(c, got); d != "" {
		t.Errorf("Campaign (-want +got):\n%s", d)
	}

	// A draft takes content edits, maps emptied included; state, owner and
	// approval are not edits.
	edit := c
	edit.Text = "修改后"
	edit.WeChat.Fields = map[string]string{"keyword1": "新标题"}
	edit.ReplyOptions = nil
	edit.ScheduleAt = time.Time{}
	edit.Owner, edit.State, edit.ApprovedBy = "someone.else", campaigns.StateRunning, "x"
	if err := st.UpdateCampaign(ctx, edit); err != nil {
		t.Fatal(err)
	}
	want := edit
	want.Owner, want.State, want.ApprovedBy = c.Owner, campaigns.StateDraft, ""
	got, err = st.Campaign(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got, cmpopts.IgnoreFields(campaigns.Campaign{}, "UpdatedAt")); d != "" {
		t.Errorf("after UpdateCampaign (-want +got):\n%s", d)
	}

	other := createCampaign(t, st, "招聘")
	all, err := st.Campaigns(ctx, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]int64{other.ID, c.ID}, campaignIDs(all)); d != "" {
		t.Errorf("Campaigns newest first (-want +got):\n%s", d)
	}
	if one, err := st.Campaigns(ctx, campaigns.StateDraft, 1); err != nil || len(one) != 1 || one[0].ID != other.ID {
		t.Errorf("Campaigns(draft, 1) = %v, %v", campaignIDs(one), err)
	}
	if none, err := st.Campaigns(ctx, campaigns.StateRunning, 10); err != nil || len(none) != 0 {
		t.Errorf("Campaigns(running) = %v, %v", campaignIDs(none), err)
	}
	if _, err := st.Campaign(ctx, 1<<40); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("Campaign(missing) = %v, want ErrNotFound", err)
	}
	if err := st.UpdateCampaign(ctx, campaigns.Campaign{ID: 1 << 40}); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("UpdateCampaign(missing) = %v, want ErrNotFound", err)
	}
	evs, err := st.CampaignEvents(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantEvs := []campaigns.Event{{CampaignID: c.ID, At: c.CreatedAt, Actor: "officer.li", From: "", To: campaigns.StateDraft, Note: "created"}}
	if d := cmp.Diff(wantEvs, evs); d != "" {
		t.Errorf("CampaignEvents (-want +got):\n%s", d)
	}
}

func campaignIDs(cs []campaigns.Campaign) []int64 {
	ids := make([]int64, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	return ids
}

func testCampaignOptimistic(t *testing.T, st Store) {
	ctx := t.Context()
	c := createCampaign(t, st, "失业保险金申领政策")
	pol := campaigns.Policy{ApprovalThreshold: 1000}

	approval, err := c.Approve("checker.wang", t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.ApplyCampaignEvent(ctx, c, approval); err != nil {
		t.Fatalf("apply approval: %v", err)
	}
	schedule, err := c.Transition(campaigns.StateScheduled, "officer.li", 2400, pol, t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.ApplyCampaignEvent(ctx, c, schedule); err != nil {
		t.Fatalf("apply schedule: %v", err)
	}
	stored, err := st.Campaign(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(c, stored); d != "" {
		t.Errorf("after schedule (-want +got):\n%s", d)
	}
	if !stored.Approved() {
		t.Error("stored campaign lost its approval")
	}
	if err := st.UpdateCampaign(ctx, c); !errors.Is(err, fault.ErrConflict) {
		t.Errorf("UpdateCampaign(scheduled) = %v, want fault.ErrConflict", err)
	}

	// Two schedulers read the scheduled campaign and both start it: one wins.
	starts := make(chan error, 2)
	for _, actor := range []string{"scheduler-a", "scheduler-b"} {
		go func() {
			mine := stored
			ev, err := mine.Transition(campaigns.StateRunning, actor, 2400, pol, t0.Add(time.Minute))
			if err == nil {
				err = st.ApplyCampaignEvent(ctx, mine, ev)
			}
			starts <- err
		}()
	}
	var won, lost int
	for range 2 {
		switch err := <-starts; {
		case err == nil:
			won++
		case errors.Is(err, fault.ErrConflict):
			lost++
		default:
			t.Errorf("start: %v", err)
		}
	}
	if won != 1 || lost != 1 {
		t.Errorf("concurrent starts: %d won, %d lost; want 1 and 1", won, lost)
	}

	// A stale From changes nothing.
	before, _ := st.Campaign(ctx, c.ID)
	evsBefore, _ := st.CampaignEvents(ctx, c.ID)
	stale := stored // still thinks it is scheduled
	cancel, err := stale.Transition(campaigns.StateCancelled, "officer.li", 0, pol, t0.Add(2*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	cancel.From = campaigns.StateDraft
	if err := st.ApplyCampaignEvent(ctx, stale, cancel); !errors.Is(err, fault.ErrConflict) {
		t.Errorf("ApplyCampaignEvent(stale from) = %v, want fault.ErrConflict", err)
	}
	after, _ := st.Campaign(ctx, c.ID)
	evsAfter, _ := st.CampaignEvents(ctx, c.ID)
	if d := cmp.Diff(before, after); d != "" {
		t.Errorf("a refused event changed the campaign (-before +after):\n%s", d)
	}
	if d := cmp.Diff(evsBefore, evsAfter); d != "" {
		t.Errorf("a refused event changed the ledger (-before +after):\n%s", d)
	}
	if after.State != campaigns.StateRunning {
		t.Errorf("state = %s, want running", after.State)
	}
	wantTo := []campaigns.State{campaigns.StateDraft, campaigns.StateDraft, campaigns.StateScheduled, campaigns.StateRunning}
	var gotTo []campaigns.State
	for _, ev := range evsAfter {
		gotTo = append(gotTo, ev.To)
	}
	if d := cmp.Diff(wantTo, gotTo); d != "" {
		t.Errorf("event states (-want +got):\n%s", d)
	}
	if d := cmp.Diff(approval, evsAfter[1]); d != "" {
		t.Errorf("approval event (-want +got):\n%s", d)
	}
	if err := st.ApplyCampaignEvent(ctx, campaigns.Campaign{ID: 1 << 40, State: campaigns.StateScheduled},
		campaigns.Event{From: campaigns.StateDraft, To: campaigns.StateScheduled, Actor: "x"}); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("ApplyCampaignEvent(missing) = %v, want ErrNotFound", err)
	}
}

func testStartRun(t *testing.T, st Store) {
	ctx := t.Context()
	c := createCampaign(t, st, "每周招聘")
	created := make(chan bool, 8)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			ok, err := st.StartRun(ctx, c.ID, 1, t0)
			if err != nil {
				t.Errorf("StartRun: %v", err)
			}
			created <- ok
		})
	}
	wg.Wait()
	close(created)
	n := 0
	for ok := range created {
		if ok {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d of 8 concurrent StartRun calls created run 1, want 1", n)
	}
	if ok, err := st.StartRun(ctx, c.ID, 2, t0.Add(7*24*time.Hour)); err != nil || !ok {
		t.Errorf("StartRun(run 2) = %v, %v; want true", ok, err)
	}
	if after, done, err := st.RunCheckpoint(ctx, c.ID, 2); err != nil || after != 0 || done {
		t.Errorf("RunCheckpoint(new run) = %d, %v, %v", after, done, err)
	}
	if _, _, err := st.RunCheckpoint(ctx, c.ID, 3); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("RunCheckpoint(unstarted) = %v, want ErrNotFound", err)
	}
	if _, err := st.StartRun(ctx, 1<<40, 1, t0); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("StartRun(missing campaign) = %v, want ErrNotFound", err)
	}
	if err := st.FinishRun(ctx, c.ID, 1, t0.Add(time.Hour)); err != nil {
		t.Errorf("FinishRun: %v", err)
	}
	if err := st.FinishRun(ctx, c.ID, 9, t0); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("FinishRun(unstarted) = %v, want ErrNotFound", err)
	}
}

func testTemplates(t *testing.T, st Store) {
	ctx := t.Context()
	sms := []campaigns.Template{
		{Code: "SMS_2", Content: "您好${name}，${job}。回T退订", Approved: true},
		{Code: "SMS_1", Content: "审核中${x}", Approved: false, Channel: population.ChannelSMS},
	}
	if err := st.SaveTemplates(ctx, population.ChannelSMS, sms, t0); err != nil {
		t.Fatal(err)
	}
	wx := []campaigns.Template{{Code: "TPL_A", Content: "事项：{{keyword1.DATA}}", Approved: true}}
	if err := st.SaveTemplates(ctx, population.ChannelWeChat, wx, t0); err != nil {
		t.Fatal(err)
	}
	got, err := st.Templates(ctx, population.ChannelSMS)
	if err != nil {
		t.Fatal(err)
	}
	want := []campaigns.Template{
		{Code: "SMS_1", Content: "审核中${x}", Approved: false, Channel: population.ChannelSMS},
		{Code: "SMS_2", Content: "您好${name}，${job}。回T退订", Approved: true, Channel: population.ChannelSMS},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Templates (-want +got):\n%s", d)
	}
	// A later sync replaces the channel's set: SMS_1 approved, SMS_2 gone.
	resync := []campaigns.Template{{Code: "SMS_1", Content: "您好${x}", Approved: true}, {Code: "SMS_3", Content: "新", Approved: true}}
	if err := st.SaveTemplates(ctx, population.ChannelSMS, resync, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	got, _ = st.Templates(ctx, population.ChannelSMS)
	want = []campaigns.Template{
		{Code: "SMS_1", Content: "您好${x}", Approved: true, Channel: population.ChannelSMS},
		{Code: "SMS_3", Content: "新", Approved: true, Channel: population.ChannelSMS},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Templates after resync (-want +got):\n%s", d)
	}
	gotWX, _ := st.Templates(ctx, population.ChannelWeChat)
	if d := cmp.Diff([]campaigns.Template{{Code: "TPL_A", Content: "事项：{{keyword1.DATA}}", Approved: true, Channel: population.ChannelWeChat}}, gotWX); d != "" {
		t.Errorf("WeChat templates after an SMS resync (-want +got):\n%s", d)
	}
	if err := st.SaveTemplates(ctx, population.ChannelSMS, []campaigns.Template{{Code: "TPL_A", Channel: population.ChannelWeChat}}, t0); err == nil {
		t.Error("SaveTemplates accepted another channel's template")
	}
	if got, _ := st.Templates(ctx, population.ChannelSMS); len(got) != 2 {
		t.Errorf("a refused save changed the set: %v", got)
	}
	if err := st.SaveTemplates(ctx, population.ChannelSMS, nil, t0); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.Templates(ctx, population.ChannelSMS); len(got) != 0 {
		t.Errorf("after saving an empty set: %v", got)
	}
}

func testSlots(t *testing.T, st Store) {
	ctx := t.Context()
	ids := seedIDs(t, st, 3)
	if err := st.UpsertWorkers(ctx, []population.Worker{{Code: "W001", Name: "王芳", Role: population.RoleGridWorker, GridCode: "NY-01-01-01"}}); err != nil {
		t.Fatal(err)
	}
	ws, err := st.Workers(ctx)
	if err != nil || len(ws) != 1 {
		t.Fatal(ws, err)
	}
	w := ws[0].ID
	c := createCampaign(t, st, "走访")
	nine := time.Date(2026, 3, 17, 9, 0, 0, 0, campaigns.Shanghai())
	slot := func(h int) (time.Time, time.Time) {
		s := nine.Add(time.Duration(h) * 30 * time.Minute)
		return s, s.Add(30 * time.Minute)
	}
	s0, e0 := slot(0)
	s1, e1 := slot(1)
	if err := st.BookSlot(ctx, campaigns.Visit{WorkerID: w, ResidentID: ids[0], CampaignID: c.ID, Start: s0, End: e0}); err != nil {
		t.Fatal(err)
	}
	if err := st.BookSlot(ctx, campaigns.Visit{WorkerID: w, ResidentID: ids[0], CampaignID: c.ID, Start: s0, End: e0}); err != nil {
		t.Errorf("booking the same slot again = %v, want nil", err)
	}
	for _, tc := range []struct {
		name       string
		resident   int64
		start, end time.Time
	}{
		{"double booking", ids[1], s0, e0},
		{"second slot for a resident", ids[0], s1, e1},
	} {
		if err := st.BookSlot(ctx, campaigns.Visit{WorkerID: w, ResidentID: tc.resident, CampaignID: c.ID, Start: tc.start, End: tc.end}); !errors.Is(err, fault.ErrConflict) {
			t.Errorf("%s = %v, want fault.ErrConflict", tc.name, err)
		}
	}
	if err := st.BookSlot(ctx, campaigns.Visit{WorkerID: w, ResidentID: ids[1], CampaignID: c.ID, Start: s1, End: e1}); err != nil {
		t.Fatal(err)
	}
	got, err := st.BookedSlots(ctx, w, nine.Add(-time.Hour), nine.Add(8*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	want := []campaigns.Slot{{ResidentID: ids[0], Start: s0, End: e0}, {ResidentID: ids[1], Start: s1, End: e1}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("BookedSlots (-want +got):\n%s", d)
	}
	if got, _ := st.BookedSlots(ctx, w, e0, nine.Add(8*time.Hour)); len(got) != 1 || got[0].ResidentID != ids[1] {
		t.Errorf("BookedSlots from the end of the first = %v", got)
	}

	// Confirming keeps the time; moving releases it for someone else.
	if err := st.SetSlotState(ctx, ids[0], c.ID, campaigns.VisitConfirmed); err != nil {
		t.Fatal(err)
	}
	if err := st.BookSlot(ctx, campaigns.Visit{WorkerID: w, ResidentID: ids[2], CampaignID: c.ID, Start: s0, End: e0}); !errors.Is(err, fault.ErrConflict) {
		t.Errorf("booking a confirmed slot = %v, want fault.ErrConflict", err)
	}
	if err := st.SetSlotState(ctx, ids[0], c.ID, campaigns.VisitMoved); err != nil {
		t.Fatal(err)
	}
	if err := st.BookSlot(ctx, campaigns.Visit{WorkerID: w, ResidentID: ids[2], CampaignID: c.ID, Start: s0, End: e0}); err != nil {
		t.Errorf("booking a moved slot's time: %v", err)
	}
	if err := st.SetSlotState(ctx, ids[0], c.ID, campaigns.VisitCancelled); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("SetSlotState(no live slot) = %v, want ErrNotFound", err)
	}
	if err := st.SetSlotState(ctx, ids[1], c.ID, "proposed"); err == nil {
		t.Error("SetSlotState(proposed) accepted")
	}
	if err := st.BookSlot(ctx, campaigns.Visit{WorkerID: w, ResidentID: ids[0], CampaignID: c.ID, Start: s1, End: s0}); err == nil {
		t.Error("a slot ending before it starts was booked")
	}
}

func testResidentsBatch(t *testing.T, st Store) {
	ctx := t.Context()
	rs := seed(t, st, 4)
	got, err := st.Residents(ctx, []int64{rs[3].ID, rs[1].ID, 1 << 40, rs[3].ID})
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64]population.Resident{rs[1].ID: rs[1], rs[3].ID: rs[3]}
	if d := cmp.Diff(want, got, cmpopts.EquateEmpty()); d != "" {
		t.Errorf("Residents (-want +got):\n%s", d)
	}
	if got, err := st.Residents(ctx, nil); err != nil || len(got) != 0 {
		t.Errorf("Residents(nil) = %v, %v", got, err)
	}
}
