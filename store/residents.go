package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/retention"
)

type scanner interface{ Scan(...any) error }

// scanResident reads the columns every resident query selects, in order.
func scanResident(sc scanner) (population.Resident, error) {
	var r population.Resident
	var name, gender, phone, openid, channel string
	err := sc.Scan(&r.ID, &r.IDMasked, &name, &gender, timeCol{&r.BirthDate}, &phone, &r.GridCode,
		&r.Address.Community, &r.Address.Building, &r.Address.Unit, &r.Address.Room,
		&r.TrainingCourse, &r.TrainingCohort, &openid, &channel, timeCol{&r.UpdatedAt})
	r.Name, r.Gender, r.Phone, r.OpenID = pii.Name(name), population.Gender(gender), pii.Phone(phone), pii.OpenID(openid)
	r.PreferredChannel = population.Channel(channel)
	return r, err
}

// loadChildren fills categories, skills, desired jobs and opt-outs for rs
// with a fixed number of queries over the residents' ids (childQueries:
// one round trip with PostgreSQL), whatever the number of residents.
func (s *Store) loadChildren(ctx context.Context, rs []population.Resident) error {
	return s.loadChildrenWith(ctx, nil, rs)
}

// prepareChildren prepares the child-row queries, for a caller that loads
// the children of many pages; close them with closeStmts.
func (s *Store) prepareChildren(ctx context.Context) ([]*sql.Stmt, error) {
	var out []*sql.Stmt
	for _, name := range s.childQueries() {
		st, err := s.r.PrepareContext(ctx, s.q.get(name))
		if err != nil {
			closeStmts(out)
			return nil, fmt.Errorf("store: prepare %s: %w", name, err)
		}
		out = append(out, st)
	}
	return out, nil
}

// childQueries are the store's childQueries, RecordsOf left out on a
// schema before the living records.
func (s *Store) childQueries() []string {
	qs := childQueries[s.driver]
	if s.noRecords {
		return qs[:len(qs)-1]
	}
	return qs
}

func closeStmts(sts []*sql.Stmt) {
	for _, st := range sts {
		st.Close()
	}
}

// loadChildrenWith is loadChildren through the statements prepareChildren
// returned; nil runs the queries unprepared.
func (s *Store) loadChildrenWith(ctx context.Context, prepared []*sql.Stmt, rs []population.Resident) error {
	if len(rs) == 0 {
		return nil
	}
	ids := make([]int64, len(rs))
	at := make(map[int64]int, len(rs))
	for i := range rs {
		ids[i] = rs[i].ID
		at[rs[i].ID] = i
	}
	arg := s.int64s(ids)
	for i, name := range s.childQueries() {
		var rows *sql.Rows
		var err error
		if prepared != nil {
			rows, err = prepared[i].QueryContext(ctx, arg)
		} else {
			rows, err = s.r.QueryContext(ctx, s.q.get(name), arg)
		}
		if err != nil {
			return fmt.Errorf("store: %s: %w", name, err)
		}
		if err := addChildren(rows, rs, at); err != nil {
			return fmt.Errorf("store: %s: %w", name, err)
		}
	}
	return nil
}

// addChildren appends the (kind, resident id, value) rows to the residents
// of rs, found by id through at, and closes rows.
func addChildren(rows *sql.Rows, rs []population.Resident, at map[int64]int) error {
	defer rows.Close()
	var (
		kind int
		id   int64
		v    string
	)
	for rows.Next() {
		if err := rows.Scan(&kind, &id, &v); err != nil {
			return err
		}
		i, ok := at[id]
		if !ok {
			continue
		}
		r := &rs[i]
		switch kind {
		case 0:
			r.Categories = append(r.Categories, population.Category(v))
		case 1:
			r.Skills = append(r.Skills, v)
		case 2:
			r.DesiredJobs = append(r.DesiredJobs, v)
		case 3:
			r.OptOuts = append(r.OptOuts, population.Topic(v))
		case 4:
			r.Status = population.Status(v)
		case 5:
			r.Living = population.Living(v)
		case 6:
			r.SelfCare = population.SelfCare(v)
		case 7:
			r.Health = population.HealthNote(v)
		case 8:
			r.Relation = population.Relation(v)
		}
	}
	return rows.Err()
}

// residentBy runs one of the single-resident queries and loads children.
func (s *Store) residentBy(ctx context.Context, query, key string, arg any) (population.Resident, error) {
	r, err := scanResident(s.r.QueryRowContext(ctx, s.q.get(query), arg))
	if err != nil {
		return population.Resident{}, missing(err, fault.Resident, key)
	}
	rs := []population.Resident{r}
	if err := s.loadChildren(ctx, rs); err != nil {
		return population.Resident{}, err
	}
	return rs[0], nil
}

// Resident returns the resident with the given store id, children loaded,
// IDNumber empty and IDMasked set; an error wrapping fault.ErrNotFound
// if there is none.
func (s *Store) Resident(ctx context.Context, id int64) (population.Resident, error) {
	return s.residentBy(ctx, "ResidentByID", strconv.FormatInt(id, 10), id)
}

// ResidentByIDNumber finds a resident by ID number (through its keyed hash).
func (s *Store) ResidentByIDNumber(ctx context.Context, id pii.IDNumber) (population.Resident, error) {
	id = pii.NormalizeIDNumber(string(id))
	return s.residentBy(ctx, "ResidentByHash", "with ID number "+id.Masked(), s.sealer.Hash(id))
}

// ResidentByPhone finds a resident by mobile number (the lowest id if
// several share one, as family members sometimes do).
func (s *Store) ResidentByPhone(ctx context.Context, p pii.Phone) (population.Resident, error) {
	p = pii.NormalizePhone(string(p))
	return s.residentBy(ctx, "ResidentByPhone", "with phone "+p.Masked(), string(p))
}

// ResidentByOpenID finds the resident bound to a WeChat openid.
func (s *Store) ResidentByOpenID(ctx context.Context, o pii.OpenID) (population.Resident, error) {
	return s.residentBy(ctx, "ResidentByOpenID", "with openid "+o.Masked(), string(o))
}

// UnmaskIDNumber decrypts a resident's ID number. Callers must have checked
// that the person asking may see it; the unmask is logged (without the
// number) for the audit trail. A resident erased on request has none any
// more: retention.ErrErased.
func (s *Store) UnmaskIDNumber(ctx context.Context, residentID int64) (pii.IDNumber, error) {
	var sealed []byte
	if err := s.r.QueryRowContext(ctx, s.q.get("ResidentSealedID"), residentID).Scan(&sealed); err != nil {
		return "", notFound(err, fmt.Sprintf("unmask resident %d", residentID))
	}
	if len(sealed) == 0 {
		return "", fmt.Errorf("store: unmask resident %d: %w", residentID, retention.ErrErased)
	}
	id, err := s.sealer.Open(sealed)
	if err != nil {
		return "", fmt.Errorf("store: unmask resident %d: %w", residentID, err)
	}
	s.log.InfoContext(ctx, "id_number_unmasked", "resident_id", residentID)
	return id, nil
}

// SetOptOut records (out=true) or withdraws (out=false) a resident's
// opt-out of topic t and bumps updated_at. Either is idempotent.
func (s *Store) SetOptOut(ctx context.Context, residentID int64, t population.Topic, out bool) error {
	if _, err := population.ParseTopic(string(t)); err != nil {
		return fmt.Errorf("store: set opt-out: %w", err)
	}
	return s.inTx(ctx, "set opt-out", func(tx *sql.Tx) error {
		if err := s.residentExists(ctx, tx, residentID); err != nil {
			return err
		}
		now := s.ts(s.now())
		var err error
		if out {
			_, err = tx.ExecContext(ctx, s.q.get("InsertOptOut"), string(t), residentID, now)
		} else {
			_, err = tx.ExecContext(ctx, s.q.get("DeleteOptOut"), string(t), residentID)
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, s.q.get("TouchResident"), now, residentID)
		return err
	})
}

// BindOpenID binds a WeChat openid to a resident (an empty one unbinds).
// An openid belongs to one resident: binding one held by another returns an
// error wrapping fault.ErrConflict.
func (s *Store) BindOpenID(ctx context.Context, residentID int64, o pii.OpenID) error {
	return s.inTx(ctx, "bind openid", func(tx *sql.Tx) error {
		if err := s.residentExists(ctx, tx, residentID); err != nil {
			return err
		}
		if o != "" {
			var owner int64
			err := tx.QueryRowContext(ctx, s.q.get("OpenIDOwner"), string(o)).Scan(&owner)
			switch {
			case err == nil && owner != residentID:
				return fmt.Errorf("openid %s is bound to another resident: %w", o.Masked(), fault.ErrConflict)
			case err != nil && !errors.Is(err, sql.ErrNoRows):
				return err
			}
		}
		_, err := tx.ExecContext(ctx, s.q.get("BindOpenID"), string(o), s.ts(s.now()), residentID)
		return err
	})
}

func (s *Store) residentExists(ctx context.Context, tx *sql.Tx, id int64) error {
	var got int64
	if err := tx.QueryRowContext(ctx, s.q.get("ResidentExists"), id).Scan(&got); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return fault.NotFound(fault.Resident, id)
		}
		return err
	}
	return nil
}

// inTx runs fn in a write transaction, prefixing its error with what.
func (s *Store) inTx(ctx context.Context, what string, fn func(*sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: %s: commit: %w", what, err)
	}
	return nil
}

// CountResidents returns how many residents the store holds.
func (s *Store) CountResidents(ctx context.Context) (int64, error) {
	var n int64
	if err := s.r.QueryRowContext(ctx, s.q.get("CountResidents")).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count residents: %w", err)
	}
	return n, nil
}

// Residents looks up many residents at once by store id, children loaded,
// for the senders; ids the store does not hold are absent from the map.
func (s *Store) Residents(ctx context.Context, ids []int64) (map[int64]population.Resident, error) {
	out := make(map[int64]population.Resident, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := s.r.QueryContext(ctx, s.q.get("ResidentsByIDs"), s.int64s(ids))
	if err != nil {
		return nil, fmt.Errorf("store: residents: %w", err)
	}
	var rs []population.Resident
	for rows.Next() {
		r, err := scanResident(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: residents: %w", err)
		}
		rs = append(rs, r)
	}
	if err := rows.Close(); err != nil {
		return nil, fmt.Errorf("store: residents: %w", err)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: residents: %w", err)
	}
	if err := s.loadChildren(ctx, rs); err != nil {
		return nil, err
	}
	for _, r := range rs {
		out[r.ID] = r
	}
	return out, nil
}
