package wechat

// The emulated api.weixin.qq.com endpoints.

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gridcast/gridcast/pii"
)

// errmsgs are WeChat's messages for the codes the emulator returns.
var errmsgs = map[int]string{
	-1:    "system error",
	40001: "invalid credential, access_token is invalid or not latest",
	40002: "invalid grant_type",
	40003: "invalid openid",
	40008: "invalid message type",
	40007: "invalid media_id",
	40013: "invalid appid",
	40014: "invalid access_token",
	40037: "invalid template_id",
	40125: "invalid appsecret",
	40164: "invalid ip, not in whitelist",
	41001: "access_token missing",
	42001: "access_token expired",
	43004: "require subscribe",
	43019: "require remove blacklist",
	43101: "user refuse to accept the msg",
	44004: "empty content",
	45009: "reach max api daily quota limit",
	45011: "api minute-quota reach limit  mustslower  retry next minute",
	45015: "response out of time limit or subscription is canceled",
	45047: "out of response count limit",
	47001: "data format error",
	47003: "argument invalid!",
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; encoding=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, code int) { writeJSON(w, errReply(code)) }

// errReply is WeChat's answer for errcode code.
func errReply(code int) apiStatus {
	msg, ok := errmsgs[code]
	if !ok {
		msg = "error"
	}
	return apiStatus{ErrCode: code, ErrMsg: msg + " rid: " + randomHex(12)}
}

func randomHex(n int) string {
	b := make([]byte, (n+1)/2)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)[:n]
}

func randomUint32() uint32 {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// delay waits Latency; false if the request or the emulator ended first.
func (e *Emulator) delay(r *http.Request) bool {
	if e.cfg.Latency <= 0 {
		return true
	}
	t := time.NewTimer(e.cfg.Latency)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
	case <-e.ctx.Done():
	}
	return false
}

// takeErrcode returns the errcode fault of a call to a: the one taken on
// entry (ServeHTTP), else the first queued one if it is an errcode; 0 if
// none. Callers hold mu.
func (e *Emulator) takeErrcode(r *http.Request, a Action) int {
	if code, ok := r.Context().Value(errcodeKey{}).(int); ok {
		return code
	}
	q := e.faults[a]
	if len(q) == 0 || q[0].transport() {
		return 0
	}
	e.faults[a] = q[1:]
	return q[0].Errcode
}

// admit checks a call's access token, then any fault injected for action,
// in WeChat's order, and writes the error answer when one applies. e.mu
// must be held.
func (e *Emulator) admit(w http.ResponseWriter, r *http.Request, action Action, now time.Time) bool {
	if code := e.admitCode(r, action, now); code != 0 {
		writeErr(w, code)
		return false
	}
	return true
}

// admitCode is admit's errcode, 0 when the call may proceed. e.mu must be
// held.
func (e *Emulator) admitCode(r *http.Request, action Action, now time.Time) int {
	if code := e.checkToken(r.URL.Query().Get("access_token"), now); code != 0 {
		return code
	}
	return e.takeErrcode(r, action)
}

// checkToken validates an access token; callers hold mu.
func (e *Emulator) checkToken(tok string, now time.Time) int {
	if tok == "" {
		return 41001
	}
	exp, ok := e.tokens[tok]
	if !ok || e.rejected[tok] {
		return 40001
	}
	if !now.Before(exp) {
		return 42001
	}
	return 0
}

// issueToken mints a token valid for TokenTTL; callers hold mu.
func (e *Emulator) issueToken(now time.Time) string {
	for t, exp := range e.tokens { // forget tokens long dead
		if now.Sub(exp) > e.cfg.TokenTTL {
			delete(e.tokens, t)
		}
	}
	t := randomHex(64)
	e.tokens[t] = now.Add(e.cfg.TokenTTL)
	return t
}

type tokenReply struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int64  `json:"expires_in"`
}

// checkCredentials counts the call and applies faults and the appid/secret
// check; callers hold mu.
func (e *Emulator) checkCredentials(r *http.Request, grant, appID, secret string) int {
	e.tokenRequests++
	if code := e.takeErrcode(r, ActionToken); code != 0 {
		return code
	}
	switch {
	case grant != "client_credential":
		return 40002
	case appID != e.cfg.AppID:
		return 40013
	case secret != e.cfg.AppSecret:
		return 40125
	}
	return 0
}

func (e *Emulator) handleToken(w http.ResponseWriter, r *http.Request) {
	if !e.delay(r) {
		return
	}
	q := r.URL.Query()
	e.mu.Lock()
	defer e.mu.Unlock()
	if code := e.checkCredentials(r, q.Get("grant_type"), q.Get("appid"), q.Get("secret")); code != 0 {
		writeErr(w, code)
		return
	}
	writeJSON(w, tokenReply{AccessToken: e.issueToken(e.cfg.Now()), ExpiresIn: int64(e.cfg.TokenTTL / time.Second)})
}

// handleStableToken: in normal mode the current stable token is returned
// while it is valid; force_refresh mints a new one and voids the old.
func (e *Emulator) handleStableToken(w http.ResponseWriter, r *http.Request) {
	if !e.delay(r) {
		return
	}
	var req struct {
		GrantType    string `json:"grant_type"`
		AppID        string `json:"appid"`
		Secret       string `json:"secret"`
		ForceRefresh bool   `json:"force_refresh"`
	}
	decodeErr := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&req)
	e.mu.Lock()
	defer e.mu.Unlock()
	if decodeErr != nil {
		e.tokenRequests++
		writeErr(w, 47001)
		return
	}
	if code := e.checkCredentials(r, req.GrantType, req.AppID, req.Secret); code != 0 {
		writeErr(w, code)
		return
	}
	now := e.cfg.Now()
	if exp, ok := e.tokens[e.stableToken]; ok && now.Before(exp) && !req.ForceRefresh {
		writeJSON(w, tokenReply{AccessToken: e.stableToken, ExpiresIn: int64(exp.Sub(now) / time.Second)})
		return
	}
	if req.ForceRefresh {
		delete(e.tokens, e.stableToken)
		e.forcedTokens++
	}
	e.stableToken = e.issueToken(now)
	writeJSON(w, tokenReply{AccessToken: e.stableToken, ExpiresIn: int64(e.cfg.TokenTTL / time.Second)})
}

var (
	openIDRE      = regexp.MustCompile(`^[A-Za-z0-9_-]{6,64}$`)
	placeholderRE = regexp.MustCompile(`\{\{\s*([A-Za-z0-9_]+)\.DATA\s*\}\}`)
)

// maxDataRunes bounds one template value (new-style keyword types are far
// stricter, e.g. thing ≤ 20 characters).
const maxDataRunes = 200

// lookupFollower applies WeChat's recipient checks; callers hold mu.
func (e *Emulator) lookupFollower(openID string) (*follower, int) {
	if !openIDRE.MatchString(openID) {
		return nil, 40003
	}
	f, ok := e.followers[pii.OpenID(openID)]
	if !ok && e.cfg.FollowPrefix != "" && strings.HasPrefix(openID, e.cfg.FollowPrefix) {
		f = e.ensureFollower(pii.OpenID(openID))
		f.Following, ok = true, true
	}
	if !ok {
		return nil, 40003
	}
	if !f.Following {
		return nil, 43004
	}
	return f, 0
}

// templateSendBody is a template send as the emulator reads it.
type templateSendBody struct {
	ToUser     string `json:"touser"`
	TemplateID string `json:"template_id"`
	URL        string `json:"url"`
	Data       map[string]struct {
		Value string `json:"value"`
	} `json:"data"`
	ClientMsgID string `json:"client_msg_id"`
}

type msgIDReply struct {
	apiStatus
	MsgID int64 `json:"msgid"`
}

func (e *Emulator) handleTemplateSend(w http.ResponseWriter, r *http.Request) {
	if !e.delay(r) {
		return
	}
	var req templateSendBody
	// Read the body before taking the lock; report its error in WeChat's order.
	decodeErr := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&req)
	reply, accepted := e.acceptTemplate(r, req, decodeErr)
	if accepted != nil && e.cfg.OnAccept != nil {
		e.cfg.OnAccept(*accepted)
	}
	writeJSON(w, reply)
}

// acceptTemplate applies WeChat's checks to a template send and records it
// if it passes. It returns the answer and, when the send is a new
// acceptance, a copy of the message.
func (e *Emulator) acceptTemplate(r *http.Request, req templateSendBody, decodeErr error) (any, *SentMessage) {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.cfg.Now()
	if code := e.admitCode(r, ActionTemplateSend, now); code != 0 {
		return errReply(code), nil
	}
	if decodeErr != nil {
		return errReply(47001), nil
	}
	i := slices.IndexFunc(e.cfg.Templates, func(t Template) bool { return t.ID == req.TemplateID })
	if i < 0 {
		return errReply(40037), nil
	}
	f, code := e.lookupFollower(req.ToUser)
	if code != 0 {
		return errReply(code), nil
	}
	data := make(map[string]string, len(req.Data))
	for k, v := range req.Data {
		if utf8.RuneCountInString(v.Value) > maxDataRunes {
			return errReply(47003), nil
		}
		data[k] = v.Value
	}
	for _, m := range placeholderRE.FindAllStringSubmatch(e.cfg.Templates[i].Content, -1) {
		if data[m[1]] == "" && !hiddenField(m[1]) { // first and remark are not shown: nothing to check
			return errReply(47003), nil
		}
	}
	if req.ClientMsgID != "" {
		if prev, ok := e.replay[req.ClientMsgID]; ok && now.Sub(prev.at) < replayWindow {
			return msgIDReply{apiStatus{0, "ok"}, prev.msgID}, nil
		}
	}
	e.lastTplMsgID++
	id := e.lastTplMsgID
	if req.ClientMsgID != "" {
		e.replay[req.ClientMsgID] = replayEntry{msgID: id, at: now}
	}
	shown, lines := display(e.cfg.Templates[i].Content, data)
	m := SentMessage{Kind: "template", MsgID: id, ToUser: f.OpenID, TemplateID: req.TemplateID,
		URL: req.URL, Data: shown, Shown: lines, RawData: data, ClientMsgID: req.ClientMsgID, At: now}
	e.sent = append(e.sent, m)
	status := "success"
	switch {
	case f.Blocked:
		status = "failed:user block"
	case e.failReceipts > 0:
		e.failReceipts--
		status = "failed: system failed"
	}
	e.enqueueReceipt(receiptJob{due: time.Now().Add(e.cfg.ReceiptDelay), to: f.OpenID, msgID: id, status: status})
	m.Data, m.RawData, m.Shown = maps.Clone(m.Data), maps.Clone(m.RawData), slices.Clone(m.Shown)
	return msgIDReply{apiStatus{0, "ok"}, id}, &m
}

// replayWindow is how long WeChat answers a repeated client_msg_id with
// the first send's msgid instead of sending again.
const replayWindow = 10 * time.Minute

// Customer-service window rules.
const (
	csWindow   = 48 * time.Hour
	csPerReply = 5
)

func (e *Emulator) handleCustomSend(w http.ResponseWriter, r *http.Request) {
	if !e.delay(r) {
		return
	}
	var req struct {
		ToUser  string `json:"touser"`
		MsgType string `json:"msgtype"`
		Text    *struct {
			Content string `json:"content"`
		} `json:"text"`
	}
	// Read the body before taking the lock; report its error in WeChat's order.
	decodeErr := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&req)
	code, accepted := func() (int, *SentMessage) {
		e.mu.Lock()
		defer e.mu.Unlock()
		now := e.cfg.Now()
		if code := e.admitCode(r, ActionCustomSend, now); code != 0 {
			return code, nil
		}
		switch {
		case decodeErr != nil:
			return 47001, nil
		case req.MsgType != "text":
			return 40008, nil
		case req.Text == nil || req.Text.Content == "":
			return 44004, nil
		}
		f, code := e.lookupFollower(req.ToUser)
		if code != 0 {
			return code, nil
		}
		if f.LastMessage.IsZero() || now.Sub(f.LastMessage) > csWindow {
			return 45015, nil
		}
		if f.csSent >= csPerReply {
			return 45047, nil
		}
		f.csSent++
		m := SentMessage{Kind: "text", ToUser: f.OpenID, Text: req.Text.Content, At: now}
		e.sent = append(e.sent, m)
		return 0, &m
	}()
	if code != 0 {
		writeErr(w, code)
		return
	}
	if e.cfg.OnAccept != nil {
		e.cfg.OnAccept(*accepted)
	}
	writeJSON(w, apiStatus{0, "ok"})
}

type templateListItem struct {
	TemplateID      string `json:"template_id"`
	Title           string `json:"title"`
	PrimaryIndustry string `json:"primary_industry"`
	DeputyIndustry  string `json:"deputy_industry"`
	Content         string `json:"content"`
	Example         string `json:"example"`
}

func (e *Emulator) handleTemplateList(w http.ResponseWriter, r *http.Request) {
	if !e.delay(r) {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.admit(w, r, ActionTemplateList, e.cfg.Now()) {
		return
	}
	list := make([]templateListItem, 0, len(e.cfg.Templates))
	for _, t := range e.cfg.Templates {
		list = append(list, templateListItem{t.ID, t.Title, t.PrimaryIndustry, t.DeputyIndustry, t.Content, t.Example})
	}
	// The real reply has no errcode on success, only the list.
	writeJSON(w, struct {
		TemplateList []templateListItem `json:"template_list"`
	}{list})
}
