package wechat

import (
	"errors"
	"net"
	"strconv"
	"time"

	"github.com/gridcast/gridcast/gateway"
)

// Channel is the gateway.SendError channel name of this adapter.
const Channel = "wechat"

// Error codes callers act on by name. Every SendError from this package
// carries the decimal errcode in Code.
const (
	// CodeWindowClosed (45015): the 48-hour customer-service window since
	// the resident's last message is closed. Permanent for SendText; switch
	// to a template message or SMS.
	CodeWindowClosed = "45015"
	// CodeWindowSpent (45047): the customer-service messages allowed since
	// the resident's last message are used up. Permanent for SendText;
	// switch to a template message or SMS.
	CodeWindowSpent = "45047"
	// CodeTransport marks a failure with no errcode: network error, timeout,
	// non-200 status or an unreadable body. Retryable.
	CodeTransport = "transport"
)

// ThrottleBackoff is the RetryAfter for 45011 (per-minute API quota).
const ThrottleBackoff = 60 * time.Second

// shanghai is China Standard Time. China keeps no daylight saving time, so a
// fixed zone is exact and needs no tzdata on the host.
var shanghai = time.FixedZone("CST", 8*60*60)

// Classify maps a WeChat errcode to a failure class and, for Throttled and
// Quota, how long to wait (45009 waits until the next midnight in
// Asia/Shanghai, measured from time.Now). Unknown codes are Retryable: the
// queue's retry limit bounds them. Classify(0) is meaningless and returns
// Retryable.
func Classify(errcode int) (gateway.Class, time.Duration) {
	return classifyAt(errcode, time.Now())
}

func classifyAt(errcode int, now time.Time) (gateway.Class, time.Duration) {
	switch errcode {
	case 43004, // not following
		43101, // user refused the message
		43019, // user is blacklisted
		40003, // invalid openid
		47001, // malformed JSON/XML data
		47003, // template data argument invalid
		44004, // empty text content
		45002, // content too long
		40008, // invalid message type
		40007, // invalid media_id (or a temporary one past its 3 days)
		45015, // customer-service window closed
		45047: // customer-service quota spent
		return gateway.Permanent, 0
	case 45009: // daily API quota reached
		return gateway.Quota, untilShanghaiMidnight(now)
	case 45011: // per-minute API quota
		return gateway.Throttled, ThrottleBackoff
	case 40037, // invalid template_id
		40036, // invalid template_id size
		40164, // caller IP not whitelisted
		40125, // invalid appsecret
		40013, // invalid appid
		40002, // invalid grant_type
		48001: // API unauthorized for this account
		return gateway.Config, 0
	}
	// -1 (system busy), token codes left after the one refresh, and
	// anything unknown.
	return gateway.Retryable, 0
}

func untilShanghaiMidnight(now time.Time) time.Duration {
	t := now.In(shanghai)
	next := time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, shanghai)
	return next.Sub(t)
}

// isTokenCode reports the errcodes that mean "refresh the access token".
func isTokenCode(errcode int) bool {
	return errcode == 40001 || errcode == 40014 || errcode == 42001
}

// apiError builds the SendError for an errcode WeChat returned.
func apiError(errcode int, errmsg string, now time.Time) *gateway.SendError {
	class, after := classifyAt(errcode, now)
	return &gateway.SendError{
		Channel:    Channel,
		Code:       strconv.Itoa(errcode),
		Message:    errmsg,
		Class:      class,
		RetryAfter: after,
	}
}

// transportError builds the Retryable SendError for a failure without an
// errcode. err must already be free of secrets (see redact).
func transportError(err error) *gateway.SendError {
	return &gateway.SendError{Channel: Channel, Code: CodeTransport, Class: gateway.Retryable, Err: err}
}

// sends reports whether the call op sends a message to a follower.
func sends(op string) bool { return op == "send template" || op == "send text" }

// sendTransportError is transportError for a send: unless the connection
// was never made, the request may have reached WeChat and been carried
// out, so the failure is gateway.CodeAmbiguous — settle (a template
// message's client_msg_id makes a repeat within 10 minutes harmless),
// never resend blind.
func sendTransportError(err error) *gateway.SendError {
	var op *net.OpError
	var dns *net.DNSError
	if (errors.As(err, &op) && op.Op == "dial") || errors.As(err, &dns) {
		return transportError(err)
	}
	return &gateway.SendError{Channel: Channel, Code: gateway.CodeAmbiguous, Class: gateway.Retryable,
		Message: "no answer to the send: it may have reached WeChat", Err: err}
}

// IsWindowClosed reports whether err is a SendText failure because the
// customer-service window is closed or spent (45015 or 45047): the message
// should go as a template message or by SMS instead.
func IsWindowClosed(err error) bool {
	var se *gateway.SendError
	if !errors.As(err, &se) || se.Channel != Channel {
		return false
	}
	return se.Code == CodeWindowClosed || se.Code == CodeWindowSpent
}
