package queue_test

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"testing"
	"time"

	"github.com/gridcast/gridcast/blob"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/queue"
	"github.com/gridcast/gridcast/retention"
	"github.com/gridcast/gridcast/tickets"
)

// retentionConfig keeps messages' and replies' contents 180 days.
func retentionConfig(enabled bool) queue.Config {
	return queue.Config{
		Retention: retention.Config{Enabled: enabled, MessageText: retention.DefaultAge, Inbound: retention.DefaultAge},
		TickSpec:  "@every 1h", // the scheduler runs (and registers the purge); its tick does not come in a test
	}
}

// deskAnswer writes an SMS answer to r at the store's clock and records it
// sent.
func (e *env) deskAnswer(r population.Resident, text string) outbound.Message {
	e.t.Helper()
	m, _, err := e.st.CreateMessage(e.ctx, outbound.Message{Purpose: outbound.PurposeConfirm, ResidentID: r.ID,
		Route: outbound.RouteSMS, To: string(r.Phone), Text: text, TemplateCode: "SMS_CONFIRM", Params: map[string]string{"text": text}})
	if err != nil {
		e.t.Fatal(err)
	}
	if _, ok, err := e.st.ClaimMessage(e.ctx, m.ID, e.clk.Now()); !ok || err != nil {
		e.t.Fatal(ok, err)
	}
	if ok, err := e.st.AdvanceMessage(e.ctx, m.ID, outbound.StatusSent, outbound.Update{ProviderID: outbound.SMSProviderID("biz", string(r.Phone))}); !ok || err != nil {
		e.t.Fatal(ok, err)
	}
	return e.message(m.ID)
}

func (e *env) message(id int64) outbound.Message {
	e.t.Helper()
	m, err := e.st.Message(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}

// reply records a resident's SMS at the store's clock.
func (e *env) reply(r population.Resident, id, text string) int64 {
	e.t.Helper()
	in, _, err := e.st.RecordInbound(e.ctx, tickets.InboundRecord{Channel: population.ChannelSMS, ProviderMsgID: id,
		FromKey: string(r.Phone), ResidentID: r.ID, Content: text, Intent: tickets.IntentQuestion})
	if err != nil {
		e.t.Fatal(err)
	}
	return in
}

// scheduled waits for the scheduler to publish its entries (its first
// heartbeat) and returns their specs by task type.
func (e *env) scheduled() map[string]string {
	e.t.Helper()
	specs := map[string]string{}
	e.waitFor("the scheduler's entries", 20*time.Second, func() bool {
		entries, err := e.insp.SchedulerEntries()
		for _, en := range entries {
			specs[en.Task.Type()] = en.Spec
		}
		return err == nil && len(entries) > 0
	})
	return specs
}

// processed waits until the default queue has processed n tasks today and
// holds none.
func (e *env) processed(n int) {
	e.t.Helper()
	e.waitFor("the purge to run", 20*time.Second, func() bool {
		info, err := e.insp.GetQueueInfo(queue.QueueDefault)
		return err == nil && info.Processed >= n && info.Size == 0
	})
}

// The daily purge is scheduled, runs on a worker through real Redis, and
// clears what is older than the configured age — and nothing younger —
// while the ledger's counts stay.
func TestRetentionPurge(t *testing.T) {
	e := setup(t, retentionConfig(true), 10)
	if spec := e.scheduled()[queue.TypeRetentionPurge]; spec != queue.RetentionSpec {
		t.Errorf("the purge is scheduled at %q, want daily at %q", spec, queue.RetentionSpec)
	}

	r, s := e.res[0], e.res[1]
	old := e.deskAnswer(r, "您已报名电工培训")
	oldIn := e.reply(r, "up-old", "我想报名")
	e.clk.advance(200 * 24 * time.Hour)
	young := e.deskAnswer(s, "您已报名焊工培训")
	youngIn := e.reply(s, "up-young", "我也想报名")
	history := func(id int64) []outbound.Message {
		ms, err := e.st.ResidentMessages(e.ctx, id, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		return ms
	}
	before := len(history(r.ID))

	if err := e.enq.PurgeRetention(e.ctx); err != nil {
		t.Fatal(err)
	}
	e.processed(1)

	if m := e.message(old.ID); m.Text != "" || m.To != "" || len(m.Params) != 0 || m.ProviderID != "biz" ||
		m.Status != outbound.StatusSent || !m.SentAt.Equal(old.SentAt) {
		t.Errorf("the 200-day-old answer after the purge: text %q, to %q, params %v, provider id %q, %s; want its content gone, the rest kept",
			m.Text, m.To, m.Params, m.ProviderID, m.Status)
	}
	if in, err := e.st.InboundByID(e.ctx, oldIn); err != nil || in.Content != "" || in.FromKey != "" {
		t.Errorf("the 200-day-old reply after the purge: %q from %q, %v; want both cleared", in.Content, in.FromKey, err)
	}
	if m := e.message(young.ID); m.Text != young.Text || m.To != young.To || m.ProviderID != young.ProviderID {
		t.Errorf("today's answer after the purge: text %q, to %q, provider id %q; want it untouched", m.Text, m.To, m.ProviderID)
	}
	if in, err := e.st.InboundByID(e.ctx, youngIn); err != nil || in.Content != "我也想报名" {
		t.Errorf("today's reply after the purge: %q, %v; want it untouched", in.Content, err)
	}
	if after := len(history(r.ID)); after != before {
		t.Errorf("resident %d's history has %d messages after the purge, %d before", r.ID, after, before)
	}
}

// Disabled (a hold), the purge is not scheduled, and one enqueued by
// hand clears nothing.
func TestRetentionPurgeDisabled(t *testing.T) {
	e := setup(t, retentionConfig(false), 10)
	if spec, ok := e.scheduled()[queue.TypeRetentionPurge]; ok {
		t.Errorf("a disabled purge is scheduled at %q", spec)
	}
	old := e.deskAnswer(e.res[0], "您已报名电工培训")
	e.clk.advance(200 * 24 * time.Hour)
	if err := e.enq.PurgeRetention(e.ctx); err != nil {
		t.Fatal(err)
	}
	e.processed(1)
	if m := e.message(old.ID); m.Text != old.Text || m.To != old.To {
		t.Errorf("a disabled purge cleared the old answer: text %q, to %q", m.Text, m.To)
	}
}

// The daily purge deletes from the blob store the photo of a ticket
// closed longer ago than the age (original and thumbnail); its row stays
// without its keys.
func TestRetentionPurgeDeletesMedia(t *testing.T) {
	e := setup(t, retentionConfig(true), 10, withMedia())
	r := e.res[0]
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	img.Set(3, 3, color.RGBA{200, 10, 10, 255})
	var photo bytes.Buffer
	if err := png.Encode(&photo, img); err != nil {
		t.Fatal(err)
	}
	obj, err := e.media.Put(e.ctx, &photo)
	if err != nil {
		t.Fatal(err)
	}
	now := e.clk.Now()
	tk := tickets.Ticket{ResidentID: r.ID, GridCode: r.GridCode, Channel: population.ChannelWeChat, Text: "楼道堆满杂物",
		Category: tickets.CategoryEnvironment, Status: tickets.StatusNew, Level: tickets.LevelGridWorker, CreatedAt: now, UpdatedAt: now}
	if err := e.st.CreateTicket(e.ctx, &tk, tickets.Event{At: now, Actor: tickets.ActorSystem, Kind: tickets.EventCreated}); err != nil {
		t.Fatal(err)
	}
	a, _, err := e.st.AddAttachment(e.ctx, tickets.Attachment{TicketID: tk.ID, Kind: tickets.AttachmentImage, Key: obj.Key,
		ThumbnailKey: obj.ThumbnailKey, ContentType: obj.ContentType, Size: obj.Size, AddedBy: "wangfang", CreatedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := tk.Transition(tickets.StatusClosed, "wangfang", now)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.st.ApplyTicketEvent(e.ctx, tk, ev); err != nil {
		t.Fatal(err)
	}
	e.clk.advance(200 * 24 * time.Hour)

	if err := e.enq.PurgeRetention(e.ctx); err != nil {
		t.Fatal(err)
	}
	e.processed(1)
	for _, k := range []string{obj.Key, obj.ThumbnailKey} {
		if _, _, err := e.media.Get(e.ctx, k); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("%s after the purge: %v, want it deleted", k, err)
		}
	}
	if got, err := e.st.Attachment(e.ctx, a.ID); err != nil || got.Key != "" || got.ThumbnailKey != "" || got.Kind != tickets.AttachmentImage {
		t.Errorf("attachment after the purge = %+v, %v; want it kept without its keys", got, err)
	}
}
