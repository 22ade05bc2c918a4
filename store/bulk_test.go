package store_test

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/store"
)

// benchGrids is a small hierarchy: one district, one street, one community
// and 20 grids.
func benchGrids() []population.Grid {
	gs := []population.Grid{
		{Code: "B", Name: "区", Level: population.LevelDistrict},
		{Code: "B-1", Name: "街道", Level: population.LevelStreet, ParentCode: "B"},
		{Code: "B-1-1", Name: "社区", Level: population.LevelCommunity, ParentCode: "B-1"},
	}
	for g := range 20 {
		gs = append(gs, population.Grid{Code: fmt.Sprintf("B-1-1-%02d", g), Name: "网格", Level: population.LevelGrid, ParentCode: "B-1-1"})
	}
	return gs
}

// genResident is a tiny generator of plausible residents for benchmarks:
// unique valid ID numbers, three residents per household, a category on
// some, skills on fewer. (segments/synth makes realistic populations; this
// one only has to be cheap and deterministic.)
func genResident(i int) population.Resident {
	day := i / 1000 // 1000 sequence numbers per birth date
	birth := time.Date(1940, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, day%(365*65))
	area := 320100 + day/(365*65)%100
	first := fmt.Sprintf("%06d%s%03d", area, birth.Format("20060102"), i%1000)
	r := population.Resident{
		Name:     pii.Name("居民" + strconv.Itoa(i)),
		IDNumber: pii.IDNumber(first + string(pii.CheckDigit(first))),
		Phone:    pii.Phone(fmt.Sprintf("13%09d", i)),
		GridCode: fmt.Sprintf("B-1-1-%02d", i/3/300%20),
		Address:  population.Address{Community: "小区", Building: strconv.Itoa(i / 3 / 60), Unit: strconv.Itoa(i / 3 / 10 % 6), Room: strconv.Itoa(i / 3 % 10)},
	}
	switch i % 10 {
	case 0:
		r.Categories = []population.Category{population.Unemployed}
		r.Skills = []string{"电工"}
		r.DesiredJobs = []string{"保安", "保洁"}
	case 3:
		r.Categories = []population.Category{population.ElderlyAlone, population.EmptyNest}
	case 7:
		r.Categories = []population.Category{population.Floating}
	}
	return r
}

func benchSizes() []int {
	if s := os.Getenv("GRIDCAST_BENCH_BULK_ROWS"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			return []int{n}
		}
	}
	return []int{10_000, 100_000}
}

// BenchmarkBulkInsert seeds a fresh store with n residents per iteration and
// reports rows/s, next to the same rows through UpsertResidents in 1,000-row
// calls (the import path) as the baseline. Set GRIDCAST_BENCH_BULK_ROWS to
// run one size, e.g. 1000000.
func BenchmarkBulkInsert(b *testing.B) {
	drivers := []struct {
		name string
		open func(testing.TB) *store.Store
	}{
		{"sqlite", openSQLite},
		{"postgres", openPostgres},
	}
	for _, d := range drivers {
		for _, n := range benchSizes() {
			b.Run(fmt.Sprintf("%s/n=%d", d.name, n), func(b *testing.B) {
				if d.name == "postgres" {
					postgresDSN(b)
				}
				b.ReportAllocs()
				for range b.N {
					b.StopTimer()
					st := d.open(b)
					if err := st.UpsertGrids(b.Context(), benchGrids()); err != nil {
						b.Fatal(err)
					}
					i := 0
					b.StartTimer()
					got, err := st.BulkInsertResidents(b.Context(), func() (population.Resident, bool) {
						if i == n {
							return population.Resident{}, false
						}
						i++
						return genResident(i - 1), true
					}, nil)
					if err != nil || got != n {
						b.Fatalf("BulkInsertResidents = %d, %v", got, err)
					}
				}
				b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
			})
		}
		b.Run(d.name+"/baseline=upsert/n=10000", func(b *testing.B) {
			if d.name == "postgres" {
				postgresDSN(b)
			}
			const n, batch = 10_000, 1_000
			b.ReportAllocs()
			for range b.N {
				b.StopTimer()
				st := d.open(b)
				if err := st.UpsertGrids(b.Context(), benchGrids()); err != nil {
					b.Fatal(err)
				}
				rows := make([]population.Resident, 0, batch)
				b.StartTimer()
				for i := range n {
					rows = append(rows, genResident(i))
					if len(rows) == batch {
						if _, err := st.UpsertResidents(b.Context(), rows); err != nil {
							b.Fatal(err)
						}
						rows = rows[:0]
					}
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
