package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/gridcast/gridcast/api"
	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
)

// RecordStore is the living records (活户籍): the API's, and the count the
// evaluation (考核) reads.
type RecordStore interface {
	api.ResidentRecords
	RecordsUpdated(ctx context.Context, from, to time.Time) (map[int64]int, error)
}

var recordTests = []struct {
	name string
	fn   func(t *testing.T, st Store)
}{
	{"RecordChanges", testRecordChanges},
	{"RecordChangesRefusals", testRecordChangesRefusals},
	{"RecordStatusLeavesSegments", testRecordStatusLeavesSegments},
	{"ChangesSince", testChangesSince},
	{"RecordsUpdated", testRecordsUpdated},
	{"SyncKeepsFieldChanges", testSyncKeepsFieldChanges},
	{"EraseClearsRecord", testEraseClearsRecord},
}

// change records set on resident id by by, from the field.
func change(t *testing.T, st Store, id int64, by string, set map[population.ChangeField]string) population.Recorded {
	t.Helper()
	cs, err := population.NewChanges(id, set, by, population.SourceField, "走访核实")
	if err != nil {
		t.Fatal(err)
	}
	rec, err := st.RecordChanges(t.Context(), id, cs)
	if err != nil {
		t.Fatalf("RecordChanges: %v", err)
	}
	return rec
}

func testRecordChanges(t *testing.T, st Store) {
	ctx := t.Context()
	r := seed(t, st, 3)[0]
	workerID := seedWorker(t, st, "W-REC")
	before := time.Now().Add(-time.Second)
	rec := change(t, st, r.ID, "王芳", map[population.ChangeField]string{
		population.FieldPhone: "13700001111", population.FieldLiving: "独居", population.FieldSelfCare: "半失能",
		population.FieldHealth: "高血压", population.FieldRelation: "户主",
	})
	want := []population.Change{
		{ResidentID: r.ID, GridCode: r.GridCode, Field: "phone", Before: string(r.Phone), After: "13700001111"},
		{ResidentID: r.ID, GridCode: r.GridCode, Field: "living", After: "alone"},
		{ResidentID: r.ID, GridCode: r.GridCode, Field: "selfcare", After: "partial"},
		{ResidentID: r.ID, GridCode: r.GridCode, Field: "health", After: "高血压"},
		{ResidentID: r.ID, GridCode: r.GridCode, Field: "relation", After: "head"},
	}
	for i := range want {
		want[i].By, want[i].Source, want[i].Note, want[i].WorkerID = "王芳", population.SourceField, "走访核实", workerID
	}
	opts := cmp.Options{cmpopts.IgnoreFields(population.Change{}, "ID", "At"), cmpopts.EquateEmpty()}
	if d := cmp.Diff(want, rec.Changes, opts); d != "" {
		t.Errorf("recorded (-want +got):\n%s", d)
	}
	for _, c := range rec.Changes {
		if c.ID == 0 || c.At.Before(before) {
			t.Errorf("change %s: id %d at %s", c.Field, c.ID, c.At)
		}
	}
	got, err := st.ResidentChanges(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(rec.Changes, got, cmpopts.EquateApproxTime(time.Millisecond)); d != "" {
		t.Errorf("ResidentChanges (-recorded +read):\n%s", d)
	}
	// The resident reads back with the record, whichever way it is read.
	now, err := st.Resident(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantRec := population.Resident{Status: "", Phone: "13700001111", Living: population.LivingAlone,
		SelfCare: population.SelfCarePartial, Health: "高血压", Relation: population.RelationHead}
	gotRec := population.Resident{Status: now.Status, Phone: now.Phone, Living: now.Living, SelfCare: now.SelfCare,
		Health: now.Health, Relation: now.Relation}
	if d := cmp.Diff(wantRec, gotRec); d != "" {
		t.Errorf("resident's record (-want +got):\n%s", d)
	}
	many, err := st.Residents(ctx, []int64{r.ID})
	if err != nil || many[r.ID].Living != population.LivingAlone || many[r.ID].Health != "高血压" {
		t.Errorf("Residents: %+v, %v", many[r.ID], err)
	}

	// Setting what is already there is no change; a new value is, with
	// the value before it.
	again := change(t, st, r.ID, "王芳", map[population.ChangeField]string{
		population.FieldLiving: "alone", population.FieldSelfCare: "失能",
	})
	if len(again.Changes) != 1 || again.Changes[0].Field != population.FieldSelfCare ||
		again.Changes[0].Before != "partial" || again.Changes[0].After != "dependent" {
		t.Errorf("second change: %+v", again.Changes)
	}
	// Clearing a value is a change to "".
	cleared := change(t, st, r.ID, "王芳", map[population.ChangeField]string{population.FieldHealth: ""})
	if len(cleared.Changes) != 1 || cleared.Changes[0].Before != "高血压" || cleared.Changes[0].After != "" {
		t.Errorf("clearing: %+v", cleared.Changes)
	}
	if all, _ := st.ResidentChanges(ctx, r.ID); len(all) != 7 {
		t.Errorf("%d changes kept, want 7", len(all))
	}
}

func testRecordChangesRefusals(t *testing.T, st Store) {
	ctx := t.Context()
	r := seed(t, st, 2)[1]
	// A value the field does not take, even beside a good one: nothing is
	// stored.
	bad := []population.Change{
		{Field: population.FieldLiving, After: "alone", By: "w", Source: population.SourceField},
		{Field: population.FieldStatus, After: "gone", By: "w", Source: population.SourceField},
	}
	if _, err := st.RecordChanges(ctx, r.ID, bad); !errors.Is(err, fault.ErrInvalid) {
		t.Errorf("a bad status: %v, want fault.ErrInvalid", err)
	}
	if _, err := st.RecordChanges(ctx, r.ID, nil); !errors.Is(err, fault.ErrInvalid) {
		t.Errorf("no change: %v, want fault.ErrInvalid", err)
	}
	if cs, _ := st.ResidentChanges(ctx, r.ID); len(cs) != 0 {
		t.Errorf("refused changes left %d rows", len(cs))
	}
	if got, _ := st.Resident(ctx, r.ID); got.Living != "" || !got.Active() {
		t.Errorf("refused changes changed the resident: %+v", got)
	}
	good := []population.Change{{Field: population.FieldLiving, After: "alone", By: "w", Source: population.SourceField}}
	if _, err := st.RecordChanges(ctx, 999999, good); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("unknown resident: %v, want fault.ErrNotFound", err)
	}
	if _, err := st.EraseResident(ctx, r.ID, "管理员", "本人书面申请 2024-001"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.RecordChanges(ctx, r.ID, good); !errors.Is(err, fault.ErrConflict) {
		t.Errorf("erased resident: %v, want fault.ErrConflict", err)
	}
}

func testRecordStatusLeavesSegments(t *testing.T, st Store) {
	ctx := t.Context()
	rs := seed(t, st, 9)
	count := func(expr string) int64 {
		t.Helper()
		n, err := st.CountSegment(ctx, expr)
		if err != nil {
			t.Fatalf("CountSegment(%q): %v", expr, err)
		}
		return n
	}
	all := count("")
	c := startedRun(t, st, "活户籍")
	pending := writeOne(t, st, c.ID, rs[0].ID, population.ChannelSMS)
	rec := change(t, st, rs[0].ID, "w", map[population.ChangeField]string{population.FieldStatus: "死亡", population.FieldLiving: "独居"})
	if rec.MessagesSkipped != 1 {
		t.Errorf("messages skipped %d, want 1", rec.MessagesSkipped)
	}
	if m := message(t, st, pending.ID); m.Status != outbound.StatusSkipped || m.SkipReason != outbound.SkipDeceased {
		t.Errorf("pending message now %s/%s, want skipped/deceased", m.Status, m.SkipReason)
	}
	change(t, st, rs[1].ID, "w", map[population.ChangeField]string{population.FieldStatus: "迁出"})
	change(t, st, rs[2].ID, "w", map[population.ChangeField]string{population.FieldLiving: "alone", population.FieldSelfCare: "dependent"})
	for expr, want := range map[string]int64{
		"":                                    all - 2,
		"grid:NY*":                            all - 2,
		"living:alone":                        1, // the deceased one is left out
		"living:独居 AND status:deceased":       1,
		"status:moved_out":                    1,
		"status:(moved_out OR deceased)":      2,
		"NOT status:active":                   2,
		"status:active":                       all - 2,
		"selfcare:dependent":                  1,
		"selfcare:dependent AND living:alone": 1,
	} {
		if got := count(expr); got != want {
			t.Errorf("count(%q) = %d, want %d", expr, got, want)
		}
	}
	var streamed []int64
	if err := st.StreamSegment(ctx, "", 0, 4, func(page []population.Resident) error {
		for _, r := range page {
			streamed = append(streamed, r.ID)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, id := range streamed {
		if id == rs[0].ID || id == rs[1].ID {
			t.Errorf("the stream selects resident %d, who left", id)
		}
	}
	// Moved back in: selected again.
	change(t, st, rs[1].ID, "w", map[population.ChangeField]string{population.FieldStatus: "迁入"})
	if got := count(""); got != all-1 {
		t.Errorf("after moving back in: %d, want %d", got, all-1)
	}
}

func testChangesSince(t *testing.T, st Store) {
	ctx := t.Context()
	rs := seed(t, st, 4)
	start := time.Now().Add(-time.Second)
	change(t, st, rs[0].ID, "w", map[population.ChangeField]string{population.FieldPhone: "13700002222"})
	change(t, st, rs[1].ID, "w", map[population.ChangeField]string{population.FieldStatus: "moved_out"})
	change(t, st, rs[2].ID, "w", map[population.ChangeField]string{population.FieldLiving: "care_home"})
	if _, err := st.EraseResident(ctx, rs[2].ID, "管理员", "本人书面申请 2024-002"); err != nil {
		t.Fatal(err)
	}
	got, err := st.ChangesSince(ctx, start, 0, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ResidentID != rs[0].ID || got[1].ResidentID != rs[1].ID {
		t.Fatalf("ChangesSince: %+v; want the two changes of residents not erased", got)
	}
	if got[0].IDNumber != "" || got[0].IDMasked != IDNumber(0).Masked() || got[0].Name != rs[0].Name {
		t.Errorf("masked page: %q %q %q", got[0].IDNumber, got[0].IDMasked, got[0].Name)
	}
	if got[0].Before != string(rs[0].Phone) || got[0].After != "13700002222" {
		t.Errorf("the change file's values: %q → %q", got[0].Before, got[0].After)
	}
	clear, err := st.ChangesSince(ctx, start, 0, 0, true)
	if err != nil || clear[0].IDNumber != IDNumber(0) {
		t.Errorf("unmasked: %v, %v", clear[0].IDNumber.Masked(), err)
	}
	// Paged by id.
	page, err := st.ChangesSince(ctx, start, got[0].ID, 1, false)
	if err != nil || len(page) != 1 || page[0].ID != got[1].ID {
		t.Errorf("second page: %+v, %v", page, err)
	}
	if later, _ := st.ChangesSince(ctx, time.Now().Add(time.Hour), 0, 0, false); len(later) != 0 {
		t.Errorf("changes since the future: %d", len(later))
	}
}

func testRecordsUpdated(t *testing.T, st Store) {
	ctx := t.Context()
	rs := seed(t, st, 9) // grids by i%3: NY-01-01-01, NY-01-01-02, NY-02-01-01
	if err := st.UpsertWorkers(ctx, []population.Worker{
		{Code: "W-A", Name: "王芳", Role: population.RoleGridWorker, GridCode: "NY-01-01-01"},
		{Code: "W-B", Name: "李明", Role: population.RoleGridWorker, GridCode: "NY-01-01-02"},
	}); err != nil {
		t.Fatal(err)
	}
	ws, err := st.Workers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]int64{}
	for _, w := range ws {
		ids[w.Code] = w.ID
	}
	set := map[population.ChangeField]string{population.FieldLiving: "alone"}
	change(t, st, rs[0].ID, "李明", set)                                                               // by W-B's name, in W-A's grid: W-B's
	change(t, st, rs[0].ID, "李明", map[population.ChangeField]string{population.FieldSelfCare: "自理"}) // the same resident again
	change(t, st, rs[1].ID, "W-B", set)                                                              // by W-B's code
	change(t, st, rs[3].ID, "社区干部", set)                                                             // staff, in W-A's grid: W-A's
	change(t, st, rs[2].ID, "社区干部", set)                                                             // a grid without a worker: nobody's
	// Resident 6, NY-01-01-01, changed by an import: not a worker's record.
	cs := []population.Change{{Field: population.FieldLiving, After: "alone", By: "导入", Source: population.SourceImport}}
	if _, err := st.RecordChanges(ctx, rs[6].ID, cs); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	got, err := st.RecordsUpdated(ctx, now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[int64]int{ids["W-A"]: 1, ids["W-B"]: 2}, got); d != "" {
		t.Errorf("RecordsUpdated (-want +got):\n%s", d)
	}
	if got, _ := st.RecordsUpdated(ctx, now.Add(-48*time.Hour), now.Add(-24*time.Hour)); len(got) != 0 {
		t.Errorf("a period before the changes: %v", got)
	}
}

func testSyncKeepsFieldChanges(t *testing.T, st Store) {
	ctx := t.Context()
	seed(t, st, 0)
	a, b := Resident(1), Resident(2)
	if _, err := st.UpsertResidents(ctx, []population.Resident{a, b}); err != nil {
		t.Fatal(err)
	}
	ra, _ := st.ResidentByIDNumber(ctx, a.IDNumber)
	rb, _ := st.ResidentByIDNumber(ctx, b.IDNumber)
	change(t, st, ra.ID, "w", map[population.ChangeField]string{population.FieldPhone: "13700003333", population.FieldLiving: "alone"})
	change(t, st, rb.ID, "w", map[population.ChangeField]string{population.FieldPhone: "13700004444"})
	changedAt := time.Now()

	// The source's rows: a's was last changed yesterday (before the field
	// change) and carries a new training course and the old phone; b's
	// was changed an hour from now, after it, with yet another phone.
	a.TrainingCourse, a.Phone, a.SourceUpdatedAt = "护理", "13900000001", changedAt.Add(-24*time.Hour)
	b.Phone, b.SourceUpdatedAt = pii.Phone("13600005555"), changedAt.Add(time.Hour)
	stats, err := st.UpsertResidents(ctx, []population.Resident{a, b})
	if err != nil {
		t.Fatal(err)
	}
	if stats.Updated != 2 {
		t.Errorf("stats %+v, want 2 updated", stats)
	}
	ra, _ = st.Resident(ctx, ra.ID)
	rb, _ = st.Resident(ctx, rb.ID)
	if ra.Phone != "13700003333" || ra.TrainingCourse != "护理" || ra.Living != population.LivingAlone {
		t.Errorf("older source row: phone %s course %q living %q; want the field's phone kept, the course taken, the record untouched",
			ra.Phone.Masked(), ra.TrainingCourse, ra.Living)
	}
	if rb.Phone != "13600005555" {
		t.Errorf("newer source row: phone %s, want the source's", rb.Phone.Masked())
	}
	// The same older row again changes nothing.
	if stats, err := st.UpsertResidents(ctx, []population.Resident{a}); err != nil || stats.Unchanged != 1 {
		t.Errorf("the same source row again: %+v, %v; want unchanged", stats, err)
	}
	// A spreadsheet import (no source date) writes as it always did.
	a.SourceUpdatedAt = time.Time{}
	a.Phone = "13900000009"
	if _, err := st.UpsertResidents(ctx, []population.Resident{a}); err != nil {
		t.Fatal(err)
	}
	if ra, _ = st.Resident(ctx, ra.ID); ra.Phone != "13900000009" {
		t.Errorf("import: phone %s, want the file's", ra.Phone.Masked())
	}
}

func testEraseClearsRecord(t *testing.T, st Store) {
	ctx := t.Context()
	r := seed(t, st, 1)[0]
	change(t, st, r.ID, "w", map[population.ChangeField]string{population.FieldHealth: "糖尿病", population.FieldPhone: "13700006666",
		population.FieldSelfCare: "失能"})
	if _, err := st.EraseResident(ctx, r.ID, "管理员", "本人书面申请 2024-003"); err != nil {
		t.Fatal(err)
	}
	got, err := st.Resident(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Health != "" || got.SelfCare != "" {
		t.Errorf("erased resident keeps health %q self-care %q", string(got.Health), got.SelfCare)
	}
	cs, err := st.ResidentChanges(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.Field.Personal() && (c.Before != "" || c.After != "") || c.Note != "" {
			t.Errorf("erased resident's change %s keeps %q → %q (%q)", c.Field, c.Field.Show(c.Before), c.Field.Show(c.After), c.Note)
		}
	}
}
