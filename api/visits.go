package api

import (
	"context"

	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/visits"
)

// VisitStore is what the visit register's routes need: the register's
// reads and writes (package visits) and the workers they name.
// *store.Store satisfies it.
type VisitStore interface {
	visits.Store
	WorkerByCode(ctx context.Context, code string) (population.Worker, error)
	WorkerByID(ctx context.Context, id int64) (population.Worker, error)
	Workers(ctx context.Context) ([]population.Worker, error)
}
