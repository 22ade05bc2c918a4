package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gridcast/gridcast/assessment"
	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/visits"
)

// The visit register (走访台账): records of visits, the households a
// worker's register lists, and the booked slots a record closes. The
// register itself is computed by package visits.

// registerKey is the register's key of a household: "h" and its id, or
// "r" and the resident's id for a resident with none.
func registerKey(householdID, residentID int64) string {
	if householdID > 0 {
		return "h" + strconv.FormatInt(householdID, 10)
	}
	return "r" + strconv.FormatInt(residentID, 10)
}

// RegisterHouseholds returns the households of grid and the grids below
// it with their residents (name and phone in clear: the caller masks) and
// their categories, every resident but the erased.
func (s *Store) RegisterHouseholds(ctx context.Context, grid string) ([]visits.Household, error) {
	what := fmt.Sprintf("register households of %s", grid)
	rows, err := s.r.QueryContext(ctx, s.q.get("RegisterHouseholds"), grid, grid+"-%")
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	defer rows.Close()
	var out []visits.Household
	index := map[string]int{}
	for rows.Next() {
		var m visits.Member
		var name, phone, gridCode string
		var hid int64
		var a population.Address
		var cat sql.NullString
		if err := rows.Scan(&m.ResidentID, &name, &phone, &gridCode, &hid, &a.Community, &a.Building, &a.Unit, &a.Room, &cat); err != nil {
			return nil, fmt.Errorf("store: %s: %w", what, err)
		}
		key := registerKey(hid, m.ResidentID)
		i, ok := index[key]
		if !ok {
			i = len(out)
			index[key] = i
			out = append(out, visits.Household{Key: key, GridCode: gridCode, Address: a})
		}
		h := &out[i]
		if n := len(h.Members); n == 0 || h.Members[n-1].ResidentID != m.ResidentID {
			m.Name, m.Phone = pii.Name(name), pii.Phone(phone)
			h.Members = append(h.Members, m)
		}
		if cat.Valid {
			last := &h.Members[len(h.Members)-1]
			last.Categories = append(last.Categories, population.Category(cat.String))
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	return out, nil
}

func scanRecord(sc scanner) (visits.Record, error) {
	var r visits.Record
	var kind string
	err := sc.Scan(&r.ID, &r.WorkerID, &r.ResidentID, &r.HouseholdKey, &r.GridCode, &kind, &r.Notes,
		timeCol{&r.VisitedAt}, &r.RecordedBy, timeCol{&r.CreatedAt}, &r.SlotID, &r.TicketID)
	r.Kind = visits.Kind(kind)
	return r, err
}

// RegisterRecords returns the visit records of grid's households (and
// those below it) and, when workerID is not 0, every record of that
// worker, visited in [from, to), oldest first, with their photos.
func (s *Store) RegisterRecords(ctx context.Context, grid string, workerID int64, from, to time.Time) ([]visits.Record, error) {
	what := fmt.Sprintf("visit records of %s", grid)
	args := []any{grid, grid + "-%", workerID, s.ts(from), s.ts(to)}
	recs, err := queryAll(ctx, s, what, "RegisterRecords", scanRecord, args...)
	if err != nil || len(recs) == 0 {
		return recs, err
	}
	type recordPhoto struct {
		record int64
		photo  visits.Photo
	}
	photos, err := queryAll(ctx, s, what+": photos", "RegisterRecordPhotos", func(sc scanner) (recordPhoto, error) {
		var rp recordPhoto
		return rp, sc.Scan(&rp.record, &rp.photo.Key, &rp.photo.ThumbnailKey, &rp.photo.ContentType, &rp.photo.Size)
	}, args...)
	if err != nil {
		return nil, err
	}
	byRecord := map[int64][]visits.Photo{}
	for _, rp := range photos {
		byRecord[rp.record] = append(byRecord[rp.record], rp.photo)
	}
	for i := range recs {
		recs[i].Photos = byRecord[recs[i].ID]
	}
	return recs, nil
}

// VisitRecord returns record id with its photos, or a fault.NotFoundError.
func (s *Store) VisitRecord(ctx context.Context, id int64) (visits.Record, error) {
	r, err := scanRecord(s.r.QueryRowContext(ctx, s.q.get("VisitRecordByID"), id))
	if err != nil {
		return visits.Record{}, missing(err, fault.Visit, id)
	}
	photos, err := queryAll(ctx, s, fmt.Sprintf("visit %d photos", id), "VisitPhotos", func(sc scanner) (visits.Photo, error) {
		var p visits.Photo
		return p, sc.Scan(&p.Key, &p.ThumbnailKey, &p.ContentType, &p.Size)
	}, id)
	r.Photos = photos
	return r, err
}

func scanRegisterSlot(sc scanner) (visits.Slot, error) {
	var v visits.Slot
	err := sc.Scan(&v.ID, &v.WorkerID, &v.ResidentID, &v.CampaignID, timeCol{&v.Start}, timeCol{&v.End}, &v.RecordID)
	return v, err
}

// RegisterSlots returns the confirmed visit slots starting in [from, to)
// of workerID or, when workerID is 0, of the residents of grid and the
// grids below it, each with the record that closed it (0 while open).
func (s *Store) RegisterSlots(ctx context.Context, grid string, workerID int64, from, to time.Time) ([]visits.Slot, error) {
	if workerID != 0 {
		return queryAll(ctx, s, fmt.Sprintf("worker %d register slots", workerID), "RegisterWorkerSlots", scanRegisterSlot,
			workerID, s.ts(from), s.ts(to))
	}
	return queryAll(ctx, s, fmt.Sprintf("register slots of %s", grid), "RegisterGridSlots", scanRegisterSlot,
		grid, grid+"-%", s.ts(from), s.ts(to))
}

// RecordVisit keeps r (checked with visits.Record.Check first) and
// returns it as stored, with its id, the resident's household key and
// grid, and the time it was created. A record that names a slot closes
// it: the slot must be the resident's, confirmed and not closed yet
// (fault.ErrInvalid, fault.ErrConflict otherwise). An unknown resident,
// worker, slot or ticket is a fault.NotFoundError. Nothing is kept when
// it fails.
func (s *Store) RecordVisit(ctx context.Context, r visits.Record) (visits.Record, error) {
	now := s.now()
	if err := r.Check(now); err != nil {
		return r, err
	}
	if _, err := s.WorkerByID(ctx, r.WorkerID); err != nil {
		return r, err
	}
	r.RecordedBy, r.Notes = strings.TrimSpace(r.RecordedBy), strings.TrimSpace(r.Notes)
	r.VisitedAt = r.VisitedAt.UTC().Truncate(time.Microsecond)
	r.CreatedAt = now.UTC().Truncate(time.Microsecond)
	what := fmt.Sprintf("record worker %d visit to resident %d", r.WorkerID, r.ResidentID)
	err := s.inTx(ctx, what, func(tx *sql.Tx) error {
		var hid int64
		if err := tx.QueryRowContext(ctx, s.q.get("ResidentHousehold"), r.ResidentID).Scan(&r.GridCode, &hid); err != nil {
			return missing(err, fault.Resident, r.ResidentID)
		}
		r.HouseholdKey = registerKey(hid, r.ResidentID)
		slot, ticket := any(nil), any(nil)
		if r.SlotID != 0 {
			if err := s.checkSlotToClose(ctx, tx, r); err != nil {
				return err
			}
			slot = r.SlotID
		}
		if r.TicketID != 0 {
			var one int
			if err := tx.QueryRowContext(ctx, s.q.get("TicketExists"), r.TicketID).Scan(&one); err != nil {
				return missing(err, fault.Ticket, r.TicketID)
			}
			ticket = r.TicketID
		}
		if err := tx.QueryRowContext(ctx, s.q.get("InsertVisitRecord"), r.WorkerID, r.ResidentID, r.HouseholdKey, r.GridCode,
			string(r.Kind), r.Notes, s.ts(r.VisitedAt), r.RecordedBy, s.ts(r.CreatedAt), slot, ticket).Scan(&r.ID); err != nil {
			return err
		}
		for i, p := range r.Photos {
			if _, err := tx.ExecContext(ctx, s.q.get("InsertVisitPhoto"), r.ID, i, p.Key, p.ThumbnailKey, p.ContentType, p.Size); err != nil {
				return err
			}
		}
		if r.SlotID == 0 {
			return nil
		}
		res, err := tx.ExecContext(ctx, s.q.get("CloseVisitSlot"), r.ID, s.ts(now), r.SlotID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return errors.Join(err, slotClosed(r.SlotID))
		}
		return nil
	})
	if err != nil {
		return visits.Record{}, err
	}
	return r, nil
}

// checkSlotToClose refuses a slot r may not close.
func (s *Store) checkSlotToClose(ctx context.Context, tx *sql.Tx, r visits.Record) error {
	var resident, closedBy int64
	var state string
	if err := tx.QueryRowContext(ctx, s.q.get("SlotToClose"), r.SlotID).Scan(&resident, &state, &closedBy); err != nil {
		return missing(err, fault.Visit, r.SlotID)
	}
	switch {
	case resident != r.ResidentID:
		return fault.Refuse(fault.ErrInvalid,
			fmt.Sprintf("visit slot %d is booked for another resident, not %d", r.SlotID, r.ResidentID),
			fmt.Sprintf("走访预约 %d 不是居民 %d 的预约", r.SlotID, r.ResidentID), nil)
	case closedBy != 0:
		return slotClosed(r.SlotID)
	case state != campaigns.VisitConfirmed:
		return fault.Refuse(fault.ErrConflict,
			fmt.Sprintf("visit slot %d is %s, not confirmed: only a confirmed visit is closed by a record", r.SlotID, state),
			fmt.Sprintf("走访预约 %d 未经居民确认（%s），不能据此登记", r.SlotID, state), nil)
	}
	return nil
}

func slotClosed(id int64) error {
	return fault.Refuse(fault.ErrConflict,
		fmt.Sprintf("visit slot %d is already closed by an earlier record", id),
		fmt.Sprintf("走访预约 %d 已登记过走访", id), nil)
}

// VisitInputs returns, for every grid worker in post, month's visit
// figures shaped for assessment: the worker, their grid, community and
// street, VisitsDone and VisitsDue as the register computes them with cfg
// (see visits.Register); the other figures are left 0 for their own
// sources. month must be a month (fault.ErrInvalid otherwise).
func (s *Store) VisitInputs(ctx context.Context, month assessment.Period, cfg visits.Config) ([]assessment.Input, error) {
	if month.Kind != assessment.Month {
		return nil, fault.Refuse(fault.ErrInvalid, fmt.Sprintf("visit figures are counted by month, not for %s", month),
			fmt.Sprintf("走访数据按月统计，%s 不是月份", month), nil)
	}
	m := visits.Month{Year: month.Year, Month: time.Month(month.N)}
	ws, err := s.Workers(ctx)
	if err != nil {
		return nil, err
	}
	gs, err := s.Grids(ctx)
	if err != nil {
		return nil, err
	}
	grids := map[string]population.Grid{}
	for _, g := range gs {
		grids[g.Code] = g
	}
	svc := visits.Service{Store: s, Config: cfg, Now: m.End}
	var out []assessment.Input
	for _, w := range ws {
		if w.Role != population.RoleGridWorker || w.GridCode == "" {
			continue
		}
		reg, err := svc.Register(ctx, w, m)
		if err != nil {
			return nil, err
		}
		in := assessment.Input{Period: month, Worker: assessment.Worker{ID: w.ID, Code: w.Code, Name: w.Name},
			VisitsDone: reg.VisitsDone, VisitsDue: reg.VisitsDue()}
		for code := w.GridCode; code != ""; code = grids[code].ParentCode {
			g, ok := grids[code]
			if !ok {
				break
			}
			u := assessment.Unit{Code: g.Code, Name: g.Name}
			switch g.Level {
			case population.LevelGrid:
				in.Grid = u
			case population.LevelCommunity:
				in.Community = u
			case population.LevelStreet:
				in.Street = u
			}
		}
		out = append(out, in)
	}
	return out, nil
}

var _ visits.Store = (*Store)(nil)
