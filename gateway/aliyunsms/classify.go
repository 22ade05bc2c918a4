package aliyunsms

import (
	"strings"
	"time"

	"github.com/gridcast/gridcast/gateway"
)

// Codes the Client gives failures that are not Aliyun's own.
const (
	// CodeAmbiguous marks a send whose outcome is unknown: the request may
	// have reached Aliyun (a timeout, a cancelled context, a connection
	// lost after the request was written). Aliyun sends are not idempotent,
	// so before resending, look the message up with QueryDetails (phone,
	// send date and BizId, or match on OutID) and resend only if it is not
	// there. Class Retryable.
	CodeAmbiguous = gateway.CodeAmbiguous
	// CodeTimeout is a timeout of a call that sends nothing (queries). Class
	// Retryable.
	CodeTimeout = "TIMEOUT"
	// CodeNetwork is a transport failure before the request left (refused
	// connection, DNS), or any transport failure of a query. Retryable.
	CodeNetwork = "NETWORK"
	// CodeInvalidBatch is a SendBatch call the Client refuses before
	// sending: empty, mixed templates or OutIDs, or too many numbers.
	// Permanent.
	CodeInvalidBatch = "INVALID_BATCH"
)

var classByCode = map[string]gateway.Class{
	// The message itself is refused: fail it or fall back to WeChat.
	"isv.MOBILE_NUMBER_ILLEGAL":       gateway.Permanent,
	"isv.TEMPLATE_MISSING_PARAMETERS": gateway.Permanent,
	"isv.INVALID_PARAMETERS":          gateway.Permanent,
	"isv.INVALID_JSON_PARAM":          gateway.Permanent,
	"isv.PARAM_LENGTH_LIMIT":          gateway.Permanent,
	"isv.PARAM_NOT_SUPPORT_URL":       gateway.Permanent,
	"isv.BLACK_KEY_CONTROL_LIMIT":     gateway.Permanent,
	"isv.SMS_CONTENT_ILLEGAL":         gateway.Permanent,
	"isv.MOBILE_COUNT_OVER_LIMIT":     gateway.Permanent,
	"isv.EXTEND_CODE_ERROR":           gateway.Permanent,
	CodeInvalidBatch:                  gateway.Permanent,

	// The account is misconfigured: pause the channel, alert an operator.
	"isv.SMS_TEMPLATE_ILLEGAL":  gateway.Config,
	"isv.SMS_SIGNATURE_ILLEGAL": gateway.Config,
	"isv.SIGN_STATE_ILLEGAL":    gateway.Config,
	"isv.SMS_SIGN_ILLEGAL":      gateway.Config,
	"isv.DENY_IP_RANGE":         gateway.Config,
	"isv.ACCOUNT_NOT_EXISTS":    gateway.Config,
	"isv.ACCOUNT_ABNORMAL":      gateway.Config,
	"isp.RAM_PERMISSION_DENY":   gateway.Config,
	"SignatureDoesNotMatch":     gateway.Config,
	"IncompleteSignature":       gateway.Config,
	"InvalidSignatureMethod":    gateway.Config,
	"InvalidVersion":            gateway.Config,

	// Balance or quota spent: pause until it resets.
	"isv.AMOUNT_NOT_ENOUGH":   gateway.Quota,
	"isv.OUT_OF_SERVICE":      gateway.Quota,
	"isv.DAY_LIMIT_CONTROL":   gateway.Quota,
	"isv.MONTH_LIMIT_CONTROL": gateway.Quota,

	// Per-number frequency limit: wait, without burning a retry.
	"isv.BUSINESS_LIMIT_CONTROL": gateway.Throttled,

	// Aliyun's side: retry with back-off.
	"ServiceUnavailable": gateway.Retryable,
	"InternalError":      gateway.Retryable,
	"isp.SYSTEM_ERROR":   gateway.Retryable,
	"isp.GATEWAY_ERROR":  gateway.Retryable,
	"SignatureNonceUsed": gateway.Retryable, // the next try signs with a fresh nonce
	CodeAmbiguous:        gateway.Retryable,
	CodeTimeout:          gateway.Retryable,
	CodeNetwork:          gateway.Retryable,
}

// classByPrefix covers code families; the first match wins.
var classByPrefix = []struct {
	prefix string
	class  gateway.Class
}{
	{"Throttling", gateway.Throttled},      // Throttling, Throttling.User, Throttling.Api
	{"InvalidAccessKeyId", gateway.Config}, // .NotFound, .Inactive
	{"InvalidTimeStamp", gateway.Config},   // our clock is off: every call will fail
	{"Forbidden", gateway.Config},          // Forbidden.RAM, Forbidden.AccessKeyDisabled
	{"InvalidAction", gateway.Config},      // wrong endpoint
	{"Missing", gateway.Permanent},         // MissingPhoneNumbers: this request is incomplete
	{"isp.", gateway.Retryable},            // other platform errors
	{"isv.", gateway.Permanent},            // other caller errors
	{"SDK.", gateway.Retryable},            // SDK client-side errors (bad response body…)
	{"HTTP_5", gateway.Retryable},          // 5xx without an Aliyun body
	{"HTTP_429", gateway.Throttled},        // rate limited by something in between
	{"HTTP_", gateway.Config},              // another status without an Aliyun body: a proxy or the endpoint is wrong
}

// Classify maps an Aliyun error code (and, for the throttle window, its
// message) to a gateway class and how long to wait before trying again.
// Unknown codes are Retryable, but unknown isv.* (caller) codes are
// Permanent. RetryAfter is set for Throttled and Quota:
//
//   - isv.BUSINESS_LIMIT_CONTROL: 1 min for 分钟级, 1 h for 小时级, until the
//     next midnight in Asia/Shanghai for 天级 (1 min when the message names
//     none);
//   - Throttling*: 1 s (the account's QPS);
//   - isv.DAY_LIMIT_CONTROL: until the next Shanghai midnight;
//   - isv.MONTH_LIMIT_CONTROL: until the first of next month, Shanghai;
//   - isv.AMOUNT_NOT_ENOUGH, isv.OUT_OF_SERVICE: 1 h — a top-up can come
//     at any time, so look again hourly.
func Classify(code, message string) (gateway.Class, time.Duration) {
	return classifyAt(code, message, time.Now())
}

func classifyAt(code, message string, now time.Time) (gateway.Class, time.Duration) {
	class, ok := classByCode[code]
	if !ok {
		class = gateway.Retryable
		for _, p := range classByPrefix {
			if strings.HasPrefix(code, p.prefix) {
				class = p.class
				break
			}
		}
	}
	switch {
	case code == "isv.BUSINESS_LIMIT_CONTROL":
		switch {
		case strings.Contains(message, "天级"):
			return class, untilMidnight(now)
		case strings.Contains(message, "小时级"):
			return class, time.Hour
		}
		return class, time.Minute
	case code == "isv.DAY_LIMIT_CONTROL":
		return class, untilMidnight(now)
	case code == "isv.MONTH_LIMIT_CONTROL":
		t := now.In(shanghai)
		return class, time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, shanghai).Sub(t)
	case code == "isv.AMOUNT_NOT_ENOUGH" || code == "isv.OUT_OF_SERVICE":
		return class, time.Hour
	case class == gateway.Throttled:
		return class, time.Second
	}
	return class, 0
}

// untilMidnight is the time from now to the next midnight in Shanghai,
// when Aliyun's daily counters reset.
func untilMidnight(now time.Time) time.Duration {
	t := now.In(shanghai)
	return time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, shanghai).Sub(t)
}
