package api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gridcast/gridcast/fault"
)

// readMine reads what the worker's phone adds to GET /api/v1/tickets:
// unassigned=1 keeps the tickets no one holds (待认领) and sort=due puts
// the overdue first, then the nearest deadline (none last). The store
// filters and sorts, so that paging (limit, after) holds: with sort=due,
// after is the last ticket of the page before. Values it does not know
// are refused.
func readMine(r *http.Request) (unassigned, byDue bool, err error) {
	q := r.URL.Query()
	switch v := q.Get("unassigned"); v {
	case "", "0", "false":
	case "1", "true":
		unassigned = true
	default:
		return false, false, badRequest("unassigned %q: want 1 or 0", "unassigned %q 须为 1 或 0", v)
	}
	switch v := q.Get("sort"); v {
	case "", "id":
	case "due":
		byDue = true
	default:
		return false, false, badRequest("sort %q: want id or due", "排序 sort %q 无效，可选 id、due", v)
	}
	return unassigned, byDue, nil
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
