package gateway

import (
	"errors"
	"fmt"
	"time"
)

// Class says what a provider failure means for the message and the channel.
// Only the adapter that spoke to the provider knows its codes, so the adapter
// decides the class; the queue turns classes into retry behaviour.
type Class int

// The failure classes.
const (
	// Retryable failures (network, 5xx, busy, expired token) are retried
	// with back-off, burning a retry each time.
	Retryable Class = iota
	// Permanent failures (bad number, user blocked, template/parameter
	// rejected for this message) will fail again; the message is failed or
	// falls back to another channel.
	Permanent
	// Throttled failures (QPS, per-number frequency) are retried after
	// RetryAfter without burning a retry.
	Throttled
	// Quota failures (daily/monthly quota, balance) pause the channel until
	// the quota resets.
	Quota
	// Config failures (bad credentials, template or signature not approved,
	// IP not whitelisted) pause the channel and alert an operator.
	Config
)

func (c Class) String() string {
	switch c {
	case Retryable:
		return "retryable"
	case Permanent:
		return "permanent"
	case Throttled:
		return "throttled"
	case Quota:
		return "quota"
	case Config:
		return "config"
	}
	return fmt.Sprintf("class(%d)", int(c))
}

// SendError is the one error type every channel adapter returns for a
// provider failure.
type SendError struct {
	Channel    string        // "sms" or "wechat"
	Code       string        // the provider's code, e.g. isv.MOBILE_NUMBER_ILLEGAL or 43004
	Message    string        // the provider's message
	Class      Class         // what to do about it
	RetryAfter time.Duration // for Throttled and Quota: how long to wait; zero = the queue's default
	Err        error         // the underlying transport error, if any
}

func (e *SendError) Error() string {
	s := fmt.Sprintf("gateway: %s: %s", e.Channel, e.Class)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *SendError) Unwrap() error { return e.Err }

// ClassOf returns the class of err if it is (or wraps) a *SendError, and
// Retryable otherwise: an unknown failure is worth another try.
func ClassOf(err error) Class {
	var se *SendError
	if errors.As(err, &se) {
		return se.Class
	}
	return Retryable
}

// CodeAmbiguous is the SendError code of a send whose outcome is unknown:
// the request went out and no answer came back (a timeout, a dropped
// connection). The provider may have accepted it, so the caller looks the
// message up in the provider's send record before it sends again. Class
// Retryable.
const CodeAmbiguous = "TIMEOUT_AMBIGUOUS"
