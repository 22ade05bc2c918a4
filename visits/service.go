package visits

import (
	"context"
	"fmt"
	"time"

	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/population"
)

// Store is what the register reads and writes; *store.Store satisfies it.
type Store interface {
	// RegisterHouseholds returns the households of grid and the grids
	// below it with their residents and categories.
	RegisterHouseholds(ctx context.Context, grid string) ([]Household, error)
	// RegisterRecords returns the records of grid's households (and below
	// it) and, when workerID is not 0, of that worker, visited in [from,
	// to), with their photos.
	RegisterRecords(ctx context.Context, grid string, workerID int64, from, to time.Time) ([]Record, error)
	// RegisterSlots returns the confirmed slots starting in [from, to) of
	// workerID or, when it is 0, of grid's residents.
	RegisterSlots(ctx context.Context, grid string, workerID int64, from, to time.Time) ([]Slot, error)
	// RecordVisit keeps a record and closes the slot it names.
	RecordVisit(ctx context.Context, r Record) (Record, error)
}

// Service reads registers from a Store with a Config. Now is the clock;
// nil means time.Now. A Service is safe for concurrent use if its Store
// is.
type Service struct {
	Store  Store
	Config Config
	Now    func() time.Time
}

func (s Service) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

// lookback is how far before a month the register reads records, for each
// household's last visit.
const lookback = 12 // months

// Register returns w's register for m: the households of w's grid due
// under the norms, with w's own records of the month. A worker with no
// grid is refused with fault.ErrInvalid.
func (s Service) Register(ctx context.Context, w population.Worker, m Month) (Register, error) {
	if w.GridCode == "" {
		return Register{}, fault.Refuse(fault.ErrInvalid,
			fmt.Sprintf("worker %s serves no grid, so has no visit register", w.Code),
			fmt.Sprintf("工作人员 %s 未分配网格，没有走访台账", w.Code), nil)
	}
	hs, err := s.Store.RegisterHouseholds(ctx, w.GridCode)
	if err != nil {
		return Register{}, err
	}
	recs, err := s.Store.RegisterRecords(ctx, w.GridCode, w.ID, m.Start().AddDate(0, -lookback, 0), m.Reach())
	if err != nil {
		return Register{}, err
	}
	slots, err := s.Store.RegisterSlots(ctx, w.GridCode, w.ID, m.Start(), m.End())
	if err != nil {
		return Register{}, err
	}
	return s.Config.Plan(m, w.ID, s.now(), hs, recs, slots), nil
}

// Overdue returns the households of grid and the grids below it overdue
// now (Config.Overdue), oldest first.
func (s Service) Overdue(ctx context.Context, grid string) ([]Late, error) {
	now := s.now()
	from := MonthOf(now).Prev().Start().AddDate(0, 0, -7) // a weekly window may start in the month before last
	hs, err := s.Store.RegisterHouseholds(ctx, grid)
	if err != nil {
		return nil, err
	}
	recs, err := s.Store.RegisterRecords(ctx, grid, 0, from, now.Add(maxAhead))
	if err != nil {
		return nil, err
	}
	slots, err := s.Store.RegisterSlots(ctx, grid, 0, from, now)
	if err != nil {
		return nil, err
	}
	return s.Config.Overdue(now, hs, recs, slots), nil
}

// Record checks r as of now and keeps it: the record as stored, or a
// refusal (fault.ErrInvalid, ErrNotFound, ErrConflict) with nothing kept.
func (s Service) Record(ctx context.Context, r Record) (Record, error) {
	if err := r.Check(s.now()); err != nil {
		return r, err
	}
	return s.Store.RecordVisit(ctx, r)
}
