package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/api"
	"github.com/gridcast/gridcast/audit"
)

// A resident's page: their record, household, messages and tickets,
// masked for staff above the grid, in clear for the grid's own worker
// (on the audit log as pii.view), refused outside the caller's scope. On
// both store drivers.
func TestResidentPage(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			f := newScopeFixture(t, driver)
			h, err := api.New(api.Config{Segments: f.st, Tickets: ticketStore{f.st}, Records: f.st, Users: f.st, Audit: f.st,
				Ready: func(context.Context) error { return nil }})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(h)
			t.Cleanup(srv.Close)
			res := f.residents[0]
			own := testUser{"本网格员", "tok-own-grid", []access.Role{access.RoleWorker}, []string{res.GridCode}}
			addUsers(t, f.st, own)
			page := fmt.Sprintf("%s/api/v1/residents/%d", srv.URL, res.ID)
			get := func(token string) (int, api.ResidentPage, string) {
				code, _, body := as(t, token, "GET", page, "")
				var p api.ResidentPage
				if code == 200 {
					if err := json.Unmarshal([]byte(body), &p); err != nil {
						t.Fatalf("%s: %v", body, err)
					}
				}
				return code, p, body
			}

			code, p, body := get(f.city.token)
			if code != 200 || p.Clear || p.Name != res.Name.Masked() || p.Phone != res.Phone.Masked() {
				t.Fatalf("as the city's admin: %d %s; want the resident masked", code, body)
			}
			if strings.Contains(body, string(res.Name)) || strings.Contains(body, string(res.Phone)) {
				t.Errorf("the masked page shows the name or phone in clear: %s", body)
			}
			if len(p.Tickets) == 0 || p.Tickets[0].ID != f.a || p.Tickets[0].CategoryLabel == "" {
				t.Errorf("tickets %+v, want ticket %d", p.Tickets, f.a)
			}
			if p.StatusLabel != "在册" || p.Grid != res.GridCode {
				t.Errorf("record: status %q, grid %q", p.StatusLabel, p.Grid)
			}

			code, p, body = get(own.token)
			if code != 200 || !p.Clear || p.Name != string(res.Name) || p.Phone != string(res.Phone) {
				t.Fatalf("as the grid's own worker: %d %s; want the resident in clear", code, body)
			}
			es, err := f.st.AuditEntries(t.Context(), audit.Filter{Action: string(audit.ActionView), Subject: fmt.Sprintf("resident:%d", res.ID)})
			if err != nil || len(es) != 1 || es[0].Actor != own.name {
				t.Errorf("pii.view entries %+v, %v; want one by %s", es, err, own.name)
			}

			if code, _, _ := get(f.out[access.RoleViewer].token); code != 403 {
				t.Errorf("a viewer of the other street: %d, want 403", code)
			}
			if code, _, _ := as(t, f.city.token, "GET", srv.URL+"/api/v1/residents/abc", ""); code != 400 {
				t.Errorf("a bad id: %d, want 400", code)
			}
			if code, _, _ := as(t, f.city.token, "GET", srv.URL+"/api/v1/residents/987654", ""); code != 404 {
				t.Errorf("an unknown resident: %d, want 404", code)
			}
			if code, _, _ := as(t, "", "GET", page, ""); code != 401 {
				t.Errorf("without a token: %d, want 401", code)
			}
		})
	}
}
