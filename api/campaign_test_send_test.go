package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/api"
	"github.com/gridcast/gridcast/audit"
	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/store"
)

// recordingSender is the store's ledger with a send path that records
// what it was handed.
type recordingSender struct {
	*store.Store
	mu   sync.Mutex
	sent []outbound.Message
}

func (r *recordingSender) EnqueueSend(_ context.Context, m outbound.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, m)
	return nil
}

func (r *recordingSender) enqueued() []int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ids []int64
	for _, m := range r.sent {
		ids = append(ids, m.ID)
	}
	return ids
}

// An officer sends a campaign's SMS to their own phone (试发): rendered
// for a made-up resident, written on the ledger as a test send and handed
// to the send path, outside the campaign's funnel; refused outside their
// scope or role, for a bad number, a campaign without an SMS template, or
// past five an hour; audited without the number in clear. On both store
// drivers.
func TestCampaignTestSend(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			f := newScopeFixture(t, driver)
			ctx := t.Context()
			if err := f.st.SaveTemplates(ctx, population.ChannelSMS, []campaigns.Template{
				{Code: "SMS_T", Content: "${name}您好，社区招聘保安，详询网格员。回T退订", Approved: true},
			}, time.Now()); err != nil {
				t.Fatal(err)
			}
			rec := &recordingSender{Store: f.st}
			h, err := api.New(api.Config{Segments: f.st, Campaigns: f.st, Users: f.st, Audit: f.st, TestSender: rec,
				Ready: func(context.Context) error { return nil }})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(h)
			t.Cleanup(srv.Close)
			officer := f.in[access.RoleOfficer].token
			send := func(tok string, id int64, body string) (int, string) {
				t.Helper()
				code, _, out := as(t, tok, "POST", fmt.Sprintf("%s/api/v1/campaigns/%d/test-send", srv.URL, id), body)
				return code, out
			}
			const phone = `{"phone":"13812345678"}`

			code, out := send(officer, f.campaign, phone)
			var got api.TestSend
			if code != 202 || json.Unmarshal([]byte(out), &got) != nil {
				t.Fatalf("test send: %d %s", code, out)
			}
			if got.Text != "【网格通】张先生您好，社区招聘保安，详询网格员。回T退订" || got.To != "138****5678" || got.Status != "pending" {
				t.Errorf("test send answered %+v, want the SMS for 张先生 to 138****5678, pending", got)
			}
			if clearPhone.MatchString(out) {
				t.Errorf("the answer holds a phone number in clear: %s", out)
			}
			m, err := f.st.Message(ctx, got.MessageID)
			if err != nil {
				t.Fatal(err)
			}
			want := outbound.Message{ID: got.MessageID, Purpose: outbound.PurposeTest, Channel: population.ChannelSMS,
				Route: outbound.RouteSMS, RouteReason: outbound.TestReason(f.campaign), To: "13812345678", Text: got.Text,
				TemplateCode: "SMS_T", Params: map[string]string{"name": "张先生"}, Actor: "in-officer",
				Status: outbound.StatusPending, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt}
			if d := cmp.Diff(want, m); d != "" {
				t.Errorf("the ledger row (-want +got):\n%s", d)
			}
			if d := cmp.Diff([]int64{got.MessageID}, rec.enqueued()); d != "" {
				t.Errorf("handed to the send path (-want +got):\n%s", d)
			}
			if fn, err := f.st.Funnel(ctx, f.campaign); err != nil || fn.Targeted != 0 || len(fn.FollowUps) != 0 || len(fn.ByChannel) != 0 {
				t.Errorf("the campaign's funnel after a test send = %+v, %v; want nothing", fn, err)
			}

			// Refused: outside the campaign's scope, without the officer
			// role, a bad number — nothing is written.
			for _, tc := range []struct {
				who, tok, body string
				code           int
				says           string
			}{
				{"an officer of another street", f.out[access.RoleOfficer].token, phone, 403, ""},
				{"a checker", f.in[access.RoleChecker].token, phone, 403, ""},
				{"a worker", f.in[access.RoleWorker].token, phone, 403, ""},
				{"a short number", officer, `{"phone":"1381234"}`, 400, "手机号格式不正确"},
				{"a landline", officer, `{"phone":"02088881234"}`, 400, "手机号格式不正确"},
				{"someone else named as sender", officer, `{"phone":"13812345678","by":"in-checker"}`, 400, "须为您本人"},
			} {
				if code, out := send(tc.tok, f.campaign, tc.body); code != tc.code || !strings.Contains(out, tc.says) {
					t.Errorf("%s: %d %s, want %d %q", tc.who, code, out, tc.code, tc.says)
				}
			}
			if n := len(rec.enqueued()); n != 1 {
				t.Errorf("refused test sends enqueued %d messages in all, want the first only", n)
			}

			// A campaign without an SMS template has nothing to test.
			code, _, out = as(t, officer, "POST", srv.URL+"/api/v1/campaigns", `{"name":"微信通知","kind":"policy_notice",
				"segment":"age:18..60","channel_policy":"wechat_only","expires_at":"`+time.Now().Add(48*time.Hour).Format(time.RFC3339)+`",
				"wechat":{"template_id":"wx-tpl","fields":{"keyword1":"{{campaign.name}}"}}}`)
			var wx api.Campaign
			if code != 201 || json.Unmarshal([]byte(out), &wx) != nil {
				t.Fatalf("a WeChat-only campaign: %d %s", code, out)
			}
			if code, out := send(officer, wx.ID, phone); code != 400 || !strings.Contains(out, "没有短信模板") {
				t.Errorf("a test send of a campaign without an SMS template: %d %s, want 400 in Chinese", code, out)
			}

			// Nor one whose SMS template was never synced.
			code, _, out = as(t, officer, "POST", srv.URL+"/api/v1/campaigns", `{"name":"短信通知","kind":"policy_notice",
				"segment":"age:18..60","channel_policy":"sms_only","expires_at":"`+time.Now().Add(48*time.Hour).Format(time.RFC3339)+`",
				"sms":{"sign_name":"网格通","template_code":"SMS_UNSYNCED","params":{"name":"{{resident.surname_title}}"}},"wechat":{"template_id":"","fields":{}}}`)
			var unsynced api.Campaign
			if code != 201 || json.Unmarshal([]byte(out), &unsynced) != nil {
				t.Fatalf("a campaign with an unsynced template: %d %s", code, out)
			}
			if code, out := send(officer, unsynced.ID, phone); code != 400 || !strings.Contains(out, "尚未同步") {
				t.Errorf("a test send with an unsynced template: %d %s, want 400 in Chinese", code, out)
			}

			// Five an hour per campaign and user; the sixth is refused.
			for i := 2; i <= 5; i++ {
				if code, out := send(officer, f.campaign, phone); code != 202 {
					t.Fatalf("test send %d: %d %s", i, code, out)
				}
			}
			if code, out := send(officer, f.campaign, phone); code != 429 || !strings.Contains(out, "已达上限") {
				t.Errorf("the sixth test send in an hour: %d %s, want 429 in Chinese", code, out)
			}
			code, _, out = as(t, officer, "GET", fmt.Sprintf("%s/api/v1/campaigns/%d/test-sends", srv.URL, f.campaign), "")
			var list api.TestSends
			if code != 200 || json.Unmarshal([]byte(out), &list) != nil || len(list.Sends) != 5 || list.Left != 0 ||
				list.Sends[4].MessageID != got.MessageID || clearPhone.MatchString(out) {
				t.Errorf("the officer's test sends: %d %s, want the five, newest first, none left", code, out)
			}
			if n := len(rec.enqueued()); n != 5 {
				t.Errorf("%d messages handed to the send path, want 5", n)
			}

			// Audited, with the number masked.
			entries, err := f.st.AuditEntries(ctx, audit.Filter{Action: string(audit.ActionCampaignTestSend)})
			if err != nil || len(entries) != 5 {
				t.Fatalf("audit entries of test sends = %d, %v; want 5", len(entries), err)
			}
			e := entries[len(entries)-1]
			if e.Actor != "in-officer" || e.Subject != fmt.Sprintf("campaign:%d", f.campaign) ||
				!strings.Contains(e.Detail, "138****5678") || strings.Contains(e.Detail, "13812345678") {
				t.Errorf("audit entry %+v: want in-officer, the campaign, the number masked", e)
			}
		})
	}
}
