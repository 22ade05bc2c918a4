package api_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/api"
	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/population"
)

// An officer making a campaign on a screen picks a template among those
// synced, with the parameters it needs, and builds the audience from the
// segment language's fields; a worker is not offered the templates. On
// both store drivers.
func TestCampaignScreenReads(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			f := newScopeFixture(t, driver)
			officer, checker, worker := f.in[access.RoleOfficer].token, f.in[access.RoleChecker].token, f.in[access.RoleWorker].token
			url := f.srv.URL + "/api/v1/templates"

			// Nothing synced yet: two empty lists, not null.
			code, _, body := as(t, officer, "GET", url, "")
			if code != 200 || body != `{"sms":[],"wechat":[]}`+"\n" {
				t.Fatalf("no templates synced: %d %s", code, body)
			}
			at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
			if err := f.st.SaveTemplates(t.Context(), population.ChannelSMS, []campaigns.Template{
				{Code: "SMS_2", Content: "${name}您好，${worker}提醒您参加培训。回T退订", Approved: true},
				{Code: "SMS_1", Content: "${name}您好，岗位：${job}", Approved: false},
			}, at); err != nil {
				t.Fatal(err)
			}
			if err := f.st.SaveTemplates(t.Context(), population.ChannelWeChat, []campaigns.Template{
				{Code: "wx-tpl", Content: "{{first.DATA}}\n活动：{{keyword1.DATA}}\n{{remark.DATA}}", Approved: true},
			}, at); err != nil {
				t.Fatal(err)
			}
			for _, tok := range []string{officer, checker} {
				code, _, body = as(t, tok, "GET", url, "")
				var got api.SyncedTemplates
				if code != 200 || json.Unmarshal([]byte(body), &got) != nil {
					t.Fatalf("templates: %d %s", code, body)
				}
				want := api.SyncedTemplates{
					SMS: []api.SyncedTemplate{
						{Code: "SMS_1", Content: "${name}您好，岗位：${job}", Params: []string{"name", "job"}},
						{Code: "SMS_2", Content: "${name}您好，${worker}提醒您参加培训。回T退订", Approved: true, Params: []string{"name", "worker"}},
					},
					WeChat: []api.SyncedTemplate{{Code: "wx-tpl", Content: "{{first.DATA}}\n活动：{{keyword1.DATA}}\n{{remark.DATA}}", Approved: true,
						Params: []string{"first", "keyword1", "remark"}}},
				}
				if d := cmp.Diff(want, got); d != "" {
					t.Errorf("templates (-want +got):\n%s", d)
				}
			}
			if code, _, body = as(t, worker, "GET", url, ""); code != 403 {
				t.Errorf("a worker reads the templates: %d %s, want 403", code, body)
			}
			if code, _, _ = as(t, "", "GET", url, ""); code != 401 {
				t.Errorf("no token: %d, want 401", code)
			}

			// The fields, as `gridcast segment fields` lists them; any user.
			code, _, body = as(t, worker, "GET", f.srv.URL+"/api/v1/segments/fields", "")
			var fields []api.SegmentField
			if code != 200 || json.Unmarshal([]byte(body), &fields) != nil || len(fields) == 0 {
				t.Fatalf("fields: %d %s", code, body)
			}
			if got := fields[0]; got.Name != "category" || got.Example != "category:unemployed" || !got.Prefix || got.Range {
				t.Errorf("the first field = %+v, want category with its example, prefix, no range", got)
			}
			byName := map[string]api.SegmentField{}
			for _, fd := range fields {
				byName[fd.Name] = fd
			}
			if !byName["age"].Range || byName["grid"].Description == "" {
				t.Errorf("age = %+v, grid = %+v: want age a range, grid described", byName["age"], byName["grid"])
			}
		})
	}
}

// A checker's comment goes on the campaign's record with their approval;
// one too long is refused and records nothing. On both store drivers.
func TestActionComment(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			f := newScopeFixture(t, driver)
			checker := f.in[access.RoleChecker].token
			camp := f.srv.URL + "/api/v1/campaigns/" + strconv.FormatInt(f.campaign, 10)
			events := func() []api.CampaignEvent {
				t.Helper()
				code, _, body := as(t, checker, "GET", camp+"/events", "")
				var evs []api.CampaignEvent
				if code != 200 || json.Unmarshal([]byte(body), &evs) != nil {
					t.Fatalf("events: %d %s", code, body)
				}
				return evs
			}
			before := len(events())
			long := strings.Repeat("核", 201)
			code, _, body := as(t, checker, "POST", camp+"/actions", `{"action":"approve","comment":"`+long+`"}`)
			if code != 400 || !strings.Contains(body, "意见最多 200 个字") {
				t.Errorf("a 201-character comment: %d %s, want 400 saying the limit", code, body)
			}
			if n := len(events()); n != before {
				t.Errorf("a refused approval left %d events, want %d", n, before)
			}
			code, _, body = as(t, checker, "POST", camp+"/actions", `{"action":"approve","comment":"  内容已核对，可以发送  "}`)
			if code != 200 {
				t.Fatalf("approve with a comment: %d %s", code, body)
			}
			evs := events()
			last := evs[len(evs)-1]
			if last.Actor != f.in[access.RoleChecker].name || last.Note != "approved: 内容已核对，可以发送" {
				t.Errorf("the record's last event = %+v, want the checker's approval with their comment", last)
			}
		})
	}
}
