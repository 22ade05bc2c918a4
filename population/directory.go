package population

import (
	"context"
	"errors"
	"strconv"

	"github.com/gridcast/gridcast/fault"
)

// Records is where a Directory looks residents and workers up; the store
// satisfies it.
type Records interface {
	Resident(ctx context.Context, id int64) (Resident, error)
	WorkerByID(ctx context.Context, id int64) (Worker, error)
}

// Directory looks up, once each, the residents and workers a screen or a
// response names — to show them masked, or to mask them in free text. A
// record that is gone comes back with its id alone (a worker's Code reads
// "#<id>") rather than failing the screen. It is not safe for concurrent
// use: make one per request or command.
type Directory struct {
	src       Records
	residents map[int64]Resident
	workers   map[int64]Worker
}

// NewDirectory returns an empty Directory over src.
func NewDirectory(src Records) *Directory {
	return &Directory{src: src, residents: map[int64]Resident{}, workers: map[int64]Worker{}}
}

// Resident returns resident id; the zero Resident for id 0.
func (d *Directory) Resident(ctx context.Context, id int64) (Resident, error) {
	if id == 0 {
		return Resident{}, nil
	}
	if r, ok := d.residents[id]; ok {
		return r, nil
	}
	r, err := d.src.Resident(ctx, id)
	if err != nil && !errors.Is(err, fault.ErrNotFound) {
		return r, err
	}
	r.ID = id
	d.residents[id] = r
	return r, nil
}

// Worker returns worker id; the zero Worker for id 0.
func (d *Directory) Worker(ctx context.Context, id int64) (Worker, error) {
	if id == 0 {
		return Worker{}, nil
	}
	if w, ok := d.workers[id]; ok {
		return w, nil
	}
	w, err := d.src.WorkerByID(ctx, id)
	if err != nil && !errors.Is(err, fault.ErrNotFound) {
		return w, err
	}
	if w.Code == "" {
		w.Code = "#" + strconv.FormatInt(id, 10)
	}
	w.ID = id
	d.workers[id] = w
	return w, nil
}
