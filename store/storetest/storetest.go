package storetest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
)

// Run runs the suite. open must return a fresh, empty, migrated store for
// each call (a new SQLite file, a new PostgreSQL schema) and arrange its
// cleanup; subtests run in parallel, each with its own store.
func Run(t *testing.T, open func(t *testing.T) Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, st Store)
	}{
		{"Grids", testGrids},
		{"Workers", testWorkers},
		{"UpsertCounts", testUpsertCounts},
		{"UpsertAllOrNothing", testUpsertAllOrNothing},
		{"UpsertDuplicateInBatch", testUpsertDuplicateInBatch},
		{"IDNumberNotInClear", testIDNotInClear},
		{"Unmask", testUnmask},
		{"Lookups", testLookups},
		{"OptOut", testOptOut},
		{"BindOpenID", testBindOpenID},
		{"SavedSegments", testSavedSegments},
		{"CountStreamSample", testCountStreamSample},
		{"BulkThenUpsert", testBulkThenUpsert},
		{"SyncCursor", testSyncCursor},
	}
	tests = append(tests, ledgerTests...)
	tests = append(tests, ticketTests...)
	tests = append(tests, eventTests...)
	tests = append(tests, deskTests...)
	tests = append(tests, opsTests...)
	tests = append(tests, userTests...)
	tests = append(tests, dispatchTests...)
	tests = append(tests, supervisionTests...)
	tests = append(tests, ticketNoteTests...)
	tests = append(tests, auditTests...)
	tests = append(tests, retentionTests...)
	tests = append(tests, registerTests...)
	tests = append(tests, recordTests...)
	tests = append(tests, deliveryTests...)
	tests = append(tests, testSendTests...)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t))
		})
	}
}

var residentOpts = cmp.Options{cmpopts.EquateEmpty(), cmpopts.IgnoreFields(population.Resident{}, "UpdatedAt")}

// seed loads the grids and residents 0..n-1 and returns them as stored.
func seed(t *testing.T, st Store, n int) []population.Resident {
	t.Helper()
	ctx := t.Context()
	if err := st.UpsertGrids(ctx, Grids); err != nil {
		t.Fatalf("UpsertGrids: %v", err)
	}
	in := make([]population.Resident, n)
	for i := range in {
		in[i] = Resident(i)
	}
	if n == 0 {
		return nil
	}
	stats, err := st.UpsertResidents(ctx, in)
	if err != nil {
		t.Fatalf("UpsertResidents: %v", err)
	}
	if stats.Inserted != n {
		t.Fatalf("UpsertResidents inserted %d, want %d", stats.Inserted, n)
	}
	out := make([]population.Resident, n)
	for i := range in {
		got, err := st.ResidentByIDNumber(ctx, in[i].IDNumber)
		if err != nil {
			t.Fatalf("ResidentByIDNumber(%d): %v", i, err)
		}
		out[i] = got
	}
	return out
}

func testGrids(t *testing.T, st Store) {
	ctx := t.Context()
	// Children first: the store must order parents before children.
	rev := make([]population.Grid, len(Grids))
	for i, g := range Grids {
		rev[len(Grids)-1-i] = g
	}
	if err := st.UpsertGrids(ctx, rev); err != nil {
		t.Fatalf("UpsertGrids: %v", err)
	}
	got, err := st.Grids(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := append([]population.Grid(nil), Grids...)
	sortGrids(want)
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Grids (-want +got):\n%s", d)
	}
	g, err := st.Grid(ctx, "NY-01-01-02")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(Grids[6], g); d != "" {
		t.Errorf("Grid (-want +got):\n%s", d)
	}
	if _, err := st.Grid(ctx, "NOPE"); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("Grid(missing) = %v, want ErrNotFound", err)
	}
	// Rename in place.
	renamed := Grids[5]
	renamed.Name = "一网格"
	if err := st.UpsertGrids(ctx, []population.Grid{renamed}); err != nil {
		t.Fatal(err)
	}
	if g, _ := st.Grid(ctx, renamed.Code); g.Name != "一网格" {
		t.Errorf("after rename, name = %q", g.Name)
	}
	for _, bad := range [][]population.Grid{
		{{Code: "ZZ", Name: "ok", Level: population.LevelDistrict}, {Code: "bad code", Level: population.LevelGrid, ParentCode: "ZZ"}},
		{{Code: "QQ-01", Name: "orphan", Level: population.LevelStreet, ParentCode: "QQ"}},
	} {
		if err := st.UpsertGrids(ctx, bad); err == nil {
			t.Errorf("UpsertGrids(%v) succeeded, want error", bad)
		}
	}
	if _, err := st.Grid(ctx, "ZZ"); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("a rejected batch wrote grid ZZ (err %v)", err)
	}
}

func sortGrids(gs []population.Grid) {
	for i := 1; i < len(gs); i++ {
		for j := i; j > 0 && gs[j].Code < gs[j-1].Code; j-- {
			gs[j], gs[j-1] = gs[j-1], gs[j]
		}
	}
}

func testWorkers(t *testing.T, st Store) {
	ctx := t.Context()
	seed(t, st, 0)
	w1 := population.Worker{Code: "W001", Name: "王芳", Phone: "13800000001", Role: population.RoleGridWorker, GridCode: "NY-01-01-01", VisitingHours: "Mon-Fri 14:00-17:00"}
	leader := population.Worker{Code: "L001", Name: "李强", Phone: "13800000002", Role: population.RoleGridLeader, GridCode: "NY-01-01"}
	if err := st.UpsertWorkers(ctx, []population.Worker{w1, leader}); err != nil {
		t.Fatalf("UpsertWorkers: %v", err)
	}
	ignoreID := cmpopts.IgnoreFields(population.Worker{}, "ID")
	got, err := st.WorkerForGrid(ctx, "NY-01-01-01", population.RoleGridWorker)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(w1, got, ignoreID); d != "" {
		t.Errorf("WorkerForGrid (-want +got):\n%s", d)
	}
	if got.ID == 0 {
		t.Error("worker ID not set")
	}
	// The grid leader is found from a grid of the community.
	if got, err := st.WorkerForGrid(ctx, "NY-01-01-02", population.RoleGridLeader); err != nil || got.Code != "L001" {
		t.Errorf("leader for NY-01-01-02 = %v, %v; want L001", got.Code, err)
	}
	if _, err := st.WorkerForGrid(ctx, "NY-02-01-01", population.RoleGridWorker); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("worker for an unstaffed grid: %v, want ErrNotFound", err)
	}
	// A new grid worker for the grid takes it over; the old one is released.
	w2 := population.Worker{Code: "W002", Name: "赵敏", Role: population.RoleGridWorker, GridCode: "NY-01-01-01"}
	if err := st.UpsertWorkers(ctx, []population.Worker{w2}); err != nil {
		t.Fatalf("UpsertWorkers(takeover): %v", err)
	}
	if got, err := st.WorkerForGrid(ctx, "NY-01-01-01", population.RoleGridWorker); err != nil || got.Code != "W002" {
		t.Errorf("after takeover WorkerForGrid = %v, %v; want W002", got.Code, err)
	}
	all, err := st.Workers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	released := w1
	released.GridCode = ""
	if d := cmp.Diff([]population.Worker{leader, released, w2}, all, ignoreID); d != "" {
		t.Errorf("Workers after takeover (-want +got):\n%s", d)
	}
	// And the old one may move to another grid.
	w1.GridCode = "NY-02-01-01"
	if err := st.UpsertWorkers(ctx, []population.Worker{w1}); err != nil {
		t.Fatal(err)
	}
	if got, err := st.WorkerForGrid(ctx, "NY-02-01-01", population.RoleGridWorker); err != nil || got.Code != "W001" {
		t.Errorf("moved worker: %v, %v", got.Code, err)
	}
	for _, bad := range []population.Worker{
		{Code: "", Name: "x", Role: population.RoleGridWorker, GridCode: "NY-01-01-01"},
		{Code: "W9", Name: "x", Role: "boss", GridCode: "NY-01-01-01"},
		{Code: "W9", Name: "x", Role: population.RoleStreet, GridCode: "NOPE"},
	} {
		if err := st.UpsertWorkers(ctx, []population.Worker{bad}); err == nil {
			t.Errorf("UpsertWorkers(%+v) succeeded, want error", bad)
		}
	}
}

func testUpsertCounts(t *testing.T, st Store) {
	ctx := t.Context()
	seed(t, st, 0)
	in := []population.Resident{Resident(1), Resident(2), Resident(3)}
	in[0].OptOuts = []population.Topic{population.TopicJob}
	stats, err := st.UpsertResidents(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(population.UpsertStats{Inserted: 3}, stats); d != "" {
		t.Errorf("first upsert (-want +got):\n%s", d)
	}
	before := make([]population.Resident, len(in))
	for i, r := range in {
		if before[i], err = st.ResidentByIDNumber(ctx, r.IDNumber); err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(expected(r, before[i].ID), before[i], residentOpts); d != "" {
			t.Errorf("resident %d as stored (-want +got):\n%s", i, d)
		}
	}
	time.Sleep(2 * time.Millisecond) // let the clock move so a rewrite would show
	stats, err = st.UpsertResidents(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(population.UpsertStats{Unchanged: 3}, stats); d != "" {
		t.Errorf("identical upsert (-want +got):\n%s", d)
	}
	for i, r := range in {
		after, err := st.ResidentByIDNumber(ctx, r.IDNumber)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(before[i], after); d != "" {
			t.Errorf("identical upsert changed resident %d (-want +got):\n%s", i, d)
		}
	}

	changed := append([]population.Resident(nil), in...)
	changed[1].Categories = []population.Category{population.Disabled}
	changed[1].Skills = []string{"厨师"}
	changed[1].Address.Room = "909"
	stats, err = st.UpsertResidents(ctx, changed)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(population.UpsertStats{Updated: 1, Unchanged: 2}, stats); d != "" {
		t.Errorf("changed upsert (-want +got):\n%s", d)
	}
	got, err := st.Resident(ctx, before[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(expected(changed[1], before[1].ID), got, residentOpts); d != "" {
		t.Errorf("updated resident (-want +got):\n%s", d)
	}
	if !got.UpdatedAt.After(before[1].UpdatedAt) {
		t.Errorf("updated_at %v not after %v", got.UpdatedAt, before[1].UpdatedAt)
	}
	if n, _ := st.CountResidents(ctx); n != 3 {
		t.Errorf("CountResidents = %d, want 3", n)
	}
	// An explicit birth date that agrees with the ID number is kept.
	r := Resident(40)
	r.BirthDate, _ = r.IDNumber.BirthDate()
	r.Gender = population.Female
	if _, err := st.UpsertResidents(ctx, []population.Resident{r}); err != nil {
		t.Fatal(err)
	}
	if got, err := st.ResidentByIDNumber(ctx, r.IDNumber); err != nil || got.Gender != population.Female || !got.BirthDate.Equal(r.BirthDate) {
		t.Errorf("explicit gender/birth: %v %v, %v", got.Gender, got.BirthDate, err)
	}
}

func testUpsertAllOrNothing(t *testing.T, st Store) {
	ctx := t.Context()
	seed(t, st, 0)
	bad := Resident(2)
	bad.IDNumber = bad.IDNumber[:17] + "0"
	if bad.IDNumber == IDNumber(2) {
		bad.IDNumber = bad.IDNumber[:17] + "1"
	}
	for _, tc := range []struct {
		name string
		rows []population.Resident
		want string
	}{
		{"check digit", []population.Resident{Resident(0), Resident(1), bad, Resident(3)}, "resident 2"},
		{"no grid", []population.Resident{Resident(0), func() population.Resident { r := Resident(5); r.GridCode = ""; return r }()}, "resident 1"},
		{"unknown grid", []population.Resident{Resident(0), func() population.Resident { r := Resident(6); r.GridCode = "NOPE"; return r }()}, "resident 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := st.UpsertResidents(ctx, tc.rows)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("UpsertResidents = %v, want an error naming %q", err, tc.want)
			}
			if n, _ := st.CountResidents(ctx); n != 0 {
				t.Errorf("a failed upsert left %d residents", n)
			}
		})
	}
}

func testUpsertDuplicateInBatch(t *testing.T, st Store) {
	ctx := t.Context()
	seed(t, st, 0)
	a, b := Resident(1), Resident(1)
	b.Categories = []population.Category{population.Floating}
	stats, err := st.UpsertResidents(ctx, []population.Resident{a, b, a})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(population.UpsertStats{Inserted: 1, Updated: 2}, stats); d != "" {
		t.Errorf("stats (-want +got):\n%s", d)
	}
	got, err := st.ResidentByIDNumber(ctx, a.IDNumber)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(expected(a, got.ID), got, residentOpts); d != "" {
		t.Errorf("last row wins (-want +got):\n%s", d)
	}
}

func testIDNotInClear(t *testing.T, st Store) {
	ctx := t.Context()
	seed(t, st, 5)
	n := 0
	for _, table := range []string{"residents", "households", "resident_categories", "resident_skills", "resident_jobs", "resident_optouts"} {
		rows, err := st.DB().QueryContext(ctx, "SELECT * FROM "+table)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				var s string
				switch v := v.(type) {
				case string:
					s = v
				case []byte:
					s = string(v)
				default:
					continue
				}
				n++
				for k := range 5 {
					id := string(IDNumber(k))
					if strings.Contains(s, id) || strings.Contains(s, id[6:14]+id[14:]) {
						t.Errorf("%s.%s holds resident %d's ID number in clear", table, cols[i], k)
					}
				}
			}
		}
		rows.Close()
	}
	if n == 0 {
		t.Fatal("scanned no text columns")
	}
}

func testUnmask(t *testing.T, st Store) {
	ctx := t.Context()
	rs := seed(t, st, 3)
	for i, r := range rs {
		got, err := st.UnmaskIDNumber(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got != IDNumber(i) {
			t.Errorf("UnmaskIDNumber(%d) = %s, want %s", r.ID, got.Masked(), IDNumber(i).Masked())
		}
	}
	if _, err := st.UnmaskIDNumber(ctx, 1<<40); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("UnmaskIDNumber(missing) = %v, want ErrNotFound", err)
	}
}

func testLookups(t *testing.T, st Store) {
	ctx := t.Context()
	rs := seed(t, st, 4)
	if err := st.BindOpenID(ctx, rs[2].ID, "oTestOpenID0002"); err != nil {
		t.Fatal(err)
	}
	want := expected(Resident(2), rs[2].ID)
	want.OpenID = "oTestOpenID0002"
	for _, tc := range []struct {
		name string
		get  func() (population.Resident, error)
	}{
		{"ID", func() (population.Resident, error) { return st.Resident(ctx, rs[2].ID) }},
		{"IDNumber", func() (population.Resident, error) { return st.ResidentByIDNumber(ctx, IDNumber(2)) }},
		{"IDNumberLowerX", func() (population.Resident, error) {
			return st.ResidentByIDNumber(ctx, pii.IDNumber(" "+strings.ToLower(string(IDNumber(2)))))
		}},
		{"Phone", func() (population.Resident, error) { return st.ResidentByPhone(ctx, "+86 139 0000 0002") }},
		{"OpenID", func() (population.Resident, error) { return st.ResidentByOpenID(ctx, "oTestOpenID0002") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.get()
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(want, got, residentOpts); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
			if got.IDNumber != "" || got.IDMasked == "" || got.UpdatedAt.IsZero() {
				t.Errorf("IDNumber %q, IDMasked %q, UpdatedAt %v", got.IDNumber.Masked(), got.IDMasked, got.UpdatedAt)
			}
		})
	}
	for _, tc := range []struct {
		name string
		get  func() (population.Resident, error)
	}{
		{"ID", func() (population.Resident, error) { return st.Resident(ctx, 1<<40) }},
		{"IDNumber", func() (population.Resident, error) { return st.ResidentByIDNumber(ctx, IDNumber(99)) }},
		{"Phone", func() (population.Resident, error) { return st.ResidentByPhone(ctx, "13700000000") }},
		{"EmptyPhone", func() (population.Resident, error) { return st.ResidentByPhone(ctx, "") }},
		{"OpenID", func() (population.Resident, error) { return st.ResidentByOpenID(ctx, "oNobody") }},
		{"EmptyOpenID", func() (population.Resident, error) { return st.ResidentByOpenID(ctx, "") }},
	} {
		t.Run("missing/"+tc.name, func(t *testing.T) {
			if _, err := tc.get(); !errors.Is(err, fault.ErrNotFound) {
				t.Errorf("err = %v, want ErrNotFound", err)
			}
		})
	}
}

func testOptOut(t *testing.T, st Store) {
	ctx := t.Context()
	rs := seed(t, st, 2)
	id := rs[0].ID
	steps := []struct {
		topic population.Topic
		out   bool
		want  []population.Topic
	}{
		{population.TopicJob, true, []population.Topic{population.TopicJob}},
		{population.TopicJob, true, []population.Topic{population.TopicJob}},
		{population.TopicAll, true, []population.Topic{population.TopicAll, population.TopicJob}},
		{population.TopicJob, false, []population.Topic{population.TopicAll}},
		{population.TopicAll, false, nil},
	}
	for i, s := range steps {
		if err := st.SetOptOut(ctx, id, s.topic, s.out); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		got, err := st.Resident(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(s.want, got.OptOuts, cmpopts.EquateEmpty()); d != "" {
			t.Errorf("step %d opt-outs (-want +got):\n%s", i, d)
		}
	}
	// Re-importing the resident does not withdraw an opt-out.
	if err := st.SetOptOut(ctx, id, population.TopicVisit, true); err != nil {
		t.Fatal(err)
	}
	if _, err := st.UpsertResidents(ctx, []population.Resident{Resident(0)}); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.Resident(ctx, id); !got.OptedOut(population.TopicVisit) {
		t.Errorf("re-import withdrew the opt-out: %v", got.OptOuts)
	}
	if err := st.SetOptOut(ctx, 1<<40, population.TopicJob, true); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("SetOptOut(missing) = %v, want ErrNotFound", err)
	}
	if err := st.SetOptOut(ctx, id, "spam", true); err == nil {
		t.Error("SetOptOut(unknown topic) succeeded")
	}
}

func testBindOpenID(t *testing.T, st Store) {
	ctx := t.Context()
	rs := seed(t, st, 3)
	const o1, o2 = pii.OpenID("oBindTest00001"), pii.OpenID("oBindTest00002")
	if err := st.BindOpenID(ctx, rs[0].ID, o1); err != nil {
		t.Fatal(err)
	}
	if err := st.BindOpenID(ctx, rs[0].ID, o1); err != nil {
		t.Errorf("rebinding the same openid: %v", err)
	}
	if err := st.BindOpenID(ctx, rs[1].ID, o1); !errors.Is(err, fault.ErrConflict) {
		t.Errorf("binding a taken openid = %v, want fault.ErrConflict", err)
	}
	if err := st.BindOpenID(ctx, rs[0].ID, o2); err != nil {
		t.Fatal(err)
	}
	if err := st.BindOpenID(ctx, rs[1].ID, o1); err != nil {
		t.Errorf("binding a released openid: %v", err)
	}
	if got, err := st.ResidentByOpenID(ctx, o1); err != nil || got.ID != rs[1].ID {
		t.Errorf("ResidentByOpenID(o1) = %d, %v; want %d", got.ID, err, rs[1].ID)
	}
	// An import without an openid keeps the binding; one with it binds.
	if st, err := st.UpsertResidents(ctx, []population.Resident{Resident(1)}); err != nil || st.Unchanged != 1 {
		t.Errorf("re-import: %+v, %v", st, err)
	}
	if got, _ := st.Resident(ctx, rs[1].ID); got.OpenID != o1 {
		t.Errorf("re-import unbound the openid: %q", got.OpenID)
	}
	r2 := Resident(2)
	r2.OpenID = "oImported0002"
	if _, err := st.UpsertResidents(ctx, []population.Resident{r2}); err != nil {
		t.Fatal(err)
	}
	if got, err := st.ResidentByOpenID(ctx, r2.OpenID); err != nil || got.ID != rs[2].ID {
		t.Errorf("imported openid: %d, %v", got.ID, err)
	}
	if err := st.BindOpenID(ctx, rs[1].ID, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ResidentByOpenID(ctx, o1); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("after unbind: %v, want ErrNotFound", err)
	}
	if err := st.BindOpenID(ctx, 1<<40, o1); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("BindOpenID(missing) = %v, want ErrNotFound", err)
	}
}

func testSyncCursor(t *testing.T, st Store) {
	ctx := t.Context()
	if c, err := st.SyncCursor(ctx, "hrss"); err != nil || c != "" {
		t.Errorf("SyncCursor(new) = %q, %v", c, err)
	}
	for _, c := range []string{"2024-06-01T00:00:00Z#100", "2024-06-02T00:00:00Z#7"} {
		if err := st.SetSyncCursor(ctx, "hrss", c); err != nil {
			t.Fatal(err)
		}
		if got, err := st.SyncCursor(ctx, "hrss"); err != nil || got != c {
			t.Errorf("SyncCursor = %q, %v; want %q", got, err, c)
		}
	}
	if c, _ := st.SyncCursor(ctx, "other"); c != "" {
		t.Errorf("another source sees %q", c)
	}
}
