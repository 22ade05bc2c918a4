package tickets_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/tickets"
)

func TestScaleParse(t *testing.T) {
	t.Parallel()
	const (
		S = tickets.Satisfied
		B = tickets.BasicSatisfied
		D = tickets.Dissatisfied
	)
	for _, tc := range []struct {
		scale tickets.RatingScale
		reply string
		want  tickets.Satisfaction
	}{
		// The default scale: the question lists 1 满意 2 基本满意 3 不满意.
		{"", "1", S},
		{tickets.ThreeLevel, "1", S},
		{tickets.ThreeLevel, "2", B},
		{tickets.ThreeLevel, "3", D},
		{tickets.ThreeLevel, "３", D},
		{tickets.ThreeLevel, "一", S},
		{tickets.ThreeLevel, "满意", S},
		{tickets.ThreeLevel, "满意！", S},
		{tickets.ThreeLevel, " 满意，谢谢", S},
		{tickets.ThreeLevel, "非常满意", S},
		{tickets.ThreeLevel, "比较满意", S},
		{tickets.ThreeLevel, "基本满意", B},
		{tickets.ThreeLevel, "一般", B},
		{tickets.ThreeLevel, "还行。", B},
		{tickets.ThreeLevel, "不满意", D},
		{tickets.ThreeLevel, "很不满意", D},
		{tickets.ThreeLevel, "非常不满意!", D},
		{tickets.ThreeLevel, "太差", D},
		// The 1–5 option: 5,4 → 满意, 3 → 基本满意, 2,1 → 不满意; words as above.
		{tickets.FivePoint, "5", S},
		{tickets.FivePoint, "4", S},
		{tickets.FivePoint, "3", B},
		{tickets.FivePoint, "2", D},
		{tickets.FivePoint, "1", D},
		{tickets.FivePoint, "5分", S},
		{tickets.FivePoint, "五星", S},
		{tickets.FivePoint, "3星", B},
		{tickets.FivePoint, "基本满意", B},
		{tickets.FivePoint, "不满意", D},
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
		scale tickets.RatingScale
		reply string
		shows string
	}{
		{tickets.ThreeLevel, "4", "1 满意, 2 基本满意 or 3 不满意"},
		{tickets.ThreeLevel, "0", "1 满意, 2 基本满意 or 3 不满意"},
		{tickets.ThreeLevel, "5分", "1 满意, 2 基本满意 or 3 不满意"},
		{tickets.ThreeLevel, "", "1 满意, 2 基本满意 or 3 不满意"},
		{tickets.ThreeLevel, "什么时候来修", "1 满意, 2 基本满意 or 3 不满意"},
		{tickets.ThreeLevel, "满意满意", "1 满意, 2 基本满意 or 3 不满意"},
		{tickets.FivePoint, "6", "1–5 (5 best)"},
		{tickets.FivePoint, "12", "1–5 (5 best)"},
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
	for _, s := range []tickets.RatingScale{"", tickets.ThreeLevel, tickets.FivePoint} {
		if err := s.Validate(); err != nil {
			t.Errorf("%q.Validate() = %v", s, err)
		}
	}
	if err := tickets.RatingScale("ten").Validate(); err == nil || !strings.Contains(err.Error(), "rating_scale") {
		t.Errorf(`"ten".Validate() = %v; want an error naming rating_scale`, err)
	}
	for _, sc := range []tickets.RatingScale{tickets.ThreeLevel, tickets.FivePoint} {
		if n := utf8.RuneCountInString(sc.Question()); n > 20 {
			t.Errorf("%s: the question %q is %d characters; a WeChat template field shows 20", sc, sc.Question(), n)
		}
	}
	if !strings.Contains(tickets.RatingScale("").Question(), "1满意2基本满意3不满意") {
		t.Errorf("the default question is %q", tickets.RatingScale("").Question())
	}
}

// FuzzScaleParse: a reply is read as a level or refused, never anything
// else.
func FuzzScaleParse(f *testing.F) {
	for _, s := range []string{"1", "满意", "不满意", "5分", "非常满意！谢谢", "", "谢谢"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, sc := range []tickets.RatingScale{tickets.ThreeLevel, tickets.FivePoint} {
			l, err := sc.Parse(s)
			if (err == nil) != (l >= tickets.Satisfied && l <= tickets.Dissatisfied) {
				t.Fatalf("%s.Parse(%q) = %v, %v", sc, s, l, err)
			}
		}
	})
}
