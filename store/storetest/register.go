package storetest

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/api"
	"github.com/gridcast/gridcast/assessment"
	"github.com/gridcast/gridcast/blob"
	"github.com/gridcast/gridcast/blob/localfs"
	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/retention"
	"github.com/gridcast/gridcast/visits"
)

// RegisterStore is the visit register (走访台账): the API's reads and
// writes, a record read back with its photos, and the month's figures for
// 考核.
type RegisterStore interface {
	api.VisitStore
	VisitRecord(ctx context.Context, id int64) (visits.Record, error)
	VisitInputs(ctx context.Context, month assessment.Period, cfg visits.Config) ([]assessment.Input, error)
}

var registerTests = []struct {
	name string
	fn   func(t *testing.T, st Store)
}{
	{"VisitRegister", testVisitRegister},
	{"VisitRecordRefusals", testVisitRecordRefusals},
	{"VisitSlotClosed", testVisitSlotClosed},
	{"VisitInputs", testVisitInputs},
	{"VisitErased", testVisitErased},
	{"AssessmentInputs", testAssessmentInputs},
	{"AssessmentRecords", testAssessmentRecords},
	{"VisitPhotoFilesGone", testVisitPhotoFilesGone},
}

// Erasing a resident clears their visits' notes and photos; the visits
// stay, counted for the worker, and the resident leaves the register.
func testVisitErased(t *testing.T, st Store) {
	ctx := t.Context()
	ids, w := registerFixture(t, st)
	at, month := recent()
	rec, err := st.RecordVisit(ctx, visits.Record{WorkerID: w.ID, ResidentID: ids[0], Kind: visits.InPerson, VisitedAt: at,
		RecordedBy: "王芳", Notes: "女儿电话 13912345678", Photos: []visits.Photo{{Key: "media/ab/p.jpg", ThumbnailKey: "media/cd/p-thumb.jpg",
			ContentType: "image/jpeg", Size: 2048}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.EraseResident(ctx, ids[0], "王芳", "本人申请删除（编号 2026-001）"); err != nil {
		t.Fatal(err)
	}
	back, err := st.VisitRecord(ctx, rec.ID)
	if err != nil || back.Notes != "" || len(back.Photos) != 0 || back.Kind != visits.InPerson {
		t.Errorf("erased resident's visit = %+v, %v; want kept without notes or photos", back, err)
	}
	// The photo's file goes too, through the blob deletion queue.
	var deleted recordingBlobs
	if n, err := retention.DeleteQueuedBlobs(ctx, st, &deleted); err != nil || n != 2 || !slices.Equal(deleted.keys, []string{"media/ab/p.jpg", "media/cd/p-thumb.jpg"}) {
		t.Errorf("blobs deleted after the erasure: %d %v, %v; want the visit photo's and its thumbnail's", n, deleted.keys, err)
	}
	reg, err := visits.Service{Store: st, Config: visits.DefaultConfig()}.Register(ctx, w, month)
	if err != nil {
		t.Fatal(err)
	}
	if reg.VisitsDone != 1 {
		t.Errorf("the worker's visits after the erasure = %d, want 1", reg.VisitsDone)
	}
	for _, d := range reg.Households {
		for _, m := range d.Household.Members {
			if m.ResidentID == ids[0] {
				t.Errorf("the erased resident is still on the register: %+v", d.Household)
			}
		}
	}
}

// registerFixture seeds 12 residents and grid workers for the first two
// grids, and returns the residents' ids and the first grid's worker. In
// grid NY-01-01-01 live residents 0 and 3 (one household; 0 lives alone
// elderly, 3 is unemployed), 6 and 9 (a household each); resident 10,
// elderly alone, lives in NY-01-01-02.
func registerFixture(t *testing.T, st Store) ([]int64, population.Worker) {
	t.Helper()
	ctx := t.Context()
	ids := seedIDs(t, st, 12)
	if err := st.UpsertWorkers(ctx, []population.Worker{
		{Code: "W101", Name: "王芳", Phone: "13800000101", Role: population.RoleGridWorker, GridCode: "NY-01-01-01"},
		{Code: "W102", Name: "赵敏", Phone: "13800000102", Role: population.RoleGridWorker, GridCode: "NY-01-01-02"},
		{Code: "L101", Name: "李强", Role: population.RoleGridLeader, GridCode: "NY-01-01"},
	}); err != nil {
		t.Fatal(err)
	}
	w, err := st.WorkerByCode(ctx, "W101")
	if err != nil {
		t.Fatal(err)
	}
	return ids, w
}

// recent is a moment just past, and its month: the store checks visits
// against its own clock.
func recent() (time.Time, visits.Month) {
	at := time.Now().Add(-time.Minute).Truncate(time.Second)
	return at, visits.MonthOf(at)
}

// The register lists the households due with residents in clear for the
// service to mask; a record keeps its household and grid and comes back
// with its photos; not at home is recorded but does not count.
func testVisitRegister(t *testing.T, st Store) {
	ctx := t.Context()
	ids, w := registerFixture(t, st)
	at, month := recent()
	svc := visits.Service{Store: st, Config: visits.DefaultConfig()}
	reg, err := svc.Register(ctx, w, month)
	if err != nil {
		t.Fatal(err)
	}
	if len(reg.Households) != 1 {
		t.Fatalf("register households = %+v; want the one of residents 0 and 3", reg.Households)
	}
	d := reg.Households[0]
	if len(d.Household.Members) != 2 || d.Household.Members[0].ResidentID != ids[0] || d.Household.Members[1].ResidentID != ids[3] ||
		d.Household.Members[0].Name != "居民0" || d.Household.Members[0].Phone == "" || d.Household.Address.Room != "101" {
		t.Errorf("household = %+v", d.Household)
	}
	if d.Every != visits.Weekly || d.Required < 4 || d.Done != 0 {
		t.Errorf("due = every %s, %d/%d; want weekly, none done", d.Every, d.Done, d.Required)
	}

	in, err := st.RecordVisit(ctx, visits.Record{WorkerID: w.ID, ResidentID: ids[3], Kind: visits.InPerson, Notes: " 身体好 ",
		VisitedAt: at, RecordedBy: "王芳", Photos: []visits.Photo{
			{Key: "media/ab/photo1.jpg", ThumbnailKey: "media/ab/photo1-t.jpg", ContentType: "image/jpeg", Size: 1200},
			{Key: "media/cd/photo2.png", ContentType: "image/png", Size: 900}}})
	if err != nil {
		t.Fatal(err)
	}
	if in.ID == 0 || in.HouseholdKey != d.Household.Key || in.GridCode != "NY-01-01-01" || in.Notes != "身体好" || in.CreatedAt.IsZero() {
		t.Errorf("RecordVisit = %+v; want an id, household %s, grid NY-01-01-01, notes trimmed", in, d.Household.Key)
	}
	back, err := st.VisitRecord(ctx, in.ID)
	if err != nil || back.Kind != visits.InPerson || !back.VisitedAt.Equal(at) {
		t.Errorf("VisitRecord = %+v, %v", back, err)
	}
	if diff := cmp.Diff(in.Photos, back.Photos); diff != "" {
		t.Errorf("VisitRecord photos (-kept +read back):\n%s", diff)
	}
	if _, err := st.VisitRecord(ctx, in.ID+100); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("VisitRecord(missing) = %v, want ErrNotFound", err)
	}
	if _, err := st.RecordVisit(ctx, visits.Record{WorkerID: w.ID, ResidentID: ids[6], Kind: visits.NotHome, VisitedAt: at, RecordedBy: "王芳"}); err != nil {
		t.Fatal(err)
	}
	reg, err = svc.Register(ctx, w, month)
	if err != nil {
		t.Fatal(err)
	}
	if reg.Households[0].Done != 1 || reg.VisitsDone != 1 || reg.NotHome != 1 || len(reg.Records) != 2 || reg.Visited != 1 {
		t.Errorf("after a visit and an attempt: done %d, visits %d, not home %d, records %d, households %d; want 1, 1, 1, 2, 1",
			reg.Households[0].Done, reg.VisitsDone, reg.NotHome, len(reg.Records), reg.Visited)
	}
	for _, r := range reg.Records {
		want := in.Photos
		if r.ID != in.ID {
			want = nil
		}
		if diff := cmp.Diff(want, r.Photos); diff != "" {
			t.Errorf("register record %d photos (-kept +listed):\n%s", r.ID, diff)
		}
	}

	// Resident 10 (elderly alone, NY-01-01-02) was never visited: overdue
	// for the community; the visited household is not.
	late, err := svc.Overdue(ctx, "NY-01-01")
	if err != nil {
		t.Fatal(err)
	}
	if len(late) != 1 || late[0].Household.GridCode != "NY-01-01-02" || late[0].Household.Members[0].ResidentID != ids[10] {
		t.Errorf("Overdue(NY-01-01) = %+v; want resident 10's household only", late)
	}
	if late, err := svc.Overdue(ctx, "NY-01-01-01"); err != nil || len(late) != 0 {
		t.Errorf("Overdue(NY-01-01-01) = %+v, %v; want none", late, err)
	}
}

// A record refused keeps nothing: a bad kind, an unknown resident, worker
// or ticket. A record may name a ticket it opened.
func testVisitRecordRefusals(t *testing.T, st Store) {
	ctx := t.Context()
	ids, w := registerFixture(t, st)
	at, month := recent()
	good := visits.Record{WorkerID: w.ID, ResidentID: ids[0], Kind: visits.Phone, VisitedAt: at, RecordedBy: "王芳"}
	for name, c := range map[string]struct {
		mutate func(r *visits.Record)
		want   error
	}{
		"kind":     {func(r *visits.Record) { r.Kind = "walk" }, fault.ErrInvalid},
		"resident": {func(r *visits.Record) { r.ResidentID = ids[11] + 1000 }, fault.ErrNotFound},
		"worker":   {func(r *visits.Record) { r.WorkerID = w.ID + 1000 }, fault.ErrNotFound},
		"ticket":   {func(r *visits.Record) { r.TicketID = 999999 }, fault.ErrNotFound},
		"slot":     {func(r *visits.Record) { r.SlotID = 999999 }, fault.ErrNotFound},
	} {
		r := good
		c.mutate(&r)
		if _, err := st.RecordVisit(ctx, r); !errors.Is(err, c.want) {
			t.Errorf("%s: RecordVisit = %v, want %v", name, err, c.want)
		}
	}
	recs, err := st.RegisterRecords(ctx, "NY", 0, month.Start().AddDate(0, -1, 0), month.End())
	if err != nil || len(recs) != 0 {
		t.Fatalf("after refusals the register holds %+v, %v; want nothing", recs, err)
	}
	tk := newTicket(t, st, ids[0], "NY-01-01-01", 0, t0.Add(72*time.Hour))
	r := good
	r.TicketID = tk.ID
	got, err := st.RecordVisit(ctx, r)
	if err != nil || got.TicketID != tk.ID {
		t.Fatalf("RecordVisit with a ticket = %+v, %v", got, err)
	}
	if back, err := st.VisitRecord(ctx, got.ID); err != nil || back.TicketID != tk.ID || back.SlotID != 0 {
		t.Errorf("VisitRecord = %+v, %v; want the ticket linked", back, err)
	}
}

// A confirmed slot appears on the worker's register and the record that
// names it closes it, once; a proposed slot or another resident's is
// refused; the slot keeps its state for the campaign.
func testVisitSlotClosed(t *testing.T, st Store) {
	ctx := t.Context()
	ids, w := registerFixture(t, st)
	at, month := recent()
	start := at.Add(-2 * time.Hour)
	if visits.MonthOf(start) != month {
		start = month.Start()
	}
	c := createCampaign(t, st, "入户走访预约")
	for i, id := range []int64{ids[9], ids[6]} {
		s := start.Add(time.Duration(i) * 30 * time.Minute)
		if err := st.BookSlot(ctx, campaigns.Visit{WorkerID: w.ID, ResidentID: id, CampaignID: c.ID, Start: s, End: s.Add(30 * time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.SetSlotState(ctx, ids[9], c.ID, campaigns.VisitConfirmed); err != nil {
		t.Fatal(err)
	}
	confirmed, err := st.SlotFor(ctx, ids[9], c.ID)
	if err != nil {
		t.Fatal(err)
	}
	proposed, err := st.SlotFor(ctx, ids[6], c.ID)
	if err != nil {
		t.Fatal(err)
	}
	svc := visits.Service{Store: st, Config: visits.DefaultConfig()}
	reg, err := svc.Register(ctx, w, month)
	if err != nil {
		t.Fatal(err)
	}
	var slotted *visits.Due
	for i, d := range reg.Households {
		if len(d.Slots) > 0 {
			slotted = &reg.Households[i]
		}
	}
	if slotted == nil || len(slotted.Slots) != 1 || slotted.Slots[0].ID != confirmed.ID || slotted.Slots[0].RecordID != 0 || len(slotted.Norms) != 0 {
		t.Fatalf("register = %+v; want resident 9's household for its confirmed slot only", reg.Households)
	}
	rec := visits.Record{WorkerID: w.ID, ResidentID: ids[9], Kind: visits.InPerson, VisitedAt: at, RecordedBy: "王芳", SlotID: confirmed.ID}
	for name, c := range map[string]struct {
		r    visits.Record
		want error
	}{
		"another resident's": {func() visits.Record { r := rec; r.ResidentID = ids[6]; return r }(), fault.ErrInvalid},
		"proposed":           {func() visits.Record { r := rec; r.ResidentID, r.SlotID = ids[6], proposed.ID; return r }(), fault.ErrConflict},
	} {
		if _, err := st.RecordVisit(ctx, c.r); !errors.Is(err, c.want) {
			t.Errorf("%s slot: RecordVisit = %v, want %v", name, err, c.want)
		}
	}
	got, err := st.RecordVisit(ctx, rec)
	if err != nil || got.SlotID != confirmed.ID {
		t.Fatalf("RecordVisit closing the slot = %+v, %v", got, err)
	}
	if _, err := st.RecordVisit(ctx, rec); !errors.Is(err, fault.ErrConflict) {
		t.Errorf("a second record for the slot = %v, want ErrConflict", err)
	}
	slots, err := st.RegisterSlots(ctx, "NY-01-01-01", w.ID, month.Start(), month.End())
	if err != nil || len(slots) != 1 || slots[0].RecordID != got.ID {
		t.Errorf("RegisterSlots = %+v, %v; want the slot closed by record %d", slots, err, got.ID)
	}
	if v, err := st.SlotFor(ctx, ids[9], c.ID); err != nil || v.State != campaigns.VisitConfirmed {
		t.Errorf("the campaign's slot after the visit = %+v, %v; want it still confirmed", v, err)
	}
	if recs, _ := st.RegisterRecords(ctx, "NY-01-01-01", 0, month.Start(), month.End()); len(recs) != 1 {
		t.Errorf("records = %+v; want the one that closed the slot", recs)
	}
}

// VisitInputs gives each grid worker's month as assessment takes it: done
// in person or by phone (one per household per day), due by the norms or
// the monthly minimum, and the worker's grid, community and street.
func testVisitInputs(t *testing.T, st Store) {
	ctx := t.Context()
	ids, w := registerFixture(t, st)
	at, month := recent()
	for _, r := range []visits.Record{
		{ResidentID: ids[0], Kind: visits.InPerson},
		{ResidentID: ids[3], Kind: visits.Phone}, // the same household the same day
		{ResidentID: ids[9], Kind: visits.Phone},
		{ResidentID: ids[6], Kind: visits.NotHome},
	} {
		r.WorkerID, r.VisitedAt, r.RecordedBy = w.ID, at, "王芳"
		if _, err := st.RecordVisit(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	p := assessment.MonthOf(at)
	cfg := visits.DefaultConfig()
	ins, err := st.VisitInputs(ctx, p, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(ins) != 2 {
		t.Fatalf("VisitInputs = %+v; want the two grid workers", ins)
	}
	byCode := map[string]assessment.Input{}
	for _, in := range ins {
		byCode[in.Worker.Code] = in
		if err := in.Validate(); err != nil {
			t.Errorf("input of %s does not validate: %v", in.Worker.Code, err)
		}
	}
	a := byCode["W101"]
	if a.Period != p || a.Worker.ID != w.ID || a.VisitsDone != 2 || a.VisitsDue != 15 ||
		a.Grid.Code != "NY-01-01-01" || a.Community.Code != "NY-01-01" || a.Street.Code != "NY-01" || a.Street.Name != "东街道" {
		t.Errorf("W101 = %+v; want 2 done of 15 due in NY-01-01-01 / NY-01-01 / NY-01", a)
	}
	if b := byCode["W102"]; b.VisitsDone != 0 || b.VisitsDue != 15 {
		t.Errorf("W102 = %+v; want 0 done of 15", b)
	}
	cfg.HouseholdsPerMonth = 0
	ins, err = st.VisitInputs(ctx, p, cfg)
	if err != nil {
		t.Fatal(err)
	}
	weeks := len(visitsWeeks(month))
	for _, in := range ins {
		if in.Worker.Code == "W101" && in.VisitsDue != weeks {
			t.Errorf("W101 due without a minimum = %d; want the elderly household's %d weeks", in.VisitsDue, weeks)
		}
	}
	if _, err := st.VisitInputs(ctx, assessment.Period{Kind: assessment.Quarter, Year: 2026, N: 4}, cfg); !errors.Is(err, fault.ErrInvalid) {
		t.Errorf("VisitInputs(a quarter) = %v, want ErrInvalid", err)
	}
}

// visitsWeeks returns the Thursdays of m: its weekly windows.
func visitsWeeks(m visits.Month) []time.Time {
	var out []time.Time
	for d := m.Start(); d.Before(m.End()); d = d.AddDate(0, 0, 1) {
		if d.Weekday() == time.Thursday {
			out = append(out, d)
		}
	}
	return out
}

// recordingBlobs is a blob store that keeps the keys it was asked to
// delete.
type recordingBlobs struct{ keys []string }

func (b *recordingBlobs) Delete(_ context.Context, key string) error {
	b.keys = append(b.keys, key)
	return nil
}

// With a real blob store (localfs): the files of an erased resident's
// visit photos, originals and thumbnails, are gone after the erasure; a
// photo of the same bytes another resident's visit keeps stays, with its
// thumbnail.
func testVisitPhotoFilesGone(t *testing.T, st Store) {
	ctx := t.Context()
	fs, err := localfs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	media, err := blob.NewMedia(fs, blob.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	photo := func(b []byte) visits.Photo {
		t.Helper()
		o, err := media.Put(ctx, bytes.NewReader(b))
		if err != nil || o.ThumbnailKey == "" {
			t.Fatalf("Media.Put = %+v, %v; want an image with a thumbnail", o, err)
		}
		return visits.Photo{Key: o.Key, ThumbnailKey: o.ThumbnailKey, ContentType: o.ContentType, Size: o.Size}
	}
	there := func(when string, want bool, ps ...visits.Photo) {
		t.Helper()
		for _, p := range ps {
			for _, k := range []string{p.Key, p.ThumbnailKey} {
				_, err := fs.Stat(ctx, k)
				switch {
				case want && err != nil:
					t.Errorf("%s: %s: %v, want the file there", when, k, err)
				case !want && !errors.Is(err, blob.ErrNotFound):
					t.Errorf("%s: %s: %v, want it gone", when, k, err)
				}
			}
		}
	}
	ids, w := registerFixture(t, st)
	at, _ := recent()
	own, shared := photo(sampleImage(t, 11)), photo(sampleImage(t, 12))
	for _, r := range []visits.Record{
		{WorkerID: w.ID, ResidentID: ids[0], Kind: visits.InPerson, VisitedAt: at, RecordedBy: "王芳", Photos: []visits.Photo{own, shared}},
		{WorkerID: w.ID, ResidentID: ids[3], Kind: visits.InPerson, VisitedAt: at, RecordedBy: "王芳", Photos: []visits.Photo{shared}},
	} {
		if _, err := st.RecordVisit(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	e, err := retention.Eraser{Store: st, Blobs: media}.EraseResident(ctx, ids[0], "王芳", "依申请删除 2026-070")
	if err != nil || e.BlobsDeleted != 2 || e.BlobsPending != 0 {
		t.Fatalf("Eraser.EraseResident = %+v, %v; want the own photo and its thumbnail deleted", e, err)
	}
	there("after the erasure", false, own)
	there("another resident's visit photo after the erasure", true, shared)
	if n, err := st.CountQueuedBlobs(ctx); err != nil || n != 0 {
		t.Errorf("CountQueuedBlobs after the erasure = %d, %v; want 0", n, err)
	}
}
