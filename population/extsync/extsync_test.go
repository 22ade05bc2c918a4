package extsync_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"go.uber.org/goleak"

	"github.com/gridcast/gridcast/internal/testlog"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/population/extsync"
	"github.com/gridcast/gridcast/store"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	gridA = "NY-01-02-03"
	gridB = "NY-01-02-04"
)

func newStore(t *testing.T) *store.Store {
	t.Helper()
	sealer, err := pii.NewSealer(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s, err := store.Open(ctx, store.Config{Driver: "sqlite", DSN: filepath.Join(t.TempDir(), "gridcast.db")}, sealer, testlog.New(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	err = s.UpsertGrids(ctx, []population.Grid{
		{Code: "NY", Name: "南岳区", Level: population.LevelDistrict},
		{Code: "NY-01", Name: "东街道", Level: population.LevelStreet, ParentCode: "NY"},
		{Code: "NY-01-02", Name: "幸福社区", Level: population.LevelCommunity, ParentCode: "NY-01"},
		{Code: gridA, Name: "第三网格", Level: population.LevelGrid, ParentCode: "NY-01-02"},
		{Code: gridB, Name: "第四网格", Level: population.LevelGrid, ParentCode: "NY-01-02"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func idNumber(birth string, seq int) string {
	first17 := fmt.Sprintf("320102%s%03d", birth, seq)
	return first17 + string(pii.CheckDigit(first17))
}

// source is a uniquely named population table (hukou_<random>) in a real
// PostgreSQL or MariaDB/MySQL database, dropped when the test ends.
type source struct {
	driver, dsn, table string
	db                 *sql.DB
}

// The external databases, from the environment.
var backends = []struct{ driver, env, sqlDriver string }{
	{"postgres", "GRIDCAST_TEST_POSTGRES", "pgx"},
	{"mysql", "GRIDCAST_TEST_MYSQL", "mysql"},
}

func newSource(t *testing.T, driver, env, sqlDriver string) *source {
	t.Helper()
	dsn := os.Getenv(env)
	if dsn == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set; CI must test against a real %s", env, driver)
		}
		t.Skipf("%s is not set; skipping the %s tests", env, driver)
	}
	db, err := sql.Open(sqlDriver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	s := &source{driver: driver, dsn: dsn, table: "hukou_" + hex.EncodeToString(b), db: db}
	ts := "TIMESTAMPTZ"
	if driver == "mysql" {
		ts = "DATETIME(6)"
	}
	s.exec(t, fmt.Sprintf(`CREATE TABLE %s (%s INT PRIMARY KEY, %s VARCHAR(40), %s VARCHAR(40), %s VARCHAR(40),
		%s VARCHAR(40), %s VARCHAR(200), %s DATE, %s %s NOT NULL)`, s.table,
		s.q("编号"), s.q("姓名"), s.q("身份证号"), s.q("手机号"), s.q("网格编码"), s.q("人员类别"), s.q("出生日期"), s.q("更新时间"), ts))
	t.Cleanup(func() {
		_, _ = db.Exec("DROP TABLE " + s.table)
		db.Close()
	})
	return s
}

// q quotes an identifier for the source's dialect.
func (s *source) q(id string) string {
	if s.driver == "mysql" {
		return "`" + id + "`"
	}
	return `"` + id + `"`
}

func (s *source) exec(t *testing.T, query string, args ...any) {
	t.Helper()
	if s.driver == "postgres" {
		for i := 1; strings.Contains(query, "?"); i++ {
			query = strings.Replace(query, "?", fmt.Sprintf("$%d", i), 1)
		}
	}
	if _, err := s.db.Exec(query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

type person struct {
	key                        int
	name, id, phone, grid, cat string
	birth                      any // time.Time or nil
	updated                    time.Time
}

func (s *source) insert(t *testing.T, ps ...person) {
	t.Helper()
	for _, p := range ps {
		s.exec(t, fmt.Sprintf("INSERT INTO %s VALUES (?, ?, ?, ?, ?, ?, ?, ?)", s.table),
			p.key, p.name, p.id, p.phone, p.grid, p.cat, p.birth, p.updated)
	}
}

func (s *source) config() extsync.Config {
	return extsync.Config{
		Name:   "hukou",
		Driver: s.driver,
		DSN:    s.dsn,
		Query: fmt.Sprintf("SELECT * FROM %s WHERE %s >= :cursor ORDER BY %s, %s",
			s.table, s.q("更新时间"), s.q("更新时间"), s.q("编号")),
		UpdatedAtColumn: "更新时间",
		KeyColumn:       "编号",
		BatchSize:       2,
	}
}

var t0 = time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)

func fivePeople() []person {
	return []person{
		{1, "张三", idNumber("19850312", 123), "13800000001", gridA, "失业登记、培训学员", time.Date(1985, 3, 12, 0, 0, 0, 0, time.UTC), t0},
		{2, "李四", idNumber("19900701", 222), "13800000002", gridA, "独居老人", nil, t0.Add(time.Minute)},
		{3, "坏行", idNumber("19700101", 315), "12345", gridB, "", nil, t0.Add(2 * time.Minute)},
		{4, "赵六", idNumber("19700101", 317), "", gridB, "floating", nil, t0.Add(3 * time.Minute)},
		{5, "钱七", idNumber("19660606", 402), "13800000005", gridB, "", nil, t0.Add(4 * time.Minute)},
	}
}

// ignoreRun leaves out what a run-by-run comparison should not pin.
var ignoreRun = cmpopts.IgnoreFields(extsync.Result{}, "Errors", "Cursor", "Batches")

func TestSync(t *testing.T) {
	for _, be := range backends {
		t.Run(be.driver, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			src := newSource(t, be.driver, be.env, be.sqlDriver)
			store := newStore(t)
			cfg := src.config()
			src.insert(t, fivePeople()...)

			// First run: everything; the bad row is reported, not fatal.
			res, err := extsync.Run(ctx, cfg, store, testlog.New(t))
			if err != nil {
				t.Fatal(err)
			}
			want := extsync.Result{Source: "hukou", Rows: 5, Imported: population.UpsertStats{Inserted: 4}, Invalid: 1, Batches: 2,
				Errors: []extsync.RowError{{Key: "3", Column: "手机号", Msg: "mobile number ***45: want 11 digits starting 13-19"}},
				Cursor: t0.Add(4 * time.Minute).Format(time.RFC3339Nano)}
			if d := cmp.Diff(want, res); d != "" {
				t.Fatalf("first run (-want +got):\n%s", d)
			}
			if c, _ := store.SyncCursor(ctx, "hukou"); c != want.Cursor {
				t.Errorf("saved cursor %q, want %q", c, want.Cursor)
			}
			zhang, err := store.ResidentByIDNumber(ctx, pii.IDNumber(idNumber("19850312", 123)))
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff([]population.Category{population.Trainee, population.Unemployed}, zhang.Categories); d != "" || zhang.Phone != "13800000001" {
				t.Errorf("张三: phone %s, categories (-want +got):\n%s", zhang.Phone, d)
			}

			// Nothing changed: only the row at the cursor is read again.
			res, err = extsync.Run(ctx, cfg, store, testlog.New(t))
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(extsync.Result{Source: "hukou", Rows: 1, Imported: population.UpsertStats{Unchanged: 1}}, res, ignoreRun); d != "" {
				t.Errorf("second run (-want +got):\n%s", d)
			}

			// One resident moves and changes phone.
			bumped := t0.Add(time.Hour)
			src.exec(t, fmt.Sprintf("UPDATE %s SET %s = ?, %s = ?, %s = ? WHERE %s = 2", src.table,
				src.q("手机号"), src.q("网格编码"), src.q("更新时间"), src.q("编号")), "13900000002", gridB, bumped)
			res, err = extsync.Run(ctx, cfg, store, testlog.New(t))
			if err != nil {
				t.Fatal(err)
			}
			want = extsync.Result{Source: "hukou", Rows: 2, Imported: population.UpsertStats{Updated: 1, Unchanged: 1},
				Batches: 1, Cursor: bumped.Format(time.RFC3339Nano)}
			if d := cmp.Diff(want, res, cmpopts.EquateEmpty()); d != "" {
				t.Errorf("third run (-want +got):\n%s", d)
			}
			li, err := store.ResidentByIDNumber(ctx, pii.IDNumber(idNumber("19900701", 222)))
			if err != nil {
				t.Fatal(err)
			}
			if li.Phone != "13900000002" || li.GridCode != gridB {
				t.Errorf("李四: phone %s grid %s, want 139****0002 in %s", li.Phone, li.GridCode, gridB)
			}
			if n, _ := store.CountResidents(ctx); n != 4 {
				t.Errorf("store holds %d residents, want 4", n)
			}
		})
	}
}

func TestSyncFailuresWriteNothing(t *testing.T) {
	for _, be := range backends {
		t.Run(be.driver, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			src := newSource(t, be.driver, be.env, be.sqlDriver)
			src.insert(t, fivePeople()...)
			wrongDSN := "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2"
			if be.driver == "mysql" {
				wrongDSN = "nobody@tcp(127.0.0.1:1)/none?timeout=2s"
			}
			cases := []struct {
				name string
				edit func(c *extsync.Config)
				want string
			}{
				{"unreachable", func(c *extsync.Config) { c.DSN = wrongDSN }, "extsync: source hukou: connect:"},
				{"no such table", func(c *extsync.Config) { c.Query = strings.Replace(c.Query, src.table, src.table+"_gone", 1) }, "extsync: source hukou: query:"},
				{"missing column", func(c *extsync.Config) { c.Mapping = map[string]string{"id_number": "证件号码"} },
					`missing column(s) for id_number (mapped to "证件号码")`},
				{"no updated_at column", func(c *extsync.Config) { c.UpdatedAtColumn = "修改时间" }, `updated_at_column "修改时间" is not among the query's columns`},
			}
			for _, tc := range cases {
				cfg := src.config()
				tc.edit(&cfg)
				store := newStore(t)
				_, err := extsync.Run(ctx, cfg, store, testlog.New(t))
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("%s: err = %v, want it to contain %q", tc.name, err, tc.want)
				}
				if err != nil && strings.Contains(err.Error(), "nobody@") {
					t.Errorf("%s: the error repeats the DSN: %v", tc.name, err)
				}
				n, _ := store.CountResidents(ctx)
				c, _ := store.SyncCursor(ctx, "hukou")
				if n != 0 || c != "" {
					t.Errorf("%s: store holds %d residents and cursor %q, want nothing", tc.name, n, c)
				}
			}
		})
	}
}

func TestLoop(t *testing.T) {
	be := backends[0]
	src := newSource(t, be.driver, be.env, be.sqlDriver)
	src.insert(t, fivePeople()...)
	store := newStore(t)
	cfg := src.config()
	cfg.Interval = 20 * time.Millisecond

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- extsync.Loop(ctx, cfg, store, testlog.New(t)) }()

	// A row added while the loop runs arrives within a few ticks.
	src.insert(t, person{6, "孙八", idNumber("19880808", 511), "13800000006", gridA, "", nil, t0.Add(2 * time.Hour)})
	deadline := time.Now().Add(10 * time.Second)
	for {
		if n, _ := store.CountResidents(context.Background()); n == 5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the loop did not sync the new row within 10s")
		}
		select {
		case <-time.After(10 * time.Millisecond):
		case err := <-done:
			t.Fatalf("Loop returned early: %v", err)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Loop returned %v after cancel, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Loop did not return after cancel")
	}
}
