package segments

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gridcast/gridcast/population"
)

// FieldDoc describes one field of the language, for help text and docs.
type FieldDoc struct {
	Name        string // e.g. "category"
	Description string // one sentence
	Example     string // a term that parses, e.g. "category:unemployed"
	Prefix      bool   // accepts value* prefixes
	Range       bool   // accepts ranges (18..45) and comparisons (>=60)
}

// field is a FieldDoc plus how to check a value and compile a term.
type field struct {
	FieldDoc
	// norm checks and normalizes an exact value; nil accepts any text.
	norm func(string) (string, error)
	// maxNum is the largest number a range field accepts, minNum the least.
	minNum, maxNum int
	compile        func(c *compiler, t *Term) (string, error)
}

// fields is the language's field table, in the order help lists them.
var fields = []*field{
	{FieldDoc: FieldDoc{"category", "Population category, by identifier or Chinese label (失业登记 = unemployed).", "category:unemployed", true, false},
		norm: normCategory, compile: childTable("resident_categories", "c", "category")},
	{FieldDoc: FieldDoc{"skill", "A skill on record (exact, or a prefix with *).", "skill:(电工 OR 焊工)", true, false},
		compile: childTable("resident_skills", "s", "skill")},
	{FieldDoc: FieldDoc{"job", "A desired job type (exact, or a prefix with *).", "job:保安", true, false},
		compile: childTable("resident_jobs", "j", "job")},
	{FieldDoc: FieldDoc{"age", "Age in whole years on the reference date: 60, 18..45, 60.., ..17, >=60, <18.", "age:18..45", false, true},
		minNum: 0, maxNum: 150, compile: compileAge},
	{FieldDoc: FieldDoc{"born", "Birth year or range of years: 1960, 1960..1970, 1990.., <1950.", "born:1960..1970", false, true},
		minNum: 1000, maxNum: 9998, compile: compileBorn},
	{FieldDoc: FieldDoc{"gender", "Gender: M or F (男/女, male/female).", "gender:F", false, false},
		norm: normGender, compile: column("r.gender")},
	{FieldDoc: FieldDoc{"grid", "Grid code; a prefix with * selects a whole subtree (NY-03* is every grid under NY-03).", "grid:NY-03*", true, false},
		compile: column("r.grid_code")},
	{FieldDoc: FieldDoc{"channel", "A channel the resident can be reached by: wechat (bound openid) or sms (has a phone).", "channel:wechat", false, false},
		norm: normChannel, compile: compileChannel},
	{FieldDoc: FieldDoc{"prefers", "The resident's preferred channel: wechat or sms.", "prefers:sms", false, false},
		norm: normChannel, compile: column("r.preferred_channel")},
	{FieldDoc: FieldDoc{"course", "Training course (exact, or a prefix with *).", "course:电工*", true, false},
		compile: column("r.training_course")},
	{FieldDoc: FieldDoc{"cohort", "Training cohort (exact, or a prefix with *).", "cohort:2024-03", true, false},
		compile: column("r.training_cohort")},
	{FieldDoc: FieldDoc{"optout", "Has a recorded opt-out of exactly this topic: policy, job, training, visit or all.", "optout:job", false, false},
		norm: normTopic, compile: compileOptout},
	{FieldDoc: FieldDoc{"consent", "May receive this topic: no opt-out of it and no opt-out of all.", "consent:training", false, false},
		norm: normTopic, compile: compileConsent},
	{FieldDoc: FieldDoc{"status", "Whether the resident still lives here: active (在册), moved_out (迁出) or deceased (死亡). An expression without status: selects active residents only.", "status:moved_out", false, false},
		norm: normStatus, compile: column("r.status")},
	{FieldDoc: FieldDoc{"living", "Living arrangement on the living record: alone (独居), with_spouse, with_children (与子女同住), with_family, care_home (养老机构), other.", "living:alone", false, false},
		norm: normLiving, compile: column("r.living")},
	{FieldDoc: FieldDoc{"selfcare", "Self-care level on the living record: independent (自理), partial (半失能) or dependent (失能).", "selfcare:(partial OR dependent)", false, false},
		norm: normSelfCare, compile: column("r.self_care")},
	{FieldDoc: FieldDoc{"segment", "A saved segment by name, expanded in place.", "segment:job_seekers", false, false}},
}

// Fields documents every field of the language, in a stable order. The
// result is a fresh slice the caller may keep.
func Fields() []FieldDoc {
	out := make([]FieldDoc, len(fields))
	for i, f := range fields {
		out[i] = f.FieldDoc
	}
	return out
}

func fieldNames() []string {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.Name
	}
	return names
}

func lookupField(name string) *field {
	for _, f := range fields {
		if strings.EqualFold(f.Name, name) {
			return f
		}
	}
	return nil
}

// parseValue checks one value token (and its comparison operator, if any,
// whose kind is tEOF when absent) against the field. It returns an error
// message rather than an error so the parser can place it.
func (f *field) parseValue(v, op token) (Value, string) {
	if f.Range {
		r, msg := f.parseRange(v.text, op)
		if msg != "" {
			return Value{}, msg
		}
		if v.prefix {
			return Value{}, fmt.Sprintf("%s: takes a number or a range, not a prefix", f.Name)
		}
		return Value{Range: &r}, ""
	}
	if op.kind != tEOF {
		return Value{}, fmt.Sprintf("%s: does not take a comparison; only age: and born: do", f.Name)
	}
	val, err := f.check(Value{Text: v.text, Prefix: v.prefix})
	if err != nil {
		return Value{}, err.Error()
	}
	return val, ""
}

// check validates and normalizes a non-range value. Compile runs it again so
// that a hand-built Term is held to the same rules as a parsed one.
func (f *field) check(v Value) (Value, error) {
	if v.Range != nil {
		return v, fmt.Errorf("%s: does not take a range", f.Name)
	}
	if v.Text == "" {
		return v, fmt.Errorf("%s: empty value", f.Name)
	}
	if v.Prefix {
		if !f.Prefix {
			return v, fmt.Errorf("%s: does not take a prefix (value*)", f.Name)
		}
		if f.Name == "category" && !isIdentPrefix(v.Text) {
			return v, fmt.Errorf("category: a prefix must be the start of a lower-case identifier such as hard_to*")
		}
		return v, nil
	}
	if f.norm != nil {
		s, err := f.norm(v.Text)
		if err != nil {
			return v, fmt.Errorf("%s: %w", f.Name, err)
		}
		v.Text = s
	}
	return v, nil
}

func isIdentPrefix(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

// parseRange reads 60, 18..45, 60.., ..17, or a number after a comparison.
func (f *field) parseRange(s string, op token) (Range, string) {
	what := "a whole number of years or a range such as 18..45"
	if f.Name == "born" {
		what = "a year or a range of years such as 1960..1970"
	}
	if op.kind != tEOF {
		n, msg := f.parseNum(s, what)
		if msg != "" {
			return Range{}, msg
		}
		r := Range{Min: NoBound, Max: NoBound}
		switch op.kind {
		case tGE:
			r.Min = n
		case tGT:
			r.Min = n + 1
		case tLE:
			r.Max = n
		case tLT:
			if n-1 < f.minNum {
				return Range{}, fmt.Sprintf("%s:%s%s matches nobody", f.Name, op.src, s)
			}
			r.Max = n - 1
		}
		return r, f.checkRange(r, op.src+s)
	}
	lo, hi, isRange := strings.Cut(s, "..")
	if !isRange {
		n, msg := f.parseNum(s, what)
		return Range{Min: n, Max: n}, msg
	}
	if lo == "" && hi == "" {
		return Range{}, fmt.Sprintf("%s: a range needs at least one bound, as in 18..45, 60.. or ..17", f.Name)
	}
	r := Range{Min: NoBound, Max: NoBound}
	var msg string
	if lo != "" {
		if r.Min, msg = f.parseNum(lo, what); msg != "" {
			return Range{}, msg
		}
	}
	if hi != "" {
		if r.Max, msg = f.parseNum(hi, what); msg != "" {
			return Range{}, msg
		}
	}
	return r, f.checkRange(r, s)
}

func (f *field) parseNum(s, what string) (int, string) {
	if strings.HasPrefix(s, "-") {
		return 0, fmt.Sprintf("%s: %q is negative; want %s", f.Name, s, what)
	}
	if s == "" || len(s) > 4 || strings.Trim(s, "0123456789") != "" {
		return 0, fmt.Sprintf("%s: %q is not a number; want %s", f.Name, s, what)
	}
	n, _ := strconv.Atoi(s)
	if n < f.minNum || n > f.maxNum {
		return 0, fmt.Sprintf("%s: %d is out of range; want %d to %d", f.Name, n, f.minNum, f.maxNum)
	}
	return n, ""
}

func (f *field) checkRange(r Range, written string) string {
	for _, n := range []int{r.Min, r.Max} {
		if n != NoBound && (n < f.minNum || n > f.maxNum) {
			return fmt.Sprintf("%s:%s matches nobody; want bounds from %d to %d", f.Name, written, f.minNum, f.maxNum)
		}
	}
	if r.Min == NoBound && r.Max == NoBound {
		return fmt.Sprintf("%s: a range needs at least one bound", f.Name)
	}
	if r.Min != NoBound && r.Max != NoBound && r.Min > r.Max {
		return fmt.Sprintf("%s: range %s is empty: %d is above %d", f.Name, written, r.Min, r.Max)
	}
	return ""
}

func normCategory(s string) (string, error) {
	c, err := population.ParseCategory(s)
	if err != nil {
		return "", fmt.Errorf("%q is not a category; want an identifier such as unemployed or a label such as 失业登记", s)
	}
	return string(c), nil
}

func normGender(s string) (string, error) {
	g, err := population.ParseGender(s)
	if err != nil {
		return "", fmt.Errorf("%q is not a gender; want M or F (男/女)", s)
	}
	return string(g), nil
}

func normChannel(s string) (string, error) {
	c, err := population.ParseChannel(s)
	if err != nil || c == population.ChannelNone {
		return "", fmt.Errorf("%q is not a channel; want wechat or sms", s)
	}
	return string(c), nil
}

func normTopic(s string) (string, error) {
	t, err := population.ParseTopic(s)
	if err != nil {
		return "", fmt.Errorf("%q is not a topic; want policy, job, training, visit or all", s)
	}
	return string(t), nil
}

func normStatus(s string) (string, error) {
	st, err := population.ParseStatus(s)
	if err != nil {
		return "", fmt.Errorf("%q is not a status; want active, moved_out or deceased (在册/迁出/死亡)", s)
	}
	return string(st), nil
}

func normLiving(s string) (string, error) {
	l, err := population.ParseLiving(s)
	if err != nil || l == "" {
		return "", fmt.Errorf("%q is not a living arrangement; want alone, with_spouse, with_children, with_family, care_home or other (独居, 与子女同住, 养老机构 …)", s)
	}
	return string(l), nil
}

func normSelfCare(s string) (string, error) {
	c, err := population.ParseSelfCare(s)
	if err != nil || c == "" {
		return "", fmt.Errorf("%q is not a self-care level; want independent, partial or dependent (自理/半失能/失能)", s)
	}
	return string(c), nil
}
