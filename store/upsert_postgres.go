package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/gridcast/gridcast/population"
)

// upsertBatch writes a chunk of UpsertResidents with PostgreSQL in a fixed
// number of statements, whatever its size: the chunk's new households in
// one, its new residents in one, its changed ones in one (arrays unnested
// server-side), then the child rows as the row path writes them. It
// returns ok=false, having written nothing, when the chunk is for the row
// path: a chunk holding the same person twice (the row path writes the
// rows in turn, the last one winning), or one a statement refused (a
// constraint such as an openid bound to another resident), so that the
// row path fails on the row itself and names it.
func (s *Store) upsertBatch(ctx context.Context, tx *sql.Tx, hh *householdCache, ps []prepared, known map[string]existing, now any) (stats population.UpsertStats, ok bool, err error) {
	seen := make(map[string]bool, len(ps))
	for i := range ps {
		if seen[ps[i].idHash] {
			return stats, false, nil
		}
		seen[ps[i].idHash] = true
	}
	if _, err := tx.ExecContext(ctx, "SAVEPOINT upsert_batch"); err != nil {
		return stats, false, fmt.Errorf("store: upsert residents: %w", err)
	}
	stats, err = s.upsertBatchWrite(ctx, tx, hh, ps, known, now)
	if err != nil {
		if _, rerr := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT upsert_batch"); rerr != nil {
			return population.UpsertStats{}, false, fmt.Errorf("store: upsert residents: %w (rolling back: %w)", err, rerr)
		}
		// Households the batch created are gone with it.
		clear(hh.ids)
		s.log.DebugContext(ctx, "upsert_batch_refused", "rows", len(ps), "err", err)
		return population.UpsertStats{}, false, nil
	}
	if _, err := tx.ExecContext(ctx, "RELEASE SAVEPOINT upsert_batch"); err != nil {
		return population.UpsertStats{}, false, fmt.Errorf("store: upsert residents: %w", err)
	}
	return stats, true, nil
}

func (s *Store) upsertBatchWrite(ctx context.Context, tx *sql.Tx, hh *householdCache, ps []prepared, known map[string]existing, now any) (population.UpsertStats, error) {
	var stats population.UpsertStats
	var ins, upd []int // indexes into ps
	for i := range ps {
		ex, found := known[ps[i].idHash]
		switch {
		case found && ex.erased:
			stats.Erased++
		case found && ex.contentHash == ps[i].contentHash:
			stats.Unchanged++
		case found:
			upd = append(upd, i)
		default:
			ins = append(ins, i)
		}
	}
	if len(ins)+len(upd) == 0 {
		return stats, nil
	}
	if err := s.batchHouseholds(ctx, tx, hh, ps, append(ins, upd...)); err != nil {
		return stats, err
	}
	household := func(r *population.Resident) *int64 {
		if r.Address == (population.Address{}) {
			return nil
		}
		id := hh.ids[householdKey{r.GridCode, r.Address}]
		return &id
	}

	written := make(map[int64]*prepared, len(ins)+len(upd))
	var order, replaced []int64
	if len(ins) > 0 {
		var c batchColumns
		for _, i := range ins {
			c.add(&ps[i], household(&ps[i].r))
		}
		rows, err := tx.QueryContext(ctx, s.q.get("InsertResidents"), c.idHash, c.sealed, c.masked, c.name, c.gender,
			c.birth, c.phone, c.household, c.grid, c.course, c.cohort, c.openid, c.channel, c.contentHash, now)
		if err != nil {
			return stats, fmt.Errorf("insert residents: %w", err)
		}
		byHash := make(map[string]int64, len(ins))
		for rows.Next() {
			var id int64
			var h string
			if err := rows.Scan(&id, &h); err != nil {
				rows.Close()
				return stats, fmt.Errorf("insert residents: %w", err)
			}
			byHash[h] = id
		}
		if err := rows.Close(); err != nil {
			return stats, fmt.Errorf("insert residents: %w", err)
		}
		if err := rows.Err(); err != nil {
			return stats, fmt.Errorf("insert residents: %w", err)
		}
		for _, i := range ins {
			id, ok := byHash[ps[i].idHash]
			if !ok {
				return stats, fmt.Errorf("insert residents: no id returned for row %d", i)
			}
			written[id] = &ps[i]
			order = append(order, id)
		}
		stats.Inserted += len(ins)
	}
	if len(upd) > 0 {
		var c batchColumns
		ids := make([]int64, 0, len(upd))
		for _, i := range upd {
			id := known[ps[i].idHash].id
			c.add(&ps[i], household(&ps[i].r))
			ids = append(ids, id)
			written[id] = &ps[i]
			order = append(order, id)
			replaced = append(replaced, id)
		}
		if _, err := tx.ExecContext(ctx, s.q.get("UpdateResidents"), ids, c.name, c.gender, c.birth, c.phone, c.household,
			c.grid, c.course, c.cohort, c.openid, c.channel, c.contentHash, now); err != nil {
			return stats, fmt.Errorf("update residents: %w", err)
		}
		stats.Updated += len(upd)
	}
	if err := s.replaceChildren(ctx, tx, replaced, order, func(id int64) *prepared { return written[id] }, now); err != nil {
		return stats, err
	}
	return stats, nil
}

// batchHouseholds makes sure hh knows the household of every row of ps at
// the indexes given, creating the missing ones in one statement.
func (s *Store) batchHouseholds(ctx context.Context, tx *sql.Tx, hh *householdCache, ps []prepared, at []int) error {
	var grid, community, building, unit, room []string
	want := map[householdKey]bool{}
	for _, i := range at {
		r := &ps[i].r
		if r.Address == (population.Address{}) {
			continue
		}
		k := householdKey{r.GridCode, r.Address}
		if _, ok := hh.ids[k]; ok || want[k] {
			continue
		}
		want[k] = true
		grid, community, building, unit, room = append(grid, k.grid), append(community, k.addr.Community),
			append(building, k.addr.Building), append(unit, k.addr.Unit), append(room, k.addr.Room)
	}
	if len(want) == 0 {
		return nil
	}
	rows, err := tx.QueryContext(ctx, s.q.get("UpsertHouseholds"), grid, community, building, unit, room)
	if err != nil {
		return fmt.Errorf("households: %w", err)
	}
	for rows.Next() {
		var id int64
		var k householdKey
		if err := rows.Scan(&id, &k.grid, &k.addr.Community, &k.addr.Building, &k.addr.Unit, &k.addr.Room); err != nil {
			rows.Close()
			return fmt.Errorf("households: %w", err)
		}
		hh.ids[k] = id
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("households: %w", err)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("households: %w", err)
	}
	// One a concurrent import created after this statement began is neither
	// inserted nor seen by it: look those up one at a time.
	for k := range want {
		if _, ok := hh.ids[k]; !ok {
			if _, err := hh.id(ctx, k.grid, k.addr); err != nil {
				return fmt.Errorf("households: %w", err)
			}
		}
	}
	return nil
}

// batchColumns are residents as parallel columns, one array argument each.
type batchColumns struct {
	idHash, masked, name, gender, phone, grid, course, cohort, openid, channel, contentHash []string
	sealed                                                                                  [][]byte
	birth                                                                                   []time.Time
	household                                                                               []*int64
}

func (c *batchColumns) add(p *prepared, household *int64) {
	r := &p.r
	c.idHash = append(c.idHash, p.idHash)
	c.sealed = append(c.sealed, p.sealed)
	c.masked = append(c.masked, p.masked)
	c.name = append(c.name, string(r.Name))
	c.gender = append(c.gender, string(r.Gender))
	c.birth = append(c.birth, r.BirthDate)
	c.phone = append(c.phone, string(r.Phone))
	c.household = append(c.household, household)
	c.grid = append(c.grid, r.GridCode)
	c.course = append(c.course, r.TrainingCourse)
	c.cohort = append(c.cohort, r.TrainingCohort)
	c.openid = append(c.openid, string(r.OpenID))
	c.channel = append(c.channel, string(r.PreferredChannel))
	c.contentHash = append(c.contentHash, p.contentHash)
}
