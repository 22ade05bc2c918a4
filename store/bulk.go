package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/gridcast/gridcast/population"
)

// Bulk insert tuning. A chunk is one transaction; with SQLite it is also
// split into multi-row statements of bulkRowsPerStmt rows.
const (
	bulkChunkSQLite   = 50_000
	bulkChunkPostgres = 50_000
	bulkRowsPerStmt   = 256
	// bulkPostgresWorkers is how many chunks load into PostgreSQL at once.
	bulkPostgresWorkers = 2
)

// BulkInsertResidents is the fast path for seeding a store: it streams
// residents from next until it returns false, writing them a chunk (one
// transaction) at a time — COPY with PostgreSQL, multi-row prepared inserts
// with SQLite — and calls progress (if not nil) with the running total after
// each chunk commits. Memory stays bounded: a few chunks of 50,000 rows.
// Rows are validated and completed as in UpsertResidents, and households are
// created or reused, but nothing is matched: a row whose ID number is
// already stored fails its chunk (use UpsertResidents to merge). Chunks
// committed before an error stay (with PostgreSQL two chunks load at once,
// so they need not be a prefix of the stream); the count returned is what
// was written. progress is called from one goroutine at a time.
// When the store holds no residents at the start, the non-unique secondary
// indexes are dropped for the load and rebuilt once at the end (also after
// an error; and Open rebuilds them should the process die meanwhile), so
// segment queries running during a seed are slow but correct.
// next is called from a goroutine of the store's, never concurrently and
// never after BulkInsertResidents returns.
func (s *Store) BulkInsertResidents(ctx context.Context, next func() (population.Resident, bool), progress func(done int)) (n int, retErr error) {
	chunkSize := bulkChunkSQLite
	if s.driver == DriverPostgres {
		chunkSize = bulkChunkPostgres
	}
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// After a bulk load the planner's statistics are stale (PostgreSQL has
	// not analyzed the new rows yet, SQLite has none): without them a
	// segment's child lookups are planned as full scans. Runs last, after
	// the indexes are back.
	defer func() {
		if retErr == nil && n > 0 {
			if _, err := s.w.ExecContext(context.WithoutCancel(parent), s.q.get("Analyze")); err != nil {
				s.log.WarnContext(parent, "analyze_failed", "err", err)
			}
		}
	}()

	// Seeding an empty store: build the secondary indexes once at the end.
	if n, err := s.CountResidents(ctx); err == nil && n == 0 {
		if _, err := s.w.ExecContext(ctx, s.q.get("BulkDropIndexes")); err != nil {
			return 0, fmt.Errorf("store: bulk insert: drop indexes: %w", err)
		}
		defer func() {
			// Not ctx: the indexes come back even if the load was cancelled.
			if _, err := s.w.ExecContext(context.WithoutCancel(parent), s.q.get("EnsureIndexes")); err != nil && retErr == nil {
				retErr = fmt.Errorf("store: bulk insert: rebuild indexes: %w", err)
			}
		}()
	}

	// A producer validates, hashes and seals while the writer writes: on a
	// small machine the two overlap nicely.
	chunks := make(chan []prepared, 1)
	var prodErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(chunks)
		h := sha256.New()
		buf := make([]prepared, 0, chunkSize)
		send := func() bool {
			select {
			case chunks <- buf:
				buf = make([]prepared, 0, chunkSize)
				return true
			case <-ctx.Done():
				return false
			}
		}
		for i := 0; ctx.Err() == nil; i++ {
			r, ok := next()
			if !ok {
				break
			}
			p, err := s.prepare(r, h)
			if err != nil {
				prodErr = fmt.Errorf("store: bulk insert: resident %d: %w", i, err)
				return
			}
			buf = append(buf, p)
			if len(buf) == chunkSize && !send() {
				return
			}
		}
		if len(buf) > 0 {
			send()
		}
	}()

	total := 0
	committed := func(n int) {
		total += n
		if progress != nil {
			progress(total)
		}
	}
	var err error
	if s.driver == DriverPostgres {
		err = s.bulkPostgres(ctx, chunks, committed)
	} else {
		err = s.bulkSQLite(ctx, chunks, committed)
	}
	cancel()
	for range chunks { // let a producer blocked on send see the cancel
	}
	wg.Wait()
	if err == nil {
		err = prodErr
	}
	if err == nil && parent.Err() != nil {
		err = fmt.Errorf("store: bulk insert: %w", parent.Err())
	}
	return total, err
}

// --- SQLite --------------------------------------------------------------------

func (s *Store) bulkSQLite(ctx context.Context, chunks <-chan []prepared, committed func(int)) error {
	// The writer pool has one connection, so the pragma holds for the load.
	if _, err := s.w.ExecContext(ctx, s.q.get("BulkWALRelax")); err != nil {
		return fmt.Errorf("store: bulk insert: %w", err)
	}
	defer s.w.ExecContext(context.WithoutCancel(ctx), s.q.get("BulkWALRestore"))
	for ch := range chunks {
		if err := s.inTx(ctx, "bulk insert", func(tx *sql.Tx) error { return s.bulkSQLiteChunk(ctx, tx, ch) }); err != nil {
			return err
		}
		committed(len(ch))
	}
	return nil
}

// bulkSQLiteChunk writes one chunk. Ids are assigned from MAX(id): the
// transaction began IMMEDIATE on the single writer connection, so nothing
// else can insert meanwhile.
func (s *Store) bulkSQLiteChunk(ctx context.Context, tx *sql.Tx, ch []prepared) error {
	var maxID int64
	if err := tx.QueryRowContext(ctx, s.q.get("MaxResidentID")).Scan(&maxID); err != nil {
		return err
	}
	st, err := prepareStmts(ctx, tx, s.q, "HouseholdID", "InsertHousehold")
	if err != nil {
		return err
	}
	defer st.close()
	hh := householdCache{get: st["HouseholdID"], ins: st["InsertHousehold"], ids: map[householdKey]int64{}, insertFirst: true}
	one := s.q.get("BulkResident")
	full, err := tx.PrepareContext(ctx, multiRow(one, bulkRowsPerStmt))
	if err != nil {
		return err
	}
	defer full.Close()

	now := s.ts(s.now())
	var c children
	const ncol = 17
	args := make([]any, 0, ncol*bulkRowsPerStmt)
	for i := range ch {
		p := &ch[i]
		r := &p.r
		id := maxID + 1 + int64(i)
		household, err := hh.id(ctx, r.GridCode, r.Address)
		if err != nil {
			return fmt.Errorf("household: %w", err)
		}
		args = append(args, id, p.idHash, p.sealed, p.masked, string(r.Name), string(r.Gender), s.date(r.BirthDate),
			string(r.Phone), household, r.GridCode, r.TrainingCourse, r.TrainingCohort, string(r.OpenID),
			string(r.PreferredChannel), p.contentHash, now, now)
		c.add(id, p)
		if len(args) == cap(args) {
			if _, err := full.ExecContext(ctx, args...); err != nil {
				return fmt.Errorf("insert residents: %w", err)
			}
			args = args[:0]
		}
	}
	if len(args) > 0 {
		if _, err := tx.ExecContext(ctx, multiRow(one, len(args)/ncol), args...); err != nil {
			return fmt.Errorf("insert residents: %w", err)
		}
	}
	return s.insertChildren(ctx, tx, &c, now)
}

// multiRow repeats the VALUES group of a one-row INSERT n times.
func multiRow(insert string, n int) string {
	i := strings.LastIndex(insert, "VALUES")
	if i < 0 {
		panic("store: multiRow: no VALUES in " + insert)
	}
	group := strings.TrimSpace(insert[i+len("VALUES"):])
	var b strings.Builder
	b.Grow(len(insert) + n*(len(group)+2))
	b.WriteString(insert[:i+len("VALUES")])
	b.WriteByte(' ')
	for k := 0; k < n; k++ {
		if k > 0 {
			b.WriteString(", ")
		}
		b.WriteString(group)
	}
	return b.String()
}

// --- PostgreSQL ----------------------------------------------------------------

var (
	residentCopyCols = []string{"id", "id_hash", "id_sealed", "id_masked", "name", "gender", "birth_date", "phone",
		"household_id", "grid_code", "training_course", "training_cohort", "openid", "preferred_channel",
		"content_hash", "created_at", "updated_at"}
	householdCopyCols = []string{"grid_code", "community", "building", "unit", "room"}
)

// bulkPostgres loads chunks on bulkPostgresWorkers connections at once:
// the server, not Go, is the bottleneck of COPY into an indexed table, and
// one COPY uses one server core. Households are written first in a short
// transaction of their own, one worker at a time, so that two chunks sharing
// an address never wait on each other; then each chunk's residents and
// child rows are COPYed in its own transaction, in parallel.
func (s *Store) bulkPostgres(ctx context.Context, chunks <-chan []prepared, committed func(int)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex // serializes household writes and committed
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	for range bulkPostgresWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.bulkPostgresWorker(ctx, chunks, &mu, committed); err != nil {
				errOnce.Do(func() { firstErr = err })
				cancel()
			}
		}()
	}
	wg.Wait()
	return firstErr
}

func (s *Store) bulkPostgresWorker(ctx context.Context, chunks <-chan []prepared, mu *sync.Mutex, committed func(int)) error {
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: bulk insert: %w", err)
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("store: bulk insert: unexpected driver connection %T", dc)
		}
		pc := sc.Conn()
		if _, err := pc.Exec(ctx, s.q.get("BulkHouseholdStage")); err != nil {
			return fmt.Errorf("store: bulk insert: staging table: %w", err)
		}
		for {
			var ch []prepared
			select {
			case <-ctx.Done():
				return ctx.Err()
			case c, ok := <-chunks:
				if !ok {
					return nil
				}
				ch = c
			}
			var hh map[householdKey]int64
			mu.Lock()
			err := pgx.BeginFunc(ctx, pc, func(tx pgx.Tx) (err error) {
				hh, err = s.bulkPostgresHouseholds(ctx, tx, ch)
				return err
			})
			mu.Unlock()
			if err != nil {
				return fmt.Errorf("store: bulk insert: households: %w", err)
			}
			if err := pgx.BeginFunc(ctx, pc, func(tx pgx.Tx) error { return s.bulkPostgresChunk(ctx, tx, ch, hh) }); err != nil {
				return fmt.Errorf("store: bulk insert: %w", err)
			}
			mu.Lock()
			committed(len(ch))
			mu.Unlock()
		}
	})
}

// bulkPostgresHouseholds stages a chunk's distinct addresses, inserts the
// new ones and reads every id back.
func (s *Store) bulkPostgresHouseholds(ctx context.Context, tx pgx.Tx, ch []prepared) (map[householdKey]int64, error) {
	var keys []householdKey
	seen := map[householdKey]bool{}
	for i := range ch {
		r := &ch[i].r
		if r.Address == (population.Address{}) {
			continue
		}
		k := householdKey{r.GridCode, r.Address}
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	hh := make(map[householdKey]int64, len(keys))
	if len(keys) > 0 {
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"bulk_households"}, householdCopyCols,
			pgx.CopyFromSlice(len(keys), func(i int) ([]any, error) {
				k := keys[i]
				return []any{k.grid, k.addr.Community, k.addr.Building, k.addr.Unit, k.addr.Room}, nil
			}))
		if err != nil {
			return nil, fmt.Errorf("stage households: %w", err)
		}
		if _, err := tx.Exec(ctx, s.q.get("BulkHouseholdInsert")); err != nil {
			return nil, fmt.Errorf("insert households: %w", err)
		}
		rows, err := tx.Query(ctx, s.q.get("BulkHouseholdIDs"))
		if err != nil {
			return nil, fmt.Errorf("household ids: %w", err)
		}
		for rows.Next() {
			var id int64
			var k householdKey
			if err := rows.Scan(&id, &k.grid, &k.addr.Community, &k.addr.Building, &k.addr.Unit, &k.addr.Room); err != nil {
				rows.Close()
				return nil, fmt.Errorf("household ids: %w", err)
			}
			hh[k] = id
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("household ids: %w", err)
		}
	}
	return hh, nil
}

func (s *Store) bulkPostgresChunk(ctx context.Context, tx pgx.Tx, ch []prepared, hh map[householdKey]int64) error {
	var ids []int64
	if err := tx.QueryRow(ctx, s.q.get("BulkReserveIDs"), len(ch)).Scan(&ids); err != nil {
		return fmt.Errorf("reserve ids: %w", err)
	}
	if len(ids) != len(ch) {
		return fmt.Errorf("reserve ids: got %d, want %d", len(ids), len(ch))
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"residents"}, residentCopyCols,
		pgx.CopyFromSlice(len(ch), func(i int) ([]any, error) {
			p := &ch[i]
			r := &p.r
			var household any
			if r.Address != (population.Address{}) {
				household = hh[householdKey{r.GridCode, r.Address}]
			}
			return []any{ids[i], p.idHash, p.sealed, p.masked, string(r.Name), string(r.Gender), r.BirthDate,
				string(r.Phone), household, r.GridCode, r.TrainingCourse, r.TrainingCohort, string(r.OpenID),
				string(r.PreferredChannel), p.contentHash, now, now}, nil
		}))
	if err != nil {
		return fmt.Errorf("copy residents: %w", err)
	}

	var c children
	for i := range ch {
		c.add(ids[i], &ch[i])
	}
	type child struct {
		table, col string
		ids        []int64
		vals       []string
	}
	for _, t := range []child{
		{"resident_categories", "category", c.catIDs, c.cats},
		{"resident_skills", "skill", c.skillIDs, c.skills},
		{"resident_jobs", "job", c.jobIDs, c.jobs},
	} {
		if len(t.ids) == 0 {
			continue
		}
		_, err := tx.CopyFrom(ctx, pgx.Identifier{t.table}, []string{"resident_id", t.col},
			pgx.CopyFromSlice(len(t.ids), func(i int) ([]any, error) { return []any{t.ids[i], t.vals[i]}, nil }))
		if err != nil {
			return fmt.Errorf("copy %s: %w", t.table, err)
		}
	}
	if len(c.optIDs) > 0 {
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"resident_optouts"}, []string{"resident_id", "topic", "created_at"},
			pgx.CopyFromSlice(len(c.optIDs), func(i int) ([]any, error) { return []any{c.optIDs[i], c.opts[i], now}, nil }))
		if err != nil {
			return fmt.Errorf("copy resident_optouts: %w", err)
		}
	}
	return nil
}
