package assessment_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/assessment"
	"github.com/gridcast/gridcast/fault"
)

func month(y, m int) assessment.Period {
	return assessment.Period{Kind: assessment.Month, Year: y, N: m}
}

func TestParsePeriod(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want assessment.Period
		str  string
		zh   string
	}{
		{"2026-11", month(2026, 11), "2026-11", "2026年11月"},
		{"2026-1", month(2026, 1), "2026-01", "2026年1月"},
		{" 2026-01 ", month(2026, 1), "2026-01", "2026年1月"},
		{"2026-Q4", assessment.Period{Kind: assessment.Quarter, Year: 2026, N: 4}, "2026-Q4", "2026年第4季度"},
		{"2026-q1", assessment.Period{Kind: assessment.Quarter, Year: 2026, N: 1}, "2026-Q1", "2026年第1季度"},
		{"2026", assessment.Period{Kind: assessment.Year, Year: 2026}, "2026", "2026年"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := assessment.ParsePeriod(tc.in)
			if err != nil {
				t.Fatalf("ParsePeriod(%q): %v", tc.in, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParsePeriod(%q) (-want +got):\n%s", tc.in, diff)
			}
			if got.String() != tc.str || got.Label() != tc.zh {
				t.Errorf("String, Label = %q, %q; want %q, %q", got.String(), got.Label(), tc.str, tc.zh)
			}
			again, err := assessment.ParsePeriod(got.String())
			if err != nil || again != got {
				t.Errorf("ParsePeriod(String()) = %v, %v; want %v", again, err, got)
			}
		})
	}
}

func TestParsePeriodRefusesBadInput(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, says string
	}{
		{"", "four-digit year"},
		{"26-11", "four-digit year"},
		{"二〇二六", "four-digit year"},
		{"2026-13", "month 13: want 1–12"},
		{"2026-00", "month 0: want 1–12"},
		{"2026-Q5", "quarter 5: want 1–4"},
		{"2026-Q0", "quarter 0: want 1–4"},
		{"2026-Q", "want Q1, Q2, Q3 or Q4"},
		{"2026-Q12", "want Q1, Q2, Q3 or Q4"},
		{"2026-11-01", "want a month 1–12 or a quarter"},
		{"2026-011", "want a month 1–12 or a quarter"},
		{"2026/11", "four-digit year"},
		{"1999", "year 1999: want 2000–2999"},
		{"2026-H1", "want a month 1–12 or a quarter"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			_, err := assessment.ParsePeriod(tc.in)
			if !errors.Is(err, fault.ErrInvalid) {
				t.Fatalf("ParsePeriod(%q) = %v; want an invalid-input error", tc.in, err)
			}
			if !strings.Contains(err.Error(), tc.says) || !strings.Contains(err.Error(), "2026-Q4") {
				t.Errorf("ParsePeriod(%q) error %q; want it to say %q and show the forms", tc.in, err, tc.says)
			}
			var f *fault.Error
			if !errors.As(err, &f) || !strings.Contains(f.Say(fault.Chinese), "考核期") {
				t.Errorf("ParsePeriod(%q): %v has no Chinese sentence", tc.in, err)
			}
		})
	}
}

func TestPeriodBounds(t *testing.T) {
	t.Parallel()
	sh := assessment.Shanghai
	for _, tc := range []struct {
		in         string
		start, end time.Time
		prev       string
		months     []string
	}{
		{"2026-11", time.Date(2026, 11, 1, 0, 0, 0, 0, sh), time.Date(2026, 12, 1, 0, 0, 0, 0, sh), "2026-10", []string{"2026-11"}},
		{"2026-12", time.Date(2026, 12, 1, 0, 0, 0, 0, sh), time.Date(2027, 1, 1, 0, 0, 0, 0, sh), "2026-11", []string{"2026-12"}},
		{"2026-01", time.Date(2026, 1, 1, 0, 0, 0, 0, sh), time.Date(2026, 2, 1, 0, 0, 0, 0, sh), "2025-12", []string{"2026-01"}},
		{"2026-Q4", time.Date(2026, 10, 1, 0, 0, 0, 0, sh), time.Date(2027, 1, 1, 0, 0, 0, 0, sh), "2026-Q3", []string{"2026-10", "2026-11", "2026-12"}},
		{"2026-Q1", time.Date(2026, 1, 1, 0, 0, 0, 0, sh), time.Date(2026, 4, 1, 0, 0, 0, 0, sh), "2025-Q4", []string{"2026-01", "2026-02", "2026-03"}},
		{"2026", time.Date(2026, 1, 1, 0, 0, 0, 0, sh), time.Date(2027, 1, 1, 0, 0, 0, 0, sh), "2025",
			[]string{"2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11", "2026-12"}},
	} {
		t.Run(tc.in, func(t *testing.T) {
			p, err := assessment.ParsePeriod(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if !p.Start().Equal(tc.start) || !p.End().Equal(tc.end) {
				t.Errorf("[Start, End) = [%s, %s); want [%s, %s)", p.Start(), p.End(), tc.start, tc.end)
			}
			if got := p.Prev().String(); got != tc.prev {
				t.Errorf("Prev = %s; want %s", got, tc.prev)
			}
			var got []string
			for _, m := range p.Months() {
				got = append(got, m.String())
				if !p.Covers(m) {
					t.Errorf("%s does not cover its month %s", p, m)
				}
			}
			if diff := cmp.Diff(tc.months, got); diff != "" {
				t.Errorf("Months (-want +got):\n%s", diff)
			}
			if p.Covers(p.Prev().Months()[0]) {
				t.Errorf("%s covers a month of %s", p, p.Prev())
			}
		})
	}
}

func TestMonthOfIsShanghai(t *testing.T) {
	t.Parallel()
	// 16:30 UTC on 30 November is 00:30 on 1 December in Shanghai.
	at := time.Date(2026, 11, 30, 16, 30, 0, 0, time.UTC)
	if got := assessment.MonthOf(at); got != month(2026, 12) {
		t.Errorf("MonthOf(%s) = %s; want 2026-12", at, got)
	}
	p := month(2026, 11)
	if p.Contains(at) || !month(2026, 12).Contains(at) {
		t.Errorf("%s: Contains puts it in November", at)
	}
	if got := month(2026, 11).Quarter().String(); got != "2026-Q4" {
		t.Errorf("Quarter of 2026-11 = %s; want 2026-Q4", got)
	}
}

func TestPeriodText(t *testing.T) {
	t.Parallel()
	var p assessment.Period
	if err := p.UnmarshalText([]byte("2026-Q3")); err != nil || p.String() != "2026-Q3" {
		t.Fatalf("UnmarshalText(2026-Q3) = %v, %v", p, err)
	}
	if err := p.UnmarshalText([]byte("2026-Q9")); !errors.Is(err, fault.ErrInvalid) || p.String() != "2026-Q3" {
		t.Errorf("UnmarshalText(2026-Q9) = %v and left %v; want an error and the period unchanged", err, p)
	}
	if _, err := (assessment.Period{}).MarshalText(); err == nil {
		t.Error("the zero Period marshals; want an error")
	}
	if _, err := assessment.NewPeriod(assessment.Month, 2026, 13); !errors.Is(err, fault.ErrInvalid) {
		t.Errorf("NewPeriod(month 13) = %v; want invalid", err)
	}
}
