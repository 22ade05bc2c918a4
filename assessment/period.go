package assessment

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gridcast/gridcast/fault"
)

// Shanghai is the zone periods begin and end in (Asia/Shanghai). China has
// kept UTC+8 without daylight saving since 1991, so a fixed zone is exact
// and needs no tzdata on the host.
var Shanghai = time.FixedZone("CST", 8*3600)

// Kind is how long a Period is: a month, a quarter or a year.
type Kind int

// The kinds of period. The zero Kind is Month.
const (
	Month Kind = iota
	Quarter
	Year
)

// String returns month, quarter or year.
func (k Kind) String() string {
	switch k {
	case Month:
		return "month"
	case Quarter:
		return "quarter"
	case Year:
		return "year"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Label returns 月度, 季度 or 年度.
func (k Kind) Label() string {
	switch k {
	case Month:
		return "月度"
	case Quarter:
		return "季度"
	case Year:
		return "年度"
	}
	return k.String()
}

// Period is a calendar month, quarter or year in Asia/Shanghai, the unit
// a worker is scored for. It is a small comparable value: use it as a map
// key. The zero Period is not valid (year 0); build one with MonthOf,
// ParsePeriod or NewPeriod.
type Period struct {
	Kind Kind
	Year int
	// N is the month (1–12) of a Month, the quarter (1–4) of a Quarter,
	// and 0 for a Year.
	N int
}

// Years a Period may fall in: earlier or later is taken for a typing
// mistake.
const (
	MinYear = 2000
	MaxYear = 2999
)

// NewPeriod returns the period of kind in year, n being the month (1–12)
// or the quarter (1–4); n is ignored for a Year.
func NewPeriod(kind Kind, year, n int) (Period, error) {
	p := Period{Kind: kind, Year: year, N: n}
	if kind == Year {
		p.N = 0
	}
	if err := p.check(); err != nil {
		return Period{}, err
	}
	return p, nil
}

func (p Period) check() error {
	if p.Year < MinYear || p.Year > MaxYear {
		return badPeriod(strconv.Itoa(p.Year), fmt.Sprintf("year %d: want %d–%d", p.Year, MinYear, MaxYear),
			fmt.Sprintf("年份 %d 超出范围（%d–%d）", p.Year, MinYear, MaxYear))
	}
	switch p.Kind {
	case Month:
		if p.N < 1 || p.N > 12 {
			return badPeriod(p.String(), fmt.Sprintf("month %d: want 1–12", p.N), fmt.Sprintf("月份 %d 无效，应为 1–12", p.N))
		}
	case Quarter:
		if p.N < 1 || p.N > 4 {
			return badPeriod(p.String(), fmt.Sprintf("quarter %d: want 1–4", p.N), fmt.Sprintf("季度 %d 无效，应为 1–4", p.N))
		}
	case Year:
		if p.N != 0 {
			return badPeriod(p.String(), "a year has no month or quarter", "年度不带月份或季度")
		}
	default:
		return badPeriod(p.String(), "want a month, quarter or year", "应为月度、季度或年度")
	}
	return nil
}

// badPeriod is the refusal of a period as given.
func badPeriod(given, en, zh string) error {
	return fault.Refuse(fault.ErrInvalid,
		fmt.Sprintf("period %q: %s (write 2026-11, 2026-Q4 or 2026)", given, en),
		fmt.Sprintf("考核期“%s”有误：%s（应写作 2026-11、2026-Q4 或 2026）", given, zh), nil)
}

// MonthOf returns the month t falls in, in Asia/Shanghai.
func MonthOf(t time.Time) Period {
	t = t.In(Shanghai)
	return Period{Kind: Month, Year: t.Year(), N: int(t.Month())}
}

// ParsePeriod reads a period as people write it: "2026-11" (or "2026-1")
// a month, "2026-Q4" (q in either case) a quarter, "2026" a year, with
// spaces around ignored. Anything else is refused with an error wrapping
// fault.ErrInvalid that shows the three forms.
func ParsePeriod(s string) (Period, error) {
	given := s
	s = strings.TrimSpace(s)
	year, rest, dash := strings.Cut(s, "-")
	y, err := digits(year, 4)
	if err != nil {
		return Period{}, badPeriod(given, "want a four-digit year first", "应以四位年份开头")
	}
	if !dash {
		return NewPeriod(Year, y, 0)
	}
	if q, ok := strings.CutPrefix(strings.ToUpper(rest), "Q"); ok {
		n, err := digits(q, 1)
		if err != nil {
			return Period{}, badPeriod(given, "want Q1, Q2, Q3 or Q4 after the year", "年份后应为 Q1、Q2、Q3 或 Q4")
		}
		p, err := NewPeriod(Quarter, y, n)
		if err != nil {
			return Period{}, badPeriod(given, fmt.Sprintf("quarter %d: want 1–4", n), fmt.Sprintf("季度 %d 无效，应为 1–4", n))
		}
		return p, nil
	}
	n, err := digits(rest, 2)
	if err != nil {
		return Period{}, badPeriod(given, "want a month 1–12 or a quarter Q1–Q4 after the year", "年份后应为月份 1–12 或季度 Q1–Q4")
	}
	p, err := NewPeriod(Month, y, n)
	if err != nil {
		return Period{}, badPeriod(given, fmt.Sprintf("month %d: want 1–12", n), fmt.Sprintf("月份 %d 无效，应为 1–12", n))
	}
	return p, nil
}

// digits reads 1 to max ASCII digits (max 4 means exactly 4).
func digits(s string, max int) (int, error) {
	if s == "" || len(s) > max || (max == 4 && len(s) != 4) {
		return 0, fmt.Errorf("%q: want %d digits", s, max)
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, fmt.Errorf("%q: want digits", s)
		}
	}
	return strconv.Atoi(s)
}

// String returns the period as ParsePeriod reads it: 2026-11, 2026-Q4 or
// 2026.
func (p Period) String() string {
	switch p.Kind {
	case Month:
		return fmt.Sprintf("%04d-%02d", p.Year, p.N)
	case Quarter:
		return fmt.Sprintf("%04d-Q%d", p.Year, p.N)
	case Year:
		return fmt.Sprintf("%04d", p.Year)
	}
	return fmt.Sprintf("%04d-?%d", p.Year, p.N)
}

// Label returns the period in Chinese: 2026年11月, 2026年第4季度, 2026年.
func (p Period) Label() string {
	switch p.Kind {
	case Month:
		return fmt.Sprintf("%d年%d月", p.Year, p.N)
	case Quarter:
		return fmt.Sprintf("%d年第%d季度", p.Year, p.N)
	}
	return fmt.Sprintf("%d年", p.Year)
}

// MarshalText writes String, so a Period is "2026-Q4" in JSON and YAML.
func (p Period) MarshalText() ([]byte, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	return []byte(p.String()), nil
}

// UnmarshalText reads what ParsePeriod reads.
func (p *Period) UnmarshalText(b []byte) error {
	q, err := ParsePeriod(string(b))
	if err != nil {
		return err
	}
	*p = q
	return nil
}

// firstMonth is the period's first month (1–12).
func (p Period) firstMonth() int {
	switch p.Kind {
	case Quarter:
		return 3*(p.N-1) + 1
	case Year:
		return 1
	}
	return p.N
}

// Len is the number of months in the period: 1, 3 or 12.
func (p Period) Len() int {
	switch p.Kind {
	case Quarter:
		return 3
	case Year:
		return 12
	}
	return 1
}

// Start is the first instant of the period: midnight of its first day in
// Asia/Shanghai.
func (p Period) Start() time.Time {
	return time.Date(p.Year, time.Month(p.firstMonth()), 1, 0, 0, 0, 0, Shanghai)
}

// End is the first instant after the period (the next period's Start), so
// the period is [Start, End): a store counts what happened at or after
// Start and before End.
func (p Period) End() time.Time {
	return time.Date(p.Year, time.Month(p.firstMonth()+p.Len()), 1, 0, 0, 0, 0, Shanghai)
}

// Contains reports whether t falls within [Start, End).
func (p Period) Contains(t time.Time) bool {
	return !t.Before(p.Start()) && t.Before(p.End())
}

// Prev returns the period of the same kind just before p: 2026-01 gives
// 2025-12, 2026-Q1 gives 2025-Q4, 2026 gives 2025.
func (p Period) Prev() Period {
	switch p.Kind {
	case Month:
		if p.N == 1 {
			return Period{Kind: Month, Year: p.Year - 1, N: 12}
		}
	case Quarter:
		if p.N == 1 {
			return Period{Kind: Quarter, Year: p.Year - 1, N: 4}
		}
	case Year:
		return Period{Kind: Year, Year: p.Year - 1}
	}
	return Period{Kind: p.Kind, Year: p.Year, N: p.N - 1}
}

// Months returns the months of p in order: p itself for a month, three for
// a quarter, twelve for a year.
func (p Period) Months() []Period {
	ms := make([]Period, p.Len())
	for i := range ms {
		ms[i] = Period{Kind: Month, Year: p.Year, N: p.firstMonth() + i}
	}
	return ms
}

// Covers reports whether month m is one of p's Months.
func (p Period) Covers(m Period) bool {
	if m.Kind != Month || m.Year != p.Year {
		return false
	}
	f := p.firstMonth()
	return m.N >= f && m.N < f+p.Len()
}

// Quarter returns the quarter a month falls in; a quarter or a year is
// returned unchanged.
func (p Period) Quarter() Period {
	if p.Kind != Month {
		return p
	}
	return Period{Kind: Quarter, Year: p.Year, N: (p.N-1)/3 + 1}
}
