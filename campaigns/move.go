package campaigns

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gridcast/gridcast/population"
)

// Mover is what Move needs from the store: the campaign, its audience size,
// the synced provider templates, and an optimistic write of the result.
// *store.Store satisfies it.
type Mover interface {
	Campaign(ctx context.Context, id int64) (Campaign, error)
	CountSegment(ctx context.Context, expr string) (int64, error)
	Templates(ctx context.Context, ch population.Channel) ([]Template, error)
	ApplyCampaignEvent(ctx context.Context, c Campaign, ev Event) error
}

// Move applies a staff member's change to campaign id — a transition to
// to, or an approval when approve is set — with every check the CLI and the
// API share: the current audience size for the approval threshold, and, on
// scheduling, the fit of the content to the provider templates as last
// synced. The write is optimistic: if another process moved the campaign
// first, the store's conflict error comes back and nothing changes.
func Move(ctx context.Context, st Mover, id int64, to State, approve bool, actor string, pol Policy, now time.Time) (Campaign, Event, error) {
	return MoveNoted(ctx, st, id, to, approve, actor, "", pol, now)
}

// MoveNoted is Move with the actor's comment on the record: a checker's
// word on what they approved, an officer's reason to cancel. The comment
// follows the event's own note ("approved: 内容已核对"); empty adds
// nothing.
func MoveNoted(ctx context.Context, st Mover, id int64, to State, approve bool, actor, comment string, pol Policy, now time.Time) (Campaign, Event, error) {
	c, err := st.Campaign(ctx, id)
	if err != nil {
		return c, Event{}, err
	}
	var ev Event
	if approve {
		ev, err = c.Approve(actor, now)
	} else {
		audience := 0
		if to == StateScheduled || to == StateRunning {
			n, err := st.CountSegment(ctx, c.Audience())
			if err != nil {
				return c, Event{}, err
			}
			audience = int(n)
		}
		if to == StateScheduled {
			tpls, err := SyncedTemplates(ctx, st, c)
			if err != nil {
				return c, Event{}, err
			}
			if err := c.CheckTemplates(tpls, pol); err != nil {
				return c, Event{}, invalid(fmt.Errorf("the templates do not fit it (sync them if they changed): %w", err))
			}
		}
		ev, err = c.Transition(to, actor, audience, pol, now)
	}
	if err != nil {
		return c, Event{}, err
	}
	if comment = strings.TrimSpace(comment); comment != "" {
		if ev.Note != "" {
			ev.Note += ": "
		}
		ev.Note += comment
	}
	if err := st.ApplyCampaignEvent(ctx, c, ev); err != nil {
		return c, Event{}, err
	}
	return c, ev, nil
}

// SyncedTemplates finds the provider templates c uses among those synced
// into the store; a template not found stays zero (CheckTemplates then says
// it is missing).
func SyncedTemplates(ctx context.Context, st interface {
	Templates(ctx context.Context, ch population.Channel) ([]Template, error)
}, c Campaign) (Templates, error) {
	var t Templates
	sms, err := st.Templates(ctx, population.ChannelSMS)
	if err != nil {
		return t, err
	}
	for _, x := range sms {
		if x.Code == c.SMS.TemplateCode {
			t.SMS = x
		}
	}
	wx, err := st.Templates(ctx, population.ChannelWeChat)
	if err != nil {
		return t, err
	}
	for _, x := range wx {
		if x.Code == c.WeChat.TemplateID {
			t.WeChat = x
		}
	}
	return t, nil
}

// Refuse records actor's refusal of campaign id, a draft awaiting
// approval, with the comment the maker reads on its record (Campaign.Refuse
// says what is refused). The campaign stays a draft.
func Refuse(ctx context.Context, st Mover, id int64, actor, comment string, now time.Time) (Campaign, Event, error) {
	c, err := st.Campaign(ctx, id)
	if err != nil {
		return c, Event{}, err
	}
	ev, err := c.Refuse(actor, comment, now)
	if err != nil {
		return c, Event{}, err
	}
	ev.Note += ": " + strings.TrimSpace(comment)
	if err := st.ApplyCampaignEvent(ctx, c, ev); err != nil {
		return c, Event{}, err
	}
	return c, ev, nil
}

// Editor is what Edit needs from the store: Mover and the write of a
// draft's content. *store.Store satisfies it.
type Editor interface {
	Mover
	UpdateCampaign(ctx context.Context, c Campaign) error
}

// Edit replaces the content of draft next.ID with next's, on behalf of
// actor, who must be its maker (ErrNotOwner): the state, owner and
// creation stay. It validates next as a create does (ErrInvalid), stores
// it, and records an "edited" event that clears any approval or refusal:
// what a checker saw is no longer what would be sent. A campaign past
// draft is refused (ErrNotDraft), as is a write that finds it moved on
// meanwhile (the store's conflict).
func Edit(ctx context.Context, st Editor, next Campaign, actor string, pol Policy, now time.Time) (Campaign, Event, error) {
	actor = strings.TrimSpace(actor)
	if actor == "" {
		return next, Event{}, ErrNoActor
	}
	cur, err := st.Campaign(ctx, next.ID)
	if err != nil {
		return cur, Event{}, err
	}
	if !cur.Editable() {
		return cur, Event{}, fmt.Errorf("%w (campaign %d is %s)", ErrNotDraft, cur.ID, cur.state())
	}
	if !strings.EqualFold(actor, strings.TrimSpace(cur.Owner)) {
		return cur, Event{}, fmt.Errorf("%w (%s made campaign %d)", ErrNotOwner, cur.Owner, cur.ID)
	}
	next.Owner, next.State, next.CreatedAt = cur.Owner, cur.State, cur.CreatedAt
	next.ApprovedBy, next.ApprovedAt, next.ApprovedDigest = "", time.Time{}, ""
	next.UpdatedAt = now
	if err := next.Validate(pol); err != nil {
		return cur, Event{}, invalid(err)
	}
	if err := st.UpdateCampaign(ctx, next); err != nil {
		return cur, Event{}, err
	}
	ev := Event{CampaignID: next.ID, At: now, Actor: actor, From: StateDraft, To: StateDraft, Note: NoteEdited}
	if err := st.ApplyCampaignEvent(ctx, next, ev); err != nil {
		return next, Event{}, err
	}
	return next, ev, nil
}
