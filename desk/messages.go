package desk

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/tickets"
)

// The desk's messages: it composes them — route, recipient, text,
// template and parameters — and writes them on the ledger; the queue's
// one send path delivers them, with the same claim, error classes,
// receipts and recovery as every other message, and asks Fallback what
// replaces one that WeChat refused.

// maxParam is the longest SMS template parameter Aliyun accepts.
const maxParam = campaigns.MaxParamLen

// queue writes m on the ledger and hands it to the Dispatcher; m becomes
// the message as stored.
func (s *Service) queue(ctx context.Context, m *outbound.Message) error {
	if m.Actor == "" {
		m.Actor = tickets.ActorSystem
	}
	stored, _, err := s.st.CreateMessage(ctx, *m)
	if err != nil {
		return err
	}
	*m = stored
	if stored.Status != outbound.StatusPending {
		return nil
	}
	return s.disp.EnqueueSend(ctx, stored)
}

// queueAll queues ms in order and returns them as stored (those queued
// before a failure, with the error).
func (s *Service) queueAll(ctx context.Context, ms []outbound.Message) ([]outbound.Message, error) {
	out := make([]outbound.Message, 0, len(ms))
	for _, m := range ms {
		if err := s.queue(ctx, &m); err != nil {
			return out, err
		}
		out = append(out, m)
	}
	return out, nil
}

// answer sends text back on the channel ic's message came by: a
// customer-service message to the follower (they just wrote, so the
// window is open) or an SMS to the number.
func (s *Service) answer(ctx context.Context, ic *inboundCtx, purpose outbound.Purpose, text string) error {
	base := outbound.Message{Purpose: purpose, TicketID: ic.ticket, CampaignID: ic.campaign.ID, ResidentID: ic.resident.ID,
		RouteReason: "answer on the channel the message came by", To: ic.m.From}
	if ic.m.Channel == population.ChannelWeChat {
		base.Route, base.Text = outbound.RouteCustomerService, text
		return s.queue(ctx, &base)
	}
	ms, err := s.smsParts(ctx, base, ic.resident, text)
	if err != nil {
		return err
	}
	_, err = s.queueAll(ctx, ms)
	return err
}

// smsParts composes text as SMS on the reply template, split into parts
// that fit Aliyun's parameter limit.
func (s *Service) smsParts(ctx context.Context, base outbound.Message, r population.Resident, text string) ([]outbound.Message, error) {
	name := "居民"
	if r.ID != 0 {
		name = campaigns.SurnameTitle(r.Name, r.Gender)
	}
	w, err := s.st.WorkerForGrid(ctx, r.GridCode, population.RoleGridWorker)
	if err != nil && !notFound(err) {
		return nil, err
	}
	parts := splitRunes(text, maxParam)
	out := make([]outbound.Message, 0, len(parts))
	for i, p := range parts {
		m := base
		m.Route, m.TemplateCode, m.Text = outbound.RouteSMS, s.cfg.Templates.SMSReply, p
		if len(parts) > 1 {
			m.RouteReason = fmt.Sprintf("%s; part %d of %d", base.RouteReason, i+1, len(parts))
		}
		// The template goes on with "。": a reply ending in one would show two.
		m.Params = map[string]string{"name": name, "reply": strings.TrimRight(p, "。.;；"), "worker": firstNonEmpty(string(w.Name), "社区"),
			"phone": string(w.Phone)}
		out = append(out, m)
	}
	return out, nil
}

// splitRunes cuts s into pieces of at most n runes, preferring to cut
// after punctuation.
func splitRunes(s string, n int) []string {
	var units []string
	for _, r := range strings.TrimSpace(s) {
		units = append(units, string(r))
	}
	return splitUnits(units, n)
}

// splitWeChat cuts s into pieces that WeChat shows whole in a template
// message's field: at most campaigns.WeChatFieldWidth characters as WeChat
// counts them (a run of Latin letters or digits is one; emoji, which
// WeChat drops, are left out), preferring to cut after punctuation.
func splitWeChat(s string) []string {
	return splitUnits(campaigns.WeChatUnits(strings.TrimSpace(s)), campaigns.WeChatFieldWidth)
}

// splitUnits joins units (characters) into pieces of at most n of them,
// preferring to cut after punctuation.
func splitUnits(u []string, n int) []string {
	is := func(unit, set string) bool {
		r, size := utf8.DecodeRuneInString(unit)
		return size == len(unit) && strings.ContainsRune(set, r)
	}
	var out []string
	for len(u) > n {
		cut := n
		for i := n; i > n/2; i-- {
			if is(u[i-1], "，。；！？,.;!? ") {
				cut = i
				break
			}
		}
		if cut == n && is(u[n], "，。；！？、）」,.;!?)") {
			// Never start a part with the punctuation that ends the one
			// before: the last character goes along with it.
			cut--
		}
		out = append(out, strings.TrimSpace(strings.Join(u[:cut], "")))
		u = u[cut:]
	}
	if len(u) > 0 || len(out) == 0 {
		out = append(out, strings.Join(u, ""))
	}
	return out
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			return s
		}
	}
	return ""
}

// workerName is the clear name of the resident's grid worker, for a
// message to the resident ("社区" when the grid has none).
func (s *Service) workerName(ctx context.Context, r population.Resident) string {
	w, err := s.st.WorkerForGrid(ctx, r.GridCode, population.RoleGridWorker)
	if err != nil {
		return "社区"
	}
	return string(w.Name)
}

// route is how a message to the resident of t goes now
// (tickets.ChooseReply), with the resident.
func (s *Service) route(ctx context.Context, t tickets.Ticket) (population.Resident, tickets.ReplyRoute, error) {
	r, err := s.st.Resident(ctx, t.ResidentID)
	if err != nil {
		return r, tickets.ReplyRoute{}, err
	}
	last, sent, err := s.st.ReplyWindow(ctx, r.ID)
	if err != nil {
		return r, tickets.ReplyRoute{}, err
	}
	return r, tickets.ChooseReply(tickets.ReplyContext{Channel: t.Channel, LastInbound: last, SentSince: sent,
		OpenIDBound: r.OpenID != "", HasPhone: r.Phone != "" && r.Phone.Validate() == nil, Now: s.now()}), nil
}

// onRoute composes text to the resident r of ticket t on route rr: one
// message, or several SMS parts.
func (s *Service) onRoute(ctx context.Context, t tickets.Ticket, r population.Resident, purpose outbound.Purpose, actor, text string, rr tickets.ReplyRoute) ([]outbound.Message, error) {
	base := outbound.Message{Purpose: purpose, TicketID: t.ID, CampaignID: t.CampaignID, ResidentID: r.ID,
		Route: rr.Route, RouteReason: rr.Reason, Actor: actor, Text: text}
	switch rr.Route {
	case outbound.RouteCustomerService:
		base.To = string(r.OpenID)
		if base.To == "" {
			// Wrote on WeChat but unbound since: the window knows the openid
			// only through the binding, so fall to SMS.
			return s.onRoute(ctx, t, r, purpose, actor, text, tickets.ReplyRoute{Route: outbound.RouteSMS, Reason: rr.Reason + "; openid unbound"})
		}
	case outbound.RouteWeChatTemplate:
		base.To, base.TemplateCode = string(r.OpenID), s.cfg.Templates.WeChatReply
		w, err := s.st.WorkerByID(ctx, t.AssigneeWorkerID)
		if err != nil && !notFound(err) {
			return nil, err
		}
		return s.templateParts(base, t, firstNonEmpty(string(w.Name), "社区网格员"), text), nil
	case outbound.RouteSMS:
		base.To = string(r.Phone)
		return s.smsParts(ctx, base, r, text)
	default:
		s.log.WarnContext(ctx, "resident_unreachable", "ticket_id", t.ID, "resident_id", r.ID, "why", rr.Reason)
		return nil, fmt.Errorf("desk: ticket %d: resident cannot be reached: %s: %w", t.ID, rr.Reason, fault.ErrInvalid)
	}
	return []outbound.Message{base}, nil
}

// The fields of the desk's WeChat templates (Templates.WeChatReply and
// WeChatNotify). WeChat shows only keyword fields, each cut to
// campaigns.WeChatFieldWidth characters, so everything the reader needs
// is in one of them, short: first and remark are never filled.
const (
	// To a resident (WeChatReply).
	fieldRequest  = "keyword1" // 诉求编号: #12 环境卫生
	fieldProgress = "keyword2" // 办理进度: 网格员已回复, 已办结 …, and (1/2) for a part
	fieldAnswer   = "keyword3" // 回复内容: the text, or one part of it
	fieldWorker   = "keyword4" // 网格员: the assigned worker's name
	// To a worker (WeChatNotify).
	fieldTicket  = "keyword1" // 工单编号: #12 环境卫生
	fieldEvent   = "keyword2" // 工单事项: 新工单, 超期升级 …
	fieldSummary = "keyword3" // 诉求内容: the resident's text as far as WeChat shows it; the URL opens the ticket
	fieldDue     = "keyword4" // 处理时限: 1月2日 15:04
)

// templateParts composes text to the resident of t as template messages
// on base: one, or, when WeChat would cut the text, one per part that it
// shows whole, the part's number in the progress field. Each names the
// request and the worker.
func (s *Service) templateParts(base outbound.Message, t tickets.Ticket, worker, text string) []outbound.Message {
	progress := progressLabel(base.Purpose)
	parts := splitWeChat(text)
	out := make([]outbound.Message, 0, len(parts))
	for i, p := range parts {
		m := base
		m.Params = map[string]string{fieldRequest: s.ticketLabel(t), fieldProgress: progress, fieldAnswer: p, fieldWorker: worker}
		if len(parts) > 1 {
			m.Text = p
			m.RouteReason = fmt.Sprintf("%s; part %d of %d", base.RouteReason, i+1, len(parts))
			m.Params[fieldProgress] = fmt.Sprintf("%s（%d/%d）", progress, i+1, len(parts))
		}
		out = append(out, m)
	}
	return out
}

// progressLabel is what a template message to a resident says of their
// request, by the message's purpose.
func progressLabel(p outbound.Purpose) string {
	switch p {
	case outbound.PurposeReply:
		return "网格员已回复"
	case outbound.PurposeRatingRequest:
		return "已办结"
	case outbound.PurposeAck:
		return "已受理"
	}
	return p.Label()
}

// ticketLabel names ticket t in a template message: #12 环境卫生.
func (s *Service) ticketLabel(t tickets.Ticket) string {
	if t.ID == 0 {
		return firstNonEmpty(s.CategoryLabel(t.Category), "社区诉求")
	}
	return strings.TrimSpace(fmt.Sprintf("#%d %s", t.ID, s.CategoryLabel(t.Category)))
}

// CategoryLabel is c's Chinese name, a configured category's label
// included.
func (s *Service) CategoryLabel(c tickets.Category) string {
	return s.cfg.Tickets.Classifier.Label(c)
}

// notify tells worker w about t: a template message to their openid, else
// an SMS; a worker with neither is only logged.
func (s *Service) notify(ctx context.Context, t tickets.Ticket, w population.Worker, event string) error {
	m, ok := s.notification(t, w, event)
	if !ok {
		s.log.WarnContext(ctx, "worker_unreachable", "ticket_id", t.ID, "worker", w.Code)
		return nil
	}
	return s.queue(ctx, &m)
}

// notification composes the notice of event about t to worker w: a
// template message when they bound WeChat (the resident's text as far as
// WeChat shows it, the ticket in the console behind the message when
// Config.ConsoleURL is set), else an SMS; ok is false when neither reaches
// them.
func (s *Service) notification(t tickets.Ticket, w population.Worker, event string) (outbound.Message, bool) {
	due := t.DueAt.In(shanghai).Format("1月2日 15:04")
	m := outbound.Message{Purpose: outbound.PurposeNotify, TicketID: t.ID, WorkerID: w.ID,
		Text: fmt.Sprintf("%s #%d %s，请于%s前处理", event, t.ID, s.CategoryLabel(t.Category), due)}
	switch {
	case w.OpenID != "":
		m.Route, m.RouteReason, m.To, m.TemplateCode = outbound.RouteWeChatTemplate, "worker has WeChat bound", string(w.OpenID), s.cfg.Templates.WeChatNotify
		m.Params = map[string]string{fieldTicket: s.ticketLabel(t), fieldEvent: event,
			fieldSummary: campaigns.WeChatField(t.Text), fieldDue: due}
		m.URL = s.link(t.ID)
	case w.Phone != "":
		m = s.smsNotification(m, t, w, event, due)
		m.RouteReason = "worker has no WeChat bound"
	default:
		return outbound.Message{}, false
	}
	return m, true
}

// smsNotification is m as an SMS on the notification template.
func (s *Service) smsNotification(m outbound.Message, t tickets.Ticket, w population.Worker, event, due string) outbound.Message {
	m.Route, m.To, m.TemplateCode, m.URL = outbound.RouteSMS, string(w.Phone), s.cfg.Templates.SMSNotify, ""
	m.Params = map[string]string{"worker": string(w.Name), "event": event, "ticket": "#" + strconv.FormatInt(t.ID, 10),
		"category": s.CategoryLabel(t.Category), "due": due}
	return m
}

// Fallback composes what replaces desk message m after the provider
// refused it for good with code (43004 not following, 45015 window
// closed, "failed:user block" …): the same text on the next route that
// can still reach the recipient — a template message after a
// customer-service message (unless the resident does not follow the
// account), then SMS. It writes nothing: the send path stores what it
// returns, each marked as m's fallback, and sends it. None when nothing
// else reaches them, or m was an SMS.
func (s *Service) Fallback(ctx context.Context, m outbound.Message, code string) ([]outbound.Message, error) {
	if !m.Purpose.Desk() || m.Route == outbound.RouteSMS || m.Route == outbound.RouteNone {
		return nil, nil
	}
	reason := fmt.Sprintf("fallback after %s %s", m.Route, code)
	if m.WorkerID != 0 {
		w, err := s.st.WorkerByID(ctx, m.WorkerID)
		if err != nil || w.Phone == "" || m.Purpose != outbound.PurposeNotify {
			return nil, err
		}
		t := tickets.Ticket{ID: m.TicketID}
		if m.TicketID != 0 {
			if t, err = s.st.Ticket(ctx, m.TicketID); err != nil {
				return nil, err
			}
		}
		n := s.smsNotification(outbound.Message{Purpose: m.Purpose, TicketID: m.TicketID, WorkerID: w.ID,
			RouteReason: reason, Text: m.Text, Actor: m.Actor}, t, w, m.Params[fieldEvent], m.Params[fieldDue])
		n.Params["category"] = s.CategoryLabel(t.Category)
		return []outbound.Message{n}, nil
	}
	if m.ResidentID == 0 {
		return nil, nil
	}
	r, err := s.st.Resident(ctx, m.ResidentID)
	if err != nil {
		return nil, err
	}
	t := tickets.Ticket{ID: m.TicketID, CampaignID: m.CampaignID}
	if m.TicketID != 0 {
		if t, err = s.st.Ticket(ctx, m.TicketID); err != nil {
			return nil, err
		}
	}
	next := tickets.ReplyRoute{Route: outbound.RouteSMS, Reason: reason}
	if m.Route == outbound.RouteCustomerService && r.OpenID != "" && code != "43004" {
		next.Route = outbound.RouteWeChatTemplate
	}
	if next.Route == outbound.RouteSMS && (r.Phone == "" || r.Phone.Validate() != nil) {
		s.log.WarnContext(ctx, "resident_unreachable", "message_id", m.ID, "resident_id", r.ID, "why", reason)
		return nil, nil
	}
	ms, err := s.onRoute(ctx, t, r, m.Purpose, m.Actor, m.Text, next)
	for i := range ms {
		ms[i].CampaignID = m.CampaignID
	}
	return ms, err
}

// link is where a worker's notification about ticket id opens: the ticket
// in the console, when Config.ConsoleURL is set; "" otherwise.
func (s *Service) link(id int64) string {
	if s.cfg.ConsoleURL == "" || id == 0 {
		return ""
	}
	return strings.TrimRight(s.cfg.ConsoleURL, "/") + "/#/tickets/" + strconv.FormatInt(id, 10)
}
