package store

import (
	"context"
	"fmt"
	"time"

	"github.com/gridcast/gridcast/assessment"
	"github.com/gridcast/gridcast/tickets"
	"github.com/gridcast/gridcast/visits"
)

// AssessmentInputs returns the figures of month for every grid worker in
// post, as 考核 scores them (assessment.Input):
//
//   - VisitsDone and VisitsDue from the visit register under norms
//     (VisitInputs);
//   - EventsReported: the events the worker reported in the month (a
//     report that named them, ticket_reporters);
//   - RecordsUpdated: the residents whose living record (活户籍) they
//     changed from the field in the month (RecordsUpdated);
//   - of the tickets created in the month and assigned to the worker (as
//     `gridcast tickets stats --by worker` counts them): TicketsResolved,
//     TicketsOnTime (onTime decides, the desk's SLA.OnTime), Overdue —
//     still open past their deadline at the month's end, or now for the
//     month in progress — and Answers, the residents' ratings read as
//     满意 / 基本满意 / 不满意 (tickets.SatisfactionOf).
//
// month must be a month (fault.ErrInvalid otherwise).
func (s *Store) AssessmentInputs(ctx context.Context, month assessment.Period, norms visits.Config, onTime func(tickets.Ticket) bool) ([]assessment.Input, error) {
	ins, err := s.VisitInputs(ctx, month, norms)
	if err != nil {
		return nil, err
	}
	from, to := month.Start(), month.End()
	byWorker := make(map[int64]*assessment.Input, len(ins))
	for i := range ins {
		byWorker[ins[i].Worker.ID] = &ins[i]
	}
	rows, err := s.r.QueryContext(ctx, s.q.get("EventsReported"), s.ts(from), s.ts(to))
	if err != nil {
		return nil, fmt.Errorf("store: events reported in %s: %w", month, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("store: events reported in %s: %w", month, err)
		}
		if in := byWorker[id]; in != nil {
			in.EventsReported = n
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: events reported in %s: %w", month, err)
	}
	records, err := s.RecordsUpdated(ctx, from, to)
	if err != nil {
		return nil, err
	}
	for id, n := range records {
		if in := byWorker[id]; in != nil {
			in.RecordsUpdated = n
		}
	}
	end := to
	if now := s.now(); now.Before(end) {
		end = now
	}
	const page = 1000
	for after := int64(0); ; {
		ts, err := s.TicketsCreatedBetween(ctx, from, to, after, page)
		if err != nil {
			return nil, err
		}
		for _, t := range ts {
			in := byWorker[t.AssigneeWorkerID]
			if in == nil || t.MergedInto != 0 {
				continue
			}
			if !t.ResolvedAt.IsZero() {
				in.TicketsResolved++
				if onTime(t) {
					in.TicketsOnTime++
				}
			}
			if openAt(t, end) && !t.DueAt.IsZero() && end.After(t.DueAt) {
				in.Overdue++
			}
			if l := tickets.SatisfactionOf(t.Rating); l != 0 {
				in.Answers.Add(l)
			}
		}
		if len(ts) < page {
			break
		}
		after = ts[len(ts)-1].ID
	}
	return ins, nil
}

// openAt reports whether t was still open at end: open now, or resolved
// or closed only after end.
func openAt(t tickets.Ticket, end time.Time) bool {
	if t.Status.Open() {
		return true
	}
	done := t.ResolvedAt
	if done.IsZero() {
		done = t.ClosedAt
	}
	return !done.IsZero() && done.After(end)
}
