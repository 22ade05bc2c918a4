package tickets_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/tickets"
)

func TestChooseReply(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 18, 10, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	tests := []struct {
		name string
		in   tickets.ReplyContext
		want tickets.ReplyRoute
	}{
		{"inside the window, none sent", tickets.ReplyContext{LastInbound: ago(2 * time.Hour), OpenIDBound: true, HasPhone: true},
			tickets.ReplyRoute{Route: outbound.RouteCustomerService, Reason: "resident wrote on WeChat 2h0m0s ago; 0 of 5 customer-service messages used"}},
		{"one second before 48h", tickets.ReplyContext{LastInbound: ago(48*time.Hour - time.Second), SentSince: 4},
			tickets.ReplyRoute{Route: outbound.RouteCustomerService, Reason: "resident wrote on WeChat 48h0m0s ago; 4 of 5 customer-service messages used"}},
		{"exactly 48h: closed", tickets.ReplyContext{LastInbound: ago(48 * time.Hour), OpenIDBound: true},
			tickets.ReplyRoute{Route: outbound.RouteWeChatTemplate, Reason: "the 48-hour customer-service window is closed; WeChat is bound"}},
		{"5 sent: used up", tickets.ReplyContext{LastInbound: ago(time.Hour), SentSince: 5, OpenIDBound: true},
			tickets.ReplyRoute{Route: outbound.RouteWeChatTemplate, Reason: "5 customer-service messages already sent; WeChat is bound"}},
		{"unbound follower in the window", tickets.ReplyContext{LastInbound: ago(time.Hour)},
			tickets.ReplyRoute{Route: outbound.RouteCustomerService, Reason: "resident wrote on WeChat 1h0m0s ago; 0 of 5 customer-service messages used"}},
		{"never wrote on WeChat, bound", tickets.ReplyContext{Channel: population.ChannelSMS, OpenIDBound: true, HasPhone: true},
			tickets.ReplyRoute{Route: outbound.RouteWeChatTemplate, Reason: "no WeChat message from the resident; WeChat is bound"}},
		{"SMS", tickets.ReplyContext{Channel: population.ChannelSMS, HasPhone: true},
			tickets.ReplyRoute{Route: outbound.RouteSMS, Reason: "no WeChat message from the resident; WeChat not bound; phone on record"}},
		{"window closed, unbound, phone", tickets.ReplyContext{Channel: population.ChannelWeChat, LastInbound: ago(72 * time.Hour), HasPhone: true},
			tickets.ReplyRoute{Route: outbound.RouteSMS, Reason: "the 48-hour customer-service window is closed; WeChat not bound; phone on record"}},
		{"nothing", tickets.ReplyContext{Channel: population.ChannelWeChat, LastInbound: ago(49 * time.Hour)},
			tickets.ReplyRoute{Route: outbound.RouteNone, Reason: "ticket came by wechat; the 48-hour customer-service window is closed; WeChat not bound; no phone on record"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.in.Now = now
			if diff := cmp.Diff(tt.want, tickets.ChooseReply(tt.in)); diff != "" {
				t.Errorf("ChooseReply (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCanned(t *testing.T) {
	t.Parallel()
	w := population.Worker{Name: "李娜", Phone: "13987654321"}
	tests := []struct {
		name   string
		canned tickets.Canned
		cat    tickets.Category
		w      population.Worker
		want   string
	}{
		{"default", nil, tickets.CategoryOther, w, "您好，您的留言已收到，网格员李娜会尽快与您联系。联系电话13987654321。"},
		{"unknown category falls back to other", nil, "parking", w, "您好，您的留言已收到，网格员李娜会尽快与您联系。联系电话13987654321。"},
		{"override", tickets.Canned{tickets.CategoryEnvironment: "已收到，{{worker.name}}马上到。"}, tickets.CategoryEnvironment, w, "已收到，李娜马上到。"},
		{"override other is the fallback", tickets.Canned{tickets.CategoryOther: "收到（{{worker.name}}）"}, "parking", w, "收到（李娜）"},
		{"no phone", nil, tickets.CategoryOther, population.Worker{Name: "李娜"}, "您好，您的留言已收到，网格员李娜会尽快与您联系。联系电话暂无。"},
		{"deadline", nil, tickets.CategoryEmployment, w, "您好，您的就业咨询已收到，网格员李娜将于12月9日（周三）前与您联系，并为您匹配合适的岗位和培训信息。联系电话13987654321。"},
		{"no deadline", tickets.Canned{tickets.CategoryEnvironment: "{{worker.name}}将于{{deadline}}前到。"}, tickets.CategoryEnvironment, w, "李娜将于规定期限前到。"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, tt.canned.Render(tt.cat, tt.w, deadline(tt.name))); diff != "" {
				t.Errorf("Render (-want +got):\n%s", diff)
			}
		})
	}
	for _, c := range tickets.Categories {
		if s := tickets.DefaultCanned[c]; s == "" {
			t.Errorf("no default canned reply for %s", c)
		}
	}
	if err := tickets.Canned(tickets.DefaultCanned).Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
}

// deadline is the deadline text TestCanned renders with.
func deadline(name string) string {
	if name == "no deadline" {
		return ""
	}
	return "12月9日（周三）"
}
