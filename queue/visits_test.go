package queue_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/gateway/sandbox"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/queue"
)

// visitGrid returns the grid with the most residents in the fixture and
// its grid worker, whose visiting hours are set to hours.
func (e *env) visitGrid(hours string) (string, population.Worker) {
	e.t.Helper()
	n := map[string]int{}
	best := ""
	for _, r := range e.res {
		n[r.GridCode]++
		if best == "" || n[r.GridCode] > n[best] || (n[r.GridCode] == n[best] && r.GridCode < best) {
			best = r.GridCode
		}
	}
	w, err := e.st.WorkerForGrid(e.ctx, best, population.RoleGridWorker)
	if err != nil {
		e.t.Fatal(err)
	}
	w.VisitingHours = hours
	if err := e.st.UpsertWorkers(e.ctx, []population.Worker{w}); err != nil {
		e.t.Fatal(err)
	}
	return best, w
}

// visitCampaign returns a valid visit schedule to one grid, WeChat first.
func (e *env) visitCampaign(grid string) campaigns.Campaign {
	now := e.clk.Now()
	return campaigns.Campaign{
		Name: "五必访", Kind: campaigns.KindVisitSchedule, Segment: "grid:" + grid, ChannelPolicy: campaigns.WeChatFirst,
		SMS: campaigns.SMSContent{SignName: "网格通", TemplateCode: sandbox.TemplateVisit, Params: map[string]string{
			"name": "{{resident.surname_title}}", "worker": "{{worker.name}}", "slot": "{{slot}}", "phone": "{{worker.phone}}"}},
		WeChat: campaigns.WeChatContent{TemplateID: sandbox.WeChatTemplateVisit, Fields: map[string]string{
			"keyword1": "{{slot}}", "keyword2": "{{worker.name}}", "keyword3": "{{reply_hint}}，回T退订"}},
		ReplyOptions: map[string]string{"1": "确认", "2": "改期"},
		ScheduleAt:   now.Add(-time.Minute), ExpiresAt: now.Add(48 * time.Hour), Owner: "community",
	}
}

// visitSlotText is {{slot}} as residents read it.
func visitSlotText(t time.Time) string {
	t = t.In(campaigns.Shanghai())
	wd := [...]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}[t.Weekday()]
	return fmt.Sprintf("%d月%d日(%s) %02d:%02d", t.Month(), t.Day(), wd, t.Hour(), t.Minute())
}

// visitInWindows reports whether the visit [s, s+length) lies in one window.
func visitInWindows(ws []campaigns.Window, s time.Time, length time.Duration) bool {
	s = s.In(campaigns.Shanghai())
	e := s.Add(length)
	from, to := s.Hour()*60+s.Minute(), e.Hour()*60+e.Minute()
	for _, w := range ws {
		if w.Day == s.Weekday() && e.Weekday() == s.Weekday() && int(w.Start) <= from && to <= int(w.End) {
			return true
		}
	}
	return false
}

// visitTexts returns what each resident of the campaign's grid received:
// the SMS content, or what the phone shows of the WeChat template message.
func (e *env) visitTexts() map[int64][]string {
	byPhone, byOpenID := map[string]int64{}, map[string]int64{}
	for _, r := range e.res {
		byPhone[string(r.Phone)] = r.ID
		if r.OpenID != "" {
			byOpenID[string(r.OpenID)] = r.ID
		}
	}
	out := map[int64][]string{}
	for _, m := range e.sb.SMS.Sent() {
		if id, ok := byPhone[string(m.Phone)]; ok {
			out[id] = append(out[id], m.Content)
		}
	}
	for _, m := range e.sb.WeChat.Sent() {
		if id, ok := byOpenID[string(m.ToUser)]; ok {
			out[id] = append(out[id], strings.Join(m.Shown, " / "))
		}
	}
	return out
}

// visitEligible are the residents of grid the campaign may reach.
func (e *env) visitEligible(c campaigns.Campaign, grid string) []population.Resident {
	var out []population.Resident
	for _, r := range e.res {
		if r.GridCode == grid && expectChannel(r, c) != "" {
			out = append(out, r)
		}
	}
	return out
}

// A visit schedule gives every reachable resident of a grid their own slot
// within the worker's visiting hours, tells them the worker's name and the
// slot, keeps the slots and sends nothing twice when the fan-out runs
// again, and reminds a confirmed resident once, the evening before.
func TestVisitScheduleEndToEnd(t *testing.T) {
	e := setup(t, queue.Config{}, 10)
	const hours = "Mon-Fri 09:00-11:30,14:00-17:00"
	grid, w := e.visitGrid(hours)
	c := e.schedule(e.visitCampaign(grid))
	want := e.visitEligible(c, grid)
	if len(want) < 10 {
		t.Fatalf("grid %s has %d reachable residents; the fixture should give more", grid, len(want))
	}
	t.Logf("grid %s: %d reachable residents", grid, len(want))
	e.tick()
	e.waitFor("campaign settled", 30*time.Second, func() bool { return e.settled(c.ID) })

	f := e.funnel(c.ID)
	if n := f.Skipped[outbound.SkipNoSlot]; n != 0 {
		t.Errorf("%d residents skipped no_slot with generous hours (funnel %+v)", n, f)
	}
	windows, err := campaigns.ParseVisitingHours(hours)
	if err != nil {
		t.Fatal(err)
	}
	from := visitFrom(e.clk.Now())
	slots := map[int64]campaigns.Visit{}
	byStart := map[time.Time]int64{}
	texts := e.visitTexts()
	for _, r := range want {
		v, err := e.st.SlotFor(e.ctx, r.ID, c.ID)
		if err != nil {
			t.Errorf("resident %d: no slot: %v", r.ID, err)
			continue
		}
		slots[r.ID] = v
		if v.WorkerID != w.ID {
			t.Errorf("resident %d: slot with worker %d, want %d", r.ID, v.WorkerID, w.ID)
		}
		if other, dup := byStart[v.Start]; dup {
			t.Errorf("residents %d and %d share the slot at %s", other, r.ID, v.Start)
		}
		byStart[v.Start] = r.ID
		if v.Start.Before(from) || !visitInWindows(windows, v.Start, v.End.Sub(v.Start)) {
			t.Errorf("resident %d: slot %s–%s outside %q from %s", r.ID, v.Start, v.End, hours, from)
		}
		got := texts[r.ID]
		if len(got) != 1 {
			t.Errorf("resident %d received %d messages, want 1: %q", r.ID, len(got), got)
			continue
		}
		if !strings.Contains(got[0], string(w.Name)) || !strings.Contains(got[0], visitSlotText(v.Start)) || !strings.Contains(got[0], "回复1确认") {
			t.Errorf("resident %d: message %q lacks the worker %s, the slot %s or the reply hint", r.ID, got[0], w.Name, visitSlotText(v.Start))
		}
	}
	// No two live slots of the worker overlap (they are 30 minutes each).
	all, err := e.st.WorkerVisits(e.ctx, w.ID, from, from.AddDate(0, 0, 90))
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(all); i++ {
		if all[i].Start.Before(all[i-1].End) {
			t.Errorf("slots overlap: %+v and %+v", all[i-1], all[i])
		}
	}
	if len(all) != len(want) {
		t.Errorf("worker holds %d slots for %d reachable residents", len(all), len(want))
	}

	// The fan-out runs again from the start (a crash before the checkpoint
	// moved): same slots, nothing sent twice. The campaign, which may have
	// completed by now, is running again as it was at the crash.
	before := len(e.sb.SMS.Sent()) + len(e.sb.WeChat.Sent())
	if _, err := e.st.DB().ExecContext(e.ctx,
		"UPDATE campaign_runs SET expanded_through = 0, expansion_done = 0 WHERE campaign_id = ?", c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.DB().ExecContext(e.ctx, "UPDATE campaigns SET state = 'running' WHERE id = ?", c.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.enq.StartCampaign(e.ctx, c.ID, 1, c.ScheduleAt); err != nil {
		t.Fatal(err)
	}
	e.waitFor("expanded again", 20*time.Second, func() bool { return e.settled(c.ID) })
	e.waitFor("bulk queue idle", 20*time.Second, func() bool {
		info, err := e.insp.GetQueueInfo(queue.QueueBulk)
		return err != nil || info.Pending+info.Active+info.Scheduled+info.Retry+info.Aggregating == 0
	})
	for id, v := range slots {
		got, err := e.st.SlotFor(e.ctx, id, c.ID)
		if err != nil || got != v {
			t.Errorf("resident %d: slot after the re-run %+v, %v; want %+v", id, got, err, v)
		}
	}
	if after := len(e.sb.SMS.Sent()) + len(e.sb.WeChat.Sent()); after != before {
		t.Errorf("re-running the fan-out sent %d more messages", after-before)
	}

	// The earliest resident confirms; the next does not. At 18:30 the
	// evening before the visit the reminder goes out, once, however often
	// the scan runs.
	first, second := all[0], all[1]
	if err := e.st.SetSlotState(e.ctx, first.ResidentID, c.ID, campaigns.VisitConfirmed); err != nil {
		t.Fatal(err)
	}
	at := campaigns.ReminderAt(first.Start, campaigns.Shanghai()).Add(30 * time.Minute)
	// Before the reminder time nothing goes out.
	e.clk.off.Store(int64(at.Add(-2 * time.Hour).Sub(time.Now())))
	e.visitRemindAndWait()
	if got := e.visitTexts(); len(got[first.ResidentID]) != 1 {
		t.Fatalf("reminder sent before 18:00 the day before: %q", got[first.ResidentID])
	}
	e.clk.off.Store(int64(at.Sub(time.Now())))
	for range 2 {
		e.visitRemindAndWait()
	}
	got := e.visitTexts()
	if n := len(got[first.ResidentID]); n != 2 {
		t.Fatalf("confirmed resident %d received %d messages, want the proposal and one reminder: %q", first.ResidentID, n, got[first.ResidentID])
	}
	if rem := got[first.ResidentID][1]; !strings.Contains(rem, visitSlotText(first.Start)) || !strings.Contains(rem, string(w.Name)) {
		t.Errorf("reminder %q lacks the slot %s or the worker", rem, visitSlotText(first.Start))
	}
	if n := len(got[second.ResidentID]); n != 1 {
		t.Errorf("unconfirmed resident %d received %d messages, want 1", second.ResidentID, n)
	}
	if due, err := e.st.DueReminders(e.ctx, e.clk.Now(), e.clk.Now().AddDate(0, 0, 2), 10); err != nil || len(due) != 0 {
		t.Errorf("still due after the reminder: %+v, %v", due, err)
	}
}

// A worker whose visiting hours are too narrow for the grid books what
// fits in the horizon and skips the rest with no_slot.
func TestVisitScheduleNarrowHours(t *testing.T) {
	e := setup(t, queue.Config{}, 10)
	const hours = "Mon 09:00-09:30"
	grid, w := e.visitGrid(hours)
	c := e.schedule(e.visitCampaign(grid))
	want := e.visitEligible(c, grid)
	e.tick()
	e.waitFor("campaign settled", 30*time.Second, func() bool { return e.settled(c.ID) })

	// What fits: one slot each Monday of the horizon.
	windows, err := campaigns.ParseVisitingHours(hours)
	if err != nil {
		t.Fatal(err)
	}
	a, err := campaigns.NewSlotAllocator(campaigns.SlotConfig{Windows: windows, From: visitFrom(e.clk.Now())})
	if err != nil {
		t.Fatal(err)
	}
	fits := 0
	for ; ; fits++ {
		if _, err := a.Next(int64(fits + 1)); err != nil {
			break
		}
	}
	if len(want) <= fits {
		t.Fatalf("grid %s has %d reachable residents, %d slots fit: the test needs more residents", grid, len(want), fits)
	}
	t.Logf("grid %s: %d reachable residents, %d slots fit", grid, len(want), fits)
	f := e.funnel(c.ID)
	if got := f.Skipped[outbound.SkipNoSlot]; got != len(want)-fits {
		t.Errorf("skipped no_slot = %d, want %d (funnel %+v)", got, len(want)-fits, f)
	}
	booked := 0
	texts := e.visitTexts()
	for _, r := range want {
		_, err := e.st.SlotFor(e.ctx, r.ID, c.ID)
		if err == nil {
			booked++
			if len(texts[r.ID]) != 1 {
				t.Errorf("booked resident %d received %d messages", r.ID, len(texts[r.ID]))
			}
		} else if len(texts[r.ID]) != 0 {
			t.Errorf("resident %d without a slot received %q", r.ID, texts[r.ID])
		}
	}
	if booked != fits {
		t.Errorf("%d residents booked, want %d", booked, fits)
	}
	vs, err := e.st.WorkerVisits(e.ctx, w.ID, time.Time{}, time.Now().AddDate(1, 0, 0))
	if err != nil || len(vs) != fits {
		t.Errorf("worker holds %d slots, want %d (%v)", len(vs), fits, err)
	}
}

func visitFrom(t time.Time) time.Time {
	y, m, d := t.In(campaigns.Shanghai()).Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, campaigns.Shanghai())
}

// visitRemindAndWait runs one reminder scan and waits until it is done
// and the reminders it wrote are sent.
func (e *env) visitRemindAndWait() {
	e.t.Helper()
	if err := e.enq.RemindVisits(e.ctx); err != nil {
		e.t.Fatal(err)
	}
	e.waitFor("reminder scan done", 20*time.Second, func() bool {
		for _, list := range []func(string, ...asynq.ListOption) ([]*asynq.TaskInfo, error){
			e.insp.ListPendingTasks, e.insp.ListActiveTasks} {
			ts, err := list(queue.QueueCritical, asynq.PageSize(1000))
			if err != nil {
				return false
			}
			for _, ti := range ts {
				if ti.Type == queue.TypeRemindVisits {
					return false
				}
			}
		}
		return true
	})
	e.waitFor("reminders sent", 20*time.Second, e.still)
}
