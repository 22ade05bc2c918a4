package aliyunsms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/dysmsapi"

	"github.com/gridcast/gridcast/gateway"
)

// DefaultEndpoint is Aliyun SMS's public endpoint.
const DefaultEndpoint = "dysmsapi.aliyuncs.com"

// Config configures a Client (YAML aliyun_sms.*).
type Config struct {
	// AccessKeyID and AccessKeySecret are a RAM user's key with SMS
	// permissions. Required; the secret is never logged.
	AccessKeyID     string `yaml:"access_key_id"`
	AccessKeySecret string `yaml:"access_key_secret"`
	// SignName is the approved signature (签名) used when a Message names
	// none. Required.
	SignName string `yaml:"sign_name"`
	// Endpoint is host[:port], no scheme. Default DefaultEndpoint; the
	// sandbox points it at the emulator, e.g. 127.0.0.1:8089.
	Endpoint string `yaml:"endpoint"`
	// Scheme is "https" (default) or "http" (the emulator on loopback). The
	// SDK's own default is HTTP; this package's is not.
	Scheme string `yaml:"scheme"`
	// Timeout bounds each call, pool wait included. Default 10s.
	Timeout time.Duration `yaml:"timeout"`
	// Concurrency is how many calls may be in flight at once: one SDK
	// client each, since an SDK client is not safe for concurrent use.
	// Default 8.
	Concurrency int `yaml:"concurrency"`
}

func (c Config) withDefaults() Config {
	if c.Endpoint == "" {
		c.Endpoint = DefaultEndpoint
	}
	if c.Scheme == "" {
		c.Scheme = "https"
	}
	if c.Timeout == 0 {
		c.Timeout = 10 * time.Second
	}
	if c.Concurrency == 0 {
		c.Concurrency = 8
	}
	return c
}

// Validate reports every problem with c (after defaults), joined.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	if c.AccessKeyID == "" {
		errs = append(errs, errors.New("aliyun_sms.access_key_id is required (a RAM user's AccessKey ID)"))
	}
	if c.AccessKeySecret == "" {
		errs = append(errs, errors.New("aliyun_sms.access_key_secret is required"))
	}
	if c.SignName == "" {
		errs = append(errs, errors.New("aliyun_sms.sign_name is required (an approved SMS signature)"))
	}
	if strings.Contains(c.Endpoint, "/") || strings.ContainsAny(c.Endpoint, " ?#@") {
		errs = append(errs, fmt.Errorf("aliyun_sms.endpoint %q must be host[:port] without scheme or path", c.Endpoint))
	}
	if s := strings.ToLower(c.Scheme); s != "https" && s != "http" {
		errs = append(errs, fmt.Errorf("aliyun_sms.scheme %q must be https or http", c.Scheme))
	}
	if c.Timeout < 0 {
		errs = append(errs, errors.New("aliyun_sms.timeout must not be negative"))
	}
	if c.Concurrency < 0 {
		errs = append(errs, errors.New("aliyun_sms.concurrency must not be negative"))
	}
	return errors.Join(errs...)
}

// Client sends SMS through Aliyun with the alibaba-cloud-sdk-go dysmsapi
// client. It keeps Config.Concurrency SDK clients in a pool, one per call in
// flight, because an SDK client is not safe for concurrent use; Client
// itself is. Every failure is a *gateway.SendError.
type Client struct {
	cfg       Config
	log       *slog.Logger
	pool      chan *conn
	transport *http.Transport
	baseURL   string // scheme://endpoint/, for error messages
}

// conn is one SDK client with its own transport shim.
type conn struct {
	sdk *dysmsapi.Client
	rt  *ctxTransport
}

// ctxTransport gives the SDK's requests the call's context: the v1 SDK
// takes none, so cancellation and deadlines would otherwise not reach the
// connection. It also keeps the SDK from mutating the shared transport,
// which it does only to a *http.Transport.
type ctxTransport struct {
	base http.RoundTripper
	ctx  context.Context // set while the conn is checked out
}

// RoundTrip sends r under the checked-out call's context.
func (t *ctxTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return t.base.RoundTrip(r.WithContext(t.ctx))
}

// New builds a Client. log may be nil. It does not call Aliyun.
func New(cfg Config, log *slog.Logger) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("aliyunsms: %w", err)
	}
	cfg = cfg.withDefaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	scheme := strings.ToLower(cfg.Scheme)
	if scheme == "http" {
		if host, _, err := net.SplitHostPort(cfg.Endpoint); err != nil || !isLoopback(host) {
			log.Warn("aliyunsms_plain_http", "endpoint", cfg.Endpoint,
				"why", "phone numbers and message texts travel unencrypted; use https outside the sandbox")
		}
	}
	tr := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout: 5 * time.Second,
		MaxIdleConnsPerHost: cfg.Concurrency,
		IdleConnTimeout:     90 * time.Second,
		ForceAttemptHTTP2:   true,
	}
	c := &Client{cfg: cfg, log: log, pool: make(chan *conn, cfg.Concurrency), transport: tr,
		baseURL: scheme + "://" + cfg.Endpoint + "/"}
	for range cfg.Concurrency {
		rt := &ctxTransport{base: tr, ctx: context.Background()}
		sc := sdk.NewConfig()
		sc.AutoRetry = false // a retried send may be a duplicate SMS
		sc.Scheme = strings.ToUpper(scheme)
		sc.Transport = rt
		// The SDK's own read timeout stays above ours so that our context,
		// which carries the caller's deadline, is what ends a slow call.
		sc.Timeout = cfg.Timeout + 5*time.Second
		cl, err := newSDKClient(sc, credentials.NewAccessKeyCredential(cfg.AccessKeyID, cfg.AccessKeySecret))
		if err != nil {
			return nil, fmt.Errorf("aliyunsms: new sdk client: %w", err)
		}
		cl.Domain = cfg.Endpoint
		cl.SetReadTimeout(cfg.Timeout + 5*time.Second)
		cl.SetConnectTimeout(5 * time.Second)
		c.pool <- &conn{sdk: cl, rt: rt}
	}
	return c, nil
}

// sdkInit serialises SDK client construction: dysmsapi.NewClientWithOptions
// fills the package-level dysmsapi.EndpointMap lazily, without a lock.
var sdkInit sync.Mutex

func newSDKClient(sc *sdk.Config, cred *credentials.AccessKeyCredential) (*dysmsapi.Client, error) {
	sdkInit.Lock()
	defer sdkInit.Unlock()
	return dysmsapi.NewClientWithOptions("cn-hangzhou", sc, cred)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Close releases idle connections. The Client must not be used afterwards.
func (c *Client) Close() { c.transport.CloseIdleConnections() }

// call runs fn on a pooled SDK client under the call's deadline. send says
// whether the action sends SMS, which makes a lost answer ambiguous.
func (c *Client) call(ctx context.Context, send bool, fn func(*dysmsapi.Client) error) error {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	var cn *conn
	select {
	case cn = <-c.pool:
	case <-ctx.Done():
		return &gateway.SendError{Channel: "sms", Code: CodeTimeout, Class: gateway.Retryable, Err: ctx.Err(),
			Message: "no SDK client free before the deadline; nothing was sent"}
	}
	defer func() {
		cn.rt.ctx = context.Background()
		c.pool <- cn
	}()
	cn.rt.ctx = ctx
	if err := fn(cn.sdk); err != nil {
		return c.sdkError(send, err)
	}
	return nil
}

// business turns an HTTP 200 answer whose Code is not OK into a SendError.
func business(code, message string) error {
	if code == "OK" {
		return nil
	}
	if code == "" {
		code = "EMPTY_CODE"
	}
	class, after := Classify(code, message)
	return &gateway.SendError{Channel: "sms", Code: code, Message: message, Class: class, RetryAfter: after}
}

// sdkError turns the SDK's error into a SendError. It never keeps the SDK
// error itself: its text holds the request URL or the server's
// string-to-sign, both full of phone numbers and template values.
func (c *Client) sdkError(send bool, err error) error {
	var se *sdkerrors.ServerError
	if errors.As(err, &se) {
		code, msg := se.ErrorCode(), se.Message()
		if code == "" {
			code, msg = "HTTP_"+strconv.Itoa(se.HttpStatus()), http.StatusText(se.HttpStatus())
		}
		msg, _, _ = strings.Cut(msg, "server string to sign is:")
		msg = strings.TrimSpace(msg)
		if len(msg) > 200 {
			msg = msg[:200]
		}
		class, after := Classify(code, msg)
		return &gateway.SendError{Channel: "sms", Code: code, Message: msg, Class: class, RetryAfter: after}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return c.transportError(send, &url.Error{Op: ue.Op, URL: c.baseURL, Err: ue.Err})
	}
	var ce sdkerrors.Error
	if errors.As(err, &ce) {
		if orig := ce.OriginError(); orig != nil && errors.As(orig, &ue) {
			return c.transportError(send, &url.Error{Op: ue.Op, URL: c.baseURL, Err: ue.Err})
		}
		code := ce.ErrorCode()
		class, after := Classify(code, ce.Message())
		return &gateway.SendError{Channel: "sms", Code: code, Message: ce.Message(), Class: class, RetryAfter: after}
	}
	return c.transportError(send, err)
}

// transportError classifies a failure to get an answer. A dial failure
// means nothing was sent; any other failure of a send is ambiguous.
func (c *Client) transportError(send bool, err error) error {
	se := &gateway.SendError{Channel: "sms", Class: gateway.Retryable, Err: err}
	var op *net.OpError
	var dns *net.DNSError
	var ne net.Error
	timeout := errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		errors.As(err, &ne) && ne.Timeout()
	switch {
	case errors.As(err, &op) && op.Op == "dial", errors.As(err, &dns):
		se.Code = CodeNetwork
	case send:
		se.Code = CodeAmbiguous
		se.Message = "the send may have reached Aliyun: QueryDetails before resending"
	case timeout:
		se.Code = CodeTimeout
	default:
		se.Code = CodeNetwork
	}
	return se
}

func (c *Client) signName(m gateway.SMS) string {
	if m.SignName != "" {
		return m.SignName
	}
	return c.cfg.SignName
}

func paramJSON(p map[string]string) string {
	if len(p) == 0 {
		return ""
	}
	b, _ := json.Marshal(p) // a map of strings always marshals
	return string(b)
}

// Send sends one SMS with SendSms. Business refusals come back classified
// (see Classify); a timeout is CodeAmbiguous.
func (c *Client) Send(ctx context.Context, m gateway.SMS) (gateway.SMSAccepted, error) {
	r, err := c.sendSms(ctx, string(m.Phone), m)
	if err != nil {
		c.log.DebugContext(ctx, "aliyunsms_send_failed", "phone", m.Phone, "template", m.TemplateCode,
			"out_id", m.OutID, "err", err)
		return gateway.SMSAccepted{}, fmt.Errorf("aliyunsms: send: %w", err)
	}
	c.log.DebugContext(ctx, "aliyunsms_sent", "phone", m.Phone, "template", m.TemplateCode,
		"out_id", m.OutID, "biz_id", r.BizID)
	return r, nil
}

// sendSms calls SendSms for phones, a comma-separated list of clear numbers
// (they appear only here, on the wire).
func (c *Client) sendSms(ctx context.Context, phones string, m gateway.SMS) (gateway.SMSAccepted, error) {
	req := dysmsapi.CreateSendSmsRequest()
	req.PhoneNumbers = phones
	req.SignName = c.signName(m)
	req.TemplateCode = m.TemplateCode
	req.TemplateParam = paramJSON(m.Params)
	req.OutId = m.OutID
	req.SmsUpExtendCode = m.ExtendCode
	var resp *dysmsapi.SendSmsResponse
	err := c.call(ctx, true, func(cl *dysmsapi.Client) (err error) {
		resp, err = cl.SendSms(req)
		return err
	})
	if err == nil {
		err = business(resp.Code, resp.Message)
	}
	if err != nil {
		return gateway.SMSAccepted{}, err
	}
	return gateway.SMSAccepted{BizID: resp.BizId, RequestID: resp.RequestId}, nil
}

// SendBatch sends one template to many numbers in one call, under one
// BizId. All messages must share TemplateCode and OutID (reports are then
// matched by BizID and phone). When sign, parameters and extension code
// are the same for all, it uses SendSms with up to MaxNumbersPerSend
// numbers; otherwise SendBatchSms with up to MaxNumbersPerBatch. Aliyun
// refuses the whole call if one number is bad, so validate numbers first.
func (c *Client) SendBatch(ctx context.Context, ms []gateway.SMS) (gateway.SMSAccepted, error) {
	if err := checkBatch(ms); err != nil {
		return gateway.SMSAccepted{}, fmt.Errorf("aliyunsms: send batch: %w", err)
	}
	first := ms[0]
	same := true
	for _, m := range ms[1:] {
		if c.signName(m) != c.signName(first) || m.ExtendCode != first.ExtendCode || !maps.Equal(m.Params, first.Params) {
			same = false
			break
		}
	}
	if same && len(ms) > MaxNumbersPerSend || !same && len(ms) > MaxNumbersPerBatch {
		return gateway.SMSAccepted{}, fmt.Errorf("aliyunsms: send batch: %w", &gateway.SendError{Channel: "sms",
			Code: CodeInvalidBatch, Class: gateway.Permanent,
			Message: fmt.Sprintf("%d numbers: at most %d with shared parameters, %d with per-number ones",
				len(ms), MaxNumbersPerSend, MaxNumbersPerBatch)})
	}
	if same {
		phones := make([]string, len(ms))
		for i, m := range ms {
			phones[i] = string(m.Phone)
		}
		r, err := c.sendSms(ctx, strings.Join(phones, ","), first)
		if err != nil {
			return gateway.SMSAccepted{}, fmt.Errorf("aliyunsms: send batch of %d: %w", len(ms), err)
		}
		c.log.DebugContext(ctx, "aliyunsms_batch_sent", "numbers", len(ms), "template", first.TemplateCode,
			"out_id", first.OutID, "biz_id", r.BizID)
		return r, nil
	}
	phones, signs, params, exts := make([]string, len(ms)), make([]string, len(ms)), make([]map[string]string, len(ms)), make([]string, len(ms))
	anyParams, anyExt := false, false
	for i, m := range ms {
		phones[i], signs[i], exts[i] = string(m.Phone), c.signName(m), m.ExtendCode
		params[i] = m.Params
		if params[i] == nil {
			params[i] = map[string]string{}
		}
		anyParams = anyParams || len(m.Params) > 0
		anyExt = anyExt || m.ExtendCode != ""
	}
	req := dysmsapi.CreateSendBatchSmsRequest()
	req.TemplateCode = first.TemplateCode
	req.OutId = first.OutID
	req.PhoneNumberJson = mustJSON(phones)
	req.SignNameJson = mustJSON(signs)
	if anyParams {
		req.TemplateParamJson = mustJSON(params)
	}
	if anyExt {
		req.SmsUpExtendCodeJson = mustJSON(exts)
	}
	var resp *dysmsapi.SendBatchSmsResponse
	err := c.call(ctx, true, func(cl *dysmsapi.Client) (err error) {
		resp, err = cl.SendBatchSms(req)
		return err
	})
	if err == nil {
		err = business(resp.Code, resp.Message)
	}
	if err != nil {
		return gateway.SMSAccepted{}, fmt.Errorf("aliyunsms: send batch of %d: %w", len(ms), err)
	}
	c.log.DebugContext(ctx, "aliyunsms_batch_sent", "numbers", len(ms), "template", first.TemplateCode,
		"out_id", first.OutID, "biz_id", resp.BizId)
	return gateway.SMSAccepted{BizID: resp.BizId, RequestID: resp.RequestId}, nil
}

func checkBatch(ms []gateway.SMS) error {
	bad := func(msg string) error {
		return &gateway.SendError{Channel: "sms", Code: CodeInvalidBatch, Class: gateway.Permanent, Message: msg}
	}
	if len(ms) == 0 {
		return bad("no messages")
	}
	for _, m := range ms[1:] {
		if m.TemplateCode != ms[0].TemplateCode {
			return bad("messages use different templates")
		}
		if m.OutID != ms[0].OutID {
			return bad("messages have different OutIDs; a batch has one")
		}
	}
	return nil
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v) // slices of strings and string maps always marshal
	return string(b)
}
