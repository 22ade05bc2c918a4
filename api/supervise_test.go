package api_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/api"
)

// The community's leader flags a ticket 督办; the grid's own worker may
// not. The flag shows on the ticket and in the list, and on the timeline
// with the dispatch's steps; the department's resolution of the only task
// resolves the ticket; the leader lifts the flag and the timeline says
// so. On both drivers.
func TestSuperviseAndDispatchTimeline(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			f := newScopeFixture(t, driver)
			leader := testUser{"网格长", "tok-leader-s", []access.Role{access.RoleWorker}, []string{"NY-01-01"}}
			own := testUser{"网格员", "tok-own-s", []access.Role{access.RoleWorker}, []string{"NY-01-01-01"}}
			addUsers(t, f.st, leader, own)
			if _, err := f.st.CreateUser(t.Context(), access.User{Name: "城管李强", TokenSHA256: testUser{token: "tok-cg-s"}.user().TokenSHA256,
				Roles: []access.Role{access.RoleDepartment}, Department: "chengguan"}); err != nil {
				t.Fatal(err)
			}
			cg := testUser{name: "城管李强", token: "tok-cg-s"}
			ticket := fmt.Sprintf("%s/api/v1/tickets/%d", f.srv.URL, f.a)

			if code, _, b := as(t, own.token, "POST", ticket+"/supervise", `{"note":"x"}`); code != 403 {
				t.Errorf("the grid's own worker supervising: %d %s", code, b)
			}
			code, _, b := as(t, leader.token, "POST", ticket+"/supervise", `{"note":"三日内办结"}`)
			var tk api.Ticket
			if code != 200 || json.Unmarshal([]byte(b), &tk) != nil || tk.Supervised == nil || tk.Supervised.By != "网格长" || tk.Supervised.Note != "三日内办结" {
				t.Fatalf("the leader supervising: %d %s", code, b)
			}
			if code, _, b := as(t, leader.token, "POST", ticket+"/supervise", `{"note":"again"}`); code != 409 {
				t.Errorf("flagging twice: %d %s, want 409", code, b)
			}
			var list []api.Ticket
			_, _, b = as(t, leader.token, "GET", f.srv.URL+"/api/v1/tickets", "")
			if err := json.Unmarshal([]byte(b), &list); err != nil {
				t.Fatal(err)
			}
			flagged := map[int64]bool{}
			for _, x := range list {
				flagged[x.ID] = x.Supervised != nil
			}
			if !flagged[f.a] || flagged[f.a2] {
				t.Errorf("flags in the list %v; want ticket %d only", flagged, f.a)
			}

			due := time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)
			code, _, b = as(t, leader.token, "POST", ticket+"/dispatch", `{"tasks":[{"department":"chengguan","due_at":"`+due+`","note":"清理"}]}`)
			var tasks []api.Task
			if code != 201 || json.Unmarshal([]byte(b), &tasks) != nil || len(tasks) != 1 {
				t.Fatalf("dispatch: %d %s", code, b)
			}
			for _, step := range []string{`{"action":"accept"}`, `{"action":"resolve","note":"路灯已修复"}`} {
				if code, _, b := as(t, cg.token, "POST", fmt.Sprintf("%s/api/v1/tasks/%d/actions", f.srv.URL, tasks[0].ID), step); code != 200 {
					t.Fatalf("城管 %s: %d %s", step, code, b)
				}
			}
			if code, _, b := as(t, leader.token, "POST", ticket+"/unsupervise", `{"note":"已办结"}`); code != 200 || strings.Contains(b, `"supervised"`) {
				t.Errorf("lifting the flag: %d %s", code, b)
			}
			var d api.TicketDetail
			_, _, b = as(t, own.token, "GET", ticket, "")
			if err := json.Unmarshal([]byte(b), &d); err != nil {
				t.Fatal(err)
			}
			if d.Ticket.Status != "resolved" || d.Ticket.Supervised != nil {
				t.Errorf("the ticket after the department resolved and the flag lifted: %s, %+v", d.Ticket.Status, d.Ticket.Supervised)
			}
			var kinds []string
			for i, ev := range d.Timeline {
				kinds = append(kinds, ev.Kind)
				if i > 0 && ev.At.Before(d.Timeline[i-1].At) {
					t.Errorf("timeline out of order at %d: %+v", i, d.Timeline)
				}
			}
			got := strings.Join(kinds, ",")
			for _, k := range []string{"supervised", "dispatch", "task", "unsupervised"} {
				if !strings.Contains(got, k) {
					t.Errorf("timeline kinds %s: no %s", got, k)
				}
			}
			var out bool
			for _, c := range d.Conversation {
				out = out || c.Direction == "out" && strings.Contains(c.Text, "路灯已修复")
			}
			if !out {
				t.Errorf("the resident was not told the department's answer: %+v", d.Conversation)
			}
		})
	}
}
