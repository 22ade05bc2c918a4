package campaigns

import (
	"fmt"
	"strings"
	"time"

	"github.com/gridcast/gridcast/fault"
)

// State is where a campaign is in its life cycle:
//
//	draft → scheduled → running ⇄ paused → completed
//	  │         │ ↑         │ ↑                ↑
//	  │         ↓ │         └─┘ (recurring: running → scheduled)
//	  │       draft                       paused → completed
//	  └──────── any non-terminal state → cancelled
//
// Completed and cancelled are terminal. The zero value "" is StateDraft.
type State string

// The states.
const (
	StateDraft     State = "draft"     // being written; the only editable state
	StateScheduled State = "scheduled" // waiting for ScheduleAt (or the next run)
	StateRunning   State = "running"   // messages are being fanned out and sent
	StatePaused    State = "paused"    // fan-out stopped; queued sends are held
	StateCompleted State = "completed" // every resident sent to or skipped; terminal
	StateCancelled State = "cancelled" // stopped for good; unsent messages are skipped; terminal
)

func (c Campaign) state() State {
	if c.State == "" {
		return StateDraft
	}
	return c.State
}

// Terminal reports whether no transition leaves s.
func (s State) Terminal() bool { return s == StateCompleted || s == StateCancelled }

// transitions lists, for each state, the states it may move to.
var transitions = map[State][]State{
	StateDraft:     {StateScheduled, StateCancelled},
	StateScheduled: {StateRunning, StateDraft, StateCancelled},
	StateRunning:   {StatePaused, StateCompleted, StateCancelled, StateScheduled},
	StatePaused:    {StateRunning, StateCompleted, StateCancelled},
}

// Allowed reports whether the life cycle has an edge from s to to. Guards
// (approval, validity, expiry, recurrence) are checked by Transition.
func (s State) Allowed(to State) bool {
	if s == "" {
		s = StateDraft
	}
	for _, x := range transitions[s] {
		if x == to {
			return true
		}
	}
	return false
}

// Errors Transition and Approve return; test with errors.Is. Each is a
// fault.Error that says itself to a user (fault.Explain).
var (
	// ErrBadTransition: the life cycle has no such edge. The error is a
	// *TransitionError that names both states.
	ErrBadTransition = fault.Refuse(fault.ErrConflict, "the campaign's state does not allow this", "活动当前状态不允许此操作", nil)
	// ErrNeedsApproval: the audience exceeds Policy.ApprovalThreshold and
	// no other user has approved the campaign as it now reads.
	ErrNeedsApproval = fault.Refuse(fault.ErrConflict, "the campaign needs approval by a second user first",
		"该活动须先由另一位工作人员审核通过", nil)
	// ErrSelfApproval: the owner tried to approve their own campaign.
	ErrSelfApproval = fault.Refuse(fault.ErrConflict, "the owner cannot approve their own campaign", "不能审核自己创建的活动", nil)
	// ErrInvalid: the campaign fails Validate; the error also wraps the
	// joined validation errors, and says them (invalid).
	ErrInvalid = fault.Refuse(fault.ErrInvalid, "the campaign is invalid", "活动内容有误", nil)
	// ErrExpired: the campaign's ExpiresAt has passed; it can only be
	// completed or cancelled.
	ErrExpired = fault.Refuse(fault.ErrConflict, "the campaign has expired", "活动已过期", nil)
	// ErrNoActor: a transition or approval was attempted without naming
	// who did it; the ledger needs a name ("system" for the scheduler).
	ErrNoActor = fault.Refuse(fault.ErrInvalid, "say who does it", "请注明操作人", nil)
)

// invalid is ErrInvalid with what is wrong — Validate's joined problems,
// each naming its field — said to the user too.
func invalid(problems error) error { return ErrInvalid.Because(problems, true) }

// Label is the state in Chinese, for screens and refusals.
func (s State) Label() string {
	switch s {
	case StateDraft:
		return "草稿"
	case StateScheduled:
		return "已排期"
	case StateRunning:
		return "发送中"
	case StatePaused:
		return "已暂停"
	case StateCompleted:
		return "已完成"
	case StateCancelled:
		return "已取消"
	}
	return string(s)
}

// TransitionError is a refused move between two states. It matches
// ErrBadTransition with errors.Is.
type TransitionError struct {
	From, To State
	Reason   string // why, when the edge exists but its guard failed; may be empty
}

// Error says which move was refused and why.
func (e *TransitionError) Error() string {
	msg := fmt.Sprintf("campaigns: cannot move a campaign from %s to %s", e.From, e.To)
	if e.Reason != "" {
		msg += ": " + e.Reason
	}
	return msg
}

// Say tells a user which move was refused.
func (e *TransitionError) Say(lang fault.Lang) string {
	if lang == fault.English {
		msg := fmt.Sprintf("a %s campaign cannot become %s", e.From, e.To)
		if e.Reason != "" {
			msg += ": " + e.Reason
		}
		return msg
	}
	return fmt.Sprintf("活动%s，不能改为%s", e.From.Label(), e.To.Label())
}

// Unwrap returns ErrBadTransition.
func (e *TransitionError) Unwrap() error { return ErrBadTransition }

// Event is one entry of a campaign's ledger: a transition or an approval.
// From == To for an approval.
type Event struct {
	CampaignID int64
	At         time.Time
	Actor      string
	From, To   State
	Note       string // e.g. "audience 1200", "approved"
}

// Policy holds the organisation's rules for campaigns. The zero value is
// usable: every field has a default. A Policy is read-only once built and
// safe for concurrent use (the WordFilter is too).
type Policy struct {
	// ApprovalThreshold is the largest audience a campaign may reach
	// without a second user's approval (maker-checker). Zero means
	// DefaultApprovalThreshold; negative means every campaign needs one.
	ApprovalThreshold int
	// Words is the sensitive-word list checked over every text. Nil means
	// no check.
	Words *WordFilter
	// SignName is the registered SMS signature without brackets. Empty
	// means DefaultSignName (网格通).
	SignName string
	// OptOutHints are the phrases, one of which every SMS template must
	// carry. Nil means DefaultOptOutHints.
	OptOutHints []string
	// MinRecurrence is the shortest gap allowed between two runs of a
	// recurring campaign. Zero means DefaultMinRecurrence (24 h).
	MinRecurrence time.Duration
}

// Policy defaults.
const (
	DefaultApprovalThreshold = 1000
	DefaultSignName          = "网格通"
	DefaultMinRecurrence     = 24 * time.Hour
)

// DefaultOptOutHints are the opt-out phrases the carriers and Aliyun
// recognise; one must appear in every SMS template.
var DefaultOptOutHints = []string{"回T退订", "回TD退订", "退订回T", "退订回TD", "拒收请回复R"}

func (p Policy) threshold() int {
	if p.ApprovalThreshold == 0 {
		return DefaultApprovalThreshold
	}
	return p.ApprovalThreshold
}

func (p Policy) signName() string {
	if p.SignName == "" {
		return DefaultSignName
	}
	return trimSign(p.SignName)
}

func (p Policy) optOutHints() []string {
	if p.OptOutHints == nil {
		return DefaultOptOutHints
	}
	return p.OptOutHints
}

func (p Policy) minRecurrence() time.Duration {
	if p.MinRecurrence == 0 {
		return DefaultMinRecurrence
	}
	return p.MinRecurrence
}

// NeedsApproval reports whether an audience of this size needs a second
// user's approval: it does when it exceeds the threshold (1000 with the
// default: 1000 residents need none, 1001 do).
func (p Policy) NeedsApproval(audience int) bool {
	t := p.threshold()
	return t < 0 || audience > t
}

// Approved reports whether c carries an approval that still holds: by a
// user other than the owner, for the content c has now.
func (c Campaign) Approved() bool {
	return c.ApprovedBy != "" && c.ApprovedBy != c.Owner && c.ApprovedDigest == c.Digest()
}

// Approve records actor's approval of c as it now reads (see Digest) and
// returns the ledger event. The owner can never approve (ErrSelfApproval),
// whatever the audience; a terminal campaign cannot be approved. Approving
// again replaces the earlier approval.
func (c *Campaign) Approve(actor string, now time.Time) (Event, error) {
	actor = strings.TrimSpace(actor)
	from := c.state()
	switch {
	case actor == "":
		return Event{}, ErrNoActor
	case from.Terminal():
		return Event{}, fmt.Errorf("campaigns: cannot approve a %s campaign: %w", from, ErrBadTransition)
	case strings.EqualFold(actor, strings.TrimSpace(c.Owner)):
		return Event{}, fmt.Errorf("%w (%s)", ErrSelfApproval, actor)
	}
	c.ApprovedBy, c.ApprovedAt, c.ApprovedDigest = actor, now, c.Digest()
	c.UpdatedAt = now
	return Event{CampaignID: c.ID, At: now, Actor: actor, From: from, To: from, Note: NoteApproved}, nil
}

// Transition moves c to the state to on behalf of actor, given the current
// audience size, and returns the ledger event. It refuses, leaving c
// unchanged:
//   - an edge the life cycle lacks, or running → scheduled for a one-off
//     campaign (*TransitionError, ErrBadTransition);
//   - scheduling an invalid campaign (ErrInvalid, wrapping Validate's errors);
//   - scheduling or running a campaign whose ExpiresAt is not after now
//     (ErrExpired): complete or cancel it instead;
//   - scheduling or running when pol.NeedsApproval(audience) and c is not
//     Approved (ErrNeedsApproval).
//
// Cancelling, pausing and completing are never refused from a state that
// has the edge.
func (c *Campaign) Transition(to State, actor string, audience int, pol Policy, now time.Time) (Event, error) {
	actor = strings.TrimSpace(actor)
	from := c.state()
	if actor == "" {
		return Event{}, ErrNoActor
	}
	if !from.Allowed(to) {
		return Event{}, &TransitionError{From: from, To: to}
	}
	if from == StateRunning && to == StateScheduled && c.Recurrence == "" {
		return Event{}, &TransitionError{From: from, To: to, Reason: "only a recurring campaign goes back to scheduled"}
	}
	note := ""
	if to == StateScheduled || to == StateRunning {
		if from == StateDraft {
			if err := c.Validate(pol); err != nil {
				return Event{}, invalid(err)
			}
		}
		if !c.ExpiresAt.IsZero() && !now.Before(c.ExpiresAt) {
			return Event{}, fmt.Errorf("%w at %s", ErrExpired, c.ExpiresAt.In(Shanghai()).Format(time.DateTime))
		}
		if pol.NeedsApproval(audience) && !c.Approved() {
			why := "no approval"
			if c.ApprovedBy != "" {
				why = "the content changed after " + c.ApprovedBy + " approved it"
			}
			limit := fmt.Sprintf("exceeds %d", pol.threshold())
			if pol.threshold() < 0 {
				limit = "needs it under a policy that approves every campaign"
			}
			return Event{}, fmt.Errorf("%w: audience %d %s and %s", ErrNeedsApproval, audience, limit, why)
		}
		note = fmt.Sprintf("audience %d", audience)
	}
	c.State = to
	c.UpdatedAt = now
	return Event{CampaignID: c.ID, At: now, Actor: actor, From: from, To: to, Note: note}, nil
}

// Refusal errors; test with errors.Is.
var (
	// ErrNoComment: a refusal without a comment; the maker needs to know
	// what to change.
	ErrNoComment = fault.Refuse(fault.ErrInvalid, "say why: a refusal needs a comment for the maker",
		"请填写退回意见：创建人需要知道改什么", nil)
	// ErrSelfRefusal: the owner tried to refuse their own campaign; they
	// edit or cancel it instead.
	ErrSelfRefusal = fault.Refuse(fault.ErrConflict, "the owner cannot refuse their own campaign: edit or cancel it",
		"不能退回自己创建的活动，请直接编辑或取消", nil)
	// ErrNotAwaiting: the campaign is not a draft awaiting approval (it is
	// past draft, or its approval holds).
	ErrNotAwaiting = fault.Refuse(fault.ErrConflict, "the campaign is not awaiting approval", "该活动不在待审核状态", nil)
	// ErrNotOwner: someone other than the maker tried to edit a draft; the
	// maker-checker rule keys on the maker, so only they change it.
	ErrNotOwner = fault.Refuse(fault.ErrConflict, "only the campaign's maker may edit it", "只有活动的创建人可以编辑", nil)
	// ErrNotDraft: an edit of a campaign past draft.
	ErrNotDraft = fault.Refuse(fault.ErrConflict, "only a draft may be edited", "只有草稿可以编辑", nil)
)

// The notes of the events a draft's review leaves on the record; an
// actor's comment follows after ": ".
const (
	NoteApproved = "approved"
	NoteRefused  = "refused"
	NoteEdited   = "edited"
)

// Refuse records actor's refusal of c, a draft awaiting approval, and
// returns the ledger event: c stays a draft, for its maker to edit, and
// loses any approval that no longer holds. The comment is required
// (ErrNoComment) and is the caller's to add to the event's note. The owner
// cannot refuse (ErrSelfRefusal); a campaign past draft or approved as it
// reads cannot be (ErrNotAwaiting).
func (c *Campaign) Refuse(actor, comment string, now time.Time) (Event, error) {
	actor = strings.TrimSpace(actor)
	switch {
	case actor == "":
		return Event{}, ErrNoActor
	case strings.TrimSpace(comment) == "":
		return Event{}, ErrNoComment
	case c.state() != StateDraft || c.Approved():
		return Event{}, fmt.Errorf("%w (campaign %d is %s)", ErrNotAwaiting, c.ID, c.state())
	case strings.EqualFold(actor, strings.TrimSpace(c.Owner)):
		return Event{}, fmt.Errorf("%w (%s)", ErrSelfRefusal, actor)
	}
	c.ApprovedBy, c.ApprovedAt, c.ApprovedDigest = "", time.Time{}, ""
	c.UpdatedAt = now
	return Event{CampaignID: c.ID, At: now, Actor: actor, From: StateDraft, To: StateDraft, Note: NoteRefused}, nil
}

// Refusal is the refusal that stands on a campaign's record evs (oldest
// first): the last one, unless the campaign was edited, approved or moved
// since. ok is false when none stands.
func Refusal(evs []Event) (ev Event, ok bool) {
	for _, e := range evs {
		switch {
		case noteIs(e.Note, NoteRefused):
			ev, ok = e, true
		case noteIs(e.Note, NoteEdited), noteIs(e.Note, NoteApproved), e.From != e.To:
			ev, ok = Event{}, false
		}
	}
	return ev, ok
}

// Comment is the actor's comment on e, after the ledger's own note.
func (e Event) Comment() string {
	for _, n := range []string{NoteRefused, NoteApproved, NoteEdited} {
		if rest, found := strings.CutPrefix(e.Note, n+": "); found {
			return rest
		}
	}
	return ""
}

func noteIs(note, kind string) bool { return note == kind || strings.HasPrefix(note, kind+": ") }
