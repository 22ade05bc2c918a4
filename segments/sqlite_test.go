package segments_test

import (
	"context"
	"database/sql"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	_ "modernc.org/sqlite"

	"github.com/gridcast/gridcast/segments"
)

const fixture = `
INSERT INTO grids (code, name, level, parent_code) VALUES
 ('NY', 'NY', 'district', NULL), ('NY-03', 'NY-03', 'street', 'NY'),
 ('NY-03-02', 'NY-03-02', 'community', 'NY-03'), ('NY-03-05', 'NY-03-05', 'community', 'NY-03'),
 ('NY-04', 'NY-04', 'street', 'NY'), ('NJ', 'NJ', 'district', NULL), ('NJ-01', 'NJ-01', 'street', 'NJ');
INSERT INTO residents (id, id_hash, id_sealed, id_masked, name, gender, birth_date, phone, grid_code,
  training_course, training_cohort, openid, preferred_channel, content_hash, created_at, updated_at) VALUES
 (1, 'h1', x'00', 'm', 'A', 'F', '1990-05-01', '13800000001', 'NY-03-02', '电工初级', '2024-03', '',   'sms',    'c', 't', 't'),
 (2, 'h2', x'00', 'm', 'B', 'M', '1950-01-01', '',            'NY-03-05', '',         '',        'o2', 'wechat', 'c', 't', 't'),
 (3, 'h3', x'00', 'm', 'C', 'M', '2010-03-16', '13800000003', 'NY-04',    '',         '',        'o3', '',       'c', 't', 't'),
 (4, 'h4', x'00', 'm', 'D', 'F', '1966-03-15', '13800000004', 'NJ-01',    '',         '',        '',   '',       'c', 't', 't'),
 (5, 'h5', x'00', 'm', 'E', 'F', '2008-03-15', '13800000005', 'NY-03',    '焊工中级', '2025-01', 'o5', 'wechat', 'c', 't', 't');
INSERT INTO resident_categories (category, resident_id) VALUES
 ('unemployed', 1), ('elderly_alone', 2), ('hard_to_employ', 3), ('unemployed', 3), ('empty_nest', 4), ('trainee', 5);
INSERT INTO resident_skills (skill, resident_id) VALUES ('电工', 1), ('axb', 1), ('焊工', 3), ('a%b', 4), ('焊工', 5);
INSERT INTO resident_jobs (job, resident_id) VALUES ('保安', 1), ('保洁', 3);
INSERT INTO resident_optouts (topic, resident_id, created_at) VALUES ('all', 2, 't'), ('job', 3, 't'), ('training', 5, 't');
`

// openDB creates the population schema from the SQLite migration in a
// private in-memory database and loads five residents.
func openDB(t *testing.T) *sql.DB {
	t.Helper()
	schema, err := os.ReadFile("../store/migrations/sqlite/0001_population.sql")
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1) // each connection to :memory: is its own database
	t.Cleanup(func() { db.Close() })
	for _, q := range []string{string(schema), fixture} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// selectIDs runs e's fragment the way the store does and returns the ids.
func selectIDs(t *testing.T, db *sql.DB, e segments.Expr) []int64 {
	t.Helper()
	where, args, err := segments.Compile(e, segments.Options{Now: now})
	if err != nil {
		t.Fatalf("Compile(%s): %v", e, err)
	}
	q := "SELECT r.id FROM residents r WHERE r.id > ? AND " + where + " ORDER BY r.id LIMIT ?"
	rows, err := db.QueryContext(context.Background(), q, append(append([]any{0}, args...), 100)...)
	if err != nil {
		t.Fatalf("query %s: %v", q, err)
	}
	defer rows.Close()
	ids := []int64{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestSQLite(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	// now is 2026-03-15: resident 4 turns 60 and resident 5 turns 18 today;
	// resident 3 turns 16 tomorrow.
	tests := []struct {
		src  string
		want []int64
	}{
		{"category:unemployed", []int64{1, 3}},
		{"category:失业登记 AND age:18..45", []int64{1}},
		{"category:hard*", []int64{3}},
		{"category:(elderly_alone, empty_nest)", []int64{2, 4}},
		{"skill:(电工 OR 焊工)", []int64{1, 3, 5}},
		{"skill:焊*", []int64{3, 5}},
		{`skill:"a%"*`, []int64{4}}, // % is literal, not a wildcard
		{`skill:"a_"*`, []int64{}},
		{"job:保安 OR job:保洁", []int64{1, 3}},
		{"age:60", []int64{4}},
		{"age:>=60", []int64{2, 4}},
		{"age:18", []int64{5}},
		{"age:<18", []int64{3}},
		{"age:15", []int64{3}},
		{"age:16", []int64{}},
		{"age:18..45", []int64{1, 5}},
		{"born:1960..1970", []int64{4}},
		{"born:<1960 OR born:2010", []int64{2, 3}},
		{"gender:女", []int64{1, 4, 5}},
		{"grid:NY-03*", []int64{1, 2, 5}},
		{"grid:NY-03", []int64{5}},
		{"grid:NY*", []int64{1, 2, 3, 5}},
		{"channel:wechat", []int64{2, 3, 5}},
		{"channel:sms", []int64{1, 3, 4, 5}},
		{"NOT channel:wechat", []int64{1, 4}},
		{"prefers:wechat", []int64{2, 5}},
		{"course:电工*", []int64{1}},
		{"cohort:2025-01", []int64{5}},
		{"optout:job", []int64{3}},
		{"optout:all", []int64{2}},
		{"consent:job", []int64{1, 4, 5}},
		{"consent:training", []int64{1, 3, 4}},
		{"consent:all", []int64{1, 3, 4, 5}},
		{"category:elderly_alone AND NOT channel:wechat", []int64{}},
		{"category:unemployed AND age:18..45 AND skill:(电工 OR 焊工) AND grid:NY-03*", []int64{1}},
		{"gender:M OR gender:F AND grid:NJ*", []int64{2, 3, 4}},
		{"(gender:M OR gender:F) AND grid:NJ*", []int64{4}},
		{"NOT NOT gender:M", []int64{2, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			e, err := segments.Parse(tt.src)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, selectIDs(t, db, e)); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
		})
	}
}

// injections are hostile values. Each either fails to parse or is bound as
// an argument, matching nothing.
var injections = []string{
	`' OR 1=1 --`,
	`' OR '1'='1`,
	`x'; DROP TABLE residents; --`,
	`"; DROP TABLE residents; --`,
	`1) OR (1=1`,
	`/* */ OR 1=1`,
	`-- comment`,
	`%`,
	`_`,
	`\`,
	`’ OR 1=1 --`,
	`＇ OR 1=1 --`,
	"a\x00' OR 1=1",
	`r.id`,
	`$1`,
	`?`,
}

// sqlQuote writes s as a quoted segment value.
func sqlQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

func TestSQLiteInjection(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	for _, inj := range injections {
		for _, form := range []string{
			"skill:" + inj,
			"skill:" + sqlQuote(inj),
			"grid:" + sqlQuote(inj) + "*",
			"category:" + sqlQuote(inj),
			"age:" + sqlQuote(inj),
			"gender:F AND job:" + sqlQuote(inj),
			"NOT course:" + sqlQuote(inj),
		} {
			t.Run(form, func(t *testing.T) {
				e, err := segments.Parse(form)
				if err != nil {
					return // refused: fine
				}
				for _, d := range []segments.Dialect{segments.SQLite, segments.Postgres} {
					where, args, err := segments.Compile(e, segments.Options{Dialect: d, Now: now})
					if err != nil {
						t.Fatal(err)
					}
					assertNoLeak(t, where, args)
				}
				got := selectIDs(t, db, e)
				want := []int64{}
				if strings.HasPrefix(form, "NOT") {
					want = []int64{1, 2, 3, 4, 5}
				}
				if inj == "%" && strings.HasPrefix(form, "grid") {
					want = []int64{} // a literal %, not a wildcard
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("ids (-want +got):\n%s", diff)
				}
			})
		}
	}
	// Values Parse refuses (NUL, control characters) are still only bound
	// when a caller builds the tree by hand.
	for _, inj := range injections {
		e := &segments.Term{Field: "skill", Values: []segments.Value{{Text: inj + "\x00\n"}, {Text: inj, Prefix: true}}}
		if got := selectIDs(t, db, e); len(got) != 0 {
			t.Errorf("%q matched %v", inj, got)
		}
	}
	var n int
	if err := db.QueryRow("SELECT count(*) FROM residents").Scan(&n); err != nil || n != 5 {
		t.Fatalf("residents after the injections: %d, %v; want 5", n, err)
	}
	for _, table := range []string{"residents", "resident_categories", "resident_skills", "resident_jobs", "resident_optouts", "grids"} {
		if err := db.QueryRow("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", table).Scan(&n); err != nil || n != 1 {
			t.Errorf("table %s: %d, %v", table, n, err)
		}
	}
}

// assertNoLeak fails if any argument's text appears in the SQL, or the SQL
// holds anything but the compiler's own ASCII.
func assertNoLeak(t testing.TB, where string, args []any) {
	t.Helper()
	for _, a := range args {
		s, ok := a.(string)
		if !ok {
			t.Fatalf("argument %v is a %T, want string", a, a)
		}
		// Short arguments (M, job, a date) can occur in SQL by chance
		// ("M" in "FROM"); the skeleton check in FuzzParse covers them.
		if len(s) >= 6 && strings.Contains(where, s) {
			t.Fatalf("argument %q appears in the SQL: %s", s, where)
		}
	}
	for _, r := range where {
		if r > 0x7e || r < 0x20 {
			t.Fatalf("SQL holds %q, which the compiler never writes: %s", r, where)
		}
	}
	if strings.Contains(where, "--") || strings.Contains(where, "/*") || strings.Contains(where, ";") {
		t.Fatalf("SQL holds a comment or statement separator: %s", where)
	}
}
