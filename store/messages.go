package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/population"
)

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

// WriteMessages writes one chunk of a run's fan-out in one transaction:
// it inserts msgs — each new row pending, or skipped with its SkipReason
// (skipped residents are written too, so nobody is skipped silently) —
// leaving any row the ledger already holds for the same (campaign, run,
// resident, channel) as it is; it moves the run's checkpoint to checkpoint
// unless it is already further, and marks the expansion done when done is
// true (it never un-marks it). It returns every message of the chunk, new
// or already there, with its id and stored status, one per distinct
// (resident, channel) in the order of msgs: re-running a chunk after a
// crash returns the same ids and writes nothing twice, so the caller can
// enqueue by id unconditionally (pending ones only).
//
// CampaignID and Run of msgs are taken from the arguments; ID, Attempts,
// provider fields and timestamps are ignored (CreatedAt and UpdatedAt are
// the store's clock, FinishedAt too for skipped rows). The run must have
// been started (StartRun), else fault.ErrNotFound. A message may carry
// FallbackOf, NotBefore and Deadline; a checkpoint of 0 with done false
// leaves the run's progress alone, which is how a sender writes an SMS
// fallback outside the fan-out. Sized for ~500–1000 messages a call: one
// multi-row insert and one read-back.
func (s *Store) WriteMessages(ctx context.Context, campaignID int64, run int, msgs []campaigns.Message, checkpoint int64, done bool) ([]campaigns.Message, error) {
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
	byKey := make(map[messageKey]campaigns.Message, len(rows))
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
		if _, err := tx.ExecContext(ctx, s.q.get("InsertMessages"), campaignID, run, s.ts(s.now()), string(doc)); err != nil {
			return fmt.Errorf("insert: %w", err)
		}
		got, err := collectMessages(tx.QueryContext(ctx, s.q.get("ChunkMessages"), campaignID, run, string(doc)))
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
	out := make([]campaigns.Message, 0, len(order))
	for _, k := range order {
		m, ok := byKey[k]
		if !ok { // cannot happen: the row was inserted or was there
			return nil, fmt.Errorf("store: %s: resident %d %s not read back", what, k.resident, k.channel)
		}
		out = append(out, m)
	}
	return out, nil
}

// messageRow checks one message of a chunk and encodes it.
func (s *Store) messageRow(m campaigns.Message) (messageRow, error) {
	if m.ResidentID <= 0 {
		return messageRow{}, errors.New("resident id required")
	}
	switch m.Channel {
	case population.ChannelWeChat, population.ChannelSMS:
	case population.ChannelNone:
		if m.Status != campaigns.StatusSkipped {
			return messageRow{}, errors.New("channel required unless skipped")
		}
	default:
		return messageRow{}, fmt.Errorf("channel %q: want wechat or sms", m.Channel)
	}
	switch st := m.Status; {
	case st == "" || st == campaigns.StatusPending:
		if m.SkipReason.Final() {
			return messageRow{}, fmt.Errorf("pending with skip reason %s: write it as skipped", m.SkipReason)
		}
		m.Status = campaigns.StatusPending
	case st == campaigns.StatusSkipped:
		if !m.SkipReason.Final() {
			return messageRow{}, fmt.Errorf("skipped with skip reason %q: a final reason is required", m.SkipReason)
		}
	default:
		return messageRow{}, fmt.Errorf("status %s: a new message is pending or skipped", st)
	}
	r := messageRow{Resident: m.ResidentID, Channel: string(m.Channel), Status: string(m.Status), SkipReason: string(m.SkipReason)}
	if m.FallbackOf != 0 {
		r.FallbackOf = &m.FallbackOf
	}
	r.NotBefore, r.Deadline = s.tsText(m.NotBefore), s.tsText(m.Deadline)
	return r, nil
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
func (s *Store) Message(ctx context.Context, id int64) (campaigns.Message, error) {
	m, err := scanMessage(s.r.QueryRowContext(ctx, s.q.get("MessageByID"), id))
	if err != nil {
		return campaigns.Message{}, notFound(err, fmt.Sprintf("message %d", id))
	}
	return m, nil
}

// MessagesByStatus pages through one campaign's messages in status st by
// id: up to limit messages with an id above afterID, in id order. Pass the
// last id of a page as the next afterID. This is how work lost from Redis
// is rebuilt: pending messages are re-enqueued by id (a duplicate task is
// harmless, ClaimMessage lets one through), and sending ones are reconciled
// with the provider.
func (s *Store) MessagesByStatus(ctx context.Context, campaignID int64, st campaigns.Status, afterID int64, limit int) ([]campaigns.Message, error) {
	if limit <= 0 {
		return nil, nil
	}
	ms, err := collectMessages(s.r.QueryContext(ctx, s.q.get("MessagesByStatus"), campaignID, string(st), afterID, limit))
	if err != nil {
		return nil, fmt.Errorf("store: campaign %d %s messages: %w", campaignID, st, err)
	}
	return ms, nil
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
func (s *Store) ClaimMessage(ctx context.Context, id int64, now time.Time) (campaigns.Message, bool, error) {
	var m campaigns.Message
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
			string(campaigns.StatusPending), string(campaigns.StatusSending), "", fmt.Sprintf("attempt %d", m.Attempts))
		return err
	})
	if err != nil {
		return campaigns.Message{}, false, err
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
// final SkipReason.
//
// It returns false and no error when the move is not forward — a late or
// duplicate receipt, or a send result that a receipt overtook. Such a move
// changes no status and appends no history, but still fills a ProviderID,
// TemplateCode or sent_at the ledger lacks. fault.ErrNotFound when there
// is no such message.
func (s *Store) AdvanceMessage(ctx context.Context, id int64, to campaigns.Status, u campaigns.MessageUpdate) (bool, error) {
	what := fmt.Sprintf("advance message %d to %s", id, to)
	if to.Rank() < 0 {
		return false, fmt.Errorf("store: %s: unknown status", what)
	}
	if to == campaigns.StatusSkipped && !u.SkipReason.Final() {
		return false, fmt.Errorf("store: %s: a final skip reason is required, got %q", what, u.SkipReason)
	}
	at := u.At
	if at.IsZero() {
		at = s.now()
	}
	moved := false
	err := s.inTx(ctx, what, func(tx *sql.Tx) error {
		var from, providerID, template string
		var noSentAt bool
		err := tx.QueryRowContext(ctx, s.q.get("MessageForMove"), id).Scan(&from, &providerID, &template, &noSentAt)
		if errors.Is(err, sql.ErrNoRows) {
			return fault.ErrNotFound
		}
		if err != nil {
			return err
		}
		cur := campaigns.Status(from)
		sent := to == campaigns.StatusSent || to == campaigns.StatusDelivered ||
			(to == campaigns.StatusFailed && u.ProviderID != "")
		if !cur.CanMove(to) {
			fill := (providerID == "" && u.ProviderID != "") || (template == "" && u.TemplateCode != "") || (noSentAt && sent)
			if !fill {
				return nil
			}
			_, err := tx.ExecContext(ctx, s.q.get("FillMessage"), u.ProviderID, u.TemplateCode,
				s.tsIf(sent, at), s.ts(s.now()), id)
			return err
		}
		res, err := tx.ExecContext(ctx, s.q.get("AdvanceMessage"), string(to), u.ProviderID, u.ProviderCode,
			u.ProviderMessage, string(u.SkipReason), u.TemplateCode, s.tsIf(sent, at), s.tsIf(to.Final(), at),
			s.ts(s.now()), id, from)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 { // the row is locked (FOR UPDATE, or SQLite's single writer)
			return fmt.Errorf("message %d changed under its lock", id)
		}
		code, note := u.ProviderCode, u.ProviderMessage
		if to == campaigns.StatusSkipped {
			code = string(u.SkipReason)
		}
		if _, err := tx.ExecContext(ctx, s.q.get("InsertMessageEvent"), id, s.ts(at), from, string(to), code, note); err != nil {
			return err
		}
		moved = true
		return nil
	})
	if err != nil {
		return false, err
	}
	return moved, nil
}

// tsIf is ts(t) when cond holds, NULL otherwise.
func (s *Store) tsIf(cond bool, t time.Time) any {
	if !cond {
		return nil
	}
	return s.ts(t)
}

// RescheduleMessage hands a claimed message back: sending → pending with
// NotBefore set to notBefore (quiet hours, a frequency cap, throttling),
// appending the move with reason as its code to the history. The attempt
// ClaimMessage counted stays counted. The caller enqueues the message
// again for notBefore. An error wrapping fault.ErrConflict when the message is
// not sending; fault.ErrNotFound when there is none.
func (s *Store) RescheduleMessage(ctx context.Context, id int64, notBefore time.Time, reason string) error {
	return s.reschedule(ctx, id, -1, notBefore, reason)
}

// RecoverMessage is RescheduleMessage for a message found stuck in sending
// by someone other than the worker that claimed it: it moves the message
// back only while its attempt count is still attempts, the one that was
// read. Two reconcilers, or a reconciler racing a worker that has since
// claimed the message again, cannot then both hand it back (which could
// send it twice); the loser gets fault.ErrConflict.
func (s *Store) RecoverMessage(ctx context.Context, id int64, attempts int, notBefore time.Time, reason string) error {
	return s.reschedule(ctx, id, attempts, notBefore, reason)
}

// reschedule moves id from sending to pending; attempts < 0 means any.
func (s *Store) reschedule(ctx context.Context, id int64, attempts int, notBefore time.Time, reason string) error {
	return s.inTx(ctx, fmt.Sprintf("reschedule message %d", id), func(tx *sql.Tx) error {
		now := s.now()
		res, err := tx.ExecContext(ctx, s.q.get("RescheduleMessage"), s.tsOrNull(notBefore), s.ts(now), id, attempts)
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
			if m.Status == campaigns.StatusSending {
				return fmt.Errorf("message was claimed again (attempt %d, not %d): %w", m.Attempts, attempts, fault.ErrConflict)
			}
			return fmt.Errorf("message is %s, not sending: %w", m.Status, fault.ErrConflict)
		}
		note := ""
		if !notBefore.IsZero() {
			note = "not before " + notBefore.UTC().Format(time.RFC3339)
		}
		_, err = tx.ExecContext(ctx, s.q.get("InsertMessageEvent"), id, s.ts(now),
			string(campaigns.StatusSending), string(campaigns.StatusPending), reason, note)
		return err
	})
}

// MessageByProviderID finds the message a provider knows as providerID
// (Aliyun BizId, WeChat msgid) on channel — the latest, should a provider
// ever reuse one — or returns an error wrapping fault.ErrNotFound. A
// message gets its provider id on the move to sent; a receipt that arrives
// earlier should be matched by the message id it carries (Aliyun OutId).
func (s *Store) MessageByProviderID(ctx context.Context, channel population.Channel, providerID string) (campaigns.Message, error) {
	m, err := scanMessage(s.r.QueryRowContext(ctx, s.q.get("MessageByProvider"), string(channel), providerID))
	if err != nil {
		return campaigns.Message{}, notFound(err, fmt.Sprintf("%s message by provider id %q", channel, providerID))
	}
	return m, nil
}

// MessageEvents returns message id's history, oldest first: each claim
// (pending → sending, "attempt N"), reschedule, send result, receipt and
// skip. The creation is the message row itself (CreatedAt). An unknown
// message has none.
func (s *Store) MessageEvents(ctx context.Context, id int64) ([]campaigns.MessageEvent, error) {
	rows, err := s.r.QueryContext(ctx, s.q.get("MessageEvents"), id)
	if err != nil {
		return nil, fmt.Errorf("store: message %d events: %w", id, err)
	}
	defer rows.Close()
	var out []campaigns.MessageEvent
	for rows.Next() {
		var ev campaigns.MessageEvent
		var from, to string
		if err := rows.Scan(&ev.MessageID, timeCol{&ev.At}, &from, &to, &ev.Code, &ev.Note); err != nil {
			return nil, fmt.Errorf("store: message %d events: %w", id, err)
		}
		ev.From, ev.To = campaigns.Status(from), campaigns.Status(to)
		out = append(out, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: message %d events: %w", id, err)
	}
	return out, nil
}

// Funnel counts a campaign's messages, over all its runs, in one grouped
// query: Targeted is every message that is not an SMS fallback (one per
// resident and run), Skipped counts skipped messages by reason, and
// ByChannel the rest by status, failures also by provider code. Maps are
// never nil; FailedBy is nil for a channel without failures.
func (s *Store) Funnel(ctx context.Context, campaignID int64) (campaigns.Funnel, error) {
	f := campaigns.Funnel{ByChannel: map[population.Channel]campaigns.ChannelFunnel{}, Skipped: map[campaigns.SkipReason]int{}}
	rows, err := s.r.QueryContext(ctx, s.q.get("Funnel"), campaignID)
	if err != nil {
		return f, fmt.Errorf("store: campaign %d funnel: %w", campaignID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var channel, status, reason, code string
		var fallback, n int
		if err := rows.Scan(&channel, &status, &reason, &code, &fallback, &n); err != nil {
			return f, fmt.Errorf("store: campaign %d funnel: %w", campaignID, err)
		}
		if fallback == 0 {
			f.Targeted += n
		}
		if campaigns.Status(status) == campaigns.StatusSkipped {
			f.Skipped[campaigns.SkipReason(reason)] += n
			continue
		}
		cf := f.ByChannel[population.Channel(channel)]
		switch campaigns.Status(status) {
		case campaigns.StatusPending:
			cf.Pending += n
		case campaigns.StatusSending:
			cf.Sending += n
		case campaigns.StatusSent:
			cf.Sent += n
		case campaigns.StatusDelivered:
			cf.Delivered += n
		case campaigns.StatusFailed:
			cf.Failed += n
			if cf.FailedBy == nil {
				cf.FailedBy = map[string]int{}
			}
			cf.FailedBy[code] += n
		}
		f.ByChannel[population.Channel(channel)] = cf
	}
	if err := rows.Err(); err != nil {
		return f, fmt.Errorf("store: campaign %d funnel: %w", campaignID, err)
	}
	return f, nil
}

// SentCounts counts a resident's messages, across every campaign, whose
// sent_at is at or after dayStart (today), at or after weekStart (week),
// and at or after dayStart with templateCode as their template
// (sameTemplateToday; 0 when templateCode is empty) — the figures
// campaigns.Caps checks. Messages still being sent are not counted, so two
// concurrent sends to one resident can both pass a cap.
func (s *Store) SentCounts(ctx context.Context, residentID int64, dayStart, weekStart time.Time, templateCode string) (today, week, sameTemplateToday int, err error) {
	earliest := dayStart
	if weekStart.Before(earliest) {
		earliest = weekStart
	}
	err = s.r.QueryRowContext(ctx, s.q.get("SentCounts"), s.ts(dayStart), s.ts(weekStart), templateCode,
		residentID, s.ts(earliest)).Scan(&today, &week, &sameTemplateToday)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("store: resident %d sent counts: %w", residentID, err)
	}
	return today, week, sameTemplateToday, nil
}

// StaleSent returns up to limit messages still sent (accepted, no receipt)
// whose last change is before olderThan, oldest first, for reconciliation
// with the provider (Aliyun QuerySendDetails). A message comes back on every
// call until AdvanceMessage moves it on — to delivered or failed, or to
// failed with a code of the caller's choosing once the provider no longer
// knows it.
func (s *Store) StaleSent(ctx context.Context, olderThan time.Time, limit int) ([]campaigns.Message, error) {
	if limit <= 0 {
		return nil, nil
	}
	ms, err := collectMessages(s.r.QueryContext(ctx, s.q.get("StaleSent"), s.ts(olderThan), limit))
	if err != nil {
		return nil, fmt.Errorf("store: stale sent messages: %w", err)
	}
	return ms, nil
}

// scanMessage reads the columns every message query selects, in order.
func scanMessage(sc scanner) (campaigns.Message, error) {
	var m campaigns.Message
	var channel, status, reason string
	err := sc.Scan(&m.ID, &m.CampaignID, &m.Run, &m.ResidentID, &channel, &status, &reason, &m.FallbackOf,
		&m.Attempts, &m.ProviderID, &m.ProviderCode, &m.ProviderMessage, timeCol{&m.NotBefore}, timeCol{&m.Deadline},
		timeCol{&m.CreatedAt}, timeCol{&m.SentAt}, timeCol{&m.FinishedAt}, timeCol{&m.UpdatedAt})
	m.Channel, m.Status, m.SkipReason = population.Channel(channel), campaigns.Status(status), campaigns.SkipReason(reason)
	return m, err
}

// collectMessages scans every row of a message query and closes it.
func collectMessages(rows *sql.Rows, err error) ([]campaigns.Message, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []campaigns.Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}
