package importer_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/population/importer"
)

// discardStore checks grids like the real store but writes nothing: the
// baseline that isolates reading and validation from the SQLite upsert.
type discardStore struct{}

func (discardStore) Grids(context.Context) ([]population.Grid, error) { return testGrids(), nil }
func (discardStore) UpsertResidents(_ context.Context, rs []population.Resident) (population.UpsertStats, error) {
	return population.UpsertStats{Inserted: len(rs)}, nil
}

// BenchmarkImportCSV imports a fresh CSV of n residents into an empty
// SQLite store per iteration and reports rows/s, next to the parse-only
// baseline (discardStore) measured in the same run.
func BenchmarkImportCSV(b *testing.B) {
	for _, n := range []int{1_000, 100_000} {
		rows := [][]string{zhHeader}
		for i := range n {
			rows = append(rows, []string{"张三", "", "", nthID(i), phone(i), gridA, "幸福小区", fmt.Sprint(i % 30), "1",
				fmt.Sprint(100 + i%700), "失业登记、培训学员", "电工、焊工", "电工", "微信"})
		}
		file := writeCSV(b, b.TempDir(), "r.csv", "utf8", rows)

		var parseOnly float64
		b.Run(fmt.Sprintf("rows=%d/parse-only", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				rep, err := importer.ImportFile(context.Background(), discardStore{}, file, importer.Options{})
				if err != nil || rep.Imported.Inserted != n {
					b.Fatalf("import: %+v, %v", rep.Imported, err)
				}
			}
			parseOnly = float64(n*b.N) / b.Elapsed().Seconds()
			b.ReportMetric(parseOnly, "rows/s")
		})
		b.Run(fmt.Sprintf("rows=%d/sqlite", n), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				store := newStore(b)
				b.StartTimer()
				rep, err := importer.ImportFile(context.Background(), store, file, importer.Options{})
				if err != nil || rep.Imported.Inserted != n {
					b.Fatalf("import: %+v, %v", rep.Imported, err)
				}
			}
			rate := float64(n*b.N) / b.Elapsed().Seconds()
			b.ReportMetric(rate, "rows/s")
			if parseOnly > 0 {
				b.ReportMetric(rate/parseOnly, "of-parse-only")
			}
		})
	}
}
