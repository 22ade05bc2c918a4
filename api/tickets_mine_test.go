package api_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/api"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/tickets"
)

// TestTicketsMine: a worker's phone lists the tickets assigned to the
// worker by the worker's code, the overdue first; 待认领 lists only the
// tickets no one holds; an unknown code or a bad sort is refused, not
// read as "every ticket". q= finds a ticket by its text.
func TestTicketsMine(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			f := newScopeFixture(t, driver)
			ctx := t.Context()
			// An unassigned ticket of the first resident's grid, overdue.
			r0 := f.residents[0]
			past := time.Now().Add(-48 * time.Hour)
			free := tickets.Ticket{ResidentID: r0.ID, GridCode: r0.GridCode, Channel: population.ChannelSMS, Text: "井盖松了",
				Category: tickets.CategoryCityManagement, DueAt: past, CreatedAt: past, UpdatedAt: past}
			if err := f.st.CreateTicket(ctx, &free, tickets.Event{At: past, Actor: tickets.ActorSystem, Kind: tickets.EventCreated}); err != nil {
				t.Fatal(err)
			}
			tok := f.in[access.RoleWorker].token
			list := func(q string) (int, []api.Ticket, string) {
				t.Helper()
				code, _, body := as(t, tok, "GET", f.srv.URL+"/api/v1/tickets?"+q, "")
				var ts []api.Ticket
				if code == 200 {
					if err := json.Unmarshal([]byte(body), &ts); err != nil {
						t.Fatalf("%s: %v", q, err)
					}
				}
				return code, ts, body
			}
			wk, err := f.st.WorkerByCode(ctx, f.inWorkerCode)
			if err != nil {
				t.Fatal(err)
			}
			code, mine, body := list("assignee=" + f.inWorkerCode + "&sort=due")
			if code != 200 || len(mine) == 0 {
				t.Fatalf("mine: %d %s", code, body)
			}
			for _, x := range mine {
				if x.AssigneeWorkerID != wk.ID || x.ID == free.ID {
					t.Errorf("mine holds ticket %d of worker %d, want only %d's", x.ID, x.AssigneeWorkerID, wk.ID)
				}
			}
			_, byID, _ := list(fmt.Sprintf("assignee=%d", wk.ID))
			if len(byID) != len(mine) {
				t.Errorf("by code %d tickets, by id %d", len(mine), len(byID))
			}
			code, open, body := list("unassigned=1&sort=due&limit=500")
			if code != 200 || len(open) != 1 || open[0].ID != free.ID || !open[0].Overdue {
				t.Fatalf("unassigned: %d %s", code, body)
			}
			// Overdue first: the free ticket leads the unfiltered list sorted by due.
			if _, all, _ := list("sort=due"); len(all) < 2 || all[0].ID != free.ID {
				t.Errorf("sort=due: first %v, want the overdue ticket %d", all, free.ID)
			}
			// Search: the text, within the caller's scope only.
			if _, found, _ := list("q=" + url.QueryEscape("井盖")); len(found) != 1 || found[0].ID != free.ID {
				t.Errorf("q=井盖: %v, want ticket %d", found, free.ID)
			}
			if code, _, body := as(t, f.out[access.RoleWorker].token, "GET", f.srv.URL+"/api/v1/tickets?q="+url.QueryEscape("井盖"), ""); code != 200 || strings.TrimSpace(body) != "[]" {
				t.Errorf("another street's worker searching: %d %s, want nothing found", code, body)
			}
			for _, q := range []string{"assignee=W-NOBODY", "sort=name", "unassigned=maybe", "q=" + strings.Repeat("灯", 41)} {
				if code, _, body := list(q); code != 400 {
					t.Errorf("%s: %d %s, want 400", q, code, body)
				}
			}
		})
	}
}
