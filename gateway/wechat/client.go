package wechat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/silenceper/wechat/v2/credential"
	"github.com/silenceper/wechat/v2/officialaccount"
	oaconfig "github.com/silenceper/wechat/v2/officialaccount/config"
	"github.com/silenceper/wechat/v2/officialaccount/message"
	"github.com/silenceper/wechat/v2/util"

	"github.com/gridcast/gridcast/gateway"
	"github.com/gridcast/gridcast/pii"
)

// APIBase is the real WeChat API origin that the SDK hard-codes.
const APIBase = "https://api.weixin.qq.com"

const (
	templateSendPath = "/cgi-bin/message/template/send"
	customSendPath   = "/cgi-bin/message/custom/send"
	templateListPath = "/cgi-bin/template/get_all_private_template"
	tokenPath        = "/cgi-bin/token"
	stableTokenPath  = "/cgi-bin/stable_token"
	mediaGetPath     = "/cgi-bin/media/get"
)

// DefaultTimeout is Config.Timeout when zero.
const DefaultTimeout = 10 * time.Second

// Config is the WeChat official-account configuration (YAML key wechat).
type Config struct {
	// AppID is the account's AppID (wechat.app_id). Required.
	AppID string `yaml:"app_id"`
	// AppSecret is the account's AppSecret (wechat.app_secret). Required
	// to send. A secret: never logged.
	AppSecret string `yaml:"app_secret"`
	// Token is the callback token configured on the WeChat platform
	// (wechat.token); it signs every callback. Required.
	Token string `yaml:"token"`
	// EncodingAESKey is the 43-character message key
	// (wechat.encoding_aes_key). Empty = plaintext mode; set = safe mode,
	// and the callback handler then refuses plaintext posts.
	EncodingAESKey string `yaml:"encoding_aes_key"`
	// BaseURL replaces https://api.weixin.qq.com (wechat.base_url): the
	// emulator's URL in sandbox mode. Empty = the real API.
	BaseURL string `yaml:"base_url"`
	// Timeout bounds each HTTP call to WeChat (wechat.timeout). Zero means
	// DefaultTimeout (10 s).
	Timeout time.Duration `yaml:"timeout"`
}

// Validate reports every problem with c, joined, naming the config keys.
func (c Config) Validate() error {
	var errs []error
	if strings.TrimSpace(c.AppID) == "" {
		errs = append(errs, errors.New("wechat.app_id is required (the official account's AppID, wx…)"))
	}
	if strings.TrimSpace(c.AppSecret) == "" {
		errs = append(errs, errors.New("wechat.app_secret is required (the official account's AppSecret)"))
	}
	if strings.TrimSpace(c.Token) == "" {
		errs = append(errs, errors.New("wechat.token is required (the server-configuration Token that signs callbacks)"))
	}
	if c.EncodingAESKey != "" {
		if _, err := AESKey(c.EncodingAESKey); err != nil {
			errs = append(errs, errors.New("wechat.encoding_aes_key must be the 43-character EncodingAESKey from the platform, or empty for plaintext mode"))
		}
	}
	if c.BaseURL != "" {
		u, err := url.Parse(c.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			errs = append(errs, fmt.Errorf("wechat.base_url %q must be an origin such as http://127.0.0.1:8099 (no path), or empty for the real API", c.BaseURL))
		}
	}
	if c.Timeout < 0 {
		errs = append(errs, fmt.Errorf("wechat.timeout %v must not be negative (0 means %v)", c.Timeout, DefaultTimeout))
	}
	return errors.Join(errs...)
}

// Template is an approved message template, as get_all_private_template
// lists it. Content holds placeholders such as {{first.DATA}}.
type Template struct {
	ID              string
	Title           string
	PrimaryIndustry string
	DeputyIndustry  string
	Content         string
	Example         string
}

// Client sends through one WeChat official account with silenceper/wechat.
// It is safe for concurrent use.
//
// Every process of the account (serve and each worker) shares one access
// token in Redis. When WeChat rejects it (40001, 40014, 42001), one caller
// across all processes refreshes it under a Redis lock, forcing a new token
// only if stable_token still hands out the rejected one; forced refreshes
// are spaced and counted per day for the whole account (see
// MinTokenRefreshInterval and ForcedRefreshesPerDay). The other callers wait
// up to a few seconds for the new token and retry once; none of them loops.
//
// The SDK sends every request through two process-wide globals
// (util.DefaultHTTPClient and util.SetURIModifier). New sets them, so a
// process serves one WeChat API origin: every Client in a process must use
// the same BaseURL, and the first Client's Timeout applies to all.
type Client struct {
	cfg      Config
	oa       *officialaccount.OfficialAccount
	stable   *credential.StableAccessToken
	cache    *redisCache
	tokenKey string
	log      *slog.Logger
	now      func() time.Time

	// The account's shared refresh state (token.go).
	rdb         redis.UniversalClient
	keys        tokenKeys
	lockTTL     time.Duration // refresh lock lifetime
	refreshWait time.Duration // how long a rejected call waits for another's refresh
}

// New builds a Client. The access token is cached in rdb and shared by
// every process of the account, with the lock and the forced-refresh counts
// that keep its refresh to one process at a time (see Client). It
// installs the SDK's process-wide HTTP hooks on first use and fails if an
// earlier Client in this process configured another BaseURL.
func New(cfg Config, rdb redis.UniversalClient, log *slog.Logger) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if rdb == nil {
		return nil, errors.New("wechat: a Redis client is required for the access-token cache")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if err := installSDKHooks(cfg.BaseURL, cfg.Timeout); err != nil {
		return nil, err
	}
	rc := newRedisCache(rdb, "gridcast:wechat:")
	oa := officialaccount.NewOfficialAccount(&oaconfig.Config{
		AppID:          cfg.AppID,
		AppSecret:      cfg.AppSecret,
		Token:          cfg.Token,
		EncodingAESKey: cfg.EncodingAESKey,
		Cache:          rc,
		UseStableAK:    true,
	})
	stable, ok := credential.NewStableAccessToken(cfg.AppID, cfg.AppSecret, credential.CacheKeyOfficialAccountPrefix, rc).(*credential.StableAccessToken)
	if !ok {
		return nil, errors.New("wechat: unexpected stable access-token handle type")
	}
	return &Client{
		cfg:    cfg,
		oa:     oa,
		stable: stable,
		cache:  rc,
		// The key silenceper's StableAccessToken uses (note the double "_").
		tokenKey:    fmt.Sprintf("%s_stable_access_token_%s", credential.CacheKeyOfficialAccountPrefix, cfg.AppID),
		log:         log,
		now:         time.Now,
		rdb:         rdb,
		keys:        newTokenKeys(cfg.AppID),
		lockTTL:     refreshLockTTL(cfg.Timeout),
		refreshWait: DefaultRefreshWait,
	}, nil
}

// sdkHooks guards silenceper's process-wide globals: they are the SDK's,
// not ours, and setting them twice with different values would silently
// redirect another Client's traffic.
var sdkHooks struct {
	sync.Mutex
	installed bool
	baseURL   string
}

func installSDKHooks(baseURL string, timeout time.Duration) error {
	baseURL = strings.TrimRight(baseURL, "/")
	sdkHooks.Lock()
	defer sdkHooks.Unlock()
	if sdkHooks.installed {
		if sdkHooks.baseURL != baseURL {
			return fmt.Errorf("wechat: this process already talks to %q; silenceper/wechat's HTTP hooks are process-wide, so one process serves one WeChat API origin (got %q)", orReal(sdkHooks.baseURL), orReal(baseURL))
		}
		return nil
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	util.DefaultHTTPClient = &http.Client{Timeout: timeout, Transport: tr}
	if baseURL != "" {
		util.SetURIModifier(func(uri string) string {
			if rest, ok := strings.CutPrefix(uri, APIBase); ok {
				return baseURL + rest
			}
			return uri
		})
	}
	sdkHooks.installed, sdkHooks.baseURL = true, baseURL
	return nil
}

func orReal(base string) string {
	if base == "" {
		return APIBase
	}
	return base
}

// apiStatus is the errcode/errmsg pair every WeChat reply carries.
type apiStatus struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

type templateSendRequest struct {
	ToUser      string                               `json:"touser"`
	TemplateID  string                               `json:"template_id"`
	URL         string                               `json:"url,omitempty"`
	Data        map[string]*message.TemplateDataItem `json:"data"`
	ClientMsgID string                               `json:"client_msg_id,omitempty"`
}

// SendTemplate sends a template message and returns WeChat's msgid, which
// the TEMPLATESENDJOBFINISH receipt carries. Failures are
// *gateway.SendError.
func (c *Client) SendTemplate(ctx context.Context, m gateway.TemplateMessage) (int64, error) {
	req := templateSendRequest{
		ToUser:      string(m.ToUser),
		TemplateID:  m.TemplateID,
		URL:         m.URL,
		Data:        make(map[string]*message.TemplateDataItem, len(m.Data)),
		ClientMsgID: m.ClientMsgID,
	}
	for k, v := range m.Data {
		req.Data[k] = &message.TemplateDataItem{Value: v}
	}
	var out struct {
		MsgID int64 `json:"msgid"`
	}
	err := c.call(ctx, "send template", func(ctx context.Context, token string) ([]byte, error) {
		return util.PostJSONContext(ctx, APIBase+templateSendPath+"?access_token="+token, req)
	}, &out)
	if err != nil {
		return 0, err
	}
	c.log.DebugContext(ctx, "wechat_template_sent", "to", m.ToUser, "template_id", m.TemplateID, "msg_id", out.MsgID)
	return out.MsgID, nil
}

// SendText sends a customer-service text message. WeChat allows it only
// within 48 h of the resident's last message and 5 times per message;
// otherwise the error has Code CodeWindowClosed or CodeWindowSpent (see
// IsWindowClosed). Failures are *gateway.SendError.
func (c *Client) SendText(ctx context.Context, to pii.OpenID, text string) error {
	req := message.NewCustomerTextMessage(string(to), text)
	err := c.call(ctx, "send text", func(ctx context.Context, token string) ([]byte, error) {
		return util.PostJSONContext(ctx, APIBase+customSendPath+"?access_token="+token, req)
	}, nil)
	if err != nil {
		return err
	}
	c.log.DebugContext(ctx, "wechat_text_sent", "to", to)
	return nil
}

// Templates lists the account's approved templates.
func (c *Client) Templates(ctx context.Context) ([]Template, error) {
	var out struct {
		List []*message.TemplateItem `json:"template_list"`
	}
	err := c.call(ctx, "list templates", func(ctx context.Context, token string) ([]byte, error) {
		return util.HTTPGetContext(ctx, APIBase+templateListPath+"?access_token="+token)
	}, &out)
	if err != nil {
		return nil, err
	}
	ts := make([]Template, 0, len(out.List))
	for _, t := range out.List {
		if t == nil {
			continue
		}
		ts = append(ts, Template{ID: t.TemplateID, Title: t.Title, PrimaryIndustry: t.PrimaryIndustry,
			DeputyIndustry: t.DeputyIndustry, Content: t.Content, Example: t.Example})
	}
	return ts, nil
}

// call runs do with an access token, decodes the errcode and, when WeChat
// rejects the token, has it replaced (refreshToken: by this call or by
// another process) and tries once more.
func (c *Client) call(ctx context.Context, op string, do func(context.Context, string) ([]byte, error), out any) error {
	for attempt := 0; ; attempt++ {
		token, err := c.accessToken(ctx)
		if err != nil {
			return err
		}
		body, err := do(ctx, token)
		if err != nil {
			if sends(op) {
				return sendTransportError(fmt.Errorf("wechat: %s: %w", op, redact(err)))
			}
			return transportError(fmt.Errorf("wechat: %s: %w", op, redact(err)))
		}
		var st apiStatus
		if err := json.Unmarshal(body, &st); err != nil {
			if sends(op) {
				return sendTransportError(fmt.Errorf("wechat: %s: decode reply: %w", op, err))
			}
			return transportError(fmt.Errorf("wechat: %s: decode reply: %w", op, err))
		}
		if st.ErrCode == 0 {
			if out != nil {
				if err := json.Unmarshal(body, out); err != nil {
					return transportError(fmt.Errorf("wechat: %s: decode reply: %w", op, err))
				}
			}
			return nil
		}
		if isTokenCode(st.ErrCode) && attempt == 0 {
			if err := c.refreshToken(ctx, token, st.ErrCode); err != nil {
				return err
			}
			continue
		}
		return apiError(st.ErrCode, st.ErrMsg, c.now())
	}
}

// accessToken returns the cached token or fetches one via the SDK.
func (c *Client) accessToken(ctx context.Context) (string, error) {
	tok, err := c.oa.GetAccessTokenContext(ctx)
	if err != nil {
		return "", c.tokenError(err)
	}
	return tok, nil
}

var (
	sdkErrcodeRE = regexp.MustCompile(`errcode=(-?\d+)`)
	sdkErrmsgRE  = regexp.MustCompile(`errormsg=(.*)$`)
	secretRE     = regexp.MustCompile(`(access_token|secret|openid|signature)=[^&\s"]*`)
)

// tokenError turns the SDK's untyped token error into a SendError. The SDK
// formats API failures as "... errcode=N , errormsg=..." (checked against
// v2.1.10 by the tests); anything else is a transport failure.
func (c *Client) tokenError(err error) error {
	if m := sdkErrcodeRE.FindStringSubmatch(err.Error()); m != nil {
		code, _ := strconv.Atoi(m[1])
		msg := ""
		if mm := sdkErrmsgRE.FindStringSubmatch(err.Error()); mm != nil {
			msg = mm[1]
		}
		return apiError(code, msg, c.now())
	}
	return transportError(fmt.Errorf("wechat: access token: %w", redact(err)))
}

// redact strips access tokens, secrets, signatures and openids from an
// HTTP error: the SDK's messages and *url.Error quote the request URL.
func redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		ue.URL = secretRE.ReplaceAllString(ue.URL, "$1=REDACTED")
		return err
	}
	msg := err.Error()
	if clean := secretRE.ReplaceAllString(msg, "$1=REDACTED"); clean != msg {
		return errors.New(clean)
	}
	return err
}
