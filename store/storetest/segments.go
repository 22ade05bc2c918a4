package storetest

import (
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/segments"
)

func testSavedSegments(t *testing.T, st Store) {
	ctx := t.Context()
	seed(t, st, 30)
	for _, tc := range []struct {
		name string
		seg  segments.SavedSegment
	}{
		{"bad name", segments.SavedSegment{Name: "Job Seekers", Expr: "category:unemployed"}},
		{"long name", segments.SavedSegment{Name: string(make([]byte, 65)), Expr: "category:unemployed"}},
		{"empty expr", segments.SavedSegment{Name: "empty", Expr: " "}},
		{"unknown ref", segments.SavedSegment{Name: "dangling", Expr: "segment:nothing"}},
		{"self ref", segments.SavedSegment{Name: "me", Expr: "category:unemployed OR segment:me"}},
	} {
		if err := st.SaveSegment(ctx, tc.seg); err == nil {
			t.Errorf("%s: SaveSegment succeeded, want error", tc.name)
		}
	}
	err := st.SaveSegment(ctx, segments.SavedSegment{Name: "broken", Expr: "category:unemployed AND skill:"})
	var perr *segments.Error
	if !errors.As(err, &perr) {
		t.Errorf("SaveSegment(syntax error) = %v, want a *segments.Error", err)
	}

	seekers := segments.SavedSegment{Name: "job_seekers", Expr: "category:unemployed", Description: "失业登记", Owner: "emp-office"}
	if err := st.SaveSegment(ctx, seekers); err != nil {
		t.Fatal(err)
	}
	welders := segments.SavedSegment{Name: "grid1-seekers", Expr: "segment:job_seekers AND grid:NY-01-01-01"}
	if err := st.SaveSegment(ctx, welders); err != nil {
		t.Fatal(err)
	}
	// A cycle through another segment is refused.
	if err := st.SaveSegment(ctx, segments.SavedSegment{Name: "job_seekers", Expr: "segment:grid1-seekers"}); err == nil {
		t.Error("SaveSegment accepted a cycle")
	}
	got, err := st.Segment(ctx, "job_seekers")
	if err != nil {
		t.Fatal(err)
	}
	if got.CreatedAt.IsZero() || got.UpdatedAt.IsZero() {
		t.Errorf("timestamps not set: %+v", got)
	}
	created := got.CreatedAt
	got.CreatedAt, got.UpdatedAt = seekers.CreatedAt, seekers.UpdatedAt
	if d := cmp.Diff(seekers, got); d != "" {
		t.Errorf("Segment (-want +got):\n%s", d)
	}
	all, err := st.Segments(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, g := range all {
		names = append(names, g.Name)
	}
	if d := cmp.Diff([]string{"grid1-seekers", "job_seekers"}, names); d != "" {
		t.Errorf("Segments (-want +got):\n%s", d)
	}

	want := 0
	for i := range 30 {
		if i%3 == 0 && residentGrids[i%3] == "NY-01-01-01" {
			want++
		}
	}
	if n, err := st.CountSegment(ctx, "segment:grid1-seekers"); err != nil || n != int64(want) {
		t.Errorf("CountSegment(segment:grid1-seekers) = %d, %v; want %d", n, err, want)
	}
	// Replacing keeps created_at and changes the expression everywhere.
	seekers.Expr = "category:unemployed AND gender:F"
	if err := st.SaveSegment(ctx, seekers); err != nil {
		t.Fatal(err)
	}
	if again, _ := st.Segment(ctx, "job_seekers"); !again.CreatedAt.Equal(created) || again.Expr != seekers.Expr {
		t.Errorf("replace: %+v (created_at was %v)", again, created)
	}

	if err := st.DeleteSegment(ctx, "job_seekers"); !errors.Is(err, fault.ErrConflict) {
		t.Errorf("deleting a segment in use = %v, want fault.ErrConflict", err)
	}
	if err := st.DeleteSegment(ctx, "grid1-seekers"); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteSegment(ctx, "job_seekers"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Segment(ctx, "job_seekers"); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("Segment(deleted) = %v, want ErrNotFound", err)
	}
	if err := st.DeleteSegment(ctx, "job_seekers"); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("DeleteSegment(missing) = %v, want ErrNotFound", err)
	}
	if _, err := st.CountSegment(ctx, "segment:job_seekers"); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("CountSegment(unknown segment) = %v, want ErrNotFound", err)
	}
}

func testCountStreamSample(t *testing.T, st Store) {
	ctx := t.Context()
	const n = 60
	rs := seed(t, st, n)
	match := func(pred func(i int, r population.Resident) bool) []int64 {
		var ids []int64
		for i, r := range rs {
			if pred(i, r) {
				ids = append(ids, r.ID)
			}
		}
		slices.Sort(ids)
		return ids
	}
	if err := st.SetOptOut(ctx, rs[3].ID, population.TopicJob, true); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		expr string
		want []int64
	}{
		{"", match(func(int, population.Resident) bool { return true })},
		{"category:unemployed", match(func(i int, _ population.Resident) bool { return i%3 == 0 })},
		{"category:失业登记 AND consent:job", match(func(i int, _ population.Resident) bool { return i%3 == 0 && i != 3 })},
		{"category:elderly_alone OR skill:焊工", match(func(i int, _ population.Resident) bool { return i%5 == 0 || i%3 == 0 })},
		{"grid:NY-01*", match(func(i int, _ population.Resident) bool { return i%3 != 2 })},
		{"NOT category:unemployed AND course:电工*", match(func(i int, _ population.Resident) bool { return i%3 != 0 && i%7 == 0 })},
		{"prefers:sms", match(func(i int, _ population.Resident) bool { return i%7 == 0 })},
		{"gender:F", match(func(_ int, r population.Resident) bool { return r.Gender == population.Female })},
		{"job:保安 AND grid:NY-02-01-01", nil},
	}
	for _, tc := range cases {
		t.Run(tc.expr, func(t *testing.T) {
			cnt, err := st.CountSegment(ctx, tc.expr)
			if err != nil {
				t.Fatal(err)
			}
			if cnt != int64(len(tc.want)) {
				t.Errorf("CountSegment = %d, want %d", cnt, len(tc.want))
			}
			for _, batch := range []int{1, 7, 1000} {
				var got []int64
				pages := 0
				err := st.StreamSegment(ctx, tc.expr, 0, batch, func(page []population.Resident) error {
					pages++
					if len(page) > batch {
						t.Errorf("page of %d, batch %d", len(page), batch)
					}
					for _, r := range page {
						got = append(got, r.ID)
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				if d := cmp.Diff(tc.want, got); d != "" {
					t.Errorf("StreamSegment batch %d (-want +got):\n%s", batch, d)
				}
			}
			// Resume from a checkpoint: exactly the rest, in order.
			if len(tc.want) > 2 {
				mid := tc.want[len(tc.want)/2]
				var got []int64
				if err := st.StreamSegment(ctx, tc.expr, mid, 4, func(page []population.Resident) error {
					for _, r := range page {
						got = append(got, r.ID)
					}
					return nil
				}); err != nil {
					t.Fatal(err)
				}
				if d := cmp.Diff(tc.want[len(tc.want)/2+1:], got); d != "" {
					t.Errorf("resumed stream (-want +got):\n%s", d)
				}
			}
			sample, err := st.SampleSegment(ctx, tc.expr, 5)
			if err != nil {
				t.Fatal(err)
			}
			if len(sample) != min(5, len(tc.want)) {
				t.Errorf("SampleSegment returned %d", len(sample))
			}
			again, _ := st.SampleSegment(ctx, tc.expr, 5)
			for i, r := range sample {
				if !slices.Contains(tc.want, r.ID) {
					t.Errorf("sample holds %d, which the segment does not select", r.ID)
				}
				if again[i].ID != r.ID {
					t.Errorf("sample not stable")
				}
			}
		})
	}

	// Residents come with children loaded.
	var first population.Resident
	if err := st.StreamSegment(ctx, "category:unemployed", 0, 10, func(page []population.Resident) error {
		first = page[0]
		return errStop
	}); !errors.Is(err, errStop) {
		t.Errorf("StreamSegment did not return fn's error: %v", err)
	}
	if d := cmp.Diff(expected(Resident(0), rs[0].ID), first, residentOpts); d != "" {
		t.Errorf("streamed resident (-want +got):\n%s", d)
	}
	var perr *segments.Error
	if _, err := st.CountSegment(ctx, "category:"); !errors.As(err, &perr) {
		t.Errorf("CountSegment(syntax error) = %v, want *segments.Error", err)
	}
	if err := st.StreamSegment(ctx, "age:>>", 0, 10, func([]population.Resident) error { return nil }); !errors.As(err, &perr) {
		t.Errorf("StreamSegment(syntax error) = %v, want *segments.Error", err)
	}
}

var errStop = errors.New("stop")

func testBulkThenUpsert(t *testing.T, st Store) {
	ctx := t.Context()
	seed(t, st, 0)
	const n = 1200
	i := 0
	var progress []int
	got, err := st.BulkInsertResidents(ctx, func() (population.Resident, bool) {
		if i == n {
			return population.Resident{}, false
		}
		i++
		return Resident(i - 1), true
	}, func(done int) { progress = append(progress, done) })
	if err != nil {
		t.Fatal(err)
	}
	if got != n || len(progress) == 0 || progress[len(progress)-1] != n {
		t.Errorf("BulkInsertResidents = %d (progress %v), want %d", got, progress, n)
	}
	if c, _ := st.CountResidents(ctx); c != n {
		t.Errorf("CountResidents = %d, want %d", c, n)
	}
	for _, k := range []int{0, 1, 599, n - 1} {
		r, err := st.ResidentByIDNumber(ctx, IDNumber(k))
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(expected(Resident(k), r.ID), r, residentOpts); d != "" {
			t.Errorf("bulk resident %d (-want +got):\n%s", k, d)
		}
	}
	// Residents at one address share one household.
	var households int
	if err := st.DB().QueryRowContext(ctx, "SELECT count(DISTINCT household_id) FROM residents").Scan(&households); err != nil {
		t.Fatal(err)
	}
	if households == 0 || households >= n {
		t.Errorf("%d households for %d residents", households, n)
	}
	if cnt, err := st.CountSegment(ctx, "category:unemployed"); err != nil || cnt != n/3 {
		t.Errorf("CountSegment after bulk = %d, %v; want %d", cnt, err, n/3)
	}

	// The same rows upserted change nothing; a changed one is updated.
	rows := make([]population.Resident, 0, 500)
	for k := range 500 {
		rows = append(rows, Resident(k))
	}
	stats, err := st.UpsertResidents(ctx, rows)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(population.UpsertStats{Unchanged: 500}, stats); d != "" {
		t.Errorf("upsert after bulk (-want +got):\n%s", d)
	}
	rows[10].Phone = "13911112222"
	rows = append(rows, Resident(n+1))
	stats, err = st.UpsertResidents(ctx, rows)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(population.UpsertStats{Inserted: 1, Updated: 1, Unchanged: 499}, stats); d != "" {
		t.Errorf("second upsert after bulk (-want +got):\n%s", d)
	}
	// A second bulk load continues the ids; a duplicate ID number fails.
	j := n + 10
	if _, err := st.BulkInsertResidents(ctx, func() (population.Resident, bool) {
		if j == n+20 {
			return population.Resident{}, false
		}
		j++
		return Resident(j - 1), true
	}, nil); err != nil {
		t.Fatal(err)
	}
	if c, _ := st.CountResidents(ctx); c != n+11 {
		t.Errorf("CountResidents = %d, want %d", c, n+11)
	}
	dup := false
	if _, err := st.BulkInsertResidents(ctx, func() (population.Resident, bool) {
		if dup {
			return population.Resident{}, false
		}
		dup = true
		return Resident(5), true
	}, nil); err == nil {
		t.Error("bulk insert of a stored ID number succeeded")
	}
	bad := Resident(n + 50)
	bad.GridCode = ""
	sent := false
	if _, err := st.BulkInsertResidents(ctx, func() (population.Resident, bool) {
		if sent {
			return population.Resident{}, false
		}
		sent = true
		return bad, true
	}, nil); err == nil {
		t.Error("bulk insert of an invalid resident succeeded")
	}
}
