package store

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
)

// extraScanner scans the message columns and then extra ones.
type extraScanner struct {
	sc    scanner
	extra []any
}

func (e extraScanner) Scan(dest ...any) error { return e.sc.Scan(append(dest, e.extra...)...) }

// Deliveries returns the delivery records (发送记录): the ledger's messages
// to residents that f selects, of every purpose, newest first, each with
// the resident's phone and grid. One join of messages and residents; a
// message to no resident (an unknown sender, a worker) is not among them.
func (s *Store) Deliveries(ctx context.Context, f outbound.DeliveryFilter) ([]outbound.Delivery, error) {
	if f.Limit <= 0 {
		f.Limit = outbound.DefaultDeliveriesLimit
	}
	before := f.BeforeID
	if before <= 0 {
		before = math.MaxInt64
	}
	scope := ""
	if len(f.Scope) > 0 {
		b, err := json.Marshal(f.Scope)
		if err != nil {
			return nil, fmt.Errorf("store: deliveries: %w", err)
		}
		scope = string(b)
	}
	from, to := f.From, f.To
	if from.IsZero() {
		from = time.Unix(0, 0)
	}
	if to.IsZero() {
		to = time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	rows, err := s.r.QueryContext(ctx, s.q.get("Deliveries"), before, f.PhoneTail, string(f.Status),
		s.ts(from), s.ts(to), scope, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("store: deliveries: %w", err)
	}
	defer rows.Close()
	var out []outbound.Delivery
	for rows.Next() {
		var d outbound.Delivery
		var phone string
		m, err := scanMessage(extraScanner{rows, []any{&phone, &d.GridCode}})
		if err != nil {
			return nil, fmt.Errorf("store: deliveries: %w", err)
		}
		d.Message, d.Phone = m, pii.Phone(phone)
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: deliveries: %w", err)
	}
	return out, nil
}

// TemplateStatus counts the saved templates per channel and approval state,
// with the latest sync time of each, ordered by channel then approval.
func (s *Store) TemplateStatus(ctx context.Context) ([]campaigns.TemplateCount, error) {
	rows, err := s.r.QueryContext(ctx, s.q.get("TemplateStatus"))
	if err != nil {
		return nil, fmt.Errorf("store: template status: %w", err)
	}
	defer rows.Close()
	var out []campaigns.TemplateCount
	for rows.Next() {
		var c campaigns.TemplateCount
		var ch string
		if err := rows.Scan(&ch, &c.Approved, &c.Count, timeCol{&c.SyncedAt}); err != nil {
			return nil, fmt.Errorf("store: template status: %w", err)
		}
		c.Channel = population.Channel(ch)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: template status: %w", err)
	}
	return out, nil
}
