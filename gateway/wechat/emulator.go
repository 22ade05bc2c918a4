package wechat

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/gridcast/gridcast/gateway/internal/lost"
	"github.com/gridcast/gridcast/pii"
)

// EmulatorConfig configures an Emulator.
type EmulatorConfig struct {
	// AppID and AppSecret are the credentials the token endpoints accept.
	AppID, AppSecret string
	// Token signs the callbacks the emulator pushes.
	Token string
	// EncodingAESKey, when set, makes pushes use safe mode (AES envelope,
	// msg_signature). Empty = plaintext pushes.
	EncodingAESKey string
	// CallbackURL is our /wechat/callback, where receipts, messages and
	// follow events are pushed. Empty = nothing is pushed.
	CallbackURL string
	// TokenTTL is the access-token lifetime. Zero means 7200 s.
	TokenTTL time.Duration
	// Templates are the account's approved templates.
	Templates []Template
	// Latency delays every API reply. Zero = none.
	Latency time.Duration
	// ReceiptDelay is how long after an accepted template message its
	// TEMPLATESENDJOBFINISH event is pushed (wall-clock). Zero = at once.
	ReceiptDelay time.Duration
	// Now is the emulator's clock for token expiry, windows, anti-replay
	// and CreateTime. Nil means time.Now.
	Now func() time.Time
	// HTTPClient pushes callbacks. Nil means a client with a 5 s timeout.
	HTTPClient *http.Client
	// FollowPrefix, when set, makes an openid the emulator has not met
	// that starts with it a following follower on its first send, as if
	// they had followed the account before the emulator started: for a
	// shared sandbox whose followers GridCast binds while it runs. Empty =
	// unknown openids get 40003, as on WeChat.
	FollowPrefix string
	// Faults, when set, is asked for every call that no FailNext fault
	// claimed: a non-nil Fault is answered instead (LoseAnswer: after
	// doing the work). It is for a caller that keeps its own fault rules,
	// such as the sandbox's admin API. It must not call the Emulator. Nil =
	// none.
	Faults func(Action) *Fault
	// OnAccept, when set, is called with every message the emulator
	// accepts (not with a template send it answers as a repeat of an
	// earlier client_msg_id), before the answer is written and outside the
	// emulator's lock. Calls may overlap. Nil = none.
	OnAccept func(SentMessage)
}

// DefaultTokenTTL is EmulatorConfig.TokenTTL when zero, as WeChat's.
const DefaultTokenTTL = 7200 * time.Second

// Action names an emulated API for fault injection.
type Action string

// The emulated actions.
const (
	ActionToken        Action = "token"         // GET /cgi-bin/token and POST /cgi-bin/stable_token
	ActionTemplateSend Action = "template_send" // POST /cgi-bin/message/template/send
	ActionCustomSend   Action = "custom_send"   // POST /cgi-bin/message/custom/send
	ActionTemplateList Action = "template_list" // GET /cgi-bin/template/get_all_private_template
	ActionMediaGet     Action = "media_get"     // GET /cgi-bin/media/get
)

// Fault is a failure the Emulator answers a call with. Exactly one of its
// fields is meant to be set.
type Fault struct {
	// Errcode is answered as WeChat's errcode after the access-token check
	// (-1 busy, 45009 daily quota, 45011 per-minute quota …).
	Errcode int
	// HTTPStatus answers that status with no WeChat body, as WeChat's
	// front end does when it fails (503), without doing the work.
	HTTPStatus int
	// Hang holds the request unanswered until the client gives up or the
	// emulator closes.
	Hang bool
	// LoseAnswer does the work (a send is accepted and recorded), then
	// drops the connection without answering: the answer lost on the way
	// back that leaves the client not knowing.
	LoseAnswer bool
}

// transport reports whether f happens before WeChat reads the call (a
// status, a hang, a lost answer) rather than as an errcode.
func (f Fault) transport() bool { return f.Errcode == 0 }

// Follower is a WeChat user as the emulated account sees them.
type Follower struct {
	OpenID pii.OpenID
	// Following: false makes sends fail with 43004.
	Following bool
	// Blocked: the user blocked this account's template messages; sends
	// are accepted and the receipt says "failed:user block".
	Blocked bool
	// LastMessage opens the 48-hour customer-service window; zero = never.
	LastMessage time.Time
}

// SentMessage is one message the emulator accepted. For a template
// message it holds what the recipient's phone shows, as WeChat shows it
// since 2023-05-04: Data and Shown leave out first and remark and cut each
// other field to 20 characters with an ellipsis (a run of Latin letters or
// digits counts as one; emoji dropped). RawData is what was sent.
type SentMessage struct {
	Kind       string // "template" or "text"
	MsgID      int64  // template msgid; 0 for text
	ToUser     pii.OpenID
	TemplateID string
	URL        string
	// Data is each shown field's value as the phone shows it, by key
	// (keyword1 …); first and remark are absent.
	Data map[string]string
	// Shown is the template message as the phone lays it out: the
	// template's lines that hold a shown field, values in place
	// ("事项：就业培训"), in the template's order.
	Shown []string
	// RawData is the data as sent, first and remark included: what WeChat
	// received, not what anyone reads. For protocol tests.
	RawData     map[string]string
	ClientMsgID string
	Text        string // customer-service text, shown in full
	At          time.Time
}

type follower struct {
	Follower
	csSent int // customer-service messages since LastMessage
}

type replayEntry struct {
	msgID int64
	at    time.Time
}

// Emulator is a loopback emulator of the WeChat official-account API
// (api.weixin.qq.com) for the sandbox and tests: access tokens that expire,
// template and customer-service sends with WeChat's rules and errcodes
// (recording what the recipient's phone shows of each), the template
// list, fault injection, and signed (optionally AES) callbacks for
// receipts, messages and follow events. It is an http.Handler; all methods
// are safe for concurrent use. Close stops its receipt pusher.
type Emulator struct {
	cfg        EmulatorConfig
	log        *slog.Logger
	mux        *http.ServeMux
	ownClient  bool
	originalID string

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	wake   chan struct{}

	mu            sync.Mutex
	tokens        map[string]time.Time // token → expiry
	stableToken   string
	tokenRequests int
	forcedTokens  int             // stable_token calls with force_refresh that minted a token
	rejected      map[string]bool // tokens answered with 40001 (RejectTokens)
	followers     map[pii.OpenID]*follower
	faults        map[Action][]Fault
	sent          []SentMessage
	replay        map[string]replayEntry
	lastTplMsgID  int64
	lastUserMsgID int64
	failReceipts  int
	queue         []receiptJob
	receiptMode   ReceiptMode
	media         map[string]emulatedMedia // media id → file (AddMedia)
}

var _ http.Handler = (*Emulator)(nil)

// NewEmulator returns a running Emulator; log may be nil. Call Close when
// done.
func NewEmulator(cfg EmulatorConfig, log *slog.Logger) *Emulator {
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = DefaultTokenTTL
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	e := &Emulator{
		cfg:          cfg,
		log:          log,
		mux:          http.NewServeMux(),
		wake:         make(chan struct{}, 1),
		tokens:       map[string]time.Time{},
		followers:    map[pii.OpenID]*follower{},
		faults:       map[Action][]Fault{},
		replay:       map[string]replayEntry{},
		media:        map[string]emulatedMedia{},
		lastTplMsgID: 3_000_000_000,
		// Ids go on from the clock so that a new emulator (another
		// `gridcast sandbox say`) never reuses one: GridCast dedupes by it.
		lastUserMsgID: 24_000_000_000_000_000 + time.Now().UnixMicro()%1_000_000_000_000_000,
	}
	if e.cfg.HTTPClient == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		e.cfg.HTTPClient = &http.Client{Timeout: 5 * time.Second, Transport: tr}
		e.ownClient = true
	}
	sum := sha1.Sum([]byte(cfg.AppID))
	e.originalID = "gh_" + hex.EncodeToString(sum[:6])
	e.mux.HandleFunc("GET "+tokenPath, e.handleToken)
	e.mux.HandleFunc("POST "+stableTokenPath, e.handleStableToken)
	e.mux.HandleFunc("POST "+templateSendPath, e.handleTemplateSend)
	e.mux.HandleFunc("POST "+customSendPath, e.handleCustomSend)
	e.mux.HandleFunc("GET "+templateListPath, e.handleTemplateList)
	e.mux.HandleFunc("GET "+mediaGetPath, e.handleMediaGet)
	e.ctx, e.cancel = context.WithCancel(context.Background())
	e.wg.Add(1)
	go e.runReceipts()
	return e
}

// actionOf names the emulated API a request calls; "" for none.
func actionOf(path string) Action {
	switch path {
	case tokenPath, stableTokenPath:
		return ActionToken
	case templateSendPath:
		return ActionTemplateSend
	case customSendPath:
		return ActionCustomSend
	case templateListPath:
		return ActionTemplateList
	case mediaGetPath:
		return ActionMediaGet
	}
	return ""
}

// ServeHTTP serves the emulated /cgi-bin/… API. A fault for the call
// (FailNext, EmulatorConfig.Faults) is applied first: a status, a hang or
// a lost answer here, an errcode after the access-token check.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	action := actionOf(r.URL.Path)
	if action == "" {
		e.mux.ServeHTTP(w, r)
		return
	}
	f := e.entryFault(action)
	switch {
	case f == nil:
	case f.Errcode != 0:
		r = r.WithContext(context.WithValue(r.Context(), errcodeKey{}, f.Errcode))
	case f.Hang:
		select {
		case <-r.Context().Done():
		case <-e.ctx.Done():
			lost.Drop(w) // closing: still no answer
		}
		return
	case f.LoseAnswer:
		e.mux.ServeHTTP(lost.Discard{}, r)
		lost.Drop(w)
		return
	case f.HTTPStatus != 0:
		http.Error(w, http.StatusText(f.HTTPStatus), f.HTTPStatus)
		return
	}
	e.mux.ServeHTTP(w, r)
}

// errcodeKey carries an errcode fault taken on entry to the access-token
// check, after which it is answered.
type errcodeKey struct{}

// entryFault takes the fault for a call to action: the first queued one if
// it happens on entry (an errcode queued by Fail waits for the token check,
// as before), else the Faults hook's.
func (e *Emulator) entryFault(action Action) *Fault {
	e.mu.Lock()
	if q := e.faults[action]; len(q) > 0 && q[0].transport() {
		f := q[0]
		e.faults[action] = q[1:]
		e.mu.Unlock()
		return &f
	}
	e.mu.Unlock()
	if e.cfg.Faults != nil {
		return e.cfg.Faults(action)
	}
	return nil
}

// Close stops the receipt pusher (pending receipts are dropped) and waits
// for it. The Emulator must not be used afterwards.
func (e *Emulator) Close() {
	e.cancel()
	e.wg.Wait()
	if e.ownClient {
		e.cfg.HTTPClient.CloseIdleConnections()
	}
}

// OriginalID is the account's gh_… id, the ToUserName of pushed callbacks.
func (e *Emulator) OriginalID() string { return e.originalID }

// SetFollower registers or replaces a follower.
func (e *Emulator) SetFollower(f Follower) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.followers[f.OpenID] = &follower{Follower: f}
}

// Fail makes the next n calls to action fail with errcode (e.g. -1 busy,
// 45009 daily quota, 45011 per-minute quota, 40001 token invalid). Calls
// queue up: Fail(a, x, 1); Fail(a, y, 1) fails with x, then y.
func (e *Emulator) Fail(action Action, errcode, n int) {
	e.FailNext(action, n, Fault{Errcode: errcode})
}

// FailNext makes the next n calls to action fail with f, in the order
// queued (with Fail's).
func (e *Emulator) FailNext(action Action, n int, f Fault) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for range n {
		e.faults[action] = append(e.faults[action], f)
	}
}

// KnowFollowers registers each openid the emulator does not know yet as a
// following follower, as WeChat knows the account's followers, and returns
// how many were new. Known ones are left as they are: a test's or the
// demo's SetFollower, an unfollow, a blocked user stay what they were.
func (e *Emulator) KnowFollowers(openids []pii.OpenID) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	added := 0
	for _, id := range openids {
		if _, ok := e.followers[id]; ok || id == "" {
			continue
		}
		e.followers[id] = &follower{Follower: Follower{OpenID: id, Following: true}}
		added++
	}
	return added
}

// LookupFollower returns what the emulator knows of openid.
func (e *Emulator) LookupFollower(openid pii.OpenID) (Follower, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	f, ok := e.followers[openid]
	if !ok {
		return Follower{}, false
	}
	return f.Follower, true
}

// FailReceipts makes the next n template receipts report
// "failed: system failed".
func (e *Emulator) FailReceipts(n int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.failReceipts += n
}

// ExpireTokens expires every access token issued so far (calls with them
// get 42001).
func (e *Emulator) ExpireTokens() {
	e.mu.Lock()
	defer e.mu.Unlock()
	past := e.cfg.Now().Add(-time.Second)
	for t := range e.tokens {
		e.tokens[t] = past
	}
}

// TokenRequests counts the token and stable_token calls received.
func (e *Emulator) TokenRequests() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.tokenRequests
}

// RejectTokens makes WeChat refuse every access token issued so far with
// 40001 while stable_token, without force_refresh, keeps handing out the
// current one: the case that only a forced refresh repairs.
func (e *Emulator) RejectTokens() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.rejected == nil {
		e.rejected = map[string]bool{}
	}
	for t := range e.tokens {
		e.rejected[t] = true
	}
}

// ForcedRefreshes counts the stable_token calls with force_refresh that
// minted a new token.
func (e *Emulator) ForcedRefreshes() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.forcedTokens
}

// Sent returns a copy of every accepted message, oldest first: for a
// template message, what the recipient's phone shows (see SentMessage).
func (e *Emulator) Sent() []SentMessage {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]SentMessage, len(e.sent))
	for i, m := range e.sent {
		m.Data, m.RawData, m.Shown = maps.Clone(m.Data), maps.Clone(m.RawData), slices.Clone(m.Shown)
		out[i] = m
	}
	return out
}
