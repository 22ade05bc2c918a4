package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/api"
	"github.com/gridcast/gridcast/assessment"
	"github.com/gridcast/gridcast/audit"
	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/dispatch"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/visits"
)

// download GETs u with token and answers the status, the headers and the
// body.
func download(t *testing.T, token, u string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept-Language", "zh-CN")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, res.Header, b
}

// workbook opens an XLSX answer as its sheets' rows by sheet name, and
// the sheet names in order; it fails the test unless the answer is an
// XLSX attachment whose filename* starts with name (percent-encoded).
func workbook(t *testing.T, code int, h http.Header, body []byte, name string) (map[string][][]string, []string) {
	t.Helper()
	if code != 200 || h.Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
		t.Fatalf("want an XLSX workbook, got %d %s: %.300s", code, h.Get("Content-Type"), body)
	}
	cd := h.Get("Content-Disposition")
	if !strings.HasPrefix(cd, `attachment; filename="`) || !strings.Contains(cd, "filename*=UTF-8''"+encodeName(name)) {
		t.Errorf("Content-Disposition = %q, want an attachment named %s…", cd, name)
	}
	f, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("open the workbook: %v", err)
	}
	defer f.Close()
	out := map[string][][]string{}
	for _, s := range f.GetSheetList() {
		rows, err := f.GetRows(s)
		if err != nil {
			t.Fatal(err)
		}
		out[s] = rows
	}
	return out, f.GetSheetList()
}

// encodeName percent-encodes every byte of a Chinese name (what RFC 5987
// asks of anything but ASCII letters, digits and a few marks).
func encodeName(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if c < 0x80 {
			b.WriteByte(c)
			continue
		}
		b.WriteString("%" + strings.ToUpper(strconv.FormatInt(int64(c), 16)))
	}
	return b.String()
}

// cell is the value in the row of rows whose first cell is key, at col;
// "" when there is none.
func cell(rows [][]string, key string, col int) string {
	for _, r := range rows {
		if len(r) > col && r[0] == key {
			return r[col]
		}
	}
	return ""
}

// The dashboard downloads as one workbook, a sheet per table, with the
// figures the JSON answer gives the same caller; a campaign's reach is cut
// to the caller's scope (a street's leader does not see the city's
// figures); the export is on the audit log; a department is refused. On
// both drivers.
func TestDashboardXLSX(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			testDashboardXLSX(t, driver)
		})
	}
}

func testDashboardXLSX(t *testing.T, driver string) {
	f := newScopeFixture(t, driver)
	ctx := t.Context()
	scorer, err := assessment.New(assessment.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	inputs := func(ctx context.Context, m assessment.Period) ([]assessment.Input, error) {
		return f.st.AssessmentInputs(ctx, m, visits.DefaultConfig(), f.desk.SLA().OnTime)
	}
	h, err := api.New(api.Config{Segments: f.st, Tickets: ticketStore{f.st}, Desk: f.desk, Users: f.st, Dispatch: f.st, Audit: f.st,
		Dashboard: f.st, Assessor: assessment.Assessor{Scorer: scorer, Inputs: inputs},
		Ready: func(context.Context) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	if _, err := f.desk.Dispatch(ctx, f.a, []dispatch.Task{{Department: "chengguan", DueAt: time.Now().Add(72 * time.Hour)}}, "街道指挥中心"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.desk.Dispatch(ctx, f.a2, []dispatch.Task{{Department: "chengguan", DueAt: time.Now().Add(72 * time.Hour)},
		{Department: "fire", DueAt: time.Now().Add(72 * time.Hour)}}, "街道指挥中心"); err != nil {
		t.Fatal(err)
	}
	// The street NY-01's campaign reached three residents: two of NY-01
	// (one delivered) and one who has since moved to NY-02.
	c, err := f.st.Campaign(ctx, f.campaign)
	if err != nil {
		t.Fatal(err)
	}
	c.State = campaigns.StateScheduled
	if err := f.st.ApplyCampaignEvent(ctx, c, campaigns.Event{CampaignID: c.ID, From: campaigns.StateDraft, To: campaigns.StateScheduled, Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.StartRun(ctx, c.ID, 1, time.Now()); err != nil {
		t.Fatal(err)
	}
	ms, err := f.st.WriteMessages(ctx, c.ID, 1, []outbound.Message{{ResidentID: f.residents[0].ID, Channel: population.ChannelSMS},
		{ResidentID: f.residents[1].ID, Channel: population.ChannelSMS}, {ResidentID: f.residents[2].ID, Channel: population.ChannelSMS}},
		f.residents[2].ID, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, to := range []outbound.Status{outbound.StatusSent, outbound.StatusDelivered} {
		if ok, err := f.st.AdvanceMessage(ctx, ms[0].ID, to, outbound.Update{ProviderID: "s0", ProviderCode: "DELIVERED"}); !ok || err != nil {
			t.Fatalf("advance to %s: %v %v", to, ok, err)
		}
	}
	asJSON := func(u testUser) api.Dashboard {
		t.Helper()
		code, _, body := as(t, u.token, "GET", srv.URL+"/api/v1/dashboard", "")
		var d api.Dashboard
		if code != 200 || json.Unmarshal([]byte(body), &d) != nil {
			t.Fatalf("%s's dashboard: %d %s", u.name, code, body)
		}
		return d
	}

	// The street's leader and the city: the street counts its residents'
	// messages alone.
	street, city := asJSON(f.in[access.RoleViewer]), asJSON(f.city)
	if len(street.Campaigns) != 1 || len(city.Campaigns) != 1 {
		t.Fatalf("campaigns: street %+v, city %+v; want the one each", street.Campaigns, city.Campaigns)
	}
	if street.Campaigns[0].Targeted != 2 || city.Campaigns[0].Targeted != 3 {
		t.Errorf("targeted: street %d, city %d; want 2 and 3", street.Campaigns[0].Targeted, city.Campaigns[0].Targeted)
	}
	if d := cmp.Diff([]api.DashboardChannel{{Channel: "sms", Label: "短信", Pending: 1, Delivered: 1}}, street.Channels); d != "" {
		t.Errorf("street's channels (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]api.DashboardChannel{{Channel: "sms", Label: "短信", Pending: 2, Delivered: 1}}, city.Channels); d != "" {
		t.Errorf("city's channels (-want +got):\n%s", d)
	}
	// The departments' tasks of the street's two tickets, read at once.
	tasks := map[string]int{}
	for _, d := range street.Departments {
		tasks[d.Department] = d.Tasks
	}
	if d := cmp.Diff(map[string]int{"chengguan": 2, "fire": 1}, tasks); d != "" {
		t.Errorf("street's department tasks (-want +got):\n%s", d)
	}

	today := time.Now().In(campaigns.Shanghai()).Format(time.DateOnly)
	first := today[:8] + "01"
	code, hd, body := download(t, f.in[access.RoleViewer].token, srv.URL+"/api/v1/dashboard?format=xlsx")
	wb, names := workbook(t, code, hd, body, "数据看板-"+first+"至"+today)
	want := []string{"概况", "工单状态", "工单类别", "各社区工单", "部门任务", "走访覆盖", "活动触达", "本期活动", "考核等级"}
	if d := cmp.Diff(want, names); d != "" {
		t.Fatalf("sheets (-want +got):\n%s", d)
	}
	for sheet, head := range map[string][]string{
		"工单状态":  {"状态", "数量"},
		"各社区工单": {"社区编码", "社区", "工单", "未办结", "已超期", "临期预警"},
		"部门任务":  {"部门", "任务", "待办", "超期", "退回", "办结"},
		"走访覆盖":  {"网格员", "编号", "网格", "已访", "应访", "完成率"},
		"活动触达":  {"渠道", "待发送", "已发送", "已送达", "失败"},
		"本期活动":  {"活动编号", "活动", "状态", "目标人数", "渠道", "待发送", "已发送", "已送达", "失败"},
		"考核等级":  {"等级", "人数"},
	} {
		rows := wb[sheet]
		if len(rows) == 0 || len(rows[0]) < len(head) || !slices.Equal(rows[0][:len(head)], head) {
			t.Errorf("%s's header = %v, want %v first", sheet, rows, head)
		}
	}
	n := strconv.Itoa
	for _, c := range []struct {
		sheet, key string
		col        int
		want       string
	}{
		{"概况", "工单总数", 1, n(street.Tickets.Total)},
		{"概况", "未办结", 1, n(street.Tickets.Open)},
		{"概况", "应走访", 1, n(street.Visits.Due)},
		{"活动触达", "短信", 1, "1"},
		{"活动触达", "短信", 3, "1"},
		{"本期活动", n(int(f.campaign)), 3, "2"},
		{"部门任务", street.Departments[0].Label, 1, n(street.Departments[0].Tasks)},
		{"工单状态", street.Tickets.ByStatus[0].Label, 1, n(street.Tickets.ByStatus[0].Count)},
	} {
		if got := cell(wb[c.sheet], c.key, c.col); got != c.want {
			t.Errorf("%s, row %s, column %d = %q; want %q as in the JSON", c.sheet, c.key, c.col+1, got, c.want)
		}
	}
	if len(wb["走访覆盖"])-1 != len(street.Visits.Workers) || len(wb["各社区工单"])-1 != len(street.Tickets.Units) {
		t.Errorf("rows: %d workers, %d units; want %d and %d", len(wb["走访覆盖"])-1, len(wb["各社区工单"])-1,
			len(street.Visits.Workers), len(street.Tickets.Units))
	}
	// The city's workbook: by street, with the whole campaign.
	code, hd, body = download(t, f.city.token, srv.URL+"/api/v1/dashboard?format=xlsx&from="+today+"&to="+today)
	wb, names = workbook(t, code, hd, body, "数据看板-"+today+"至"+today)
	if !slices.Contains(names, "各街道工单") || cell(wb["本期活动"], n(int(f.campaign)), 3) != "3" || cell(wb["活动触达"], "短信", 1) != "2" {
		t.Errorf("city's workbook: sheets %v, campaigns %v, channels %v", names, wb["本期活动"], wb["活动触达"])
	}
	es, err := f.st.AuditEntries(ctx, audit.Filter{Action: string(audit.ActionExport)})
	if err != nil || len(es) != 2 || es[0].Actor != f.in[access.RoleViewer].name || !strings.HasPrefix(es[0].Subject, "dashboard:") {
		t.Errorf("export entries = %+v, %v; want the two exports", es, err)
	}

	for _, c := range []struct {
		u     testUser
		query string
		code  int
		says  string
	}{
		{f.in[access.RoleDepartment], "?format=xlsx", 403, ""},
		{f.city, "?format=pdf", 400, "格式"},
		{f.city, "?format=xlsx&from=2026-12-05&to=2026-12-01", 400, "结束日期"},
	} {
		code, hd, body := download(t, c.u.token, srv.URL+"/api/v1/dashboard"+c.query)
		if code != c.code || !strings.Contains(string(body), c.says) || strings.Contains(hd.Get("Content-Type"), "spreadsheet") {
			t.Errorf("%s %s: %d %s; want %d saying %s", c.u.name, c.query, code, body, c.code, c.says)
		}
	}
}

// The delivery records download with the JSON's filters, scope and
// masking: the phones masked, another street's officer gets an empty
// sheet, a grid worker is refused, bad filters are refused in words. On
// both drivers.
func TestDeliveriesXLSX(t *testing.T) {
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
			res := f.residents[0]
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
			officer := f.in[access.RoleOfficer].token
			code, _, body := as(t, officer, "GET", srv.URL+"/api/v1/deliveries?phone_tail="+tail, "")
			var ds []api.Delivery
			if code != 200 || json.Unmarshal([]byte(body), &ds) != nil || len(ds) < 2 {
				t.Fatalf("JSON: %d %s; want the notice and the ack", code, body)
			}

			today := time.Now().In(campaigns.Shanghai()).Format(time.DateOnly)
			code, hd, raw := download(t, officer, srv.URL+"/api/v1/deliveries?format=xlsx&phone_tail="+tail)
			wb, names := workbook(t, code, hd, raw, "发送记录-"+today)
			rows := wb["发送记录"]
			if !slices.Equal(names, []string{"发送记录"}) || len(rows) != len(ds)+1 {
				t.Fatalf("sheets %v with %d rows; want 发送记录 with a header and %d rows", names, len(rows), len(ds))
			}
			head := []string{"时间", "手机号", "类型", "渠道", "状态", "返回码", "原因", "网格"}
			if !slices.Equal(rows[0][:len(head)], head) {
				t.Errorf("header = %v, want %v first", rows[0], head)
			}
			for i, d := range ds {
				r := rows[i+1]
				if r[1] != d.Phone || r[len(r)-1] != strconv.FormatInt(d.ID, 10) || r[7] != d.GridCode {
					t.Errorf("row %d = %v; want the JSON's %+v", i+1, r, d)
				}
			}
			if cell(rows, cellTimeOf(ds[0].CreatedAt), 5) != "43004" || cell(rows, cellTimeOf(ds[0].CreatedAt), 6) != "未关注公众号" {
				t.Errorf("the failed notice's row: %v; want 43004 未关注公众号", rows)
			}
			for _, r := range rows {
				for _, v := range r {
					if strings.Contains(v, string(res.Phone)) {
						t.Errorf("the phone shows in clear in the workbook: %v", r)
					}
				}
			}
			// Filters as the JSON's: a status, and another street's officer.
			code, hd, raw = download(t, officer, srv.URL+"/api/v1/deliveries?format=xlsx&status=failed&phone_tail="+tail)
			if wb, _ := workbook(t, code, hd, raw, "发送记录"); len(wb["发送记录"]) != 2 {
				t.Errorf("failed only: %v; want the notice alone", wb["发送记录"])
			}
			code, hd, raw = download(t, f.out[access.RoleOfficer].token, srv.URL+"/api/v1/deliveries?format=xlsx&phone_tail="+tail)
			if wb, _ := workbook(t, code, hd, raw, "发送记录"); len(wb["发送记录"]) != 1 {
				t.Errorf("another street's officer: %v; want the header alone", wb["发送记录"])
			}
			// The export is on the audit log, the phone searched for cut to
			// its last digits.
			code, hd, raw = download(t, officer, srv.URL+"/api/v1/deliveries?format=xlsx&phone_tail="+string(res.Phone))
			if wb, _ := workbook(t, code, hd, raw, "发送记录"); len(wb["发送记录"]) != len(ds)+1 {
				t.Errorf("by the whole phone: %v; want the resident's %d records", wb["发送记录"], len(ds))
			}
			es, err := f.st.AuditEntries(ctx, audit.Filter{Action: string(audit.ActionExport)})
			if err != nil || len(es) != 4 || !strings.HasPrefix(es[3].Subject, "deliveries:") || !strings.Contains(es[3].Detail, `"phone_tail":"*******`+tail+`"`) {
				t.Errorf("export entries = %+v, %v; want four, the last with the tail cut", es, err)
			}
			for _, e := range es {
				if strings.Contains(e.Detail, string(res.Phone)) {
					t.Errorf("the audit log holds the phone in clear: %+v", e)
				}
			}
			for _, c := range []struct {
				token, query string
				code         int
				says         string
			}{
				{f.in[access.RoleWorker].token, "?format=xlsx", 403, ""},
				{f.in[access.RoleViewer].token, "?format=xlsx", 403, ""},
				{officer, "?format=xlsx&phone_tail=12", 400, "手机尾号"},
				{officer, "?format=csv", 400, "格式"},
			} {
				code, hd, body := download(t, c.token, srv.URL+"/api/v1/deliveries"+c.query)
				if code != c.code || !strings.Contains(string(body), c.says) || strings.Contains(hd.Get("Content-Type"), "spreadsheet") {
					t.Errorf("%s: %d %s; want %d saying %s", c.query, code, body, c.code, c.says)
				}
			}
		})
	}
}

// cellTimeOf is a time as the workbooks show it.
func cellTimeOf(t time.Time) string { return t.In(campaigns.Shanghai()).Format(time.DateTime) }

// The audit log downloads for an administrator with the JSON's filters,
// every matching entry in order; anyone else is refused. On both drivers.
func TestAuditXLSX(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			f := newScopeFixture(t, driver)
			ctx := t.Context()
			for _, e := range []audit.Entry{
				{Actor: "王芳", Source: audit.SourceAPI, Action: audit.ActionUnmask, Subject: "resident:34", Reason: "低保复核"},
				{Actor: "李强", OSUser: "ops", Source: audit.SourceCLI, Action: audit.ActionCampaignApprove, Subject: "campaign:12"},
			} {
				if _, err := f.st.AppendAudit(ctx, e); err != nil {
					t.Fatal(err)
				}
			}
			code, _, body := as(t, f.city.token, "GET", f.srv.URL+"/api/v1/audit?action=pii&limit=1000", "")
			var es []audit.Entry
			if code != 200 || json.Unmarshal([]byte(body), &es) != nil || len(es) == 0 {
				t.Fatalf("JSON: %d %s", code, body)
			}
			today := time.Now().In(campaigns.Shanghai()).Format(time.DateOnly)
			code, hd, raw := download(t, f.city.token, f.srv.URL+"/api/v1/audit?format=xlsx&action=pii&newest=true&limit=1")
			wb, names := workbook(t, code, hd, raw, "审计日志-"+today)
			rows := wb["审计日志"]
			if !slices.Equal(names, []string{"审计日志"}) || len(rows) != len(es)+1 {
				t.Fatalf("sheets %v, %d rows; want 审计日志 with a header and the %d pii entries (limit aside)", names, len(rows), len(es))
			}
			if want := []string{"序号", "时间", "操作人", "系统账号", "来源", "操作", "对象", "原因", "详情"}; !slices.Equal(rows[0][:len(want)], want) {
				t.Errorf("header = %v", rows[0])
			}
			last := rows[len(rows)-1]
			if e := es[len(es)-1]; last[0] != strconv.FormatInt(e.Seq, 10) || last[2] != "王芳" || last[5] != "pii.unmask" ||
				last[6] != "resident:34" || last[7] != "低保复核" || last[4] != "接口/控制台" {
				t.Errorf("last row = %v, want the unmasking %+v", last, e)
			}
			for _, c := range []struct {
				u     testUser
				query string
				code  int
			}{
				{f.in[access.RoleAdmin], "?format=xlsx", 200},
				{f.in[access.RoleOfficer], "?format=xlsx", 403},
				{f.in[access.RoleViewer], "?format=xlsx", 403},
				{f.city, "?format=xlsx&since=yesterday", 400},
			} {
				if code, _, body := download(t, c.u.token, f.srv.URL+"/api/v1/audit"+c.query); code != c.code {
					t.Errorf("%s %s: %d %.200s; want %d", c.u.name, c.query, code, body, c.code)
				}
			}
		})
	}
}
