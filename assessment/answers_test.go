package assessment_test

import (
	"testing"

	"github.com/gridcast/gridcast/assessment"
)

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
