package campaigns_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/campaigns"
)

var allStates = []campaigns.State{
	campaigns.StateDraft, campaigns.StateScheduled, campaigns.StateRunning,
	campaigns.StatePaused, campaigns.StateCompleted, campaigns.StateCancelled,
}

// TestTransitionMatrix tries every pair of states on a valid, approved,
// recurring campaign, so that only the life cycle's edges decide.
func TestTransitionMatrix(t *testing.T) {
	t.Parallel()
	allowed := map[[2]campaigns.State]bool{
		{campaigns.StateDraft, campaigns.StateScheduled}:     true,
		{campaigns.StateDraft, campaigns.StateCancelled}:     true,
		{campaigns.StateScheduled, campaigns.StateRunning}:   true,
		{campaigns.StateScheduled, campaigns.StateDraft}:     true,
		{campaigns.StateScheduled, campaigns.StateCancelled}: true,
		{campaigns.StateRunning, campaigns.StatePaused}:      true,
		{campaigns.StateRunning, campaigns.StateCompleted}:   true,
		{campaigns.StateRunning, campaigns.StateCancelled}:   true,
		{campaigns.StateRunning, campaigns.StateScheduled}:   true, // recurring only
		{campaigns.StatePaused, campaigns.StateRunning}:      true,
		{campaigns.StatePaused, campaigns.StateCompleted}:    true,
		{campaigns.StatePaused, campaigns.StateCancelled}:    true,
	}
	for _, from := range allStates {
		for _, to := range allStates {
			t.Run(fmt.Sprintf("%s→%s", from, to), func(t *testing.T) {
				t.Parallel()
				c := validCampaign()
				c.Recurrence = "@weekly"
				if _, err := c.Approve("checker.wang", t0); err != nil {
					t.Fatal(err)
				}
				c.State = from
				before := c
				ev, err := c.Transition(to, "officer.li", 5000, campaigns.Policy{}, t0)
				if allowed[[2]campaigns.State{from, to}] {
					if err != nil {
						t.Fatalf("Transition() = %v, want nil", err)
					}
					want := campaigns.Event{CampaignID: 7, At: t0, Actor: "officer.li", From: from, To: to}
					if to == campaigns.StateScheduled || to == campaigns.StateRunning {
						want.Note = "audience 5000"
					}
					if diff := cmp.Diff(want, ev); diff != "" {
						t.Errorf("event (-want +got):\n%s", diff)
					}
					if c.State != to || !c.UpdatedAt.Equal(t0) {
						t.Errorf("after: state %s updated %v, want %s %v", c.State, c.UpdatedAt, to, t0)
					}
					return
				}
				var te *campaigns.TransitionError
				if !errors.Is(err, campaigns.ErrBadTransition) || !errors.As(err, &te) || te.From != from || te.To != to {
					t.Fatalf("Transition() = %v, want a *TransitionError %s→%s", err, from, to)
				}
				if diff := cmp.Diff(before, c); diff != "" {
					t.Errorf("a refused transition changed the campaign (-before +after):\n%s", diff)
				}
			})
		}
	}
}

func TestTransitionGuards(t *testing.T) {
	t.Parallel()
	pol := campaigns.Policy{ApprovalThreshold: 1000}
	approved := func(c *campaigns.Campaign) {
		if _, err := c.Approve("checker.wang", t0); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name     string
		setup    func(c *campaigns.Campaign)
		to       campaigns.State
		actor    string
		audience int
		pol      *campaigns.Policy
		now      time.Time
		wantErr  error
		wantMsg  string
	}{
		{name: "at the threshold needs no approval", to: campaigns.StateScheduled, audience: 1000},
		{name: "one over the threshold needs approval", to: campaigns.StateScheduled, audience: 1001,
			wantErr: campaigns.ErrNeedsApproval,
			wantMsg: "the campaign needs approval by a second user first: audience 1001 exceeds 1000 and no approval"},
		{name: "approved", setup: approved, to: campaigns.StateScheduled, audience: 50000},
		{name: "default threshold is 1000", pol: &campaigns.Policy{}, to: campaigns.StateScheduled, audience: 1001, wantErr: campaigns.ErrNeedsApproval},
		{name: "configured threshold", pol: &campaigns.Policy{ApprovalThreshold: 5000}, to: campaigns.StateScheduled, audience: 5000},
		{name: "negative threshold: always", pol: &campaigns.Policy{ApprovalThreshold: -1}, to: campaigns.StateScheduled, audience: 1, wantErr: campaigns.ErrNeedsApproval},
		{name: "edited after approval", setup: func(c *campaigns.Campaign) {
			approved(c)
			c.SMS.Params["job"] = "另一场招聘会"
		}, to: campaigns.StateScheduled, audience: 1001, wantErr: campaigns.ErrNeedsApproval,
			wantMsg: "the campaign needs approval by a second user first: audience 1001 exceeds 1000 and the content changed after checker.wang approved it"},
		{name: "approval by the owner forged into the record", setup: func(c *campaigns.Campaign) {
			c.ApprovedBy, c.ApprovedDigest = c.Owner, c.Digest()
		}, to: campaigns.StateScheduled, audience: 1001, wantErr: campaigns.ErrNeedsApproval},
		{name: "running re-checks approval when the audience grew", setup: func(c *campaigns.Campaign) { c.State = campaigns.StateScheduled },
			to: campaigns.StateRunning, audience: 1200, wantErr: campaigns.ErrNeedsApproval},
		{name: "resuming re-checks approval", setup: func(c *campaigns.Campaign) { c.State = campaigns.StatePaused },
			to: campaigns.StateRunning, audience: 1200, wantErr: campaigns.ErrNeedsApproval},
		{name: "pausing needs no approval", setup: func(c *campaigns.Campaign) { c.State = campaigns.StateRunning },
			to: campaigns.StatePaused, audience: 1200},
		{name: "cancelling needs no approval", to: campaigns.StateCancelled, audience: 1200},
		{name: "invalid campaign cannot be scheduled", setup: func(c *campaigns.Campaign) { c.Owner = "" },
			to: campaigns.StateScheduled, wantErr: campaigns.ErrInvalid,
			wantMsg: "the campaign is invalid: owner: required"},
		{name: "invalid campaign can be cancelled", setup: func(c *campaigns.Campaign) { c.Owner = "" }, to: campaigns.StateCancelled},
		{name: "expired campaign cannot be scheduled", now: t0.Add(72 * time.Hour), to: campaigns.StateScheduled, wantErr: campaigns.ErrExpired,
			wantMsg: "the campaign has expired at 2026-03-19 10:00:00"},
		{name: "expired campaign cannot resume", setup: func(c *campaigns.Campaign) { c.State = campaigns.StatePaused },
			now: t0.Add(100 * time.Hour), to: campaigns.StateRunning, wantErr: campaigns.ErrExpired},
		{name: "expired campaign completes", setup: func(c *campaigns.Campaign) { c.State = campaigns.StatePaused },
			now: t0.Add(100 * time.Hour), to: campaigns.StateCompleted},
		{name: "one-off campaign does not go back to scheduled", setup: func(c *campaigns.Campaign) { c.State = campaigns.StateRunning },
			to: campaigns.StateScheduled, wantErr: campaigns.ErrBadTransition,
			wantMsg: "campaigns: cannot move a campaign from running to scheduled: only a recurring campaign goes back to scheduled"},
		{name: "no actor", actor: " ", to: campaigns.StateCancelled, wantErr: campaigns.ErrNoActor},
		{name: "zero state is draft", setup: func(c *campaigns.Campaign) { c.State = "" }, to: campaigns.StateScheduled},
		{name: "unknown target", to: "archived", wantErr: campaigns.ErrBadTransition,
			wantMsg: "campaigns: cannot move a campaign from draft to archived"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := validCampaign()
			if tt.setup != nil {
				tt.setup(&c)
			}
			p := pol
			if tt.pol != nil {
				p = *tt.pol
			}
			now := tt.now
			if now.IsZero() {
				now = t0
			}
			actor := tt.actor
			if actor == "" {
				actor = "officer.li"
			}
			before := c
			_, err := c.Transition(tt.to, actor, tt.audience, p, now)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("Transition() = %v, want %v", err, tt.wantErr)
			}
			if tt.wantMsg != "" && err.Error() != tt.wantMsg {
				t.Errorf("error = %q, want %q", err, tt.wantMsg)
			}
			if err != nil && c.State != before.State {
				t.Errorf("state changed to %s on error", c.State)
			}
			if err == nil && c.State != tt.to {
				t.Errorf("state = %s, want %s", c.State, tt.to)
			}
		})
	}
}

func TestApprove(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		state   campaigns.State
		actor   string
		wantErr error
	}{
		{"checker approves a draft", campaigns.StateDraft, "checker.wang", nil},
		{"checker approves a scheduled campaign", campaigns.StateScheduled, "checker.wang", nil},
		{"checker approves a paused campaign", campaigns.StatePaused, "checker.wang", nil},
		{"owner cannot approve", campaigns.StateDraft, "officer.li", campaigns.ErrSelfApproval},
		{"owner cannot approve in another case", campaigns.StateDraft, " Officer.Li ", campaigns.ErrSelfApproval},
		{"nobody", campaigns.StateDraft, "", campaigns.ErrNoActor},
		{"completed", campaigns.StateCompleted, "checker.wang", campaigns.ErrBadTransition},
		{"cancelled", campaigns.StateCancelled, "checker.wang", campaigns.ErrBadTransition},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := validCampaign()
			c.State = tt.state
			ev, err := c.Approve(tt.actor, t0)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("Approve() = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				if c.ApprovedBy != "" || c.Approved() {
					t.Errorf("a refused approval was recorded: %q", c.ApprovedBy)
				}
				return
			}
			want := campaigns.Event{CampaignID: 7, At: t0, Actor: "checker.wang", From: tt.state, To: tt.state, Note: "approved"}
			if diff := cmp.Diff(want, ev); diff != "" {
				t.Errorf("event (-want +got):\n%s", diff)
			}
			if !c.Approved() || c.ApprovedBy != "checker.wang" || !c.ApprovedAt.Equal(t0) {
				t.Errorf("Approved() = %v by %q at %v", c.Approved(), c.ApprovedBy, c.ApprovedAt)
			}
		})
	}
}

// TestMakerChecker walks the whole story: the owner cannot schedule a large
// campaign or approve it; a colleague approves; an edit voids the approval.
func TestMakerChecker(t *testing.T) {
	t.Parallel()
	pol := campaigns.Policy{ApprovalThreshold: 1000}
	c := validCampaign()
	var ledger []campaigns.Event
	step := func(ev campaigns.Event, err error) error {
		if err == nil {
			ledger = append(ledger, ev)
		}
		return err
	}
	if err := step(c.Transition(campaigns.StateScheduled, "officer.li", 1500, pol, t0)); !errors.Is(err, campaigns.ErrNeedsApproval) {
		t.Fatalf("schedule before approval = %v", err)
	}
	if err := step(c.Approve("officer.li", t0)); !errors.Is(err, campaigns.ErrSelfApproval) {
		t.Fatalf("self-approval = %v", err)
	}
	if err := step(c.Approve("checker.wang", t0.Add(time.Minute))); err != nil {
		t.Fatal(err)
	}
	if err := step(c.Transition(campaigns.StateScheduled, "officer.li", 1500, pol, t0.Add(2*time.Minute))); err != nil {
		t.Fatal(err)
	}
	if err := step(c.Transition(campaigns.StateDraft, "officer.li", 1500, pol, t0.Add(3*time.Minute))); err != nil {
		t.Fatal(err)
	}
	c.Text = "改过的正文 {{reply_hint}}"
	if err := step(c.Transition(campaigns.StateScheduled, "officer.li", 1500, pol, t0.Add(4*time.Minute))); !errors.Is(err, campaigns.ErrNeedsApproval) {
		t.Fatalf("schedule after an edit = %v", err)
	}
	if err := step(c.Approve("checker.zhao", t0.Add(5*time.Minute))); err != nil {
		t.Fatal(err)
	}
	for i, to := range []campaigns.State{campaigns.StateScheduled, campaigns.StateRunning, campaigns.StatePaused, campaigns.StateRunning, campaigns.StateCompleted} {
		if err := step(c.Transition(to, "system", 1500, pol, t0.Add(time.Duration(6+i)*time.Minute))); err != nil {
			t.Fatalf("→%s: %v", to, err)
		}
	}
	var got []string
	for _, ev := range ledger {
		got = append(got, fmt.Sprintf("%s %s %s→%s %s", ev.At.Format("15:04"), ev.Actor, ev.From, ev.To, ev.Note))
	}
	want := []string{
		"10:01 checker.wang draft→draft approved",
		"10:02 officer.li draft→scheduled audience 1500",
		"10:03 officer.li scheduled→draft ",
		"10:05 checker.zhao draft→draft approved",
		"10:06 system draft→scheduled audience 1500",
		"10:07 system scheduled→running audience 1500",
		"10:08 system running→paused ",
		"10:09 system paused→running audience 1500",
		"10:10 system running→completed ",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ledger (-want +got):\n%s", diff)
	}
	if _, err := c.Transition(campaigns.StateCancelled, "officer.li", 0, pol, t0); !errors.Is(err, campaigns.ErrBadTransition) {
		t.Errorf("cancel a completed campaign = %v, want ErrBadTransition", err)
	}
}

func TestStateHelpers(t *testing.T) {
	t.Parallel()
	var got []string
	for _, s := range allStates {
		got = append(got, fmt.Sprintf("%s terminal=%v editable=%v", s, s.Terminal(), campaigns.Campaign{State: s}.Editable()))
	}
	want := []string{
		"draft terminal=false editable=true",
		"scheduled terminal=false editable=false",
		"running terminal=false editable=false",
		"paused terminal=false editable=false",
		"completed terminal=true editable=false",
		"cancelled terminal=true editable=false",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if !campaigns.State("").Allowed(campaigns.StateScheduled) {
		t.Error(`State("").Allowed(scheduled) = false; the zero state is draft`)
	}
	if !(campaigns.Policy{}).NeedsApproval(1001) || (campaigns.Policy{}).NeedsApproval(1000) {
		t.Error("NeedsApproval boundary wrong for the default threshold")
	}
}
