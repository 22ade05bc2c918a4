package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/gridcast/gridcast/dispatch"
	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/tickets"
)

// Supervise stores a 督办 flag on sv.TicketID and returns it with its id
// and time. A flag of the system (sv.By tickets.ActorSystem) raises the
// system's own standing flag: that one is lifted in the same transaction
// with the note "raised to <level>". A person's flag is refused with
// fault.ErrConflict while another person's flag stands on the ticket. A
// flag without an actor or with a note too long is fault.ErrInvalid; a
// ticket that does not exist is a fault.NotFoundError.
func (s *Store) Supervise(ctx context.Context, sv tickets.Supervision) (tickets.Supervision, error) {
	if err := tickets.CheckSupervision(sv.By, sv.Note); err != nil {
		return sv, fault.Refuse(fault.ErrInvalid, err.Error(), "督办无效：须注明督办人，说明不超过500字", err)
	}
	if _, err := s.Ticket(ctx, sv.TicketID); err != nil {
		return sv, err
	}
	sv.By, sv.Note = strings.TrimSpace(sv.By), strings.TrimSpace(sv.Note)
	sv.At = s.now().UTC().Truncate(time.Microsecond)
	sv.ClearedAt, sv.ClearedBy, sv.ClearedNote = time.Time{}, "", ""
	err := s.inTx(ctx, fmt.Sprintf("supervise ticket %d", sv.TicketID), func(tx *sql.Tx) error {
		if sv.By == tickets.ActorSystem {
			if _, err := tx.ExecContext(ctx, s.q.get("ClearSupervisions"), s.ts(sv.At), tickets.ActorSystem,
				tickets.RaisedNote+string(sv.Level), sv.TicketID, tickets.ActorSystem); err != nil {
				return err
			}
		} else {
			standing, err := s.supervisions(ctx, tx, "SupervisionsOfTicket", sv.TicketID)
			if err != nil {
				return err
			}
			for _, o := range standing {
				if o.Active() && o.By != tickets.ActorSystem {
					return fault.Refuse(fault.ErrConflict,
						fmt.Sprintf("ticket %d is already under supervision by %s since %s", sv.TicketID, o.By, o.At.Format(time.DateTime)),
						fmt.Sprintf("工单 #%d 已由%s督办", sv.TicketID, o.By), nil)
				}
			}
		}
		return tx.QueryRowContext(ctx, s.q.get("InsertSupervision"), sv.TicketID, string(sv.Level), sv.By, sv.Note, s.ts(sv.At)).Scan(&sv.ID)
	})
	return sv, err
}

// Unsupervise lifts every flag standing on ticket id, on behalf of by
// with note, and returns how many it lifted. A ticket with none is
// refused with fault.ErrConflict; one that does not exist is a
// fault.NotFoundError.
func (s *Store) Unsupervise(ctx context.Context, id int64, by, note string) (int, error) {
	if err := tickets.CheckSupervision(by, note); err != nil {
		return 0, fault.Refuse(fault.ErrInvalid, err.Error(), "撤销督办无效：须注明操作人，说明不超过500字", err)
	}
	if _, err := s.Ticket(ctx, id); err != nil {
		return 0, err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	res, err := s.w.ExecContext(ctx, s.q.get("ClearSupervisions"), s.ts(now), strings.TrimSpace(by), strings.TrimSpace(note), id, "")
	if err != nil {
		return 0, fmt.Errorf("store: unsupervise ticket %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store: unsupervise ticket %d: %w", id, err)
	}
	if n == 0 {
		return 0, fault.Refuse(fault.ErrConflict, fmt.Sprintf("ticket %d is not under supervision", id),
			fmt.Sprintf("工单 #%d 未在督办中", id), nil)
	}
	return int(n), nil
}

// Supervisions returns every flag ticket id ever had, standing or lifted,
// oldest first: its 督办 history.
func (s *Store) Supervisions(ctx context.Context, id int64) ([]tickets.Supervision, error) {
	return s.supervisions(ctx, s.r, "SupervisionsOfTicket", id)
}

// ActiveSupervisions returns the latest standing flag of each ticket of
// ids that has one, in one query (the ticket lists show them).
func (s *Store) ActiveSupervisions(ctx context.Context, ids []int64) (map[int64]tickets.Supervision, error) {
	out := map[int64]tickets.Supervision{}
	if len(ids) == 0 {
		return out, nil
	}
	all, err := s.supervisions(ctx, s.r, "ActiveSupervisions", s.int64s(ids))
	if err != nil {
		return nil, err
	}
	for _, sv := range all {
		out[sv.TicketID] = sv // ordered by id: the latest wins
	}
	return out, nil
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func (s *Store) supervisions(ctx context.Context, q querier, query string, args ...any) ([]tickets.Supervision, error) {
	rows, err := q.QueryContext(ctx, s.q.get(query), args...)
	if err != nil {
		return nil, fmt.Errorf("store: supervisions: %w", err)
	}
	defer rows.Close()
	var out []tickets.Supervision
	for rows.Next() {
		var sv tickets.Supervision
		var level string
		if err := rows.Scan(&sv.ID, &sv.TicketID, &level, &sv.By, &sv.Note, timeCol{&sv.At}, timeCol{&sv.ClearedAt},
			&sv.ClearedBy, &sv.ClearedNote); err != nil {
			return nil, fmt.Errorf("store: supervisions: %w", err)
		}
		sv.Level = tickets.Level(level)
		out = append(out, sv)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: supervisions: %w", err)
	}
	return out, nil
}

// DispatchSummary counts the tasks dispatched in [from, to) per
// department by where they stand at now, the tickets dispatched and the
// tickets flagged 督办 in the period.
func (s *Store) DispatchSummary(ctx context.Context, from, to, now time.Time) (dispatch.Summary, error) {
	var out dispatch.Summary
	rows, err := s.r.QueryContext(ctx, s.q.get("DispatchFigures"), s.ts(now), s.ts(from), s.ts(to))
	if err != nil {
		return out, fmt.Errorf("store: dispatch figures: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var f dispatch.Figures
		if err := rows.Scan(&f.Department, &f.Tasks, &f.Tickets, &f.Open, &f.Overdue, &f.Returned, &f.Resolved, &f.Cancelled); err != nil {
			return out, fmt.Errorf("store: dispatch figures: %w", err)
		}
		out.Departments = append(out.Departments, f)
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("store: dispatch figures: %w", err)
	}
	if err := s.r.QueryRowContext(ctx, s.q.get("DispatchedTickets"), s.ts(from), s.ts(to)).Scan(&out.Dispatched); err != nil {
		return out, fmt.Errorf("store: dispatched tickets: %w", err)
	}
	if err := s.r.QueryRowContext(ctx, s.q.get("SupervisedTickets"), s.ts(from), s.ts(to)).Scan(&out.Supervised, &out.SupervisedBySystem); err != nil {
		return out, fmt.Errorf("store: supervised tickets: %w", err)
	}
	return out, nil
}
