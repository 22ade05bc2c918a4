package sandbox

import (
	"fmt"
	"log/slog"
	"net/http"
	neturl "net/url"
	"strings"
	"sync"
	"time"

	"github.com/gridcast/gridcast/gateway/aliyunsms"
	"github.com/gridcast/gridcast/gateway/wechat"
)

// Config names the credentials the emulators accept and where they push.
type Config struct {
	// SMSAccessKeyID and SMSAccessKeySecret are the one Aliyun key pair
	// accepted; empty = the aliyunsms sandbox defaults.
	SMSAccessKeyID, SMSAccessKeySecret string
	// SignName is the approved SMS signature. Default 网格通.
	SignName string
	// WeChat credentials; the callbacks the emulator pushes are signed with
	// Token and, when EncodingAESKey is set, encrypted.
	AppID, AppSecret, Token, EncodingAESKey string
	// CallbackBase is GridCast's own base URL (http://127.0.0.1:8080):
	// delivery reports go to /aliyun/sms/report, uplinks to /aliyun/sms/up,
	// WeChat events and messages to /wechat/callback. Empty = no pushes.
	CallbackBase string
	// PushToken, when set, is added to the Aliyun report and uplink URLs
	// as ?token=, as the URLs registered with Aliyun carry it.
	PushToken string
	// DeliveryDelay is how long after acceptance a receipt is pushed.
	// Default 300ms.
	DeliveryDelay time.Duration
	// UndeliverableSuffix makes numbers ending in it fail delivery, so the
	// funnel shows failures. Default "0000"; "-" disables it.
	UndeliverableSuffix string
	// RecordFile is the JSON-lines file Open appends every accepted
	// message to and replays at start. Empty = the record is kept in
	// memory only; New always keeps it there.
	RecordFile string
	// FollowPrefix makes unknown openids that start with it following
	// followers of the WeChat account (wechat.EmulatorConfig.FollowPrefix).
	// Empty = none.
	FollowPrefix string
}

// Sandbox is the pair of emulators, the record of what they accepted, the
// faults injected through the admin API, and the handler that routes to
// them. Its methods are safe for concurrent use.
type Sandbox struct {
	SMS    *aliyunsms.Emulator
	WeChat *wechat.Emulator
	mux    *http.ServeMux
	log    *slog.Logger
	record *record
	faults *faultTable

	mu          sync.Mutex
	receiptMode string
}

// New builds both emulators, with the record in memory. Call Close to
// stop their pushers. log may be nil.
func New(cfg Config, log *slog.Logger) *Sandbox {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	rec, _, _ := openRecord("", log) // in memory: cannot fail
	return build(cfg, log, rec)
}

// Open is New with the record in cfg.RecordFile (created if missing):
// the messages it holds are put back into the emulators first, so that
// QuerySendDetails still finds them and a template send repeating a
// client_msg_id within 10 minutes is still answered as a repeat. Call Close
// to stop the emulators and close the file. log may be nil.
func Open(cfg Config, log *slog.Logger) (*Sandbox, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	rec, entries, err := openRecord(cfg.RecordFile, log)
	if err != nil {
		return nil, err
	}
	s := build(cfg, log, rec)
	sms, wx := split(entries)
	s.SMS.Restore(sms)
	s.WeChat.Restore(wx)
	return s, nil
}

func build(cfg Config, log *slog.Logger, rec *record) *Sandbox {
	if cfg.SignName == "" {
		cfg.SignName = "网格通"
	}
	if cfg.DeliveryDelay == 0 {
		cfg.DeliveryDelay = 300 * time.Millisecond
	}
	switch cfg.UndeliverableSuffix {
	case "":
		cfg.UndeliverableSuffix = "0000"
	case "-":
		cfg.UndeliverableSuffix = ""
	}
	base := strings.TrimSuffix(cfg.CallbackBase, "/")
	url := func(path string) string {
		if base == "" {
			return ""
		}
		return base + path
	}
	faults := newFaultTable()
	sms := aliyunsms.NewEmulator(aliyunsms.EmulatorConfig{
		AccessKeyID: cfg.SMSAccessKeyID, AccessKeySecret: cfg.SMSAccessKeySecret,
		SignNames: []string{cfg.SignName}, Templates: SMSTemplates(),
		ReportURL: withToken(url("/aliyun/sms/report"), cfg.PushToken), UplinkURL: withToken(url("/aliyun/sms/up"), cfg.PushToken),
		DeliveryDelay: cfg.DeliveryDelay, UndeliverableSuffix: cfg.UndeliverableSuffix,
		PerNumberMinuteLimit: 5,
		Faults:               faults.sms,
		OnAccept:             func(ms []aliyunsms.SentMessage) { rec.add(smsEntries(ms)) },
	}, log.With("emulator", "aliyun_sms"))
	wx := wechat.NewEmulator(wechat.EmulatorConfig{
		AppID: cfg.AppID, AppSecret: cfg.AppSecret, Token: cfg.Token, EncodingAESKey: cfg.EncodingAESKey,
		CallbackURL: url("/wechat/callback"), Templates: WeChatTemplates(), ReceiptDelay: cfg.DeliveryDelay,
		FollowPrefix: cfg.FollowPrefix,
		Faults:       faults.wechat,
		OnAccept:     func(m wechat.SentMessage) { rec.add([]Entry{wechatEntry(m)}) },
	}, log.With("emulator", "wechat"))
	s := &Sandbox{SMS: sms, WeChat: wx, log: log, record: rec, faults: faults, receiptMode: ReceiptsNormal}
	s.mux = http.NewServeMux()
	s.mux.Handle(AdminPrefix, s.adminHandler())
	s.mux.Handle("/cgi-bin/", wx)
	s.mux.Handle("/", sms)
	return s
}

// ServeHTTP sends /cgi-bin/… to the WeChat emulator, /sandbox/… to the
// admin API and everything else to the Aliyun SMS emulator, as
// api.weixin.qq.com and dysmsapi.aliyuncs.com would answer them.
func (s *Sandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Stop stops both emulators' pushers and releases requests held by a hang
// fault, leaving the record open for requests still being answered. Call
// it when the HTTP server begins to shut down (http.Server.RegisterOnShutdown),
// then Close once it has. Idempotent.
func (s *Sandbox) Stop() {
	s.SMS.Close()
	s.WeChat.Close()
}

// Close stops the emulators (Stop) and syncs and closes the record file,
// logging a failure to. Messages accepted afterwards are kept in memory
// only. Idempotent.
func (s *Sandbox) Close() {
	s.Stop()
	if err := s.record.close(); err != nil {
		s.log.Error("sandbox_record_close_failed", "err", err)
	}
}

// Record counts the messages accepted at or after since (every one when
// since is zero) per channel and recipient, and lists them when detail is
// set: the answer of GET /sandbox/record.
func (s *Sandbox) Record(since time.Time, detail bool) RecordSummary {
	return s.record.summary(since, detail)
}

// AddFault puts a fault rule in force after those already there (see
// FaultRule) and returns it with its id, or says what is wrong with it.
func (s *Sandbox) AddFault(f FaultRule) (FaultRule, error) { return s.faults.add(f) }

// Faults lists the fault rules in force, oldest first.
func (s *Sandbox) Faults() []FaultRule { return s.faults.list() }

// ClearFaults removes every fault rule and returns how many there were.
// Faults a test queued on an emulator itself (FailNext, Inject) stay.
func (s *Sandbox) ClearFaults() int { return s.faults.clear() }

// The receipt modes of POST /sandbox/receipts.
const (
	// ReceiptsNormal pushes each delivery report once, when due.
	ReceiptsNormal = "normal"
	// ReceiptsDuplicate pushes each delivery report twice.
	ReceiptsDuplicate = "duplicate"
	// ReceiptsReorder holds reports and pushes them in small groups,
	// newest first (aliyunsms.ReorderGroup, aliyunsms.ReorderHold).
	ReceiptsReorder = "reorder"
)

// SetReceiptMode sets how both emulators push delivery reports (Aliyun's
// SmsReport, WeChat's TEMPLATESENDJOBFINISH) from now on: normal,
// duplicate or reorder.
func (s *Sandbox) SetReceiptMode(mode string) error {
	var sm aliyunsms.ReportMode
	var wm wechat.ReceiptMode
	switch mode {
	case ReceiptsNormal:
		sm, wm = aliyunsms.ReportsNormal, wechat.ReceiptsNormal
	case ReceiptsDuplicate:
		sm, wm = aliyunsms.ReportsDuplicate, wechat.ReceiptsDuplicate
	case ReceiptsReorder:
		sm, wm = aliyunsms.ReportsReorder, wechat.ReceiptsReorder
	default:
		return fmt.Errorf("mode %q: want %q, %q or %q", mode, ReceiptsNormal, ReceiptsDuplicate, ReceiptsReorder)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.SMS.SetReportMode(sm)
	s.WeChat.SetReceiptMode(wm)
	s.receiptMode = mode
	return nil
}

// ReceiptMode is the mode SetReceiptMode last set; normal at first.
func (s *Sandbox) ReceiptMode() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.receiptMode
}

// withToken adds ?token=token to a callback URL ("" stays "").
func withToken(u, token string) string {
	if u == "" || token == "" {
		return u
	}
	return u + "?token=" + neturl.QueryEscape(token)
}
