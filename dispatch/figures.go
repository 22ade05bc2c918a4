package dispatch

// Figures are one department's tasks dispatched in a period, by where
// they stand now: the dispatch part of the evaluation (考核测评).
type Figures struct {
	Department string // Department.Code
	Tasks      int    // tasks dispatched to it in the period
	Tickets    int    // the tickets those tasks belong to
	Open       int    // still waiting (dispatched, accepted, extension requested)
	Overdue    int    // of the open ones, past their deadline
	Returned   int    // sent back (退回)
	Resolved   int    // done, with feedback
	Cancelled  int    // withdrawn by the dispatcher
}

// Summary is the period's dispatch and 督办 figures for the whole desk.
type Summary struct {
	// Dispatched is how many tickets had a task dispatched in the period.
	Dispatched int
	// Supervised is how many tickets were flagged 督办 in the period;
	// SupervisedBySystem how many of them by the escalation policy.
	Supervised, SupervisedBySystem int
	// Departments are the figures per department, by code.
	Departments []Figures
}
