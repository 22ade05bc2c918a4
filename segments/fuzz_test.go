package segments_test

import (
	"testing"
	"unicode/utf8"

	"github.com/gridcast/gridcast/segments"
)

// FuzzParse checks that Parse never panics, that the canonical form of
// whatever it accepts parses back to itself, and that Compile keeps every
// value out of the SQL text. Run it with
//
//	go test ./segments/ -fuzz=FuzzParse -fuzztime=60s
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"category:unemployed AND age:18..45 AND skill:(电工 OR 焊工) AND grid:NY-03*",
		"category:elderly_alone AND NOT channel:wechat",
		"category:失业登记 || gender:女 && !age:>=60,<18",
		`skill:"a \"b\" \\" OR job:"OR"*`,
		"born:1960..1970 OR born:<1950",
		"prefers:sms AND optout:(job, all) AND consent:training",
		"course:电工* AND cohort:2024-03",
		"segment:seekers AND NOT segment:(a, b)",
		"((((skill:a))))",
		"category：（unemployed，独居老人）",
		"skill:' OR 1=1 --",
		`grid:"%_\\"*`,
		"age:45..18",
		"skill:a)",
		"NOT NOT NOT",
		"\x00\xff",
	} {
		f.Add(s)
	}
	resolve := func(string) (string, error) { return "gender:F OR age:60..", nil }
	f.Fuzz(func(t *testing.T, src string) {
		e, err := segments.Parse(src)
		if err != nil {
			pe, ok := err.(*segments.Error)
			if !ok {
				t.Fatalf("Parse(%q) error %T, want *Error", src, err)
			}
			if pe.Col < 1 || pe.Col > utf8.RuneCountInString(src)+1 {
				t.Fatalf("Parse(%q): column %d out of range: %v", src, pe.Col, err)
			}
			_ = pe.Pretty()
			return
		}
		canon := e.String()
		again, err := segments.Parse(canon)
		if err != nil {
			t.Fatalf("Parse(%q) ok, but its String %q fails: %v", src, canon, err)
		}
		if got := again.String(); got != canon {
			t.Fatalf("round trip of %q: %q then %q", src, canon, got)
		}
		for _, d := range []segments.Dialect{segments.SQLite, segments.Postgres} {
			opt := segments.Options{Dialect: d, Now: now, Resolve: resolve}
			where, args, err := segments.Compile(e, opt)
			if err != nil {
				t.Fatalf("Compile(%q): %v", canon, err)
			}
			assertNoLeak(t, where, args)
			// The SQL must not depend on the text of any value: the same
			// tree with every free-text value replaced compiles to the
			// same SQL.
			skel, _, err := segments.Compile(skeleton(e), opt)
			if err != nil {
				t.Fatalf("Compile(skeleton(%q)): %v", canon, err)
			}
			if skel != where {
				t.Fatalf("SQL depends on value text:\n%s\n%s", where, skel)
			}
		}
	})
}

// skeleton copies e with every free-text value and segment name replaced by
// "x", and every range bound by another valid one.
func skeleton(e segments.Expr) segments.Expr {
	switch e := e.(type) {
	case *segments.And:
		xs := make([]segments.Expr, len(e.Operands))
		for i, x := range e.Operands {
			xs[i] = skeleton(x)
		}
		return &segments.And{Operands: xs}
	case *segments.Or:
		xs := make([]segments.Expr, len(e.Operands))
		for i, x := range e.Operands {
			xs[i] = skeleton(x)
		}
		return &segments.Or{Operands: xs}
	case *segments.Not:
		return &segments.Not{X: skeleton(e.X)}
	case *segments.SegmentRef:
		return &segments.SegmentRef{Name: "x"}
	case *segments.Term:
		t := &segments.Term{Field: e.Field}
		for _, v := range e.Values {
			switch {
			case v.Range != nil:
				lo, hi := 20, 30
				if e.Field == "born" {
					lo, hi = 1980, 1990
				}
				r := *v.Range
				if r.Min == r.Max {
					hi = lo
				}
				if r.Min != segments.NoBound {
					r.Min = lo
				}
				if r.Max != segments.NoBound {
					r.Max = hi
				}
				v.Range = &r
			case e.Field == "skill" || e.Field == "job" || e.Field == "grid" || e.Field == "course" || e.Field == "cohort":
				v.Text = "x"
			case e.Field == "category" && (v.Prefix || v.Text != "unemployed"):
				v.Text = "x"
			}
			t.Values = append(t.Values, v)
		}
		return t
	}
	panic("unknown node")
}
