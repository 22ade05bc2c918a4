package assessment

import (
	"fmt"

	"github.com/gridcast/gridcast/fault"
)

// Indicator is one thing a worker is scored on. Each turns the month's
// figures into 0–100 points; the Weights say how much of the score each
// carries.
type Indicator string

// The indicators, in the order a score sheet lists them.
const (
	// Visits (走访完成): visits done against the norm, capped at 100%.
	// The norm is the register's due visits or targets.visits_per_month,
	// whichever is more. Excluded when the norm is 0.
	Visits Indicator = "visits"
	// Events (事件上报): events reported against targets.events, capped at
	// 100%.
	Events Indicator = "events"
	// OnTime (按时办结): tickets resolved within their deadline over tickets
	// resolved. Excluded when none was resolved.
	OnTime Indicator = "on_time"
	// Overdue (超期工单): 100 less targets.overdue_penalty per ticket still
	// open past its deadline at the month's end, down to 0.
	Overdue Indicator = "overdue"
	// Satisfaction (群众满意度): the answers' worth (满意 1, 基本满意 0.6,
	// 不满意 0 by default) over the number of answers. Excluded when no
	// resident answered.
	Satisfaction Indicator = "satisfaction"
	// Records (活户籍更新): residents' records updated against
	// targets.records, capped at 100%.
	Records Indicator = "records"
)

// Indicators lists the indicators in score-sheet order.
var Indicators = []Indicator{Visits, Events, OnTime, Overdue, Satisfaction, Records}

// Label returns the indicator's Chinese name.
func (i Indicator) Label() string {
	switch i {
	case Visits:
		return "走访完成"
	case Events:
		return "事件上报"
	case OnTime:
		return "工单按时办结"
	case Overdue:
		return "超期工单"
	case Satisfaction:
		return "群众满意度"
	case Records:
		return "活户籍更新"
	}
	return string(i)
}

// Line is one indicator's part of a Score: the figures it was computed
// from, the points they earn, and what those points add to the score, so
// that a worker can check it by hand.
//
// For a month, Count and Base are the figures (see Indicator): visits done
// and the norm; events reported and the target; tickets on time and
// tickets resolved; overdue tickets and 0; answers' worth is in Answers
// with Base their number; records updated and the target. For a quarter
// or a year they are summed over the months; Points is the average over
// the months that counted the line, Share and Contribution the average
// over all the months (so the contributions add up to the average of the
// months' unrounded sums, which may differ from the score, the average of
// the rounded monthly scores, by a few hundredths).
type Line struct {
	Indicator Indicator
	// Weight is the configured weight (weights.<indicator>).
	Weight float64
	// Excluded is set when the month had nothing to measure (no norm, no
	// ticket resolved, no answer): the line earns nothing and its weight
	// is shared out among the others in proportion to theirs.
	Excluded bool
	// Share is the weight actually applied, out of 100: Weight scaled up
	// when other lines were excluded, 0 when this one was.
	Share float64
	// Points is what the figures earn, 0–100, rounded to one decimal.
	Points float64
	// Contribution is Points × Share / 100, what the line adds to the
	// score (not rounded; the score is their sum rounded to one decimal).
	Contribution float64
	Count, Base  int
	// Answers are the satisfaction answers by level (Satisfaction only).
	Answers Answers
	// Months is how many months counted this line (not excluded); 1 or 0
	// for a month.
	Months int
}

// Say explains the line in a sentence, e.g. "走访 12/15 户次（80.0%）得 80.0
// 分 × 权重 30% = 24.0".
func (l Line) Say(lang fault.Lang) string {
	if l.Excluded {
		if lang == fault.English {
			return fmt.Sprintf("%s: nothing to measure this period; its weight %g went to the other indicators", l.Indicator, l.Weight)
		}
		return fmt.Sprintf("%s：本期无可考核事项，不计分，权重 %g 按比例分给其他指标", l.Indicator.Label(), l.Weight)
	}
	var en, zh string
	switch l.Indicator {
	case Visits:
		en, zh = fmt.Sprintf("%d of %d visits due", l.Count, l.Base), fmt.Sprintf("走访 %d / 应访 %d 户次", l.Count, l.Base)
	case Events:
		en, zh = fmt.Sprintf("%d events reported, target %d", l.Count, l.Base), fmt.Sprintf("上报事件 %d 件 / 目标 %d 件", l.Count, l.Base)
	case OnTime:
		en, zh = fmt.Sprintf("%d of %d tickets resolved on time", l.Count, l.Base), fmt.Sprintf("按时办结 %d / 办结 %d 件", l.Count, l.Base)
	case Overdue:
		en, zh = fmt.Sprintf("%d tickets overdue", l.Count), fmt.Sprintf("超期工单 %d 件", l.Count)
	case Satisfaction:
		a := l.Answers
		en = fmt.Sprintf("%d satisfied, %d basically satisfied, %d dissatisfied", a.Satisfied, a.BasicSatisfied, a.Dissatisfied)
		zh = fmt.Sprintf("满意 %d、基本满意 %d、不满意 %d", a.Satisfied, a.BasicSatisfied, a.Dissatisfied)
	case Records:
		en, zh = fmt.Sprintf("%d records updated, target %d", l.Count, l.Base), fmt.Sprintf("更新户籍档案 %d 条 / 目标 %d 条", l.Count, l.Base)
	}
	if lang == fault.English {
		return fmt.Sprintf("%s: %s: %.1f points × %.4g%% = %.2f", l.Indicator, en, l.Points, l.Share, l.Contribution)
	}
	return fmt.Sprintf("%s：%s，得 %.1f 分 × 权重 %.4g%% = %.2f", l.Indicator.Label(), zh, l.Points, l.Share, l.Contribution)
}

// points scores indicator i on in's figures with c: the line with Points,
// Count, Base and Answers set, Excluded when there is nothing to measure.
func (c Config) points(i Indicator, in Input) Line {
	l := Line{Indicator: i, Weight: c.Weights.of(i)}
	switch i {
	case Visits:
		l.Count, l.Base = in.VisitsDone, max(in.VisitsDue, c.Targets.VisitsPerMonth)
		l.Excluded = l.Base == 0
		l.Points = capped(l.Count, l.Base)
	case Events:
		l.Count, l.Base = in.EventsReported, c.Targets.Events
		l.Points = capped(l.Count, l.Base)
	case OnTime:
		l.Count, l.Base = in.TicketsOnTime, in.TicketsResolved
		l.Excluded = l.Base == 0
		l.Points = capped(l.Count, l.Base)
	case Overdue:
		l.Count = in.Overdue
		l.Points = round1(max(0, 100-float64(in.Overdue)*c.Targets.OverduePenalty))
	case Satisfaction:
		l.Answers, l.Base = in.Answers, in.Answers.Total()
		l.Excluded = l.Base == 0
		if !l.Excluded {
			worth := 0.0
			for _, lv := range Levels {
				worth += float64(in.Answers.count(lv)) * c.Satisfaction.value(lv)
			}
			l.Points = round1(100 * worth / float64(l.Base))
		}
	case Records:
		l.Count, l.Base = in.RecordsUpdated, c.Targets.Records
		l.Points = capped(l.Count, l.Base)
	}
	if l.Excluded {
		l.Points = 0
	}
	return l
}

// count returns the answers at level l.
func (a Answers) count(l Level) int {
	switch l {
	case Satisfied:
		return a.Satisfied
	case BasicSatisfied:
		return a.BasicSatisfied
	case Dissatisfied:
		return a.Dissatisfied
	}
	return 0
}

// capped is 100 × n / of, at most 100, rounded to one decimal; 0 when of
// is 0.
func capped(n, of int) float64 {
	if of <= 0 {
		return 0
	}
	if n >= of {
		return 100
	}
	return round1(float64(100*n) / float64(of))
}
