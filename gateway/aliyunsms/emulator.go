package aliyunsms

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gridcast/gridcast/gateway"
	"github.com/gridcast/gridcast/gateway/internal/lost"
	"github.com/gridcast/gridcast/pii"
)

// The credentials an Emulator accepts when EmulatorConfig leaves them empty.
const (
	SandboxAccessKeyID     = "gridcast-sandbox"
	SandboxAccessKeySecret = "gridcast-sandbox-secret"
)

// EmulatorConfig configures an Emulator. The zero value is usable: sandbox
// credentials, no signatures or templates (so every send fails with
// isv.SMS_SIGNATURE_ILLEGAL until some are configured), no pushes.
type EmulatorConfig struct {
	// AccessKeyID and AccessKeySecret are the one key pair accepted.
	// Default SandboxAccessKeyID / SandboxAccessKeySecret.
	AccessKeyID, AccessKeySecret string
	// SignNames are the approved signatures (签名). Any other sign name is
	// answered with isv.SMS_SIGNATURE_ILLEGAL.
	SignNames []string
	// Templates are the account's templates; unknown or unapproved codes are
	// answered with isv.SMS_TEMPLATE_ILLEGAL.
	Templates []Template

	// ReportURL receives delivery reports (SmsReport HTTP push); "" = none.
	ReportURL string
	// UplinkURL receives Reply's uplink messages (SmsUp HTTP push); "" =
	// Reply fails.
	UplinkURL string

	// Latency delays every answer. Zero = none.
	Latency time.Duration
	// DeliveryDelay is the time (on Now) from acceptance to the carrier's
	// receipt: the message's status then turns final and a report is
	// queued. Zero = final at once.
	DeliveryDelay time.Duration
	// ReportInterval is how often the pusher settles due messages and POSTs
	// queued reports. Default 200ms.
	ReportInterval time.Duration
	// ReportBatch is the most reports in one POST. Default 50.
	ReportBatch int

	// FailureRate is the fraction (0–1) of send calls answered with
	// isp.SYSTEM_ERROR. Zero = none. See also FailNext and Inject.
	FailureRate float64
	// UndeliverableSuffix makes every number ending in it fail delivery
	// (err_code UNDELIV), e.g. "0000" so demos show failures. "" = none.
	UndeliverableSuffix string
	// UndeliverableRate is a further random fraction (0–1) of messages
	// whose delivery fails (err_code MK:0001). Zero = none.
	UndeliverableRate float64
	// DuplicateRate is the fraction (0–1) of reports pushed twice, as
	// Aliyun sometimes does. Zero = none.
	DuplicateRate float64
	// ShuffleReports pushes each batch of reports out of order. See also
	// SetReportMode.
	ShuffleReports bool

	// PerNumberDailyLimit is how many messages one number may receive per
	// sign+template per day (Asia/Shanghai) before isv.BUSINESS_LIMIT_CONTROL
	// (天级). Zero = 50, Aliyun's default for notices; negative = no limit.
	PerNumberDailyLimit int
	// PerNumberMinuteLimit is the same per rolling minute (分钟级). Zero or
	// negative = no limit.
	PerNumberMinuteLimit int
	// MaxParamLength is the most characters in one template parameter
	// value before isv.PARAM_LENGTH_LIMIT. Zero = 35, Aliyun's limit for
	// notice variables; negative = no limit.
	MaxParamLength int
	// MaxRecords is how many sent messages are kept for Sent and
	// QuerySendDetails; older ones are forgotten. Default 100000.
	MaxRecords int

	// Faults, when set, is asked for every authenticated request that no
	// FailNext or Inject fault claimed: a non-nil Fault is answered
	// instead (LoseAnswer: after doing the work). It is for a caller that
	// keeps its own fault rules, such as the sandbox's admin API, beside a
	// test's own Inject hook. It runs under the emulator's lock and must
	// not call the Emulator. Nil = none.
	Faults func(action string, phone pii.Phone) *Fault
	// OnAccept, when set, is called with the messages of every accepted
	// send call (one for SendSms with one number, several for
	// SendBatchSms), before the answer is written and outside the
	// emulator's lock: a record kept there holds every message a client
	// may have been told about. Calls may overlap. Nil = none.
	OnAccept func([]SentMessage)

	// Seed seeds the randomness behind the rates, ids and shuffles, so a
	// run can be repeated. Zero = 1.
	Seed uint64
	// Now is the emulator's clock (timestamps, limits, delivery). Default
	// time.Now. The RPC Timestamp check compares the SDK's wall clock with
	// it, so a test clock must stay within 15 minutes of the real time.
	Now func() time.Time
	// HTTPClient posts reports and uplinks. Default: a client with a 5s
	// timeout.
	HTTPClient *http.Client
}

// Fault is a failure the Emulator answers with instead of doing the work:
// a business error (HTTPStatus 0 → HTTP 200, as Aliyun answers them), an
// HTTP error with Aliyun's error body, or a hang.
type Fault struct {
	// Action limits the fault to one action (e.g. "SendSms"); "" = any.
	Action string
	// HTTPStatus is the response status; 0 = 200.
	HTTPStatus int
	// Code and Message are the body's Code and Message.
	Code, Message string
	// Hang holds the request unanswered until the client gives up or the
	// emulator closes — for timeout tests.
	Hang bool
	// LoseAnswer does the work (a send is accepted and recorded), then
	// drops the connection without answering: the answer lost on the way
	// back that leaves the client not knowing.
	LoseAnswer bool
}

// Faults that happen at Aliyun, for FailNext.
var (
	FaultServiceUnavailable = Fault{HTTPStatus: http.StatusServiceUnavailable, Code: "ServiceUnavailable",
		Message: "The request has failed due to a temporary failure of the server."}
	FaultInternalError = Fault{HTTPStatus: http.StatusInternalServerError, Code: "InternalError",
		Message: "The request processing has failed due to some unknown error, exception or failure."}
	FaultThrottling = Fault{HTTPStatus: http.StatusBadRequest, Code: "Throttling.User",
		Message: "Request was denied due to user flow control."}
	FaultSystemError     = Fault{Code: "isp.SYSTEM_ERROR", Message: "isp.SYSTEM_ERROR"}
	FaultAmountNotEnough = Fault{Code: "isv.AMOUNT_NOT_ENOUGH", Message: "账户余额不足"}
	FaultDayLimit        = Fault{Code: "isv.DAY_LIMIT_CONTROL", Message: "触发日发送限额"}
	FaultHang            = Fault{Hang: true}
	FaultLoseAnswer      = Fault{LoseAnswer: true}
)

// SentMessage is one message the Emulator accepted, for tests and the
// demo's phone screen.
type SentMessage struct {
	Phone        pii.Phone
	SignName     string
	TemplateCode string
	Params       map[string]string
	Content      string // as the handset shows it: 【sign】rendered template
	OutID        string
	BizID        string
	ExtendCode   string
	Status       gateway.SMSStatus
	ErrCode      string // DELIVERED, UNDELIV, MK:0001; "" while waiting
	SendTime     time.Time
	ReportTime   time.Time // zero while waiting
}

// record is a SentMessage in the emulator's books.
type record struct {
	SentMessage
	due time.Time // when the receipt arrives
}

type nonceEntry struct {
	nonce string
	at    time.Time
}

// Emulator is a loopback Aliyun SMS API (dysmsapi.aliyuncs.com, RPC style)
// as an http.Handler, answering at "/". Build it with NewEmulator and stop
// it with Close. Safe for concurrent use.
type Emulator struct {
	cfg       EmulatorConfig
	log       *slog.Logger
	now       func() time.Time
	http      *http.Client
	signs     map[string]bool
	templates map[string]Template

	mu        sync.Mutex
	rng       *rand.Rand
	nonces    map[string]time.Time
	nonceFIFO []nonceEntry
	records   []*record
	pending   []*record      // accepted, receipt not yet due
	outbox    []reportJob    // reports waiting to be pushed
	daily     map[string]int // phone|sign|template → count on dailyDate
	dailyDate string
	minute    map[string][]time.Time
	swept     time.Time // when minute was last swept of expired numbers
	lastSign  map[pii.Phone]string
	faults    []Fault
	inject    func(action string, phone pii.Phone) *Fault
	seq       uint64

	// Report order for fault tests (SetReportMode); held are reports
	// waiting for a reordered group, since heldSince (wall clock).
	reportMode ReportMode
	held       []reportJob
	heldSince  time.Time

	wake      chan struct{}
	done      chan struct{}
	wg        sync.WaitGroup
	closeOnce sync.Once
}

// NewEmulator builds an Emulator and starts its report pusher. log may be
// nil. Call Close to stop it.
func NewEmulator(cfg EmulatorConfig, log *slog.Logger) *Emulator {
	if cfg.AccessKeyID == "" {
		cfg.AccessKeyID = SandboxAccessKeyID
	}
	if cfg.AccessKeySecret == "" {
		cfg.AccessKeySecret = SandboxAccessKeySecret
	}
	if cfg.ReportInterval <= 0 {
		cfg.ReportInterval = 200 * time.Millisecond
	}
	if cfg.ReportBatch <= 0 {
		cfg.ReportBatch = 50
	}
	if cfg.PerNumberDailyLimit == 0 {
		cfg.PerNumberDailyLimit = 50
	}
	if cfg.MaxParamLength == 0 {
		cfg.MaxParamLength = 35
	}
	if cfg.MaxRecords <= 0 {
		cfg.MaxRecords = 100000
	}
	if cfg.Seed == 0 {
		cfg.Seed = 1
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 5 * time.Second}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	e := &Emulator{
		cfg: cfg, log: log, now: cfg.Now, http: cfg.HTTPClient,
		signs:     make(map[string]bool),
		templates: make(map[string]Template),
		rng:       rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		nonces:    make(map[string]time.Time),
		daily:     make(map[string]int),
		minute:    make(map[string][]time.Time),
		lastSign:  make(map[pii.Phone]string),
		wake:      make(chan struct{}, 1),
		done:      make(chan struct{}),
		// Uplink sequence ids go on from the clock so that a new emulator
		// (another `gridcast sandbox say`) never reuses one.
		seq: uint64(time.Now().UnixMicro() % 1_000_000_000_000),
	}
	for _, s := range cfg.SignNames {
		e.signs[s] = true
	}
	for _, t := range cfg.Templates {
		e.templates[t.Code] = t
	}
	e.wg.Add(1)
	go e.runPusher()
	return e
}

// Close stops the report pusher, waits for it, and releases hanging
// requests. Reports still queued are dropped. Idempotent.
func (e *Emulator) Close() {
	e.closeOnce.Do(func() { close(e.done) })
	e.wg.Wait()
}

// FailNext makes the next n requests for f.Action (any action if "") fail
// with f. Queued faults are used in order, after authentication.
func (e *Emulator) FailNext(n int, f Fault) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for range n {
		e.faults = append(e.faults, f)
	}
}

// Inject installs fn, consulted for every authenticated request after the
// FailNext queue: a non-nil Fault is answered instead. phone is the first
// number of the request ("" if none). nil removes the hook. fn runs under
// the emulator's lock: it must not call the Emulator.
func (e *Emulator) Inject(fn func(action string, phone pii.Phone) *Fault) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.inject = fn
}

// Sent returns a copy of every accepted message still on record, oldest
// first, with statuses brought up to date.
func (e *Emulator) Sent() []SentMessage {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.settleLocked(e.now())
	out := make([]SentMessage, len(e.records))
	for i, r := range e.records {
		out[i] = r.SentMessage
		out[i].Params = cloneParams(r.Params)
	}
	return out
}

// params is one request's parameters, query and form merged (form wins, as
// in the SDK's signing).
type params struct{ url.Values }

func (p params) has(k string) bool { _, ok := p.Values[k]; return ok }

// apiError is Aliyun's error body.
type apiError struct {
	RequestID string `json:"RequestId"`
	HostID    string `json:"HostId,omitempty"`
	Code      string `json:"Code"`
	Message   string `json:"Message"`
	Recommend string `json:"Recommend,omitempty"`
}

const maxRequestBody = 1 << 20

// ServeHTTP answers one RPC request at "/" the way dysmsapi does: common
// parameters and signature first, then any injected fault, then the action.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := e.requestID()
	if r.URL.Path != "/" || (r.Method != http.MethodPost && r.Method != http.MethodGet) {
		e.httpError(w, http.StatusNotFound, reqID, "InvalidAction.NotFound",
			"Specified api is not found, please check your url and method.")
		return
	}
	p, err := readParams(r, w)
	if err != nil {
		e.httpError(w, http.StatusBadRequest, reqID, "InvalidParameter", "The request parameters cannot be parsed.")
		return
	}
	action := p.Get("Action")
	if !e.authenticate(w, r.Method, p, reqID) {
		return
	}
	if !e.pause(r.Context(), e.cfg.Latency) {
		return
	}
	f := e.takeFault(action, firstPhone(p))
	if f != nil && !f.LoseAnswer {
		e.answerFault(w, r, reqID, f)
		return
	}
	if f != nil {
		e.act(lost.Discard{}, p, action, reqID)
		lost.Drop(w)
		return
	}
	e.act(w, p, action, reqID)
}

// act runs one action and writes its answer to w.
func (e *Emulator) act(w http.ResponseWriter, p params, action, reqID string) {
	switch action {
	case "SendSms":
		e.sendSms(w, p, reqID)
	case "SendBatchSms":
		e.sendBatchSms(w, p, reqID)
	case "QuerySendDetails":
		e.querySendDetails(w, p, reqID)
	case "QuerySmsSignList":
		e.querySignList(w, p, reqID)
	case "QuerySmsTemplateList":
		e.queryTemplateList(w, p, reqID)
	default:
		e.httpError(w, http.StatusNotFound, reqID, "InvalidAction.NotFound",
			"Specified api is not found, please check your url and method.")
	}
}

// readParams merges the query and, for a form POST, the body.
func readParams(r *http.Request, w http.ResponseWriter) (params, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return params{}, err
	}
	if r.Method == http.MethodPost && r.Body != nil {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
		if err != nil {
			return params{}, err
		}
		if len(body) > 0 {
			form, err := url.ParseQuery(string(body))
			if err != nil {
				return params{}, err
			}
			for k, v := range form {
				q[k] = v
			}
		}
	}
	return params{q}, nil
}

// authenticate checks the common parameters, the signature, the timestamp
// and the nonce, answering the error itself when one fails.
func (e *Emulator) authenticate(w http.ResponseWriter, method string, p params, reqID string) bool {
	for _, k := range []string{"Action", "Version", "AccessKeyId", "Signature", "SignatureMethod",
		"SignatureVersion", "SignatureNonce", "Timestamp"} {
		if p.Get(k) == "" {
			e.httpError(w, http.StatusBadRequest, reqID, "Missing"+k, k+" is mandatory for this action.")
			return false
		}
	}
	if v := p.Get("Version"); v != apiVersion {
		e.httpError(w, http.StatusBadRequest, reqID, "InvalidVersion", "Specified parameter Version is not valid.")
		return false
	}
	if p.Get("AccessKeyId") != e.cfg.AccessKeyID {
		e.httpError(w, http.StatusNotFound, reqID, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
		return false
	}
	if p.Get("SignatureMethod") != "HMAC-SHA1" || p.Get("SignatureVersion") != "1.0" {
		e.httpError(w, http.StatusBadRequest, reqID, "InvalidSignatureMethod",
			"Specified signature method or version is not supported.")
		return false
	}
	ts, err := time.Parse(rpcTimestamp, p.Get("Timestamp"))
	if err != nil {
		e.httpError(w, http.StatusBadRequest, reqID, "InvalidTimeStamp.Format",
			"Specified time stamp or date value is not well formatted.")
		return false
	}
	now := e.now()
	if skew := now.Sub(ts); skew > 15*time.Minute || skew < -15*time.Minute {
		e.httpError(w, http.StatusBadRequest, reqID, "InvalidTimeStamp.Expired",
			"Specified time stamp or date value is expired.")
		return false
	}
	sts := stringToSign(method, p.Values)
	want := signature(e.cfg.AccessKeySecret, sts)
	if subtle.ConstantTimeCompare([]byte(want), []byte(p.Get("Signature"))) != 1 {
		e.httpError(w, http.StatusBadRequest, reqID, "SignatureDoesNotMatch",
			"Specified signature is not matched with our calculation. server string to sign is:"+sts)
		return false
	}
	if !e.useNonce(p.Get("SignatureNonce"), now) {
		e.httpError(w, http.StatusBadRequest, reqID, "SignatureNonceUsed", "Specified signature nonce was used already.")
		return false
	}
	return true
}

// useNonce records nonce, reporting false if it was seen in the last 15
// minutes (older ones are forgotten, as the timestamp check covers them).
func (e *Emulator) useNonce(nonce string, now time.Time) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for len(e.nonceFIFO) > 0 && now.Sub(e.nonceFIFO[0].at) > 16*time.Minute {
		delete(e.nonces, e.nonceFIFO[0].nonce)
		e.nonceFIFO = e.nonceFIFO[1:]
	}
	if _, used := e.nonces[nonce]; used {
		return false
	}
	e.nonces[nonce] = now
	e.nonceFIFO = append(e.nonceFIFO, nonceEntry{nonce, now})
	return true
}

// takeFault pops the first queued fault for action, else asks the hook,
// else rolls FailureRate for sends.
func (e *Emulator) takeFault(action string, phone pii.Phone) *Fault {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i, f := range e.faults {
		if f.Action == "" || f.Action == action {
			e.faults = append(e.faults[:i:i], e.faults[i+1:]...)
			return &f
		}
	}
	if e.inject != nil {
		if f := e.inject(action, phone); f != nil {
			return f
		}
	}
	if e.cfg.Faults != nil {
		if f := e.cfg.Faults(action, phone); f != nil {
			return f
		}
	}
	if e.cfg.FailureRate > 0 && (action == "SendSms" || action == "SendBatchSms") && e.rng.Float64() < e.cfg.FailureRate {
		f := FaultSystemError
		return &f
	}
	return nil
}

func (e *Emulator) answerFault(w http.ResponseWriter, r *http.Request, reqID string, f *Fault) {
	if f.Hang {
		select {
		case <-r.Context().Done():
		case <-e.done:
			lost.Drop(w) // closing: still no answer
		}
		return
	}
	if f.HTTPStatus == 0 || f.HTTPStatus == http.StatusOK {
		e.bizError(w, reqID, f.Code, f.Message)
		return
	}
	e.httpError(w, f.HTTPStatus, reqID, f.Code, f.Message)
}

// pause waits d, reporting false if the request or the emulator ended first.
func (e *Emulator) pause(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
	case <-e.done:
	}
	return false
}

func firstPhone(p params) pii.Phone {
	if s := p.Get("PhoneNumbers"); s != "" {
		first, _, _ := strings.Cut(s, ",")
		return pii.Phone(strings.TrimSpace(first))
	}
	if s := p.Get("PhoneNumber"); s != "" {
		return pii.Phone(s)
	}
	var arr []string
	if json.Unmarshal([]byte(p.Get("PhoneNumberJson")), &arr) == nil && len(arr) > 0 {
		return pii.Phone(arr[0])
	}
	return ""
}

func (e *Emulator) writeJSON(w http.ResponseWriter, status int, reqID string, v any) {
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.Header().Set("X-Acs-Request-Id", reqID)
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		e.log.Debug("aliyunsms_emulator_write_failed", "err", err)
	}
}

// httpError answers a gateway-level error (HTTP 4xx/5xx), which the SDK
// turns into *errors.ServerError.
func (e *Emulator) httpError(w http.ResponseWriter, status int, reqID, code, msg string) {
	e.writeJSON(w, status, reqID, apiError{RequestID: reqID, HostID: "dysmsapi.aliyuncs.com", Code: code, Message: msg,
		Recommend: "https://api.aliyun.com/troubleshoot?q=" + url.QueryEscape(code) + "&product=Dysmsapi"})
}

// bizError answers a business error: HTTP 200, Code != OK.
func (e *Emulator) bizError(w http.ResponseWriter, reqID, code, msg string) {
	e.writeJSON(w, http.StatusOK, reqID, apiError{RequestID: reqID, Code: code, Message: msg})
}

// requestID is a UUID-shaped id like Aliyun's RequestId.
func (e *Emulator) requestID() string {
	e.mu.Lock()
	a, b := e.rng.Uint64(), e.rng.Uint64()
	e.mu.Unlock()
	return fmt.Sprintf("%08X-%04X-4%03X-%04X-%012X", a>>32, a>>16&0xffff, a&0xfff, b>>48|0x8000, b&0xffffffffffff)
}

func cloneParams(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
