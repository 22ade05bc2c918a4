package store

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/segments"
)

// DefaultStreamBatch is the page size StreamSegment uses when batch <= 0.
const DefaultStreamBatch = 500

// segmentNameRE is what a saved segment's name must match.
var segmentNameRE = regexp.MustCompile(`^[a-z0-9_-]{1,64}$`)

// china is UTC+8 without DST; ages in segment expressions turn over at
// local midnight there unless Config.Location says otherwise.
var china = time.FixedZone("CST", 8*3600)

// compiled is a segment expression ready to splice into a template.
type compiled struct {
	where string
	args  []any
}

// compile parses expr and compiles it for the store's dialect, resolving
// segment:NAME from saved_segments. A parse error is returned as-is (a
// *segments.Error, for the caller to show with its column). self, when set, is
// the segment being saved: referring to it (directly or through others) is
// an error. An empty expression selects every active resident; so does an
// expression without a status: term (segments.Options.ActiveOnly): a
// resident moved out or deceased leaves every audience at once.
func (s *Store) compile(ctx context.Context, expr string, argStart int, self string) (compiled, error) {
	if strings.TrimSpace(expr) == "" {
		if s.noRecords {
			return compiled{where: "1 = 1"}, nil
		}
		return compiled{where: segments.ActiveOnlySQL}, nil
	}
	e, err := segments.Parse(expr)
	if err != nil {
		return compiled{}, err
	}
	d := segments.SQLite
	if s.driver == DriverPostgres {
		d = segments.Postgres
	}
	where, args, err := segments.Compile(e, segments.Options{
		Dialect:    d,
		Now:        s.now().In(s.loc),
		ArgStart:   argStart,
		ActiveOnly: !s.noRecords,
		Resolve: func(name string) (string, error) {
			if self != "" && name == self {
				return "", fmt.Errorf("segment %q refers to itself: %w", self, fault.ErrInvalid)
			}
			seg, err := s.Segment(ctx, name)
			if err != nil {
				return "", err
			}
			return seg.Expr, nil
		},
	})
	if err != nil {
		return compiled{}, fmt.Errorf("store: segment: %w", err)
	}
	return compiled{where, args}, nil
}

// CountSegment counts the residents expr selects. A syntax error comes back
// as the *segments.Error Parse returned; an unknown segment:NAME wraps
// fault.ErrNotFound. An empty expression counts everyone.
func (s *Store) CountSegment(ctx context.Context, expr string) (int64, error) {
	c, err := s.compile(ctx, expr, 1, "")
	if err != nil {
		return 0, err
	}
	var n int64
	if err := s.r.QueryRowContext(ctx, s.q.withWhere("SegmentCount", c.where), c.args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count segment: %w", err)
	}
	return n, nil
}

// StreamSegment calls fn with the residents expr selects whose id is above
// afterID, in id order, batch at a time (DefaultStreamBatch when batch <= 0),
// children loaded. A fan-out that checkpoints the last id it handled resumes
// exactly there, and memory stays bounded by batch. fn may write to the
// store while the stream runs. fn's error stops the stream and is returned
// unchanged.
//
// On a pooled store (a SQLite file, PostgreSQL) the segment is read
// through one cursor, so the segment's subqueries are evaluated once, not
// once per page (on a million residents that is the difference between
// seconds and minutes); the stream then sees the store as it was when it
// began. Each page's child rows come by a fixed number of queries on
// another connection (one with PostgreSQL), prepared once per stream. A single-connection store
// (in-memory SQLite) pages by id instead, since it cannot hold a cursor
// open while fn writes.
func (s *Store) StreamSegment(ctx context.Context, expr string, afterID int64, batch int, fn func([]population.Resident) error) error {
	if batch <= 0 {
		batch = DefaultStreamBatch
	}
	if s.oneConn {
		return s.streamPaged(ctx, expr, afterID, batch, fn)
	}
	c, err := s.compile(ctx, expr, 2, "")
	if err != nil {
		return err
	}
	children, err := s.prepareChildren(ctx)
	if err != nil {
		return fmt.Errorf("store: stream segment: %w", err)
	}
	defer closeStmts(children)
	rows, err := s.r.QueryContext(ctx, s.q.withWhere("SegmentStream", c.where), append([]any{afterID}, c.args...)...)
	if err != nil {
		return fmt.Errorf("store: stream segment: %w", err)
	}
	defer rows.Close()
	page := make([]population.Resident, 0, batch)
	flush := func() error {
		if len(page) == 0 {
			return nil
		}
		if err := s.loadChildrenWith(ctx, children, page); err != nil {
			return fmt.Errorf("store: stream segment: %w", err)
		}
		if err := fn(page); err != nil {
			return err
		}
		page = make([]population.Resident, 0, batch)
		return nil
	}
	for rows.Next() {
		r, err := scanResident(rows)
		if err != nil {
			return fmt.Errorf("store: stream segment: %w", err)
		}
		page = append(page, r)
		if len(page) == batch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: stream segment: %w", err)
	}
	return flush()
}

// streamPaged is StreamSegment for a single-connection store: each page is
// read completely before fn runs.
func (s *Store) streamPaged(ctx context.Context, expr string, afterID int64, batch int, fn func([]population.Resident) error) error {
	c, err := s.compile(ctx, expr, 3, "")
	if err != nil {
		return err
	}
	stmt, err := s.r.PrepareContext(ctx, s.q.withWhere("SegmentPage", c.where))
	if err != nil {
		return fmt.Errorf("store: stream segment: %w", err)
	}
	defer stmt.Close()
	children, err := s.prepareChildren(ctx)
	if err != nil {
		return fmt.Errorf("store: stream segment: %w", err)
	}
	defer closeStmts(children)
	args := make([]any, 0, len(c.args)+2)
	last := afterID
	for {
		args = args[:0]
		if s.driver == DriverPostgres { // $1 after, $2 limit, then the fragment's
			args = append(append(args, last, batch), c.args...)
		} else { // positional: after, the fragment's, limit
			args = append(append(append(args, last), c.args...), batch)
		}
		page, err := s.queryResidents(ctx, stmt, children, args)
		if err != nil {
			return fmt.Errorf("store: stream segment: %w", err)
		}
		if len(page) == 0 {
			return nil
		}
		if err := fn(page); err != nil {
			return err
		}
		last = page[len(page)-1].ID
		if len(page) < batch {
			return nil
		}
	}
}

// SampleSegment returns up to n residents expr selects, children loaded,
// for a preview. The order is pseudo-random over ids but stable, so the same
// store and expression give the same sample and it spans grids.
func (s *Store) SampleSegment(ctx context.Context, expr string, n int) ([]population.Resident, error) {
	if n <= 0 {
		return nil, nil
	}
	c, err := s.compile(ctx, expr, 2, "")
	if err != nil {
		return nil, err
	}
	var args []any
	if s.driver == DriverPostgres {
		args = append([]any{n}, c.args...)
	} else {
		args = append(slices.Clone(c.args), n)
	}
	stmt, err := s.r.PrepareContext(ctx, s.q.withWhere("SegmentSample", c.where))
	if err != nil {
		return nil, fmt.Errorf("store: sample segment: %w", err)
	}
	defer stmt.Close()
	rs, err := s.queryResidents(ctx, stmt, nil, args)
	if err != nil {
		return nil, fmt.Errorf("store: sample segment: %w", err)
	}
	return rs, nil
}

// queryResidents reads one page of residents, closes the rows, then loads
// the page's children (through children, as prepareChildren returned them,
// unless nil).
func (s *Store) queryResidents(ctx context.Context, stmt *sql.Stmt, children []*sql.Stmt, args []any) ([]population.Resident, error) {
	rows, err := stmt.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	var rs []population.Resident
	for rows.Next() {
		r, err := scanResident(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		rs = append(rs, r)
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := s.loadChildrenWith(ctx, children, rs); err != nil {
		return nil, err
	}
	return rs, nil
}

// SaveSegment creates or replaces a saved segment by name. The name must
// match ^[a-z0-9_-]{1,64}$; the expression must parse (a *segments.Error is
// returned as-is otherwise) and compile, and must not refer to the segment
// being saved, directly or through others. CreatedAt is kept on replace;
// both timestamps come from the store's clock.
func (s *Store) SaveSegment(ctx context.Context, seg segments.SavedSegment) error {
	if !segmentNameRE.MatchString(seg.Name) {
		return fmt.Errorf("store: save segment: name %q: want 1-64 of a-z, 0-9, _ and -: %w", seg.Name, fault.ErrInvalid)
	}
	if strings.TrimSpace(seg.Expr) == "" {
		return fmt.Errorf("store: save segment %s: expression is empty: %w", seg.Name, fault.ErrInvalid)
	}
	if _, err := s.compile(ctx, seg.Expr, 1, seg.Name); err != nil {
		return err
	}
	now := s.ts(s.now())
	if _, err := s.w.ExecContext(ctx, s.q.get("UpsertSegment"), seg.Name, seg.Expr, seg.Description, seg.Owner, now, now); err != nil {
		return fmt.Errorf("store: save segment %s: %w", seg.Name, err)
	}
	return nil
}

func scanSegment(sc scanner) (segments.SavedSegment, error) {
	var g segments.SavedSegment
	err := sc.Scan(&g.Name, &g.Expr, &g.Description, &g.Owner, timeCol{&g.CreatedAt}, timeCol{&g.UpdatedAt})
	return g, err
}

// Segment returns the saved segment name, or an error wrapping
// fault.ErrNotFound.
func (s *Store) Segment(ctx context.Context, name string) (segments.SavedSegment, error) {
	g, err := scanSegment(s.r.QueryRowContext(ctx, s.q.get("Segment"), name))
	if err != nil {
		return segments.SavedSegment{}, missing(err, fault.Segment, name)
	}
	return g, nil
}

// Segments returns every saved segment ordered by name.
func (s *Store) Segments(ctx context.Context) ([]segments.SavedSegment, error) {
	rows, err := s.r.QueryContext(ctx, s.q.get("Segments"))
	if err != nil {
		return nil, fmt.Errorf("store: segments: %w", err)
	}
	defer rows.Close()
	var out []segments.SavedSegment
	for rows.Next() {
		g, err := scanSegment(rows)
		if err != nil {
			return nil, fmt.Errorf("store: segments: %w", err)
		}
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: segments: %w", err)
	}
	return out, nil
}

// DeleteSegment deletes the saved segment name. It returns an error
// wrapping fault.ErrNotFound if there is none, and one wrapping
// fault.ErrConflict if another saved segment still refers to it.
func (s *Store) DeleteSegment(ctx context.Context, name string) error {
	all, err := s.Segments(ctx)
	if err != nil {
		return err
	}
	var users []string
	for _, g := range all {
		if e, err := segments.Parse(g.Expr); err == nil && slices.Contains(segments.Refs(e), name) {
			users = append(users, g.Name)
		}
	}
	if len(users) > 0 {
		return fmt.Errorf("store: delete segment %s: used by %s: %w", name, strings.Join(users, ", "), fault.ErrConflict)
	}
	res, err := s.w.ExecContext(ctx, s.q.get("DeleteSegment"), name)
	if err != nil {
		return fmt.Errorf("store: delete segment %s: %w", name, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("store: delete segment: %w", fault.NotFound(fault.Segment, name))
	}
	return nil
}
