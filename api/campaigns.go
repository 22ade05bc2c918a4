package api

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/audit"
	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/population"
)

// Campaigns is what the campaign endpoints need from the ledger.
type Campaigns interface {
	campaigns.Mover
	CreateCampaign(ctx context.Context, c *campaigns.Campaign) error
	Campaigns(ctx context.Context, state campaigns.State, limit int) ([]campaigns.Campaign, error)
	CampaignEvents(ctx context.Context, id int64) ([]campaigns.Event, error)
	Funnel(ctx context.Context, campaignID int64) (outbound.Funnel, error)
	// CampaignWaiting counts the campaign's pending messages by why they
	// wait.
	CampaignWaiting(ctx context.Context, campaignID int64) ([]outbound.Waiting, error)
	// UpdateCampaign stores a draft's new content (PUT /api/v1/campaigns/{id}).
	UpdateCampaign(ctx context.Context, c campaigns.Campaign) error
	// StreamSegment and WorkerForGrid, with Templates, render the preview.
	StreamSegment(ctx context.Context, expr string, afterID int64, batch int, fn func([]population.Resident) error) error
	WorkerForGrid(ctx context.Context, gridCode string, role population.Role) (population.Worker, error)
}

// Campaign is a campaign as the API reads and writes it.
type Campaign struct {
	ID            int64             `json:"id,omitempty"`
	Name          string            `json:"name"`
	Kind          string            `json:"kind"`
	Segment       string            `json:"segment"`
	ChannelPolicy string            `json:"channel_policy,omitempty"`
	Owner         string            `json:"owner"`
	ScheduleAt    time.Time         `json:"schedule_at,omitzero"`
	ExpiresAt     time.Time         `json:"expires_at"`
	Recurrence    string            `json:"recurrence,omitempty"`
	Text          string            `json:"text,omitempty"`
	ReplyOptions  map[string]string `json:"reply_options,omitempty"`
	ExtendCode    string            `json:"extend_code,omitempty"`
	SMS           struct {
		SignName     string            `json:"sign_name"`
		TemplateCode string            `json:"template_code"`
		Params       map[string]string `json:"params"`
	} `json:"sms"`
	WeChat struct {
		TemplateID string            `json:"template_id"`
		URL        string            `json:"url,omitempty"`
		Fields     map[string]string `json:"fields"`
	} `json:"wechat"`
	// Scope is where the campaign may reach: grid codes, each with its
	// subtree, or "*" for the whole city. On create it defaults to the
	// maker's scope and may only narrow it; the audience is the segment
	// within it.
	Scope      []string  `json:"scope,omitempty"`
	State      string    `json:"state,omitempty"`
	ApprovedBy string    `json:"approved_by,omitempty"`
	CreatedAt  time.Time `json:"created_at,omitzero"`
	// Refusal is the checker's refusal that stands on a draft: it went
	// back to its maker, who edits it (which lifts the refusal). Absent
	// when none stands.
	Refusal *CampaignRefusal `json:"refusal,omitempty"`
	// Warnings, in the answer to a create or an edit only: what is allowed but likely
	// a mistake (campaigns.Campaign.Warnings), e.g. text in a WeChat
	// template's first or remark, which WeChat no longer shows.
	Warnings []string `json:"warnings,omitempty"`
}

func campaignToAPI(c campaigns.Campaign) Campaign {
	out := Campaign{
		ID: c.ID, Name: c.Name, Kind: string(c.Kind), Segment: c.Segment, ChannelPolicy: string(c.ChannelPolicy),
		Owner: c.Owner, ScheduleAt: c.ScheduleAt, ExpiresAt: c.ExpiresAt, Recurrence: c.Recurrence, Text: c.Text,
		ReplyOptions: c.ReplyOptions, ExtendCode: c.ExtendCode, State: string(c.State), ApprovedBy: c.ApprovedBy,
		CreatedAt: c.CreatedAt, Scope: campaignScope(c),
	}
	if out.State == "" {
		out.State = string(campaigns.StateDraft)
	}
	out.SMS.SignName, out.SMS.TemplateCode, out.SMS.Params = c.SMS.SignName, c.SMS.TemplateCode, c.SMS.Params
	out.WeChat.TemplateID, out.WeChat.URL, out.WeChat.Fields = c.WeChat.TemplateID, c.WeChat.URL, c.WeChat.Fields
	return out
}

func (in Campaign) domain() (campaigns.Campaign, error) {
	kind, err := campaigns.ParseKind(in.Kind)
	if err != nil {
		return campaigns.Campaign{}, badRequest("kind: %v", "活动类型无效：%v", err)
	}
	return campaigns.Campaign{
		Name: in.Name, Kind: kind, Segment: in.Segment, ChannelPolicy: campaigns.ChannelPolicy(in.ChannelPolicy),
		Owner: in.Owner, ScheduleAt: in.ScheduleAt, ExpiresAt: in.ExpiresAt, Recurrence: in.Recurrence, Text: in.Text,
		ReplyOptions: in.ReplyOptions, ExtendCode: in.ExtendCode, Scope: in.Scope,
		SMS:    campaigns.SMSContent{SignName: in.SMS.SignName, TemplateCode: in.SMS.TemplateCode, Params: in.SMS.Params},
		WeChat: campaigns.WeChatContent{TemplateID: in.WeChat.TemplateID, URL: in.WeChat.URL, Fields: in.WeChat.Fields},
	}, nil
}

// CampaignRefusal is a checker's refusal of a draft, with their comment.
type CampaignRefusal struct {
	By      string    `json:"by"`
	At      time.Time `json:"at"`
	Comment string    `json:"comment"`
}

func refusalToAPI(evs []campaigns.Event) *CampaignRefusal {
	ev, ok := campaigns.Refusal(evs)
	if !ok {
		return nil
	}
	return &CampaignRefusal{By: ev.Actor, At: ev.At, Comment: ev.Comment()}
}

func (s *server) mountCampaigns(v1 mountFunc) {
	v1("GET /api/v1/campaigns", s.listCampaigns)
	v1("POST /api/v1/campaigns", s.createCampaign, access.RoleOfficer)
	v1("GET /api/v1/campaigns/{id}", s.campaignRead(s.getCampaign))
	v1("GET /api/v1/campaigns/{id}/events", s.campaignRead(s.campaignEvents))
	v1("POST /api/v1/campaigns/{id}/actions", s.campaignAct(s.campaignAction), access.RoleOfficer, access.RoleChecker)
	s.mountCampaignEdits(v1)
}

func (s *server) campaignID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, badRequest("campaign id %q: want a number", "活动编号 %q 无效", r.PathValue("id"))
	}
	return id, nil
}

// defaultCampaignsPage is GET /api/v1/campaigns' page when no limit is
// given; scopedCampaignsWindow how many of the newest campaigns are read
// for a caller who sees part of the city.
const (
	defaultCampaignsPage  = 100
	scopedCampaignsWindow = 5000
)

func (s *server) listCampaigns(w http.ResponseWriter, r *http.Request) {
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	if limit <= 0 {
		limit = defaultCampaignsPage
	}
	// A caller who sees part of the city reads a wider window and keeps
	// the campaigns of their scope, so that their page is not cut short
	// by the campaigns of other grids.
	scope, read := scopeOf(r), limit
	if !scope.Everything() {
		read = scopedCampaignsWindow
	}
	cs, err := s.cfg.Campaigns.Campaigns(r.Context(), campaigns.State(r.URL.Query().Get("state")), read)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]Campaign, 0, min(len(cs), limit))
	for _, c := range cs {
		if len(out) < limit && scope.Overlaps(campaignScope(c)) {
			ac := campaignToAPI(c)
			// A draft awaiting approval may have gone back to its maker:
			// the approval queue leaves it out until it is edited.
			if c.Editable() && !c.Approved() {
				evs, err := s.cfg.Campaigns.CampaignEvents(r.Context(), c.ID)
				if err != nil {
					s.writeError(w, r, err)
					return
				}
				ac.Refusal = refusalToAPI(evs)
			}
			out = append(out, ac)
		}
	}
	writeJSON(w, 200, out)
}

func (s *server) createCampaign(w http.ResponseWriter, r *http.Request) {
	var in Campaign
	if err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	// The owner is the maker whom the approval rule keeps from approving:
	// with authentication, it can only be the user who creates it.
	owner, err := actor(r, "owner", in.Owner)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	in.Owner = owner
	c, err := in.domain()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !s.settleCampaign(w, r, &c) {
		return
	}
	if err := c.Validate(s.cfg.Policy); err != nil {
		s.writeError(w, r, campaigns.ErrInvalid.Because(err, true))
		return
	}
	if err := s.cfg.Campaigns.CreateCampaign(r.Context(), &c); err != nil {
		s.writeError(w, r, err)
		return
	}
	_ = s.record(r, c.Owner, audit.ActionCampaignCreate, fmt.Sprintf("campaign:%d", c.ID), "",
		fmt.Sprintf(`{"scope":%q,"kind":%q}`, access.Scope(c.Scope).String(), c.Kind))
	out := campaignToAPI(c)
	out.Warnings = c.Warnings()
	writeJSON(w, http.StatusCreated, out)
}

// settleCampaign gives a campaign from a request body its defaults — sent
// as soon as it is scheduled, reaching the caller's scope — and keeps it
// within the caller's scope; it answers 400 or 403 and returns false when
// it cannot.
func (s *server) settleCampaign(w http.ResponseWriter, r *http.Request, c *campaigns.Campaign) bool {
	if c.ScheduleAt.IsZero() {
		c.ScheduleAt = s.cfg.Now() // as soon as it is sent
	}
	// The campaign reaches no further than its maker's scope.
	mine := scopeOf(r)
	if len(c.Scope) == 0 {
		c.Scope = mine.Narrowest()
	} else if err := access.Scope(c.Scope).Validate(); err != nil {
		s.writeError(w, r, badRequest("scope: %v", "范围无效：%v", err))
		return false
	} else if !mine.CoversAll(c.Scope) {
		s.outOfScope(w, r, "scope "+access.Scope(c.Scope).String())
		return false
	} else {
		c.Scope = access.Scope(c.Scope).Narrowest()
	}
	if len(c.Scope) == 0 {
		s.outOfScope(w, r, "every grid")
		return false
	}
	return true
}

// CampaignStatus is a campaign with its funnel, why its pending messages
// wait, and the channels paused right now.
type CampaignStatus struct {
	Campaign Campaign        `json:"campaign"`
	Funnel   campaignsFunnel `json:"funnel"`
	// Waiting counts the campaign's pending messages by why they wait, most
	// first; empty when nothing is pending.
	Waiting []Waiting `json:"waiting"`
	// PausedChannels are the channels the queue holds right now (a quota
	// or configuration failure), whatever the campaign.
	PausedChannels []ChannelPause `json:"paused_channels"`
}

// Waiting is how many of a campaign's pending messages wait for one
// reason, and until when the first of them waits.
type Waiting struct {
	// Reason is the queue's wait reason: quiet_hours, capped_daily,
	// capped_weekly, capped_provider, channel_paused, rate_limited,
	// throttled, retry:CODE, outcome_unknown, recovered,
	// campaign_paused …; "" for messages not tried yet.
	Reason string    `json:"reason"`
	Count  int       `json:"count"`
	Until  time.Time `json:"until,omitzero"` // absent when they are due now
	// Text says it in the request's language (Chinese unless
	// Accept-Language prefers English), e.g. "免打扰时段，至 08:00".
	Text string `json:"text"`
}

// ChannelPause is a channel the queue holds right now.
type ChannelPause struct {
	Channel          string `json:"channel"`
	RemainingSeconds int    `json:"remaining_seconds"`
	Code             string `json:"code"` // the provider's code that paused it
	Text             string `json:"text"` // e.g. "短信渠道暂停 9 分钟（isv.AMOUNT_NOT_ENOUGH）"
}

type campaignsFunnel struct {
	Targeted  int                      `json:"targeted"`
	Skipped   map[string]int           `json:"skipped"`
	ByChannel map[string]channelFunnel `json:"by_channel"`
	// FollowUps: what else went out because of the campaign, by purpose
	// (reminder, confirm …).
	FollowUps map[string]channelFunnel `json:"follow_ups"`
}

type channelFunnel struct {
	Pending   int            `json:"pending"`
	Sending   int            `json:"sending"`
	Sent      int            `json:"sent"`
	Delivered int            `json:"delivered"`
	Failed    int            `json:"failed"`
	Skipped   int            `json:"skipped,omitempty"`
	FailedBy  map[string]int `json:"failed_by"`
}

func funnelToAPI(f outbound.Funnel) campaignsFunnel {
	out := campaignsFunnel{Targeted: f.Targeted, Skipped: map[string]int{}, ByChannel: map[string]channelFunnel{},
		FollowUps: map[string]channelFunnel{}}
	for r, n := range f.Skipped {
		out.Skipped[string(r)] = n
	}
	conv := func(cf outbound.ChannelFunnel) channelFunnel {
		fb := map[string]int{}
		for k, v := range cf.FailedBy {
			fb[k] = v
		}
		return channelFunnel{cf.Pending, cf.Sending, cf.Sent, cf.Delivered, cf.Failed, cf.Skipped, fb}
	}
	for ch, cf := range f.ByChannel {
		out.ByChannel[string(ch)] = conv(cf)
	}
	for p, cf := range f.FollowUps {
		out.FollowUps[string(p)] = conv(cf)
	}
	return out
}

func (s *server) getCampaign(w http.ResponseWriter, r *http.Request) {
	id, err := s.campaignID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := s.cfg.Campaigns.Campaign(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	f, err := s.cfg.Campaigns.Funnel(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ws, err := s.cfg.Campaigns.CampaignWaiting(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := CampaignStatus{Campaign: campaignToAPI(c), Funnel: funnelToAPI(f), Waiting: []Waiting{}, PausedChannels: []ChannelPause{}}
	if c.Editable() {
		evs, err := s.cfg.Campaigns.CampaignEvents(r.Context(), id)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		out.Campaign.Refusal = refusalToAPI(evs)
	}
	lang, now, loc := langOf(r), s.cfg.Now(), campaigns.Shanghai()
	for _, wt := range ws {
		text := outbound.DescribeWaitZh(wt.Reason, wt.Until, now, loc)
		if lang == fault.English {
			text = outbound.DescribeWait(wt.Reason, wt.Until, now, loc)
		}
		until := wt.Until
		if !until.After(now) {
			until = time.Time{}
		}
		out.Waiting = append(out.Waiting, Waiting{Reason: wt.Reason, Count: wt.Count, Until: until, Text: text})
	}
	if s.cfg.ChannelPauses != nil {
		// Redis not answering costs the pauses, not the campaign's status.
		ps, err := s.cfg.ChannelPauses(r.Context())
		if err != nil {
			s.cfg.Log.WarnContext(r.Context(), "channel_pauses_unread", "err", err)
			ps = nil
		}
		for _, p := range ps {
			text := p.DescribeZh()
			if lang == fault.English {
				text = p.Describe()
			}
			out.PausedChannels = append(out.PausedChannels, ChannelPause{Channel: string(p.Channel),
				RemainingSeconds: int((p.Remaining + time.Second - 1) / time.Second), Code: p.Code, Text: text})
		}
	}
	writeJSON(w, 200, out)
}

// CampaignEvent is one entry of a campaign's record.
type CampaignEvent struct {
	At    time.Time `json:"at"`
	Actor string    `json:"actor"`
	From  string    `json:"from"`
	To    string    `json:"to"`
	Note  string    `json:"note,omitempty"`
}

func (s *server) campaignEvents(w http.ResponseWriter, r *http.Request) {
	id, err := s.campaignID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	evs, err := s.cfg.Campaigns.CampaignEvents(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]CampaignEvent, 0, len(evs))
	for _, e := range evs {
		out = append(out, CampaignEvent{e.At, e.Actor, string(e.From), string(e.To), e.Note})
	}
	writeJSON(w, 200, out)
}

type actionRequest struct {
	Action string `json:"action"` // approve, refuse, send, pause, resume, cancel
	By     string `json:"by"`     // the user when authenticated; else required
	// Comment goes on the campaign's record with the event: a checker's
	// word on what they approved, an officer's reason to cancel. A refusal
	// requires one: it tells the maker what to change.
	Comment string `json:"comment,omitempty"`
}

// maxActionComment caps an action's comment, in characters.
const maxActionComment = 200

// actions maps an action to its target state and the one state it applies
// from ("" = any the life cycle allows).
var actions = map[string]struct{ to, only campaigns.State }{
	"send":   {campaigns.StateScheduled, ""},
	"pause":  {campaigns.StatePaused, campaigns.StateRunning},
	"resume": {campaigns.StateRunning, campaigns.StatePaused},
	"cancel": {campaigns.StateCancelled, ""},
}

func (s *server) campaignAction(w http.ResponseWriter, r *http.Request) {
	id, err := s.campaignID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req actionRequest
	if err := decode(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.By, err = actor(r, "by", req.By); err == nil && req.By == "" {
		err = badRequest("by is required: every change is on the campaign's record", "请注明操作人（by）：每项变更都记入活动台账")
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if utf8.RuneCountInString(req.Comment) > maxActionComment {
		s.writeError(w, r, badRequest("comment: at most %d characters", "意见最多 %d 个字", maxActionComment))
		return
	}
	// A checker approves or refuses; every other action is an officer's.
	review := req.Action == "approve" || req.Action == "refuse"
	if u, ok := userFrom(r.Context()); ok && !review && !u.Has(access.RoleOfficer) {
		s.auth.refuse(w, r, http.StatusForbidden, "role", fmt.Sprintf("%s needs the officer role; yours: %s", req.Action, rolesText(u.Roles)))
		return
	}
	var c campaigns.Campaign
	switch req.Action {
	case "approve":
		c, _, err = campaigns.MoveNoted(r.Context(), s.cfg.Campaigns, id, "", true, req.By, req.Comment, s.cfg.Policy, s.cfg.Now())
	case "refuse":
		c, _, err = campaigns.Refuse(r.Context(), s.cfg.Campaigns, id, req.By, req.Comment, s.cfg.Now())
	default:
		a, ok := actions[req.Action]
		if !ok {
			s.writeError(w, r, badRequest("action %q: want approve, refuse, send, pause, resume or cancel",
				"操作 %q 无效，可选 approve、refuse、send、pause、resume、cancel", req.Action))
			return
		}
		if a.only != "" {
			cur, err := s.cfg.Campaigns.Campaign(r.Context(), id)
			if err != nil {
				s.writeError(w, r, err)
				return
			}
			if cur.State != a.only {
				s.writeError(w, r, fault.Refuse(fault.ErrConflict,
					fmt.Sprintf("campaign %d is %s; %s applies to a %s campaign", id, cur.State, req.Action, a.only),
					fmt.Sprintf("活动 %d %s，该操作只适用于%s的活动", id, cur.State.Label(), a.only.Label()), nil))
				return
			}
		}
		c, _, err = campaigns.MoveNoted(r.Context(), s.cfg.Campaigns, id, a.to, false, req.By, req.Comment, s.cfg.Policy, s.cfg.Now())
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	reason := ""
	if req.Action == "refuse" {
		reason = strings.TrimSpace(req.Comment) // the refusal's why, as the record has it
	}
	_ = s.record(r, req.By, audit.Action("campaign."+req.Action), fmt.Sprintf("campaign:%d", id), reason,
		fmt.Sprintf(`{"state":%q}`, c.State))
	if s.cfg.Kick != nil && (req.Action == "send" || req.Action == "resume") {
		// The minute tick starts it anyway: a failed kick only delays it.
		if err := s.cfg.Kick(r.Context()); err != nil {
			s.cfg.Log.WarnContext(r.Context(), "campaign_kick_failed", "campaign_id", id, "err", err)
		}
	}
	writeJSON(w, 200, campaignToAPI(c))
}
