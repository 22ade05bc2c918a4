package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/fault"
)

// DefaultCampaignsLimit is how many campaigns Campaigns returns when asked
// for a limit of zero or less.
const DefaultCampaignsLimit = 100

// CreateCampaign stores c as a new draft, whatever c.State says, and sets
// c.ID, c.CreatedAt and c.UpdatedAt (c.State becomes StateDraft; an empty
// c.Scope becomes the whole city, access.All). It
// appends a creation event (from "" to draft, by c.Owner) to the
// campaign's ledger in the same transaction. Content is not validated: a
// draft may be incomplete; Campaign.Transition validates before scheduling.
func (s *Store) CreateCampaign(ctx context.Context, c *campaigns.Campaign) error {
	now := s.now().UTC().Truncate(time.Microsecond)
	cc := *c
	cc.State, cc.CreatedAt, cc.UpdatedAt = campaigns.StateDraft, now, now
	if len(cc.Scope) == 0 {
		cc.Scope = []string{access.All}
	}
	err := s.inTx(ctx, "create campaign", func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, s.q.get("InsertCampaign"), cc.Name, string(cc.Kind), cc.Segment,
			string(cc.ChannelPolicy), cc.SMS.SignName, cc.SMS.TemplateCode, jsonMap(cc.SMS.Params),
			cc.WeChat.TemplateID, cc.WeChat.URL, jsonMap(cc.WeChat.Fields), cc.Text,
			s.tsOrNull(cc.ScheduleAt), s.tsOrNull(cc.ExpiresAt), cc.Recurrence, cc.Owner,
			cc.ApprovedBy, s.tsOrNull(cc.ApprovedAt), cc.ApprovedDigest, string(cc.State),
			jsonMap(cc.ReplyOptions), cc.ExtendCode, s.ts(now), s.ts(now), scopeText(cc.Scope)).Scan(&cc.ID)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, s.q.get("InsertCampaignEvent"), cc.ID, s.ts(now), cc.Owner,
			"", string(campaigns.StateDraft), "created")
		return err
	})
	if err != nil {
		return err
	}
	*c = cc
	return nil
}

// UpdateCampaign stores c's content (everything but its state, owner,
// approval and creation time) and bumps its updated_at. Only a draft may be
// edited: when the stored campaign is in any other state it returns an
// error wrapping fault.ErrConflict and changes nothing; fault.ErrNotFound when
// there is no campaign c.ID. An edit leaves the approval fields alone: a
// changed Digest voids the approval by itself (Campaign.Approved).
func (s *Store) UpdateCampaign(ctx context.Context, c campaigns.Campaign) error {
	what := fmt.Sprintf("update campaign %d", c.ID)
	return s.inTx(ctx, what, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q.get("UpdateCampaign"), c.Name, string(c.Kind), c.Segment,
			string(c.ChannelPolicy), c.SMS.SignName, c.SMS.TemplateCode, jsonMap(c.SMS.Params),
			c.WeChat.TemplateID, c.WeChat.URL, jsonMap(c.WeChat.Fields), c.Text,
			s.tsOrNull(c.ScheduleAt), s.tsOrNull(c.ExpiresAt), c.Recurrence,
			jsonMap(c.ReplyOptions), c.ExtendCode, s.ts(s.now()), scopeText(c.Scope), c.ID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		state, err := s.campaignState(ctx, tx, c.ID)
		if err != nil {
			return err
		}
		return fmt.Errorf("campaign is %s, only a draft may be edited: %w", state, fault.ErrConflict)
	})
}

// campaignState reads the stored state of campaign id inside tx.
func (s *Store) campaignState(ctx context.Context, tx *sql.Tx, id int64) (campaigns.State, error) {
	var state string
	if err := tx.QueryRowContext(ctx, s.q.get("CampaignState"), id).Scan(&state); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return "", fault.NotFound(fault.Campaign, id)
		}
		return "", err
	}
	return campaigns.State(state), nil
}

// Campaign returns the campaign with the given id, or an error wrapping
// fault.ErrNotFound.
func (s *Store) Campaign(ctx context.Context, id int64) (campaigns.Campaign, error) {
	c, err := scanCampaign(s.r.QueryRowContext(ctx, s.q.get("CampaignByID"), id))
	if err != nil {
		return campaigns.Campaign{}, missing(err, fault.Campaign, id)
	}
	return c, nil
}

// Campaigns returns up to limit campaigns in the given state ("" = every
// state), newest first. A limit of zero or less means
// DefaultCampaignsLimit.
func (s *Store) Campaigns(ctx context.Context, state campaigns.State, limit int) ([]campaigns.Campaign, error) {
	if limit <= 0 {
		limit = DefaultCampaignsLimit
	}
	rows, err := s.r.QueryContext(ctx, s.q.get("Campaigns"), string(state), string(state), limit)
	if err != nil {
		return nil, fmt.Errorf("store: campaigns: %w", err)
	}
	defer rows.Close()
	var out []campaigns.Campaign
	for rows.Next() {
		c, err := scanCampaign(rows)
		if err != nil {
			return nil, fmt.Errorf("store: campaigns: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: campaigns: %w", err)
	}
	return out, nil
}

// ApplyCampaignEvent records a transition or approval that
// Campaign.Transition or Campaign.Approve made on c: it stores c's state
// and approval fields (ApprovedBy, ApprovedAt, ApprovedDigest) and appends
// ev to the campaign's ledger, in one transaction, only if the stored state
// still equals ev.From. Otherwise it returns an error wrapping fault.ErrConflict
// and changes nothing — so of two processes that both read a scheduled
// campaign and move it to running, exactly one succeeds; the other should
// re-read and decide again. fault.ErrNotFound when there is no campaign
// c.ID. ev must be the event for c: same campaign (or zero) and ev.To equal
// to c.State.
func (s *Store) ApplyCampaignEvent(ctx context.Context, c campaigns.Campaign, ev campaigns.Event) error {
	what := fmt.Sprintf("apply campaign %d event", c.ID)
	from, to := orDraft(ev.From), orDraft(ev.To)
	if ev.CampaignID != 0 && ev.CampaignID != c.ID {
		return fmt.Errorf("store: %s: event is for campaign %d", what, ev.CampaignID)
	}
	if orDraft(c.State) != to {
		return fmt.Errorf("store: %s: event moves to %s but the campaign is %s", what, to, orDraft(c.State))
	}
	at := ev.At
	if at.IsZero() {
		at = s.now()
	}
	updated := c.UpdatedAt
	if updated.IsZero() {
		updated = at
	}
	return s.inTx(ctx, what, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q.get("ApplyCampaignState"), string(to), c.ApprovedBy,
			s.tsOrNull(c.ApprovedAt), c.ApprovedDigest, s.ts(updated), c.ID, string(from))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			state, err := s.campaignState(ctx, tx, c.ID)
			if err != nil {
				return err
			}
			return fmt.Errorf("campaign is %s, not %s: %w", state, from, fault.ErrConflict)
		}
		_, err = tx.ExecContext(ctx, s.q.get("InsertCampaignEvent"), c.ID, s.ts(at), ev.Actor,
			string(from), string(to), ev.Note)
		return err
	})
}

func orDraft(st campaigns.State) campaigns.State {
	if st == "" {
		return campaigns.StateDraft
	}
	return st
}

// CampaignEvents returns the ledger of campaign id, oldest first: its
// creation, then every transition and approval. An unknown campaign has
// none.
func (s *Store) CampaignEvents(ctx context.Context, id int64) ([]campaigns.Event, error) {
	rows, err := s.r.QueryContext(ctx, s.q.get("CampaignEvents"), id)
	if err != nil {
		return nil, fmt.Errorf("store: campaign %d events: %w", id, err)
	}
	defer rows.Close()
	var out []campaigns.Event
	for rows.Next() {
		var ev campaigns.Event
		var from, to string
		if err := rows.Scan(&ev.CampaignID, timeCol{&ev.At}, &ev.Actor, &from, &to, &ev.Note); err != nil {
			return nil, fmt.Errorf("store: campaign %d events: %w", id, err)
		}
		ev.From, ev.To = campaigns.State(from), campaigns.State(to)
		out = append(out, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: campaign %d events: %w", id, err)
	}
	return out, nil
}

// StartRun records that run number run (1 for a one-off campaign) of a
// campaign started at at, with its fan-out checkpoint at zero. It is
// idempotent: only the first call for a run returns created=true, so
// several schedulers racing to start the same recurring run fan it out
// once (the losers should do nothing). fault.ErrNotFound when there is
// no such campaign.
func (s *Store) StartRun(ctx context.Context, campaignID int64, run int, at time.Time) (bool, error) {
	if run < 1 {
		return false, fmt.Errorf("store: start campaign %d run %d: runs count from 1", campaignID, run)
	}
	created := false
	err := s.inTx(ctx, fmt.Sprintf("start campaign %d run %d", campaignID, run), func(tx *sql.Tx) error {
		if _, err := s.campaignState(ctx, tx, campaignID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.q.get("InsertRun"), campaignID, run, s.ts(at))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		created = n == 1
		return err
	})
	return created, err
}

// RunCheckpoint returns how far a run's fan-out got: every resident with an
// id up to afterResidentID has its messages written, and done reports that
// the whole segment has been. A restarted fan-out pages the segment from
// afterResidentID. fault.ErrNotFound when the run was never started.
func (s *Store) RunCheckpoint(ctx context.Context, campaignID int64, run int) (afterResidentID int64, done bool, err error) {
	err = s.r.QueryRowContext(ctx, s.q.get("RunCheckpoint"), campaignID, run).Scan(&afterResidentID, &done)
	if err != nil {
		return 0, false, notFound(err, fmt.Sprintf("campaign %d run %d", campaignID, run))
	}
	return afterResidentID, done, nil
}

// FinishRun records when a run ended (every message final, or the campaign
// stopped). Only the first call sets it. fault.ErrNotFound when the run
// was never started.
func (s *Store) FinishRun(ctx context.Context, campaignID int64, run int, at time.Time) error {
	what := fmt.Sprintf("finish campaign %d run %d", campaignID, run)
	return s.inTx(ctx, what, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q.get("FinishRun"), s.ts(at), campaignID, run)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		return fault.ErrNotFound
	})
}

// scanCampaign reads the columns every campaign query selects, in order.
func scanCampaign(sc scanner) (campaigns.Campaign, error) {
	var c campaigns.Campaign
	var kind, policy, state, smsParams, wxFields, replies, scope string
	err := sc.Scan(&c.ID, &c.Name, &kind, &c.Segment, &policy, &c.SMS.SignName, &c.SMS.TemplateCode, &smsParams,
		&c.WeChat.TemplateID, &c.WeChat.URL, &wxFields, &c.Text, timeCol{&c.ScheduleAt}, timeCol{&c.ExpiresAt},
		&c.Recurrence, &c.Owner, &c.ApprovedBy, timeCol{&c.ApprovedAt}, &c.ApprovedDigest, &state,
		&replies, &c.ExtendCode, timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt}, &scope)
	if err != nil {
		return c, err
	}
	c.Kind, c.ChannelPolicy, c.State = campaigns.Kind(kind), campaigns.ChannelPolicy(policy), campaigns.State(state)
	c.Scope = scopeList(scope)
	for _, m := range []struct {
		col string
		dst *map[string]string
	}{{smsParams, &c.SMS.Params}, {wxFields, &c.WeChat.Fields}, {replies, &c.ReplyOptions}} {
		if err := json.Unmarshal([]byte(m.col), m.dst); err != nil {
			return c, fmt.Errorf("campaign %d: %w", c.ID, err)
		}
		if len(*m.dst) == 0 {
			*m.dst = nil
		}
	}
	return c, nil
}

// scopeText encodes a scope as the comma-separated list the campaigns and
// users tables keep; the empty scope of a campaign is the whole city.
func scopeText(grids []string) string {
	return strings.Join(grids, ",")
}

// scopeList decodes scopeText.
func scopeList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// jsonMap encodes a string map as a JSON object ("{}" for nil).
func jsonMap(m map[string]string) string {
	if len(m) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(m) // a map[string]string always encodes
	return string(b)
}

// tsOrNull is ts, with NULL for the zero time ("not yet").
func (s *Store) tsOrNull(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return s.ts(t)
}
