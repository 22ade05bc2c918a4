package queue_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/desk"
	"github.com/gridcast/gridcast/gateway"
	"github.com/gridcast/gridcast/gateway/wechat"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/queue"
	"github.com/gridcast/gridcast/tickets"
)

// One ledger, one send path: reminders and the desk's messages are rows
// like campaign messages, so they get what the path gives every message —
// WeChat→SMS fallback, receipts, recovery after a crash, rebuild of lost
// work — and show in funnels and histories.

// residentMessages is a resident's ledger history, oldest first.
func (e *env) residentMessages(id int64) []outbound.Message {
	e.t.Helper()
	ms, err := e.st.ResidentMessages(e.ctx, id, 0, 100)
	if err != nil {
		e.t.Fatal(err)
	}
	slices.Reverse(ms)
	return ms
}

// A reminder WeChat refuses (the resident unfollowed since the proposal)
// falls back to SMS like a campaign message, once, and both are on the
// ledger and in the campaign's funnel.
func TestReminderFallsBackToSMS(t *testing.T) {
	e := setup(t, queue.Config{}, 10)
	grid, _ := e.visitGrid("Mon-Fri 09:00-11:30,14:00-17:00")
	c := e.schedule(e.visitCampaign(grid))
	e.tick()
	e.waitFor("campaign settled", 30*time.Second, func() bool { return e.settled(c.ID) })
	var r population.Resident
	for _, x := range e.visitEligible(c, grid) {
		if onWeChat(x) && x.Phone.Validate() == nil {
			r = x
			break
		}
	}
	if r.ID == 0 {
		t.Fatal("no resident of the grid on WeChat with a phone")
	}
	v, err := e.st.SlotFor(e.ctx, r.ID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.st.SetSlotState(e.ctx, r.ID, c.ID, campaigns.VisitConfirmed); err != nil {
		t.Fatal(err)
	}
	if err := e.sb.WeChat.Unfollow(e.ctx, string(r.OpenID)); err != nil {
		t.Fatal(err)
	}
	smsBefore := len(e.sb.SMS.Sent())
	e.clk.off.Store(int64(campaigns.ReminderAt(v.Start, campaigns.Shanghai()).Add(30 * time.Minute).Sub(time.Now())))
	for range 2 {
		e.visitRemindAndWait()
	}
	var got []string
	for _, m := range e.sb.SMS.Sent()[smsBefore:] {
		if m.Phone == r.Phone {
			got = append(got, m.Content)
		}
	}
	if len(got) != 1 || !strings.Contains(got[0], visitSlotText(v.Start)) {
		t.Fatalf("SMS to the resident after the reminder scans: %q; want one reminder with the slot %s", got, visitSlotText(v.Start))
	}
	var wx, sms outbound.Message
	for _, m := range e.residentMessages(r.ID) {
		if m.Purpose != outbound.PurposeReminder {
			continue
		}
		if m.Channel == population.ChannelWeChat {
			wx = m
		} else {
			sms = m
		}
	}
	if wx.Status != outbound.StatusFailed || wx.ProviderCode != "43004" || wx.SlotID != v.ID {
		t.Errorf("WeChat reminder = %+v; want failed 43004 for slot %d", wx, v.ID)
	}
	if sms.FallbackOf != wx.ID || sms.SlotID != v.ID || (sms.Status != outbound.StatusSent && sms.Status != outbound.StatusDelivered) ||
		!strings.HasSuffix(sms.ProviderID, "/"+string(r.Phone)) {
		t.Errorf("SMS reminder = %+v; want sent as the fallback of %d", sms, wx.ID)
	}
	e.waitFor("the SMS reminder's report", 15*time.Second, func() bool {
		m, err := e.st.Message(e.ctx, sms.ID)
		return err == nil && m.Status == outbound.StatusDelivered
	})
	rem := e.funnel(c.ID).FollowUps[outbound.PurposeReminder]
	if rem.Failed != 1 || rem.Delivered != 1 || rem.FailedBy["43004"] != 1 {
		t.Errorf("reminders in the funnel %+v; want one failed (43004) and one delivered", rem)
	}
}

// A desk message written by a process without a queue (the CLI beside an
// embedded Redis) is sent by the next tick, once.
func TestTickSendsWhatTheCLIWrote(t *testing.T) {
	e := setup(t, queue.Config{}, 10)
	r := e.pick(smsOnly)
	if err := e.sb.SMS.Reply(e.ctx, r.Phone, "楼道灯不亮", ""); err != nil {
		t.Fatal(err)
	}
	tk := e.waitTicket(r.ID)
	e.desked()
	cli, err := desk.New(desk.Config{}, desk.Deps{Store: e.st, Dispatcher: noQueue{}, Now: e.clk.Now, Log: testLog()})
	if err != nil {
		t.Fatal(err)
	}
	sent, err := cli.Reply(e.ctx, tk.ID, "王网格员", "明天上午来修")
	if err != nil || len(sent) != 1 || sent[0].Status != outbound.StatusPending {
		t.Fatalf("Reply = %+v, %v", sent, err)
	}
	for range 2 {
		e.tick()
		e.desked()
	}
	_, _, sms := e.textsTo(r)
	n := 0
	for _, x := range sms {
		if strings.Contains(x, "明天上午来修") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("resident got the reply %d times, want once: %q", n, sms)
	}
	if m, err := e.st.Message(e.ctx, sent[0].ID); err != nil || m.Status == outbound.StatusPending || m.ProviderID == "" {
		t.Errorf("reply on the ledger %+v, %v; want it sent", m, err)
	}
}

// noQueue is a desk.Dispatcher that hands nothing over.
type noQueue struct{}

func (noQueue) EnqueueSend(context.Context, outbound.Message) error                       { return nil }
func (noQueue) ScheduleEscalation(context.Context, int64, tickets.Level, time.Time) error { return nil }

// A desk SMS a crashed worker left sending is settled the way a campaign
// message is: recovered with its outcome unknown, then Aliyun is asked
// before anything is sent, so one that went out is recorded and not sent
// again, and one that did not goes out once.
func TestDeskMessageRecoveredAfterCrash(t *testing.T) {
	// Aliyun is asked about the claim's day: keep the clock on today.
	e := setup(t, queue.Config{}, 10, onToday())
	a := e.pick(smsOnly)
	b := e.pick(smsOnly, a.ID)
	if a.Phone == b.Phone {
		t.Skip("fixture: the two SMS residents share a number")
	}
	write := func(r population.Resident, text string) outbound.Message {
		m, _, err := e.st.CreateMessage(e.ctx, outbound.Message{Purpose: outbound.PurposeConfirm, ResidentID: r.ID,
			Route: outbound.RouteSMS, To: string(r.Phone), Text: text, TemplateCode: "SMS_GRID_REPLY",
			Params: map[string]string{"name": "您", "reply": text, "worker": "网格员", "phone": "12345"}, Actor: tickets.ActorSystem})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok, err := e.st.ClaimMessage(e.ctx, m.ID, e.clk.Now()); !ok || err != nil {
			t.Fatal(ok, err)
		}
		return m
	}
	went := write(a, "已收到您的回复")  // the crashed worker's call went out
	lost := write(b, "已收到您的回复。") // it crashed before calling
	cl := newSMSClient(t, 2*time.Second)
	if _, err := cl.Send(e.ctx, gateway.SMS{Phone: a.Phone, TemplateCode: "SMS_GRID_REPLY", OutID: strconv.FormatInt(went.ID, 10),
		Params: went.Params}); err != nil {
		t.Fatal(err)
	}
	e.clk.advance(2*queue.DefaultSendTimeout + time.Second)
	e.tick()
	e.desked()
	_, _, toA := e.textsTo(a)
	_, _, toB := e.textsTo(b)
	if len(toA) != 1 || len(toB) != 1 {
		t.Errorf("after recovery: %d SMS to the first resident, %d to the second; want one each", len(toA), len(toB))
	}
	if m, _ := e.st.Message(e.ctx, went.ID); !strings.HasPrefix(m.ProviderID, "out:"+strconv.FormatInt(went.ID, 10)+"/") ||
		!hasCode(e.events(went.ID), queue.ReasonRecovered) {
		t.Errorf("the message that went out: %+v, history %v; want it recorded from Aliyun's record, not resent", m, e.events(went.ID))
	}
	if m, _ := e.st.Message(e.ctx, lost.ID); m.Status == outbound.StatusSending || !hasCode(e.events(lost.ID), queue.ReasonRecovered) {
		t.Errorf("the message that never left: %+v, history %v; want it recovered and sent", m, e.events(lost.ID))
	}
}

// A worker's reply that goes as a template message and comes back
// "failed:user block" is sent again by SMS, as a campaign message would
// be.
func TestDeskTemplateBlockedFallsBackToSMS(t *testing.T) {
	e := setup(t, queue.Config{}, 10)
	r := e.pick(func(r population.Resident) bool { return onWeChat(r) && r.Phone.Validate() == nil })
	e.sb.WeChat.SetFollower(wechat.Follower{OpenID: r.OpenID, Following: true, Blocked: true})
	if err := e.sb.SMS.Reply(e.ctx, r.Phone, "小区门口路灯坏了", ""); err != nil {
		t.Fatal(err)
	}
	tk := e.waitTicket(r.ID)
	e.desked()
	sent, err := e.desk.Reply(e.ctx, tk.ID, "王网格员", "已报修，明天更换")
	if err != nil || len(sent) != 1 || sent[0].Route != outbound.RouteWeChatTemplate {
		t.Fatalf("Reply = %+v, %v; want a template message (WeChat bound, no recent WeChat message)", sent, err)
	}
	e.waitFor("the SMS fallback", 20*time.Second, func() bool {
		_, _, sms := e.textsTo(r)
		return slices.ContainsFunc(sms, func(x string) bool { return strings.Contains(x, "已报修，明天更换") })
	})
	e.desked()
	m, err := e.st.Message(e.ctx, sent[0].ID)
	if err != nil || m.Status != outbound.StatusFailed || !strings.Contains(m.ProviderCode, "user block") {
		t.Errorf("template reply = %+v, %v; want failed by the block receipt", m, err)
	}
	var fb outbound.Message
	for _, x := range e.residentMessages(r.ID) {
		if x.FallbackOf == m.ID {
			fb = x
		}
	}
	if fb.Route != outbound.RouteSMS || fb.Purpose != outbound.PurposeReply || fb.TicketID != tk.ID || fb.Actor != "王网格员" {
		t.Errorf("fallback = %+v; want the worker's reply by SMS on the ticket", fb)
	}
}
