package aliyunsms

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gridcast/gridcast/gateway"
	"github.com/gridcast/gridcast/pii"
)

// draft is one number of a send call, before it is accepted.
type draft struct {
	phone    pii.Phone
	sign     string
	template string
	params   map[string]string
	extend   string
}

type sendReply struct {
	Code      string `json:"Code"`
	Message   string `json:"Message"`
	BizID     string `json:"BizId"`
	RequestID string `json:"RequestId"`
}

func (e *Emulator) missing(w http.ResponseWriter, p params, reqID string, keys ...string) bool {
	for _, k := range keys {
		if p.Get(k) == "" {
			e.httpError(w, http.StatusBadRequest, reqID, "Missing"+k, k+" is mandatory for this action.")
			return true
		}
	}
	return false
}

// sendSms: PhoneNumbers (comma list), SignName, TemplateCode, TemplateParam
// (a JSON object), OutId, SmsUpExtendCode — all in the query.
func (e *Emulator) sendSms(w http.ResponseWriter, p params, reqID string) {
	if e.missing(w, p, reqID, "PhoneNumbers", "SignName", "TemplateCode") {
		return
	}
	phones := strings.Split(p.Get("PhoneNumbers"), ",")
	if len(phones) > MaxNumbersPerSend {
		e.bizError(w, reqID, "isv.MOBILE_COUNT_OVER_LIMIT", "手机号码数量超过限制")
		return
	}
	var vals map[string]string
	if tp := p.Get("TemplateParam"); tp != "" {
		var ok bool
		if vals, ok = parseParamObject([]byte(tp)); !ok {
			e.bizError(w, reqID, "isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值")
			return
		}
	}
	drafts := make([]draft, len(phones))
	for i, ph := range phones {
		drafts[i] = draft{phone: pii.Phone(strings.TrimSpace(ph)), sign: p.Get("SignName"),
			template: p.Get("TemplateCode"), params: vals, extend: p.Get("SmsUpExtendCode")}
	}
	e.accept(w, reqID, drafts, p.Get("OutId"))
}

// sendBatchSms: PhoneNumberJson, SignNameJson, TemplateParamJson and
// SmsUpExtendCodeJson (JSON arrays, in the form body); TemplateCode and
// OutId in the query.
func (e *Emulator) sendBatchSms(w http.ResponseWriter, p params, reqID string) {
	if e.missing(w, p, reqID, "PhoneNumberJson", "SignNameJson", "TemplateCode") {
		return
	}
	var phones, signs, extends []string
	var rawParams []json.RawMessage
	bad := json.Unmarshal([]byte(p.Get("PhoneNumberJson")), &phones) != nil ||
		json.Unmarshal([]byte(p.Get("SignNameJson")), &signs) != nil
	if s := p.Get("TemplateParamJson"); s != "" && !bad {
		bad = json.Unmarshal([]byte(s), &rawParams) != nil
	}
	if s := p.Get("SmsUpExtendCodeJson"); s != "" && !bad {
		bad = json.Unmarshal([]byte(s), &extends) != nil
	}
	if bad {
		e.bizError(w, reqID, "isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值")
		return
	}
	n := len(phones)
	switch {
	case n > MaxNumbersPerBatch:
		e.bizError(w, reqID, "isv.MOBILE_COUNT_OVER_LIMIT", "手机号码数量超过限制")
		return
	case n == 0 || len(signs) != n || (rawParams != nil && len(rawParams) != n) || (extends != nil && len(extends) != n):
		e.bizError(w, reqID, "isv.INVALID_PARAMETERS", "参数异常：号码、签名、参数个数不一致")
		return
	}
	drafts := make([]draft, n)
	for i := range phones {
		drafts[i] = draft{phone: pii.Phone(phones[i]), sign: signs[i], template: p.Get("TemplateCode")}
		if rawParams != nil {
			vals, ok := parseParamObject(rawParams[i])
			if !ok {
				e.bizError(w, reqID, "isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值")
				return
			}
			drafts[i].params = vals
		}
		if extends != nil {
			drafts[i].extend = extends[i]
		}
	}
	e.accept(w, reqID, drafts, p.Get("OutId"))
}

// parseParamObject reads a TemplateParam object whose values are strings,
// numbers or booleans.
func parseParamObject(b []byte) (map[string]string, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil || raw == nil || dec.More() {
		return nil, false
	}
	out := make(map[string]string, len(raw))
	for k, v := range raw {
		switch v := v.(type) {
		case string:
			out[k] = v
		case json.Number:
			out[k] = v.String()
		case bool:
			out[k] = strconv.FormatBool(v)
		default:
			return nil, false
		}
	}
	return out, true
}

var placeholderRE = regexp.MustCompile(`\$\{([A-Za-z0-9_]+)\}`)

// check validates one draft and renders its content, returning a business
// error code and message when it would be refused.
func (e *Emulator) check(d draft) (content, code, msg string) {
	if d.phone.Validate() != nil {
		return "", "isv.MOBILE_NUMBER_ILLEGAL", "非法手机号"
	}
	if !e.signs[d.sign] {
		return "", "isv.SMS_SIGNATURE_ILLEGAL", "该账号下找不到对应签名"
	}
	t, ok := e.templates[d.template]
	if !ok || !t.Approved {
		return "", "isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板"
	}
	if strings.Trim(d.extend, "0123456789") != "" || len(d.extend) > 12 {
		return "", "isv.INVALID_PARAMETERS", "上行扩展码只能是不超过12位的数字"
	}
	var missing, tooLong bool
	body := placeholderRE.ReplaceAllStringFunc(t.Content, func(ph string) string {
		name := ph[2 : len(ph)-1]
		v, ok := d.params[name]
		if !ok {
			missing = true
		}
		if e.cfg.MaxParamLength > 0 && utf8.RuneCountInString(v) > e.cfg.MaxParamLength {
			tooLong = true
		}
		return v
	})
	if missing {
		return "", "isv.TEMPLATE_MISSING_PARAMETERS", "模板变量缺少对应参数值"
	}
	if tooLong {
		return "", "isv.PARAM_LENGTH_LIMIT", "参数超出长度限制"
	}
	return "【" + d.sign + "】" + body, "", ""
}

// accept validates every draft, applies the per-number limits and records
// the messages under one BizId. One bad number refuses the whole call, as
// Aliyun does.
func (e *Emulator) accept(w http.ResponseWriter, reqID string, drafts []draft, outID string) {
	contents := make([]string, len(drafts))
	for i, d := range drafts {
		c, code, msg := e.check(d)
		if code != "" {
			e.bizError(w, reqID, code, msg)
			return
		}
		contents[i] = c
	}
	e.mu.Lock()
	now := e.now()
	if code, msg := e.limitLocked(drafts, now); code != "" {
		e.mu.Unlock()
		e.bizError(w, reqID, code, msg)
		return
	}
	e.seq++
	bizID := fmt.Sprintf("%d%06d^0", now.Unix(), e.seq%1000000)
	var accepted []SentMessage
	if e.cfg.OnAccept != nil {
		accepted = make([]SentMessage, 0, len(drafts))
	}
	for i, d := range drafts {
		r := &record{SentMessage: SentMessage{
			Phone: d.phone, SignName: d.sign, TemplateCode: d.template, Params: cloneParams(d.params),
			Content: contents[i], OutID: outID, BizID: bizID, ExtendCode: d.extend,
			Status: gateway.SMSWaiting, SendTime: now,
		}, due: now.Add(e.cfg.DeliveryDelay)}
		e.records = append(e.records, r)
		e.pending = append(e.pending, r)
		e.lastSign[d.phone] = d.sign
		if accepted != nil {
			m := r.SentMessage
			m.Params = cloneParams(r.Params)
			accepted = append(accepted, m)
		}
	}
	e.trimLocked()
	e.mu.Unlock()
	e.log.Debug("aliyunsms_emulator_accepted", "numbers", len(drafts), "first", drafts[0].phone,
		"template", drafts[0].template, "biz_id", bizID)
	if accepted != nil {
		e.cfg.OnAccept(accepted)
	}
	select {
	case e.wake <- struct{}{}:
	default:
	}
	e.writeJSON(w, http.StatusOK, reqID, sendReply{Code: "OK", Message: "OK", BizID: bizID, RequestID: reqID})
}

// limitLocked enforces PerNumberMinuteLimit and PerNumberDailyLimit per
// phone+sign+template, counting the call's own numbers, and books the call
// if it passes.
func (e *Emulator) limitLocked(drafts []draft, now time.Time) (code, msg string) {
	date := now.In(shanghai).Format(wireDate)
	if date != e.dailyDate {
		e.daily = make(map[string]int)
		e.dailyDate = date
	}
	// A sweep visits every number: at most every ten seconds, or a city's
	// send would sweep a hundred thousand numbers per call.
	if len(e.minute) > 50000 && now.Sub(e.swept) >= 10*time.Second {
		e.swept = now
		for k, ts := range e.minute {
			if len(ts) == 0 || now.Sub(ts[len(ts)-1]) >= time.Minute {
				delete(e.minute, k)
			}
		}
	}
	inCall := make(map[string]int, len(drafts))
	for _, d := range drafts {
		k := string(d.phone) + "|" + d.sign + "|" + d.template
		inCall[k]++
		if lim := e.cfg.PerNumberMinuteLimit; lim > 0 {
			ts := e.minute[k]
			for len(ts) > 0 && now.Sub(ts[0]) >= time.Minute {
				ts = ts[1:]
			}
			e.minute[k] = ts
			if len(ts)+inCall[k] > lim {
				return "isv.BUSINESS_LIMIT_CONTROL", fmt.Sprintf("触发分钟级流控Permits:%d", lim)
			}
		}
		if lim := e.cfg.PerNumberDailyLimit; lim > 0 && e.daily[k]+inCall[k] > lim {
			return "isv.BUSINESS_LIMIT_CONTROL", fmt.Sprintf("触发天级流控Permits:%d", lim)
		}
	}
	for k, n := range inCall {
		e.daily[k] += n
		if e.cfg.PerNumberMinuteLimit > 0 {
			for range n {
				e.minute[k] = append(e.minute[k], now)
			}
		}
	}
	return "", ""
}

type detailDTO struct {
	ErrCode      string `json:"ErrCode"`
	TemplateCode string `json:"TemplateCode"`
	OutID        string `json:"OutId"`
	ReceiveDate  string `json:"ReceiveDate"`
	SendDate     string `json:"SendDate"`
	PhoneNum     string `json:"PhoneNum"`
	Content      string `json:"Content"`
	SendStatus   int    `json:"SendStatus"`
}

type detailsReply struct {
	Code       string `json:"Code"`
	Message    string `json:"Message"`
	RequestID  string `json:"RequestId"`
	TotalCount int    `json:"TotalCount"`
	DTOs       struct {
		Items []detailDTO `json:"SmsSendDetailDTO"`
	} `json:"SmsSendDetailDTOs"`
}

// pageParams reads a positive integer parameter, def when absent.
func pageParam(p params, k string, def, max int) (int, bool) {
	s := p.Get(k)
	if s == "" {
		return def, def > 0
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 1 && n <= max
}

// querySendDetails: PhoneNumber, SendDate (yyyyMMdd), PageSize (≤50),
// CurrentPage, optional BizId; newest first.
func (e *Emulator) querySendDetails(w http.ResponseWriter, p params, reqID string) {
	if e.missing(w, p, reqID, "PhoneNumber", "SendDate", "PageSize", "CurrentPage") {
		return
	}
	size, ok1 := pageParam(p, "PageSize", 0, 50)
	page, ok2 := pageParam(p, "CurrentPage", 0, 1<<20)
	day, err := time.ParseInLocation(wireDate, p.Get("SendDate"), shanghai)
	if !ok1 || !ok2 || err != nil {
		e.bizError(w, reqID, "isv.INVALID_PARAMETERS", "参数异常")
		return
	}
	phone, bizID := pii.Phone(p.Get("PhoneNumber")), p.Get("BizId")
	e.mu.Lock()
	now := e.now()
	e.settleLocked(now)
	var hits []SentMessage
	for _, r := range e.records {
		st := r.SendTime.In(shanghai)
		if r.Phone == phone && st.Year() == day.Year() && st.YearDay() == day.YearDay() && (bizID == "" || r.BizID == bizID) {
			hits = append(hits, r.SentMessage)
		}
	}
	e.mu.Unlock()
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].SendTime.After(hits[j].SendTime) })
	out := detailsReply{Code: "OK", Message: "OK", RequestID: reqID, TotalCount: len(hits)}
	out.DTOs.Items = []detailDTO{}
	for i := (page - 1) * size; i < len(hits) && i < page*size; i++ {
		m := hits[i]
		d := detailDTO{ErrCode: m.ErrCode, TemplateCode: m.TemplateCode, OutID: m.OutID,
			SendDate: m.SendTime.In(shanghai).Format(wireTime), PhoneNum: string(m.Phone),
			Content: m.Content, SendStatus: int(m.Status)}
		if !m.ReportTime.IsZero() {
			d.ReceiveDate = m.ReportTime.In(shanghai).Format(wireTime)
		}
		out.DTOs.Items = append(out.DTOs.Items, d)
	}
	e.writeJSON(w, http.StatusOK, reqID, out)
}

type reasonDTO struct {
	RejectDate    string `json:"RejectDate"`
	RejectSubInfo string `json:"RejectSubInfo"`
	RejectInfo    string `json:"RejectInfo"`
}

type signDTO struct {
	SignName     string    `json:"SignName"`
	AuditStatus  string    `json:"AuditStatus"`
	CreateDate   string    `json:"CreateDate"`
	BusinessType string    `json:"BusinessType"`
	OrderID      string    `json:"OrderId"`
	Reason       reasonDTO `json:"Reason"`
}

type templateDTO struct {
	TemplateCode      string    `json:"TemplateCode"`
	TemplateName      string    `json:"TemplateName"`
	TemplateType      int       `json:"TemplateType"`
	OuterTemplateType int       `json:"OuterTemplateType"`
	AuditStatus       string    `json:"AuditStatus"`
	TemplateContent   string    `json:"TemplateContent"`
	CreateDate        string    `json:"CreateDate"`
	OrderID           string    `json:"OrderId"`
	Reason            reasonDTO `json:"Reason"`
}

type listHead struct {
	Code        string `json:"Code"`
	Message     string `json:"Message"`
	RequestID   string `json:"RequestId"`
	TotalCount  int    `json:"TotalCount"`
	CurrentPage int    `json:"CurrentPage"`
	PageSize    int    `json:"PageSize"`
}

type signListReply struct {
	listHead
	Signs []signDTO `json:"SmsSignList"`
}

type templateListReply struct {
	listHead
	Templates []templateDTO `json:"SmsTemplateList"`
}

const listCreateDate = "2024-01-01 10:00:00"

func pageOf[T any](items []T, page, size int) []T {
	lo, hi := min((page-1)*size, len(items)), min(page*size, len(items))
	return items[lo:hi]
}

// querySignList: PageIndex (default 1), PageSize (default 10, ≤50).
func (e *Emulator) querySignList(w http.ResponseWriter, p params, reqID string) {
	page, ok1 := pageParam(p, "PageIndex", 1, 1<<20)
	size, ok2 := pageParam(p, "PageSize", 10, 50)
	if !ok1 || !ok2 {
		e.bizError(w, reqID, "isv.INVALID_PARAMETERS", "参数异常")
		return
	}
	all := make([]signDTO, len(e.cfg.SignNames))
	for i, s := range e.cfg.SignNames {
		all[i] = signDTO{SignName: s, AuditStatus: auditPass, CreateDate: listCreateDate,
			BusinessType: "通用类型", OrderID: fmt.Sprintf("2000%06d", i+1)}
	}
	out := signListReply{listHead{Code: "OK", Message: "OK", RequestID: reqID, TotalCount: len(all),
		CurrentPage: page, PageSize: size}, pageOf(all, page, size)}
	e.writeJSON(w, http.StatusOK, reqID, out)
}

// queryTemplateList: PageIndex (default 1), PageSize (default 10, ≤50).
func (e *Emulator) queryTemplateList(w http.ResponseWriter, p params, reqID string) {
	page, ok1 := pageParam(p, "PageIndex", 1, 1<<20)
	size, ok2 := pageParam(p, "PageSize", 10, 50)
	if !ok1 || !ok2 {
		e.bizError(w, reqID, "isv.INVALID_PARAMETERS", "参数异常")
		return
	}
	all := make([]templateDTO, len(e.cfg.Templates))
	for i, t := range e.cfg.Templates {
		all[i] = templateDTO{TemplateCode: t.Code, TemplateName: t.Name, TemplateType: int(t.Type),
			OuterTemplateType: int(t.Type), AuditStatus: auditPass, TemplateContent: t.Content,
			CreateDate: listCreateDate, OrderID: fmt.Sprintf("3000%06d", i+1)}
		if !t.Approved {
			all[i].AuditStatus = auditNotPass
			all[i].Reason = reasonDTO{RejectDate: listCreateDate, RejectInfo: t.RejectReason}
		}
	}
	out := templateListReply{listHead{Code: "OK", Message: "OK", RequestID: reqID, TotalCount: len(all),
		CurrentPage: page, PageSize: size}, pageOf(all, page, size)}
	e.writeJSON(w, http.StatusOK, reqID, out)
}
