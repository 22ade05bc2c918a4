package aliyunsms

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
)

// PushOptions shape the delivery-report and uplink webhooks. The zero
// value accepts any caller: outside a sandbox set Secret.
type PushOptions struct {
	// MaxBody caps a push body. Default 1 MiB (Aliyun batches at most a few
	// hundred items).
	MaxBody int64
	// Secret, when set, must be given as the query parameter "token": Aliyun
	// signs nothing on these pushes, so the configured push URL carries a
	// secret (https://host/aliyun/sms/report?token=…), compared in constant
	// time. Empty accepts any caller.
	Secret string
	// Allow, when not empty, lists the networks a push may come from; a
	// push from any other address is refused (403, reason
	// address_not_allowed) before its token is looked at. Empty (the
	// default) accepts any address. ParseNetworks reads a configured list.
	Allow []netip.Prefix
	// TrustedProxies are the reverse proxies in front of the webhooks: a
	// request whose peer is one of them is judged by the client address
	// their X-Forwarded-For names (see Allow), anyone else's by its peer
	// address. Empty (the default) believes no forwarding header. Only
	// Allow reads it.
	TrustedProxies []netip.Prefix
	// Replays, when set, remembers what was taken, so that an item pushed
	// again (Aliyun's retry after a lost answer, or a captured push replayed)
	// is answered AckBody and not handed on twice. An uplink is known by
	// Uplink.Key, a report push by its body. Nil hands every push on: the
	// desk (by the uplink's key) and the ledger (which only moves a message
	// forward) still ignore what they have seen, but nothing is counted.
	Replays Replays
	// Log records refused pushes; nil discards.
	Log *slog.Logger
	// Refused, when set, is told the reason of every refused push (method,
	// address_not_allowed, bad_token, body_too_large, read_body, bad_body),
	// for metrics. It must be quick and safe for concurrent use. Nil counts
	// nothing.
	Refused func(reason string)
	// Duplicates, when set, is told how many items (uplinks, or the
	// reports of a push) were answered without being handed on because
	// Replays had seen them, for metrics. It must be quick and safe for
	// concurrent use. Nil counts nothing.
	Duplicates func(n int)
}

// Replays remembers the pushes the webhooks took (PushOptions.Replays).
// Its keys hold no personal data. Implementations must be safe for
// concurrent use.
type Replays interface {
	// Seen reports, for each key, whether it was taken before.
	Seen(ctx context.Context, keys []string) ([]bool, error)
	// Took records keys as taken.
	Took(ctx context.Context, keys []string) error
}

func (o PushOptions) withDefaults() PushOptions {
	if o.MaxBody <= 0 {
		o.MaxBody = 1 << 20
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Refused == nil {
		o.Refused = func(string) {}
	}
	if o.Duplicates == nil {
		o.Duplicates = func(int) {}
	}
	return o
}

// NewReportHandler returns the handler for POST /aliyun/sms/report. It
// checks the sender's address and the secret, caps and parses the body,
// drops a push Replays has seen, hands the reports to handle (which should
// only enqueue) and answers AckBody. A handle error answers 500 so that
// Aliyun pushes again. It is safe for concurrent use.
//
// A report push is remembered whole, by a hash of its body: reports are as
// many as the messages sent, and the ledger makes each one idempotent
// anyway (a message only moves forward), so one key per push is enough to
// recognise Aliyun's retries and a replay without a key per message.
func NewReportHandler(handle func(ctx context.Context, rs []Report) error, opts PushOptions) http.Handler {
	return pushHandler(opts, "report", ParseReports, func(body []byte, rs []Report) ([]string, [][]Report) {
		sum := sha256.Sum256(body)
		return []string{"report:" + hex.EncodeToString(sum[:16])}, [][]Report{rs}
	}, handle)
}

// NewUplinkHandler returns the handler for POST /aliyun/sms/up, as
// NewReportHandler does for reports, except that each uplink is remembered
// by its own Key: an uplink Aliyun pushes again in another batch is still
// recognised.
func NewUplinkHandler(handle func(ctx context.Context, us []Uplink) error, opts PushOptions) http.Handler {
	return pushHandler(opts, "uplink", ParseUplinks, func(_ []byte, us []Uplink) ([]string, [][]Uplink) {
		keys, groups := make([]string, len(us)), make([][]Uplink, len(us))
		for i, u := range us {
			keys[i], groups[i] = "up:"+u.Key(), us[i:i+1]
		}
		return keys, groups
	}, handle)
}

// pushHandler is the one webhook both pushes go through. keys splits the
// parsed items into groups, each known by a key to Replays.
func pushHandler[T any](opts PushOptions, kind string, parse func([]byte) ([]T, error),
	keys func(body []byte, items []T) ([]string, [][]T), handle func(context.Context, []T) error) http.Handler {
	opts = opts.withDefaults()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			opts.Refused("method")
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		// The sender's address: Aliyun's servers, not a resident's, so it is
		// logged as it is.
		client, cerr := clientAddr(r, opts.TrustedProxies)
		from := []any{"peer", r.RemoteAddr, "client", client.String()}
		if cerr != nil {
			from = []any{"peer", r.RemoteAddr, "client_err", cerr}
		}
		if len(opts.Allow) > 0 && (cerr != nil || !inNetworks(opts.Allow, client)) {
			opts.Log.WarnContext(ctx, "sms_push_refused", append([]any{"kind", kind, "reason", "address_not_allowed"}, from...)...)
			opts.Refused("address_not_allowed")
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		if opts.Secret != "" && subtle.ConstantTimeCompare([]byte(r.URL.Query().Get("token")), []byte(opts.Secret)) != 1 {
			opts.Log.WarnContext(ctx, "sms_push_refused", append([]any{"kind", kind, "reason", "bad_token"}, from...)...)
			opts.Refused("bad_token")
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, opts.MaxBody))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				opts.Refused("body_too_large")
				http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
				return
			}
			opts.Refused("read_body")
			http.Error(w, "cannot read body", http.StatusBadRequest)
			return
		}
		items, err := parse(body)
		if err != nil {
			// The parse error names fields and positions, never values.
			opts.Log.WarnContext(ctx, "sms_push_refused", "kind", kind, "reason", "bad_body", "err", err)
			opts.Refused("bad_body")
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		ks, groups := keys(body, items)
		fresh, freshKeys, dups := unseen(ctx, opts, kind, ks, groups)
		if dups > 0 {
			opts.Log.InfoContext(ctx, "sms_push_duplicate", "kind", kind, "items", dups)
			opts.Duplicates(dups)
		}
		if len(fresh) > 0 {
			if err := handle(ctx, fresh); err != nil {
				opts.Log.ErrorContext(ctx, "sms_push_failed", "kind", kind, "err", err)
				http.Error(w, "try again", http.StatusInternalServerError)
				return
			}
		}
		if opts.Replays != nil && len(freshKeys) > 0 {
			// Forgetting costs only a second hand-off, which the desk and
			// the ledger ignore.
			if err := opts.Replays.Took(ctx, freshKeys); err != nil {
				opts.Log.WarnContext(ctx, "sms_push_remember_failed", "kind", kind, "err", err)
			}
		}
		opts.Log.DebugContext(ctx, "sms_push_taken", append([]any{"kind", kind, "items", len(items), "duplicates", dups}, from...)...)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, AckBody)
	})
}

// unseen returns the items of the groups Replays has not seen (nor an
// earlier group of the same push), their keys, and how many items it
// drops. Without Replays, or when it fails, every item is fresh.
func unseen[T any](ctx context.Context, opts PushOptions, kind string, keys []string, groups [][]T) (fresh []T, freshKeys []string, dups int) {
	var seen []bool
	if opts.Replays != nil && len(keys) > 0 {
		var err error
		if seen, err = opts.Replays.Seen(ctx, keys); err != nil || len(seen) != len(keys) {
			opts.Log.WarnContext(ctx, "sms_push_replays_unknown", "kind", kind, "err", err)
			seen = nil
		}
	}
	inPush := make(map[string]bool, len(keys))
	for i, g := range groups {
		if (seen != nil && seen[i]) || inPush[keys[i]] {
			dups += len(g)
			continue
		}
		inPush[keys[i]] = true
		fresh = append(fresh, g...)
		freshKeys = append(freshKeys, keys[i])
	}
	return fresh, freshKeys, dups
}
