package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/api"
	"github.com/gridcast/gridcast/desk"
	"github.com/gridcast/gridcast/internal/testlog"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/visits"
)

// visitFixture is the scope fixture served with the visit register, its
// first resident living alone elderly (so their household is due every
// week), and users: the grid worker of NY-01-01-01, the community's
// leader, a viewer of the street.
type visitFixture struct {
	*scopeFixture
	url                  string
	own, leader, viewer  testUser
	workerCode, resident string
	res                  population.Resident
}

func newVisitFixture(t *testing.T) *visitFixture {
	t.Helper()
	f := &visitFixture{scopeFixture: newScopeFixture(t, "sqlite")}
	ctx := t.Context()
	f.res = f.residents[0]
	f.res.Categories = append(f.res.Categories, population.ElderlyAlone)
	if _, err := f.st.UpsertResidents(ctx, []population.Resident{f.res}); err != nil {
		t.Fatal(err)
	}
	ws, err := f.st.Workers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range ws {
		if w.Role == population.RoleGridWorker && w.GridCode == f.res.GridCode {
			f.workerCode = w.Code
		}
	}
	if f.workerCode == "" || f.res.GridCode != "NY-01-01-01" {
		t.Fatalf("fixture: resident 0 in %s, worker %q", f.res.GridCode, f.workerCode)
	}
	f.own = testUser{"网格员", "tok-own-grid", []access.Role{access.RoleWorker}, []string{"NY-01-01-01"}}
	f.leader = testUser{"网格长", "tok-leader", []access.Role{access.RoleWorker}, []string{"NY-01-01"}}
	f.viewer = testUser{"观察员", "tok-viewer", []access.Role{access.RoleViewer}, []string{"NY-01"}}
	addUsers(t, f.st, f.own, f.leader, f.viewer)
	f.url = f.serve(t, nil)
	return f
}

// serve serves the fixture's register, with dk as the desk when not nil,
// and returns the server's URL.
func (f *visitFixture) serve(t *testing.T, dk *desk.Service) string {
	t.Helper()
	h, err := api.New(api.Config{Segments: f.st, Tickets: ticketStore{f.st}, Ready: func(context.Context) error { return nil },
		Users: f.st, Audit: f.st, Visits: f.st, VisitNorms: visits.DefaultConfig(), Desk: dk, Log: testlog.New(t)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func (f *visitFixture) register(t *testing.T, u testUser) (int, api.VisitRegister, string) {
	t.Helper()
	code, _, body := as(t, u.token, "GET", f.url+"/api/v1/visits/register?worker="+f.workerCode, "")
	var reg api.VisitRegister
	if code == 200 {
		if err := json.Unmarshal([]byte(body), &reg); err != nil {
			t.Fatalf("register: %v in %s", err, body)
		}
	}
	return code, reg, body
}

// household returns the register's household of the fixture's resident.
func (f *visitFixture) household(t *testing.T, reg api.VisitRegister) api.VisitHousehold {
	t.Helper()
	for _, h := range reg.Households {
		for _, r := range h.Residents {
			if r.ID == f.res.ID {
				return h
			}
		}
	}
	t.Fatalf("register %+v lacks resident %d", reg.Households, f.res.ID)
	return api.VisitHousehold{}
}

// The grid worker of the grid sees the register in clear and the view is
// on the audit log; the leader above sees it masked; another street's
// worker is refused.
func TestVisitRegisterScope(t *testing.T) {
	t.Parallel()
	f := newVisitFixture(t)
	code, reg, body := f.register(t, f.own)
	if code != 200 || !reg.Clear {
		t.Fatalf("own grid's worker: %d clear %v %s", code, reg.Clear, body)
	}
	h := f.household(t, reg)
	var me api.VisitResident
	for _, r := range h.Residents {
		if r.ID == f.res.ID {
			me = r
		}
	}
	if me.Name != string(f.res.Name) || me.Phone != string(f.res.Phone) || h.Address != f.res.Address.String() || h.Every != "week" || h.Required < 4 {
		t.Errorf("own grid's worker sees %+v at %q (%s, %d due); want the resident in clear, weekly", me, h.Address, h.Every, h.Required)
	}
	if reg.VisitsDue != max(reg.Required, 15) || reg.Minimum != 15 || reg.WorkerName == "" {
		t.Errorf("register figures: due %d, minimum %d, worker %q", reg.VisitsDue, reg.Minimum, reg.WorkerName)
	}

	code, reg, body = f.register(t, f.leader)
	if code != 200 || reg.Clear || strings.Contains(body, string(f.res.Phone)) || strings.Contains(body, string(f.res.Name)) {
		t.Errorf("the leader: %d clear %v; want masked: %s", code, reg.Clear, body)
	}
	if h := f.household(t, reg); h.Address == f.res.Address.String() || !strings.Contains(h.Address, f.res.Address.Community) {
		t.Errorf("the leader sees the address %q; want the estate only", h.Address)
	}
	if code, _, _ := f.register(t, f.out[access.RoleWorker]); code != 403 {
		t.Errorf("another street's worker: %d, want 403", code)
	}
	if code, _, body := as(t, f.own.token, "GET", f.url+"/api/v1/visits/register?worker="+f.workerCode+"&period=2026-13", ""); code != 400 || !strings.Contains(body, "2026-12") {
		t.Errorf("a bad period: %d %s", code, body)
	}
	if code, _, _ := as(t, f.own.token, "GET", f.url+"/api/v1/visits/register?worker=NOPE", ""); code != 404 {
		t.Errorf("an unknown worker: %d, want 404", code)
	}

	code, _, body = as(t, f.city.token, "GET", f.url+"/api/v1/audit?action=pii.view", "")
	var es []struct{ Actor, Subject, Reason, Detail string }
	if code != 200 || json.Unmarshal([]byte(body), &es) != nil {
		t.Fatalf("audit: %d %s", code, body)
	}
	if len(es) != 1 || es[0].Actor != "网格员" || es[0].Subject != "grid:NY-01-01-01" || !strings.Contains(es[0].Detail, f.workerCode) {
		t.Errorf("audit = %+v; want the own worker's one clear view of grid NY-01-01-01", es)
	}
}

// A visit is recorded by the grid's worker or the leader above; a bad kind
// is refused with nothing kept; another street's worker and a viewer are
// refused.
func TestVisitRecordAPI(t *testing.T) {
	t.Parallel()
	f := newVisitFixture(t)
	post := func(u testUser, body string) (int, string) {
		code, _, out := as(t, u.token, "POST", f.url+"/api/v1/visits", body)
		return code, out
	}
	body := func(kind string) string {
		return fmt.Sprintf(`{"worker":%q,"resident_id":%d,"kind":%q,"notes":"身体尚好，提醒按时服药"}`, f.workerCode, f.res.ID, kind)
	}
	if code, out := post(f.own, body("walk")); code != 400 || !strings.Contains(out, "入户走访") {
		t.Errorf("a bad kind: %d %s; want 400 naming the kinds", code, out)
	}
	if code, out := post(f.own, `{"worker":"`+f.workerCode+`","resident_id":999999,"kind":"phone"}`); code != 404 {
		t.Errorf("an unknown resident: %d %s", code, out)
	}
	if _, reg, _ := f.register(t, f.own); len(reg.Records) != 0 || f.household(t, reg).Done != 0 {
		t.Fatalf("refused visits left records: %+v", reg.Records)
	}
	if code, out := post(f.out[access.RoleWorker], body("in_person")); code != 403 {
		t.Errorf("another street's worker: %d %s", code, out)
	}
	if code, out := post(f.viewer, body("in_person")); code != 403 {
		t.Errorf("a viewer: %d %s", code, out)
	}
	if code, out := post(f.own, fmt.Sprintf(`{"worker":"W-NY-02-01-01","resident_id":%d,"kind":"phone"}`, f.res.ID)); code != 400 {
		t.Errorf("a visitor from another grid: %d %s", code, out)
	}
	code, out := post(f.own, body("not_home"))
	if code != 201 {
		t.Fatalf("not at home: %d %s", code, out)
	}
	code, out = post(f.leader, fmt.Sprintf(`{"worker":%q,"resident_id":%d,"kind":"in_person","notes":"女儿电话 13912345678，每周来"}`, f.workerCode, f.res.ID))
	var rec api.VisitRecord
	if code != 201 || json.Unmarshal([]byte(out), &rec) != nil || rec.ID == 0 || rec.RecordedBy != "网格长" || rec.Kind != "in_person" || rec.KindLabel != "入户走访" {
		t.Fatalf("the leader records a visit: %d %s", code, out)
	}
	if _, _, masked := f.register(t, f.leader); strings.Contains(masked, "13912345678") || !strings.Contains(masked, "每周来") {
		t.Errorf("the leader's register shows the notes' phone in clear, or no notes: %s", masked)
	}
	_, reg, clear := f.register(t, f.own)
	if !strings.Contains(clear, "13912345678") {
		t.Errorf("the grid's worker does not see the notes in clear: %s", clear)
	}
	h := f.household(t, reg)
	if h.Done != 1 || h.NotHome != 1 || h.LastKind != "in_person" || len(reg.Records) != 2 || reg.VisitsDone != 1 || reg.NotHome != 1 {
		t.Errorf("after an attempt and a visit: household %+v, records %d, done %d, not home %d", h, len(reg.Records), reg.VisitsDone, reg.NotHome)
	}
}

// Overdue visits per grid: a leader sees the community's, masked, with
// a count per worker; another street's grid is refused.
func TestVisitsOverdueAPI(t *testing.T) {
	t.Parallel()
	f := newVisitFixture(t)
	code, _, body := as(t, f.leader.token, "GET", f.url+"/api/v1/visits/overdue?grid=NY-01-01", "")
	var o api.OverdueVisits
	if code != 200 || json.Unmarshal([]byte(body), &o) != nil {
		t.Fatalf("overdue: %d %s", code, body)
	}
	found := false
	for _, h := range o.Households {
		for _, r := range h.Residents {
			if r.ID == f.res.ID {
				found = h.Worker == f.workerCode
			}
		}
	}
	if !found || o.Clear || o.Total != len(o.Households) || len(o.ByWorker) == 0 || strings.Contains(body, string(f.res.Phone)) {
		t.Errorf("overdue for the leader = %s; want the unvisited elderly resident's household, masked, counted per worker", body)
	}
	sum := 0
	for _, c := range o.ByWorker {
		sum += c.Overdue
	}
	if sum != o.Total {
		t.Errorf("per worker %d, total %d", sum, o.Total)
	}
	if code, _, _ := as(t, f.leader.token, "GET", f.url+"/api/v1/visits/overdue?grid=NY-02", ""); code != 403 {
		t.Errorf("another street: %d, want 403", code)
	}
	if code, _, body := as(t, f.own.token, "GET", f.url+"/api/v1/visits/overdue", ""); code != 200 || !strings.Contains(body, `"clear":true`) {
		t.Errorf("the grid worker's own grid by default: %d %s", code, body)
	}
}

// TestVisitsOpenAPI keeps openapi.yaml in step with the register's types
// and routes.
func TestVisitsOpenAPI(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		Paths      map[string]map[string]any
		Components struct {
			Schemas map[string]struct{ Properties map[string]any }
		}
	}
	if err := yaml.Unmarshal(raw, &spec); err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]any{
		"VisitRegister": api.VisitRegister{}, "VisitHousehold": api.VisitHousehold{}, "VisitResident": api.VisitResident{},
		"VisitSlot": api.VisitSlot{}, "VisitRecord": api.VisitRecord{}, "VisitRequest": api.VisitRequest{},
		"OverdueVisits": api.OverdueVisits{}, "OverdueCount": api.OverdueCount{}, "OverdueVisit": api.OverdueVisit{},
		"VisitPhoto": api.VisitPhoto{},
	} {
		var fields, documented []string
		typ := reflect.TypeOf(v)
		for i := range typ.NumField() {
			fields = append(fields, strings.Split(typ.Field(i).Tag.Get("json"), ",")[0])
		}
		for p := range spec.Components.Schemas[name].Properties {
			documented = append(documented, p)
		}
		slices.Sort(fields)
		slices.Sort(documented)
		if !slices.Equal(fields, documented) {
			t.Errorf("schema %s documents %v, the type has %v", name, documented, fields)
		}
	}
	for path, method := range map[string]string{"/api/v1/visits/register": "get", "/api/v1/visits": "post", "/api/v1/visits/overdue": "get",
		"/api/v1/visits/{id}/photos/{n}": "get"} {
		if _, ok := spec.Paths[path][method]; !ok {
			t.Errorf("openapi.yaml lacks %s %s", strings.ToUpper(method), path)
		}
	}
}
