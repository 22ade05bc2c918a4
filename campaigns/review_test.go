package campaigns_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/population"
)

// A checker sends a draft awaiting approval back to its maker, with a
// comment; nothing else may be refused, and nobody refuses their own.
func TestRefuse(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 17, 10, 0, 0, 0, campaigns.Shanghai())
	approved := func() campaigns.Campaign {
		c := validCampaign()
		if _, err := c.Approve("checker.wang", now); err != nil {
			t.Fatal(err)
		}
		return c
	}
	tests := []struct {
		name           string
		c              campaigns.Campaign
		actor, comment string
		want           error
	}{
		{"a draft awaiting approval", validCampaign(), "checker.wang", "时间写错了", nil},
		{"an approval voided by an edit", func() campaigns.Campaign { c := approved(); c.Segment = "age:18..60"; return c }(), "checker.wang", "请重新核对", nil},
		{"no comment", validCampaign(), "checker.wang", "  ", campaigns.ErrNoComment},
		{"no actor", validCampaign(), " ", "x", campaigns.ErrNoActor},
		{"its owner", validCampaign(), "Officer.Li", "我再改改", campaigns.ErrSelfRefusal},
		{"approved as it reads", approved(), "checker.zhao", "再看看", campaigns.ErrNotAwaiting},
		{"scheduled", func() campaigns.Campaign { c := approved(); c.State = campaigns.StateScheduled; return c }(), "checker.wang", "晚了", campaigns.ErrNotAwaiting},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := tt.c
			ev, err := c.Refuse(tt.actor, tt.comment, now)
			if tt.want != nil {
				if !errors.Is(err, tt.want) {
					t.Errorf("Refuse() = %v, want %v", err, tt.want)
				}
				if diff := cmp.Diff(tt.c, c); diff != "" {
					t.Errorf("a refused Refuse changed the campaign (-before +after):\n%s", diff)
				}
				return
			}
			want := campaigns.Event{CampaignID: 7, At: now, Actor: tt.actor, From: campaigns.StateDraft, To: campaigns.StateDraft, Note: "refused"}
			if err != nil || ev != want {
				t.Errorf("Refuse() = %+v, %v, want %+v", ev, err, want)
			}
			if c.State != tt.c.State || c.ApprovedBy != "" || c.ApprovedDigest != "" {
				t.Errorf("after the refusal: state %q approved by %q, want the draft without approval", c.State, c.ApprovedBy)
			}
		})
	}
}

// The refusal that stands is the last one, until the campaign is edited,
// approved or moved.
func TestRefusal(t *testing.T) {
	t.Parallel()
	ev := func(note string, from, to campaigns.State) campaigns.Event {
		return campaigns.Event{Actor: "x", Note: note, From: from, To: to}
	}
	d, s := campaigns.StateDraft, campaigns.StateScheduled
	tests := []struct {
		name string
		evs  []campaigns.Event
		want string // the standing refusal's comment; "" none
	}{
		{"none", []campaigns.Event{ev("created", "", d)}, ""},
		{"refused", []campaigns.Event{ev("created", "", d), ev("refused: 时间写错了", d, d)}, "时间写错了"},
		{"the last of two", []campaigns.Event{ev("refused: 一", d, d), ev("refused: 二", d, d)}, "二"},
		{"edited since", []campaigns.Event{ev("refused: 一", d, d), ev("edited", d, d)}, ""},
		{"refused after an edit", []campaigns.Event{ev("refused: 一", d, d), ev("edited", d, d), ev("refused: 三", d, d)}, "三"},
		{"approved since", []campaigns.Event{ev("refused: 一", d, d), ev("approved: 可以", d, d)}, ""},
		{"moved since", []campaigns.Event{ev("refused: 一", d, d), ev("audience 3", d, s)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := campaigns.Refusal(tt.evs)
			if ok != (tt.want != "") || got.Comment() != tt.want {
				t.Errorf("Refusal() = %+v %v (comment %q), want comment %q", got, ok, got.Comment(), tt.want)
			}
		})
	}
}

// editor is an Editor over one campaign in memory, keeping the events.
type editor struct {
	c      campaigns.Campaign
	events []campaigns.Event
}

func (e *editor) Campaign(_ context.Context, id int64) (campaigns.Campaign, error) {
	if id != e.c.ID {
		return campaigns.Campaign{}, fault.NotFound(fault.Campaign, id)
	}
	return e.c, nil
}
func (e *editor) CountSegment(context.Context, string) (int64, error) { return 1, nil }
func (e *editor) Templates(context.Context, population.Channel) ([]campaigns.Template, error) {
	return nil, nil
}
func (e *editor) ApplyCampaignEvent(_ context.Context, c campaigns.Campaign, ev campaigns.Event) error {
	e.c.State, e.c.ApprovedBy, e.c.ApprovedDigest = c.State, c.ApprovedBy, c.ApprovedDigest
	e.events = append(e.events, ev)
	return nil
}
func (e *editor) UpdateCampaign(_ context.Context, c campaigns.Campaign) error {
	c.State, c.ApprovedBy, c.ApprovedDigest, c.Owner = e.c.State, e.c.ApprovedBy, e.c.ApprovedDigest, e.c.Owner
	e.c = c
	return nil
}

var _ campaigns.Editor = (*editor)(nil)

// Only a draft's maker edits it; the edit is checked, recorded, and clears
// the approval it had.
func TestEdit(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 17, 10, 0, 0, 0, campaigns.Shanghai())
	st := &editor{c: validCampaign()}
	if _, err := st.c.Approve("checker.wang", now); err != nil {
		t.Fatal(err)
	}
	next := validCampaign()
	next.Name, next.Owner = "春风行动招聘会（改期）", "somebody.else" // the owner stays, whatever the body says
	if _, _, err := campaigns.Edit(t.Context(), st, next, "checker.wang", campaigns.Policy{}, now); !errors.Is(err, campaigns.ErrNotOwner) {
		t.Errorf("Edit by the checker = %v, want ErrNotOwner", err)
	}
	bad := next
	bad.Segment = "colour:red"
	if _, _, err := campaigns.Edit(t.Context(), st, bad, "officer.li", campaigns.Policy{}, now); !errors.Is(err, campaigns.ErrInvalid) {
		t.Errorf("Edit with a bad segment = %v, want ErrInvalid", err)
	}
	if st.c.Name != "春风行动招聘会" || len(st.events) != 0 {
		t.Fatalf("refused edits changed the campaign: %q, %v", st.c.Name, st.events)
	}
	c, ev, err := campaigns.Edit(t.Context(), st, next, "officer.li", campaigns.Policy{}, now)
	if err != nil {
		t.Fatal(err)
	}
	if st.c.Name != next.Name || st.c.Owner != "officer.li" || st.c.ApprovedBy != "" || c.ApprovedBy != "" {
		t.Errorf("after the edit: %q owner %q approved by %q, want the new name, the maker, no approval", st.c.Name, st.c.Owner, st.c.ApprovedBy)
	}
	if want := (campaigns.Event{CampaignID: 7, At: now, Actor: "officer.li", From: campaigns.StateDraft, To: campaigns.StateDraft, Note: "edited"}); ev != want {
		t.Errorf("the edit's event = %+v, want %+v", ev, want)
	}
	st.c.State = campaigns.StateScheduled
	if _, _, err := campaigns.Edit(t.Context(), st, next, "officer.li", campaigns.Policy{}, now); !errors.Is(err, campaigns.ErrNotDraft) {
		t.Errorf("Edit of a scheduled campaign = %v, want ErrNotDraft", err)
	}
}

// A sample is the message as the phone shows it, masked: an SMS whole
// with its parts, a WeChat template message without first and remark.
func TestRenderSample(t *testing.T) {
	t.Parallel()
	v := testVars()
	c := validCampaign()
	c.WeChat.Fields["first"] = "重要通知"
	wx := campaigns.Template{Code: "TPL_JOB", Content: "{{first.DATA}}\n岗位：{{keyword1.DATA}}\n网格员：{{keyword2.DATA}}\n回复：{{keyword3.DATA}}\n{{remark.DATA}}"}
	tpls := campaigns.Templates{SMS: smsTemplate(), WeChat: wx}

	sms := campaigns.RenderSample(c, population.ChannelSMS, v.Resident, v.Worker, tpls)
	if sms.Error != "" || !strings.HasPrefix(sms.Text, "【网格通】张先生您好") || strings.Contains(sms.Text, "李娜") ||
		!strings.Contains(sms.Text, "李*") || sms.To != "138****5678" || sms.Parts != campaigns.SMSParts(strings.Repeat("字", sms.Chars)) {
		t.Errorf("the SMS sample = %+v", sms)
	}
	got := campaigns.RenderSample(c, population.ChannelWeChat, v.Resident, v.Worker, tpls)
	want := []string{"岗位：春风行动招聘会", "网格员：李* 139****4321", "回复：回复1报名，回复2咨询，回T退订"}
	if diff := cmp.Diff(want, got.Lines); diff != "" || got.Error != "" || got.Parts != 0 {
		t.Errorf("the WeChat sample (-want +got):\n%s%+v", diff, got)
	}
	none := campaigns.RenderSample(c, population.ChannelSMS, v.Resident, v.Worker, campaigns.Templates{})
	if !strings.Contains(none.Error, "not synced") || none.Text != "" {
		t.Errorf("an SMS without its template = %+v, want it said not synced", none)
	}
}
