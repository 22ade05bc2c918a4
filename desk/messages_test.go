package desk_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/desk"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/population"
)

// wechatResident returns a resident who bound WeChat.
func (f *fixture) wechatResident(t *testing.T) population.Resident {
	t.Helper()
	for _, r := range f.res {
		if r.OpenID != "" {
			return r
		}
	}
	t.Fatal("no resident with WeChat")
	return population.Resident{}
}

// Outside WeChat's customer-service window the desk answers a resident by
// template message. WeChat shows only keyword fields, 20 characters each:
// the request, the progress, the answer and the worker are each in one, and
// a longer answer goes in parts that WeChat shows whole, one message each.
func TestWeChatTemplateReply(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	r := f.wechatResident(t)
	out := f.wechat(t, string(r.OpenID), "tpl1", "楼道灯坏了一个星期了")
	f.now.Add(int64(49 * time.Hour)) // the window is closed
	tk, err := f.st.Ticket(ctx, out.TicketID)
	if err != nil {
		t.Fatal(err)
	}
	w, err := f.st.WorkerByID(ctx, tk.AssigneeWorkerID)
	if err != nil {
		t.Fatal(err)
	}
	request := fmt.Sprintf("#%d %s", tk.ID, tk.Category.Label())
	tests := []struct {
		name      string
		text      string
		wantParts []string
	}{
		{name: "short", text: "灯已修好", wantParts: []string{"灯已修好"}},
		{name: "twenty characters, latin and digit runs counting one", text: "师傅电话13912345678，明天9:30到11:00上门修LED。",
			wantParts: []string{"师傅电话13912345678，明天9:30到11:00上门修LED。"}},
		{name: "long", text: "您好，已联系物业维修楼道灯，师傅明天上午九点到十一点之间上门更换，届时请留意敲门。如果明天还不亮，请再回复我们。",
			wantParts: []string{"您好，已联系物业维修楼道灯，", "师傅明天上午九点到十一点之间上门更换，", "届时请留意敲门。如果明天还不亮，", "请再回复我们。"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sent, err := f.desk.Reply(ctx, tk.ID, "网格员", tt.text)
			if err != nil {
				t.Fatal(err)
			}
			var want, got []map[string]string
			for i, p := range tt.wantParts {
				progress := "网格员已回复"
				if len(tt.wantParts) > 1 {
					progress += fmt.Sprintf("（%d/%d）", i+1, len(tt.wantParts))
				}
				want = append(want, map[string]string{"keyword1": request, "keyword2": progress, "keyword3": p, "keyword4": string(w.Name)})
			}
			var joined strings.Builder
			for _, m := range sent {
				if m.Route != outbound.RouteWeChatTemplate || m.TemplateCode != "TPL_GRID_TICKET" || m.To != string(r.OpenID) {
					t.Errorf("part %+v: want a template message TPL_GRID_TICKET to the resident", m)
				}
				for k, v := range m.Params {
					if shown := campaigns.WeChatField(v); shown != v {
						t.Errorf("%s %q: WeChat shows %q", k, v, shown)
					}
				}
				got = append(got, m.Params)
				joined.WriteString(m.Text)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
			if joined.String() != tt.text {
				t.Errorf("parts join to %q, want %q", joined.String(), tt.text)
			}
		})
	}

	// The rating request fits one message: the resident sees how to rate.
	if _, err := f.desk.Resolve(ctx, tk.ID, "网格员", "已修好"); err != nil {
		t.Fatal(err)
	}
	var rating []map[string]string
	for _, m := range f.queued(t) {
		if m.Purpose == outbound.PurposeRatingRequest {
			rating = append(rating, m.Params)
		}
	}
	want := []map[string]string{{"keyword1": request, "keyword2": "已办结", "keyword3": "已办结，请回复1满意2基本满意3不满意", "keyword4": string(w.Name)}}
	if diff := cmp.Diff(want, rating); diff != "" {
		t.Errorf("rating request (-want +got):\n%s", diff)
	}
}

// A worker who bound WeChat hears of a new ticket by template message:
// the ticket, the event, the resident's text as far as WeChat shows it and
// the deadline, each in a keyword field.
func TestWorkerNotificationFields(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	r := f.smsOnly(t, 0)
	w, err := f.st.WorkerForGrid(ctx, r.GridCode, population.RoleGridWorker)
	if err != nil {
		t.Fatal(err)
	}
	w.OpenID = "oGridWorker0000000000000000001"
	if err := f.st.UpsertWorkers(ctx, []population.Worker{w}); err != nil {
		t.Fatal(err)
	}
	text := "小区门口的垃圾桶满了三天没人清运，气味很大，夏天蚊虫也多，请尽快处理"
	out, err := f.desk.Handle(ctx, desk.Message{Channel: population.ChannelSMS, ProviderMsgID: "n1", From: string(r.Phone), Text: text})
	if err != nil {
		t.Fatal(err)
	}
	tk, err := f.st.Ticket(ctx, out.TicketID)
	if err != nil {
		t.Fatal(err)
	}
	var got []map[string]string
	for _, m := range f.queued(t) {
		if m.Purpose == outbound.PurposeNotify {
			if m.Route != outbound.RouteWeChatTemplate || m.TemplateCode != "TPL_GRID_TASK" || m.To != string(w.OpenID) {
				t.Errorf("notification %+v: want a template message TPL_GRID_TASK to the worker", m)
			}
			got = append(got, m.Params)
		}
	}
	want := []map[string]string{{
		"keyword1": fmt.Sprintf("#%d %s", tk.ID, tk.Category.Label()),
		"keyword2": "新工单",
		"keyword3": "小区门口的垃圾桶满了三天没人清运，气味很…",
		"keyword4": tk.DueAt.In(campaigns.Shanghai()).Format("1月2日 15:04"),
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("notification (-want +got):\n%s", diff)
	}
}
