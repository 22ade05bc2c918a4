package api_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/api"
	"github.com/gridcast/gridcast/audit"
)

// An administrator issues and revokes users through the API: a new token
// works at the next request, a revoked one is refused at the next, and
// every change is on the audit log. On both store drivers.
func TestUserAdministration(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			testUserAdministration(t, newScopeFixture(t, driver))
		})
	}
}

func testUserAdministration(t *testing.T, f *scopeFixture) {
	base := f.srv.URL + "/api/v1/users"
	admin := f.city.token
	code, _, body := as(t, admin, "POST", base, `{"name":"赵敏","roles":["worker"],"grids":["NY-01"]}`)
	var issued api.IssuedToken
	if code != 201 || json.Unmarshal([]byte(body), &issued) != nil || issued.Token == "" || issued.User.ID == 0 {
		t.Fatalf("create: %d %s", code, body)
	}
	if strings.Contains(body, "sha256") || strings.Contains(strings.ToLower(body), "hash") {
		t.Errorf("the answer shows the token's hash: %s", body)
	}
	if code, _, body := as(t, issued.Token, "GET", f.srv.URL+"/api/v1/me", ""); code != 200 || !strings.Contains(body, "赵敏") {
		t.Fatalf("the new token right after create: %d %s", code, body)
	}
	if code, _, _ := as(t, issued.Token, "GET", base, ""); code != 403 {
		t.Errorf("a worker lists users: %d, want 403", code)
	}
	user := fmt.Sprintf("%s/%d", base, issued.User.ID)
	if code, _, body := as(t, admin, "POST", user+"/grant", `{"grids":["NY-02"]}`); code != 200 || !strings.Contains(body, `"NY-02"`) {
		t.Errorf("grant a grid: %d %s", code, body)
	}
	// A new token replaces the old one at once.
	code, _, body = as(t, admin, "POST", user+"/token", `{}`)
	var again api.IssuedToken
	if code != 200 || json.Unmarshal([]byte(body), &again) != nil || again.Token == "" || again.Token == issued.Token {
		t.Fatalf("new token: %d %s", code, body)
	}
	if code, _, _ := as(t, issued.Token, "GET", f.srv.URL+"/api/v1/me", ""); code != 401 {
		t.Errorf("the old token after a new one: %d, want 401", code)
	}
	if code, _, body := as(t, admin, "POST", user+"/revoke", `{"all":true}`); code != 200 || !strings.Contains(body, `"disabled":true`) {
		t.Fatalf("revoke all: %d %s", code, body)
	}
	if code, _, _ := as(t, again.Token, "GET", f.srv.URL+"/api/v1/me", ""); code != 401 {
		t.Errorf("a disabled user's token: %d, want 401", code)
	}
	code, _, body = as(t, admin, "GET", base, "")
	var list []api.UserView
	if code != 200 || json.Unmarshal([]byte(body), &list) != nil || strings.Contains(body, again.Token) {
		t.Fatalf("list: %d %s", code, body)
	}
	found := false
	for _, u := range list {
		found = found || u.Name == "赵敏" && u.Disabled
	}
	if !found {
		t.Errorf("the list does not show 赵敏 disabled: %s", body)
	}
	es, err := f.st.AuditEntries(t.Context(), audit.Filter{Subject: "user:赵敏"})
	if err != nil {
		t.Fatal(err)
	}
	var acts []string
	for _, e := range es {
		if e.Actor != f.city.name || e.Source != audit.SourceAPI {
			t.Errorf("audit entry %+v: want actor %s from the API", e, f.city.name)
		}
		acts = append(acts, string(e.Action))
	}
	if got := strings.Join(acts, " "); got != "user.create user.grant user.token user.revoke" {
		t.Errorf("audit actions %q", got)
	}

	// Revoking a role: the user's next request is refused by role.
	code, _, body = as(t, admin, "POST", base, `{"name":"钱程","roles":["officer","viewer"],"grids":["NY-01"]}`)
	var o api.IssuedToken
	if code != 201 || json.Unmarshal([]byte(body), &o) != nil {
		t.Fatalf("create officer: %d %s", code, body)
	}
	if code, _, _ := as(t, o.Token, "DELETE", f.srv.URL+"/api/v1/segments/none", ""); code == 403 {
		t.Fatalf("an officer deletes a segment: 403 before the revoke")
	}
	if code, _, body := as(t, admin, "POST", fmt.Sprintf("%s/%d/revoke", base, o.User.ID), `{"roles":["officer"]}`); code != 200 {
		t.Fatalf("revoke officer: %d %s", code, body)
	}
	if code, _, _ := as(t, o.Token, "DELETE", f.srv.URL+"/api/v1/segments/none", ""); code != 403 {
		t.Errorf("after the revoke: %d, want 403", code)
	}
}

// Bad input is refused with a sentence naming it, and nothing is kept;
// non-administrators and administrators outside a user's scope are
// refused; the last whole-city administrator stays.
func TestUserAdministrationRefusals(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			f := newScopeFixture(t, driver)
			base := f.srv.URL + "/api/v1/users"
			admin := f.city.token
			before, _ := f.st.Users(t.Context())
			for _, c := range []struct{ body, want string }{
				{`{"name":"甲","roles":["boss"],"grids":["NY-01"]}`, "未知角色"},
				{`{"name":"甲","roles":["worker"],"grids":["XX-99"]}`, "XX-99"},
				{`{"name":"甲","roles":["worker"]}`, "管辖范围"},
				{`{"name":"","roles":["worker"],"grids":["NY-01"]}`, "姓名"},
				{`{"name":"甲","roles":["department"]}`, "部门"},
			} {
				if code, _, body := as(t, admin, "POST", base, c.body); code != 400 || !strings.Contains(body, c.want) {
					t.Errorf("create %s: %d %s, want 400 naming %s", c.body, code, body, c.want)
				}
			}
			if code, _, body := as(t, admin, "POST", base, `{"name":"in-worker","roles":["worker"],"grids":["NY-01"]}`); code != 409 {
				t.Errorf("a taken name: %d %s, want 409", code, body)
			}
			for _, r := range access.Roles {
				if r == access.RoleAdmin {
					continue
				}
				if code, _, _ := as(t, f.in[r].token, "POST", base, `{"name":"乙","roles":["viewer"],"grids":["NY-01"]}`); code != 403 {
					t.Errorf("%s creates a user: %d, want 403", r, code)
				}
			}
			// The street's administrator manages the street's users, not the other street's.
			if code, _, body := as(t, f.in[access.RoleAdmin].token, "POST", base, `{"name":"丙","roles":["viewer"],"grids":["NY-02"]}`); code != 403 {
				t.Errorf("an admin of NY-01 creates a user of NY-02: %d %s, want 403", code, body)
			}
			if code, _, body := as(t, f.in[access.RoleAdmin].token, "POST", base, `{"name":"丁","roles":["viewer"],"grids":["NY-01"]}`); code != 201 {
				t.Errorf("an admin of NY-01 creates a user of NY-01: %d %s", code, body)
			}
			us, _ := f.st.Users(t.Context())
			if len(us) != len(before)+1 {
				t.Errorf("%d users after the refusals, want %d (only 丁 added)", len(us), len(before)+1)
			}
			var city access.User
			for _, u := range us {
				if u.Name == f.city.name {
					city = u
				}
			}
			if code, _, body := as(t, admin, "POST", fmt.Sprintf("%s/%d/revoke", base, city.ID), `{"all":true}`); code != 409 || !strings.Contains(body, "最后一位全市管理员") {
				t.Errorf("the last city admin disables themself: %d %s, want 409", code, body)
			}
			if code, _, _ := as(t, admin, "GET", f.srv.URL+"/api/v1/me", ""); code != 200 {
				t.Errorf("the city admin after the refusal: %d", code)
			}
			if code, _, _ := as(t, admin, "POST", base+"/0/grant", `{"roles":["viewer"]}`); code != 400 {
				t.Errorf("user id 0: %d, want 400", code)
			}
			if code, _, _ := as(t, admin, "POST", base+"/99999/grant", `{"roles":["viewer"]}`); code != 404 {
				t.Errorf("an unknown user: %d, want 404", code)
			}
		})
	}
}
