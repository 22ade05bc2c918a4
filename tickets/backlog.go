package tickets

// Backlog is what waits at one level of the escalation ladder: the open
// tickets (new, assigned, in progress, replied) there and how many of them
// are past their deadline.
type Backlog struct {
	Level   Level
	Open    int
	Overdue int
}
