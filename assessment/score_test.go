package assessment_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/gridcast/gridcast/assessment"
	"github.com/gridcast/gridcast/fault"
)

func scorer(t *testing.T) *assessment.Scorer {
	t.Helper()
	s, err := assessment.New(assessment.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var (
	street    = assessment.Unit{Code: "NY", Name: "南苑街道"}
	community = assessment.Unit{Code: "NY-03", Name: "和平社区"}
	grid5     = assessment.Unit{Code: "NY-03-05", Name: "第五网格"}
)

// zhang is 张三's November 2026, scored by hand in TestMonthByHand.
func zhang() assessment.Input {
	return assessment.Input{
		Period:          month(2026, 11),
		Worker:          assessment.Worker{ID: 7, Code: "W007", Name: "张三"},
		Grid:            grid5,
		Community:       community,
		Street:          street,
		VisitsDone:      12,
		VisitsDue:       10, // the register's norms; the monthly minimum of 15 is more
		EventsReported:  3,
		TicketsResolved: 8,
		TicketsOnTime:   7,
		Overdue:         1,
		Answers:         assessment.Answers{Satisfied: 6, BasicSatisfied: 3, Dissatisfied: 1},
		RecordsUpdated:  5,
	}
}

// approx compares floats to a millionth, enough for shares such as 50/3.
var approx = cmpopts.EquateApprox(0, 1e-6)

func TestMonthByHand(t *testing.T) {
	t.Parallel()
	got, err := scorer(t).Month(zhang())
	if err != nil {
		t.Fatal(err)
	}
	// visits:       12 done of max(10 due, 15 minimum) = 15 → 12/15   = 80.0 points × 30% = 24.0
	// events:        3 of target 4                     → 3/4     = 75.0 points × 10% =  7.5
	// on time:       7 of 8 resolved                   → 7/8     = 87.5 points × 20% = 17.5
	// overdue:       1 ticket × 20                     → 100-20  = 80.0 points × 10% =  8.0
	// satisfaction:  6×1 + 3×0.6 + 1×0 = 7.8 of 10      → 0.78    = 78.0 points × 20% = 15.6
	// records:       5 of target 4, capped              → 100.0 points × 10% = 10.0
	// score: 24 + 7.5 + 17.5 + 8 + 15.6 + 10 = 82.6 → 合格 (60 ≤ 82.6 < 90)
	want := assessment.Score{
		Period: month(2026, 11), Worker: zhang().Worker, Grid: grid5, Community: community, Street: street,
		Points: 82.6,
		Grade:  assessment.Grade{Name: "pass", Label: "合格", Min: 60},
		Lines: []assessment.Line{
			{Indicator: assessment.Visits, Weight: 30, Share: 30, Points: 80, Contribution: 24, Count: 12, Base: 15, Months: 1},
			{Indicator: assessment.Events, Weight: 10, Share: 10, Points: 75, Contribution: 7.5, Count: 3, Base: 4, Months: 1},
			{Indicator: assessment.OnTime, Weight: 20, Share: 20, Points: 87.5, Contribution: 17.5, Count: 7, Base: 8, Months: 1},
			{Indicator: assessment.Overdue, Weight: 10, Share: 10, Points: 80, Contribution: 8, Count: 1, Months: 1},
			{Indicator: assessment.Satisfaction, Weight: 20, Share: 20, Points: 78, Contribution: 15.6, Base: 10,
				Answers: assessment.Answers{Satisfied: 6, BasicSatisfied: 3, Dissatisfied: 1}, Months: 1},
			{Indicator: assessment.Records, Weight: 10, Share: 10, Points: 100, Contribution: 10, Count: 5, Base: 4, Months: 1},
		},
	}
	if diff := cmp.Diff(want, got, approx); diff != "" {
		t.Errorf("Month (-want +got):\n%s", diff)
	}
	l, _ := got.Line(assessment.Visits)
	if s := l.Say(fault.Chinese); s != "走访完成：走访 12 / 应访 15 户次，得 80.0 分 × 权重 30% = 24.00" {
		t.Errorf("visits line says %q", s)
	}
	l, _ = got.Line(assessment.Satisfaction)
	if s := l.Say(fault.English); s != "satisfaction: 6 satisfied, 3 basically satisfied, 1 dissatisfied: 78.0 points × 20% = 15.60" {
		t.Errorf("satisfaction line says %q", s)
	}
}

func TestMonthWithNothingToMeasureSharesTheWeight(t *testing.T) {
	t.Parallel()
	in := zhang()
	in.VisitsDone, in.EventsReported, in.RecordsUpdated = 15, 4, 2
	in.TicketsResolved, in.TicketsOnTime, in.Overdue = 0, 0, 0
	in.Answers = assessment.Answers{}
	got, err := scorer(t).Month(in)
	if err != nil {
		t.Fatal(err)
	}
	// No ticket resolved and no answer: on time (20) and satisfaction (20)
	// are left out, and the 60 weight left is scaled up to 100:
	// visits 15/15 = 100 × 30/60, events 4/4 = 100 × 10/60,
	// overdue 0 → 100 × 10/60, records 2/4 = 50 × 10/60:
	// (3000 + 1000 + 1000 + 500) / 60 = 91.67 → 91.7 → 优秀.
	if got.Points != 91.7 || got.Grade.Label != "优秀" {
		t.Errorf("Points, Grade = %v, %s; want 91.7, 优秀", got.Points, got.Grade.Label)
	}
	var shares []float64
	for _, l := range got.Lines {
		shares = append(shares, l.Share)
	}
	if diff := cmp.Diff([]float64{50, 100.0 / 6, 0, 100.0 / 6, 0, 100.0 / 6}, shares, approx); diff != "" {
		t.Errorf("shares (-want +got):\n%s", diff)
	}
	for _, i := range []assessment.Indicator{assessment.OnTime, assessment.Satisfaction} {
		l, _ := got.Line(i)
		if !l.Excluded || l.Points != 0 || l.Contribution != 0 || l.Months != 0 {
			t.Errorf("%s = %+v; want excluded", i, l)
		}
		if s := l.Say(fault.Chinese); !strings.Contains(s, "不计分") {
			t.Errorf("%s says %q", i, s)
		}
	}
}

func TestMonthPoints(t *testing.T) {
	t.Parallel()
	// Each case changes 张三's month (82.6) and states the new score.
	for _, tc := range []struct {
		name   string
		change func(*assessment.Input)
		points float64
		grade  string
	}{
		{"as scored by hand", func(*assessment.Input) {}, 82.6, "合格"},
		{"more visits than due earn no more", func(in *assessment.Input) { in.VisitsDone = 40 }, 82.6 + 6, "合格"},
		{"the register's norm above the minimum", func(in *assessment.Input) { in.VisitsDue = 24 }, 82.6 - 24 + 15, "合格"},
		{"five overdue tickets empty the indicator", func(in *assessment.Input) { in.Overdue = 5 }, 82.6 - 8, "合格"},
		{"nine overdue tickets do not go below 0", func(in *assessment.Input) { in.Overdue = 9 }, 82.6 - 8, "合格"},
		// 2×1 + 1×0.6 = 2.6 of 3 = 86.666… → 86.7 points × 20% = 17.34 instead of 15.6
		{"satisfaction rounds to one decimal first", func(in *assessment.Input) {
			in.Answers = assessment.Answers{Satisfied: 2, BasicSatisfied: 1}
		}, 82.6 - 15.6 + 17.3, "合格"},
		// all full but events 0/4: 90 of 100 → 优秀 exactly at the threshold
		{"90.0 is 优秀", func(in *assessment.Input) {
			*in = assessment.Input{Period: in.Period, Worker: in.Worker, VisitsDone: 15, TicketsResolved: 3, TicketsOnTime: 3,
				Answers: assessment.Answers{Satisfied: 4}, RecordsUpdated: 4}
		}, 90, "优秀"},
		// visits and events 0, the rest full: 60 of 100 → 合格 at the threshold
		{"60.0 is 合格", func(in *assessment.Input) {
			*in = assessment.Input{Period: in.Period, Worker: in.Worker, TicketsResolved: 3, TicketsOnTime: 3,
				Answers: assessment.Answers{Satisfied: 4}, RecordsUpdated: 4}
		}, 60, "合格"},
		// as above with one 基本满意 among 4: 90 points × 20% = 18 → 58.0
		{"58.0 is 不合格", func(in *assessment.Input) {
			*in = assessment.Input{Period: in.Period, Worker: in.Worker, TicketsResolved: 3, TicketsOnTime: 3,
				Answers: assessment.Answers{Satisfied: 3, BasicSatisfied: 1}, RecordsUpdated: 4}
		}, 58, "不合格"},
		// nothing at all: visits 0/15, events 0, records 0, overdue 100 × 10/60 = 16.7
		{"an idle month", func(in *assessment.Input) { *in = assessment.Input{Period: in.Period, Worker: in.Worker} }, 16.7, "不合格"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := zhang()
			tc.change(&in)
			got, err := scorer(t).Month(in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.points, got.Points, approx); diff != "" || got.Grade.Label != tc.grade {
				t.Errorf("Points, Grade = %v, %s; want %v, %s", got.Points, got.Grade.Label, tc.points, tc.grade)
			}
		})
	}
}

func TestGradeAtThresholds(t *testing.T) {
	t.Parallel()
	s := scorer(t)
	for _, tc := range []struct {
		points float64
		want   string
	}{
		{100, "优秀"}, {90, "优秀"}, {89.95, "优秀"}, {89.9, "合格"}, {60, "合格"},
		{59.95, "合格"}, {59.9, "不合格"}, {0, "不合格"},
	} {
		if got := s.GradeOf(tc.points); got.Label != tc.want {
			t.Errorf("GradeOf(%v) = %s; want %s", tc.points, got.Label, tc.want)
		}
	}

	c := assessment.DefaultConfig()
	c.Grades = []assessment.Grade{
		{Name: "excellent", Label: "优秀", Min: 85}, {Name: "good", Label: "良好", Min: 75},
		{Name: "pass", Label: "合格", Min: 60}, {Name: "fail", Label: "不合格", Min: 0},
	}
	s, err := assessment.New(c)
	if err != nil {
		t.Fatal(err)
	}
	for p, want := range map[float64]string{85: "优秀", 84.9: "良好", 75: "良好", 74.9: "合格", 59.9: "不合格"} {
		if got := s.GradeOf(p); got.Label != want {
			t.Errorf("four grades: GradeOf(%v) = %s; want %s", p, got.Label, want)
		}
	}
}

func TestMonthRefusesBadFigures(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		change func(*assessment.Input)
		says   string
	}{
		{"on time above resolved", func(in *assessment.Input) { in.TicketsOnTime = 9 }, "9 tickets on time of 8 resolved"},
		{"negative visits", func(in *assessment.Input) { in.VisitsDone = -1 }, "visits done -1: want 0 or more"},
		{"negative answers", func(in *assessment.Input) { in.Answers.Dissatisfied = -2 }, "dissatisfied answers -2"},
		{"a quarter's figures", func(in *assessment.Input) { in.Period = in.Period.Quarter() }, "want a month's figures, not a quarter's"},
		{"no period", func(in *assessment.Input) { in.Period = assessment.Period{} }, "year 0"},
		{"no worker", func(in *assessment.Input) { in.Worker.ID = 0 }, "no worker id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := zhang()
			tc.change(&in)
			_, err := scorer(t).Month(in)
			if !errors.Is(err, fault.ErrInvalid) || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("Month = %v; want an invalid-input error saying %q", err, tc.says)
			}
		})
	}
}

// quarterInputs returns 张三's fourth quarter: October as in TestMonthByHand
// (82.6), November as in TestMonthWithNothingToMeasureSharesTheWeight
// (91.7), December idle (16.7).
func quarterInputs() []assessment.Input {
	oct := zhang()
	oct.Period = month(2026, 10)
	nov := zhang()
	nov.VisitsDone, nov.EventsReported, nov.RecordsUpdated = 15, 4, 2
	nov.TicketsResolved, nov.TicketsOnTime, nov.Overdue = 0, 0, 0
	nov.Answers = assessment.Answers{}
	dec := assessment.Input{Period: month(2026, 12), Worker: zhang().Worker, Grid: grid5, Community: community, Street: street}
	return []assessment.Input{dec, oct, nov}
}

func TestQuarterAveragesTheMonths(t *testing.T) {
	t.Parallel()
	s := scorer(t)
	q := assessment.Period{Kind: assessment.Quarter, Year: 2026, N: 4}
	scores, err := s.Scores(q, quarterInputs())
	if err != nil {
		t.Fatal(err)
	}
	if len(scores) != 1 {
		t.Fatalf("%d scores; want 1", len(scores))
	}
	got := scores[0]
	// (82.6 + 91.7 + 16.7) / 3 = 191.0 / 3 = 63.67 → 63.7 → 合格
	if got.Period != q || got.Points != 63.7 || got.Grade.Label != "合格" {
		t.Errorf("quarter = %s %v %s; want 2026-Q4 63.7 合格", got.Period, got.Points, got.Grade.Label)
	}
	var months []string
	var points []float64
	for _, m := range got.Months {
		months = append(months, m.Period.String())
		points = append(points, m.Points)
	}
	if diff := cmp.Diff([]string{"2026-10", "2026-11", "2026-12"}, months); diff != "" {
		t.Errorf("months (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]float64{82.6, 91.7, 16.7}, points); diff != "" {
		t.Errorf("monthly points (-want +got):\n%s", diff)
	}
	// Lines sum the figures and average the points of the months that
	// counted them: visits (80 + 100 + 0) / 3 = 60; on time only October's.
	visits, _ := got.Line(assessment.Visits)
	if visits.Count != 27 || visits.Base != 45 || visits.Points != 60 || visits.Months != 3 {
		t.Errorf("visits line = %+v; want 27 of 45, 60 points, 3 months", visits)
	}
	onTime, _ := got.Line(assessment.OnTime)
	if onTime.Count != 7 || onTime.Base != 8 || onTime.Points != 87.5 || onTime.Months != 1 || onTime.Excluded {
		t.Errorf("on-time line = %+v; want 7 of 8, 87.5 points, 1 month", onTime)
	}
	sum := 0.0
	for _, l := range got.Lines {
		sum += l.Contribution
	}
	// The lines' contributions average the months' unrounded sums
	// (82.6 + 91.667 + 16.667) / 3 = 63.64; the score averages the
	// monthly scores as published, 63.67: they differ by the months'
	// rounding only.
	if diff := cmp.Diff(63.64, sum, cmpopts.EquateApprox(0, 0.01)); diff != "" {
		t.Errorf("contributions add up to %v; want 63.64", sum)
	}

	// The year of the same months is the same average; the Combine of
	// two months of the quarter averages those two.
	year, err := s.Scores(assessment.Period{Kind: assessment.Year, Year: 2026}, quarterInputs())
	if err != nil || year[0].Points != 63.7 {
		t.Errorf("year = %+v, %v; want 63.7", year, err)
	}
	two, err := s.Combine(q, got.Months[:2])
	if err != nil || two.Points != 87.2 || two.Grade.Label != "合格" { // (82.6 + 91.7) / 2 = 87.15 → 87.2
		t.Errorf("Oct+Nov = %v %s, %v; want 87.2 合格", two.Points, two.Grade.Label, err)
	}
}

func TestScoresRefusesBadInputsTogether(t *testing.T) {
	t.Parallel()
	s := scorer(t)
	q := assessment.Period{Kind: assessment.Quarter, Year: 2026, N: 4}
	ins := quarterInputs()
	sept := zhang()
	sept.Period = month(2026, 9)
	bad := zhang()
	bad.Worker.ID, bad.TicketsOnTime = 8, 99
	ins = append(ins, sept, zhang(), bad)
	got, err := s.Scores(q, ins)
	if got != nil || !errors.Is(err, fault.ErrInvalid) {
		t.Fatalf("Scores = %v, %v; want nothing scored and an invalid-input error", got, err)
	}
	for _, says := range []string{"worker 7: 2026-09 is not a month of 2026-Q4", "worker 7: 2026-11 given twice", "worker 8 (W007) 2026-11: 99 tickets on time of 8 resolved"} {
		if !strings.Contains(err.Error(), says) {
			t.Errorf("error %q; want it to say %q", err, says)
		}
	}

	m := mustMonth(t, s, zhang())
	other := m
	other.Worker.ID = 9
	for _, tc := range []struct {
		name   string
		months []assessment.Score
		says   string
	}{
		{"none", nil, "no month to score"},
		{"another worker's month", []assessment.Score{m, withPeriod(other, month(2026, 10))}, "2026-11: worker 7 among worker 9's months"},
		{"outside the period", []assessment.Score{withPeriod(m, month(2027, 1))}, "2027-01 is not a month of 2026-Q4"},
		{"twice", []assessment.Score{m, m}, "2026-11 given twice"},
	} {
		if _, err := s.Combine(q, tc.months); !errors.Is(err, fault.ErrInvalid) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("Combine %s = %v; want it to say %q", tc.name, err, tc.says)
		}
	}
}

func mustMonth(t *testing.T, s *assessment.Scorer, in assessment.Input) assessment.Score {
	t.Helper()
	sc, err := s.Month(in)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func withPeriod(s assessment.Score, p assessment.Period) assessment.Score {
	s.Period = p
	return s
}

func TestScoresOfAMonthInWorkerOrder(t *testing.T) {
	t.Parallel()
	s := scorer(t)
	a, b := zhang(), zhang()
	a.Worker.ID, b.Worker.ID = 12, 3
	got, err := s.Scores(month(2026, 11), []assessment.Input{a, b})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Worker.ID != 3 || got[1].Worker.ID != 12 || got[0].Months != nil {
		t.Errorf("Scores = %+v; want workers 3 then 12, monthly", got)
	}
}
