package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/audit"
	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/population"
)

// ResidentRecords is what the living-record endpoints (活户籍) need from
// the population store. *store.Store satisfies it.
type ResidentRecords interface {
	Resident(ctx context.Context, id int64) (population.Resident, error)
	// RecordChanges stores changes of one resident's record, all or
	// nothing; a field set to its current value is left out.
	RecordChanges(ctx context.Context, residentID int64, cs []population.Change) (population.Recorded, error)
	// ResidentChanges lists a resident's changes, oldest first, in clear.
	ResidentChanges(ctx context.Context, residentID int64) ([]population.Change, error)
	// ChangesSince pages through the changes made at or after since, by
	// id; unmask fills the clear ID number (never asked for here).
	ChangesSince(ctx context.Context, since time.Time, afterID int64, limit int, unmask bool) ([]population.ResidentChange, error)
}

// ChangeRequest is the body of POST /api/v1/residents/{id}/changes: the
// fields to set (absent: left as they are; "" clears all but the status),
// identifiers or Chinese labels, a note and, in the trial mode, who.
type ChangeRequest struct {
	Status   *string `json:"status,omitempty"`   // active (moved in), moved_out, deceased
	Phone    *string `json:"phone,omitempty"`    // a mobile number
	Living   *string `json:"living,omitempty"`   // alone, with_spouse, with_children, with_family, care_home, other
	SelfCare *string `json:"selfcare,omitempty"` // independent, partial, dependent
	Health   *string `json:"health,omitempty"`   // a health note, at most 500 characters
	Relation *string `json:"relation,omitempty"` // head, spouse, child, parent, grandchild, sibling, other
	Note     string  `json:"note,omitempty"`     // why, where from
	By       string  `json:"by,omitempty"`       // who; must be the caller when signed in
}

func (req ChangeRequest) set() map[population.ChangeField]string {
	out := map[population.ChangeField]string{}
	for f, v := range map[population.ChangeField]*string{
		population.FieldStatus: req.Status, population.FieldPhone: req.Phone, population.FieldLiving: req.Living,
		population.FieldSelfCare: req.SelfCare, population.FieldHealth: req.Health, population.FieldRelation: req.Relation,
	} {
		if v != nil {
			out[f] = *v
		}
	}
	return out
}

// ChangeView is one change as the API shows it: the phone and the health
// note masked, the ID number masked (the change file with clear keys is
// the CLI's, `gridcast residents changes --xlsx`).
type ChangeView struct {
	ID         int64     `json:"id"`
	ResidentID int64     `json:"resident_id"`
	Name       string    `json:"name,omitempty"`      // masked; in the change list only
	IDNumber   string    `json:"id_number,omitempty"` // masked; in the change list only
	Grid       string    `json:"grid"`
	Field      string    `json:"field"`
	Label      string    `json:"label"` // the field's Chinese name
	Before     string    `json:"before"`
	After      string    `json:"after"`
	By         string    `json:"by"`
	WorkerID   int64     `json:"worker_id,omitempty"` // the grid worker it counts for (考核)
	At         time.Time `json:"at"`
	Source     string    `json:"source"` // field, import or sync
	Note       string    `json:"note,omitempty"`
}

func changeView(c population.Change) ChangeView {
	c = c.Shown()
	return ChangeView{ID: c.ID, ResidentID: c.ResidentID, Grid: c.GridCode, Field: string(c.Field), Label: c.Field.Label(),
		Before: c.Before, After: c.After, By: c.By, WorkerID: c.WorkerID, At: c.At, Source: string(c.Source), Note: c.Note}
}

// RecordedView answers POST /api/v1/residents/{id}/changes.
type RecordedView struct {
	ResidentID      int64        `json:"resident_id"`
	Changes         []ChangeView `json:"changes"` // empty when every field already held its value
	MessagesSkipped int64        `json:"messages_skipped"`
	VisitsCancelled int64        `json:"visits_cancelled"`
}

// ChangesPage answers GET /api/v1/residents/changes.
type ChangesPage struct {
	Changes []ChangeView `json:"changes"`
	// Next is the after= of the next page; 0 when this is the last.
	Next int64 `json:"next"`
}

// mountRecords mounts the living-record routes when Config.Records is
// set.
func (s *server) mountRecords(v1 mountFunc) {
	if s.cfg.Records == nil {
		return
	}
	v1("POST /api/v1/residents/{id}/changes", s.postChanges, access.RoleWorker, access.RoleOfficer, access.RoleAdmin)
	v1("GET /api/v1/residents/{id}/changes", s.getChanges)
	v1("GET /api/v1/residents/changes", s.listChanges)
}

// recordsResident reads resident {id}, or answers 400, 404, or 403 when
// the resident lies outside the caller's scope: a grid worker changes the
// residents of their grid, community and street staff those below them.
func (s *server) recordsResident(w http.ResponseWriter, r *http.Request) (population.Resident, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.writeError(w, r, badRequest("resident id %q: want a number", "居民编号 %q 无效", r.PathValue("id")))
		return population.Resident{}, false
	}
	res, err := s.cfg.Records.Resident(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return population.Resident{}, false
	}
	if !scopeOf(r).Covers(res.GridCode) {
		s.outOfScope(w, r, fmt.Sprintf("resident %d", id))
		return population.Resident{}, false
	}
	return res, true
}

// postChanges serves POST /api/v1/residents/{id}/changes: 200 with what
// was stored; 400 and nothing stored for any invalid value.
func (s *server) postChanges(w http.ResponseWriter, r *http.Request) {
	res, ok := s.recordsResident(w, r)
	if !ok {
		return
	}
	var req ChangeRequest
	err := decode(w, r, &req)
	var cs []population.Change
	if err == nil {
		if req.By, err = actor(r, "by", req.By); err == nil {
			cs, err = population.NewChanges(res.ID, req.set(), req.By, population.SourceField, req.Note)
		}
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	rec, err := s.cfg.Records.RecordChanges(r.Context(), res.ID, cs)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := RecordedView{ResidentID: res.ID, Changes: []ChangeView{}, MessagesSkipped: rec.MessagesSkipped, VisitsCancelled: rec.VisitsCancelled}
	for _, c := range rec.Changes {
		out.Changes = append(out.Changes, changeView(c))
	}
	if len(rec.Changes) > 0 {
		_ = s.record(r, req.By, audit.ActionResidentChange, fmt.Sprintf("resident:%d", res.ID), req.Note, changeDetail(rec))
	}
	writeJSON(w, 200, out)
}

// changeDetail is the audit entry's detail: each field with its values as
// shown (personal ones masked).
func changeDetail(rec population.Recorded) string {
	type fv struct {
		Field  string `json:"field"`
		Before string `json:"before"`
		After  string `json:"after"`
	}
	d := struct {
		Changes         []fv  `json:"changes"`
		MessagesSkipped int64 `json:"messages_skipped,omitempty"`
	}{MessagesSkipped: rec.MessagesSkipped}
	for _, c := range rec.Changes {
		c = c.Shown()
		d.Changes = append(d.Changes, fv{string(c.Field), c.Before, c.After})
	}
	b, _ := json.Marshal(d)
	return string(b)
}

// getChanges serves GET /api/v1/residents/{id}/changes: the resident's
// changes, oldest first, personal values masked.
func (s *server) getChanges(w http.ResponseWriter, r *http.Request) {
	res, ok := s.recordsResident(w, r)
	if !ok {
		return
	}
	cs, err := s.cfg.Records.ResidentChanges(r.Context(), res.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]ChangeView, 0, len(cs))
	for _, c := range cs {
		out = append(out, changeView(c))
	}
	writeJSON(w, 200, out)
}

// maxChangesList is the most changes one page of GET
// /api/v1/residents/changes holds.
const maxChangesList = 1000

// listChanges serves GET /api/v1/residents/changes?since=DATE[&after=ID]
// [&limit=N]: the changes made since, of residents in the caller's scope,
// by id, masked; next pages on.
func (s *server) listChanges(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	since, err := population.ParseSince(q.Get("since"), campaigns.Shanghai())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var after int64
	if v := q.Get("after"); v != "" {
		if after, err = strconv.ParseInt(v, 10, 64); err != nil || after < 0 {
			s.writeError(w, r, badRequest("after %q: want a change id", "after %q 无效：应为变更编号", v))
			return
		}
	}
	limit := 200
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > maxChangesList {
			s.writeError(w, r, badRequest("limit %q: want 1 to %d", "limit %q 无效：应为 1 至 %d", v, maxChangesList))
			return
		}
	}
	scope := scopeOf(r)
	page := ChangesPage{Changes: []ChangeView{}}
	for len(page.Changes) < limit {
		cs, err := s.cfg.Records.ChangesSince(r.Context(), since, after, maxChangesList, false)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		for _, c := range cs {
			after = c.ID
			if !scope.Covers(c.GridCode) {
				continue
			}
			v := changeView(c.Change)
			v.Name, v.IDNumber = c.Name.Masked(), c.IDMasked
			page.Changes = append(page.Changes, v)
			if len(page.Changes) == limit {
				page.Next = c.ID
				break
			}
		}
		if len(cs) < maxChangesList {
			break
		}
	}
	writeJSON(w, 200, page)
}
