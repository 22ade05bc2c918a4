package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"hash"

	"github.com/gridcast/gridcast/population"
)

// existing is what matching an incoming row against the store needs.
type existing struct {
	id          int64
	contentHash string
	erased      bool // erased on request: the row is refused, not written
}

type householdKey struct {
	grid string
	addr population.Address
}

// UpsertResidents writes rs in one transaction, all or nothing. Each row is
// validated first; on the first invalid one it returns an error naming the
// row's index and writes nothing. Rows are matched to stored residents by
// the keyed hash of the ID number; a row identical to the stored one (every
// imported field, see contentHash) is left untouched, so re-importing a
// file changes nothing and keeps updated_at. BirthDate and Gender are filled
// from the ID number when zero. Categories, skills and desired jobs are
// replaced on change; opt-outs in the row are added (an import never
// withdraws a resident's opt-out) and an openid in the row is bound (an
// empty one never unbinds). A row for a resident erased on request
// (EraseResident) is not written and counts as Erased: the source still
// holds them, and they stay erased. Households are created or reused by
// grid and address. A row dated by its source (SourceUpdatedAt, a sync's)
// never overwrites a field changed from the field after that date
// (RecordChanges): the phone keeps GridCast's value. The living record
// (status, living arrangement …) is never written here. Sized for the
// import and sync path: about a thousand rows a call.
func (s *Store) UpsertResidents(ctx context.Context, rs []population.Resident) (population.UpsertStats, error) {
	var stats population.UpsertStats
	if len(rs) == 0 {
		return stats, nil
	}
	// Validate everything before writing anything.
	for i := range rs {
		r := rs[i]
		if err := checkResident(&r); err != nil {
			return stats, fmt.Errorf("store: resident %d: %w", i, err)
		}
	}
	now := s.ts(s.now())
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return stats, fmt.Errorf("store: upsert residents: %w", err)
	}
	defer tx.Rollback()
	st, err := prepareStmts(ctx, tx, s.q, "HouseholdID", "InsertHousehold", "InsertResident", "UpdateResident")
	if err != nil {
		return stats, fmt.Errorf("store: upsert residents: %w", err)
	}
	defer st.close()
	hh := householdCache{get: st["HouseholdID"], ins: st["InsertHousehold"], ids: map[householdKey]int64{}}
	// One transaction, written a chunk at a time, so that a large import
	// stays all-or-nothing while the store holds only one chunk's prepared
	// rows, matches and children at once.
	h := sha256.New()
	for lo := 0; lo < len(rs); lo += upsertChunk {
		hi := min(lo+upsertChunk, len(rs))
		cs, err := s.upsertChunk(ctx, tx, st, &hh, h, rs[lo:hi], lo, now)
		if err != nil {
			return population.UpsertStats{}, err
		}
		stats = stats.Add(cs)
	}
	if err := tx.Commit(); err != nil {
		return population.UpsertStats{}, fmt.Errorf("store: upsert residents: commit: %w", err)
	}
	return stats, nil
}

// upsertChunk is the number of residents UpsertResidents prepares and
// writes at a time inside its transaction.
const upsertChunk = 1000

// upsertChunk writes rs (whose first element is resident number offset of
// the call) inside tx.
func (s *Store) upsertChunk(ctx context.Context, tx *sql.Tx, st stmts, hh *householdCache, h hash.Hash, rs []population.Resident, offset int, now any) (population.UpsertStats, error) {
	var stats population.UpsertStats
	ps := make([]prepared, len(rs))
	for i := range rs {
		p, err := s.prepare(rs[i], h)
		if err != nil {
			return stats, fmt.Errorf("store: resident %d: %w", offset+i, err)
		}
		ps[i] = p
	}
	known, err := s.matchResidents(ctx, tx, ps)
	if err != nil {
		return stats, err
	}
	if err := s.keepFieldChanges(ctx, tx, ps, known); err != nil {
		return stats, err
	}
	if s.driver == DriverPostgres {
		if stats, ok, err := s.upsertBatch(ctx, tx, hh, ps, known, now); ok || err != nil {
			return stats, err
		}
	}
	return s.upsertRows(ctx, tx, st, hh, ps, known, offset, now)
}

// upsertRows writes ps a row at a time through the prepared statements st:
// SQLite's path (in process, a prepared statement per row is its bulk
// path), and PostgreSQL's for a chunk upsertBatch cannot take.
func (s *Store) upsertRows(ctx context.Context, tx *sql.Tx, st stmts, hh *householdCache, ps []prepared, known map[string]existing, offset int, now any) (population.UpsertStats, error) {
	var stats population.UpsertStats
	// touched maps a written resident to the row it was written from (the
	// last one, should a batch hold the same person twice).
	touched := map[int64]int{}
	var order, replaced []int64
	for i := range ps {
		p := &ps[i]
		r := &p.r
		ex, found := known[p.idHash]
		if found && ex.erased {
			stats.Erased++
			continue
		}
		if found && ex.contentHash == p.contentHash {
			stats.Unchanged++
			continue
		}
		household, err := hh.id(ctx, r.GridCode, r.Address)
		if err != nil {
			return stats, fmt.Errorf("store: resident %d: household: %w", offset+i, err)
		}
		id := ex.id
		if found {
			_, err = st["UpdateResident"].ExecContext(ctx, string(r.Name), string(r.Gender), s.date(r.BirthDate),
				string(r.Phone), household, r.GridCode, r.TrainingCourse, r.TrainingCohort, string(r.OpenID),
				string(r.PreferredChannel), p.contentHash, now, id)
			stats.Updated++
			replaced = append(replaced, id)
		} else {
			err = st["InsertResident"].QueryRowContext(ctx, p.idHash, p.sealed, p.masked, string(r.Name),
				string(r.Gender), s.date(r.BirthDate), string(r.Phone), household, r.GridCode, r.TrainingCourse,
				r.TrainingCohort, string(r.OpenID), string(r.PreferredChannel), p.contentHash, now, now).Scan(&id)
			stats.Inserted++
		}
		if err != nil {
			return population.UpsertStats{}, fmt.Errorf("store: resident %d: %w", offset+i, err)
		}
		known[p.idHash] = existing{id: id, contentHash: p.contentHash}
		if _, dup := touched[id]; !dup {
			order = append(order, id)
		}
		touched[id] = i
	}

	if err := s.replaceChildren(ctx, tx, replaced, order, func(id int64) *prepared { return &ps[touched[id]] }, now); err != nil {
		return population.UpsertStats{}, err
	}
	return stats, nil
}

// replaceChildren deletes the categories, skills and jobs of the replaced
// residents, then writes the child rows of the written ones (in order,
// each from the row of) in one statement per table.
func (s *Store) replaceChildren(ctx context.Context, tx *sql.Tx, replaced, written []int64, of func(int64) *prepared, now any) error {
	if len(replaced) > 0 {
		for _, name := range []string{"DeleteCategories", "DeleteSkills", "DeleteJobs"} {
			if _, err := tx.ExecContext(ctx, s.q.get(name), s.int64s(replaced)); err != nil {
				return fmt.Errorf("store: upsert residents: %s: %w", name, err)
			}
		}
	}
	var c children
	for _, id := range written {
		c.add(id, of(id))
	}
	return s.insertChildren(ctx, tx, &c, now)
}

// matchResidents finds the stored residents among ps by ID hash, in one
// query.
func (s *Store) matchResidents(ctx context.Context, tx *sql.Tx, ps []prepared) (map[string]existing, error) {
	hashes := make([]string, len(ps))
	for i := range ps {
		hashes[i] = ps[i].idHash
	}
	rows, err := tx.QueryContext(ctx, s.q.get("MatchResidents"), s.strs(hashes))
	if err != nil {
		return nil, fmt.Errorf("store: match residents: %w", err)
	}
	defer rows.Close()
	known := make(map[string]existing, len(ps))
	for rows.Next() {
		var e existing
		var h string
		if err := rows.Scan(&e.id, &h, &e.contentHash, &e.erased); err != nil {
			return nil, fmt.Errorf("store: match residents: %w", err)
		}
		known[h] = e
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: match residents: %w", err)
	}
	return known, nil
}

// children collects child rows as parallel columns for one batched insert
// per table.
type children struct {
	catIDs, skillIDs, jobIDs, optIDs []int64
	cats, skills, jobs, opts         []string
}

func (c *children) add(id int64, p *prepared) {
	for _, v := range p.categories {
		c.catIDs, c.cats = append(c.catIDs, id), append(c.cats, v)
	}
	for _, v := range p.skills {
		c.skillIDs, c.skills = append(c.skillIDs, id), append(c.skills, v)
	}
	for _, v := range p.jobs {
		c.jobIDs, c.jobs = append(c.jobIDs, id), append(c.jobs, v)
	}
	for _, v := range p.optOuts {
		c.optIDs, c.opts = append(c.optIDs, id), append(c.opts, v)
	}
}

func (s *Store) insertChildren(ctx context.Context, tx *sql.Tx, c *children, now any) error {
	type batch struct {
		name string
		ids  []int64
		vals []string
	}
	for _, b := range []batch{{"InsertCategories", c.catIDs, c.cats}, {"InsertSkills", c.skillIDs, c.skills}, {"InsertJobs", c.jobIDs, c.jobs}} {
		if len(b.ids) == 0 {
			continue
		}
		if _, err := tx.ExecContext(ctx, s.q.get(b.name), s.pairs(b.ids, b.vals)...); err != nil {
			return fmt.Errorf("store: %s: %w", b.name, err)
		}
	}
	if len(c.optIDs) > 0 {
		if _, err := tx.ExecContext(ctx, s.q.get("InsertOptOuts"), append([]any{now}, s.pairs(c.optIDs, c.opts)...)...); err != nil {
			return fmt.Errorf("store: InsertOptOuts: %w", err)
		}
	}
	return nil
}

// householdCache finds or creates households by grid and address within
// one transaction. A resident without an address has no household.
type householdCache struct {
	get, ins *sql.Stmt
	ids      map[householdKey]int64
	// insertFirst tries the insert before the lookup: one statement per new
	// household when seeding, where nearly every address is new.
	insertFirst bool
}

func (c *householdCache) id(ctx context.Context, grid string, a population.Address) (any, error) {
	if a == (population.Address{}) {
		return nil, nil
	}
	k := householdKey{grid, a}
	if id, ok := c.ids[k]; ok {
		return id, nil
	}
	var id int64
	args := []any{grid, a.Community, a.Building, a.Unit, a.Room}
	if c.insertFirst {
		err := c.ins.QueryRowContext(ctx, args...).Scan(&id)
		if err == nil {
			c.ids[k] = id
			return id, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
	}
	err := c.get.QueryRowContext(ctx, args...).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		// ON CONFLICT DO NOTHING returns no row when a concurrent writer
		// created it first; read it back then.
		err = c.ins.QueryRowContext(ctx, args...).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			err = c.get.QueryRowContext(ctx, args...).Scan(&id)
		}
	}
	if err != nil {
		return nil, err
	}
	c.ids[k] = id
	return id, nil
}

// stmts is a set of prepared statements by query name.
type stmts map[string]*sql.Stmt

func prepareStmts(ctx context.Context, tx *sql.Tx, q queries, names ...string) (stmts, error) {
	st := stmts{}
	for _, n := range names {
		p, err := tx.PrepareContext(ctx, q.get(n))
		if err != nil {
			st.close()
			return nil, fmt.Errorf("prepare %s: %w", n, err)
		}
		st[n] = p
	}
	return st, nil
}

func (st stmts) close() {
	for _, p := range st {
		p.Close()
	}
}
