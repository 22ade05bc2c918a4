package store

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/population"
)

// The ledger's lookups: for receipts, the rebuild of lost work, the
// reconciler, funnels, caps and a resident's history.

// MessagesByStatus pages through one campaign's own messages in status st
// by id: up to limit messages with an id above afterID, in id order. Pass
// the last id of a page as the next afterID. This is how work lost from
// Redis is rebuilt: pending messages are re-enqueued by id (a duplicate
// task is harmless, ClaimMessage lets one through).
func (s *Store) MessagesByStatus(ctx context.Context, campaignID int64, st outbound.Status, afterID int64, limit int) ([]outbound.Message, error) {
	if limit <= 0 {
		return nil, nil
	}
	ms, err := collectMessages(s.r.QueryContext(ctx, s.q.get("MessagesByStatus"), campaignID, string(st), afterID, limit))
	if err != nil {
		return nil, fmt.Errorf("store: campaign %d %s messages: %w", campaignID, st, err)
	}
	return ms, nil
}

// PendingSingles pages through the pending messages that belong to no
// campaign fan-out — reminders and the desk's messages — by id: what the
// queue hands over again when a process without a queue wrote them (the
// CLI beside an embedded Redis) or Redis lost their task.
func (s *Store) PendingSingles(ctx context.Context, afterID int64, limit int) ([]outbound.Message, error) {
	if limit <= 0 {
		return nil, nil
	}
	ms, err := collectMessages(s.r.QueryContext(ctx, s.q.get("PendingSingles"), afterID, limit))
	if err != nil {
		return nil, fmt.Errorf("store: pending messages: %w", err)
	}
	return ms, nil
}

// StuckSending pages through the messages, of every purpose, claimed
// before cutoff and still sending, by id: what a crashed worker left
// behind, for the reconciler.
func (s *Store) StuckSending(ctx context.Context, cutoff time.Time, afterID int64, limit int) ([]outbound.Message, error) {
	if limit <= 0 {
		return nil, nil
	}
	ms, err := collectMessages(s.r.QueryContext(ctx, s.q.get("StuckSending"), s.ts(cutoff), afterID, limit))
	if err != nil {
		return nil, fmt.Errorf("store: stuck messages: %w", err)
	}
	return ms, nil
}

// TestSends returns up to limit of actor's test sends (PurposeTest) of
// campaign campaignID created at or after since, newest first: what the
// limit on test sends counts, and what the officer sees become of them.
func (s *Store) TestSends(ctx context.Context, actor string, campaignID int64, since time.Time, limit int) ([]outbound.Message, error) {
	if limit <= 0 {
		return nil, nil
	}
	ms, err := collectMessages(s.r.QueryContext(ctx, s.q.get("TestSends"), actor, outbound.TestReason(campaignID),
		s.ts(since), limit))
	if err != nil {
		return nil, fmt.Errorf("store: test sends of campaign %d: %w", campaignID, err)
	}
	return ms, nil
}

// ResidentMessages returns up to limit of a resident's messages of every
// purpose, newest first, with ids below beforeID (0: from the newest):
// who told them what, when, on which route, and what became of it.
func (s *Store) ResidentMessages(ctx context.Context, residentID, beforeID int64, limit int) ([]outbound.Message, error) {
	if limit <= 0 {
		return nil, nil
	}
	if beforeID <= 0 {
		beforeID = math.MaxInt64
	}
	ms, err := collectMessages(s.r.QueryContext(ctx, s.q.get("ResidentMessages"), residentID, beforeID, limit))
	if err != nil {
		return nil, fmt.Errorf("store: resident %d messages: %w", residentID, err)
	}
	return ms, nil
}

// MessageByProviderID finds the message a provider knows as providerID on
// channel — "<BizId>/<phone>" for an SMS, the msgid of a WeChat template
// message — the latest, should a provider ever reuse one, whatever its
// purpose; or returns an error wrapping fault.ErrNotFound. A message gets
// its provider id on the move to sent; a receipt that arrives earlier is
// retried by the caller.
func (s *Store) MessageByProviderID(ctx context.Context, channel population.Channel, providerID string) (outbound.Message, error) {
	m, err := scanMessage(s.r.QueryRowContext(ctx, s.q.get("MessageByProvider"), string(channel), providerID))
	if err != nil {
		return outbound.Message{}, notFound(err, fmt.Sprintf("%s message by provider id", channel))
	}
	return m, nil
}

// MessageEvents returns message id's history, oldest first: each claim
// (pending → sending, "attempt N"), reschedule, send result, receipt and
// skip. The creation is the message row itself (CreatedAt). An unknown
// message has none.
func (s *Store) MessageEvents(ctx context.Context, id int64) ([]outbound.Event, error) {
	return queryAll(ctx, s, fmt.Sprintf("message %d events", id), "MessageEvents", func(sc scanner) (outbound.Event, error) {
		var ev outbound.Event
		var from, to string
		err := sc.Scan(&ev.MessageID, timeCol{&ev.At}, &from, &to, &ev.Code, &ev.Note)
		ev.From, ev.To = outbound.Status(from), outbound.Status(to)
		return ev, err
	}, id)
}

// Funnel counts a campaign's messages, over all its runs, in one grouped
// query: Targeted is every campaign message that is not a fallback (one per
// resident and run), Skipped counts skipped campaign messages by reason,
// ByChannel the rest by status, failures also by provider code, and
// FollowUps the campaign's other messages (reminders, the desk's answers to
// replies to it) by purpose. Maps are never nil; FailedBy is nil where
// nothing failed.
func (s *Store) Funnel(ctx context.Context, campaignID int64) (outbound.Funnel, error) {
	return s.funnel(ctx, campaignID, "Funnel", campaignID)
}

// FunnelWithin is Funnel over the campaign's messages to residents whose
// grid lies in one of grids (each with its subtree): the reach and
// delivery a street's or a community's staff answer for. No grids is the
// whole campaign (Funnel).
func (s *Store) FunnelWithin(ctx context.Context, campaignID int64, grids []string) (outbound.Funnel, error) {
	if len(grids) == 0 {
		return s.Funnel(ctx, campaignID)
	}
	b, err := json.Marshal(grids)
	if err != nil {
		return outbound.Funnel{}, fmt.Errorf("store: campaign %d funnel: %w", campaignID, err)
	}
	return s.funnel(ctx, campaignID, "FunnelWithin", campaignID, string(b))
}

func (s *Store) funnel(ctx context.Context, campaignID int64, query string, args ...any) (outbound.Funnel, error) {
	f := outbound.Funnel{ByChannel: map[population.Channel]outbound.ChannelFunnel{},
		Skipped: map[outbound.SkipReason]int{}, FollowUps: map[outbound.Purpose]outbound.ChannelFunnel{}}
	rows, err := s.r.QueryContext(ctx, s.q.get(query), args...)
	if err != nil {
		return f, fmt.Errorf("store: campaign %d funnel: %w", campaignID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var purpose, channel, status, reason, code string
		var fallback, n int
		if err := rows.Scan(&purpose, &channel, &status, &reason, &code, &fallback, &n); err != nil {
			return f, fmt.Errorf("store: campaign %d funnel: %w", campaignID, err)
		}
		st := outbound.Status(status)
		if p := outbound.Purpose(purpose); p != outbound.PurposeCampaign {
			cf := f.FollowUps[p]
			cf.Add(st, code, n)
			f.FollowUps[p] = cf
			continue
		}
		if fallback == 0 {
			f.Targeted += n
		}
		if st == outbound.StatusSkipped {
			f.Skipped[outbound.SkipReason(reason)] += n
			continue
		}
		cf := f.ByChannel[population.Channel(channel)]
		cf.Add(st, code, n)
		f.ByChannel[population.Channel(channel)] = cf
	}
	if err := rows.Err(); err != nil {
		return f, fmt.Errorf("store: campaign %d funnel: %w", campaignID, err)
	}
	return f, nil
}

// CampaignWaiting counts campaignID's own pending messages by why they
// wait (Message.WaitReason: quiet_hours, capped_daily, retry:CODE …; "" for
// those not tried yet), most first, each with the earliest NotBefore among
// them — what an officer reads as "1,240 wait for the quiet hours until
// 08:00". Follow-ups (reminders, the desk's answers) are not counted, as in
// the funnel's pending. A campaign with nothing pending has none.
func (s *Store) CampaignWaiting(ctx context.Context, campaignID int64) ([]outbound.Waiting, error) {
	return queryAll(ctx, s, fmt.Sprintf("campaign %d waiting", campaignID), "CampaignWaiting", func(sc scanner) (outbound.Waiting, error) {
		var w outbound.Waiting
		err := sc.Scan(&w.Reason, &w.Count, timeCol{&w.Until})
		return w, err
	}, campaignID)
}

// SentCounts counts a resident's campaign messages, across every campaign,
// whose sent_at is at or after dayStart (today), at or after weekStart
// (week), and at or after dayStart with templateCode as their template
// (sameTemplateToday; 0 when templateCode is empty) — the figures
// campaigns.Caps checks. Reminders and the desk's answers do not count:
// the resident asked for them. Messages still being sent are not counted,
// so two concurrent sends to one resident can both pass a cap.
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
func (s *Store) StaleSent(ctx context.Context, olderThan time.Time, limit int) ([]outbound.Message, error) {
	if limit <= 0 {
		return nil, nil
	}
	ms, err := collectMessages(s.r.QueryContext(ctx, s.q.get("StaleSent"), s.ts(olderThan), limit))
	if err != nil {
		return nil, fmt.Errorf("store: stale sent messages: %w", err)
	}
	return ms, nil
}
