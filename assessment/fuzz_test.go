package assessment_test

import (
	"testing"

	"github.com/gridcast/gridcast/assessment"
)

// FuzzParsePeriod: any text either is refused or gives a period that
// prints back to itself, with the period's months inside [Start, End).
func FuzzParsePeriod(f *testing.F) {
	for _, s := range []string{"2026-11", "2026-Q4", "2026", "2026-q1", " 2026-1 ", "2026-13", "-", "2026-Q", "９９９９"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := assessment.ParsePeriod(s)
		if err != nil {
			return
		}
		again, err := assessment.ParsePeriod(p.String())
		if err != nil || again != p {
			t.Fatalf("ParsePeriod(%q) = %v; its String reparses to %v, %v", s, p, again, err)
		}
		ms := p.Months()
		if len(ms) != p.Len() || !ms[0].Start().Equal(p.Start()) || !ms[len(ms)-1].End().Equal(p.End()) {
			t.Fatalf("%v: months %v do not fill [%s, %s)", p, ms, p.Start(), p.End())
		}
	})
}
