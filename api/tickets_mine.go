package api

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/tickets"
)

// mineQuery is what the worker's phone adds to GET /api/v1/tickets:
// unassigned=1 keeps the tickets no one holds (待认领) and sort=due
// puts the overdue first, then the nearest deadline. Both apply to the
// page the store returns, so a caller wanting every unassigned ticket
// asks for a full page (limit=500) with a status.
type mineQuery struct {
	unassigned bool
	byDue      bool
}

// readMine reads unassigned and sort, refusing values it does not know.
func readMine(r *http.Request) (mineQuery, error) {
	q := r.URL.Query()
	var m mineQuery
	switch v := q.Get("unassigned"); v {
	case "", "0", "false":
	case "1", "true":
		m.unassigned = true
	default:
		return m, badRequest("unassigned %q: want 1 or 0", "unassigned %q 须为 1 或 0", v)
	}
	switch v := q.Get("sort"); v {
	case "", "id":
	case "due":
		m.byDue = true
	default:
		return m, badRequest("sort %q: want id or due", "排序 sort %q 无效，可选 id、due", v)
	}
	return m, nil
}

// assigneeParam reads assignee: a worker's id, or a worker's code (the
// console passes the code the worker keeps on the phone, since a user
// carries no worker code). An unknown code is refused, not read as
// "any assignee".
func (s *server) assigneeParam(r *http.Request) (int64, error) {
	v := strings.TrimSpace(r.URL.Query().Get("assignee"))
	if v == "" {
		return 0, nil
	}
	if _, err := strconv.ParseInt(v, 10, 64); err == nil {
		return queryInt64(r, "assignee")
	}
	wk, err := s.cfg.Tickets.WorkerByCode(r.Context(), v)
	if errors.Is(err, fault.ErrNotFound) {
		return 0, badRequest("assignee %q: no such worker", "办理人 %q 不存在", v)
	}
	if err != nil {
		return 0, err
	}
	return wk.ID, nil
}

// keep drops the tickets the query leaves out, before they are shown.
func (m mineQuery) keep(ts []tickets.Ticket) []tickets.Ticket {
	if !m.unassigned {
		return ts
	}
	return slices.DeleteFunc(ts, func(t tickets.Ticket) bool { return t.AssigneeWorkerID != 0 })
}

// order sorts the shown tickets: by id as the store gave them, or with
// sort=due the overdue first, then by deadline (none last), then by id.
func (m mineQuery) order(out []Ticket) {
	if !m.byDue {
		return
	}
	slices.SortStableFunc(out, func(a, b Ticket) int {
		switch {
		case a.Overdue != b.Overdue:
			if a.Overdue {
				return -1
			}
			return 1
		case a.DueAt.IsZero() != b.DueAt.IsZero():
			if a.DueAt.IsZero() {
				return 1
			}
			return -1
		case !a.DueAt.Equal(b.DueAt):
			return a.DueAt.Compare(b.DueAt)
		}
		return 0
	})
}

// maxSearch is the longest search GET /api/v1/tickets takes, in characters.
const maxSearch = 40

// searchParam reads q: words of a ticket's text, a resident's name, or
// the last four digits or more of a resident's phone.
func searchParam(r *http.Request) (string, error) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if n := utf8.RuneCountInString(q); n > maxSearch {
		return "", badRequest("q: %d characters, want at most %d", "搜索内容 %d 个字，最多 %d 个字", n, maxSearch)
	}
	return q, nil
}
