package desk

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/tickets"
)

// Kind is what an inbound Message is.
type Kind string

// The inbound kinds, the same words as gateway.InboundKind's. Only text
// (and voice with recognition) is read for keywords; the rest become
// questions or events.
const (
	KindText     Kind = "text"
	KindVoice    Kind = "voice"
	KindImage    Kind = "image"
	KindLocation Kind = "location"
	KindFollow   Kind = "follow"   // WeChat subscribe event
	KindUnfollow Kind = "unfollow" // WeChat unsubscribe event
	KindOther    Kind = "other"
)

// The intents of the WeChat events, recorded beside tickets.Intent values.
const (
	IntentFollow   tickets.Intent = "follow"
	IntentUnfollow tickets.Intent = "unfollow"
)

// Message is one inbound message, from either channel.
type Message struct {
	Channel population.Channel
	// ProviderMsgID is the dedupe key: WeChat's MsgId (or the event's
	// DedupKey), the uplink's sequence id.
	ProviderMsgID string
	// From is the sender's openid (WeChat) or phone number (SMS).
	// Personal data.
	From string
	Kind Kind
	// Text is what the resident wrote, or a description of a voice,
	// image or location message. Personal data.
	Text string
	// At is when the provider received it (whole seconds); zero means
	// now. The record keeps the time the desk handled it, which orders it
	// correctly among the answers it prompts.
	At time.Time
	// ExtendCode is the SMS extension code the uplink was sent to.
	ExtendCode string
	// MediaID is the provider's id of an image or voice message's media
	// (WeChat keeps it three days); "" for other kinds.
	MediaID string
}

// Outcome is what Handle did with a message.
type Outcome struct {
	InboundID  int64
	Duplicate  bool // recorded before: nothing was done again
	ResidentID int64
	CampaignID int64
	Intent     tickets.Intent
	TicketID   int64 // the ticket it opened, joined or reopened; 0 if none
	NewTicket  bool
}

// inboundCtx is what Handle learns about a message before acting.
type inboundCtx struct {
	m        Message
	now      time.Time
	resident population.Resident // ID 0 for an unknown sender
	campaign campaigns.Campaign
	visit    campaigns.Visit // ID 0 when none is proposed
	ratable  tickets.Ticket  // ID 0 when none awaits a rating
	binding  tickets.Binding // ID 0 when none is pending
	res      tickets.Result
	inbound  int64
	ticket   int64 // the ticket the message went into, once known
}

// Handle records one inbound message once and acts on it. A message
// delivered again (same channel and provider id) after it was handled is
// a Duplicate and changes nothing. Errors are the store's or the
// dispatcher's and the queue retries them: a message recorded whose
// handling did not finish is acted on again by the retry (the keyword
// actions are idempotent; a question finds the ticket it already opened
// and joins it), so a failure in between loses nothing.
func (s *Service) Handle(ctx context.Context, m Message) (Outcome, error) {
	if m.Channel != population.ChannelWeChat && m.Channel != population.ChannelSMS {
		return Outcome{}, fmt.Errorf("desk: message channel %q: want wechat or sms", m.Channel)
	}
	if m.ProviderMsgID == "" || m.From == "" {
		return Outcome{}, errors.New("desk: message needs a provider id and a sender")
	}
	if m.Kind == "" {
		m.Kind = KindText
	}
	ic := &inboundCtx{m: m, now: s.now()}
	if ic.m.At.IsZero() {
		ic.m.At = ic.now
	}
	if err := s.learn(ctx, ic); err != nil {
		return Outcome{}, err
	}
	id, first, err := s.st.RecordInbound(ctx, tickets.InboundRecord{
		Channel: m.Channel, ProviderMsgID: m.ProviderMsgID, FromKey: m.From, ResidentID: ic.resident.ID,
		Content: ic.m.Text, ReceivedAt: ic.now, CampaignID: ic.campaign.ID, Intent: ic.res.Intent,
	})
	if err != nil {
		return Outcome{}, err
	}
	out := Outcome{InboundID: id, Duplicate: !first, ResidentID: ic.resident.ID, CampaignID: ic.campaign.ID, Intent: ic.res.Intent}
	if !first {
		prev, err := s.st.InboundByID(ctx, id)
		if err != nil {
			return out, err
		}
		if !prev.HandledAt.IsZero() {
			s.log.InfoContext(ctx, "inbound_duplicate", "channel", m.Channel, "inbound_id", id)
			return out, nil
		}
		// Recorded, but acting on it failed before it finished (this is the
		// retry): act again. A ticket it already reached is kept.
		s.log.InfoContext(ctx, "inbound_resumed", "channel", m.Channel, "inbound_id", id, "ticket_id", prev.TicketID)
		out.Duplicate = false
	}
	ic.inbound = id
	tid, isNew, err := s.act(ctx, ic)
	out.TicketID, out.NewTicket = tid, isNew
	if err != nil {
		return out, err
	}
	if err := s.keepInboundMedia(ctx, ic); err != nil {
		return out, err
	}
	if err := s.st.MarkInboundHandled(ctx, id, s.now()); err != nil {
		return out, err
	}
	s.log.InfoContext(ctx, "inbound_handled", "channel", m.Channel, "inbound_id", id, "resident_id", ic.resident.ID,
		"campaign_id", ic.campaign.ID, "intent", ic.res.Intent, "ticket_id", tid, "new_ticket", isNew)
	return out, nil
}

// learn finds the resident, the campaign the message answers and what is
// pending for them, and parses the text.
func (s *Service) learn(ctx context.Context, ic *inboundCtx) error {
	m := ic.m
	var err error
	ic.resident, err = s.st.Sender(ctx, m.Channel, m.From)
	if err != nil && !notFound(err) {
		return err
	}
	switch m.Kind {
	case KindFollow:
		ic.res = tickets.Result{Intent: IntentFollow}
		return nil
	case KindUnfollow:
		ic.res = tickets.Result{Intent: IntentUnfollow}
		return nil
	}
	rid := ic.resident.ID
	if err := s.thread(ctx, ic); err != nil {
		return err
	}
	var pc tickets.Context
	if rid != 0 {
		if ic.visit, err = s.st.ProposedVisit(ctx, rid, ic.now); err != nil && !notFound(err) {
			return err
		}
		if ic.ratable, err = s.st.RatableTicket(ctx, rid, ic.now.Add(-s.cfg.RatingWindow)); err != nil && !notFound(err) {
			return err
		}
	} else if m.Channel == population.ChannelWeChat {
		pc.UnboundFollower = true
		if ic.binding, err = s.st.PendingBinding(ctx, pii.OpenID(m.From), ic.now); err != nil && !notFound(err) {
			return err
		}
	}
	pc.VisitProposed = ic.visit.ID != 0
	pc.AwaitingRating = ic.ratable.ID != 0
	pc.BindingPending = ic.binding.ID != 0
	// A visit schedule's own options ("1确认", "2改期") are the visit rules:
	// they act on the slot rather than fill a sign-up list. And once the
	// resident's answer to a campaign became a ticket that is now resolved
	// and asks for a rating, the conversation has moved on: "1" rates it
	// (1 满意) rather than signs up again.
	answered := pc.AwaitingRating && ic.ratable.CampaignID != 0 && ic.ratable.CampaignID == ic.campaign.ID
	if len(ic.campaign.ReplyOptions) > 0 && (ic.visit.ID == 0 || ic.visit.CampaignID != ic.campaign.ID) && !answered {
		pc.ReplyOptions = ic.campaign.ReplyOptions
	}
	if m.Kind == KindText || (m.Kind == KindVoice && strings.TrimSpace(m.Text) != "") {
		ic.res = s.cfg.Tickets.Keywords.Parse(m.Text, pc)
	} else {
		if m.Kind == KindVoice {
			ic.m.Text = "[语音]"
		}
		ic.res = tickets.Result{Intent: tickets.IntentQuestion, Text: ic.m.Text}
	}
	return nil
}

// thread links the message to the campaign that prompted it: the SMS
// extension code first, else the latest campaign message to the resident
// within the thread window.
func (s *Service) thread(ctx context.Context, ic *inboundCtx) error {
	var id int64
	var err error
	switch {
	case ic.m.ExtendCode != "":
		id, err = s.st.CampaignByExtendCode(ctx, ic.m.ExtendCode, ic.resident.ID)
	case ic.resident.ID != 0:
		id, err = s.st.LatestOutreach(ctx, ic.resident.ID, ic.now.Add(-s.cfg.ThreadWindow))
	}
	if err != nil {
		if notFound(err) {
			err = nil
		}
		if err == nil && ic.m.ExtendCode != "" && ic.resident.ID != 0 {
			// An unknown code (a typo, a recycled number): fall back to the window.
			id, err = s.st.LatestOutreach(ctx, ic.resident.ID, ic.now.Add(-s.cfg.ThreadWindow))
			if notFound(err) {
				err = nil
			}
		}
		if err != nil {
			return err
		}
	}
	if id == 0 {
		return nil
	}
	c, err := s.st.Campaign(ctx, id)
	if err != nil {
		if notFound(err) {
			return nil
		}
		return err
	}
	ic.campaign = c
	return nil
}

// act does what the intent asks and returns the ticket it touched.
func (s *Service) act(ctx context.Context, ic *inboundCtx) (ticketID int64, isNew bool, err error) {
	r := ic.resident
	switch ic.res.Intent {
	case IntentFollow:
		if r.ID != 0 {
			return 0, false, s.answer(ctx, ic, outbound.PurposeConfirm, fill(s.cfg.Answers.WelcomeBack, "{name}", campaigns.SurnameTitle(r.Name, r.Gender)))
		}
		return 0, false, s.answer(ctx, ic, outbound.PurposeConfirm, s.cfg.Answers.Welcome)
	case IntentUnfollow:
		return 0, false, nil
	case tickets.IntentUnsubscribe:
		return 0, false, s.unsubscribe(ctx, ic)
	case tickets.IntentBindPhone:
		return 0, false, s.bindPhone(ctx, ic)
	case tickets.IntentBindCode:
		return 0, false, s.bindCode(ctx, ic)
	case tickets.IntentCampaignAnswer:
		return s.campaignAnswer(ctx, ic)
	case tickets.IntentConfirmVisit:
		v := ic.visit
		if err := s.st.SetSlotState(ctx, r.ID, v.CampaignID, campaigns.VisitConfirmed); err != nil && !notFound(err) {
			return 0, false, err
		}
		slot := v.Start.In(shanghai).Format("1月2日 15:04")
		return 0, false, s.answer(ctx, ic, outbound.PurposeConfirm, fill(s.cfg.Answers.VisitConfirmed, "{slot}", slot))
	case tickets.IntentRescheduleVisit:
		v := ic.visit
		if err := s.st.SetSlotState(ctx, r.ID, v.CampaignID, campaigns.VisitMoved); err != nil && !notFound(err) {
			return 0, false, err
		}
		if ic.campaign.ID == 0 || ic.campaign.ID != v.CampaignID {
			if c, err := s.st.Campaign(ctx, v.CampaignID); err == nil {
				ic.campaign = c
			}
		}
		id, isNew, err := s.question(ctx, ic, tickets.CategoryElderlyCare, v.Start)
		if err != nil {
			return id, isNew, err
		}
		return id, isNew, s.answer(ctx, ic, outbound.PurposeConfirm, s.cfg.Answers.VisitMoved)
	case tickets.IntentRating:
		return s.rate(ctx, ic)
	case tickets.IntentGreeting:
		if r.ID == 0 {
			break // an unknown sender: as a question below
		}
		t, err := s.st.OpenTicketFor(ctx, r.ID)
		if err == nil && t.Status.Open() {
			return t.ID, false, s.st.LinkInbound(ctx, ic.inbound, t.ID)
		}
		if err != nil && !notFound(err) {
			return 0, false, err
		}
		return 0, false, s.answer(ctx, ic, outbound.PurposeConfirm, s.cfg.Answers.Greeting)
	case tickets.IntentAcknowledge:
		if r.ID == 0 {
			return 0, false, nil
		}
		t, err := s.st.OpenTicketFor(ctx, r.ID)
		if err != nil || !t.Status.Open() {
			if notFound(err) {
				err = nil
			}
			return 0, false, err
		}
		return t.ID, false, s.st.LinkInbound(ctx, ic.inbound, t.ID)
	}
	if r.ID == 0 {
		// An unknown sender reporting an emergency is told the number to
		// call at once; no ticket can be opened for them.
		if em, ok := s.cfg.Tickets.Triage.Emergency(ic.res.Text); ok {
			return 0, false, s.answer(ctx, ic, outbound.PurposeConfirm, em.Alert())
		}
		// An unknown sender's question: kept for staff (UnknownSenders).
		// A WeChat follower is told how to bind; an unknown number gets
		// nothing (it may not even be a person).
		if ic.m.Channel == population.ChannelWeChat {
			return 0, false, s.answer(ctx, ic, outbound.PurposeConfirm, s.cfg.Answers.Unbound)
		}
		return 0, false, nil
	}
	return s.question(ctx, ic, "", time.Time{})
}

var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}()

func (s *Service) unsubscribe(ctx context.Context, ic *inboundCtx) error {
	topic, label := population.TopicAll, "全部通知"
	if ic.campaign.ID != 0 {
		topic, label = ic.campaign.Kind.Topic(), ic.campaign.Kind.Label()+"类消息"
	}
	if ic.resident.ID != 0 {
		if err := s.st.SetOptOut(ctx, ic.resident.ID, topic, true); err != nil {
			return err
		}
	}
	s.log.InfoContext(ctx, "resident_opted_out", "resident_id", ic.resident.ID, "topic", topic, "channel", ic.m.Channel)
	text := fill(s.cfg.Answers.Unsubscribed, "{topic}", label)
	if ic.m.Channel == population.ChannelSMS {
		return s.queue(ctx, &outbound.Message{Purpose: outbound.PurposeConfirm, CampaignID: ic.campaign.ID, ResidentID: ic.resident.ID, Route: outbound.RouteSMS,
			RouteReason: "answer on the channel the opt-out came by", To: ic.m.From, Text: text,
			TemplateCode: s.cfg.Templates.SMSUnsubscribe,
			Params:       map[string]string{"topic": label, "worker": s.workerName(ctx, ic.resident)}})
	}
	return s.answer(ctx, ic, outbound.PurposeConfirm, text)
}

func (s *Service) campaignAnswer(ctx context.Context, ic *inboundCtx) (int64, bool, error) {
	res := ic.res
	if ic.resident.ID != 0 {
		if err := s.st.RecordAnswer(ctx, tickets.Answer{CampaignID: ic.campaign.ID, ResidentID: ic.resident.ID, Option: res.Option, Meaning: res.Meaning, InboundID: ic.inbound, AnsweredAt: ic.m.At}); err != nil {
			return 0, false, err
		}
	}
	var tid int64
	var isNew bool
	if ic.resident.ID != 0 && slices.ContainsFunc(s.cfg.TicketOptions, func(w string) bool { return w != "" && strings.Contains(res.Meaning, w) }) {
		var err error
		// The ticket says what the bare "2" meant.
		ic.res.Text = fmt.Sprintf("回复%s（%s）：%s", res.Option, res.Meaning, ic.campaign.Name)
		if tid, isNew, err = s.question(ctx, ic, categoryOfKind(ic.campaign.Kind), time.Time{}); err != nil {
			return tid, isNew, err
		}
	}
	meaning := res.Meaning
	if meaning == "" {
		meaning = res.Option
	}
	return tid, isNew, s.answer(ctx, ic, outbound.PurposeConfirm, fill(s.cfg.Answers.SignedUp, "{meaning}", meaning))
}

// categoryOfKind is the ticket category of a question a campaign prompted.
func categoryOfKind(k campaigns.Kind) tickets.Category {
	switch k.Topic() {
	case population.TopicJob, population.TopicTraining:
		return tickets.CategoryEmployment
	case population.TopicVisit:
		return tickets.CategoryElderlyCare
	}
	return ""
}

func (s *Service) rate(ctx context.Context, ic *inboundCtx) (int64, bool, error) {
	t := ic.ratable
	ev, err := t.Rate(ic.res.Rating, ic.now)
	if err != nil {
		return t.ID, false, nil // rated meanwhile: nothing to do
	}
	if err := s.st.ApplyTicketEvent(ctx, t, ev); err != nil {
		if errors.Is(err, fault.ErrConflict) {
			return t.ID, false, nil
		}
		return t.ID, false, err
	}
	if err := s.st.LinkInbound(ctx, ic.inbound, t.ID); err != nil {
		return t.ID, false, err
	}
	if t.Status == tickets.StatusResolved {
		if ev, err := t.Transition(tickets.StatusClosed, tickets.ActorResident, ic.now); err == nil {
			ev.Note = fmt.Sprintf("rated %d", ic.res.Rating)
			if err := s.st.ApplyTicketEvent(ctx, t, ev); err != nil && !errors.Is(err, fault.ErrConflict) {
				return t.ID, false, err
			}
		}
	}
	return t.ID, false, s.answer(ctx, ic, outbound.PurposeConfirm, s.cfg.Answers.Rated)
}

// bindPhone starts a binding: the follower gave a number on record, a
// code goes to that number by SMS.
func (s *Service) bindPhone(ctx context.Context, ic *inboundCtx) error {
	openid := pii.OpenID(ic.m.From)
	if b := ic.binding; b.ID != 0 && ic.now.Sub(b.CreatedAt) < time.Minute {
		return s.answer(ctx, ic, outbound.PurposeConfirm, s.cfg.Answers.CodeWait)
	}
	r, err := s.st.ResidentByPhone(ctx, ic.res.Phone)
	if notFound(err) {
		return s.answer(ctx, ic, outbound.PurposeConfirm, s.cfg.Answers.NotFound)
	}
	if err != nil {
		return err
	}
	code, err := sixDigits()
	if err != nil {
		return err
	}
	if _, err := s.st.StartBinding(ctx, tickets.Binding{OpenID: openid, Phone: r.Phone, ResidentID: r.ID,
		CodeHash: codeHash(openid, code), CreatedAt: ic.now, ExpiresAt: ic.now.Add(s.cfg.BindingTTL)}); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "binding_started", "openid", openid, "resident_id", r.ID)
	if err := s.queue(ctx, &outbound.Message{Purpose: outbound.PurposeBindCode, ResidentID: r.ID, Route: outbound.RouteSMS,
		RouteReason: "binding code to the number on record", To: string(r.Phone), Text: "验证码（不留存）",
		TemplateCode: s.cfg.Templates.SMSVerify, Params: map[string]string{"code": code}}); err != nil {
		return err
	}
	return s.answer(ctx, ic, outbound.PurposeConfirm, fill(s.cfg.Answers.CodeSent, "{phone}", r.Phone.Masked(),
		"{minutes}", strconv.Itoa(int(s.cfg.BindingTTL/time.Minute))))
}

func (s *Service) bindCode(ctx context.Context, ic *inboundCtx) error {
	b, openid := ic.binding, pii.OpenID(ic.m.From)
	if subtle.ConstantTimeCompare([]byte(codeHash(openid, ic.res.Code)), []byte(b.CodeHash)) != 1 {
		n, err := s.st.BindingAttempt(ctx, b.ID)
		if err != nil {
			return err
		}
		if n >= s.cfg.BindingAttempts {
			if _, err := s.st.UseBinding(ctx, b.ID, ic.now); err != nil {
				return err
			}
			return s.answer(ctx, ic, outbound.PurposeConfirm, s.cfg.Answers.CodeSpent)
		}
		return s.answer(ctx, ic, outbound.PurposeConfirm, fill(s.cfg.Answers.CodeWrong, "{left}", strconv.Itoa(s.cfg.BindingAttempts-n)))
	}
	used, err := s.st.UseBinding(ctx, b.ID, ic.now)
	if err != nil || !used {
		return err
	}
	if err := s.st.BindOpenID(ctx, b.ResidentID, openid); err != nil {
		return err
	}
	r, err := s.st.Resident(ctx, b.ResidentID)
	if err != nil {
		return err
	}
	ic.resident = r
	s.log.InfoContext(ctx, "openid_bound", "openid", openid, "resident_id", r.ID)
	return s.answer(ctx, ic, outbound.PurposeConfirm, fill(s.cfg.Answers.Bound, "{name}", campaigns.SurnameTitle(r.Name, r.Gender)))
}

func sixDigits() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", fmt.Errorf("desk: binding code: %w", err)
	}
	return fmt.Sprintf("%06d", n.Int64()), nil
}

// codeHash binds the code to the follower so that a stored hash is no use
// for another openid. Six digits are guessable offline from a leaked hash;
// the code lives minutes and allows few attempts.
func codeHash(openid pii.OpenID, code string) string {
	sum := sha256.Sum256([]byte(string(openid) + "\x00" + code))
	return hex.EncodeToString(sum[:])
}
