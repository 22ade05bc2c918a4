package segments_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/gridcast/gridcast/segments"
)

// ignoreCols compares trees by shape and values, not source positions.
var ignoreCols = cmp.Options{
	cmpopts.IgnoreFields(segments.Term{}, "Col"),
	cmpopts.IgnoreFields(segments.Not{}, "Col"),
	cmpopts.IgnoreFields(segments.SegmentRef{}, "Col"),
}

func term(field string, vals ...string) *segments.Term {
	t := &segments.Term{Field: field}
	for _, v := range vals {
		val := segments.Value{Text: v}
		if s, ok := strings.CutSuffix(v, "*"); ok {
			val = segments.Value{Text: s, Prefix: true}
		}
		t.Values = append(t.Values, val)
	}
	return t
}

func ages(rs ...segments.Range) *segments.Term {
	t := &segments.Term{Field: "age"}
	for _, r := range rs {
		t.Values = append(t.Values, segments.Value{Range: &r})
	}
	return t
}

func and(xs ...segments.Expr) *segments.And { return &segments.And{Operands: xs} }
func or(xs ...segments.Expr) *segments.Or   { return &segments.Or{Operands: xs} }
func not(x segments.Expr) *segments.Not     { return &segments.Not{X: x} }

func TestParseTree(t *testing.T) {
	t.Parallel()
	a, b, c := term("skill", "a"), term("skill", "b"), term("skill", "c")
	tests := []struct {
		src  string
		want segments.Expr
	}{
		{"skill:a OR skill:b AND skill:c", or(a, and(b, c))},
		{"skill:a AND skill:b OR skill:c", or(and(a, b), c)},
		{"(skill:a OR skill:b) AND skill:c", and(or(a, b), c)},
		{"NOT skill:a AND skill:b", and(not(a), b)},
		{"NOT (skill:a AND skill:b)", not(and(a, b))},
		{"not not skill:a", not(not(a))},
		{"! skill:a && skill:b || skill:c", or(and(not(a), b), c)},
		{"skill:a AND (skill:b AND skill:c)", and(a, b, c)},
		{"skill:a OR (skill:b OR skill:c)", or(a, b, c)},
		{"((skill:a))", a},
		{"skill:a,b,c", term("skill", "a", "b", "c")},
		{"skill:(a OR b, c)", term("skill", "a", "b", "c")},
		{"skill:(电工 || 焊工*)", term("skill", "电工", "焊工*")},
		{`skill:"高级 电工"`, term("skill", "高级 电工")},
		{`skill:"say \"hi\" \\o/"*`, &segments.Term{Field: "skill", Values: []segments.Value{{Text: `say "hi" \o/`, Prefix: true}}}},
		{"SKILL:a", a},
		{"category：失业登记", term("category", "unemployed")},
		{"category:（unemployed，独居老人）", term("category", "unemployed", "elderly_alone")},
		{"category:hard*", term("category", "hard*")},
		{"gender:女", term("gender", "F")},
		{"gender:male", term("gender", "M")},
		{"channel:微信", term("channel", "wechat")},
		{"prefers:sms", term("prefers", "sms")},
		{"optout:all", term("optout", "all")},
		{"consent:(job OR training)", term("consent", "job", "training")},
		{"grid:NY-03*", term("grid", "NY-03*")},
		{"grid:NY-03", term("grid", "NY-03")},
		{"job:保安", term("job", "保安")},
		{"course:电工*", term("course", "电工*")},
		{"cohort:2024.03", term("cohort", "2024.03")},
		{"age:60", ages(segments.Range{Min: 60, Max: 60})},
		{"age:18..45", ages(segments.Range{Min: 18, Max: 45})},
		{"age:60..", ages(segments.Range{Min: 60, Max: segments.NoBound})},
		{"age:..17", ages(segments.Range{Min: segments.NoBound, Max: 17})},
		{"age:>=60", ages(segments.Range{Min: 60, Max: segments.NoBound})},
		{"age:>60", ages(segments.Range{Min: 61, Max: segments.NoBound})},
		{"age:<18", ages(segments.Range{Min: segments.NoBound, Max: 17})},
		{"age:<= 17", ages(segments.Range{Min: segments.NoBound, Max: 17})},
		{"age:(<18 OR >=60)", ages(segments.Range{Min: segments.NoBound, Max: 17}, segments.Range{Min: 60, Max: segments.NoBound})},
		{"born:1960..1970", &segments.Term{Field: "born", Values: []segments.Value{{Range: &segments.Range{Min: 1960, Max: 1970}}}}},
		{"segment:job_seekers", &segments.SegmentRef{Name: "job_seekers"}},
		{"segment:(a, b)", or(&segments.SegmentRef{Name: "a"}, &segments.SegmentRef{Name: "b"})},
		{"skill:x OR segment:(a, b)", or(term("skill", "x"), &segments.SegmentRef{Name: "a"}, &segments.SegmentRef{Name: "b"})},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			t.Parallel()
			got, err := segments.Parse(tt.src)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(tt.want, got, ignoreCols); diff != "" {
				t.Errorf("Parse(%q) (-want +got):\n%s", tt.src, diff)
			}
		})
	}
}

func TestString(t *testing.T) {
	t.Parallel()
	tests := []struct{ src, want string }{
		{"category:unemployed AND age:18..45 AND skill:(电工 OR 焊工) AND grid:NY-03*",
			"category:unemployed AND age:18..45 AND skill:(电工 OR 焊工) AND grid:NY-03*"},
		{"category:elderly_alone and not channel:wechat", "category:elderly_alone AND NOT channel:wechat"},
		{"category:失业登记 || gender:女 && !age:>=60,<18", "category:unemployed OR gender:F AND NOT age:(60.. OR ..17)"},
		{"(skill:a OR skill:b) AND skill:c", "(skill:a OR skill:b) AND skill:c"},
		{"skill:a OR (skill:b AND skill:c)", "skill:a OR skill:b AND skill:c"},
		{"NOT (skill:a OR skill:b)", "NOT (skill:a OR skill:b)"},
		{"age:60..60", "age:60"},
		{"age:>17", "age:18.."},
		{`skill:"a b"`, `skill:"a b"`},
		{`skill:"and"`, `skill:"and"`},
		{`skill:"ab"`, `skill:ab`},
		{`skill:"a*b"`, `skill:"a*b"`},
		{`skill:"it's"`, `skill:"it's"`},
		{`skill:"x\"y"*`, `skill:"x\"y"*`},
		{`job:"OR"*`, `job:"OR"*`},
		{"segment:\"my list\"", "segment:\"my list\""},
		{"grid:NY-03* OR grid:NJ*", "grid:NY-03* OR grid:NJ*"},
		{"born:<1950", "born:..1949"},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			t.Parallel()
			e, err := segments.Parse(tt.src)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(tt.want, e.String()); diff != "" {
				t.Errorf("String (-want +got):\n%s", diff)
			}
			again, err := segments.Parse(e.String())
			if err != nil {
				t.Fatalf("Parse(String()): %v", err)
			}
			if diff := cmp.Diff(e.String(), again.String()); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		src string
		col int
		msg string // a fragment of the message
	}{
		{"", 1, "empty expression"},
		{"   ", 4, "empty expression"},
		{"category:unemployed AND skill:", 31, `expected a value after "skill:"`},
		{"skill:", 7, `expected a value after "skill:"`},
		{"skill:a,", 9, `expected a value after ","`},
		{"skill:(a OR", 12, `expected a value after "OR"`},
		{"skill:(a", 9, "expected ')' to close the list of values opened at column 7"},
		{"skill:(a AND b)", 10, "only OR or ','"},
		{"skill:()", 8, "expected a value"},
		{`skill:""`, 7, "empty value"},
		{`skill:"abc`, 7, "unterminated quoted string"},
		{`skill:"a\nb"`, 9, "unknown escape"},
		{"skill:a)", 8, "unmatched ')'"},
		{"(skill:a", 9, "expected ')' to close the '(' at column 1"},
		{"()", 2, `expected a term after "("`},
		{"skill:a AND", 12, `expected a term after "AND"`},
		{"skill:a OR", 11, `expected a term after "OR"`},
		{"NOT", 4, `expected a term after "NOT"`},
		{"skill:a AND OR skill:b", 13, `expected a term after "AND"`},
		{"AND skill:a", 1, "expected a term"},
		{"skill:a skill:b", 9, "expected AND or OR"},
		{"skill:a NOT skill:b", 9, "expected AND or OR before \"NOT\""},
		{"skill:a (skill:b)", 9, "expected AND or OR"},
		{"unemployed", 11, `expected ':' after "unemployed"`},
		{"foo:bar", 1, `unknown field "foo"; valid fields are category, skill`},
		{"skill:a AND colour:red", 13, `unknown field "colour"`},
		{"skill:a:b", 8, "unexpected ':'"},
		{`"x":y`, 1, "expected a field name"},
		{"skill:a & skill:b", 9, "write AND or &&"},
		{"skill:a | skill:b", 9, "write OR or ||"},
		{"category=unemployed", 9, "unexpected '='"},
		{"grid:* ", 6, "'*' must directly follow a value"},
		{"grid:NY *", 9, "'*' must directly follow a value"},
		{"grid:NY*03", 8, "'*' is only allowed at the end"},
		{"skill:'x'", 7, "unexpected '\\''"},
		{"skill:“电工”", 7, "ASCII double quotes"},
		{"skill:a;", 8, "unexpected ';'"},
		{"skill:a\x00", 8, "control character"},
		{"skill:\"a\x00\"", 9, "control character"},
		{"skill:\xff", 7, "invalid UTF-8"},
		{"skill:OR", 7, "found the keyword OR"},
		{"age:45..18", 5, "range 45..18 is empty"},
		{"age:abc", 5, `"abc" is not a number`},
		{"age:-5", 5, "negative"},
		{"age:..-5", 5, "negative"},
		{"age:1..2..3", 5, "not a number"},
		{"age:..", 5, "at least one bound"},
		{"age:200", 5, "out of range"},
		{"age:<0", 5, "matches nobody"},
		{"age:>=", 7, `expected a value after ">="`},
		{"age:18*", 5, "not a prefix"},
		{"age:１８", 5, "not a number"},
		{"born:60..70", 6, "out of range"},
		{"skill:>3", 7, "does not take a comparison"},
		{"gender:X", 8, `"X" is not a gender`},
		{"gender:M*", 8, "does not take a prefix"},
		{"category:Unemployed", 10, "not a category"},
		{"category:Un*", 10, "lower-case identifier"},
		{"channel:email", 9, "not a channel"},
		{"optout:spam", 8, "not a topic"},
		{"segment:a*", 9, "not a prefix"},
		{"segment:>3", 9, "not a comparison"},
		// Columns count runes: 技能 is two columns, not six bytes.
		{"技能:电工", 1, `unknown field "技能"`},
		{"skill:电工 焊工", 10, "expected AND or OR"},
		{"category:失业登记 AND skill:", 25, `expected a value after "skill:"`},
		{"skill:电工 AND age:五十", 18, "not a number"},
		{"skill:电工 AND (grid:北京*x", 22, "'*' is only allowed"},
		{strings.Repeat("(", 65) + "skill:a" + strings.Repeat(")", 65), 65, "nested more than 64 deep"},
		{strings.Repeat("NOT ", 70) + "skill:a", 257, "nested more than 64 deep"},
		{"skill:" + strings.Repeat("a", segments.MaxLen), 4097, "the limit is 4096"},
	}
	for _, tt := range tests {
		name := tt.src
		if len(name) > 40 {
			name = name[:40]
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e, err := segments.Parse(tt.src)
			var pe *segments.Error
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q) = %v, %v; want an *Error", tt.src, e, err)
			}
			if diff := cmp.Diff(tt.col, pe.Col); diff != "" {
				t.Errorf("column (-want +got):\n%s\nerror: %v", diff, err)
			}
			if !strings.Contains(pe.Msg, tt.msg) {
				t.Errorf("message %q does not contain %q", pe.Msg, tt.msg)
			}
			if pe.Src != tt.src {
				t.Errorf("Src = %q, want the source", pe.Src)
			}
		})
	}
}

func TestErrorFormat(t *testing.T) {
	t.Parallel()
	_, err := segments.Parse("category:unemployed AND skill:")
	if diff := cmp.Diff(`column 31: expected a value after "skill:"`, err.Error()); diff != "" {
		t.Errorf("Error (-want +got):\n%s", diff)
	}
	tests := []struct{ src, want string }{
		{"skill:a)", "skill:a)\n       ^"},
		{"skill:电工 焊工", "skill:电工 焊工\n           ^"},
		{"skill:a\tskill:b", "skill:a skill:b\n        ^"},
		{"skill:", "skill:\n      ^"},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			_, err := segments.Parse(tt.src)
			var pe *segments.Error
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q) = %v; want an *Error", tt.src, err)
			}
			if diff := cmp.Diff(tt.want, pe.Pretty()); diff != "" {
				t.Errorf("Pretty (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRefs(t *testing.T) {
	t.Parallel()
	e, err := segments.Parse("segment:a AND NOT (segment:b OR skill:x) OR segment:a")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a", "b"}, segments.Refs(e)); diff != "" {
		t.Errorf("Refs (-want +got):\n%s", diff)
	}
}

func TestFields(t *testing.T) {
	t.Parallel()
	for _, f := range segments.Fields() {
		t.Run(f.Name, func(t *testing.T) {
			if f.Description == "" {
				t.Error("no description")
			}
			e, err := segments.Parse(f.Example)
			if err != nil {
				t.Fatalf("example %q: %v", f.Example, err)
			}
			if !strings.HasPrefix(e.String(), f.Name+":") {
				t.Errorf("example %q parses as %q, not a %s term", f.Example, e, f.Name)
			}
		})
	}
}
