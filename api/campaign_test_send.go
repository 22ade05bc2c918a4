package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/audit"
	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/pii"
)

// TestSender is what a test send (试发) needs: the ledger, to write the
// message and read the officer's recent ones, and the send path, to hand
// it over. *store.Store and the queue's Enqueuer satisfy it together.
type TestSender interface {
	CreateMessage(ctx context.Context, m outbound.Message) (outbound.Message, bool, error)
	EnqueueSend(ctx context.Context, m outbound.Message) error
	TestSends(ctx context.Context, actor string, campaignID int64, since time.Time, limit int) ([]outbound.Message, error)
}

// The limit on test sends: so many per campaign, user and window.
const (
	testSendLimit  = 5
	testSendWindow = time.Hour
)

// mountCampaignTestSend mounts the test send of a campaign's SMS to the
// officer's own phone, and the list of their recent ones, when the server
// has campaigns and a TestSender.
func (s *server) mountCampaignTestSend(v1 mountFunc) {
	if s.cfg.Campaigns == nil || s.cfg.TestSender == nil {
		return
	}
	v1("POST /api/v1/campaigns/{id}/test-send", s.campaignAct(s.testSend), access.RoleOfficer)
	v1("GET /api/v1/campaigns/{id}/test-sends", s.campaignAct(s.testSends), access.RoleOfficer)
}

// TestSendRequest is the body of POST /api/v1/campaigns/{id}/test-send.
type TestSendRequest struct {
	// Phone is the officer's own mobile number (11 digits).
	Phone string `json:"phone"`
	// By names the sender in the trial mode; a user is the sender.
	By string `json:"by,omitempty"`
}

// TestSend is a test send as the ledger holds it.
type TestSend struct {
	MessageID int64 `json:"message_id"`
	// To is the phone it went to, masked.
	To string `json:"to"`
	// Text is the SMS as the phone shows it, signature first, rendered for
	// a made-up resident (张三) and worker.
	Text string `json:"text"`
	// Status is the message's status on the ledger: pending, sending,
	// sent, delivered, failed; ProviderCode why it failed.
	Status       string    `json:"status"`
	ProviderCode string    `json:"provider_code,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
}

// TestSends are the caller's test sends of a campaign in the last hour,
// newest first, and how many more they may make now.
type TestSends struct {
	Sends []TestSend `json:"sends"`
	Left  int        `json:"left"`
}

func testSendToAPI(m outbound.Message) TestSend {
	return TestSend{MessageID: m.ID, To: pii.Phone(m.To).Masked(), Text: m.Text, Status: string(m.Status),
		ProviderCode: m.ProviderCode, CreatedAt: m.CreatedAt}
}

// testSender is who sends or reads test sends: the user, or in the trial
// mode the body's by (else "trial").
func testSender(r *http.Request, by string) (string, error) {
	name, err := actor(r, "by", by)
	if err == nil && name == "" {
		name = "trial"
	}
	return name, err
}

// testSend serves POST /api/v1/campaigns/{id}/test-send: campaign {id}'s
// SMS, rendered for a made-up resident, goes to the phone given — the
// officer's own — as a message of purpose test on the ledger (no
// campaign run, resident or funnel counts it), at most testSendLimit per
// campaign and user an hour. 202 with the message.
func (s *server) testSend(w http.ResponseWriter, r *http.Request) {
	id, err := s.campaignID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req TestSendRequest
	if err := decode(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	by, err := testSender(r, req.By)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	phone := pii.Phone(strings.TrimSpace(req.Phone))
	if phone.Validate() != nil {
		s.writeError(w, r, badRequest("phone: want an 11-digit mobile number starting with 1",
			"手机号格式不正确：请填写以 1 开头的 11 位手机号"))
		return
	}
	ctx := r.Context()
	c, err := s.cfg.Campaigns.Campaign(ctx, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	tpls, err := campaigns.SyncedTemplates(ctx, s.cfg.Campaigns, c)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	now := s.cfg.Now()
	params, text, err := campaigns.TestSMS(c, tpls.SMS, now)
	switch {
	case errors.Is(err, campaigns.ErrNoSMSTemplate):
		s.writeError(w, r, badRequest("campaign %d has no SMS template: a test send is an SMS; set sms.template_code first",
			"活动 %d 没有短信模板，无法试发：请先填写短信模板", id))
		return
	case tpls.SMS.Code == "":
		s.writeError(w, r, badRequest("SMS template %s is not synced: run gridcast templates sync",
			"短信模板 %s 尚未同步，无法试发：请先运行 gridcast templates sync", c.SMS.TemplateCode))
		return
	case err != nil:
		s.writeError(w, r, fault.Refuse(fault.ErrInvalid, "the SMS cannot be rendered: "+err.Error(),
			"短信无法生成，无法试发："+err.Error(), err))
		return
	}
	recent, err := s.cfg.TestSender.TestSends(ctx, by, id, now.Add(-testSendWindow), testSendLimit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if len(recent) >= testSendLimit {
		msg := fmt.Sprintf("最近一小时内已试发 %d 次，已达上限：请稍后再试", testSendLimit)
		if langOf(r) == fault.English {
			msg = fmt.Sprintf("%d test sends of this campaign in the last hour: the limit; try again later", testSendLimit)
		}
		writeJSON(w, http.StatusTooManyRequests, Problem{Error: msg, Code: "rate_limited"})
		return
	}
	m, _, err := s.cfg.TestSender.CreateMessage(ctx, outbound.Message{Purpose: outbound.PurposeTest,
		Route: outbound.RouteSMS, RouteReason: outbound.TestReason(id), To: string(phone), Text: text,
		TemplateCode: c.SMS.TemplateCode, Params: params, Actor: by, CreatedAt: now})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	_ = s.record(r, by, audit.ActionCampaignTestSend, fmt.Sprintf("campaign:%d", id), "",
		fmt.Sprintf(`{"message":%d,"to":%q}`, m.ID, phone.Masked()))
	if err := s.cfg.TestSender.EnqueueSend(ctx, m); err != nil {
		// The message is pending on the ledger: the scheduler's tick hands
		// it to the queue again.
		s.cfg.Log.WarnContext(ctx, "test_send_enqueue_failed", "message_id", m.ID, "err", err)
	}
	s.cfg.Log.InfoContext(ctx, "test_send", "campaign_id", id, "message_id", m.ID, "to", phone, "chars", utf8.RuneCountInString(text))
	writeJSON(w, http.StatusAccepted, testSendToAPI(m))
}

// testSends serves GET /api/v1/campaigns/{id}/test-sends: the caller's
// test sends of campaign {id} in the last hour with their status, and how
// many more they may make.
func (s *server) testSends(w http.ResponseWriter, r *http.Request) {
	id, err := s.campaignID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	by, err := testSender(r, r.URL.Query().Get("by"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ms, err := s.cfg.TestSender.TestSends(r.Context(), by, id, s.cfg.Now().Add(-testSendWindow), testSendLimit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := TestSends{Sends: []TestSend{}, Left: max(0, testSendLimit-len(ms))}
	for _, m := range ms {
		out.Sends = append(out.Sends, testSendToAPI(m))
	}
	writeJSON(w, http.StatusOK, out)
}
