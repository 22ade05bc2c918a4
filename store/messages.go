package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/population"
)

// The ledger: every message GridCast sends, of every purpose, in one table
// (outbound.Message; migrations/*/0008_one_ledger.sql), with one claim, one
// forward-only advance and one history.

// messageRow is one message on its way into WriteMessages, as the JSON
// object InsertMessages and ChunkMessages read.
type messageRow struct {
	Resident   int64   `json:"r"`
	Channel    string  `json:"c"`
	Status     string  `json:"s"`
	SkipReason string  `json:"k"`
	FallbackOf *int64  `json:"f"`
	NotBefore  *string `json:"nb"`
	Deadline   *string `json:"dl"`
}

type messageKey struct {
	resident int64
	channel  population.Channel
}

// WriteMessages writes one chunk of a campaign run's fan-out in one
// transaction: it inserts msgs as campaign messages — each new row pending,
// or skipped with its SkipReason (skipped residents are written too, so
// nobody is skipped silently) — leaving any row the ledger already holds
// for the same (campaign, run, resident, channel) as it is; it moves the
// run's checkpoint to checkpoint unless it is already further, and marks
// the expansion done when done is true (it never un-marks it). It returns
// every message of the chunk, new or already there, with its id and stored
// status, one per distinct (resident, channel) in the order of msgs:
// re-running a chunk after a crash returns the same ids and writes nothing
// twice, so the caller can enqueue by id unconditionally (pending ones
// only).
//
// Purpose, CampaignID and Run of msgs are taken from the arguments; ID,
// Attempts, provider fields and timestamps are ignored (CreatedAt and
// UpdatedAt are the store's clock, FinishedAt too for skipped rows). The
// run must have been started (StartRun), else fault.ErrNotFound. A message
// may carry FallbackOf, NotBefore and Deadline. Sized for ~500–1000
// messages a call: one multi-row insert, and a read-back when some were
// there already.
func (s *Store) WriteMessages(ctx context.Context, campaignID int64, run int, msgs []outbound.Message, checkpoint int64, done bool) ([]outbound.Message, error) {
	what := fmt.Sprintf("write campaign %d run %d messages", campaignID, run)
	rows := make([]messageRow, 0, len(msgs))
	order := make([]messageKey, 0, len(msgs))
	seen := make(map[messageKey]bool, len(msgs))
	for i, m := range msgs {
		row, err := s.messageRow(m)
		if err != nil {
			return nil, fmt.Errorf("store: %s: message %d: %w", what, i, err)
		}
		k := messageKey{m.ResidentID, m.Channel}
		if seen[k] {
			continue
		}
		seen[k] = true
		rows = append(rows, row)
		order = append(order, k)
	}
	doc, err := json.Marshal(rows)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	byKey := make(map[messageKey]outbound.Message, len(rows))
	err = s.inTx(ctx, what, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q.get("AdvanceRun"), checkpoint, done, campaignID, run)
		if err != nil {
			return fmt.Errorf("checkpoint: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return fmt.Errorf("run not started: %w", fault.ErrNotFound)
		}
		if len(rows) == 0 {
			return nil
		}
		got, err := collectMessages(tx.QueryContext(ctx, s.q.get("InsertMessages"), campaignID, run, s.ts(s.now()), string(doc)))
		if err != nil {
			return fmt.Errorf("insert: %w", err)
		}
		for _, m := range got {
			byKey[messageKey{m.ResidentID, m.Channel}] = m
		}
		if len(got) == len(rows) {
			return nil // all new: nothing to read back
		}
		// A chunk written again after a crash: read back what was there.
		got, err = collectMessages(tx.QueryContext(ctx, s.q.get("ChunkMessages"), campaignID, run, string(doc)))
		if err != nil {
			return fmt.Errorf("read back: %w", err)
		}
		for _, m := range got {
			byKey[messageKey{m.ResidentID, m.Channel}] = m
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]outbound.Message, 0, len(order))
	for _, k := range order {
		m, ok := byKey[k]
		if !ok { // cannot happen: the row was inserted or was there
			return nil, fmt.Errorf("store: %s: resident %d %s not read back", what, k.resident, k.channel)
		}
		out = append(out, m)
	}
	return out, nil
}

// messageRow checks one message of a fan-out chunk and encodes it.
func (s *Store) messageRow(m outbound.Message) (messageRow, error) {
	if m.ResidentID <= 0 {
		return messageRow{}, errors.New("resident id required")
	}
	switch m.Channel {
	case population.ChannelWeChat, population.ChannelSMS:
	case population.ChannelNone:
		if m.Status != outbound.StatusSkipped {
			return messageRow{}, errors.New("channel required unless skipped")
		}
	default:
		return messageRow{}, fmt.Errorf("channel %q: want wechat or sms", m.Channel)
	}
	if err := checkNewStatus(&m); err != nil {
		return messageRow{}, err
	}
	r := messageRow{Resident: m.ResidentID, Channel: string(m.Channel), Status: string(m.Status), SkipReason: string(m.SkipReason)}
	if m.FallbackOf != 0 {
		r.FallbackOf = &m.FallbackOf
	}
	r.NotBefore, r.Deadline = s.tsText(m.NotBefore), s.tsText(m.Deadline)
	return r, nil
}

// checkNewStatus accepts the statuses a message may be written in:
// pending (the default), skipped with a final reason, or failed (a desk
// message that reaches nobody, recorded so that nothing is dropped). A
// test send is written pending: it has its route and recipient.
func checkNewStatus(m *outbound.Message) error {
	switch st := m.Status; {
	case st == "" || st == outbound.StatusPending:
		if m.SkipReason.Final() {
			return fmt.Errorf("pending with skip reason %s: write it as skipped: %w", m.SkipReason, fault.ErrInvalid)
		}
		m.Status = outbound.StatusPending
	case st == outbound.StatusSkipped:
		if !m.SkipReason.Final() {
			return fmt.Errorf("skipped with skip reason %q: a final reason is required: %w", m.SkipReason, fault.ErrInvalid)
		}
	case st == outbound.StatusFailed && m.Purpose.Desk():
	default:
		return fmt.Errorf("status %s: a new message is pending or skipped: %w", st, fault.ErrInvalid)
	}
	return nil
}

// checkMessage checks a message of any purpose before CreateMessage
// writes it.
func checkMessage(m *outbound.Message) error {
	if !m.Purpose.Valid() {
		return fmt.Errorf("purpose %q: want one of %v: %w", m.Purpose, outbound.Purposes, fault.ErrInvalid)
	}
	if !m.Route.Valid() {
		return fmt.Errorf("route %q: want wechat_customer_service, wechat_template, sms or none: %w", m.Route, fault.ErrInvalid)
	}
	if m.Channel == population.ChannelNone {
		m.Channel = m.Route.Channel()
	}
	if m.Channel != m.Route.Channel() {
		return fmt.Errorf("channel %q does not carry route %q: %w", m.Channel, m.Route, fault.ErrInvalid)
	}
	switch m.Purpose {
	case outbound.PurposeCampaign:
		if m.CampaignID <= 0 || m.Run <= 0 || m.ResidentID <= 0 {
			return fmt.Errorf("a campaign message needs its campaign, run and resident: %w", fault.ErrInvalid)
		}
	case outbound.PurposeReminder:
		if m.CampaignID <= 0 || m.SlotID <= 0 || m.ResidentID <= 0 {
			return fmt.Errorf("a reminder needs its campaign, slot and resident: %w", fault.ErrInvalid)
		}
	case outbound.PurposeTest:
		// An officer's own phone: nothing of a campaign run, a resident or
		// a worker, so that no funnel, cap or history counts it.
		if m.CampaignID != 0 || m.Run != 0 || m.TicketID != 0 || m.SlotID != 0 || m.ResidentID != 0 || m.WorkerID != 0 {
			return fmt.Errorf("a test send belongs to no campaign, ticket, slot, resident or worker: %w", fault.ErrInvalid)
		}
		if m.Route != outbound.RouteSMS || m.To == "" || m.TemplateCode == "" || m.Actor == "" {
			return fmt.Errorf("a test send is an SMS with its phone, template and sender: %w", fault.ErrInvalid)
		}
	default:
		if m.Route != outbound.RouteNone && m.To == "" {
			return fmt.Errorf("a %s message needs its recipient: %w", m.Purpose, fault.ErrInvalid)
		}
	}
	if m.Route == outbound.RouteNone && m.Status != outbound.StatusSkipped && m.Status != outbound.StatusFailed {
		return fmt.Errorf("a message with no route is written skipped or failed: %w", fault.ErrInvalid)
	}
	return checkNewStatus(m)
}

// CreateMessage writes one message of any purpose, before any provider
// call, and returns it as stored with created true. A campaign message or
// a reminder the ledger already holds — the same campaign, run, resident
// and channel; the same slot and channel — is not written again: the
// stored one comes back with created false, so a repeated fallback or
// reminder scan writes one message.
//
// m.Status may be empty (pending), skipped with a final SkipReason, or
// failed for a desk message that reaches nobody; a zero CreatedAt is the
// store's clock; zero ids are stored as none. A message that does not
// hold together (an unknown purpose or route, a campaign message without
// its run, a desk message without a recipient) is refused with an error
// wrapping fault.ErrInvalid.
func (s *Store) CreateMessage(ctx context.Context, m outbound.Message) (outbound.Message, bool, error) {
	what := fmt.Sprintf("create %s message", m.Purpose)
	if err := checkMessage(&m); err != nil {
		return outbound.Message{}, false, fmt.Errorf("store: %s: %w", what, err)
	}
	now := s.now()
	if m.CreatedAt.IsZero() {
		m.CreatedAt = now
	}
	var finished any
	if m.Status.Final() {
		finished = s.ts(m.CreatedAt)
	}
	var out outbound.Message
	created := false
	err := s.inTx(ctx, what, func(tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, s.q.get("InsertMessage"), string(m.Purpose), idOrNull(m.CampaignID),
			idOrNull(int64(m.Run)), idOrNull(m.TicketID), idOrNull(m.SlotID), idOrNull(m.ResidentID),
			idOrNull(m.WorkerID), string(m.Channel), string(m.Route), m.RouteReason, m.To, m.Text,
			m.TemplateCode, jsonMap(m.Params), m.URL, m.Actor, string(m.Status), string(m.SkipReason),
			idOrNull(m.FallbackOf), s.tsOrNull(m.NotBefore), s.tsOrNull(m.Deadline), s.ts(m.CreatedAt),
			finished, s.ts(now)).Scan(&id)
		switch {
		case err == nil:
			created = true
			out, err = scanMessage(tx.QueryRowContext(ctx, s.q.get("MessageByID"), id))
			return err
		case !errors.Is(err, sql.ErrNoRows):
			return err
		case m.Purpose == outbound.PurposeCampaign:
			out, err = scanMessage(tx.QueryRowContext(ctx, s.q.get("CampaignMessageByKey"), m.CampaignID, m.Run,
				m.ResidentID, string(m.Channel)))
		case m.Purpose == outbound.PurposeReminder:
			out, err = scanMessage(tx.QueryRowContext(ctx, s.q.get("ReminderByKey"), m.SlotID, string(m.Channel)))
		default:
			return errors.New("insert returned no row")
		}
		if errors.Is(err, sql.ErrNoRows) {
			// The conflict was another constraint's: nothing matches the key.
			return fmt.Errorf("insert refused: %w", fault.ErrConflict)
		}
		return err
	})
	if err != nil {
		return outbound.Message{}, false, err
	}
	return out, created, nil
}

// tsText is a timestamp as JSON text for a row document, nil for zero.
// Both dialects read the tsLayout form (SQLite stores it as is).
func (s *Store) tsText(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	v := t.UTC().Truncate(time.Microsecond).Format(tsLayout)
	return &v
}

// Message returns the message with the given id, or an error wrapping
// fault.ErrNotFound.
func (s *Store) Message(ctx context.Context, id int64) (outbound.Message, error) {
	m, err := scanMessage(s.r.QueryRowContext(ctx, s.q.get("MessageByID"), id))
	if err != nil {
		return outbound.Message{}, missing(err, fault.Message, id)
	}
	return m, nil
}

// ClaimMessage moves message id from pending to sending and counts an
// attempt, as one compare-and-set, and appends the move to its history. It
// returns the claimed message and true; or the message as stored and false
// when it is not pending (already being sent, sent or final), in which case
// the caller must not send — a re-delivered task then does nothing. Of any
// number of concurrent claims exactly one wins. The claim does not look at
// NotBefore or Deadline: the caller checks them on the returned message and
// reschedules (RescheduleMessage) or skips (AdvanceMessage) as they say.
// fault.ErrNotFound when there is no such message.
func (s *Store) ClaimMessage(ctx context.Context, id int64, now time.Time) (outbound.Message, bool, error) {
	var m outbound.Message
	claimed := false
	err := s.inTx(ctx, fmt.Sprintf("claim message %d", id), func(tx *sql.Tx) error {
		var err error
		m, err = scanMessage(tx.QueryRowContext(ctx, s.q.get("ClaimMessage"), s.ts(now), id))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			m, err = scanMessage(tx.QueryRowContext(ctx, s.q.get("MessageByID"), id))
			if errors.Is(err, sql.ErrNoRows) {
				return fault.ErrNotFound
			}
			return err
		case err != nil:
			return err
		}
		claimed = true
		_, err = tx.ExecContext(ctx, s.q.get("InsertMessageEvent"), id, s.ts(now),
			string(outbound.StatusPending), string(outbound.StatusSending), "", fmt.Sprintf("attempt %d", m.Attempts))
		return err
	})
	if err != nil {
		return outbound.Message{}, false, err
	}
	return m, claimed, nil
}

// AdvanceMessage moves message id to status to, forward only
// (Status.CanMove), recording u: a non-empty ProviderID, ProviderCode,
// ProviderMessage, SkipReason or TemplateCode replaces the stored one;
// sent_at is set (once) on a move to sent or delivered, or to failed with a
// ProviderID (the provider had accepted it); finished_at (once) on a move
// to a final status. u.At (zero: the store's clock) dates them and the
// history entry appended in the same transaction. A move to skipped needs a
// final SkipReason. A binding code's parameters are blanked on its first
// move: the code is kept nowhere once it has left.
//
// It returns false and no error when the move is not forward — a late or
// duplicate receipt, or a send result that a receipt overtook. Such a move
// changes no status and appends no history, but still fills a ProviderID,
// TemplateCode or sent_at the ledger lacks. fault.ErrNotFound when there is
// no such message.
func (s *Store) AdvanceMessage(ctx context.Context, id int64, to outbound.Status, u outbound.Update) (bool, error) {
	what := fmt.Sprintf("advance message %d to %s", id, to)
	if to.Rank() < 0 {
		return false, fmt.Errorf("store: %s: unknown status: %w", what, fault.ErrInvalid)
	}
	if to == outbound.StatusSkipped && !u.SkipReason.Final() {
		return false, fmt.Errorf("store: %s: a final skip reason is required, got %q: %w", what, u.SkipReason, fault.ErrInvalid)
	}
	at := u.At
	if at.IsZero() {
		at = s.now()
	}
	var moved bool
	err := s.inTx(ctx, what, func(tx *sql.Tx) error {
		var err error
		moved, err = s.advanceTx(ctx, tx, id, to, u, at)
		return err
	})
	if err != nil {
		return false, err
	}
	return moved, nil
}

// AdvanceMessages is AdvanceMessage for many moves in one transaction (the
// receipts of one push): moved[i] tells whether moves[i] moved its message.
// A move that cannot apply (an unknown status, a skip without a final
// reason, no such message) fails them all.
func (s *Store) AdvanceMessages(ctx context.Context, moves []outbound.Advance) ([]bool, error) {
	moved := make([]bool, len(moves))
	if len(moves) == 0 {
		return moved, nil
	}
	for _, mv := range moves {
		if mv.To.Rank() < 0 {
			return nil, fmt.Errorf("store: advance message %d to %s: unknown status: %w", mv.ID, mv.To, fault.ErrInvalid)
		}
		if mv.To == outbound.StatusSkipped && !mv.Update.SkipReason.Final() {
			return nil, fmt.Errorf("store: advance message %d to skipped: a final skip reason is required: %w", mv.ID, fault.ErrInvalid)
		}
	}
	err := s.inTx(ctx, fmt.Sprintf("advance %d messages", len(moves)), func(tx *sql.Tx) error {
		for i, mv := range moves {
			at := mv.Update.At
			if at.IsZero() {
				at = s.now()
			}
			ok, err := s.advanceTx(ctx, tx, mv.ID, mv.To, mv.Update, at)
			if err != nil {
				return fmt.Errorf("message %d: %w", mv.ID, err)
			}
			moved[i] = ok
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return moved, nil
}

// advanceTx is AdvanceMessage's move inside tx, dated at.
func (s *Store) advanceTx(ctx context.Context, tx *sql.Tx, id int64, to outbound.Status, u outbound.Update, at time.Time) (bool, error) {
	var from, providerID, template string
	var noSentAt bool
	err := tx.QueryRowContext(ctx, s.q.get("MessageForMove"), id).Scan(&from, &providerID, &template, &noSentAt)
	if errors.Is(err, sql.ErrNoRows) {
		return false, fault.ErrNotFound
	}
	if err != nil {
		return false, err
	}
	cur := outbound.Status(from)
	sent := to == outbound.StatusSent || to == outbound.StatusDelivered ||
		(to == outbound.StatusFailed && u.ProviderID != "")
	if !cur.CanMove(to) {
		fill := (providerID == "" && u.ProviderID != "") || (template == "" && u.TemplateCode != "") || (noSentAt && sent)
		if !fill {
			return false, nil
		}
		_, err := tx.ExecContext(ctx, s.q.get("FillMessage"), u.ProviderID, u.TemplateCode,
			s.tsIf(sent, at), s.ts(s.now()), id)
		return false, err
	}
	res, err := tx.ExecContext(ctx, s.q.get("AdvanceMessage"), string(to), u.ProviderID, u.ProviderCode,
		u.ProviderMessage, string(u.SkipReason), u.TemplateCode, s.tsIf(sent, at), s.tsIf(to.Final(), at),
		s.ts(s.now()), id, from)
	if err != nil {
		return false, err
	}
	if n, err := res.RowsAffected(); err != nil {
		return false, err
	} else if n != 1 { // the row is locked (FOR UPDATE, or SQLite's single writer)
		return false, fmt.Errorf("message %d changed under its lock", id)
	}
	code, note := u.ProviderCode, u.ProviderMessage
	if to == outbound.StatusSkipped {
		code = string(u.SkipReason)
	}
	if _, err := tx.ExecContext(ctx, s.q.get("InsertMessageEvent"), id, s.ts(at), from, string(to), code, note); err != nil {
		return false, err
	}
	return true, nil
}

// tsIf is ts(t) when cond holds, NULL otherwise.
func (s *Store) tsIf(cond bool, t time.Time) any {
	if !cond {
		return nil
	}
	return s.ts(t)
}

// RescheduleMessage hands a claimed message back: sending → pending with
// NotBefore set to notBefore (quiet hours, a frequency cap, throttling, a
// retry), appending the move with reason as its code to the history. The
// attempt ClaimMessage counted stays counted. The caller enqueues the
// message again for notBefore. An error wrapping fault.ErrConflict when
// the message is not sending; fault.ErrNotFound when there is none.
func (s *Store) RescheduleMessage(ctx context.Context, id int64, notBefore time.Time, reason string) error {
	return s.reschedule(ctx, id, -1, notBefore, reason, "", "", time.Time{})
}

// UnknownOutcome is RescheduleMessage for a message whose provider call
// got no answer: it records the call's OutId (outID) and time (at) on the
// message, and its wait reason outbound.WaitOutcomeUnknown, so the next
// attempt settles it with the provider before sending again.
func (s *Store) UnknownOutcome(ctx context.Context, id int64, outID string, at, notBefore time.Time) error {
	return s.reschedule(ctx, id, -1, notBefore, outbound.WaitOutcomeUnknown, "unknown", outID, at)
}

// MarkAttempt records outID, the OutId one provider call (an SMS batch) is
// about to carry, on each of ids still sending, so that a worker killed
// before it records the answer leaves behind what to ask the provider.
func (s *Store) MarkAttempt(ctx context.Context, ids []int64, outID string) error {
	if _, err := s.w.ExecContext(ctx, s.q.get("MarkAttempt"), outID, s.int64s(ids)); err != nil {
		return fmt.Errorf("store: mark attempt %s: %w", outID, err)
	}
	return nil
}

// RecoverMessage is RescheduleMessage for a message found stuck in sending
// by someone other than the worker that claimed it: it moves the message
// back only while its attempt count is still attempts, the one that was
// read. The crashed worker's call may have gone out, so the message's
// outcome becomes unknown as of its claim (AttemptedAt), under the OutID
// it holds or its own id. Two reconcilers, or a reconciler racing a worker that has since
// claimed the message again, cannot then both hand it back (which could
// send it twice); the loser gets fault.ErrConflict.
func (s *Store) RecoverMessage(ctx context.Context, id int64, attempts int, notBefore time.Time, reason string) error {
	return s.reschedule(ctx, id, attempts, notBefore, reason, "recover", "", time.Time{})
}

// reschedule moves id from sending to pending; attempts < 0 means any.
// mode "unknown" records an unknown outcome of the call outID made at at,
// "recover" one of the crashed claim.
func (s *Store) reschedule(ctx context.Context, id int64, attempts int, notBefore time.Time, reason, mode, outID string, at time.Time) error {
	return s.inTx(ctx, fmt.Sprintf("reschedule message %d", id), func(tx *sql.Tx) error {
		now := s.now()
		res, err := tx.ExecContext(ctx, s.q.get("RescheduleMessage"), s.tsOrNull(notBefore), s.ts(now), id, attempts,
			reason, mode, outID, s.tsOrNull(at))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			m, err := scanMessage(tx.QueryRowContext(ctx, s.q.get("MessageByID"), id))
			if errors.Is(err, sql.ErrNoRows) {
				return fault.ErrNotFound
			}
			if err != nil {
				return err
			}
			if m.Status == outbound.StatusSending {
				return fmt.Errorf("message was claimed again (attempt %d, not %d): %w", m.Attempts, attempts, fault.ErrConflict)
			}
			return fmt.Errorf("message is %s, not sending: %w", m.Status, fault.ErrConflict)
		}
		note := ""
		if !notBefore.IsZero() {
			note = "not before " + notBefore.UTC().Format(time.RFC3339)
		}
		_, err = tx.ExecContext(ctx, s.q.get("InsertMessageEvent"), id, s.ts(now),
			string(outbound.StatusSending), string(outbound.StatusPending), reason, note)
		return err
	})
}

// scanMessage reads the columns every message query selects, in order.
func scanMessage(sc scanner) (outbound.Message, error) {
	var m outbound.Message
	var purpose, channel, route, params, status, reason string
	var run int64
	err := sc.Scan(&m.ID, &purpose, &m.CampaignID, &run, &m.TicketID, &m.SlotID, &m.ResidentID, &m.WorkerID,
		&channel, &route, &m.RouteReason, &m.To, &m.Text, &m.TemplateCode, &params, &m.URL, &m.Actor, &status,
		&reason, &m.FallbackOf, &m.Attempts, &m.ProviderID, &m.ProviderCode, &m.ProviderMessage,
		timeCol{&m.NotBefore}, timeCol{&m.Deadline}, timeCol{&m.CreatedAt}, timeCol{&m.SentAt},
		timeCol{&m.FinishedAt}, timeCol{&m.UpdatedAt}, &m.OutID, timeCol{&m.AttemptedAt}, &m.WaitReason)
	if err != nil {
		return m, err
	}
	m.Run = int(run)
	m.Purpose, m.Channel, m.Route = outbound.Purpose(purpose), population.Channel(channel), outbound.Route(route)
	m.Status, m.SkipReason = outbound.Status(status), outbound.SkipReason(reason)
	if params != "" && params != "{}" {
		if err := json.Unmarshal([]byte(params), &m.Params); err != nil {
			return m, fmt.Errorf("message %d params: %w", m.ID, err)
		}
	}
	return m, nil
}

// collectMessages scans every row of a message query and closes it.
func collectMessages(rows *sql.Rows, err error) ([]outbound.Message, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []outbound.Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}
