package desk

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/gateway"
	"github.com/gridcast/gridcast/gateway/aliyunsms"
	"github.com/gridcast/gridcast/gateway/wechat"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/tickets"
)

// OutIDPrefix starts the OutId (SMS) and client_msg_id (WeChat) of the
// desk's messages, which campaign messages (plain numbers) never do:
// receipts find their way by it.
const OutIDPrefix = "t"

// maxParam is the longest SMS template parameter Aliyun accepts.
const maxParam = campaigns.MaxParamLen

// queue stores o and dispatches its send.
func (s *Service) queue(ctx context.Context, o *tickets.Outbound) error {
	if o.Actor == "" {
		o.Actor = tickets.ActorSystem
	}
	if err := s.st.CreateOutbound(ctx, o); err != nil {
		return err
	}
	return s.disp.SendOutbound(ctx, o.ID)
}

// answer sends text back on the channel ic's message came by: a
// customer-service message to the follower (they just wrote, so the
// window is open) or an SMS to the number.
func (s *Service) answer(ctx context.Context, ic *inboundCtx, kind tickets.OutboundKind, text string) error {
	if ic.m.Channel == population.ChannelWeChat {
		return s.queue(ctx, &tickets.Outbound{Kind: kind, TicketID: ic.ticket, ResidentID: ic.resident.ID,
			Route: tickets.RouteCustomerService, RouteReason: "answer on the channel the message came by",
			To: ic.m.From, Text: text})
	}
	_, err := s.smsParts(ctx, tickets.Outbound{Kind: kind, TicketID: ic.ticket, ResidentID: ic.resident.ID,
		RouteReason: "answer on the channel the message came by", To: ic.m.From}, ic.resident, text)
	return err
}

// smsParts queues text as SMS on the reply template, split into parts
// that fit Aliyun's parameter limit.
func (s *Service) smsParts(ctx context.Context, base tickets.Outbound, r population.Resident, text string) ([]tickets.Outbound, error) {
	name := "居民"
	if r.ID != 0 {
		name = campaigns.SurnameTitle(r.Name, r.Gender)
	}
	w, _ := s.st.WorkerForGrid(ctx, r.GridCode, population.RoleGridWorker)
	parts := splitRunes(text, maxParam)
	var out []tickets.Outbound
	for i, p := range parts {
		o := base
		o.Route, o.TemplateCode, o.Text = tickets.RouteSMS, s.cfg.Templates.SMSReply, p
		if len(parts) > 1 {
			o.RouteReason = fmt.Sprintf("%s; part %d of %d", base.RouteReason, i+1, len(parts))
		}
		// The template goes on with "。": a reply ending in one would show two.
		o.Params = map[string]string{"name": name, "reply": strings.TrimRight(p, "。.;；"), "worker": firstNonEmpty(string(w.Name), "社区"),
			"phone": string(w.Phone)}
		if err := s.queue(ctx, &o); err != nil {
			return out, err
		}
		out = append(out, o)
	}
	return out, nil
}

// splitRunes cuts s into pieces of at most n runes, preferring to cut
// after punctuation.
func splitRunes(s string, n int) []string {
	r := []rune(strings.TrimSpace(s))
	var out []string
	for len(r) > n {
		cut := n
		for i := n; i > n/2; i-- {
			if strings.ContainsRune("，。；！？,.;!? ", r[i-1]) {
				cut = i
				break
			}
		}
		if cut == n && strings.ContainsRune("，。；！？、）」,.;!?)", r[n]) {
			// Never start a part with the punctuation that ends the one
			// before: the last character goes along with it.
			cut--
		}
		out = append(out, strings.TrimSpace(string(r[:cut])))
		r = r[cut:]
	}
	if len(r) > 0 || len(out) == 0 {
		out = append(out, string(r))
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
// message to the resident ("" when the grid has none).
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

func (s *Service) onRoute(ctx context.Context, t tickets.Ticket, r population.Resident, kind tickets.OutboundKind, actor, text string, rr tickets.ReplyRoute) ([]tickets.Outbound, error) {
	base := tickets.Outbound{Kind: kind, TicketID: t.ID, ResidentID: r.ID, Route: rr.Route, RouteReason: rr.Reason,
		Actor: actor, Text: text}
	switch rr.Route {
	case tickets.RouteCustomerService:
		base.To = string(r.OpenID)
		if base.To == "" {
			// Wrote on WeChat but unbound since: the window knows the openid
			// only through the binding, so fall to SMS.
			return s.onRoute(ctx, t, r, kind, actor, text, tickets.ReplyRoute{Route: tickets.RouteSMS, Reason: rr.Reason + "; openid unbound"})
		}
	case tickets.RouteWeChatTemplate:
		base.To, base.TemplateCode = string(r.OpenID), s.cfg.Templates.WeChatReply
		w, _ := s.st.WorkerByID(ctx, t.AssigneeWorkerID)
		first := "您反映的问题有新回复"
		if kind == tickets.OutRatingRequest {
			first = "您反映的问题已办结"
		}
		base.Params = map[string]string{"first": first, "keyword1": text,
			"keyword2": fmt.Sprintf("工单#%d %s", t.ID, t.Category.Label()),
			"remark":   "网格员" + firstNonEmpty(string(w.Name), "") + "，如有疑问请直接回复本公众号"}
	case tickets.RouteSMS:
		base.To = string(r.Phone)
		return s.smsParts(ctx, base, r, text)
	default:
		s.log.WarnContext(ctx, "resident_unreachable", "ticket_id", t.ID, "resident_id", r.ID, "why", rr.Reason)
		return nil, fmt.Errorf("desk: ticket %d: resident cannot be reached: %s: %w", t.ID, rr.Reason, fault.ErrInvalid)
	}
	if err := s.queue(ctx, &base); err != nil {
		return nil, err
	}
	return []tickets.Outbound{base}, nil
}

// notify tells worker w about t: a template message to their openid, else
// an SMS; a worker with neither is only logged.
func (s *Service) notify(ctx context.Context, t tickets.Ticket, w population.Worker, event string) error {
	due := t.DueAt.In(shanghai).Format("1月2日 15:04")
	o := tickets.Outbound{Kind: tickets.OutNotify, TicketID: t.ID, WorkerID: w.ID,
		Text: fmt.Sprintf("%s #%d %s，请于%s前处理", event, t.ID, t.Category.Label(), due)}
	switch {
	case w.OpenID != "":
		o.Route, o.RouteReason, o.To, o.TemplateCode = tickets.RouteWeChatTemplate, "worker has WeChat bound", string(w.OpenID), s.cfg.Templates.WeChatNotify
		o.Params = map[string]string{"first": fmt.Sprintf("%s #%d（%s）", event, t.ID, t.Category.Label()),
			"keyword1": truncate(t.Text, 60), "keyword2": due, "remark": "网格 " + t.GridCode + "，请及时处理并回复居民"}
	case w.Phone != "":
		o.Route, o.RouteReason, o.To, o.TemplateCode = tickets.RouteSMS, "worker has no WeChat bound", string(w.Phone), s.cfg.Templates.SMSNotify
		o.Params = map[string]string{"worker": string(w.Name), "event": event, "ticket": "#" + strconv.FormatInt(t.ID, 10),
			"category": t.Category.Label(), "due": due}
	default:
		s.log.WarnContext(ctx, "worker_unreachable", "ticket_id", t.ID, "worker", w.Code)
		return nil
	}
	return s.queue(ctx, &o)
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// Send delivers outbound message id once: it claims it, calls the
// provider and records the answer. A message already claimed or finished
// is left alone. A permanent refusal fails it and, for WeChat, queues the
// same text on the next route (a template message, then SMS). Retryable,
// throttled, quota and configuration failures put it back to pending and
// return the *gateway.SendError for the caller to retry later.
func (s *Service) Send(ctx context.Context, id int64) error {
	o, ok, err := s.st.ClaimOutbound(ctx, id, s.now())
	if err != nil || !ok {
		return err
	}
	providerID, err := s.call(ctx, o)
	if err == nil {
		_, err := s.st.FinishOutbound(ctx, id, tickets.OutSent, providerID, "OK", "", s.now())
		return err
	}
	var se *gateway.SendError
	if !errors.As(err, &se) || se.Class != gateway.Permanent {
		code, msg := "ERROR", err.Error()
		if se != nil {
			code, msg = se.Code, se.Message
		}
		if rerr := s.st.ReleaseOutbound(ctx, id, code, msg); rerr != nil {
			return errors.Join(err, rerr)
		}
		return err
	}
	if _, err := s.st.FinishOutbound(ctx, id, tickets.OutFailed, "", se.Code, se.Message, s.now()); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "outbound_failed", "outbound_id", id, "route", o.Route, "code", se.Code)
	return s.fallback(ctx, o, se)
}

var errNoSender = &gateway.SendError{Code: "NO_SENDER", Message: "channel not configured", Class: gateway.Permanent}

func (s *Service) call(ctx context.Context, o tickets.Outbound) (string, error) {
	ref := OutIDPrefix + strconv.FormatInt(o.ID, 10)
	switch o.Route {
	case tickets.RouteCustomerService:
		if s.wx == nil {
			return "", errNoSender
		}
		return "", s.wx.SendText(ctx, pii.OpenID(o.To), o.Text)
	case tickets.RouteWeChatTemplate:
		if s.wx == nil {
			return "", errNoSender
		}
		id, err := s.wx.SendTemplate(ctx, wechat.TemplateMessage{ToUser: pii.OpenID(o.To), TemplateID: o.TemplateCode,
			Data: o.Params, ClientMsgID: ref, URL: s.link(o)})
		if err != nil {
			return "", err
		}
		return strconv.FormatInt(id, 10), nil
	case tickets.RouteSMS:
		if s.sms == nil {
			return "", errNoSender
		}
		rc, err := s.sms.Send(ctx, aliyunsms.Message{Phone: pii.Phone(o.To), TemplateCode: o.TemplateCode, Params: o.Params, OutID: ref})
		if err != nil {
			return "", err
		}
		return rc.BizID, nil
	}
	return "", &gateway.SendError{Code: "NO_ROUTE", Message: fmt.Sprintf("route %q", o.Route), Class: gateway.Permanent}
}

// fallback queues a failed WeChat message on the next route.
func (s *Service) fallback(ctx context.Context, o tickets.Outbound, why *gateway.SendError) error {
	if o.Route == tickets.RouteSMS {
		return nil
	}
	reason := fmt.Sprintf("fallback after %s %s", o.Route, why.Code)
	if o.WorkerID != 0 {
		w, err := s.st.WorkerByID(ctx, o.WorkerID)
		if err != nil || w.Phone == "" || o.Kind != tickets.OutNotify {
			return err
		}
		n := o
		n.ID, n.Status, n.Attempts, n.ProviderID, n.ProviderCode, n.ProviderMessage = 0, "", 0, "", "", ""
		n.Route, n.RouteReason, n.To, n.TemplateCode = tickets.RouteSMS, reason, string(w.Phone), s.cfg.Templates.SMSNotify
		n.Params = map[string]string{"worker": string(w.Name), "event": o.Params["first"], "ticket": "#" + strconv.FormatInt(o.TicketID, 10),
			"category": "", "due": o.Params["keyword2"]}
		return s.queue(ctx, &n)
	}
	if o.ResidentID == 0 {
		return nil
	}
	r, err := s.st.Resident(ctx, o.ResidentID)
	if err != nil {
		return err
	}
	t := tickets.Ticket{ID: o.TicketID}
	if o.TicketID != 0 {
		if t, err = s.st.Ticket(ctx, o.TicketID); err != nil {
			return err
		}
	}
	next := tickets.ReplyRoute{Route: tickets.RouteSMS, Reason: reason}
	if o.Route == tickets.RouteCustomerService && r.OpenID != "" && why.Code != "43004" {
		next.Route = tickets.RouteWeChatTemplate
	}
	if next.Route == tickets.RouteSMS && (r.Phone == "" || r.Phone.Validate() != nil) {
		s.log.WarnContext(ctx, "resident_unreachable", "outbound_id", o.ID, "resident_id", r.ID, "why", reason)
		return nil
	}
	_, err = s.onRoute(ctx, t, r, o.Kind, o.Actor, o.Text, next)
	return err
}

// Receipt records a provider's delivery report for a desk message: by
// the WeChat msgid or the SMS BizId. found is false when no desk message
// has that id (it is a campaign message's).
func (s *Service) Receipt(ctx context.Context, ch population.Channel, providerID string, delivered bool, code string, at time.Time) (found bool, err error) {
	o, err := s.st.OutboundByProvider(ctx, ch, providerID)
	if notFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	to := tickets.OutDelivered
	if !delivered {
		to = tickets.OutFailed
	}
	if at.IsZero() {
		at = s.now()
	}
	_, err = s.st.FinishOutbound(ctx, o.ID, to, "", code, "", at)
	return true, err
}

// StuckAfter is how long a desk message may stay sending before
// Redispatch hands it back.
const StuckAfter = 10 * time.Minute

// Redispatch hands every pending desk message to the Dispatcher again,
// and those stuck in sending longer than StuckAfter:
// messages queued by a process without a queue (the CLI on an embedded
// Redis) or whose task Redis lost. Send claims each once, so a message
// dispatched twice is sent once. It returns how many it dispatched.
func (s *Service) Redispatch(ctx context.Context) (int, error) {
	ps, err := s.st.PendingOutbound(ctx, 500)
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	now := s.now()
	for _, o := range ps {
		if o.Status == tickets.OutSending {
			// A process died while sending it (the send task times out
			// after 2 minutes): hand it back. An SMS that did leave is sent
			// again; a WeChat template is deduped by client_msg_id.
			if o.UpdatedAt.IsZero() || now.Sub(o.UpdatedAt) < StuckAfter {
				continue
			}
			if err := s.st.ReleaseOutbound(ctx, o.ID, "RECOVERED", "stuck in sending"); err != nil {
				errs = append(errs, err)
				continue
			}
			s.log.WarnContext(ctx, "outbound_recovered", "outbound_id", o.ID, "route", o.Route)
		}
		if err := s.disp.SendOutbound(ctx, o.ID); err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// link is where a worker's notification opens: the ticket in the console,
// when Config.ConsoleURL is set; "" otherwise and for residents.
func (s *Service) link(o tickets.Outbound) string {
	if s.cfg.ConsoleURL == "" || o.WorkerID == 0 || o.TicketID == 0 {
		return ""
	}
	return strings.TrimRight(s.cfg.ConsoleURL, "/") + "/#/tickets/" + strconv.FormatInt(o.TicketID, 10)
}
