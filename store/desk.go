package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/tickets"
)

// The ticket desk's part of the system of record: the messages it sends
// (outbound.Message), the conversation of a ticket, pending WeChat
// bindings, workers' leaves, and the lookups its keyword flows make on
// campaigns, visits and tickets (migrations/*/0005_desk.sql).

// Sender finds the resident a message on channel came from: by openid on
// WeChat, by mobile number on SMS (the lowest id when family members share
// one), as ResidentByOpenID and ResidentByPhone do, but without the lists
// those load (categories, skills, desired jobs, opt-outs): the desk reads
// none of them on a reply, and they cost four more queries each. An error
// wrapping fault.ErrNotFound when nobody matches.
func (s *Store) Sender(ctx context.Context, channel population.Channel, from string) (population.Resident, error) {
	var query, key string
	var arg any
	switch channel {
	case population.ChannelWeChat:
		o := pii.OpenID(from)
		query, key, arg = "ResidentByOpenID", "with openid "+o.Masked(), string(o)
	case population.ChannelSMS:
		p := pii.NormalizePhone(from)
		query, key, arg = "ResidentByPhone", "with phone "+p.Masked(), string(p)
	default:
		return population.Resident{}, fmt.Errorf("store: sender on channel %q: want wechat or sms", channel)
	}
	r, err := scanResident(s.readRow(ctx, query, arg))
	if err != nil {
		return population.Resident{}, missing(err, fault.Resident, key)
	}
	return r, nil
}

// WorkerByID returns the worker with the given id, released ones (GridCode
// empty) included, or an error wrapping fault.ErrNotFound.
func (s *Store) WorkerByID(ctx context.Context, id int64) (population.Worker, error) {
	w, err := scanWorker(s.readRow(ctx, "WorkerByID", id))
	if err != nil {
		return population.Worker{}, missing(err, fault.Worker, id)
	}
	return w, nil
}

// WorkerByCode returns the worker with the given code (the staff number),
// or an error wrapping fault.ErrNotFound.
func (s *Store) WorkerByCode(ctx context.Context, code string) (population.Worker, error) {
	w, err := scanWorker(s.readRow(ctx, "WorkerByCode", code))
	if err != nil {
		return population.Worker{}, missing(err, fault.Worker, code)
	}
	return w, nil
}

// --- leaves -----------------------------------------------------------------

// SetLeave records a worker's absence from l.From until l.Until
// (exclusive), during which their new tickets go to l.BackupID. Both
// workers must exist (else an error wrapping fault.ErrNotFound) and
// differ, and Until must be after From (else fault.ErrInvalid). Leaves
// may overlap: LeaveAt returns the latest recorded one.
func (s *Store) SetLeave(ctx context.Context, l tickets.Leave) error {
	what := fmt.Sprintf("set leave of worker %d", l.WorkerID)
	switch {
	case l.WorkerID == 0 || l.BackupID == 0:
		return fmt.Errorf("store: %s: worker and backup required: %w", what, fault.ErrInvalid)
	case l.WorkerID == l.BackupID:
		return fmt.Errorf("store: %s: a worker cannot be their own backup: %w", what, fault.ErrInvalid)
	case l.From.IsZero() || !l.Until.After(l.From):
		return fmt.Errorf("store: %s: until %s is not after from %s: %w", what,
			l.Until.UTC().Format(time.RFC3339), l.From.UTC().Format(time.RFC3339), fault.ErrInvalid)
	}
	return s.inTx(ctx, what, func(tx *sql.Tx) error {
		for _, id := range []int64{l.WorkerID, l.BackupID} {
			if _, err := scanWorker(tx.QueryRowContext(ctx, s.q.get("WorkerByID"), id)); errors.Is(err, sql.ErrNoRows) {
				return fault.NotFound(fault.Worker, id)
			} else if err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, s.q.get("InsertLeave"), l.WorkerID, l.BackupID, s.ts(l.From), s.ts(l.Until),
			l.Note, s.ts(s.now()))
		return err
	})
}

// EndLeave ends at at every leave of workerID that covers at (the worker
// is back early); a leave that would start exactly at at is removed, as it
// would be empty. Leaves that start later stay. fault.ErrNotFound when
// no leave covers at.
func (s *Store) EndLeave(ctx context.Context, workerID int64, at time.Time) error {
	what := fmt.Sprintf("end leave of worker %d", workerID)
	return s.inTx(ctx, what, func(tx *sql.Tx) error {
		var n int64
		for _, q := range []struct {
			name string
			args []any
		}{
			{"EndLeave", []any{s.ts(at), workerID}},
			{"DropLeave", []any{workerID, s.ts(at)}},
		} {
			res, err := tx.ExecContext(ctx, s.q.get(q.name), q.args...)
			if err != nil {
				return err
			}
			m, err := res.RowsAffected()
			if err != nil {
				return err
			}
			n += m
		}
		if n == 0 {
			return fmt.Errorf("no leave at %s: %w", at.UTC().Format(time.RFC3339), fault.ErrNotFound)
		}
		return nil
	})
}

// LeaveAt returns the leave of workerID covering at (From <= at < Until),
// the latest recorded if several do, or an error wrapping
// fault.ErrNotFound.
func (s *Store) LeaveAt(ctx context.Context, workerID int64, at time.Time) (tickets.Leave, error) {
	l, err := scanLeave(s.readRow(ctx, "LeaveAt", workerID, s.ts(at)))
	if err != nil {
		return tickets.Leave{}, missing(err, fault.Leave, workerID)
	}
	return l, nil
}

// Leaves returns the leaves that cover at or start later, by start: the
// current and planned absences.
func (s *Store) Leaves(ctx context.Context, at time.Time) ([]tickets.Leave, error) {
	return queryAll(ctx, s, "leaves", "Leaves", scanLeave, s.ts(at))
}

func scanLeave(sc scanner) (tickets.Leave, error) {
	var l tickets.Leave
	err := sc.Scan(&l.WorkerID, &l.BackupID, timeCol{&l.From}, timeCol{&l.Until}, &l.Note)
	return l, err
}

// --- conversations and the reply window --------------------------------------

// Conversation returns ticket ticketID's conversation with the resident in
// time order: the inbound messages linked to it and the desk's messages to
// the resident (notifications to workers are not part of it). On a tie the
// inbound message comes first, then the lower id. An unknown ticket has
// none.
func (s *Store) Conversation(ctx context.Context, ticketID int64) ([]tickets.Entry, error) {
	return queryAll(ctx, s, fmt.Sprintf("ticket %d conversation", ticketID), "Conversation", scanEntry, ticketID)
}

func scanEntry(sc scanner) (tickets.Entry, error) {
	var e tickets.Entry
	var out int
	var channel, route, purpose, status string
	if err := sc.Scan(timeCol{&e.At}, &out, &e.ID, &channel, &route, &purpose, &status, &e.Actor, &e.Text); err != nil {
		return e, err
	}
	e.Inbound, e.Channel = out == 0, population.Channel(channel)
	if !e.Inbound {
		e.Route, e.Purpose, e.Status = outbound.Route(route), outbound.Purpose(purpose), outbound.Status(status)
	}
	return e, nil
}

// ReplyWindow returns when the resident last wrote to the official account
// on WeChat (zero if never) and how many customer-service messages the
// desk has queued, is sending or has sent to them since (failed ones do not count): what tickets.ChooseReply
// needs to respect WeChat's 48-hour, five-message window.
func (s *Store) ReplyWindow(ctx context.Context, residentID int64) (lastInbound time.Time, sentSince int, err error) {
	err = s.readRow(ctx, "ReplyWindow", residentID).Scan(timeCol{&lastInbound}, &sentSince)
	if err != nil {
		return time.Time{}, 0, fmt.Errorf("store: resident %d reply window: %w", residentID, err)
	}
	return lastInbound, sentSince, nil
}

// --- lookups of the keyword flows --------------------------------------------

// LatestOutreach returns the campaign of the latest campaign message sent
// (sent or delivered) to the resident at or after since: what a reply
// without other context answers. fault.ErrNotFound when there is none.
func (s *Store) LatestOutreach(ctx context.Context, residentID int64, since time.Time) (int64, error) {
	var id int64
	if err := s.readRow(ctx, "LatestOutreach", residentID, s.ts(since)).Scan(&id); err != nil {
		return 0, notFound(err, fmt.Sprintf("latest outreach to resident %d", residentID))
	}
	return id, nil
}

// CampaignByExtendCode returns the campaign an SMS extension code belongs
// to: the latest campaign with that code that has a message for the
// resident, else the latest with that code (codes are reused over time).
// fault.ErrNotFound when none has it, or code is empty.
func (s *Store) CampaignByExtendCode(ctx context.Context, code string, residentID int64) (int64, error) {
	var id int64
	if err := s.readRow(ctx, "CampaignByExtendCode", code, residentID).Scan(&id); err != nil {
		return 0, notFound(err, fmt.Sprintf("campaign by extend code %q", code))
	}
	return id, nil
}

// ProposedVisit returns the resident's latest booked visit that is still
// proposed (not confirmed, moved or cancelled) and starts after now: what
// a "confirm" keyword confirms. fault.ErrNotFound when there is none.
func (s *Store) ProposedVisit(ctx context.Context, residentID int64, now time.Time) (campaigns.Visit, error) {
	v, err := scanVisit(s.readRow(ctx, "ProposedVisit", residentID, s.ts(now)))
	if err != nil {
		return campaigns.Visit{}, notFound(err, fmt.Sprintf("proposed visit of resident %d", residentID))
	}
	return v, nil
}

// RatableTicket returns the resident's latest ticket that is resolved,
// unrated, not merged away and resolved at or after since: what a rating
// reply rates. fault.ErrNotFound when there is none.
func (s *Store) RatableTicket(ctx context.Context, residentID int64, since time.Time) (tickets.Ticket, error) {
	t, err := scanTicket(s.readRow(ctx, "RatableTicket", residentID, s.ts(since)))
	if err != nil {
		return tickets.Ticket{}, notFound(err, fmt.Sprintf("ratable ticket of resident %d", residentID))
	}
	return t, nil
}

// OpenTicketsByGrid returns up to limit open tickets (new, assigned, in
// progress or replied) of gridCode with an id above afterID, by id: pass
// the last id of a page to get the next (a handover walks them). A limit
// of zero or less means DefaultTicketsLimit.
func (s *Store) OpenTicketsByGrid(ctx context.Context, gridCode string, afterID int64, limit int) ([]tickets.Ticket, error) {
	if limit <= 0 {
		limit = DefaultTicketsLimit
	}
	return s.collectTickets(ctx, "open tickets of grid "+gridCode, "OpenTicketsByGrid", gridCode, afterID, limit)
}

// OpenTicketsByAssignee pages the open tickets (new, assigned, in
// progress, replied) a worker holds, by id: what moves to their backup
// when they go on leave. A limit of zero or less means
// DefaultTicketsLimit.
func (s *Store) OpenTicketsByAssignee(ctx context.Context, workerID, afterID int64, limit int) ([]tickets.Ticket, error) {
	if limit <= 0 {
		limit = DefaultTicketsLimit
	}
	return s.collectTickets(ctx, fmt.Sprintf("open tickets of worker %d", workerID), "OpenTicketsByAssignee", workerID, afterID, limit)
}

// TicketsCreatedBetween pages the tickets created in [from, to) by id:
// the evaluation's input. A limit of zero or less means
// DefaultTicketsLimit.
func (s *Store) TicketsCreatedBetween(ctx context.Context, from, to time.Time, afterID int64, limit int) ([]tickets.Ticket, error) {
	if limit <= 0 {
		limit = DefaultTicketsLimit
	}
	return s.collectTickets(ctx, "tickets created between", "TicketsCreatedBetween", s.ts(from), s.ts(to), afterID, limit)
}

// ClosedBefore returns up to limit closed tickets that closed before
// before, the longest closed first: what the sweep files. A limit of zero
// or less means DefaultTicketsLimit.
func (s *Store) ClosedBefore(ctx context.Context, before time.Time, limit int) ([]tickets.Ticket, error) {
	if limit <= 0 {
		limit = DefaultTicketsLimit
	}
	return s.collectTickets(ctx, "tickets closed before", "ClosedBefore", s.ts(before), limit)
}

// --- WeChat bindings ---------------------------------------------------------

// StartBinding records a pending binding and returns its id. Any binding
// of the same openid not yet used is marked used (superseded: only the
// latest code counts), in the same transaction. OpenID, ResidentID and
// CodeHash are required and ExpiresAt must be after CreatedAt (else an
// error wrapping fault.ErrInvalid); a zero CreatedAt means the store's
// clock. b.ID and b.UsedAt are ignored.
func (s *Store) StartBinding(ctx context.Context, b tickets.Binding) (int64, error) {
	if b.CreatedAt.IsZero() {
		b.CreatedAt = s.now()
	}
	what := fmt.Sprintf("start binding of %s", b.OpenID.Masked())
	switch {
	case b.OpenID == "" || b.ResidentID == 0 || b.CodeHash == "":
		return 0, fmt.Errorf("store: %s: openid, resident and code hash required: %w", what, fault.ErrInvalid)
	case !b.ExpiresAt.After(b.CreatedAt):
		return 0, fmt.Errorf("store: %s: expiry %s is not after creation: %w", what,
			b.ExpiresAt.UTC().Format(time.RFC3339), fault.ErrInvalid)
	}
	var id int64
	err := s.inTx(ctx, what, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q.get("SupersedeBindings"), s.ts(b.CreatedAt), string(b.OpenID)); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, s.q.get("InsertBinding"), string(b.OpenID), string(b.Phone), b.ResidentID,
			b.CodeHash, b.Attempts, s.ts(b.CreatedAt), s.ts(b.ExpiresAt)).Scan(&id)
	})
	if err != nil {
		return 0, err
	}
	return id, nil
}

// PendingBinding returns the openid's latest binding not yet used that
// expires after now, or an error wrapping fault.ErrNotFound.
func (s *Store) PendingBinding(ctx context.Context, openID pii.OpenID, now time.Time) (tickets.Binding, error) {
	var b tickets.Binding
	var openid, phone string
	err := s.readRow(ctx, "PendingBinding", string(openID), s.ts(now)).Scan(&b.ID, &openid, &phone,
		&b.ResidentID, &b.CodeHash, &b.Attempts, timeCol{&b.CreatedAt}, timeCol{&b.ExpiresAt}, timeCol{&b.UsedAt})
	if err != nil {
		return tickets.Binding{}, notFound(err, "pending binding of "+openID.Masked())
	}
	b.OpenID, b.Phone = pii.OpenID(openid), pii.Phone(phone)
	return b, nil
}

// BindingAttempt counts one wrong code against binding id and returns
// the count so far. fault.ErrNotFound when there is no such binding.
func (s *Store) BindingAttempt(ctx context.Context, id int64) (int, error) {
	var n int
	err := s.inTx(ctx, fmt.Sprintf("count binding %d attempt", id), func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, s.q.get("BindingAttempt"), id).Scan(&n)
		if errors.Is(err, sql.ErrNoRows) {
			return fault.ErrNotFound
		}
		return err
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// UseBinding marks binding id used at now, as one compare-and-set: true
// for exactly one caller, false when it was already used (or superseded).
// fault.ErrNotFound when there is no such binding.
func (s *Store) UseBinding(ctx context.Context, id int64, now time.Time) (bool, error) {
	used := false
	err := s.inTx(ctx, fmt.Sprintf("use binding %d", id), func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q.get("UseBinding"), s.ts(now), id)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 1 {
			used = true
			return nil
		}
		var one int
		if err := tx.QueryRowContext(ctx, s.q.get("BindingExists"), id).Scan(&one); errors.Is(err, sql.ErrNoRows) {
			return fault.ErrNotFound
		} else if err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return false, err
	}
	return used, nil
}
