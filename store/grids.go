package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"

	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
)

// UpsertGrids inserts or updates grids by code, in one transaction. Each is
// validated first (nothing is written if one is invalid) and they are
// written parents before children, so a whole hierarchy can come in any
// order; a parent must be in the batch or already in the store.
func (s *Store) UpsertGrids(ctx context.Context, gs []population.Grid) error {
	for i, g := range gs {
		if err := g.Validate(); err != nil {
			return fmt.Errorf("store: grid %d: %w", i, err)
		}
	}
	sorted := append([]population.Grid(nil), gs...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Level.Depth() < sorted[j].Level.Depth() })
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: upsert grids: %w", err)
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, s.q.get("UpsertGrid"))
	if err != nil {
		return fmt.Errorf("store: upsert grids: %w", err)
	}
	defer stmt.Close()
	for _, g := range sorted {
		var parent any
		if g.ParentCode != "" {
			parent = g.ParentCode
		}
		if _, err := stmt.ExecContext(ctx, g.Code, g.Name, string(g.Level), parent); err != nil {
			return fmt.Errorf("store: upsert grid %q: %w", g.Code, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: upsert grids: %w", err)
	}
	return nil
}

// Grids returns every grid ordered by code (so each parent precedes its
// children).
func (s *Store) Grids(ctx context.Context) ([]population.Grid, error) {
	rows, err := s.r.QueryContext(ctx, s.q.get("Grids"))
	if err != nil {
		return nil, fmt.Errorf("store: grids: %w", err)
	}
	defer rows.Close()
	var out []population.Grid
	for rows.Next() {
		var g population.Grid
		if err := rows.Scan(&g.Code, &g.Name, &g.Level, &g.ParentCode); err != nil {
			return nil, fmt.Errorf("store: grids: %w", err)
		}
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: grids: %w", err)
	}
	return out, nil
}

// Grid returns the grid with the given code, or an error wrapping
// fault.ErrNotFound.
func (s *Store) Grid(ctx context.Context, code string) (population.Grid, error) {
	var g population.Grid
	err := s.r.QueryRowContext(ctx, s.q.get("Grid"), code).Scan(&g.Code, &g.Name, &g.Level, &g.ParentCode)
	if err != nil {
		return population.Grid{}, missing(err, fault.Grid, code)
	}
	return g, nil
}

func validateWorker(w population.Worker) error {
	var errs []error
	if w.Code == "" {
		errs = append(errs, errors.New("code: required"))
	}
	if w.Name == "" {
		errs = append(errs, errors.New("name: required"))
	}
	switch w.Role {
	case population.RoleGridWorker, population.RoleGridLeader, population.RoleCommunity, population.RoleStreet:
	default:
		errs = append(errs, fmt.Errorf("role: %q: want grid_worker, grid_leader, community_staff or street_staff", w.Role))
	}
	if w.GridCode == "" {
		errs = append(errs, errors.New("grid: required"))
	}
	if w.Phone != "" {
		if err := w.Phone.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("phone: %w", err))
		}
	}
	return errors.Join(errs...)
}

// UpsertWorkers inserts or updates workers by Code, in one transaction
// (nothing is written if one is invalid). A grid has one grid worker and a
// community one grid leader: upserting a new one for a grid releases the
// previous holder, whose GridCode becomes empty (the record stays, so
// tickets that name them keep their history). Worker.ID is ignored.
func (s *Store) UpsertWorkers(ctx context.Context, ws []population.Worker) error {
	for i, w := range ws {
		if err := validateWorker(w); err != nil {
			return fmt.Errorf("store: worker %d (%s): %w", i, w.Code, err)
		}
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: upsert workers: %w", err)
	}
	defer tx.Rollback()
	release, err := tx.PrepareContext(ctx, s.q.get("ReleaseWorkerRole"))
	if err != nil {
		return fmt.Errorf("store: upsert workers: %w", err)
	}
	defer release.Close()
	upsert, err := tx.PrepareContext(ctx, s.q.get("UpsertWorker"))
	if err != nil {
		return fmt.Errorf("store: upsert workers: %w", err)
	}
	defer upsert.Close()
	for _, w := range ws {
		if w.Role == population.RoleGridWorker || w.Role == population.RoleGridLeader {
			if _, err := release.ExecContext(ctx, w.GridCode, string(w.Role), w.Code); err != nil {
				return fmt.Errorf("store: upsert worker %s: %w", w.Code, err)
			}
		}
		if _, err := upsert.ExecContext(ctx, w.Code, string(w.Name), string(w.Phone), string(w.OpenID),
			string(w.Role), w.GridCode, w.VisitingHours); err != nil {
			return fmt.Errorf("store: upsert worker %s: %w", w.Code, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: upsert workers: %w", err)
	}
	return nil
}

func scanWorker(sc interface{ Scan(...any) error }) (population.Worker, error) {
	var w population.Worker
	var name, phone, openid, role string
	err := sc.Scan(&w.ID, &w.Code, &name, &phone, &openid, &role, &w.GridCode, &w.VisitingHours)
	w.Name, w.Phone, w.OpenID, w.Role = pii.Name(name), pii.Phone(phone), pii.OpenID(openid), population.Role(role)
	return w, err
}

// Workers returns every worker ordered by code, including released ones
// (GridCode empty).
func (s *Store) Workers(ctx context.Context) ([]population.Worker, error) {
	rows, err := s.r.QueryContext(ctx, s.q.get("Workers"))
	if err != nil {
		return nil, fmt.Errorf("store: workers: %w", err)
	}
	defer rows.Close()
	var out []population.Worker
	for rows.Next() {
		w, err := scanWorker(rows)
		if err != nil {
			return nil, fmt.Errorf("store: workers: %w", err)
		}
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: workers: %w", err)
	}
	return out, nil
}

// WorkerForGrid returns the worker with role for gridCode. When that grid
// has none it climbs the hierarchy, so the grid leader of a grid's community
// is found from the grid's own code (escalation does this). It returns an
// error wrapping fault.ErrNotFound when no ancestor has one either.
func (s *Store) WorkerForGrid(ctx context.Context, gridCode string, role population.Role) (population.Worker, error) {
	code := gridCode
	for depth := 0; code != "" && depth < 16; depth++ {
		w, err := scanWorker(s.r.QueryRowContext(ctx, s.q.get("WorkerForGrid"), code, string(role)))
		if err == nil {
			return w, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return population.Worker{}, fmt.Errorf("store: worker for grid %s: %w", gridCode, err)
		}
		var parent string
		if err := s.r.QueryRowContext(ctx, s.q.get("GridParent"), code).Scan(&parent); err != nil {
			return population.Worker{}, notFound(err, "worker for grid "+gridCode)
		}
		code = parent
	}
	return population.Worker{}, fmt.Errorf("store: %s for grid %s: %w", role, gridCode, fault.ErrNotFound)
}

// SyncCursor returns the last cursor saved for an external source, or ""
// if none was.
func (s *Store) SyncCursor(ctx context.Context, source string) (string, error) {
	var c string
	err := s.r.QueryRowContext(ctx, s.q.get("SyncCursor"), source).Scan(&c)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: sync cursor %s: %w", source, err)
	}
	return c, nil
}

// SetSyncCursor saves the cursor for source, replacing the previous one.
func (s *Store) SetSyncCursor(ctx context.Context, source, cursor string) error {
	if _, err := s.w.ExecContext(ctx, s.q.get("SetSyncCursor"), source, cursor, s.ts(s.now())); err != nil {
		return fmt.Errorf("store: set sync cursor %s: %w", source, err)
	}
	return nil
}
