package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/gridcast/gridcast/internal/testlog"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/population/synth"
	"github.com/gridcast/gridcast/store"
)

// The population benchmarks run on GRIDCAST_BENCH_RESIDENTS synthetic
// residents (default 1,000,000; 100,000 with -short), on SQLite and, when
// GRIDCAST_TEST_POSTGRES is set, on PostgreSQL:
//
//	go test ./store -run '^$' -bench Population -benchtime 1x -timeout 60m
//
// BenchmarkPopulationLoad reports seeding speed (rows/s). BenchmarkPopulationSegments
// loads the population once per driver, then for each audience times the
// compiled segment (CountSegment, StreamSegment) next to hand-written SQL
// for the same audience in the same iteration, and reports both and their
// ratio.

func benchResidents() int {
	if s := os.Getenv("GRIDCAST_BENCH_RESIDENTS"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			return n
		}
	}
	if testing.Short() {
		return 100_000
	}
	return 1_000_000
}

type benchDriver struct {
	name string
	open func(b *testing.B, fresh bool) *store.Store
}

func benchDrivers(b *testing.B) []benchDriver {
	sealer, err := pii.NewSealer(make([]byte, 32))
	if err != nil {
		b.Fatal(err)
	}
	log := testlog.New(b)
	n := benchResidents()
	ds := []benchDriver{{
		name: "sqlite",
		open: func(b *testing.B, fresh bool) *store.Store {
			path := filepath.Join(b.TempDir(), "bench.db")
			if !fresh {
				path = filepath.Join(os.TempDir(), fmt.Sprintf("gridcast-bench-%d.db", n))
			}
			st, err := store.Open(context.Background(), store.Config{Driver: "sqlite", DSN: path}, sealer, log)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { st.Close() })
			return st
		},
	}}
	base := os.Getenv("GRIDCAST_TEST_POSTGRES")
	if base == "" {
		b.Log("GRIDCAST_TEST_POSTGRES unset: PostgreSQL benchmarks skipped")
		return ds
	}
	return append(ds, benchDriver{
		name: "postgres",
		open: func(b *testing.B, fresh bool) *store.Store {
			schema := fmt.Sprintf("bench_population_%d", n)
			if fresh {
				schema = fmt.Sprintf("bench_load_%d", time.Now().UnixNano())
			}
			admin, err := sql.Open("pgx", base)
			if err != nil {
				b.Fatal(err)
			}
			defer admin.Close()
			if _, err := admin.Exec(`CREATE SCHEMA IF NOT EXISTS ` + schema); err != nil {
				b.Fatal(err)
			}
			if fresh {
				b.Cleanup(func() {
					a, _ := sql.Open("pgx", base)
					_, _ = a.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
					a.Close()
				})
			}
			u, err := url.Parse(base)
			if err != nil {
				b.Fatal(err)
			}
			q := u.Query()
			q.Set("search_path", schema)
			u.RawQuery = q.Encode()
			st, err := store.Open(context.Background(), store.Config{Driver: "postgres", DSN: u.String()}, sealer, log)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { st.Close() })
			return st
		},
	})
}

func loadPopulation(b *testing.B, st *store.Store, n int) time.Duration {
	ctx := context.Background()
	start := time.Now()
	gen, err := synth.New(synth.Config{Residents: n, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	if err := st.UpsertGrids(ctx, gen.Grids()); err != nil {
		b.Fatal(err)
	}
	if err := st.UpsertWorkers(ctx, gen.Workers()); err != nil {
		b.Fatal(err)
	}
	got, err := st.BulkInsertResidents(ctx, gen.Next, nil)
	if err != nil {
		b.Fatal(err)
	}
	if got != n {
		b.Fatalf("loaded %d residents, want %d", got, n)
	}
	return time.Since(start)
}

func BenchmarkPopulationLoad(b *testing.B) {
	n := benchResidents()
	for _, d := range benchDrivers(b) {
		b.Run(fmt.Sprintf("%s/%d", d.name, n), func(b *testing.B) {
			var total time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				st := d.open(b, true)
				b.StartTimer()
				total += loadPopulation(b, st, n)
			}
			b.ReportMetric(float64(n*b.N)/total.Seconds(), "rows/s")
		})
	}
}

// audience is one segment and the SQL an engineer would write by hand for
// it. The hand-written SQL uses the same schema and indexes.
type audience struct {
	name, expr string
	count      func(d string) (string, []any)
	stream     func(d string) (string, []any)
}

func bounds(now time.Time, minAge, maxAge int) (string, string) {
	// age in [minAge, maxAge] ⇔ birth_date in (now-(maxAge+1)y, now-minAge y]
	lo := now.AddDate(-(maxAge + 1), 0, 0).Format(time.DateOnly)
	hi := now.AddDate(-minAge, 0, 0).Format(time.DateOnly)
	return lo, hi
}

func ph(d string, i int) string {
	if d == "postgres" {
		return "$" + strconv.Itoa(i)
	}
	return "?"
}

func audiences(now time.Time) []audience {
	lo, hi := bounds(now, 18, 45)
	jobSeekers := func(d, sel string) (string, []any) {
		dateCast := ""
		if d == "postgres" {
			dateCast = "::date"
		}
		return `SELECT ` + sel + ` FROM residents r
			JOIN resident_categories c ON c.resident_id = r.id AND c.category = 'unemployed'
			WHERE r.birth_date > ` + ph(d, 1) + dateCast + ` AND r.birth_date <= ` + ph(d, 2) + dateCast + `
			  AND EXISTS (SELECT 1 FROM resident_skills s WHERE s.resident_id = r.id AND s.skill IN ('电工','焊工'))`, []any{lo, hi}
	}
	elderly := func(_, sel string) (string, []any) {
		return `SELECT ` + sel + ` FROM residents r
			JOIN resident_categories c ON c.resident_id = r.id AND c.category = 'elderly_alone'
			WHERE r.openid = ''`, nil
	}
	mustVisit := func(_, sel string) (string, []any) {
		return `SELECT ` + sel + ` FROM residents r WHERE r.id IN (SELECT resident_id FROM resident_categories
			WHERE category IN ('new_resident','elderly_alone','disabled','left_behind_guardian','floating'))`, nil
	}
	street := func(_, sel string) (string, []any) {
		return `SELECT ` + sel + ` FROM residents r WHERE r.grid_code LIKE 'NY-01-%'`, nil
	}
	const cols = `r.id, r.name, r.gender, r.birth_date, r.phone, r.grid_code, r.openid`
	mk := func(name, expr string, q func(d, sel string) (string, []any)) audience {
		return audience{
			name: name, expr: expr,
			count: func(d string) (string, []any) { return q(d, "count(*)") },
			stream: func(d string) (string, []any) {
				s, a := q(d, cols)
				return s + " ORDER BY r.id", a
			},
		}
	}
	return []audience{
		mk("job_seekers", "category:unemployed AND age:18..45 AND skill:(电工 OR 焊工)", jobSeekers),
		mk("elderly_alone_sms", "category:elderly_alone AND NOT channel:wechat", elderly),
		mk("must_visit", "category:(new_resident OR elderly_alone OR disabled OR left_behind_guardian OR floating)", mustVisit),
		mk("one_street", "grid:NY-01-*", street),
	}
}

func BenchmarkPopulationSegments(b *testing.B) {
	n := benchResidents()
	ctx := context.Background()
	for _, d := range benchDrivers(b) {
		b.Run(fmt.Sprintf("%s/%d", d.name, n), func(b *testing.B) {
			st := d.open(b, false)
			if have, err := st.CountResidents(ctx); err != nil {
				b.Fatal(err)
			} else if int(have) != n {
				if have != 0 {
					b.Fatalf("benchmark store holds %d residents, want 0 or %d; remove it", have, n)
				}
				b.Logf("loading %d residents into %s once (kept for later runs)", n, d.name)
				loadPopulation(b, st, n)
			}
			now := time.Now()
			for _, au := range audiences(now) {
				b.Run("count/"+au.name, func(b *testing.B) {
					q, args := au.count(d.name)
					var seg, hand time.Duration
					var segN, handN int64
					for i := 0; i < b.N; i++ {
						t0 := time.Now()
						c, err := st.CountSegment(ctx, au.expr)
						if err != nil {
							b.Fatal(err)
						}
						seg += time.Since(t0)
						t0 = time.Now()
						if err := st.DB().QueryRowContext(ctx, q, args...).Scan(&handN); err != nil {
							b.Fatal(err)
						}
						hand += time.Since(t0)
						segN = c
					}
					if segN != handN {
						b.Fatalf("segment counts %d, hand-written SQL %d", segN, handN)
					}
					report(b, seg, hand, segN)
				})
				b.Run("stream/"+au.name, func(b *testing.B) {
					q, args := au.stream(d.name)
					var seg, hand time.Duration
					var segN, handN int64
					for i := 0; i < b.N; i++ {
						segN, handN = 0, 0
						t0 := time.Now()
						err := st.StreamSegment(ctx, au.expr, 0, 1000, func(rs []population.Resident) error {
							segN += int64(len(rs))
							return nil
						})
						if err != nil {
							b.Fatal(err)
						}
						seg += time.Since(t0)
						t0 = time.Now()
						rows, err := st.DB().QueryContext(ctx, q, args...)
						if err != nil {
							b.Fatal(err)
						}
						var (
							id                 int64
							name, g, ph, gc, o string
							bd                 any
						)
						for rows.Next() {
							if err := rows.Scan(&id, &name, &g, &bd, &ph, &gc, &o); err != nil {
								b.Fatal(err)
							}
							handN++
						}
						if err := rows.Err(); err != nil {
							b.Fatal(err)
						}
						rows.Close()
						hand += time.Since(t0)
					}
					if segN != handN {
						b.Fatalf("segment streamed %d, hand-written SQL %d", segN, handN)
					}
					report(b, seg, hand, segN)
				})
			}
		})
	}
}

func report(b *testing.B, seg, hand time.Duration, matched int64) {
	b.ReportMetric(float64(seg.Microseconds())/1000/float64(b.N), "segment_ms")
	b.ReportMetric(float64(hand.Microseconds())/1000/float64(b.N), "handsql_ms")
	b.ReportMetric(seg.Seconds()/hand.Seconds(), "ratio")
	b.ReportMetric(float64(matched), "residents")
}
