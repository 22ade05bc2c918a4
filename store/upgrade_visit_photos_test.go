package store_test

import (
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/store"
	"github.com/gridcast/gridcast/store/storetest"
	"github.com/gridcast/gridcast/visits"
)

// The upgrade to migration 22 on a register with a photo kept by key
// alone: the photo reads back without a thumbnail, and erasing the
// resident queues its key and no empty one.

func TestUpgradeVisitPhotosSQLite(t *testing.T) {
	t.Parallel()
	testUpgradeVisitPhotos(t, store.Config{Driver: store.DriverSQLite, DSN: filepath.Join(t.TempDir(), "upgrade.db")})
}

func TestUpgradeVisitPhotosPostgres(t *testing.T) {
	t.Parallel()
	testUpgradeVisitPhotos(t, store.Config{Driver: store.DriverPostgres, DSN: storetest.PostgresSchema(t)})
}

func testUpgradeVisitPhotos(t *testing.T, cfg store.Config) {
	ctx := t.Context()
	old, err := store.OpenUpTo(ctx, cfg, testSealer(t), nil, 21)
	if err != nil {
		t.Fatal(err)
	}
	if err := old.UpsertGrids(ctx, storetest.Grids); err != nil {
		t.Fatal(err)
	}
	res := storetest.Resident(0)
	if _, err := old.UpsertResidents(ctx, []population.Resident{res}); err != nil {
		t.Fatal(err)
	}
	if res, err = old.ResidentByIDNumber(ctx, res.IDNumber); err != nil {
		t.Fatal(err)
	}
	if err := old.UpsertWorkers(ctx, []population.Worker{{Code: "W1", Name: "王芳", Role: population.RoleGridWorker, GridCode: res.GridCode}}); err != nil {
		t.Fatal(err)
	}
	w, err := old.WorkerByCode(ctx, "W1")
	if err != nil {
		t.Fatal(err)
	}
	rec, err := old.RecordVisit(ctx, visits.Record{WorkerID: w.ID, ResidentID: res.ID, Kind: visits.InPerson,
		VisitedAt: time.Now().Add(-time.Hour), RecordedBy: "王芳"})
	if err != nil {
		t.Fatal(err)
	}
	exec(t, old, "INSERT INTO visit_photos (record_id, position, blob_key) VALUES (?, 0, 'media/ab/old.jpg')", rec.ID)
	old.Close()

	st, err := store.Open(ctx, cfg, testSealer(t), nil)
	if err != nil {
		t.Fatalf("upgrade: %v", err)
	}
	defer st.Close()
	back, err := st.VisitRecord(ctx, rec.ID)
	if err != nil || !slices.Equal(back.Photos, []visits.Photo{{Key: "media/ab/old.jpg"}}) {
		t.Errorf("a photo kept before the upgrade = %+v, %v; want its key, no thumbnail", back.Photos, err)
	}
	if _, err := st.EraseResident(ctx, res.ID, "王芳", "依申请删除"); err != nil {
		t.Fatal(err)
	}
	q, err := st.QueuedBlobs(ctx, "", 10)
	if err != nil || len(q) != 1 || q[0].Key != "media/ab/old.jpg" {
		t.Errorf("queued after erasing = %+v, %v; want the old photo's key alone", q, err)
	}
}
