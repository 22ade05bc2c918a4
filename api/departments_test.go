package api_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/api"
	"github.com/gridcast/gridcast/dispatch"
	"github.com/gridcast/gridcast/internal/testlog"
)

// Any signed-in user, a department's too, reads the departments with the
// categories suggested for each; without a token, nobody does.
func TestListDepartments(t *testing.T) {
	t.Parallel()
	dept := testUser{"消防赵队", "tok-fire-dept-9a1", []access.Role{access.RoleDepartment}, nil}
	st := openUserStore(t, viewer)
	if _, err := st.CreateUser(t.Context(), access.User{Name: dept.name, TokenSHA256: dept.user().TokenSHA256,
		Roles: dept.roles, Department: "fire"}); err != nil {
		t.Fatal(err)
	}
	serve := func(cfg api.Config) string {
		cfg.Segments, cfg.Users, cfg.Log = nopSegments{}, st, testlog.New(t)
		cfg.Ready = func(context.Context) error { return nil }
		h, err := api.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		return srv.URL + "/api/v1/departments"
	}

	def := serve(api.Config{})
	if code, _, b := as(t, "", "GET", def, ""); code != 401 {
		t.Errorf("without a token: %d %s", code, b)
	}
	for _, u := range []testUser{viewer, dept} {
		code, _, b := as(t, u.token, "GET", def, "")
		var got []api.Department
		if code != 200 || json.Unmarshal([]byte(b), &got) != nil || len(got) != len(dispatch.DefaultDepartments) {
			t.Fatalf("%s: %d %s", u.name, code, b)
		}
		want := api.Department{Code: "chengguan", Name: "城管", Categories: []api.DepartmentCategory{
			{Category: "environment", Label: "环境卫生"}, {Category: "city_management", Label: "城市管理"}}}
		if diff := cmp.Diff(want, got[0]); diff != "" {
			t.Errorf("%s: chengguan (-want +got):\n%s", u.name, diff)
		}
		if last := got[len(got)-1]; last.Code != "utilities" || last.Categories == nil || len(last.Categories) != 0 {
			t.Errorf("a department without categories: %+v, want an empty list", last)
		}
	}

	// The configured departments and routes.
	own := serve(api.Config{Departments: []dispatch.Department{{Code: "market", Name: "市场监管"}, {Code: "fire", Name: "消防"}},
		DepartmentRoutes: dispatch.Routes{"complaints": {"market"}, "safety": {"fire"}}})
	_, _, b := as(t, viewer.token, "GET", own, "")
	var got []api.Department
	_ = json.Unmarshal([]byte(b), &got)
	want := []api.Department{
		{Code: "market", Name: "市场监管", Categories: []api.DepartmentCategory{{Category: "complaints", Label: "投诉举报"}}},
		{Code: "fire", Name: "消防", Categories: []api.DepartmentCategory{{Category: "safety", Label: "安全隐患/消防"}}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("configured (-want +got):\n%s", diff)
	}
}
