package queue

import (
	"context"
	"sync"
	"time"

	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/population"
)

// Move is one change the queue made to a message on the ledger, as
// Deps.Observe sees it.
type Move struct {
	MessageID int64
	Channel   population.Channel
	Purpose   outbound.Purpose
	// To is the status the message moved to: sent, delivered, failed,
	// skipped, or pending for a message handed back to wait (Reason says
	// why).
	To outbound.Status
	// Code is the provider's code of a send, receipt or failure (OK,
	// DELIVERED, isv.MOBILE_NUMBER_ILLEGAL, 43004 …) or the queue's own
	// (NO_SENDER, RENDER, RETRIES_EXHAUSTED); empty for the rest.
	Code string
	// Reason is a skip's reason (outbound.SkipReason) or a wait's
	// (outbound.Wait*, retry:CODE); empty for the rest.
	Reason string
}

// observed returns l reporting its moves to observe, or l itself when
// observe is nil. The store's move methods take a message id only, so the
// wrapper remembers the channel and purpose of the messages the queue
// reads before moving them (claims, receipts' and the reconciler's
// lookups) and reads a message it has not seen. A Ledger that is also a
// VisitStore stays one.
func observed(l Ledger, observe func(Move)) Ledger {
	if observe == nil || l == nil {
		return l
	}
	o := &observingLedger{Ledger: l, observe: observe, seen: map[int64]seenMessage{}}
	if vs, ok := l.(VisitStore); ok {
		return observingVisits{o, vs}
	}
	return o
}

// observingVisits is an observingLedger over a Ledger that books visits.
type observingVisits struct {
	*observingLedger
	VisitStore
}

type seenMessage struct {
	channel population.Channel
	purpose outbound.Purpose
}

// maxSeen bounds what the wrapper remembers: messages looked up and never
// moved (a receipt whose move failed) would otherwise accumulate. Past
// it the memory starts over; a message it forgot is read again.
const maxSeen = 50_000

type observingLedger struct {
	Ledger
	observe func(Move)
	mu      sync.Mutex
	seen    map[int64]seenMessage
}

func (o *observingLedger) remember(ms ...outbound.Message) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.seen)+len(ms) > maxSeen {
		clear(o.seen)
	}
	for _, m := range ms {
		o.seen[m.ID] = seenMessage{m.Channel, m.Purpose}
	}
}

// moved reports a move of message id, then forgets it.
func (o *observingLedger) moved(ctx context.Context, id int64, mv Move) {
	o.mu.Lock()
	s, ok := o.seen[id]
	delete(o.seen, id)
	o.mu.Unlock()
	if !ok {
		if m, err := o.Ledger.Message(ctx, id); err == nil {
			s = seenMessage{m.Channel, m.Purpose}
		}
	}
	mv.MessageID, mv.Channel, mv.Purpose = id, s.channel, s.purpose
	o.observe(mv)
}

func (o *observingLedger) forget(id int64) {
	o.mu.Lock()
	delete(o.seen, id)
	o.mu.Unlock()
}

func (o *observingLedger) Message(ctx context.Context, id int64) (outbound.Message, error) {
	m, err := o.Ledger.Message(ctx, id)
	if err == nil {
		o.remember(m)
	}
	return m, err
}

func (o *observingLedger) ClaimMessage(ctx context.Context, id int64, now time.Time) (outbound.Message, bool, error) {
	m, ok, err := o.Ledger.ClaimMessage(ctx, id, now)
	if err == nil && ok {
		o.remember(m)
	}
	return m, ok, err
}

// ClaimMessages remembers the claimed messages' channel and purpose.
func (o *observingLedger) ClaimMessages(ctx context.Context, ids []int64, now time.Time, outID string) ([]outbound.Message, error) {
	ms, err := o.Ledger.ClaimMessages(ctx, ids, now, outID)
	if err == nil {
		o.remember(ms...)
	}
	return ms, err
}

// MarkSent reports each message it moved to sent.
func (o *observingLedger) MarkSent(ctx context.Context, acc []outbound.Accepted, templateCode string, at time.Time) ([]int64, error) {
	moved, err := o.Ledger.MarkSent(ctx, acc, templateCode, at)
	for _, id := range moved {
		o.moved(ctx, id, Move{To: outbound.StatusSent, Code: "OK"})
	}
	for _, a := range acc {
		o.forget(a.ID)
	}
	return moved, err
}

func (o *observingLedger) MessageByProviderID(ctx context.Context, ch population.Channel, providerID string) (outbound.Message, error) {
	m, err := o.Ledger.MessageByProviderID(ctx, ch, providerID)
	if err == nil {
		o.remember(m)
	}
	return m, err
}

func (o *observingLedger) StuckSending(ctx context.Context, cutoff time.Time, afterID int64, limit int) ([]outbound.Message, error) {
	ms, err := o.Ledger.StuckSending(ctx, cutoff, afterID, limit)
	if err == nil {
		o.remember(ms...)
	}
	return ms, err
}

func (o *observingLedger) StaleSent(ctx context.Context, olderThan time.Time, limit int) ([]outbound.Message, error) {
	ms, err := o.Ledger.StaleSent(ctx, olderThan, limit)
	if err == nil {
		o.remember(ms...)
	}
	return ms, err
}

func (o *observingLedger) AdvanceMessage(ctx context.Context, id int64, to outbound.Status, u outbound.Update) (bool, error) {
	ok, err := o.Ledger.AdvanceMessage(ctx, id, to, u)
	if err != nil || !ok {
		o.forget(id) // not moved (a late or repeated receipt): nothing to count
		return ok, err
	}
	o.moved(ctx, id, Move{To: to, Code: u.ProviderCode, Reason: string(u.SkipReason)})
	return ok, err
}

// AdvanceMessages reports each move it made.
func (o *observingLedger) AdvanceMessages(ctx context.Context, moves []outbound.Advance) ([]bool, error) {
	moved, err := o.Ledger.AdvanceMessages(ctx, moves)
	for i, mv := range moves {
		if err == nil && moved[i] {
			o.moved(ctx, mv.ID, Move{To: mv.To, Code: mv.Update.ProviderCode, Reason: string(mv.Update.SkipReason)})
		} else {
			o.forget(mv.ID)
		}
	}
	return moved, err
}

func (o *observingLedger) RescheduleMessage(ctx context.Context, id int64, notBefore time.Time, reason string) error {
	err := o.Ledger.RescheduleMessage(ctx, id, notBefore, reason)
	if err != nil {
		o.forget(id)
		return err
	}
	o.moved(ctx, id, Move{To: outbound.StatusPending, Reason: reason})
	return nil
}

func (o *observingLedger) RecoverMessage(ctx context.Context, id int64, attempts int, notBefore time.Time, reason string) error {
	err := o.Ledger.RecoverMessage(ctx, id, attempts, notBefore, reason)
	if err != nil {
		o.forget(id)
		return err
	}
	o.moved(ctx, id, Move{To: outbound.StatusPending, Reason: reason})
	return nil
}

func (o *observingLedger) UnknownOutcome(ctx context.Context, id int64, outID string, at, notBefore time.Time) error {
	err := o.Ledger.UnknownOutcome(ctx, id, outID, at, notBefore)
	if err != nil {
		o.forget(id)
		return err
	}
	o.moved(ctx, id, Move{To: outbound.StatusPending, Reason: outbound.WaitOutcomeUnknown})
	return nil
}
