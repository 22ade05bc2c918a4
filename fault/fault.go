// Package fault names the ways a request is refused that every layer of
// GridCast must tell apart — the thing asked for does not exist, the change
// conflicts with the data's current state, the input is invalid — so that
// the edges (the HTTP API, the console, the CLI) can answer each with the
// right status and words, whichever package refused.
//
// Packages wrap one of the sentinels with %w and a prefix that names what
// they were doing; callers test with errors.Is. The wrapped chain is for
// logs. It imports nothing of GridCast.
package fault

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNotFound is wrapped by every lookup that finds nothing; the store maps
// its drivers' "no rows" to it.
var ErrNotFound = errors.New("not found")

// ErrConflict is wrapped by errors that refuse a change because of the
// data's current state: an openid bound to someone else, a segment still
// referred to, a campaign or a message moved on by another process (an
// optimistic update that lost its race).
var ErrConflict = errors.New("conflict")

// ErrInvalid is wrapped by errors that refuse bad input (a malformed name,
// an empty expression, an unknown status), so that callers answer "bad
// request" rather than "internal error".
var ErrInvalid = errors.New("invalid")

// Lang is a language GridCast speaks to its users in: Chinese on the
// console and the API, English on the command line.
type Lang int

// The languages.
const (
	Chinese Lang = iota
	English
)

// Sayer is an error that can say itself to a user, in words they can act
// on and without the internals a log needs.
type Sayer interface {
	error
	Say(lang Lang) string
}

// Error is a refusal with what to tell the user. It matches its Kind
// (ErrNotFound, ErrConflict or ErrInvalid) and its cause with errors.Is;
// Error() is the sentence and the cause, for logs.
type Error struct {
	Kind   error
	En, Zh string
	Err    error // the cause; may be nil
	// Detail makes Say append the cause's text: problems the user must
	// read to fix them (a campaign's invalid fields).
	Detail bool
	base   *Error // the sentinel this refines (Because), for errors.Is
}

// Refuse returns a refusal of kind with the sentence in English and in
// Chinese; cause, which may be nil, stays reachable with errors.Is and
// errors.As (a domain sentinel such as tickets.ErrBadTransition).
func Refuse(kind error, en, zh string, cause error) *Error {
	return &Error{Kind: kind, En: en, Zh: zh, Err: cause}
}

// Because returns e refined by cause: the same kind and sentence, cause
// reachable with errors.Is and errors.As, and the result still matching e
// itself with errors.Is. With detail, Say appends the cause's text.
func (e *Error) Because(cause error, detail bool) *Error {
	c := *e
	c.Err, c.Detail, c.base = cause, detail, e
	if e.base != nil {
		c.base = e.base
	}
	return &c
}

// Is reports whether target is the sentinel e refines.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && e.base != nil && t == e.base
}

// Error is the English sentence and, for logs, the cause.
func (e *Error) Error() string {
	if e.Err != nil {
		return e.En + ": " + e.Err.Error()
	}
	return e.En
}

// Unwrap returns the kind and the cause.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// Say is the sentence in lang, with the cause's text when Detail is set.
func (e *Error) Say(lang Lang) string {
	s, sep := e.Zh, "："
	if lang == English || e.Zh == "" {
		s, sep = e.En, ": "
	}
	if e.Detail && e.Err != nil {
		s += sep + strings.ReplaceAll(e.Err.Error(), "\n", "; ")
	}
	return s
}

// NotFoundError names the record a lookup did not find. It matches
// ErrNotFound with errors.Is.
type NotFoundError struct {
	Thing Thing
	Key   string // the id, code or name the user gave
}

// NotFound is the error of a lookup of thing by key that found nothing.
func NotFound(thing Thing, key any) *NotFoundError {
	return &NotFoundError{Thing: thing, Key: fmt.Sprint(key)}
}

// Error says what was not found.
func (e *NotFoundError) Error() string { return e.Say(English) }

// Unwrap returns ErrNotFound.
func (e *NotFoundError) Unwrap() error { return ErrNotFound }

// Say is "ticket 12 not found" or "工单 12 不存在".
func (e *NotFoundError) Say(lang Lang) string {
	if lang == English {
		return strings.TrimSpace(e.Thing.En + " " + e.Key + " not found")
	}
	return strings.TrimSpace(e.Thing.Zh+" "+e.Key) + " 不存在"
}

// Thing is a kind of record users look up, named in both languages.
type Thing struct{ En, Zh string }

// The things users look up.
var (
	Ticket   = Thing{"ticket", "工单"}
	Resident = Thing{"resident", "居民"}
	Worker   = Thing{"worker", "工作人员"}
	Campaign = Thing{"campaign", "活动"}
	Segment  = Thing{"segment", "分组"}
	Grid     = Thing{"grid", "网格"}
	Message  = Thing{"message", "消息"}
	Leave    = Thing{"leave of worker", "工作人员请假记录"}
	Inbound  = Thing{"inbound message", "居民来信"}
	Visit    = Thing{"visit", "走访预约"}
	User     = Thing{"user", "用户"}
)

// The things of reported events and the media kept with tickets.
var (
	Household  = Thing{"household", "住户"}
	Attachment = Thing{"attachment", "附件"} // a photo or voice recording kept with a ticket
)

// Explain returns what to tell a user about err in lang and whether err is
// a refusal — a Sayer in the chain, the outermost speaking, or one of the
// three sentinels — rather than an internal failure, for which it returns
// a generic sentence: the details belong in the log, not on a screen.
func Explain(err error, lang Lang) (msg string, refusal bool) {
	if err == nil {
		return "", false
	}
	var s Sayer
	if errors.As(err, &s) {
		return s.Say(lang), true
	}
	for _, k := range []struct {
		err    error
		en, zh string
	}{
		{ErrNotFound, "not found", "未找到"},
		{ErrConflict, "refused: the record changed or does not allow this", "操作未执行：记录已变化或当前状态不允许"},
		{ErrInvalid, "refused: the input is invalid", "操作未执行：输入有误"},
	} {
		if errors.Is(err, k.err) {
			if lang == English {
				return k.en, true
			}
			return k.zh, true
		}
	}
	if lang == English {
		return "internal error (see the log)", false
	}
	return "系统内部错误，请稍后重试或联系管理员", false
}
