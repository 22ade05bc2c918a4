package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/api"
	"github.com/gridcast/gridcast/assessment"
	"github.com/gridcast/gridcast/blob"
	"github.com/gridcast/gridcast/blob/localfs"
	"github.com/gridcast/gridcast/desk"
	"github.com/gridcast/gridcast/internal/testlog"
	"github.com/gridcast/gridcast/tickets"
	"github.com/gridcast/gridcast/visits"
)

// A grid worker's month end to end, on both drivers, as the worker and
// their street see it through the API: the register plans the month from
// the norms; the worker records a visit in person, one by phone and one
// not at home; marks a resident deceased, whom the audience then leaves
// out; reports an event and resolves it; and the street's 考核 scores the
// month — the score and grade worked out by hand below from those facts.
func TestWorkerMonthEndToEnd(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			testWorkerMonth(t, driver)
		})
	}
}

func testWorkerMonth(t *testing.T, driver string) {
	f := newScopeFixture(t, driver)
	ctx := t.Context()
	log := testlog.New(t)
	bs, err := localfs.New(filepath.Join(t.TempDir(), "media"))
	if err != nil {
		t.Fatal(err)
	}
	media, err := blob.NewMedia(bs, blob.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	dk, err := desk.New(desk.Config{}, desk.Deps{Store: f.st, Dispatcher: f.rec, Log: log, Media: media})
	if err != nil {
		t.Fatal(err)
	}
	scorer, err := assessment.New(assessment.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	inputs := func(ctx context.Context, m assessment.Period) ([]assessment.Input, error) {
		return f.st.AssessmentInputs(ctx, m, visits.DefaultConfig(), dk.SLA().OnTime)
	}
	h, err := api.New(api.Config{Segments: f.st, Tickets: ticketStore{f.st}, Desk: dk, Users: f.st, Audit: f.st, Records: f.st,
		Visits: f.st, Assessor: assessment.Assessor{Scorer: scorer, Inputs: inputs},
		Ready: func(context.Context) error { return nil }, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	w, err := f.st.WorkerByCode(ctx, f.inWorkerCode)
	if err != nil {
		t.Fatal(err)
	}
	own := testUser{"网格员" + w.Code, "tok-month-own", []access.Role{access.RoleWorker}, []string{w.GridCode}}
	street := testUser{"街道考核员", "tok-month-street", []access.Role{access.RoleViewer}, []string{"NY-01"}}
	addUsers(t, f.st, own, street)

	// 1. The month's plan from the norms.
	var reg api.VisitRegister
	if code, _, b := as(t, own.token, "GET", srv.URL+"/api/v1/visits/register?worker="+w.Code, ""); code != 200 || json.Unmarshal([]byte(b), &reg) != nil {
		t.Fatalf("the register: %d %s", code, b)
	}
	var residents []int64
	for _, hh := range reg.Households {
		if len(hh.Residents) > 0 {
			residents = append(residents, hh.Residents[0].ID)
		}
	}
	if reg.VisitsDue < 15 || len(residents) < 4 || !reg.Clear {
		t.Fatalf("the register: %d visits due, %d households, clear %v; want at least 15 due, 4 households, in clear for the grid's worker",
			reg.VisitsDue, len(residents), reg.Clear)
	}

	// 2. Three visits: in person, by phone, not at home.
	for i, kind := range []string{"in_person", "phone", "not_home"} {
		body := fmt.Sprintf(`{"worker":%q,"resident_id":%d,"kind":%q,"notes":"例行走访"}`, w.Code, residents[i], kind)
		if code, _, b := as(t, own.token, "POST", srv.URL+"/api/v1/visits", body); code != 201 {
			t.Fatalf("visit %s: %d %s", kind, code, b)
		}
	}
	if code, _, b := as(t, own.token, "POST", srv.URL+"/api/v1/visits", fmt.Sprintf(`{"worker":%q,"resident_id":%d,"kind":"walk_by"}`, w.Code, residents[0])); code != 400 {
		t.Errorf("a visit of no known kind: %d %s, want 400", code, b)
	}

	// 3. A resident has died: their record says so, and the audience
	// leaves them out from then on.
	count := func() int64 {
		t.Helper()
		var c struct{ Count int64 }
		_, _, b := as(t, own.token, "GET", srv.URL+"/api/v1/segments/count?expr=grid:"+w.GridCode, "")
		if err := json.Unmarshal([]byte(b), &c); err != nil {
			t.Fatalf("count: %s", b)
		}
		return c.Count
	}
	before := count()
	if code, _, b := as(t, own.token, "POST", fmt.Sprintf("%s/api/v1/residents/%d/changes", srv.URL, residents[3]),
		`{"status":"deceased","note":"家属告知"}`); code != 200 && code != 201 {
		t.Fatalf("recording the death: %d %s", code, b)
	}
	if after := count(); after != before-1 {
		t.Errorf("the grid's audience after a death: %d, want %d", after, before-1)
	}

	// 4. An event found on the round, reported and resolved.
	var rep api.EventResult
	code, _, b := as(t, own.token, "POST", srv.URL+"/api/v1/events", fmt.Sprintf(`{"grid":%q,"text":"楼道堆放杂物，多日无人清理","category":"environment","worker_code":%q}`, w.GridCode, w.Code))
	if code != 201 || json.Unmarshal([]byte(b), &rep) != nil {
		t.Fatalf("the report: %d %s", code, b)
	}
	if code, _, b := as(t, own.token, "POST", fmt.Sprintf("%s/api/v1/tickets/%d/resolve", srv.URL, rep.Ticket.ID), `{"note":"已清理"}`); code != 200 {
		t.Fatalf("resolving the event: %d %s", code, b)
	}

	// 5. The street's 考核 of the month.
	var ar api.AssessmentReport
	if code, _, b := as(t, street.token, "GET", srv.URL+"/api/v1/assessment?by=grid", ""); code != 200 || json.Unmarshal([]byte(b), &ar) != nil {
		t.Fatalf("the assessment: %d %s", code, b)
	}
	var got *api.AssessmentScore
	for gi := range ar.Groups {
		for wi := range ar.Groups[gi].Workers {
			if ar.Groups[gi].Workers[wi].Worker == w.Code {
				got = &ar.Groups[gi].Workers[wi]
			}
		}
	}
	if got == nil {
		t.Fatalf("the worker is not on the street's sheet: %+v", ar)
	}
	// By hand, with the default weights (visits 30, events 10, on time
	// 20, overdue 10, satisfaction 20, records 10):
	//   visits: 2 done (in person and by phone; not at home does not
	//     count) of the register's due → 2/due × 100;
	//   events: 1 reported of the target 4 → 25;
	//   on time: the one ticket resolved, within its deadline → 100;
	//   overdue: none past its deadline → 100;
	//   satisfaction: no answer this month → left out, its 20 shared
	//     among the other 80 in proportion (each share × 100/80);
	//   records: 1 updated of the target 4 → 25.
	var now api.VisitRegister
	if code, _, b := as(t, own.token, "GET", srv.URL+"/api/v1/visits/register?worker="+w.Code, ""); code != 200 || json.Unmarshal([]byte(b), &now) != nil {
		t.Fatalf("the register at the month's end: %d %s", code, b)
	}
	due := now.VisitsDue
	if now.VisitsDone != 2 || now.NotHome != 1 {
		t.Errorf("the register counts %d visits done and %d not at home; want 2 and 1", now.VisitsDone, now.NotHome)
	}
	visitsPts := math.Round(2.0/float64(due)*1000) / 10
	want := math.Round((30*visitsPts+10*25+20*100+10*100+10*25)/80*10) / 10
	grade := "不合格"
	switch {
	case want >= 90:
		grade = "优秀"
	case want >= 60:
		grade = "合格"
	}
	if math.Abs(got.Points-want) > 0.05 || got.Grade != grade {
		t.Errorf("the month's score %.1f %s; by hand %.1f %s (due %d): %+v", got.Points, got.Grade, want, grade, due, got.Lines)
	}
	wantLines := map[string]float64{"visits": visitsPts, "events": 25, "on_time": 100, "overdue": 100, "records": 25}
	for _, l := range got.Lines {
		if l.Indicator == "satisfaction" {
			if !l.Excluded {
				t.Errorf("satisfaction with no answer counted: %+v", l)
			}
			continue
		}
		if l.Excluded || math.Abs(l.Points-wantLines[l.Indicator]) > 0.05 {
			t.Errorf("%s: %.1f points (excluded %v), want %.1f", l.Indicator, l.Points, l.Excluded, wantLines[l.Indicator])
		}
	}
	if got.Name != string(w.Name) {
		t.Errorf("the worker's name %q; want it in clear (挂牌服务)", got.Name)
	}
	// A worker of another street sees none of it.
	if _, _, b := as(t, f.out[access.RoleViewer].token, "GET", srv.URL+"/api/v1/assessment?by=grid", ""); strings.Contains(b, w.Code) {
		t.Errorf("another street's viewer sees this worker: %s", b)
	}
	if code, _, _ := as(t, street.token, "GET", srv.URL+"/api/v1/assessment?period=2026-13", ""); code != 400 {
		t.Errorf("a bad period: %d, want 400", code)
	}
}

// A visit that finds a problem files it as a reported event from the same
// request, linked from the record; asking for both a new report and an
// existing ticket is refused, and nothing is stored.
func TestVisitOpensAnEvent(t *testing.T) {
	t.Parallel()
	f := newScopeFixture(t, "sqlite")
	ctx := t.Context()
	log := testlog.New(t)
	dk, err := desk.New(desk.Config{}, desk.Deps{Store: f.st, Dispatcher: f.rec, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	h, err := api.New(api.Config{Segments: f.st, Tickets: ticketStore{f.st}, Desk: dk, Users: f.st, Audit: f.st, Visits: f.st,
		Ready: func(context.Context) error { return nil }, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	w, err := f.st.WorkerByCode(ctx, f.inWorkerCode)
	if err != nil {
		t.Fatal(err)
	}
	own := testUser{"网格员" + w.Code, "tok-visit-event", []access.Role{access.RoleWorker}, []string{w.GridCode}}
	addUsers(t, f.st, own)
	var reg api.VisitRegister
	if _, _, b := as(t, own.token, "GET", srv.URL+"/api/v1/visits/register?worker="+w.Code, ""); json.Unmarshal([]byte(b), &reg) != nil || len(reg.Households) == 0 {
		t.Fatalf("the register: %s", b)
	}
	rid := reg.Households[0].Residents[0].ID
	if code, _, b := as(t, own.token, "POST", srv.URL+"/api/v1/visits", fmt.Sprintf(`{"worker":%q,"resident_id":%d,"kind":"in_person","report":"家中燃气管老化","ticket_id":7}`, w.Code, rid)); code != 400 {
		t.Errorf("report and ticket_id together: %d %s, want 400", code, b)
	}
	code, _, b := as(t, own.token, "POST", srv.URL+"/api/v1/visits", fmt.Sprintf(`{"worker":%q,"resident_id":%d,"kind":"in_person","notes":"独居，精神尚可","report":"家中燃气软管老化开裂，需更换","report_category":"heating_gas"}`, w.Code, rid))
	var rec api.VisitRecord
	if code != 201 || json.Unmarshal([]byte(b), &rec) != nil || rec.TicketID == 0 {
		t.Fatalf("a visit with a report: %d %s", code, b)
	}
	tk, err := f.st.Ticket(ctx, rec.TicketID)
	if err != nil {
		t.Fatal(err)
	}
	if tk.Source != tickets.SourcePatrol || tk.ResidentID != rid || tk.Category != tickets.CategoryHeatingGas || tk.GridCode != w.GridCode {
		t.Errorf("the event the visit filed: %+v; want a patrol report about resident %d in %s, 供暖/燃气", tk, rid, w.GridCode)
	}
}
