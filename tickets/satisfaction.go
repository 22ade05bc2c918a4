package tickets

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/gridcast/gridcast/fault"
)

// Satisfaction is a resident's satisfaction with a grid worker's handling, on the
// three levels hotline follow-ups here use: 满意, 基本满意, 不满意. The
// zero Satisfaction is no answer.
type Satisfaction int

// The satisfaction levels, best first.
const (
	Satisfied      Satisfaction = iota + 1 // 满意
	BasicSatisfied                         // 基本满意
	Dissatisfied                           // 不满意
)

// SatisfactionLevels lists the levels, best first.
var SatisfactionLevels = []Satisfaction{Satisfied, BasicSatisfied, Dissatisfied}

// String returns satisfied, basically_satisfied or dissatisfied (the
// config keys of their values).
func (l Satisfaction) String() string {
	switch l {
	case Satisfied:
		return "satisfied"
	case BasicSatisfied:
		return "basically_satisfied"
	case Dissatisfied:
		return "dissatisfied"
	}
	return fmt.Sprintf("Satisfaction(%d)", int(l))
}

// Label returns 满意, 基本满意 or 不满意.
func (l Satisfaction) Label() string {
	switch l {
	case Satisfied:
		return "满意"
	case BasicSatisfied:
		return "基本满意"
	case Dissatisfied:
		return "不满意"
	}
	return l.String()
}

// RatingScale is how residents are asked to rate and how their replies are
// read. The zero RatingScale is ThreeLevel.
type RatingScale string

// The scales.
const (
	// ThreeLevel asks "回复1满意、2基本满意、3不满意": 1, 2, 3 are the
	// levels in that order. The default, as hotline follow-ups do it.
	ThreeLevel RatingScale = "three"
	// FivePoint asks for 1–5 (stars, 分), 5 best, and maps 5 and 4 to
	// 满意, 3 to 基本满意, 2 and 1 to 不满意. Kept for cities that rate
	// tickets 1–5; note that the digits mean the opposite of ThreeLevel's
	// (1 is the worst here, the best there), so a scale is chosen once per
	// city and the question sent to residents must say which.
	FivePoint RatingScale = "five"
)

// Validate refuses a scale other than three, five or empty.
func (s RatingScale) Validate() error {
	switch s {
	case "", ThreeLevel, FivePoint:
		return nil
	}
	return fmt.Errorf("rating_scale: %q: want three (满意/基本满意/不满意, the default) or five (1–5)", string(s))
}

// orDefault returns s, ThreeLevel when empty.
func (s RatingScale) orDefault() RatingScale {
	if s == "" {
		return ThreeLevel
	}
	return s
}

// Question asks a resident to rate a resolved ticket on this scale, in a
// line that one WeChat template field shows whole (at most 20
// characters): 已办结，请回复1满意2基本满意3不满意, or on the five-point
// scale 已办结，请回复1-5评分，5分最满意.
func (s RatingScale) Question() string {
	if s.orDefault() == FivePoint {
		return "已办结，请回复1-5评分，5分最满意"
	}
	return "已办结，请回复1满意2基本满意3不满意"
}

// FromRating maps a number on the scale to a level: on ThreeLevel 1, 2, 3
// are 满意, 基本满意, 不满意; on FivePoint 5 and 4 are 满意, 3 基本满意,
// 2 and 1 不满意. Other numbers are refused (fault.ErrInvalid).
func (s RatingScale) FromRating(n int) (Satisfaction, error) {
	if s.orDefault() == FivePoint {
		switch n {
		case 5, 4:
			return Satisfied, nil
		case 3:
			return BasicSatisfied, nil
		case 2, 1:
			return Dissatisfied, nil
		}
	} else if n >= 1 && n <= 3 {
		return SatisfactionLevels[n-1], nil
	}
	return 0, s.refuse(strconv.Itoa(n))
}

// satisfactionWords are the replies read as a level whatever the scale,
// after spaces, punctuation and courtesies are dropped. 比较满意 is 满意,
// as a 4 is on the five-point scale; 一般 and 还行 are 基本满意, as a 3 is.
var satisfactionWords = map[string]Satisfaction{
	"满意": Satisfied, "非常满意": Satisfied, "很满意": Satisfied, "十分满意": Satisfied, "特别满意": Satisfied,
	"挺满意": Satisfied, "比较满意": Satisfied, "好评": Satisfied, "满意了": Satisfied,
	"基本满意": BasicSatisfied, "一般": BasicSatisfied, "还行": BasicSatisfied, "还可以": BasicSatisfied,
	"凑合": BasicSatisfied, "马马虎虎": BasicSatisfied, "中评": BasicSatisfied,
	"不满意": Dissatisfied, "不太满意": Dissatisfied, "很不满意": Dissatisfied, "非常不满意": Dissatisfied,
	"特别不满意": Dissatisfied, "不好": Dissatisfied, "差": Dissatisfied, "很差": Dissatisfied,
	"太差": Dissatisfied, "差评": Dissatisfied,
}

// chineseDigits read as numbers in a reply.
var chineseDigits = map[string]int{"一": 1, "二": 2, "三": 3, "四": 4, "五": 5}

// courtesies are dropped from either end of a reply.
var courtesies = []string{"谢谢您", "谢谢你", "谢谢", "多谢", "您好", "你好"}

// Parse reads a resident's satisfaction reply on this scale: a word
// (满意, 基本满意, 不满意, 非常满意 → 满意, 一般 → 基本满意, 很差 → 不满意 …)
// on either scale, or a number (full-width digits, 一…五, "5分", "4星" too)
// read by FromRating. Spaces, punctuation and a leading or trailing 谢谢
// or 您好 are ignored. Anything else is refused with an error wrapping
// fault.ErrInvalid that shows what to reply.
func (s RatingScale) Parse(reply string) (Satisfaction, error) {
	w := normalise(reply)
	if l, ok := satisfactionWords[w]; ok {
		return l, nil
	}
	num := w
	if s.orDefault() == FivePoint {
		for _, suffix := range []string{"分", "星"} {
			num = strings.TrimSuffix(num, suffix)
		}
	}
	if n, ok := chineseDigits[num]; ok {
		return s.FromRating(n)
	}
	if len(num) == 1 && num[0] >= '0' && num[0] <= '9' {
		return s.FromRating(int(num[0] - '0'))
	}
	return 0, s.refuse(reply)
}

// normalise drops spaces, punctuation and courtesies and makes full-width
// digits ASCII.
func normalise(reply string) string {
	var b strings.Builder
	for _, r := range reply {
		switch {
		case r >= '０' && r <= '９':
			b.WriteRune(r - '０' + '0')
		case unicode.IsSpace(r), unicode.IsPunct(r), unicode.IsSymbol(r):
		default:
			b.WriteRune(r)
		}
	}
	w := b.String()
	for changed := true; changed; {
		changed = false
		for _, c := range courtesies {
			if t, ok := strings.CutPrefix(w, c); ok && t != "" {
				w, changed = t, true
			}
			if t, ok := strings.CutSuffix(w, c); ok && t != "" {
				w, changed = t, true
			}
		}
	}
	return w
}

func (s RatingScale) refuse(reply string) error {
	if s.orDefault() == FivePoint {
		return fault.Refuse(fault.ErrInvalid,
			fmt.Sprintf("satisfaction %q: want 1–5 (5 best) or 满意, 基本满意, 不满意", reply),
			fmt.Sprintf("无法识别评价“%s”，请回复1–5分（5分最满意）或满意、基本满意、不满意", reply), nil)
	}
	return fault.Refuse(fault.ErrInvalid,
		fmt.Sprintf("satisfaction %q: want 1 满意, 2 基本满意 or 3 不满意", reply),
		fmt.Sprintf("无法识别评价“%s”，请回复：1满意 2基本满意 3不满意", reply), nil)
}

// Rating is l as a ticket stores it, on 1–5: 满意 5, 基本满意 3, 不满意 1
// (0 for no answer), so that ratings given on either scale read alike.
func (l Satisfaction) Rating() int {
	switch l {
	case Satisfied:
		return 5
	case BasicSatisfied:
		return 3
	case Dissatisfied:
		return 1
	}
	return 0
}

// SatisfactionOf reads a stored rating 1–5 as a level (5 and 4 满意, 3
// 基本满意, 2 and 1 不满意); 0, or anything else, is no answer.
func SatisfactionOf(rating int) Satisfaction {
	l, err := FivePoint.FromRating(rating)
	if err != nil {
		return 0
	}
	return l
}

// RatingLabel names a stored rating's level (满意, 基本满意 or 不满意),
// "" for no rating.
func RatingLabel(rating int) string {
	if l := SatisfactionOf(rating); l != 0 {
		return l.Label()
	}
	return ""
}
