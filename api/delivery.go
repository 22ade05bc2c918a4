package api

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/sheet"
)

// DeliveryStore is what the delivery records (发送记录) read: the ledger's
// messages to residents searched by phone tail, dates, status and scope,
// and the template sync status. *store.Store satisfies it.
type DeliveryStore interface {
	Deliveries(ctx context.Context, f outbound.DeliveryFilter) ([]outbound.Delivery, error)
	TemplateStatus(ctx context.Context) ([]campaigns.TemplateCount, error)
}

// maxDeliveriesPage caps GET /api/v1/deliveries' limit.
const maxDeliveriesPage = 200

// Delivery is one message of GET /api/v1/deliveries: what went to whom
// (masked), how, and what the provider answered, with a Chinese reason.
type Delivery struct {
	ID         int64  `json:"id"`
	Purpose    string `json:"purpose"`
	CampaignID int64  `json:"campaign_id,omitempty"`
	TicketID   int64  `json:"ticket_id,omitempty"`
	ResidentID int64  `json:"resident_id"`
	// Phone is the resident's mobile number masked (138****5678).
	Phone        string `json:"phone"`
	GridCode     string `json:"grid_code"`
	Channel      string `json:"channel"`
	Route        string `json:"route"`
	TemplateCode string `json:"template_code,omitempty"`
	Status       string `json:"status"`
	SkipReason   string `json:"skip_reason,omitempty"`
	// Code is the provider's last code (43004, isv.MOBILE_NUMBER_ILLEGAL,
	// DELIVRD …); Reason says it in Chinese.
	Code       string    `json:"code,omitempty"`
	Reason     string    `json:"reason,omitempty"`
	Attempts   int       `json:"attempts"`
	CreatedAt  time.Time `json:"created_at"`
	SentAt     time.Time `json:"sent_at,omitzero"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
}

// TemplateStatus is GET /api/v1/templates/status's answer: what the last
// template sync (gridcast templates) saved, per channel and approval.
type TemplateStatus struct {
	Counts []TemplateStatusCount `json:"counts"`
	// SyncedAt is the latest sync of any channel; absent before the first.
	SyncedAt time.Time `json:"synced_at,omitzero"`
}

// TemplateStatusCount is how many templates of a channel are approved (or
// not), as of SyncedAt.
type TemplateStatusCount struct {
	Channel  string    `json:"channel"`
	Approved bool      `json:"approved"`
	Count    int       `json:"count"`
	SyncedAt time.Time `json:"synced_at"`
}

// providerReasons says the providers' codes in Chinese. The adapters
// (gateway/aliyunsms, gateway/wechat) keep the codes' classes but no
// Chinese labels, so the table lives here, with the reader.
var providerReasons = map[string]string{
	"43004":                           "未关注公众号",
	"43101":                           "用户拒收订阅消息",
	"40003":                           "openid无效",
	"isv.BUSINESS_LIMIT_CONTROL":      "触发号码天级流控",
	"isv.MOBILE_NUMBER_ILLEGAL":       "号码格式错误",
	"isv.AMOUNT_NOT_ENOUGH":           "账户余额不足",
	"isv.TEMPLATE_MISSING_PARAMETERS": "模板缺少变量",
	"isv.SMS_TEMPLATE_ILLEGAL":        "模板未审核通过",
	"isv.SMS_SIGNATURE_ILLEGAL":       "签名未审核通过",
	"DELIVRD":                         "已送达",
	"DELIVERED":                       "已送达",
	"UNDELIV":                         "无法送达",
	"OK":                              "已提交",
	"success":                         "已送达",
	"TIMEOUT_AMBIGUOUS":               "发送结果未知，待核对",
}

// ProviderReason says a provider's code in Chinese: a known code by its
// meaning, any other (an operator's MK:xxxx …) as 运营商返回 and the code;
// "" for no code.
func ProviderReason(code string) string {
	if code == "" {
		return ""
	}
	if r, ok := providerReasons[code]; ok {
		return r
	}
	return "运营商返回 " + code
}

func (s *server) mountDeliveries(v1 mountFunc) {
	if s.cfg.Deliveries != nil {
		v1("GET /api/v1/deliveries", s.deliveries, access.RoleOfficer, access.RoleAdmin)
		v1("GET /api/v1/templates/status", s.templateStatus, access.RoleOfficer, access.RoleAdmin)
	}
}

// deliveries serves GET /api/v1/deliveries?phone_tail=5678&from=2026-12-01&to=2026-12-06&status=failed&limit=50&after=ID:
// the messages to residents within the caller's scope, newest first; after
// is the last id of the previous page. from and to are days (Asia/Shanghai,
// both included), each optional. With format=xlsx every matching message
// (limit aside) downloads as a workbook, refused when more than
// maxExportRows match.
func (s *server) deliveries(w http.ResponseWriter, r *http.Request) {
	asXLSX, err := wantsXLSX(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	f, err := deliveryFilter(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if asXLSX {
		f.Limit = maxExportRows + 1
	}
	// A scope of no grid sees no resident's messages.
	scope := scopeOf(r)
	out := []Delivery{}
	if len(scope) > 0 {
		if !scope.Everything() {
			f.Scope = scope
		}
		if out, err = s.deliveriesOf(r.Context(), f); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	if !asXLSX {
		writeJSON(w, 200, out)
		return
	}
	if len(out) > maxExportRows {
		s.writeError(w, r, tooManyRows())
		return
	}
	today := s.cfg.Now().In(campaigns.Shanghai()).Format(time.DateOnly)
	s.writeWorkbook(w, r, "发送记录-"+today+".xlsx", "deliveries-"+today+".xlsx", "deliveries:"+today,
		map[string]any{"scope": scope, "status": f.Status, "from": r.URL.Query().Get("from"), "to": r.URL.Query().Get("to"),
			"phone_tail": maskTail(f.PhoneTail)}, deliverySheet(out))
}

// maskTail keeps the last 4 digits of a phone tail searched for, so that
// the audit log never holds a whole number: 139****5678 → *******5678.
func maskTail(tail string) string {
	if len(tail) <= 4 {
		return tail
	}
	return strings.Repeat("*", len(tail)-4) + tail[len(tail)-4:]
}

// deliveryFilter reads GET /api/v1/deliveries' query, every problem
// joined.
func deliveryFilter(r *http.Request) (outbound.DeliveryFilter, error) {
	q := r.URL.Query()
	f := outbound.DeliveryFilter{PhoneTail: strings.TrimSpace(q.Get("phone_tail")), Status: outbound.Status(q.Get("status"))}
	var errs []error
	if f.PhoneTail != "" && (len(f.PhoneTail) < 4 || len(f.PhoneTail) > 11 || strings.Trim(f.PhoneTail, "0123456789") != "") {
		errs = append(errs, badRequest("phone_tail %q: want the last 4 to 11 digits of a mobile number",
			"手机尾号 %q 无效：请填写手机号的后 4 至 11 位数字", f.PhoneTail))
	}
	if f.Status != "" && !validDeliveryStatus(f.Status) {
		errs = append(errs, badRequest("status %q: want pending, sending, sent, delivered, failed or skipped",
			"状态 %q 无效，可选 pending、sending、sent、delivered、failed、skipped", f.Status))
	}
	loc := campaigns.Shanghai()
	for _, p := range []struct {
		name string
		at   *time.Time
		next int
	}{{"from", &f.From, 0}, {"to", &f.To, 1}} {
		v := q.Get(p.name)
		if v == "" {
			continue
		}
		d, err := time.ParseInLocation(time.DateOnly, v, loc)
		if err != nil {
			errs = append(errs, badRequest("%s %q: want a day such as 2026-12-01", "%s %q 无效：请填写日期，如 2026-12-01", p.name, v))
			continue
		}
		*p.at = d.AddDate(0, 0, p.next)
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.To.After(f.From) {
		errs = append(errs, badRequest("the period ends before it starts", "结束日期须不早于开始日期"))
	}
	var err error
	f.BeforeID, err = queryInt64(r, "after")
	errs = append(errs, err)
	f.Limit, err = queryLimit(r, maxDeliveriesPage)
	errs = append(errs, err)
	return f, errors.Join(errs...)
}

// deliveriesOf reads the messages f selects as the API shows them, phones
// masked.
func (s *server) deliveriesOf(ctx context.Context, f outbound.DeliveryFilter) ([]Delivery, error) {
	ds, err := s.cfg.Deliveries.Deliveries(ctx, f)
	if err != nil {
		return nil, err
	}
	out := make([]Delivery, 0, len(ds))
	for _, d := range ds {
		out = append(out, Delivery{ID: d.ID, Purpose: string(d.Purpose), CampaignID: d.CampaignID, TicketID: d.TicketID,
			ResidentID: d.ResidentID, Phone: d.Phone.Masked(), GridCode: d.GridCode, Channel: string(d.Channel),
			Route: string(d.Route), TemplateCode: d.TemplateCode, Status: string(d.Status), SkipReason: string(d.SkipReason),
			Code: d.ProviderCode, Reason: ProviderReason(d.ProviderCode), Attempts: d.Attempts,
			CreatedAt: d.CreatedAt, SentAt: d.SentAt, FinishedAt: d.FinishedAt})
	}
	return out, nil
}

// deliverySheet is the delivery records as a worksheet, as the console
// lists them: phones masked, the provider's code with its reason.
func deliverySheet(ds []Delivery) sheet.Sheet {
	sh := sheet.Sheet{Name: "发送记录", Title: "发送记录", Columns: []sheet.Column{
		{Header: "时间", Width: 20}, {Header: "手机号", Width: 14, Text: true}, {Header: "类型"}, {Header: "渠道", Width: 14},
		{Header: "状态"}, {Header: "返回码", Width: 16, Text: true}, {Header: "原因", Width: 20}, {Header: "网格", Width: 16, Text: true},
		{Header: "尝试次数"}, {Header: "发出时间", Width: 20}, {Header: "结束时间", Width: 20},
		{Header: "活动编号"}, {Header: "工单编号"}, {Header: "消息编号"}}}
	for _, d := range ds {
		id := func(n int64) any {
			if n == 0 {
				return ""
			}
			return n
		}
		sh.Rows = append(sh.Rows, []any{cellTime(d.CreatedAt), d.Phone, outbound.Purpose(d.Purpose).Label(), routeLabel(d),
			outbound.Status(d.Status).Label(), d.Code, d.Reason, d.GridCode, d.Attempts, cellTime(d.SentAt), cellTime(d.FinishedAt),
			id(d.CampaignID), id(d.TicketID), d.ID})
	}
	return sh
}

// routeLabel names how a message went, in Chinese.
func routeLabel(d Delivery) string {
	switch outbound.Route(d.Route) {
	case outbound.RouteCustomerService:
		return "微信客服消息"
	case outbound.RouteWeChatTemplate:
		return "微信模板消息"
	case outbound.RouteSMS:
		return "短信"
	}
	return channelLabel(population.Channel(d.Channel))
}

func validDeliveryStatus(st outbound.Status) bool {
	for _, x := range outbound.Statuses {
		if x == st {
			return true
		}
	}
	return false
}

// templateStatus serves GET /api/v1/templates/status: how many templates
// the last sync saved per channel and approval, and when.
func (s *server) templateStatus(w http.ResponseWriter, r *http.Request) {
	cs, err := s.cfg.Deliveries.TemplateStatus(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := TemplateStatus{Counts: make([]TemplateStatusCount, 0, len(cs))}
	for _, c := range cs {
		out.Counts = append(out.Counts, TemplateStatusCount{Channel: string(c.Channel), Approved: c.Approved, Count: c.Count, SyncedAt: c.SyncedAt})
		if c.SyncedAt.After(out.SyncedAt) {
			out.SyncedAt = c.SyncedAt
		}
	}
	writeJSON(w, 200, out)
}
