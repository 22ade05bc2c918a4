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

// The community's leader hands a ticket to the fire brigade and to 城管
// at once (吹哨报到); the grid's own worker may not dispatch. Each
// department sees its task, reads the ticket, and takes its own steps —
// never the other's; the leader decides on an extension; the ticket's
// tasks show where each stands, a phone number in a note masked, and the
// dispatch is on the audit log. On both drivers.
func TestDispatchToDepartments(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			f := newScopeFixture(t, driver)
			leader := testUser{"网格长", "tok-leader-d", []access.Role{access.RoleWorker}, []string{"NY-01-01"}}
			own := testUser{"网格员", "tok-own-d", []access.Role{access.RoleWorker}, []string{"NY-01-01-01"}}
			addUsers(t, f.st, leader, own)
			for _, d := range []struct{ name, token, dept string }{{"消防赵队", "tok-fire", "fire"}, {"城管李强", "tok-cg", "chengguan"}} {
				if _, err := f.st.CreateUser(t.Context(), access.User{Name: d.name, TokenSHA256: testUser{token: d.token}.user().TokenSHA256,
					Roles: []access.Role{access.RoleDepartment}, Department: d.dept}); err != nil {
					t.Fatal(err)
				}
			}
			fire, cg := testUser{name: "消防赵队", token: "tok-fire"}, testUser{name: "城管李强", token: "tok-cg"}
			ticket := fmt.Sprintf("%s/api/v1/tickets/%d", f.srv.URL, f.a)
			due := time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)
			body := `{"tasks":[{"department":"fire","due_at":"` + due + `","note":"消防通道被占，报警人电话13912345678"},{"department":"chengguan","due_at":"` + due + `","note":"清理占道车辆"}]}`

			if code, _, b := as(t, fire.token, "GET", ticket, ""); code != 403 {
				t.Errorf("a department reads a ticket not dispatched to it: %d %s", code, b)
			}
			if code, _, b := as(t, own.token, "POST", ticket+"/dispatch", body); code != 403 {
				t.Errorf("the grid's own worker dispatching: %d %s", code, b)
			}
			if code, _, b := as(t, leader.token, "POST", ticket+"/dispatch", `{"tasks":[{"department":"nasa","due_at":"`+due+`"}]}`); code != 400 ||
				!strings.Contains(b, "chengguan") {
				t.Errorf("an unknown department: %d %s, want 400 listing the known ones", code, b)
			}
			code, _, b := as(t, leader.token, "POST", ticket+"/dispatch", body)
			var tasks []api.Task
			if code != 201 || json.Unmarshal([]byte(b), &tasks) != nil || len(tasks) != 2 || tasks[0].DepartmentLabel != "消防" {
				t.Fatalf("the leader dispatching: %d %s", code, b)
			}
			act := func(u testUser, id int64, body string) (int, string) {
				t.Helper()
				code, _, b := as(t, u.token, "POST", fmt.Sprintf("%s/api/v1/tasks/%d/actions", f.srv.URL, id), body)
				return code, b
			}
			// Each department sees its own open task and reads the ticket.
			var mine []api.Task
			_, _, b = as(t, fire.token, "GET", f.srv.URL+"/api/v1/tasks", "")
			if json.Unmarshal([]byte(b), &mine) != nil || len(mine) != 1 || mine[0].ID != tasks[0].ID {
				t.Errorf("fire's tasks: %s", b)
			}
			// The dispatcher's note reaches the department masked, as a
			// ticket's timeline shows it.
			if strings.Contains(b, "13912345678") || !strings.Contains(b, "报警人电话139****5678") {
				t.Errorf("fire's tasks show the note's phone number in clear, or not at all: %s", b)
			}
			if code, _, b := as(t, fire.token, "GET", ticket, ""); code != 200 {
				t.Errorf("fire reading the ticket dispatched to it: %d %s", code, b)
			}
			if code, _, _ := as(t, cg.token, "GET", f.srv.URL+"/api/v1/tasks?department=fire", ""); code != 403 {
				t.Errorf("城管 reading fire's list: %d, want 403", code)
			}
			if code, b := act(cg, tasks[0].ID, `{"action":"accept"}`); code != 403 {
				t.Errorf("城管 accepting fire's task: %d %s", code, b)
			}
			if code, b := act(fire, tasks[0].ID, `{"action":"resolve","note":"已疏通"}`); code != 409 {
				t.Errorf("resolving before accepting: %d %s, want 409", code, b)
			}
			for _, step := range []string{`{"action":"accept"}`, `{"action":"resolve","note":"消防通道已疏通"}`} {
				if code, b := act(fire, tasks[0].ID, step); code != 200 {
					t.Fatalf("fire %s: %d %s", step, code, b)
				}
			}
			later := time.Now().Add(96 * time.Hour).UTC().Format(time.RFC3339)
			if code, b := act(cg, tasks[1].ID, `{"action":"accept"}`); code != 200 {
				t.Fatalf("城管 accept: %d %s", code, b)
			}
			if code, b := act(cg, tasks[1].ID, `{"action":"request_extension","note":"车主联系不上","extend_to":"`+later+`"}`); code != 200 {
				t.Fatalf("城管 asks for time: %d %s", code, b)
			}
			if code, b := act(cg, tasks[1].ID, `{"action":"approve_extension"}`); code != 403 {
				t.Errorf("the department approving its own extension: %d %s", code, b)
			}
			if code, b := act(leader, tasks[1].ID, `{"action":"approve_extension"}`); code != 200 || !strings.Contains(b, later[:10]) {
				t.Errorf("the leader approving: %d %s", code, b)
			}
			_, _, b = as(t, own.token, "GET", ticket+"/tasks", "")
			var now []api.Task
			if json.Unmarshal([]byte(b), &now) != nil || len(now) != 2 || now[0].State != "resolved" || now[0].Feedback != "消防通道已疏通" ||
				now[1].State != "accepted" {
				t.Errorf("the ticket's tasks as its grid worker sees them: %s", b)
			}
			_, _, b = as(t, f.city.token, "GET", f.srv.URL+"/api/v1/audit?action=ticket.dispatch", "")
			if !strings.Contains(b, fmt.Sprintf(`"ticket:%d"`, f.a)) || !strings.Contains(b, "fire,chengguan") {
				t.Errorf("the dispatch is not on the audit log: %s", b)
			}
		})
	}
}

// A worker files a ticket under another category and marks it complex;
// both answer with the ticket as it now is, and both are on its timeline.
func TestRecategoriseAndUrgency(t *testing.T) {
	t.Parallel()
	f := newScopeFixture(t, "sqlite")
	w := f.in[access.RoleWorker]
	ticket := fmt.Sprintf("%s/api/v1/tickets/%d", f.srv.URL, f.a)
	code, _, b := as(t, w.token, "POST", ticket+"/recategorise", `{"category":"物业/房屋","note":"小区内路灯归物业"}`)
	var tk api.Ticket
	if code != 200 || json.Unmarshal([]byte(b), &tk) != nil || tk.Category != "property" {
		t.Fatalf("recategorise: %d %s", code, b)
	}
	if code, _, b := as(t, w.token, "POST", ticket+"/recategorise", `{"category":"天气"}`); code != 400 {
		t.Errorf("an unknown category: %d %s", code, b)
	}
	if code, _, b := as(t, w.token, "POST", ticket+"/urgency", `{"urgency":"复杂"}`); code != 200 {
		t.Fatalf("urgency: %d %s", code, b)
	}
	if code, _, b := as(t, w.token, "POST", ticket+"/urgency", `{"urgency":"很急"}`); code != 400 {
		t.Errorf("an unknown urgency: %d %s", code, b)
	}
	var d api.TicketDetail
	_, _, b = as(t, w.token, "GET", ticket, "")
	if err := json.Unmarshal([]byte(b), &d); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, ev := range d.Timeline {
		kinds = append(kinds, ev.Kind)
	}
	if !strings.Contains(strings.Join(kinds, ","), "recategorised") || !strings.Contains(strings.Join(kinds, ","), "urgency") {
		t.Errorf("timeline kinds %v, want recategorised and urgency", kinds)
	}
}
