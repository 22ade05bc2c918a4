package dispatch

// Figures are one department's tasks dispatched in a period, by where
// they stand now: the dispatch part of the evaluation (考核测评).
type Figures struct {
	Department string `json:"department"` // Department.Code
	Tasks      int    `json:"tasks"`      // tasks dispatched to it in the period
	Tickets    int    `json:"tickets"`    // the tickets those tasks belong to
	Open       int    `json:"open"`       // still waiting (dispatched, accepted, extension requested)
	Overdue    int    `json:"overdue"`    // of the open ones, past their deadline
	Returned   int    `json:"returned"`   // sent back (退回)
	Resolved   int    `json:"resolved"`   // done, with feedback
	Cancelled  int    `json:"cancelled"`  // withdrawn by the dispatcher
}

// Summary is the period's dispatch and 督办 figures for the whole desk.
type Summary struct {
	// Dispatched is how many tickets had a task dispatched in the period.
	Dispatched int `json:"dispatched"`
	// Supervised is how many tickets were flagged 督办 in the period;
	// SupervisedBySystem how many of them by the escalation policy.
	Supervised         int `json:"supervised"`
	SupervisedBySystem int `json:"supervised_by_system"`
	// Departments are the figures per department, by code.
	Departments []Figures `json:"departments"`
}
