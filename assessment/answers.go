package assessment

import "github.com/gridcast/gridcast/tickets"

// Satisfaction is read on the ticket desk's scale (tickets.Satisfaction,
// tickets.RatingScale): the levels and scales below are those, named here
// so that a score's inputs read in one package.
type (
	// Level is a resident's satisfaction: 满意, 基本满意 or 不满意.
	Level = tickets.Satisfaction
	// Scale is how residents are asked to rate: three levels (the
	// default) or 1–5.
	Scale = tickets.RatingScale
)

// The levels, best first, and the scales.
const (
	Satisfied      = tickets.Satisfied
	BasicSatisfied = tickets.BasicSatisfied
	Dissatisfied   = tickets.Dissatisfied
	ThreeLevel     = tickets.ThreeLevel
	FivePoint      = tickets.FivePoint
)

// Levels lists the levels, best first.
var Levels = tickets.SatisfactionLevels

// Answers counts a worker's satisfaction answers in a period by level.
// The zero value is no answers.
type Answers struct {
	Satisfied      int // 满意
	BasicSatisfied int // 基本满意
	Dissatisfied   int // 不满意
}

// Add counts one answer at level l; the zero Level is not counted.
func (a *Answers) Add(l tickets.Satisfaction) {
	switch l {
	case Satisfied:
		a.Satisfied++
	case BasicSatisfied:
		a.BasicSatisfied++
	case Dissatisfied:
		a.Dissatisfied++
	}
}

// Total is the number of answers.
func (a Answers) Total() int { return a.Satisfied + a.BasicSatisfied + a.Dissatisfied }

// plus returns a and b counted together.
func (a Answers) plus(b Answers) Answers {
	return Answers{a.Satisfied + b.Satisfied, a.BasicSatisfied + b.BasicSatisfied, a.Dissatisfied + b.Dissatisfied}
}
