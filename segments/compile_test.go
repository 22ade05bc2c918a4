package segments_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/segments"
)

var now = time.Date(2026, 3, 15, 10, 0, 0, 0, time.UTC)

func mustCompile(t testing.TB, src string, opt segments.Options) (string, []any) {
	t.Helper()
	e, err := segments.Parse(src)
	if err != nil {
		t.Fatalf("Parse(%q): %v", src, err)
	}
	where, args, err := segments.Compile(e, opt)
	if err != nil {
		t.Fatalf("Compile(%q): %v", src, err)
	}
	return where, args
}

func TestCompile(t *testing.T) {
	t.Parallel()
	const (
		cat     = "r.id IN (SELECT c.resident_id FROM resident_categories c WHERE "
		skill   = "r.id IN (SELECT s.resident_id FROM resident_skills s WHERE "
		job     = "r.id IN (SELECT j.resident_id FROM resident_jobs j WHERE "
		optout  = "r.id IN (SELECT o.resident_id FROM resident_optouts o WHERE "
		escape  = ` ESCAPE '\'`
		noWhere = ""
	)
	tests := []struct {
		src        string
		sqlite, pg string
		args       []any
	}{
		{"category:失业登记",
			cat + "c.category = ?)", cat + "c.category = $1)", []any{"unemployed"}},
		{"category:(unemployed, hard_to*)",
			cat + "(c.category = ? OR c.category LIKE ?" + escape + "))",
			cat + "(c.category = $1 OR c.category LIKE $2" + escape + "))", []any{"unemployed", "hard\\_to%"}},
		{"skill:(电工 OR 焊工)",
			skill + "s.skill IN (?, ?))", skill + "s.skill IN ($1, $2))", []any{"电工", "焊工"}},
		{"job:保安*",
			job + "j.job LIKE ?" + escape + ")", job + "j.job LIKE $1" + escape + ")", []any{"保安%"}},
		{"age:18..45",
			"(r.birth_date <= ? AND r.birth_date > ?)", "(r.birth_date <= $1::date AND r.birth_date > $2::date)",
			[]any{"2008-03-15", "1980-03-15"}},
		{"age:60",
			"(r.birth_date <= ? AND r.birth_date > ?)", "(r.birth_date <= $1::date AND r.birth_date > $2::date)",
			[]any{"1966-03-15", "1965-03-15"}},
		{"age:>=60", "r.birth_date <= ?", "r.birth_date <= $1::date", []any{"1966-03-15"}},
		{"age:<18", "r.birth_date > ?", "r.birth_date > $1::date", []any{"2008-03-15"}},
		{"age:<18,>=60", "(r.birth_date > ? OR r.birth_date <= ?)", "(r.birth_date > $1::date OR r.birth_date <= $2::date)",
			[]any{"2008-03-15", "1966-03-15"}},
		{"born:1960..1970",
			"(r.birth_date >= ? AND r.birth_date < ?)", "(r.birth_date >= $1::date AND r.birth_date < $2::date)",
			[]any{"1960-01-01", "1971-01-01"}},
		{"gender:女", "r.gender = ?", "r.gender = $1", []any{"F"}},
		{"grid:NY-03", "r.grid_code = ?", "r.grid_code = $1", []any{"NY-03"}},
		{`grid:"N%_\\"*`, "r.grid_code LIKE ?" + escape, "r.grid_code LIKE $1" + escape, []any{`N\%\_\\%`}},
		{"channel:wechat", "r.openid <> ''", "r.openid <> ''", nil},
		{"channel:wechat,sms", "(r.openid <> '' OR r.phone <> '')", "(r.openid <> '' OR r.phone <> '')", nil},
		{"prefers:sms", "r.preferred_channel = ?", "r.preferred_channel = $1", []any{"sms"}},
		{"course:电工*", "r.training_course LIKE ?" + escape, "r.training_course LIKE $1" + escape, []any{"电工%"}},
		{"cohort:2024-03", "r.training_cohort = ?", "r.training_cohort = $1", []any{"2024-03"}},
		{"optout:(job, all)", optout + "o.topic IN (?, ?))", optout + "o.topic IN ($1, $2))", []any{"job", "all"}},
		{"consent:job", "NOT " + optout + "o.topic IN (?, ?))", "NOT " + optout + "o.topic IN ($1, $2))", []any{"job", "all"}},
		{"consent:all", "NOT " + optout + "o.topic = ?)", "NOT " + optout + "o.topic = $1)", []any{"all"}},
		{"category:elderly_alone AND NOT channel:wechat",
			"(" + cat + "c.category = ?) AND NOT (r.openid <> ''))",
			"(" + cat + "c.category = $1) AND NOT (r.openid <> ''))", []any{"elderly_alone"}},
		{"gender:M OR gender:F AND grid:A",
			"(r.gender = ? OR (r.gender = ? AND r.grid_code = ?))",
			"(r.gender = $1 OR (r.gender = $2 AND r.grid_code = $3))", []any{"M", "F", "A"}},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			t.Parallel()
			for _, d := range []struct {
				dialect segments.Dialect
				want    string
			}{{segments.SQLite, tt.sqlite}, {segments.Postgres, tt.pg}} {
				where, args := mustCompile(t, tt.src, segments.Options{Dialect: d.dialect, Now: now})
				if diff := cmp.Diff(d.want, where); diff != "" {
					t.Errorf("%v SQL (-want +got):\n%s", d.dialect, diff)
				}
				if diff := cmp.Diff(tt.args, args); diff != "" {
					t.Errorf("%v args (-want +got):\n%s", d.dialect, diff)
				}
			}
		})
	}
}

func TestCompileArgStart(t *testing.T) {
	t.Parallel()
	where, args := mustCompile(t, "gender:F AND skill:(a, b)", segments.Options{Dialect: segments.Postgres, Now: now, ArgStart: 3})
	want := "(r.gender = $3 AND r.id IN (SELECT s.resident_id FROM resident_skills s WHERE s.skill IN ($4, $5)))"
	if diff := cmp.Diff(want, where); diff != "" {
		t.Errorf("SQL (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]any{"F", "a", "b"}, args); diff != "" {
		t.Errorf("args (-want +got):\n%s", diff)
	}
}

// TestAgeBoundaries checks the birth-date cut-offs against population.AgeOn
// for every birthday around the reference date, including 29 February.
func TestAgeBoundaries(t *testing.T) {
	t.Parallel()
	refs := []time.Time{
		time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), // leap day
		time.Date(2025, 2, 28, 0, 0, 0, 0, time.UTC),
		time.Date(2025, 3, 1, 23, 59, 0, 0, time.UTC),
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC),
	}
	ranges := []struct {
		src    string
		lo, hi int // hi < 0: open
	}{{"age:18..45", 18, 45}, {"age:1", 1, 1}, {"age:0", 0, 0}, {"age:>=4", 4, -1}, {"age:<=4", 0, 4}}
	for _, ref := range refs {
		for _, rg := range ranges {
			t.Run(ref.Format(time.DateOnly)+"/"+rg.src, func(t *testing.T) {
				e, err := segments.Parse(rg.src)
				if err != nil {
					t.Fatal(err)
				}
				_, args, err := segments.Compile(e, segments.Options{Now: ref})
				if err != nil {
					t.Fatal(err)
				}
				where, _, _ := segments.Compile(e, segments.Options{Now: ref})
				for _, a := range args { // valid dates, so PostgreSQL's ::date accepts them
					if _, err := time.Parse(time.DateOnly, a.(string)); err != nil {
						t.Errorf("arg %q is not a valid date: %v", a, err)
					}
				}
				// Walk every birth date over the 50 years before ref.
				for b := ref.AddDate(-50, 0, -2); !b.After(ref); b = b.AddDate(0, 0, 1) {
					age := population.AgeOn(b, ref)
					want := age >= rg.lo && (rg.hi < 0 || age <= rg.hi)
					if got := evalBirth(where, args, b.Format(time.DateOnly)); got != want {
						t.Fatalf("born %s (age %d on %s): matched %v, want %v; %s %v",
							b.Format(time.DateOnly), age, ref.Format(time.DateOnly), got, want, where, args)
					}
				}
			})
		}
	}
}

// evalBirth evaluates the SQLite fragment an age: term compiles to, which
// is a conjunction of "r.birth_date <= ?" and "r.birth_date > ?", by string
// comparison, as SQLite compares TEXT dates.
func evalBirth(where string, args []any, birth string) bool {
	conds := strings.Split(strings.Trim(where, "()"), " AND ")
	for i, c := range conds {
		d := args[i].(string)
		switch c {
		case "r.birth_date <= ?":
			if !(birth <= d) {
				return false
			}
		case "r.birth_date > ?":
			if !(birth > d) {
				return false
			}
		default:
			panic("unexpected condition " + c)
		}
	}
	return true
}

func TestCompileSegments(t *testing.T) {
	t.Parallel()
	saved := map[string]string{
		"seekers": "category:unemployed AND age:18..45",
		"reach":   "channel:wechat OR channel:sms",
		"both":    "segment:seekers AND segment:reach",
		"loop_a":  "gender:F AND segment:loop_b",
		"loop_b":  "segment:loop_a",
		"self":    "segment:self",
		"broken":  "skill:",
		"d1":      "segment:d2", "d2": "segment:d3", "d3": "segment:d4", "d4": "segment:d5",
		"d5": "segment:d6", "d6": "segment:d7", "d7": "segment:d8", "d8": "gender:M",
		"d0": "segment:d1",
	}
	// wide refers to the next level ten times: 10^4 terms once expanded.
	for i := range 4 {
		refs := make([]string, 10)
		for j := range refs {
			refs[j] = fmt.Sprintf("segment:w%d", i+1)
		}
		saved[fmt.Sprintf("w%d", i)] = strings.Join(refs, " OR ")
	}
	saved["w4"] = "gender:F"
	resolve := func(name string) (string, error) {
		s, ok := saved[name]
		if !ok {
			return "", fault.ErrNotFound
		}
		return s, nil
	}
	opt := segments.Options{Now: now, Resolve: resolve}

	where, args := mustCompile(t, "segment:both AND NOT segment:reach", opt)
	want := "(((r.id IN (SELECT c.resident_id FROM resident_categories c WHERE c.category = ?) AND (r.birth_date <= ? AND r.birth_date > ?)) AND" +
		" (r.openid <> '' OR r.phone <> '')) AND NOT (r.openid <> '' OR r.phone <> ''))"
	if diff := cmp.Diff(want, where); diff != "" {
		t.Errorf("SQL (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]any{"unemployed", "2008-03-15", "1980-03-15"}, args); diff != "" {
		t.Errorf("args (-want +got):\n%s", diff)
	}
	mustCompile(t, "segment:d1", opt) // eight deep is allowed

	errTests := []struct {
		src    string
		opt    segments.Options
		is     error
		substr string
	}{
		{"segment:seekers", segments.Options{Now: now}, segments.ErrNoResolver, "segment:seekers"},
		{"segment:nope", opt, fault.ErrNotFound, `segment "nope"`},
		{"segment:self", opt, segments.ErrCycle, "self → self"},
		{"gender:M OR segment:loop_a", opt, segments.ErrCycle, "loop_a → loop_b → loop_a"},
		{"segment:d0", opt, segments.ErrTooDeep, "d0 → d1 → d2 → d3 → d4 → d5 → d6 → d7 → d8"},
		{"segment:w0", opt, segments.ErrTooLarge, ""},
	}
	for _, tt := range errTests {
		t.Run(tt.src, func(t *testing.T) {
			e, err := segments.Parse(tt.src)
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = segments.Compile(e, tt.opt)
			if !errors.Is(err, tt.is) {
				t.Fatalf("Compile = %v, want %v", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.substr) {
				t.Errorf("error %q does not mention %q", err, tt.substr)
			}
		})
	}
	t.Run("broken saved segment", func(t *testing.T) {
		e, _ := segments.Parse("segment:broken")
		_, _, err := segments.Compile(e, opt)
		var pe *segments.Error
		if !errors.As(err, &pe) {
			t.Fatalf("Compile = %v, want a wrapped *Error", err)
		}
		if diff := cmp.Diff(&segments.Error{Col: 7, Msg: `expected a value after "skill:"`, Src: "skill:"}, pe); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
}

func TestCompileInvalid(t *testing.T) {
	t.Parallel()
	good := &segments.Term{Field: "gender", Values: []segments.Value{{Text: "F"}}}
	tests := []struct {
		name string
		e    segments.Expr
		opt  segments.Options
	}{
		{"nil expr", nil, segments.Options{Now: now}},
		{"no Now", good, segments.Options{}},
		{"bad dialect", good, segments.Options{Now: now, Dialect: 7}},
		{"negative ArgStart", good, segments.Options{Now: now, ArgStart: -1}},
		{"unknown field", &segments.Term{Field: "colour", Values: []segments.Value{{Text: "red"}}}, segments.Options{Now: now}},
		{"no values", &segments.Term{Field: "skill"}, segments.Options{Now: now}},
		{"bad enum", &segments.Term{Field: "gender", Values: []segments.Value{{Text: "X' OR 1=1 --"}}}, segments.Options{Now: now}},
		{"empty text", &segments.Term{Field: "skill", Values: []segments.Value{{}}}, segments.Options{Now: now}},
		{"range on text", &segments.Term{Field: "skill", Values: []segments.Value{{Range: &segments.Range{Min: 1, Max: 2}}}}, segments.Options{Now: now}},
		{"text on age", &segments.Term{Field: "age", Values: []segments.Value{{Text: "18"}}}, segments.Options{Now: now}},
		{"empty range", &segments.Term{Field: "age", Values: []segments.Value{{Range: &segments.Range{Min: 9, Max: 1}}}}, segments.Options{Now: now}},
		{"open range", &segments.Term{Field: "age", Values: []segments.Value{{Range: &segments.Range{Min: segments.NoBound, Max: segments.NoBound}}}}, segments.Options{Now: now}},
		{"empty and", &segments.And{}, segments.Options{Now: now}},
		{"not nil", &segments.Not{}, segments.Options{Now: now}},
		{"segment as term", &segments.Term{Field: "segment", Values: []segments.Value{{Text: "x"}}}, segments.Options{Now: now}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			where, args, err := segments.Compile(tt.e, tt.opt)
			if err == nil {
				t.Fatalf("Compile = %q, %v; want an error", where, args)
			}
		})
	}
}

func TestHandBuiltTermNormalized(t *testing.T) {
	t.Parallel()
	e := &segments.Term{Field: "category", Values: []segments.Value{{Text: "失业登记"}}}
	_, args, err := segments.Compile(e, segments.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]any{"unemployed"}, args); diff != "" {
		t.Errorf("args (-want +got):\n%s", diff)
	}
}
