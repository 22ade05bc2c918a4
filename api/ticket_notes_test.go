package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/api"
	"github.com/gridcast/gridcast/audit"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/tickets"
)

// TestTicketNotes: a worker of the ticket's street leaves an internal
// note; it shows on the ticket's page with its author and time, names and
// numbers masked, and the audit log records it without its text. Nothing
// is queued to anyone and the resident's history does not change. A
// viewer who may read the ticket may note too; a worker of another street
// is refused 403 and a missing ticket is 404, storing nothing; an empty or
// too long note is 400 with a sentence in Chinese (English on request),
// storing nothing. On both drivers.
func TestTicketNotes(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			f := newScopeFixture(t, driver)
			ctx := t.Context()
			in, out, viewer := f.in[access.RoleWorker], f.out[access.RoleWorker], f.in[access.RoleViewer]
			notesURL := fmt.Sprintf("%s/api/v1/tickets/%d/notes", f.srv.URL, f.a)
			sentBefore, _ := f.rec.dispatched()
			res := f.residents[0]
			historyBefore, err := f.st.ResidentMessages(ctx, res.ID, 0, 100)
			if err != nil {
				t.Fatal(err)
			}

			text := fmt.Sprintf("已电话联系物业，居民电话 %s，明早派人", res.Phone)
			code, _, body := as(t, in.token, "POST", notesURL, `{"text":`+quote(text)+`}`)
			var n api.TicketNote
			if code != 201 || json.Unmarshal([]byte(body), &n) != nil {
				t.Fatalf("note as the street's worker: %d %s, want 201", code, body)
			}
			if n.ID == 0 || n.Author != in.name || n.At.IsZero() || strings.Contains(n.Text, string(res.Phone)) || !strings.Contains(n.Text, "明早派人") {
				t.Errorf("the note as answered: %+v; want its id, author %s, time, the phone masked", n, in.name)
			}
			if code, _, body := as(t, viewer.token, "POST", notesURL, `{"text":"街道已知悉"}`); code != 201 {
				t.Errorf("note as a viewer of the street: %d %s, want 201 (anyone who reads the ticket notes)", code, body)
			}

			// Refusals store nothing.
			for _, tc := range []struct {
				name, token, url, body string
				want                   int
				says                   string
			}{
				{"another street's worker", out.token, notesURL, `{"text":"看看"}`, 403, "不在您的管辖范围内"},
				{"another street's viewer", f.out[access.RoleViewer].token, notesURL, `{"text":"看看"}`, 403, "不在您的管辖范围内"},
				{"a missing ticket", in.token, f.srv.URL + "/api/v1/tickets/999999/notes", `{"text":"看看"}`, 404, ""},
				{"empty", in.token, notesURL, `{"text":"  \n "}`, 400, "备注内容不能为空"},
				{"no text", in.token, notesURL, `{}`, 400, "备注内容不能为空"},
				{"too long", in.token, notesURL, `{"text":"` + strings.Repeat("字", tickets.MaxNoteLen+1) + `"}`, 400, "最多 1000 个字"},
				{"an unknown field", in.token, notesURL, `{"note":"看看"}`, 400, ""},
			} {
				code, _, body := as(t, tc.token, "POST", tc.url, tc.body)
				if code != tc.want || !strings.Contains(body, tc.says) {
					t.Errorf("%s: %d %.200s, want %d saying %q", tc.name, code, body, tc.want, tc.says)
				}
			}
			req, _ := http.NewRequest("POST", notesURL, strings.NewReader(`{"text":""}`))
			req.Header.Set("Authorization", "Bearer "+in.token)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept-Language", "en")
			if r, err := http.DefaultClient.Do(req); err != nil {
				t.Fatal(err)
			} else {
				var p api.Problem
				_ = json.NewDecoder(r.Body).Decode(&p)
				r.Body.Close()
				if r.StatusCode != 400 || !strings.Contains(p.Error, "the note is empty") {
					t.Errorf("empty note in English: %d %+v", r.StatusCode, p)
				}
			}

			// The page shows the notes, oldest first; others' tickets none.
			var d api.TicketDetail
			code, _, body = as(t, in.token, "GET", fmt.Sprintf("%s/api/v1/tickets/%d", f.srv.URL, f.a), "")
			if code != 200 || json.Unmarshal([]byte(body), &d) != nil {
				t.Fatalf("the ticket: %d %s", code, body)
			}
			if len(d.Notes) != 2 || d.Notes[0].ID != n.ID || d.Notes[0].Text != n.Text || d.Notes[1].Author != viewer.name || d.Notes[1].Text != "街道已知悉" {
				t.Errorf("the ticket's notes: %+v; want the worker's then the viewer's", d.Notes)
			}
			if strings.Contains(body, string(res.Phone)) {
				t.Errorf("the ticket's page shows the phone in clear in a note: %s", body)
			}
			code, _, body = as(t, f.in[access.RoleWorker].token, "GET", fmt.Sprintf("%s/api/v1/tickets/%d", f.srv.URL, f.a2), "")
			if code != 200 || strings.Contains(body, `"notes"`) {
				t.Errorf("a ticket without notes: %d %.300s; want no notes", code, body)
			}
			if code, _, _ := as(t, out.token, "GET", fmt.Sprintf("%s/api/v1/tickets/%d", f.srv.URL, f.a), ""); code != 403 {
				t.Errorf("another street's worker reading the notes: %d, want 403", code)
			}

			// Nothing is sent, nothing enters the resident's history.
			if sent, _ := f.rec.dispatched(); len(sent) != len(sentBefore) {
				t.Errorf("notes queued %d messages, want none", len(sent)-len(sentBefore))
			}
			history, err := f.st.ResidentMessages(ctx, res.ID, 0, 100)
			if err != nil || len(history) != len(historyBefore) {
				t.Errorf("the resident's history went from %d to %d messages (%v)", len(historyBefore), len(history), err)
			}
			for _, e := range d.Conversation {
				if strings.Contains(e.Text, "明早派人") || strings.Contains(e.Text, "街道已知悉") {
					t.Errorf("the conversation holds a note: %+v", e)
				}
			}
			for _, m := range history {
				if strings.Contains(m.Text, "明早派人") || strings.Contains(m.Text, "街道已知悉") {
					t.Errorf("a message to the resident holds a note: %d %q", m.ID, m.Text)
				}
			}

			// The audit log: who noted on which ticket, not what.
			es, err := f.st.AuditEntries(ctx, audit.Filter{Action: "ticket.note"})
			if err != nil {
				t.Fatal(err)
			}
			if len(es) != 2 || es[0].Actor != in.name || es[0].Subject != fmt.Sprintf("ticket:%d", f.a) || strings.Contains(es[0].Detail, "明早") {
				t.Errorf("audit entries: %+v; want two ticket.note entries on ticket:%d without the text", es, f.a)
			}
		})
	}
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestTicketHandoverWorkers: the 转派 picker lists the workers of the
// ticket's grid first, then those around it, names masked, only within
// the caller's scope; a worker of another street is refused 403. Handing
// over to one picked from it works. On both drivers.
func TestTicketHandoverWorkers(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			f := newScopeFixture(t, driver)
			in := f.in[access.RoleWorker]
			u := fmt.Sprintf("%s/api/v1/tickets/%d/workers", f.srv.URL, f.a)
			code, _, body := as(t, in.token, "GET", u, "")
			var ws []api.HandoverWorker
			if code != 200 || json.Unmarshal([]byte(body), &ws) != nil || len(ws) == 0 {
				t.Fatalf("workers: %d %s", code, body)
			}
			tk, err := f.st.Ticket(t.Context(), f.a)
			if err != nil {
				t.Fatal(err)
			}
			if !ws[0].OwnGrid || ws[0].Grid != tk.GridCode {
				t.Errorf("first worker %+v, want one of the ticket's grid %s", ws[0], tk.GridCode)
			}
			byCode := map[string]population.Worker{}
			for _, w := range f.workers {
				byCode[w.Code] = w
			}
			var other string
			for _, w := range ws {
				full := byCode[w.Code]
				if w.Name == string(full.Name) || !strings.Contains(w.Name, "*") {
					t.Errorf("worker %s shown as %q, want the name masked", w.Code, w.Name)
				}
				if !strings.HasPrefix(w.Grid, "NY-01") {
					t.Errorf("worker %s of grid %s lies outside the caller's street", w.Code, w.Grid)
				}
				if !w.Assignee && other == "" {
					other = w.Code
				}
			}
			if strings.Contains(body, "W-NY-02-01-01") {
				t.Errorf("the picker lists another street's worker: %s", body)
			}
			if code, _, body := as(t, f.out[access.RoleWorker].token, "GET", u, ""); code != 403 {
				t.Errorf("another street's worker: %d %s, want 403", code, body)
			}
			if other == "" {
				t.Fatal("no worker to hand over to")
			}
			code, _, body = as(t, in.token, "POST", fmt.Sprintf("%s/api/v1/tickets/%d/reassign", f.srv.URL, f.a), `{"worker_code":"`+other+`"}`)
			var after api.Ticket
			if code != 200 || json.Unmarshal([]byte(body), &after) != nil || after.AssigneeCode != other {
				t.Errorf("reassign to %s from the picker: %d %s", other, code, body)
			}
		})
	}
}

// TestTicketsMinePaging: 待认领 by deadline and 我的工单 page in the store,
// so that pages of one hold every ticket once, in order, however many
// pages there are. On both drivers.
func TestTicketsMinePaging(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			f := newScopeFixture(t, driver)
			ctx := t.Context()
			r0 := f.residents[0]
			now := time.Now()
			var want []int64
			for i, h := range []int{-30, -50, 20, 10} { // two overdue, then two ahead
				at := now.Add(time.Duration(i) * time.Minute)
				tk := tickets.Ticket{ResidentID: r0.ID, GridCode: r0.GridCode, Channel: population.ChannelSMS, Text: fmt.Sprintf("待认领 %d", i),
					Category: tickets.CategoryCityManagement, DueAt: now.Add(time.Duration(h) * time.Hour), CreatedAt: at, UpdatedAt: at}
				if err := f.st.CreateTicket(ctx, &tk, tickets.Event{At: at, Actor: tickets.ActorSystem, Kind: tickets.EventCreated}); err != nil {
					t.Fatal(err)
				}
				want = append(want, tk.ID)
			}
			want = []int64{want[1], want[0], want[3], want[2]}
			tok := f.in[access.RoleWorker].token
			var got []int64
			after := ""
			for range 10 {
				code, _, body := as(t, tok, "GET", f.srv.URL+"/api/v1/tickets?unassigned=1&sort=due&limit=1"+after, "")
				var ts []api.Ticket
				if code != 200 || json.Unmarshal([]byte(body), &ts) != nil {
					t.Fatalf("page after %q: %d %s", after, code, body)
				}
				if len(ts) == 0 {
					break
				}
				if ts[0].AssigneeWorkerID != 0 {
					t.Errorf("待认领 lists ticket %d held by %d", ts[0].ID, ts[0].AssigneeWorkerID)
				}
				got = append(got, ts[0].ID)
				after = fmt.Sprintf("&after=%d", ts[0].ID)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("待认领 by deadline, one a page: %v, want %v (overdue first, then by deadline)", got, want)
			}
		})
	}
}

// TestTicketNotesOpenAPI keeps openapi.yaml in step with the notes' and
// the picker's types and routes.
func TestTicketNotesOpenAPI(t *testing.T) {
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
	for name, v := range map[string]any{"TicketNote": api.TicketNote{}, "HandoverWorker": api.HandoverWorker{}} {
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
	for path, method := range map[string]string{"/api/v1/tickets/{id}/notes": "post", "/api/v1/tickets/{id}/workers": "get"} {
		if _, ok := spec.Paths[path][method]; !ok {
			t.Errorf("openapi.yaml lacks %s %s", strings.ToUpper(method), path)
		}
	}
}
