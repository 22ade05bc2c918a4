package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
)

// recordsVersion is the migration that adds the living records.
const recordsVersion = 19

// ErrErasedRecord refuses a change of the record of a resident erased on
// request: there is nobody left to record anything of.
var ErrErasedRecord = fault.Refuse(fault.ErrConflict,
	"the resident was erased on request: their record can no longer be changed",
	"该居民已应本人要求删除个人信息，不能再变更其信息", nil)

// RecordChanges records changes of resident residentID's living record
// (活户籍) in one transaction, all or nothing: each is validated first
// (an error wrapping fault.ErrInvalid, nothing stored); a field set to
// the value it holds is not a change and is left out. Each change stored
// keeps the value before, the time, and the grid worker it counts for in
// their evaluation (the grid worker whose code or name By is, else the
// worker of the resident's grid).
//
// A status changed to moved out or deceased takes effect at once: segments
// stop selecting the resident, their campaign messages and reminders still
// waiting are skipped (outbound.SkipMovedOut, outbound.SkipDeceased) with
// their history, and their visits booked ahead are cancelled.
//
// An unknown resident is fault.ErrNotFound; one erased on request
// ErrErasedRecord (fault.ErrConflict). Personal values are never logged.
func (s *Store) RecordChanges(ctx context.Context, residentID int64, cs []population.Change) (population.Recorded, error) {
	out := population.Recorded{ResidentID: residentID}
	if len(cs) == 0 {
		return out, population.ErrNoChange
	}
	for i := range cs {
		cs[i].ResidentID = residentID
		if err := cs[i].Validate(); err != nil {
			return out, fmt.Errorf("store: record changes of resident %d: %w", residentID, err)
		}
	}
	err := s.inTx(ctx, fmt.Sprintf("record changes of resident %d", residentID), func(tx *sql.Tx) error {
		var (
			grid, status, phone, living, selfCare, health, relation string
			erased                                                  bool
		)
		err := tx.QueryRowContext(ctx, s.q.get("RecordForChange"), residentID).Scan(&grid, &status, &phone,
			&living, &selfCare, &health, &relation, &erased)
		if errors.Is(err, sql.ErrNoRows) {
			return fault.NotFound(fault.Resident, residentID)
		}
		if err != nil {
			return fmt.Errorf("RecordForChange: %w", err)
		}
		if erased {
			return ErrErasedRecord
		}
		cur := population.Resident{Status: population.Status(status), Phone: pii.Phone(phone),
			Living: population.Living(living), SelfCare: population.SelfCare(selfCare),
			Health: population.HealthNote(health), Relation: population.Relation(relation)}
		wasActive := cur.Active()
		at := s.now().UTC().Truncate(time.Microsecond)
		var kept []population.Change
		for _, c := range cs {
			before := cur.Value(c.Field)
			if before == c.After {
				continue
			}
			c.Before, c.At, c.GridCode = before, at, grid
			setValue(&cur, c.Field, c.After)
			kept = append(kept, c)
		}
		if len(kept) == 0 {
			return nil
		}
		worker, err := s.changeWorker(ctx, tx, kept[0].By, grid)
		if err != nil {
			return err
		}
		now := s.ts(at)
		if _, err := tx.ExecContext(ctx, s.q.get("UpdateRecord"), string(cur.Status), string(cur.Phone), string(cur.Living),
			string(cur.SelfCare), string(cur.Health), string(cur.Relation), now, residentID); err != nil {
			return fmt.Errorf("UpdateRecord: %w", err)
		}
		var workerArg any
		if worker != 0 {
			workerArg = worker
		}
		for i := range kept {
			c := &kept[i]
			c.WorkerID = worker
			if err := tx.QueryRowContext(ctx, s.q.get("InsertChange"), residentID, grid, string(c.Field), c.Before, c.After,
				c.By, workerArg, string(c.Source), c.Note, now).Scan(&c.ID); err != nil {
				return fmt.Errorf("InsertChange: %w", err)
			}
		}
		out.Changes = kept
		if wasActive && !cur.Active() {
			why := outbound.SkipFor(cur.Status)
			note := "the resident's record says " + cur.Status.Label() + " (" + string(cur.Status) + ")"
			if out.MessagesSkipped, err = s.skipPending(ctx, tx, at, why, note, "InactiveSkipPending", now, residentID, string(why)); err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, s.q.get("CancelVisitsOf"), now, residentID)
			if err != nil {
				return fmt.Errorf("CancelVisitsOf: %w", err)
			}
			if out.VisitsCancelled, err = res.RowsAffected(); err != nil {
				return fmt.Errorf("CancelVisitsOf: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return population.Recorded{ResidentID: residentID}, err
	}
	if len(out.Changes) > 0 {
		fields := make([]string, len(out.Changes))
		for i, c := range out.Changes {
			fields[i] = string(c.Field)
		}
		s.log.InfoContext(ctx, "resident_record_changed", "resident_id", residentID, "fields", fields,
			"by", pii.Name(out.Changes[0].By), "messages_skipped", out.MessagesSkipped, "visits_cancelled", out.VisitsCancelled)
	}
	return out, nil
}

// setValue sets r's field f to v (a normalized value).
func setValue(r *population.Resident, f population.ChangeField, v string) {
	switch f {
	case population.FieldStatus:
		r.Status = population.Status(v)
	case population.FieldPhone:
		r.Phone = pii.Phone(v)
	case population.FieldLiving:
		r.Living = population.Living(v)
	case population.FieldSelfCare:
		r.SelfCare = population.SelfCare(v)
	case population.FieldHealth:
		r.Health = population.HealthNote(v)
	case population.FieldRelation:
		r.Relation = population.Relation(v)
	}
}

// changeWorker is the grid worker a change by who counts for: the one
// whose code or name who is, else the worker of grid; 0 when neither.
func (s *Store) changeWorker(ctx context.Context, tx *sql.Tx, who, grid string) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, s.q.get("ChangeWorker"), who).Scan(&id)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("ChangeWorker: %w", err)
	}
	var code, name, phone, openid, role, wgrid, hours string
	err = tx.QueryRowContext(ctx, s.q.get("WorkerForGrid"), grid, string(population.RoleGridWorker)).Scan(&id, &code,
		&name, &phone, &openid, &role, &wgrid, &hours)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("WorkerForGrid: %w", err)
	}
	return id, nil
}

// ResidentChanges returns every change of resident residentID's living
// record, oldest first, values in clear (the caller masks what it shows:
// population.Change.Shown). An unknown resident has none.
func (s *Store) ResidentChanges(ctx context.Context, residentID int64) ([]population.Change, error) {
	rows, err := s.r.QueryContext(ctx, s.q.get("ResidentChanges"), residentID)
	if err != nil {
		return nil, fmt.Errorf("store: changes of resident %d: %w", residentID, err)
	}
	defer rows.Close()
	var out []population.Change
	for rows.Next() {
		c, err := scanChange(rows)
		if err != nil {
			return nil, fmt.Errorf("store: changes of resident %d: %w", residentID, err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: changes of resident %d: %w", residentID, err)
	}
	return out, nil
}

func scanChange(sc scanner, more ...any) (population.Change, error) {
	var c population.Change
	var field, source string
	err := sc.Scan(append([]any{&c.ID, &c.ResidentID, &c.GridCode, &field, &c.Before, &c.After, &c.By, &c.WorkerID,
		&source, &c.Note, timeCol{&c.At}}, more...)...)
	c.Field, c.Source = population.ChangeField(field), population.ChangeSource(source)
	return c, err
}

// MaxChangesPage is the most changes ChangesSince returns at once.
const MaxChangesPage = 5000

// ChangesSince returns the changes made at or after since, of residents
// not erased on request, with id above afterID, in id order, at most limit
// (1 to MaxChangesPage; out of range is MaxChangesPage): a page of the
// change file for the source population system. A caller pages on with
// the last id it got. With unmask, each change carries its resident's
// clear ID number (the source system's key): the caller must have logged
// the export; without, IDNumber stays empty.
func (s *Store) ChangesSince(ctx context.Context, since time.Time, afterID int64, limit int, unmask bool) ([]population.ResidentChange, error) {
	if limit <= 0 || limit > MaxChangesPage {
		limit = MaxChangesPage
	}
	rows, err := s.r.QueryContext(ctx, s.q.get("ChangesSince"), s.ts(since), afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: changes since %s: %w", since.Format(time.RFC3339), err)
	}
	defer rows.Close()
	var out []population.ResidentChange
	for rows.Next() {
		var rc population.ResidentChange
		var name string
		var sealed []byte
		if rc.Change, err = scanChange(rows, &name, &rc.IDMasked, &sealed); err != nil {
			return nil, fmt.Errorf("store: changes since: %w", err)
		}
		rc.Name = pii.Name(name)
		if unmask && len(sealed) > 0 {
			if rc.IDNumber, err = s.sealer.Open(sealed); err != nil {
				return nil, fmt.Errorf("store: changes since: resident %d: %w", rc.ResidentID, err)
			}
		}
		out = append(out, rc)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: changes since: %w", err)
	}
	return out, nil
}

// RecordsUpdated counts, per grid worker id, the residents whose records
// (活户籍) were changed from the field in [from, to) and count for that
// worker (population.Change.WorkerID): the figure of
// assessment.Input.RecordsUpdated for the month from, to (pass
// Period.Start() and Period.End()). Imports and syncs do not count; a
// worker who changed nothing is absent.
func (s *Store) RecordsUpdated(ctx context.Context, from, to time.Time) (map[int64]int, error) {
	rows, err := s.r.QueryContext(ctx, s.q.get("RecordsUpdated"), s.ts(from), s.ts(to))
	if err != nil {
		return nil, fmt.Errorf("store: records updated: %w", err)
	}
	defer rows.Close()
	out := map[int64]int{}
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("store: records updated: %w", err)
		}
		out[id] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: records updated: %w", err)
	}
	return out, nil
}

// keepFieldChanges guards the fields changed from the field against an
// older source row: for each row of ps matched to a stored resident and
// dated by its source (SourceUpdatedAt, the sync's), a field GridCast
// changed after that date keeps GridCast's value. The content hash stays
// the source row's, so that the same source row next time is Unchanged.
func (s *Store) keepFieldChanges(ctx context.Context, tx *sql.Tx, ps []prepared, known map[string]existing) error {
	if s.noRecords {
		return nil
	}
	at := map[int64]int{}
	var ids []int64
	for i := range ps {
		ex, found := known[ps[i].idHash]
		if !found || ex.erased || ex.contentHash == ps[i].contentHash || ps[i].r.SourceUpdatedAt.IsZero() {
			continue
		}
		at[ex.id] = i
		ids = append(ids, ex.id)
	}
	if len(ids) == 0 {
		return nil
	}
	rows, err := tx.QueryContext(ctx, s.q.get("FieldChangesOf"), s.int64s(ids))
	if err != nil {
		return fmt.Errorf("store: FieldChangesOf: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var field, phone string
		var changed time.Time
		if err := rows.Scan(&id, &field, timeCol{&changed}, &phone); err != nil {
			return fmt.Errorf("store: FieldChangesOf: %w", err)
		}
		p := &ps[at[id]]
		if population.ChangeField(field) == population.FieldPhone && changed.After(p.r.SourceUpdatedAt) {
			p.r.Phone = pii.Phone(phone)
		}
	}
	return rows.Err()
}
