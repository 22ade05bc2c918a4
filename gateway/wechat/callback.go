package wechat

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/silenceper/wechat/v2/officialaccount/message"
	"github.com/silenceper/wechat/v2/util"

	"github.com/gridcast/gridcast/pii"
)

// Kind classifies an Inbound.
type Kind string

// The inbound kinds.
const (
	KindText           Kind = "text"
	KindVoice          Kind = "voice"
	KindImage          Kind = "image"
	KindLocation       Kind = "location"
	KindSubscribe      Kind = "subscribe"
	KindUnsubscribe    Kind = "unsubscribe"
	KindTemplateFinish Kind = "template_finish" // TEMPLATESENDJOBFINISH receipt
	KindEvent          Kind = "event"           // another event (menu click, scan…): see Event, EventKey
	KindOther          Kind = "other"           // another message type (video, link…)
)

// Inbound is one message or event WeChat pushed to /wechat/callback. It
// holds personal data (Content, Recognition, location): its LogValue prints
// only the kind, ids and the masked openid.
type Inbound struct {
	Kind       Kind
	MsgID      int64 // MsgId of a resident's message; 0 for events
	FromOpenID pii.OpenID
	CreateTime time.Time
	// Content is a text message's text.
	Content string
	// MediaID and Recognition (speech-to-text, if enabled) for voice and
	// image messages.
	MediaID, Recognition string
	// Lat, Lng and Label of a location message.
	Lat, Lng float64
	Label    string
	// Event and EventKey are the raw event name and key of an event.
	Event, EventKey string
	// Status and TemplateMsgID of a TEMPLATESENDJOBFINISH receipt: Status is
	// "success", "failed:user block", "failed: system failed" or
	// (undocumented) "failed:freq limit"; TemplateMsgID is SendTemplate's
	// msgid.
	Status        string
	TemplateMsgID int64
	// DedupKey identifies the push across WeChat's retries: wechat:msg:<MsgId>
	// for messages, wechat:evt:<hash of FromUserName, CreateTime, Event and
	// MsgID> for events. It holds no personal data.
	DedupKey string
}

// LogValue implements slog.LogValuer without personal data.
func (in Inbound) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("kind", string(in.Kind)),
		slog.Int64("msg_id", in.MsgID),
		slog.Any("from", in.FromOpenID),
		slog.String("event", in.Event),
		slog.Int64("template_msg_id", in.TemplateMsgID),
	)
}

// Parsing errors.
var (
	// ErrDirective means the XML holds a DOCTYPE, ENTITY or other <!…>
	// directive; WeChat never sends one, so it is refused outright.
	ErrDirective = errors.New("wechat: XML directive (DOCTYPE/ENTITY) refused")
	// ErrMalformed means the body is not a WeChat message XML.
	ErrMalformed = errors.New("wechat: malformed message XML")
)

// rejectDirectives refuses any <!…> markup but CDATA sections and comments.
// Outside CDATA a literal "<" must be escaped, so every "<!" seen is markup.
func rejectDirectives(b []byte) error {
	for {
		i := bytes.Index(b, []byte("<!"))
		if i < 0 {
			return nil
		}
		b = b[i+2:]
		var end []byte
		switch {
		case bytes.HasPrefix(b, []byte("[CDATA[")):
			end = []byte("]]>")
		case bytes.HasPrefix(b, []byte("--")):
			end = []byte("-->")
		default:
			return ErrDirective
		}
		j := bytes.Index(b, end)
		if j < 0 {
			return ErrMalformed
		}
		b = b[j+len(end):]
	}
}

// ParseInbound parses the (decrypted) message XML WeChat pushes. It is a
// pure function over bytes; it refuses directives and never panics.
func ParseInbound(b []byte) (Inbound, error) {
	if err := rejectDirectives(b); err != nil {
		return Inbound{}, err
	}
	var m message.MixMessage
	if err := xml.Unmarshal(b, &m); err != nil {
		return Inbound{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if m.MsgType == "" || m.FromUserName == "" {
		return Inbound{}, fmt.Errorf("%w: no MsgType or FromUserName", ErrMalformed)
	}
	in := Inbound{
		MsgID:      m.MsgID,
		FromOpenID: pii.OpenID(m.FromUserName),
		CreateTime: time.Unix(m.CreateTime, 0),
	}
	switch m.MsgType {
	case message.MsgTypeText:
		in.Kind, in.Content = KindText, m.Content
	case message.MsgTypeVoice:
		in.Kind, in.MediaID, in.Recognition = KindVoice, m.MediaID, m.Recognition
	case message.MsgTypeImage:
		in.Kind, in.MediaID = KindImage, m.MediaID
	case message.MsgTypeLocation:
		in.Kind, in.Lat, in.Lng, in.Label = KindLocation, m.LocationX, m.LocationY, m.Label
	case message.MsgTypeEvent:
		in.Event, in.EventKey = string(m.Event), m.EventKey
		switch m.Event {
		case message.EventSubscribe:
			in.Kind = KindSubscribe
		case message.EventUnsubscribe:
			in.Kind = KindUnsubscribe
		case message.EventTemplateSendJobFinish:
			in.Kind, in.Status, in.TemplateMsgID = KindTemplateFinish, m.Status, m.TemplateMsgID
		default:
			in.Kind = KindEvent
		}
	default:
		in.Kind = KindOther
	}
	if in.MsgID != 0 {
		in.DedupKey = "wechat:msg:" + strconv.FormatInt(in.MsgID, 10)
	} else {
		// MsgID is part of the key so two receipts in one second differ.
		sum := sha256.Sum256(fmt.Appendf(nil, "%s\x00%d\x00%s\x00%d", m.FromUserName, m.CreateTime, m.Event, m.TemplateMsgID))
		in.DedupKey = "wechat:evt:" + hex.EncodeToString(sum[:16])
	}
	return in, nil
}

// CallbackOptions tune a CallbackHandler. The zero value is usable.
type CallbackOptions struct {
	// MaxBody caps the request body; larger posts get 413. Zero means 64 KiB.
	MaxBody int64
	// MaxSkew is the largest accepted distance between the timestamp
	// parameter and Now; beyond it the request is a replay and gets 403.
	// Zero means 5 minutes.
	MaxSkew time.Duration
	// Now is the clock. Nil means time.Now.
	Now func() time.Time
	// Dedup claims key and reports whether this is its first delivery.
	// Nil means an in-memory set remembering keys for 10 minutes (one
	// process only: use a Redis SET NX in a multi-process deployment). On
	// error the push is processed anyway (the ledger is idempotent).
	Dedup func(ctx context.Context, key string) (first bool, err error)
	// Release forgets key after handle failed, so that WeChat's retry is
	// processed. Nil with the default Dedup means the in-memory release;
	// nil with a custom Dedup means the retry is dropped as a duplicate.
	Release func(ctx context.Context, key string)
	// Log receives rejections and handler failures, without personal data.
	// Nil means discard.
	Log *slog.Logger
	// Refused, when set, is told the reason of every refused request
	// (bad_signature, stale_timestamp, body_too_large, malformed_xml …),
	// for metrics. It must be quick. Nil counts nothing.
	Refused func(reason string)
	// Duplicate, when set, is told of every push answered "success"
	// without being handled because Dedup had seen it (WeChat's retry, or
	// a replay inside MaxSkew), for metrics. It must be quick. Nil counts
	// nothing.
	Duplicate func()
}

// CallbackHandler serves GET/POST /wechat/callback. It is safe for
// concurrent use.
//
// In order: it checks the signature and the timestamp's freshness (403)
// before reading the body, answers the echostr URL verification, caps the
// body (413), in safe mode checks msg_signature (403) and decrypts, refuses
// plaintext posts when an EncodingAESKey is configured (403: the plaintext
// signature does not cover the body), parses (400 on malformed XML or any
// DOCTYPE/ENTITY), dedupes, calls handle and answers "success". handle must
// be quick (enqueue, don't work): WeChat gives up after 5 s and retries.
// When handle fails the answer is 500 and the key is released.
type CallbackHandler struct {
	appID, token, aesKey string
	handle               func(context.Context, Inbound) error
	maxBody              int64
	maxSkew              time.Duration
	now                  func() time.Time
	dedup                func(context.Context, string) (bool, error)
	release              func(context.Context, string)
	log                  *slog.Logger
	refused              func(reason string)
	duplicate            func()
}

var _ http.Handler = (*CallbackHandler)(nil)

// NewCallbackHandler returns the handler for /wechat/callback for the
// account cfg describes (AppID, Token and EncodingAESKey are used).
func NewCallbackHandler(cfg Config, handle func(ctx context.Context, in Inbound) error, opts CallbackOptions) *CallbackHandler {
	h := &CallbackHandler{
		appID: cfg.AppID, token: cfg.Token, aesKey: cfg.EncodingAESKey, handle: handle,
		maxBody: opts.MaxBody, maxSkew: opts.MaxSkew, now: opts.Now,
		dedup: opts.Dedup, release: opts.Release, log: opts.Log, refused: opts.Refused,
		duplicate: opts.Duplicate,
	}
	if h.maxBody <= 0 {
		h.maxBody = 64 << 10
	}
	if h.maxSkew <= 0 {
		h.maxSkew = 5 * time.Minute
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.dedup == nil {
		m := newMemDedup(10*time.Minute, h.now)
		h.dedup = m.claim
		if h.release == nil {
			h.release = m.forget
		}
	}
	return h
}

func (h *CallbackHandler) reject(w http.ResponseWriter, r *http.Request, status int, reason string) {
	h.log.WarnContext(r.Context(), "wechat_callback_rejected", "status", status, "reason", reason)
	if h.refused != nil {
		h.refused(reason)
	}
	http.Error(w, http.StatusText(status), status)
}

// ServeHTTP implements http.Handler.
func (h *CallbackHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		h.reject(w, r, http.StatusMethodNotAllowed, "method")
		return
	}
	q := r.URL.Query()
	ts, nonce := q.Get("timestamp"), q.Get("nonce")
	if !VerifySignature(q.Get("signature"), h.token, ts, nonce) {
		h.reject(w, r, http.StatusForbidden, "bad_signature")
		return
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		h.reject(w, r, http.StatusForbidden, "bad_timestamp")
		return
	}
	if skew := h.now().Sub(time.Unix(sec, 0)); skew > h.maxSkew || skew < -h.maxSkew {
		h.reject(w, r, http.StatusForbidden, "stale_timestamp")
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if r.Method == http.MethodGet {
		echo := q.Get("echostr")
		if echo == "" {
			h.reject(w, r, http.StatusBadRequest, "no_echostr")
			return
		}
		_, _ = io.WriteString(w, echo)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.reject(w, r, http.StatusRequestEntityTooLarge, "body_too_large")
			return
		}
		h.reject(w, r, http.StatusBadRequest, "read_body")
		return
	}
	inner, status, reason := h.open(q, ts, nonce, body)
	if status != 0 {
		h.reject(w, r, status, reason)
		return
	}
	in, err := ParseInbound(inner)
	if err != nil {
		reason := "malformed_xml"
		if errors.Is(err, ErrDirective) {
			reason = "xml_directive"
		}
		h.reject(w, r, http.StatusBadRequest, reason)
		return
	}
	ctx := r.Context()
	first, err := h.dedup(ctx, in.DedupKey)
	if err != nil {
		h.log.WarnContext(ctx, "wechat_callback_dedup_failed", "inbound", in, "err", err)
		first = true
	}
	if !first {
		h.log.DebugContext(ctx, "wechat_callback_duplicate", "inbound", in)
		if h.duplicate != nil {
			h.duplicate()
		}
		_, _ = io.WriteString(w, "success")
		return
	}
	if err := h.handle(ctx, in); err != nil {
		if h.release != nil {
			h.release(ctx, in.DedupKey)
		}
		h.log.ErrorContext(ctx, "wechat_callback_handle_failed", "inbound", in, "err", err)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	_, _ = io.WriteString(w, "success")
}

// open returns the message XML of a post: the decrypted envelope in safe
// mode, the body itself in plaintext mode. A non-zero status rejects.
func (h *CallbackHandler) open(q url.Values, ts, nonce string, body []byte) ([]byte, int, string) {
	if q.Get("encrypt_type") != "aes" {
		if h.aesKey != "" {
			return nil, http.StatusForbidden, "plaintext_in_safe_mode"
		}
		return body, 0, ""
	}
	if h.aesKey == "" {
		return nil, http.StatusBadRequest, "safe_mode_not_configured"
	}
	if err := rejectDirectives(body); err != nil {
		if errors.Is(err, ErrDirective) {
			return nil, http.StatusBadRequest, "xml_directive"
		}
		return nil, http.StatusBadRequest, "malformed_xml"
	}
	var env message.EncryptedXMLMsg
	if err := xml.Unmarshal(body, &env); err != nil || env.EncryptedMsg == "" {
		return nil, http.StatusBadRequest, "malformed_envelope"
	}
	if !VerifySignature(q.Get("msg_signature"), h.token, ts, nonce, env.EncryptedMsg) {
		return nil, http.StatusForbidden, "bad_msg_signature"
	}
	// The SDK's decryption (it recovers its own panics); the envelope code
	// in this package is the independent one the emulator and the tests
	// check it against.
	_, inner, err := util.DecryptMsg(h.appID, env.EncryptedMsg, h.aesKey)
	if err != nil {
		return nil, http.StatusBadRequest, "undecryptable"
	}
	return inner, 0, ""
}

// memDedup is the default Dedup: an in-memory TTL set, swept as it grows.
type memDedup struct {
	ttl  time.Duration
	now  func() time.Time
	mu   sync.Mutex
	seen map[string]time.Time // key → expiry
	ops  int
}

func newMemDedup(ttl time.Duration, now func() time.Time) *memDedup {
	return &memDedup{ttl: ttl, now: now, seen: map[string]time.Time{}}
}

func (d *memDedup) claim(_ context.Context, key string) (bool, error) {
	now := d.now()
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ops++; d.ops%1024 == 0 {
		for k, exp := range d.seen {
			if !now.Before(exp) {
				delete(d.seen, k)
			}
		}
	}
	if exp, ok := d.seen[key]; ok && now.Before(exp) {
		return false, nil
	}
	d.seen[key] = now.Add(d.ttl)
	return true, nil
}

func (d *memDedup) forget(_ context.Context, key string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.seen, key)
}
