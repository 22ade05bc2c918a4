package assessment_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/gridcast/gridcast/assessment"
	"github.com/gridcast/gridcast/fault"
)

// A quarter under way is scored on its months to date, each read once; a
// period not yet begun is refused.
func TestAssessReadsTheMonthsBegun(t *testing.T) {
	t.Parallel()
	s := scorer(t)
	var read []string
	inputs := func(_ context.Context, m assessment.Period) ([]assessment.Input, error) {
		read = append(read, m.String())
		in := zhang()
		in.Period = m
		return []assessment.Input{in}, nil
	}
	q4 := assessment.Period{Kind: assessment.Quarter, Year: 2026, N: 4}
	mid := time.Date(2026, 11, 15, 9, 0, 0, 0, q4.Start().Location())
	got, err := s.Assess(t.Context(), q4, mid, inputs)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(read, []string{"2026-10", "2026-11"}) {
		t.Errorf("months read = %v, want October and November", read)
	}
	if len(got) != 1 || len(got[0].Months) != 2 || got[0].Points != got[0].Months[0].Points {
		t.Errorf("the quarter so far = %+v; want one worker averaging two equal months", got)
	}
	if _, err := s.Assess(t.Context(), assessment.Period{Kind: assessment.Month, Year: 2026, N: 12}, mid, inputs); !errors.Is(err, fault.ErrInvalid) {
		t.Errorf("assessing December in November = %v, want ErrInvalid", err)
	}
	boom := errors.New("store down")
	if _, err := s.Assess(t.Context(), q4, mid, func(context.Context, assessment.Period) ([]assessment.Input, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Errorf("a failing source = %v, want its error", err)
	}
}
