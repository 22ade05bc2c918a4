package assessment_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/gridcast/gridcast/assessment"
	"github.com/gridcast/gridcast/fault"
)

func TestScaleParse(t *testing.T) {
	t.Parallel()
	const (
		S = assessment.Satisfied
		B = assessment.BasicSatisfied
		D = assessment.Dissatisfied
	)
	for _, tc := range []struct {
		scale assessment.Scale
		reply string
		want  assessment.Level
	}{
		// The default scale: the question lists 1 满意 2 基本满意 3 不满意.
		{"", "1", S},
		{assessment.ThreeLevel, "1", S},
		{assessment.ThreeLevel, "2", B},
		{assessment.ThreeLevel, "3", D},
		{assessment.ThreeLevel, "３", D},
		{assessment.ThreeLevel, "一", S},
		{assessment.ThreeLevel, "满意", S},
		{assessment.ThreeLevel, "满意！", S},
		{assessment.ThreeLevel, " 满意，谢谢", S},
		{assessment.ThreeLevel, "非常满意", S},
		{assessment.ThreeLevel, "比较满意", S},
		{assessment.ThreeLevel, "基本满意", B},
		{assessment.ThreeLevel, "一般", B},
		{assessment.ThreeLevel, "还行。", B},
		{assessment.ThreeLevel, "不满意", D},
		{assessment.ThreeLevel, "很不满意", D},
		{assessment.ThreeLevel, "非常不满意!", D},
		{assessment.ThreeLevel, "太差", D},
		// The 1–5 option: 5,4 → 满意, 3 → 基本满意, 2,1 → 不满意; words as above.
		{assessment.FivePoint, "5", S},
		{assessment.FivePoint, "4", S},
		{assessment.FivePoint, "3", B},
		{assessment.FivePoint, "2", D},
		{assessment.FivePoint, "1", D},
		{assessment.FivePoint, "5分", S},
		{assessment.FivePoint, "五星", S},
		{assessment.FivePoint, "3星", B},
		{assessment.FivePoint, "基本满意", B},
		{assessment.FivePoint, "不满意", D},
	} {
		t.Run(string(tc.scale)+"/"+tc.reply, func(t *testing.T) {
			got, err := tc.scale.Parse(tc.reply)
			if err != nil || got != tc.want {
				t.Errorf("%q.Parse(%q) = %s, %v; want %s", tc.scale, tc.reply, got.Label(), err, tc.want.Label())
			}
		})
	}
}

func TestScaleParseRefuses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		scale assessment.Scale
		reply string
		shows string
	}{
		{assessment.ThreeLevel, "4", "1 满意, 2 基本满意 or 3 不满意"},
		{assessment.ThreeLevel, "0", "1 满意, 2 基本满意 or 3 不满意"},
		{assessment.ThreeLevel, "5分", "1 满意, 2 基本满意 or 3 不满意"},
		{assessment.ThreeLevel, "", "1 满意, 2 基本满意 or 3 不满意"},
		{assessment.ThreeLevel, "什么时候来修", "1 满意, 2 基本满意 or 3 不满意"},
		{assessment.ThreeLevel, "满意满意", "1 满意, 2 基本满意 or 3 不满意"},
		{assessment.FivePoint, "6", "1–5 (5 best)"},
		{assessment.FivePoint, "12", "1–5 (5 best)"},
	} {
		t.Run(string(tc.scale)+"/"+tc.reply, func(t *testing.T) {
			l, err := tc.scale.Parse(tc.reply)
			if !errors.Is(err, fault.ErrInvalid) || l != 0 {
				t.Fatalf("Parse(%q) = %v, %v; want no level and an invalid-input error", tc.reply, l, err)
			}
			if !strings.Contains(err.Error(), tc.shows) {
				t.Errorf("Parse(%q) error %q; want it to show %q", tc.reply, err, tc.shows)
			}
		})
	}
}

func TestScaleValidate(t *testing.T) {
	t.Parallel()
	for _, s := range []assessment.Scale{"", assessment.ThreeLevel, assessment.FivePoint} {
		if err := s.Validate(); err != nil {
			t.Errorf("%q.Validate() = %v", s, err)
		}
	}
	if err := assessment.Scale("ten").Validate(); err == nil || !strings.Contains(err.Error(), "satisfaction.scale") {
		t.Errorf(`"ten".Validate() = %v; want an error naming satisfaction.scale`, err)
	}
	if !strings.Contains(assessment.Scale("").Question(), "1满意 2基本满意 3不满意") {
		t.Errorf("the default question is %q", assessment.Scale("").Question())
	}
}

func TestAnswersAdd(t *testing.T) {
	t.Parallel()
	var a assessment.Answers
	for _, l := range []assessment.Level{assessment.Satisfied, assessment.Satisfied, assessment.BasicSatisfied, assessment.Dissatisfied, 0} {
		a.Add(l)
	}
	if a != (assessment.Answers{Satisfied: 2, BasicSatisfied: 1, Dissatisfied: 1}) || a.Total() != 4 {
		t.Errorf("Answers = %+v (total %d); want 2/1/1, total 4", a, a.Total())
	}
}
