package api_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/api"
	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/store"
)

var _ api.DeliveryStore = (*store.Store)(nil)

// The delivery records: an officer finds a resident's failed message by
// their phone's last digits, with the provider's code said in Chinese and
// the phone masked; a street's officer sees only their street's residents;
// bad input is refused; the template status counts the last sync. On both
// store drivers.
func TestDeliveries(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			f := newScopeFixture(t, driver)
			ctx := t.Context()
			h, err := api.New(api.Config{Segments: f.st, Tickets: ticketStore{f.st}, Users: f.st, Audit: f.st,
				Deliveries: f.st, Ready: func(context.Context) error { return nil }})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(h)
			t.Cleanup(srv.Close)

			res := f.residents[0] // in NY-01
			m, _, err := f.st.CreateMessage(ctx, outbound.Message{Purpose: outbound.PurposeNotify, ResidentID: res.ID,
				Channel: population.ChannelWeChat, Route: outbound.RouteWeChatTemplate, To: "oRES0"})
			if err != nil {
				t.Fatal(err)
			}
			if _, ok, err := f.st.ClaimMessage(ctx, m.ID, time.Now()); !ok || err != nil {
				t.Fatalf("claim: %v %v", ok, err)
			}
			if ok, err := f.st.AdvanceMessage(ctx, m.ID, outbound.StatusFailed, outbound.Update{ProviderCode: "43004"}); !ok || err != nil {
				t.Fatalf("advance: %v %v", ok, err)
			}
			tail := string(res.Phone)[len(res.Phone)-4:]
			list := func(token, query string) (int, []api.Delivery, string) {
				t.Helper()
				code, _, body := as(t, token, "GET", srv.URL+"/api/v1/deliveries"+query, "")
				var ds []api.Delivery
				if code == 200 {
					if err := json.Unmarshal([]byte(body), &ds); err != nil {
						t.Fatalf("%s: %v", body, err)
					}
				}
				return code, ds, body
			}

			code, ds, body := list(f.in[access.RoleOfficer].token, "?phone_tail="+tail+"&status=failed")
			if code != 200 || len(ds) != 1 || ds[0].ID != m.ID {
				t.Fatalf("an officer's search by tail %s: %d %s; want message %d", tail, code, body, m.ID)
			}
			d := ds[0]
			if d.Code != "43004" || d.Reason != "未关注公众号" || d.Phone != res.Phone.Masked() || d.Purpose != "notify" ||
				d.Route != string(outbound.RouteWeChatTemplate) || d.Status != "failed" {
				t.Errorf("delivery = %+v", d)
			}
			if strings.Contains(body, string(res.Phone)) {
				t.Errorf("the phone shows in clear: %s", body)
			}
			// Every purpose of the resident's: the desk's ack of their SMS too.
			if _, all, _ := list(f.city.token, "?phone_tail="+tail); len(all) < 2 {
				t.Errorf("all of the resident's messages: %+v; want the ack and the notice", all)
			}
			today := time.Now().In(campaigns.Shanghai()).Format(time.DateOnly)
			if _, ds, _ := list(f.city.token, "?phone_tail="+tail+"&status=failed&from="+today+"&to="+today); len(ds) != 1 {
				t.Errorf("today's: %+v", ds)
			}
			if _, ds, _ := list(f.city.token, "?phone_tail="+tail+"&to=2020-01-01"); len(ds) != 0 {
				t.Errorf("before 2020: %+v", ds)
			}
			// The other street's officer does not see NY-01's resident.
			if code, ds, _ := list(f.out[access.RoleOfficer].token, "?phone_tail="+tail); code != 200 || len(ds) != 0 {
				t.Errorf("another street's officer: %d %+v; want nothing", code, ds)
			}
			for _, q := range []string{"?phone_tail=12", "?phone_tail=12ab", "?status=lost", "?from=12/01", "?from=2026-12-06&to=2026-12-01", "?limit=-1"} {
				if code, _, body := list(f.city.token, q); code != 400 || !strings.Contains(body, "无效") && !strings.Contains(body, "须") {
					t.Errorf("%s: %d %s; want 400 with a Chinese reason", q, code, body)
				}
			}
			if code, _, _ := list(f.in[access.RoleWorker].token, ""); code != 403 {
				t.Errorf("a grid worker: %d, want 403", code)
			}
			if code, _, _ := list("", ""); code != 401 {
				t.Errorf("without a token: %d, want 401", code)
			}

			if err := f.st.SaveTemplates(ctx, population.ChannelSMS, []campaigns.Template{
				{Code: "SMS_1", Content: "a", Approved: true}, {Code: "SMS_2", Content: "b"}}, time.Now()); err != nil {
				t.Fatal(err)
			}
			code, _, body = as(t, f.in[access.RoleOfficer].token, "GET", srv.URL+"/api/v1/templates/status", "")
			var ts api.TemplateStatus
			if code != 200 || json.Unmarshal([]byte(body), &ts) != nil || len(ts.Counts) != 2 || ts.SyncedAt.IsZero() {
				t.Errorf("template status: %d %s", code, body)
			}
		})
	}
}

func TestProviderReason(t *testing.T) {
	for code, want := range map[string]string{"43101": "用户拒收订阅消息", "isv.BUSINESS_LIMIT_CONTROL": "触发号码天级流控",
		"DELIVRD": "已送达", "MK:0001": "运营商返回 MK:0001", "": ""} {
		if got := api.ProviderReason(code); got != want {
			t.Errorf("ProviderReason(%q) = %q, want %q", code, got, want)
		}
	}
}
