// Package monitor serves Asynq's monitoring UI (asynqmon) over the queue's
// Redis, with every task payload masked: the UI shows ids, codes and
// times, never a phone number, openid or message text in clear.
//
// The UI lets whoever reaches it list tasks in every state, retry, run,
// archive and delete them, and pause and resume whole queues. It has no
// login of its own: mount it behind one (the API server mounts it at
// /queues/ for officers).
package monitor

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/hibiken/asynq"
	"github.com/hibiken/asynqmon"
	"github.com/redis/go-redis/v9"

	"github.com/gridcast/gridcast/pii"
)

// Prefix is where the API server mounts the UI.
const Prefix = "/queues/"

// Handler serves the UI and its JSON API (under prefix+"api/") over rdb,
// which it shares and never closes. prefix must start and end with a
// slash. The handler is safe for concurrent use.
func Handler(rdb redis.UniversalClient, prefix string) http.Handler {
	mask := asynqmon.PayloadFormatterFunc(MaskPayload)
	return asynqmon.New(asynqmon.Options{
		RootPath:         strings.TrimSuffix(prefix, "/"),
		RedisConnOpt:     sharedClient{rdb},
		PayloadFormatter: mask,
		ResultFormatter:  asynqmon.ResultFormatterFunc(MaskPayload),
	})
}

// sharedClient hands asynqmon the client GridCast already holds (its
// options take a connection setting, not a client). asynqmon closes it
// only from HTTPHandler.Close, which Handler's callers never reach.
type sharedClient struct{ rdb redis.UniversalClient }

var _ asynq.RedisConnOpt = sharedClient{}

func (s sharedClient) MakeRedisClient() any { return s.rdb }

// shown are the payload keys whose string values are shown as they are:
// ids, codes, states and times, never personal data. Keys compare without
// case (the desk's inbound payload has Go field names).
var shown = map[string]bool{
	"channel": true, "kind": true, "status": true, "providermsgid": true, "extendcode": true,
	"biz_id": true, "out_id": true, "err_code": true, "err_msg": true, "at": true, "run_at": true,
}

// phones are the keys that hold a phone number; from holds a phone number
// or an openid, told apart by their shape.
var phones = map[string]bool{"phone": true, "phone_number": true, "mobile": true}

var mobile = regexp.MustCompile(`^\+?[0-9]{7,15}$`)

// MaskPayload is the UI's view of a task payload: the JSON with every
// string that may be personal data masked — phone numbers as pii.Phone
// shows them (138****5678), openids as pii.OpenID does, texts replaced by
// their length — and ids, codes, times, numbers and booleans as they are.
// A payload that is not JSON shows as its size.
func MaskPayload(_ string, payload []byte) string {
	if len(bytes.TrimSpace(payload)) == 0 {
		return ""
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return fmt.Sprintf("(%d bytes, not JSON)", len(payload))
	}
	out, err := json.Marshal(mask("", v))
	if err != nil {
		return fmt.Sprintf("(%d bytes)", len(payload))
	}
	return string(out)
}

func mask(key string, v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = mask(strings.ToLower(k), e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = mask(key, e)
		}
		return x
	case string:
		return maskString(key, x)
	}
	return v // numbers, booleans, null
}

func maskString(key, s string) string {
	switch {
	case s == "" || shown[key]:
		return s
	case phones[key]:
		return pii.Phone(s).Masked()
	case mobile.MatchString(s):
		return pii.Phone(s).Masked()
	case key == "from" || key == "to" || key == "touser" || key == "openid":
		return pii.OpenID(s).Masked()
	}
	return fmt.Sprintf("(%d characters)", utf8.RuneCountInString(s))
}
