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
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/api"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/store"
)

var _ api.ResidentRecords = (*store.Store)(nil)

// The living records over the API: the worker of the resident's grid and
// staff above it change a record, a worker elsewhere or a viewer cannot, a
// bad value is refused whole, lists mask personal data, and every change
// is on the audit log.
func TestRecordsAPI(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			testRecordsAPI(t, driver)
		})
	}
}

func testRecordsAPI(t *testing.T, driver string) {
	f := newDeskFixtureOn(t, driver)
	ctx := t.Context()
	r, err := f.st.Resident(ctx, f.residents[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	street := strings.Join(strings.Split(r.GridCode, "-")[:2], "-")
	other := "NY-02-01-01"
	if err := f.st.UpsertGrids(ctx, []population.Grid{
		{Code: "NY-02", Name: "西街道", Level: population.LevelStreet, ParentCode: "NY"},
		{Code: "NY-02-01", Name: "柳岸社区", Level: population.LevelCommunity, ParentCode: "NY-02"},
		{Code: other, Name: "柳岸第一网格", Level: population.LevelGrid, ParentCode: "NY-02-01"},
	}); err != nil {
		t.Fatal(err)
	}
	own := testUser{"网格员甲", "tok-own", []access.Role{access.RoleWorker}, []string{r.GridCode}}
	staff := testUser{"街道干部", "tok-staff", []access.Role{access.RoleOfficer}, []string{street}}
	elsewhere := testUser{"网格员乙", "tok-else", []access.Role{access.RoleWorker}, []string{other}}
	viewer := testUser{"查看员", "tok-view", []access.Role{access.RoleViewer}, []string{street}}
	admin := testUser{"管理员", "tok-admin", []access.Role{access.RoleAdmin}, cityWide}
	addUsers(t, f.st, own, staff, elsewhere, viewer, admin)
	h, err := api.New(api.Config{Segments: f.st, Records: f.st, Users: f.st, Audit: f.st, Ready: func(context.Context) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	changes := fmt.Sprintf("%s/api/v1/residents/%d/changes", srv.URL, r.ID)
	stored := func() int {
		cs, err := f.st.ResidentChanges(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		return len(cs)
	}

	// Refused: a bad value beside good ones (nothing stored), another
	// grid's worker, a viewer, someone else named as the actor.
	for _, tc := range []struct {
		who  testUser
		body string
		code int
		says string
	}{
		{own, `{"status":"deceased","living":"cave"}`, 400, "居民信息变更无效"},
		{own, `{"phone":"12345"}`, 400, "phone"},
		{own, `{}`, 400, "未填写变更内容"},
		{own, `{"salary":"1"}`, 400, "salary"},
		{own, `{"status":"deceased","by":"别人"}`, 400, "by"},
		{elsewhere, `{"status":"deceased"}`, 403, "scope"},
		{viewer, `{"status":"deceased"}`, 403, ""},
	} {
		code, _, body := as(t, tc.who.token, "POST", changes, tc.body)
		if code != tc.code || !strings.Contains(body, tc.says) {
			t.Errorf("%s %s: %d %s; want %d saying %q", tc.who.name, tc.body, code, body, tc.code, tc.says)
		}
	}
	if n := stored(); n != 0 {
		t.Fatalf("refused requests stored %d changes", n)
	}

	// The grid's worker records a new phone and that the resident lives
	// alone; the street's officer later that they died.
	code, _, body := as(t, own.token, "POST", changes, `{"phone":"13700009999","living":"独居","health":"高血压","note":"入户核实"}`)
	var rec api.RecordedView
	if code != 200 || json.Unmarshal([]byte(body), &rec) != nil || len(rec.Changes) != 3 {
		t.Fatalf("worker's change: %d %s", code, body)
	}
	if strings.Contains(body, "13700009999") || strings.Contains(body, "高血压") || strings.Contains(body, string(r.Phone)) {
		t.Errorf("the answer shows personal data in clear: %s", body)
	}
	if c := rec.Changes[0]; c.Field != "phone" || c.After != "137****9999" || c.By != own.name || c.Label != "联系电话" {
		t.Errorf("phone change shown as %+v", c)
	}
	code, _, body = as(t, staff.token, "POST", changes, `{"status":"死亡","note":"家属告知"}`)
	if code != 200 || !strings.Contains(body, `"after":"deceased"`) {
		t.Fatalf("staff's change: %d %s", code, body)
	}
	if got, _ := f.st.Resident(ctx, r.ID); got.Active() || got.Phone != "13700009999" {
		t.Errorf("after the changes: status %q phone %s", got.Status, got.Phone.Masked())
	}

	// The resident's history, masked, to anyone whose scope covers them.
	code, _, body = as(t, viewer.token, "GET", changes, "")
	var list []api.ChangeView
	if code != 200 || json.Unmarshal([]byte(body), &list) != nil || len(list) != 4 {
		t.Fatalf("history: %d %s", code, body)
	}
	if list[0].Before != r.Phone.Masked() || strings.Contains(body, "高血压") {
		t.Errorf("history shows %q → %q; body %s", list[0].Before, list[0].After, body)
	}
	if code, _, _ := as(t, elsewhere.token, "GET", changes, ""); code != 403 {
		t.Errorf("history to another grid's worker: %d, want 403", code)
	}

	// The change list since a date, in the caller's scope.
	since := time.Now().Add(-time.Hour).In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly)
	page := func(u testUser, q string) api.ChangesPage {
		t.Helper()
		code, _, body := as(t, u.token, "GET", srv.URL+"/api/v1/residents/changes?"+q, "")
		var p api.ChangesPage
		if code != 200 || json.Unmarshal([]byte(body), &p) != nil {
			t.Fatalf("change list %s: %d %s", q, code, body)
		}
		return p
	}
	p := page(staff, "since="+since)
	if len(p.Changes) != 4 || p.Next != 0 || p.Changes[0].IDNumber != r.IDMasked || p.Changes[0].Name != r.Name.Masked() {
		t.Errorf("staff's change list: %+v", p)
	}
	if p := page(staff, "since="+since+"&limit=3"); len(p.Changes) != 3 || p.Next != p.Changes[2].ID {
		t.Errorf("first page of 3: %+v", p)
	} else if rest := page(staff, fmt.Sprintf("since=%s&limit=3&after=%d", since, p.Next)); len(rest.Changes) != 1 {
		t.Errorf("second page: %+v", rest)
	}
	if p := page(elsewhere, "since="+since); len(p.Changes) != 0 {
		t.Errorf("another grid's worker sees %d changes", len(p.Changes))
	}
	for _, q := range []string{"since=yesterday", "", "since=" + since + "&limit=0", "since=" + since + "&after=x"} {
		if code, _, body := as(t, staff.token, "GET", srv.URL+"/api/v1/residents/changes?"+q, ""); code != 400 {
			t.Errorf("change list ?%s: %d %s, want 400", q, code, body)
		}
	}

	// Every change is on the audit log, masked.
	code, _, body = as(t, admin.token, "GET", srv.URL+"/api/v1/audit?action=resident.change", "")
	if code != 200 || strings.Count(body, fmt.Sprintf(`"resident:%d"`, r.ID)) != 2 {
		t.Errorf("audit: %d %s", code, body)
	}
	if strings.Contains(body, "13700009999") || strings.Contains(body, "高血压") {
		t.Errorf("the audit log holds personal data in clear: %s", body)
	}
}

// TestRecordsOpenAPI keeps openapi.yaml in step with the living records'
// types and routes.
func TestRecordsOpenAPI(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		Paths      map[string]map[string]any
		Components struct {
			Schemas map[string]struct {
				Properties map[string]any
			}
		}
	}
	if err := yaml.Unmarshal(raw, &spec); err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]any{
		"ChangeRequest": api.ChangeRequest{}, "ChangeView": api.ChangeView{}, "RecordedView": api.RecordedView{}, "ChangesPage": api.ChangesPage{},
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
	for path, methods := range map[string][]string{
		"/api/v1/residents/{id}/changes": {"get", "post"}, "/api/v1/residents/changes": {"get"},
	} {
		for _, m := range methods {
			if _, ok := spec.Paths[path][m]; !ok {
				t.Errorf("openapi.yaml lacks %s %s", strings.ToUpper(m), path)
			}
		}
	}
}
