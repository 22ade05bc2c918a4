package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/gridcast/gridcast/dispatch"
	"github.com/gridcast/gridcast/fault"
)

// DispatchTasks stores new tasks — one department's, or several for
// 吹哨报到 — in one transaction, each with its dispatch event, and returns
// them with their ids. Each is validated against the known departments
// first (fault.ErrInvalid, nothing written); a ticket that does not exist
// is a fault.NotFoundError.
func (s *Store) DispatchTasks(ctx context.Context, ts []dispatch.Task, known []dispatch.Department) ([]dispatch.Task, error) {
	now := s.now().UTC().Truncate(time.Microsecond)
	if len(ts) == 0 {
		return nil, fault.Refuse(fault.ErrInvalid, "dispatch: no department named", "请至少选择一个部门", nil)
	}
	for _, t := range ts {
		if err := t.Validate(known, now); err != nil {
			return nil, fault.Refuse(fault.ErrInvalid, fmt.Sprintf("dispatch: %v", err), fmt.Sprintf("分拨无效：%v", err), nil)
		}
		if _, err := s.Ticket(ctx, t.TicketID); err != nil {
			return nil, err
		}
	}
	out := make([]dispatch.Task, 0, len(ts))
	err := s.inTx(ctx, "dispatch", func(tx *sql.Tx) error {
		for _, t := range ts {
			t.State, t.CreatedAt, t.UpdatedAt = dispatch.StateDispatched, now, now
			t.DueAt = t.DueAt.UTC().Truncate(time.Microsecond)
			err := tx.QueryRowContext(ctx, s.q.get("InsertTask"), t.TicketID, t.Department, string(t.State), s.ts(t.DueAt),
				t.Note, t.DispatchedBy, s.ts(now), s.ts(now)).Scan(&t.ID)
			if err != nil {
				return err
			}
			if err := s.insertTaskEvent(ctx, tx, dispatch.Event{TaskID: t.ID, At: now, Actor: t.DispatchedBy,
				Action: dispatch.ActionDispatch, To: dispatch.StateDispatched, Note: t.Note}); err != nil {
				return err
			}
			out = append(out, t)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// MoveTask applies m to task id (dispatch.Apply) and records the event, in
// one transaction. A move the task's state does not allow is refused with
// fault.ErrConflict; a task changed by someone else meanwhile too (read it
// again); an unknown task is a fault.NotFoundError.
func (s *Store) MoveTask(ctx context.Context, id int64, m dispatch.Move) (dispatch.Task, error) {
	var out dispatch.Task
	err := s.inTx(ctx, fmt.Sprintf("move task %d", id), func(tx *sql.Tx) error {
		t, err := scanTask(tx.QueryRowContext(ctx, s.q.get("TaskByID"), id))
		if err != nil {
			return missing(err, taskThing, id)
		}
		now := s.now().UTC().Truncate(time.Microsecond)
		next, ev, err := dispatch.Apply(t, m, now)
		if err != nil {
			return fault.Refuse(fault.ErrConflict, err.Error(), "部门任务当前状态不允许此操作："+err.Error(), err)
		}
		res, err := tx.ExecContext(ctx, s.q.get("UpdateTask"), string(next.State), s.ts(next.DueAt), s.tsOrNull(next.ExtendTo),
			next.Feedback, next.Reason, s.ts(now), id, string(t.State))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return errors.Join(err, fault.Refuse(fault.ErrConflict, "the task changed meanwhile; read it again", "任务已被他人更新，请刷新后重试", nil))
		}
		out = next
		return s.insertTaskEvent(ctx, tx, ev)
	})
	return out, err
}

var taskThing = fault.Thing{En: "department task", Zh: "部门任务"}

// Task returns one task; a fault.NotFoundError when there is none.
func (s *Store) Task(ctx context.Context, id int64) (dispatch.Task, error) {
	t, err := scanTask(s.r.QueryRowContext(ctx, s.q.get("TaskByID"), id))
	if err != nil {
		return dispatch.Task{}, missing(err, taskThing, id)
	}
	return t, nil
}

// TasksOfTicket returns a ticket's tasks in the order they were made.
func (s *Store) TasksOfTicket(ctx context.Context, ticketID int64) ([]dispatch.Task, error) {
	return s.tasks(ctx, "TasksOfTicket", ticketID)
}

// TasksOfTickets returns the tasks of the tickets ids in one query, by
// ticket and then in the order they were made; none for no ids.
func (s *Store) TasksOfTickets(ctx context.Context, ids []int64) ([]dispatch.Task, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(ids)
	if err != nil {
		return nil, fmt.Errorf("store: tasks: %w", err)
	}
	return s.tasks(ctx, "TasksOfTickets", string(b))
}

// DepartmentTasks returns a department's open tasks, soonest deadline
// first, at most limit (DefaultTicketsLimit when zero or less).
func (s *Store) DepartmentTasks(ctx context.Context, department string, limit int) ([]dispatch.Task, error) {
	if limit <= 0 {
		limit = DefaultTicketsLimit
	}
	return s.tasks(ctx, "DepartmentTasks", department, limit)
}

func (s *Store) tasks(ctx context.Context, query string, args ...any) ([]dispatch.Task, error) {
	rows, err := s.r.QueryContext(ctx, s.q.get(query), args...)
	if err != nil {
		return nil, fmt.Errorf("store: tasks: %w", err)
	}
	defer rows.Close()
	var out []dispatch.Task
	for rows.Next() {
		t, err := scanTask(rows)
		if err != nil {
			return nil, fmt.Errorf("store: tasks: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: tasks: %w", err)
	}
	return out, nil
}

// TaskEvents returns a task's timeline, oldest first.
func (s *Store) TaskEvents(ctx context.Context, taskID int64) ([]dispatch.Event, error) {
	rows, err := s.r.QueryContext(ctx, s.q.get("TaskEvents"), taskID)
	if err != nil {
		return nil, fmt.Errorf("store: task events: %w", err)
	}
	defer rows.Close()
	var out []dispatch.Event
	for rows.Next() {
		var ev dispatch.Event
		var action, from, to string
		if err := rows.Scan(&ev.TaskID, timeCol{&ev.At}, &ev.Actor, &action, &from, &to, &ev.Note); err != nil {
			return nil, fmt.Errorf("store: task events: %w", err)
		}
		ev.Action, ev.From, ev.To = dispatch.Action(action), dispatch.State(from), dispatch.State(to)
		out = append(out, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: task events: %w", err)
	}
	return out, nil
}

func (s *Store) insertTaskEvent(ctx context.Context, tx *sql.Tx, ev dispatch.Event) error {
	_, err := tx.ExecContext(ctx, s.q.get("InsertTaskEvent"), ev.TaskID, s.ts(ev.At), ev.Actor, string(ev.Action),
		string(ev.From), string(ev.To), ev.Note)
	return err
}

func scanTask(sc scanner) (dispatch.Task, error) {
	var t dispatch.Task
	var state string
	err := sc.Scan(&t.ID, &t.TicketID, &t.Department, &state, timeCol{&t.DueAt}, timeCol{&t.ExtendTo}, &t.Note,
		&t.Feedback, &t.Reason, &t.DispatchedBy, timeCol{&t.CreatedAt}, timeCol{&t.UpdatedAt})
	t.State = dispatch.State(state)
	return t, err
}
