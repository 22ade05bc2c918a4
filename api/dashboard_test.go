package api_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/api"
	"github.com/gridcast/gridcast/assessment"
	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/dispatch"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/store"
	"github.com/gridcast/gridcast/visits"
)

var _ api.DashboardStore = (*store.Store)(nil)

// The dashboard shows each caller the figures of their scope: a street's
// viewer their street's ticket grouped by community, its department task
// and its graded worker; another street's viewer none of them; the city
// the departments' figures of the whole desk; a street's running campaign
// shows its delivery per channel to that street only. Bad periods are refused in
// words, and departments are refused the dashboard. On both drivers.
func TestDashboard(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			testDashboard(t, driver)
		})
	}
}

func testDashboard(t *testing.T, driver string) {
	f := newScopeFixture(t, driver)
	ctx := t.Context()
	scorer, err := assessment.New(assessment.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	inputs := func(ctx context.Context, m assessment.Period) ([]assessment.Input, error) {
		return f.st.AssessmentInputs(ctx, m, visits.DefaultConfig(), f.desk.SLA().OnTime)
	}
	h, err := api.New(api.Config{Segments: f.st, Tickets: ticketStore{f.st}, Desk: f.desk, Users: f.st, Dispatch: f.st,
		Dashboard: f.st, Assessor: assessment.Assessor{Scorer: scorer, Inputs: inputs},
		Ready: func(context.Context) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	if _, err := f.desk.Dispatch(ctx, f.b, []dispatch.Task{{Department: "chengguan", DueAt: time.Now().Add(72 * time.Hour)}}, "街道指挥中心"); err != nil {
		t.Fatal(err)
	}
	// The street NY-01's campaign runs: two SMS, one delivered.
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
		{ResidentID: f.residents[1].ID, Channel: population.ChannelSMS}}, f.residents[1].ID, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, to := range []outbound.Status{outbound.StatusSent, outbound.StatusDelivered} {
		if ok, err := f.st.AdvanceMessage(ctx, ms[0].ID, to, outbound.Update{ProviderID: "s0", ProviderCode: "DELIVERED"}); !ok || err != nil {
			t.Fatalf("advance to %s: %v %v", to, ok, err)
		}
	}
	get := func(u testUser, query string) (int, api.Dashboard, string) {
		t.Helper()
		code, _, body := as(t, u.token, "GET", srv.URL+"/api/v1/dashboard"+query, "")
		var d api.Dashboard
		if code == 200 {
			if err := json.Unmarshal([]byte(body), &d); err != nil {
				t.Fatalf("dashboard: %v in %s", err, body)
			}
		}
		return code, d, body
	}

	// The street NY-02's viewer: ticket b alone, by community.
	code, d, body := get(f.out[access.RoleViewer], "")
	if code != 200 {
		t.Fatalf("street viewer: %d %s", code, body)
	}
	if d.Tickets.Total != 1 || d.Tickets.Open != 1 || d.By != "community" || len(d.Tickets.Units) != 1 ||
		d.Tickets.Units[0].Code != "NY-02-01" || d.Tickets.Units[0].Name != "柳岸社区" || d.Tickets.Units[0].Total != 1 {
		t.Errorf("street viewer's tickets = %+v by %s, want ticket b under 柳岸社区", d.Tickets, d.By)
	}
	sum := 0
	for _, c := range d.Tickets.ByStatus {
		sum += c.Count
	}
	if sum != 1 || len(d.Tickets.ByCategory) != 1 || d.Tickets.ByCategory[0].Label == "" {
		t.Errorf("street viewer's by status %+v, by category %+v: want ticket b once in each", d.Tickets.ByStatus, d.Tickets.ByCategory)
	}
	if len(d.Departments) != 1 || d.Departments[0].Department != "chengguan" || d.Departments[0].Label != "城管" ||
		d.Departments[0].Tasks != 1 || d.Departments[0].Open != 1 || d.Departments[0].Overdue != 0 {
		t.Errorf("street viewer's departments = %+v, want 城管's one open task", d.Departments)
	}
	if len(d.Campaigns) != 0 || len(d.Channels) != 0 {
		t.Errorf("street viewer sees NY-01's campaign: %+v", d.Campaigns)
	}
	if len(d.Visits.Workers) != 1 || d.Visits.Workers[0].Worker != "W-NY-02-01-01" || d.Visits.Workers[0].Name != "周杰" {
		t.Errorf("street viewer's visit coverage = %+v, want 周杰's alone", d.Visits)
	}
	graded := 0
	for _, g := range d.Grades {
		graded += g.Count
		if g.Label == "" {
			t.Errorf("grade %+v has no label", g)
		}
	}
	if graded != 1 {
		t.Errorf("street viewer's grades = %+v, want one worker graded", d.Grades)
	}
	if d.Month != assessment.MonthOf(time.Now()).String() {
		t.Errorf("month = %q, want this month", d.Month)
	}

	// NY-01's viewer: tickets a and a2, nothing of NY-02.
	_, d, _ = get(f.in[access.RoleViewer], "")
	if d.Tickets.Total != 2 || len(d.Departments) != 0 {
		t.Errorf("NY-01 viewer: %d tickets, departments %+v; want 2 and none", d.Tickets.Total, d.Departments)
	}
	wantChannels := []api.DashboardChannel{{Channel: "sms", Label: "短信", Pending: 1, Delivered: 1}}
	if len(d.Campaigns) != 1 || d.Campaigns[0].ID != f.campaign || d.Campaigns[0].Targeted != 2 ||
		!reflect.DeepEqual(d.Campaigns[0].Channels, wantChannels) || !reflect.DeepEqual(d.Channels, wantChannels) {
		t.Errorf("NY-01 viewer's campaigns %+v, channels %+v; want the street's campaign, one SMS delivered and one waiting", d.Campaigns, d.Channels)
	}
	for _, w := range d.Visits.Workers {
		if w.Worker == "W-NY-02-01-01" {
			t.Errorf("NY-01 viewer sees NY-02's worker %+v", w)
		}
	}

	// The city: the desk's dispatch figures; a day range that holds today.
	today := time.Now().Format(time.DateOnly)
	_, d, _ = get(f.city, "?from="+today+"&to="+today)
	if d.Tickets.Total != 3 || len(d.Departments) != 1 || d.Departments[0].Tasks != 1 || d.By != "street" {
		t.Errorf("city: %d tickets, departments %+v, by %s; want 3, 城管's task, by street", d.Tickets.Total, d.Departments, d.By)
	}
	// A period before the tickets: none.
	if _, d, _ = get(f.city, "?from=2020-01-01&to=2020-01-31"); d.Tickets.Total != 0 || d.Month != "2020-01" {
		t.Errorf("January 2020: %d tickets, month %s; want none of 2020-01", d.Tickets.Total, d.Month)
	}

	for _, c := range []struct{ query, want string }{
		{"?from=12/01/2026", "请填写日期"},
		{"?from=2026-12-05&to=2026-12-01", "结束日期"},
		{"?from=2020-01-01&to=2026-12-01", "不能超过"},
	} {
		if code, _, body := get(f.city, c.query); code != 400 || !strings.Contains(body, c.want) {
			t.Errorf("%s: %d %s, want 400 saying %s", c.query, code, body, c.want)
		}
	}
	if code, _, _ := get(f.in[access.RoleDepartment], ""); code != 403 {
		t.Errorf("a department's user: %d, want 403", code)
	}
}
