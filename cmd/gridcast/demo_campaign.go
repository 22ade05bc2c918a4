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
	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/gateway/sandbox"
	"github.com/gridcast/gridcast/gateway/wechat"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
)

// demoCampaign is the job posting the demo sends: unemployed electricians
// and welders of one street, WeChat where bound, SMS otherwise.
func demoCampaign(streetCode, streetName string, now time.Time) campaigns.Campaign {
	return campaigns.Campaign{
		Name:          streetName + " 电工/焊工 招聘",
		Kind:          campaigns.KindJobPosting,
		Segment:       fmt.Sprintf("category:unemployed AND age:18..45 AND skill:(电工 OR 焊工) AND grid:%s*", streetCode),
		ChannelPolicy: campaigns.WeChatFirst,
		Owner:         "王芳",
		ScheduleAt:    now,
		ExpiresAt:     now.Add(7 * 24 * time.Hour),
		ReplyOptions:  map[string]string{"1": "报名", "2": "咨询"},
		ExtendCode:    "01", // SMS replies come back to this code: the sign-up list knows its campaign
		SMS: campaigns.SMSContent{SignName: "网格通", TemplateCode: sandbox.TemplateJob, Params: map[string]string{
			"name": "{{resident.surname_title}}", "job": "青岛港机电公司", "detail": "电工焊工各10名月薪6千起",
			"reply": "{{reply_hint}}", "worker": "{{worker.name}}", "phone": "{{worker.phone}}",
		}},
		// WeChat shows only keyword fields, 20 characters each: the job,
		// the worker and how to reply each have one.
		WeChat: campaigns.WeChatContent{TemplateID: sandbox.WeChatTemplateNotice, Fields: map[string]string{
			"keyword1": "青岛港机电招电工焊工各10名，月薪6千起",
			"keyword2": "{{worker.name}} {{worker.phone}}",
			"keyword3": "{{reply_hint}}，回T退订",
		}},
	}
}

// runDemoCampaign is the outreach half of the demo: it runs inside serve,
// with the API, webhooks, workers and sandbox emulators up.
func (a *app) runDemoCampaign(ctx context.Context, sv serving, street population.Grid, out io.Writer) (campaigns.Campaign, error) {
	st := sv.store
	now := time.Now()
	fmt.Fprintln(out, "\n7. Outreach: a job posting through the queue to WeChat and Aliyun SMS (sandbox emulators, real SDKs)")
	c := demoCampaign(street.Code, street.Name, now)
	nSMS, nWX, err := syncTemplates(ctx, st, sv.rt, now)
	if err != nil {
		return c, err
	}
	fmt.Fprintf(out, "   synced %d SMS and %d WeChat templates from the providers\n", nSMS, nWX)

	// Residents who bound WeChat follow the official account, except a few
	// who unfollowed since: their messages fall back to SMS.
	bound := 0
	err = st.StreamSegment(ctx, c.Audience(), 0, 500, func(rs []population.Resident) error {
		for _, r := range rs {
			if r.OpenID == "" {
				continue
			}
			bound++
			sv.rt.sandbox.WeChat.SetFollower(wechat.Follower{OpenID: r.OpenID, Following: bound%5 != 0})
		}
		return nil
	})
	if err != nil {
		return c, err
	}
	if err := st.CreateCampaign(ctx, &c); err != nil {
		return c, err
	}
	audience, err := st.CountSegment(ctx, c.Audience())
	if err != nil {
		return c, err
	}
	tpls, err := campaigns.SyncedTemplates(ctx, st, c)
	if err != nil {
		return c, err
	}
	pol := a.cfg.policy()
	pol.ApprovalThreshold = 5 // the demo's street is small; show the maker-checker anyway
	if err := c.CheckTemplates(tpls, pol); err != nil {
		return c, fmt.Errorf("demo campaign does not fit its templates: %w", err)
	}
	p, err := previewCampaign(ctx, st, c, 2, now)
	if err != nil {
		return c, err
	}
	fmt.Fprintf(out, "   campaign %d by %s: %d residents — WeChat %d, SMS %d, skipped %d\n", c.ID, c.Owner, audience,
		p.byChannel[population.ChannelWeChat], p.byChannel[population.ChannelSMS], sumReasons(p.skipped))
	for _, s := range p.samples {
		fmt.Fprintln(out, "     preview: "+s)
	}
	probe := c // the refused attempt must not change the campaign
	if _, err := probe.Transition(campaigns.StateScheduled, c.Owner, int(audience), pol, now); errors.Is(err, campaigns.ErrNeedsApproval) {
		fmt.Fprintf(out, "   %s tries to send: refused — %d residents is above the approval threshold of %d\n", c.Owner, audience, pol.ApprovalThreshold)
	} else if err != nil {
		return c, err
	}
	ev, err := c.Approve("李强", now)
	if err != nil {
		return c, err
	}
	if err := st.ApplyCampaignEvent(ctx, c, ev); err != nil {
		return c, err
	}
	for _, to := range []campaigns.State{campaigns.StateScheduled, campaigns.StateRunning} {
		ev, err := c.Transition(to, c.Owner, int(audience), pol, now)
		if err != nil {
			return c, err
		}
		if err := st.ApplyCampaignEvent(ctx, c, ev); err != nil {
			return c, err
		}
	}
	fmt.Fprintf(out, "   李强 approves; %s sends it\n", c.Owner)
	if _, err := st.StartRun(ctx, c.ID, 1, now); err != nil {
		return c, err
	}
	if err := sv.enqueuer.StartCampaign(ctx, c.ID, 1, now); err != nil {
		return c, err
	}

	// Follow the funnel until every message has its outcome.
	deadline := time.Now().Add(90 * time.Second)
	var f outbound.Funnel
	lastLine := ""
	for {
		f, err = st.Funnel(ctx, c.ID)
		if err != nil {
			return c, err
		}
		total, open := messageCounts(f)
		done := total > 0 && open == 0
		line := fmt.Sprintf("   progress: %d of %d messages have an outcome (%d residents targeted)", total-open, total, f.Targeted)
		if line != lastLine && total > 0 {
			fmt.Fprintln(out, line)
			lastLine = line
		}
		if done {
			break
		}
		if time.Now().After(deadline) {
			fmt.Fprintln(out, "   (some receipts are still outstanding; the reconciler would ask the provider)")
			break
		}
		select {
		case <-ctx.Done():
			return c, ctx.Err()
		case <-time.After(300 * time.Millisecond):
		}
	}
	fmt.Fprintln(out, "\n8. The funnel per channel")
	var buf strings.Builder
	printFunnel(&buf, f)
	fmt.Fprint(out, prefixLines(buf.String(), "   "))

	fmt.Fprintln(out, "\n9. What residents' phones show (masked here)")
	shown := 0
	for _, m := range sv.rt.sandbox.SMS.Sent() {
		if shown == 2 {
			break
		}
		text := m.Content
		if w := m.Params["worker"]; w != "" {
			text = strings.ReplaceAll(text, w, pii.Name(w).Masked())
		}
		fmt.Fprintf(out, "   SMS to %s: %s [%s]\n", m.Phone.Masked(), maskDigits(text), orWaiting(m.ErrCode))
		shown++
	}
	// A template message shows only its keyword fields, each cut to 20
	// characters: what campaigns.WeChatDisplay predicts from what was
	// sent, and what the emulated WeChat shows.
	for _, m := range sv.rt.sandbox.WeChat.Sent() {
		if shown == 4 {
			break
		}
		if m.Kind != "template" || m.TemplateID != c.WeChat.TemplateID {
			continue
		}
		lines := campaigns.WeChatDisplay(tpls.WeChat, m.RawData)
		if !slices.Equal(lines, m.Shown) {
			return c, fmt.Errorf("demo: campaigns.WeChatDisplay shows %q, the WeChat emulator %q", lines, m.Shown)
		}
		r, err := st.ResidentByOpenID(ctx, m.ToUser)
		if err != nil {
			return c, err
		}
		w, err := st.WorkerForGrid(ctx, r.GridCode, population.RoleGridWorker)
		if err != nil && !errors.Is(err, fault.ErrNotFound) {
			return c, err
		}
		fmt.Fprintf(out, "   WeChat to %s: %s\n", m.ToUser.Masked(), campaigns.MaskPeople(strings.Join(lines, " / "), r, w))
		shown++
	}
	return c, nil
}

// messageCounts returns how many messages the funnel holds (an SMS
// fallback is a second message for its resident) and how many still wait
// for an outcome (pending, sending, or sent without a receipt).
func messageCounts(f outbound.Funnel) (total, open int) {
	total = sumReasons(f.Skipped)
	for _, cf := range f.ByChannel {
		total += cf.Pending + cf.Sending + cf.Sent + cf.Delivered + cf.Failed
		open += cf.Pending + cf.Sending + cf.Sent
	}
	return total, open
}

func sumReasons(m map[outbound.SkipReason]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func orWaiting(code string) string {
	if code == "" {
		return "waiting"
	}
	return code
}

// maskDigits hides runs of 7+ digits (phone numbers) in a rendered text.
func maskDigits(s string) string {
	rs := []rune(s)
	for i := 0; i < len(rs); {
		j := i
		for j < len(rs) && rs[j] >= '0' && rs[j] <= '9' {
			j++
		}
		if j-i >= 7 {
			for k := i + 3; k < j-4; k++ {
				rs[k] = '*'
			}
		}
		if j == i {
			j++
		}
		i = j
	}
	return string(rs)
}
