package assessment

import (
	"context"
	"fmt"
	"time"

	"github.com/gridcast/gridcast/fault"
)

// Inputs reads one month's figures for every worker in post (a store's
// AssessmentInputs with the register's norms and the desk's SLA).
type Inputs func(ctx context.Context, month Period) ([]Input, error)

// Assess scores every worker for p, reading each month of p that has begun
// by now from inputs: a month is its own score, a quarter or a year
// averages the months so far (a quarter under way is scored on its months
// to date). A period that has not begun is refused (fault.ErrInvalid).
func (s *Scorer) Assess(ctx context.Context, p Period, now time.Time, inputs Inputs) ([]Score, error) {
	if err := p.check(); err != nil {
		return nil, fmt.Errorf("assessment: %w", err)
	}
	if !now.After(p.Start()) {
		return nil, fault.Refuse(fault.ErrInvalid, fmt.Sprintf("%s has not begun", p), fmt.Sprintf("%s 尚未开始，无法考核", p.Label()), nil)
	}
	var all []Input
	for _, m := range p.Months() {
		if !now.After(m.Start()) {
			break
		}
		ins, err := inputs(ctx, m)
		if err != nil {
			return nil, err
		}
		all = append(all, ins...)
	}
	return s.Scores(p, all)
}
