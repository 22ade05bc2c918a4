package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/desk"
	"github.com/gridcast/gridcast/gateway/sandbox"
	"github.com/gridcast/gridcast/gateway/wechat"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/store"
	"github.com/gridcast/gridcast/tickets"
)

// demoVisitCampaign is the demo's home-visit schedule: elderly people
// living alone in one community, each offered a slot with their own grid
// worker.
func demoVisitCampaign(community population.Grid, now time.Time) campaigns.Campaign {
	return campaigns.Campaign{
		Name: community.Name + " 独居老人 走访预约", Kind: campaigns.KindVisitSchedule,
		Segment:       fmt.Sprintf("category:elderly_alone AND grid:%s* AND consent:visit", community.Code),
		ChannelPolicy: campaigns.WeChatFirst, Owner: "张敏", ScheduleAt: now, ExpiresAt: now.Add(7 * 24 * time.Hour),
		ReplyOptions: map[string]string{"1": "确认", "2": "改期"},
		SMS: campaigns.SMSContent{SignName: "网格通", TemplateCode: sandbox.TemplateVisit, Params: map[string]string{
			"name": "{{resident.surname_title}}", "worker": "{{worker.name}}", "slot": "{{slot}}", "phone": "{{worker.phone}}"}},
		WeChat: campaigns.WeChatContent{TemplateID: sandbox.WeChatTemplateVisit, Fields: map[string]string{
			"keyword1": "{{slot}}", "keyword2": "{{worker.name}} {{worker.phone}}", "keyword3": "{{reply_hint}}，回T退订"}},
	}
}

// launch approves (by a second user), schedules and starts c, and waits
// until every message has an outcome.
func (a *app) launch(ctx context.Context, sv serving, c *campaigns.Campaign, approver string) error {
	st, now := sv.store, time.Now()
	audience, err := st.CountSegment(ctx, c.Audience())
	if err != nil {
		return err
	}
	pol := a.cfg.policy()
	pol.ApprovalThreshold = 5
	if int(audience) > pol.ApprovalThreshold {
		ev, err := c.Approve(approver, now)
		if err != nil {
			return err
		}
		if err := st.ApplyCampaignEvent(ctx, *c, ev); err != nil {
			return err
		}
	}
	for _, to := range []campaigns.State{campaigns.StateScheduled, campaigns.StateRunning} {
		ev, err := c.Transition(to, c.Owner, int(audience), pol, now)
		if err != nil {
			return err
		}
		if err := st.ApplyCampaignEvent(ctx, *c, ev); err != nil {
			return err
		}
	}
	if _, err := st.StartRun(ctx, c.ID, 1, now); err != nil {
		return err
	}
	return sv.enqueuer.StartCampaign(ctx, c.ID, 1, now)
}

// demoWait polls done every 200 ms for up to d.
func demoWait(ctx context.Context, d time.Duration, done func() (bool, error)) error {
	deadline := time.Now().Add(d)
	for {
		ok, err := done()
		if err != nil || ok {
			return err
		}
		if time.Now().After(deadline) {
			return errors.New("demo: timed out waiting for the queue")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// demoResident is a resident the demo makes reply, and how they were
// reached.
type demoResident struct {
	population.Resident
	channel population.Channel
}

// reached returns n distinct residents campaign c delivered to, those
// reached on prefer first, none of skip; an error when it reached fewer.
func reached(ctx context.Context, st *store.Store, c int64, prefer population.Channel, n int, skip ...int64) ([]demoResident, error) {
	ms, err := st.MessagesByStatus(ctx, c, outbound.StatusDelivered, 0, 2000)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(ms, func(a, b outbound.Message) int {
		switch {
		case a.Channel == prefer && b.Channel != prefer:
			return -1
		case a.Channel != prefer && b.Channel == prefer:
			return 1
		}
		return 0
	})
	var ids []int64
	chans := map[int64]population.Channel{}
	for _, m := range ms {
		if _, dup := chans[m.ResidentID]; dup || slices.Contains(skip, m.ResidentID) {
			continue
		}
		chans[m.ResidentID] = m.Channel
		if ids = append(ids, m.ResidentID); len(ids) == n {
			break
		}
	}
	if len(ids) < n {
		return nil, fmt.Errorf("demo: campaign %d reached %d residents, the story needs %d (try more --residents)", c, len(ids), n)
	}
	rs, err := st.Residents(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]demoResident, len(ids))
	for i, id := range ids {
		out[i] = demoResident{rs[id], chans[id]}
	}
	return out, nil
}

// say makes r write text on the channel they were reached on, through the
// sandbox: a signed (and, in safe mode, encrypted) WeChat push, or an
// Aliyun uplink push to the extension code.
func say(ctx context.Context, sv serving, r demoResident, text, extendCode string) error {
	if r.channel == population.ChannelWeChat {
		_, err := sv.rt.sandbox.WeChat.Say(ctx, string(r.OpenID), text)
		return err
	}
	return sv.rt.sandbox.SMS.Reply(ctx, r.Phone, text, extendCode)
}

// runDemoReplies is the inbound half of the demo: residents answer the job
// posting and a visit schedule, their replies become sign-ups, opt-outs,
// visit confirmations and tickets in the grid workers' inboxes, a worker
// answers and resolves one, and the resident rates it.
func (a *app) runDemoReplies(ctx context.Context, sv serving, job campaigns.Campaign, community population.Grid, out io.Writer) error {
	st, dk := sv.store, sv.desk
	fmt.Fprintf(out, "\n10. A home-visit schedule for elderly people living alone in %s\n", community.Name)
	visit := demoVisitCampaign(community, time.Now())
	// Workers who bound WeChat follow the account: notifications reach them there.
	ws, err := st.Workers(ctx)
	if err != nil {
		return err
	}
	codes := map[string]string{}
	for _, w := range ws {
		codes[fmt.Sprint(w.ID)] = w.Code
		if w.OpenID != "" {
			sv.rt.sandbox.WeChat.SetFollower(wechat.Follower{OpenID: w.OpenID, Following: true})
		}
	}
	err = st.StreamSegment(ctx, visit.Segment, 0, 500, func(rs []population.Resident) error {
		for _, r := range rs {
			if r.OpenID != "" {
				sv.rt.sandbox.WeChat.SetFollower(wechat.Follower{OpenID: r.OpenID, Following: true})
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := st.CreateCampaign(ctx, &visit); err != nil {
		return err
	}
	if err := a.launch(ctx, sv, &visit, "李强"); err != nil {
		return err
	}
	if err := demoWait(ctx, 90*time.Second, func() (bool, error) {
		f, err := st.Funnel(ctx, visit.ID)
		total, open := messageCounts(f)
		return total > 0 && open == 0, err
	}); err != nil {
		return err
	}
	f, err := st.Funnel(ctx, visit.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   %d residents offered a slot with their own grid worker (%d skipped: %v)\n",
		f.Targeted-sumReasons(f.Skipped), sumReasons(f.Skipped), f.Skipped)

	fmt.Fprintln(out, "\n11. Residents reply — pushed by the sandbox exactly as WeChat and Aliyun push them")
	smsJob, err := reached(ctx, st, job.ID, population.ChannelSMS, 2)
	if err != nil {
		return err
	}
	wxJob, err := reached(ctx, st, job.ID, population.ChannelWeChat, 2, smsJob[0].ID, smsJob[1].ID)
	if err != nil {
		return err
	}
	visitors, err := reached(ctx, st, visit.ID, population.ChannelWeChat, 2)
	if err != nil {
		return err
	}
	replies := []struct {
		who     demoResident
		text    string
		ext     string
		meaning string
	}{
		{smsJob[0], "1", job.ExtendCode, "signs up for the job posting"},
		{smsJob[1], "TD", job.ExtendCode, "opts out of job postings"},
		{wxJob[0], "2", "", "asks to be contacted (咨询)"},
		{wxJob[1], "请问上班地点在哪里？有没有班车接送", "", "asks a question"},
		{visitors[0], "1", "", "confirms the proposed visit"},
		{visitors[1], "这周我不在家，能改期吗", "", "asks to move the visit"},
	}
	for _, r := range replies {
		if err := say(ctx, sv, r.who, r.text, r.ext); err != nil {
			return err
		}
		fmt.Fprintf(out, "   %s (%s) writes %q — %s\n", r.who.Name.Masked(), r.who.channel, r.text, r.meaning)
	}
	asker, mover := wxJob[1], visitors[1]
	if err := demoWait(ctx, 60*time.Second, func() (bool, error) {
		var ts []tickets.Ticket
		for _, id := range []int64{wxJob[0].ID, asker.ID, mover.ID} {
			got, err := st.Tickets(ctx, store.TicketFilter{ResidentID: id})
			if err != nil || len(got) == 0 {
				return false, err
			}
			ts = append(ts, got...)
		}
		busy, err := deskBusy(ctx, st)
		return len(ts) == 3 && !busy, err
	}); err != nil {
		return err
	}
	answers, err := st.CampaignAnswers(ctx, job.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   the job posting's sign-up list has %d answers:", len(answers))
	for _, an := range answers {
		fmt.Fprintf(out, " %s %s;", an.Option, an.Meaning)
	}
	fmt.Fprintf(out, " export it with `gridcast tickets answers %d --xlsx signups.xlsx`\n", job.ID)
	td, err := st.Resident(ctx, smsJob[1].ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   %s now opts out of %v; visit notices still reach them\n", td.Name.Masked(), td.OptOuts)
	if v, err := st.SlotFor(ctx, visitors[0].ID, visit.ID); err == nil {
		fmt.Fprintf(out, "   %s's visit is %s for %s\n", visitors[0].Name.Masked(), v.State, v.Start.In(campaigns.Shanghai()).Format("1月2日 15:04"))
	}
	fmt.Fprintln(out, "   what the repliers' phones show (masked here):")
	for _, r := range replies[:2] {
		for _, m := range sv.rt.sandbox.SMS.Sent() {
			if m.Phone == r.who.Phone && (m.TemplateCode == sandbox.TemplateReply || m.TemplateCode == sandbox.TemplateUnsub) {
				fmt.Fprintf(out, "     SMS to %s: %s\n", m.Phone.Masked(), pii.MaskText(m.Content, pii.Name(m.Params["worker"])))
			}
		}
	}

	fmt.Fprintln(out, "\n12. The grid workers' inboxes")
	open, err := st.Tickets(ctx, store.TicketFilter{})
	if err != nil {
		return err
	}
	for _, t := range open {
		w, err := st.WorkerByID(ctx, t.AssigneeWorkerID)
		if err != nil {
			return err
		}
		camp := ""
		if t.CampaignID != 0 {
			camp = fmt.Sprintf(", answers campaign %d", t.CampaignID)
		}
		slot := ""
		if !t.Slot.IsZero() {
			slot = ", visit at " + t.Slot.In(campaigns.Shanghai()).Format("1月2日 15:04")
		}
		fmt.Fprintf(out, "   %s %s: #%d %s %s, due %s%s%s — %q\n", w.Code, w.Name.Masked(), t.ID, t.Category.Label(), t.Status,
			t.DueAt.In(campaigns.Shanghai()).Format("1月2日 15:04"), camp, slot, truncate(t.Text, 20))
	}

	fmt.Fprintln(out, "\n13. A worker answers, resolves; the resident rates")
	ts, err := st.Tickets(ctx, store.TicketFilter{ResidentID: asker.ID})
	if err != nil {
		return err
	}
	t := ts[0]
	w, err := st.WorkerByID(ctx, t.AssigneeWorkerID)
	if err != nil {
		return err
	}
	sent, err := dk.Reply(ctx, t.ID, string(w.Name), "您好，上班地点在前湾港区，社区门口每天7点有班车接送。")
	if err != nil {
		return err
	}
	for _, o := range sent {
		fmt.Fprintf(out, "   %s replies on #%d: %s (%s)\n", w.Name.Masked(), t.ID, o.Route, o.RouteReason)
	}
	if _, err := dk.Resolve(ctx, t.ID, string(w.Name), "已答复"); err != nil {
		return err
	}
	if err := demoWait(ctx, 30*time.Second, func() (bool, error) {
		busy, err := deskBusy(ctx, st)
		return !busy, err
	}); err != nil {
		return err
	}
	if err := say(ctx, sv, asker, "1", ""); err != nil { // 1 满意
		return err
	}
	if err := demoWait(ctx, 30*time.Second, func() (bool, error) {
		got, err := st.Ticket(ctx, t.ID)
		return got.Rating > 0, err
	}); err != nil {
		return err
	}
	if t, err = st.Ticket(ctx, t.ID); err != nil {
		return err
	}
	fmt.Fprintf(out, "   ticket #%d is %s, rated %s\n", t.ID, t.Status, tickets.SatisfactionOf(t.Rating).Label())
	conv, err := st.Conversation(ctx, t.ID)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "   its conversation:")
	for _, e := range conv {
		if e.Inbound {
			fmt.Fprintf(out, "     ⇠ %s  resident (%s): %s\n", e.At.In(campaigns.Shanghai()).Format("15:04:05"), e.Channel, e.Text)
			continue
		}
		fmt.Fprintf(out, "     ⇢ %s  %s by %s (%s, %s): %s\n", e.At.In(campaigns.Shanghai()).Format("15:04:05"), e.Purpose,
			shownActor(e.Actor), e.Route, e.Status, pii.MaskText(e.Text, w.Name))
	}
	evs, err := st.TicketEvents(ctx, t.ID)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "   its timeline:")
	for _, ev := range evs {
		if ev.Kind == tickets.EventAssigned {
			ev.From, ev.To = codes[ev.From], codes[ev.To]
		}
		fmt.Fprintf(out, "     %s  %-9s %s → %s by %s %s\n", ev.At.In(campaigns.Shanghai()).Format("15:04:05"), ev.Kind, ev.From, ev.To,
			shownActor(ev.Actor), pii.MaskText(ev.Note))
	}

	fmt.Fprintln(out, "\n14. The evaluation (考核测评) per worker, as `gridcast tickets stats --by worker` shows it")
	stats, err := dk.Stats(ctx, time.Now().Add(-time.Hour), time.Now().Add(time.Minute), desk.ByWorker)
	if err != nil {
		return err
	}
	for _, s := range stats {
		fmt.Fprintf(out, "   %s: %d opened, %d resolved (%.0f%% on time), %d open, %d overdue, mean rating %.1f from %d\n",
			s.Key, s.Opened, s.Resolved, 100*s.OnTimeRate(), s.Open, s.Overdue, s.MeanRating(), s.Rated)
	}

	fmt.Fprintln(out, "\n15. One ledger: the job posting's funnel with what it prompted, as `gridcast campaign status` shows it")
	jf, err := st.Funnel(ctx, job.ID)
	if err != nil {
		return err
	}
	var buf strings.Builder
	printFunnel(&buf, jf)
	for _, line := range strings.Split(strings.TrimRight(buf.String(), "\n"), "\n") {
		fmt.Fprintln(out, "   "+line)
	}
	return nil
}

// shownActor masks a person's name on the timeline; the system and the
// resident stay as they are.
func shownActor(a string) string {
	if a == tickets.ActorSystem || a == tickets.ActorResident {
		return a
	}
	return pii.Name(a).Masked()
}

// deskBusy reports whether messages outside campaign fan-outs (the
// desk's, reminders) are still waiting for or in their send.
func deskBusy(ctx context.Context, st *store.Store) (bool, error) {
	pending, err := st.PendingSingles(ctx, 0, 1)
	if err != nil || len(pending) > 0 {
		return true, err
	}
	sending, err := st.StuckSending(ctx, time.Now().Add(time.Hour), 0, 1)
	return len(sending) > 0, err
}
