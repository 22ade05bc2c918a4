package sandbox

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"

	"github.com/gridcast/gridcast/gateway/aliyunsms"
	"github.com/gridcast/gridcast/gateway/wechat"
	"github.com/gridcast/gridcast/pii"
)

// The fault kinds of POST /sandbox/faults.
const (
	// FaultLoseAnswer does the work (a send is accepted and recorded), then
	// drops the connection without answering.
	FaultLoseAnswer = "lose_answer"
	// FaultHang holds the request until the client gives up.
	FaultHang = "hang"
	// Fault5xx answers HTTP 503 without doing the work: Aliyun's
	// ServiceUnavailable body; WeChat's front end, with no body.
	Fault5xx = "5xx"
	// FaultThrottle refuses the call as too frequent: Aliyun's
	// Throttling.User (HTTP 400; the account's request rate); on WeChat
	// errcode -1 (system busy), since its quota codes pause a channel for
	// a day (45009).
	FaultThrottle = "throttle"
	// FaultSystemError is the provider's own failure: Aliyun's
	// isp.SYSTEM_ERROR (HTTP 200), WeChat's errcode -1.
	FaultSystemError = "system_error"
)

// The providers of POST /sandbox/faults.
const (
	ProviderSMS    = "sms"
	ProviderWeChat = "wechat"
)

var (
	faultKinds = []string{FaultLoseAnswer, FaultHang, Fault5xx, FaultThrottle, FaultSystemError}
	// faultActions are the actions a rule may name per provider; "" is
	// any send.
	faultActions = map[string][]string{
		ProviderSMS:    {"SendSms", "SendBatchSms", "QuerySendDetails", ""},
		ProviderWeChat: {"template", "custom", "token", ""},
	}
	// wechatActions maps a rule's WeChat action to the emulator's.
	wechatActions = map[string]wechat.Action{
		"template": wechat.ActionTemplateSend,
		"custom":   wechat.ActionCustomSend,
		"token":    wechat.ActionToken,
	}
)

// maxFaultRules bounds the rules in force at once.
const maxFaultRules = 1000

// FaultRule is a fault injected through POST /sandbox/faults: calls of
// Provider's Action fail as Kind says — the next Count of them, or a share
// Rate of them until the rules are cleared, or (both set) a share Rate of
// them until Count have failed. A rule whose Count is spent is removed.
type FaultRule struct {
	// ID numbers the rules; set by the sandbox.
	ID int64 `json:"id"`
	// Provider is "sms" or "wechat".
	Provider string `json:"provider"`
	// Action is SendSms, SendBatchSms or QuerySendDetails (sms); template,
	// custom or token (wechat); "" = any send of the provider.
	Action string `json:"action"`
	// Kind is lose_answer, hang, 5xx, throttle or system_error.
	Kind string `json:"kind"`
	// Count is how many calls fail; 0 = no limit (Rate must be set).
	Count int `json:"count"`
	// Rate is the share (0–1) of matching calls that fail; 0 = every one
	// (Count must be set).
	Rate float64 `json:"rate"`
	// Remaining is how many of Count are left; set by the sandbox.
	Remaining int `json:"remaining"`
	// Used is how many calls the rule has failed; set by the sandbox.
	Used int `json:"used"`
}

// validate reports every problem with a rule as given, joined, in words
// for the one who posted it.
func (f FaultRule) validate() error {
	var errs []error
	actions, ok := faultActions[f.Provider]
	if !ok {
		errs = append(errs, fmt.Errorf("provider %q: want %q or %q", f.Provider, ProviderSMS, ProviderWeChat))
	} else if !slices.Contains(actions, f.Action) {
		errs = append(errs, fmt.Errorf("action %q for %s: want one of %s, or \"\" for any send",
			f.Action, f.Provider, strings.Join(actions[:len(actions)-1], ", ")))
	}
	if !slices.Contains(faultKinds, f.Kind) {
		errs = append(errs, fmt.Errorf("kind %q: want one of %s", f.Kind, strings.Join(faultKinds, ", ")))
	}
	if f.Count < 0 {
		errs = append(errs, fmt.Errorf("count %d: want 0 or more (the next N matching calls)", f.Count))
	}
	if math.IsNaN(f.Rate) || f.Rate < 0 || f.Rate > 1 {
		errs = append(errs, fmt.Errorf("rate %v: want a share between 0 and 1", f.Rate))
	}
	if f.Count == 0 && f.Rate == 0 {
		errs = append(errs, errors.New("set count (the next N matching calls fail) or rate (that share of them, until cleared), or both"))
	}
	return errors.Join(errs...)
}

// faultTable holds the admin API's rules and answers the emulators' fault
// hooks. Safe for concurrent use.
type faultTable struct {
	mu     sync.Mutex
	lastID int64
	rules  []*FaultRule
	roll   func() float64
}

func newFaultTable() *faultTable { return &faultTable{roll: rand.Float64} }

// add validates f and puts it in force after the rules already there.
func (t *faultTable) add(f FaultRule) (FaultRule, error) {
	if err := f.validate(); err != nil {
		return FaultRule{}, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.rules) >= maxFaultRules {
		return FaultRule{}, fmt.Errorf("%d fault rules are in force already: clear them first", maxFaultRules)
	}
	t.lastID++
	f.ID, f.Remaining, f.Used = t.lastID, f.Count, 0
	t.rules = append(t.rules, &f)
	return f, nil
}

// list returns the rules in force, oldest first.
func (t *faultTable) list() []FaultRule {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]FaultRule, len(t.rules))
	for i, r := range t.rules {
		out[i] = *r
	}
	return out
}

// clear removes every rule and returns how many there were.
func (t *faultTable) clear() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := len(t.rules)
	t.rules = nil
	return n
}

// take returns the kind of the first rule that fails this call of
// provider's action, counting it; "" if none does. isSend says whether the
// action is a send (matched by a rule's "").
func (t *faultTable) take(provider, action string, isSend bool) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i, r := range t.rules {
		if r.Provider != provider || (r.Action != action && (r.Action != "" || !isSend)) {
			continue
		}
		if r.Rate > 0 && t.roll() >= r.Rate {
			continue
		}
		r.Used++
		if r.Count > 0 {
			r.Remaining--
			if r.Remaining == 0 {
				t.rules = slices.Delete(t.rules, i, i+1)
			}
		}
		return r.Kind
	}
	return ""
}

// sms is the Aliyun emulator's fault hook.
func (t *faultTable) sms(action string, _ pii.Phone) *aliyunsms.Fault {
	var f aliyunsms.Fault
	switch t.take(ProviderSMS, action, action == "SendSms" || action == "SendBatchSms") {
	case FaultLoseAnswer:
		f = aliyunsms.FaultLoseAnswer
	case FaultHang:
		f = aliyunsms.FaultHang
	case Fault5xx:
		f = aliyunsms.FaultServiceUnavailable
	case FaultThrottle:
		f = aliyunsms.FaultThrottling
	case FaultSystemError:
		f = aliyunsms.FaultSystemError
	default:
		return nil
	}
	return &f
}

// wechat is the WeChat emulator's fault hook.
func (t *faultTable) wechat(a wechat.Action) *wechat.Fault {
	action := ""
	for name, wa := range wechatActions {
		if wa == a {
			action = name
		}
	}
	if action == "" {
		return nil // the template list: no rule names it
	}
	switch t.take(ProviderWeChat, action, action == "template" || action == "custom") {
	case FaultLoseAnswer:
		return &wechat.Fault{LoseAnswer: true}
	case FaultHang:
		return &wechat.Fault{Hang: true}
	case Fault5xx:
		return &wechat.Fault{HTTPStatus: 503}
	case FaultThrottle, FaultSystemError:
		return &wechat.Fault{Errcode: -1}
	}
	return nil
}
