package aliyunsms

import (
	"context"
	"crypto/subtle"
	"errors"
	"io"
	"log/slog"
	"net/http"
)

// PushOptions shape the delivery-report and uplink webhooks.
type PushOptions struct {
	// MaxBody caps a push body. Default 1 MiB (Aliyun batches at most a few
	// hundred items).
	MaxBody int64
	// Secret, when set, must be given as the query parameter "token": Aliyun
	// signs nothing on these pushes, so the configured push URL carries a
	// secret (https://host/aliyun/sms/report?token=…). Empty accepts any
	// caller; use it only behind an allowlist.
	Secret string
	// Log records refused pushes; nil discards.
	Log *slog.Logger
	// Refused, when set, is told the reason of every refused push (method,
	// bad_token, body_too_large, read_body, bad_body), for metrics. It
	// must be quick. Nil counts nothing.
	Refused func(reason string)
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
	return o
}

// NewReportHandler returns the handler for POST /aliyun/sms/report. It
// checks the secret, caps and parses the body, hands the reports to handle
// (which should only enqueue) and answers AckBody. A handle error answers
// 500 so that Aliyun pushes again.
func NewReportHandler(handle func(ctx context.Context, rs []Report) error, opts PushOptions) http.Handler {
	return pushHandler(opts, "report", func(ctx context.Context, body []byte) error {
		rs, err := ParseReports(body)
		if err != nil {
			return badPush{err}
		}
		return handle(ctx, rs)
	})
}

// NewUplinkHandler returns the handler for POST /aliyun/sms/up, as
// NewReportHandler does for reports.
func NewUplinkHandler(handle func(ctx context.Context, us []Uplink) error, opts PushOptions) http.Handler {
	return pushHandler(opts, "uplink", func(ctx context.Context, body []byte) error {
		us, err := ParseUplinks(body)
		if err != nil {
			return badPush{err}
		}
		return handle(ctx, us)
	})
}

type badPush struct{ error }

func pushHandler(opts PushOptions, kind string, process func(context.Context, []byte) error) http.Handler {
	opts = opts.withDefaults()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			opts.Refused("method")
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		if opts.Secret != "" && subtle.ConstantTimeCompare([]byte(r.URL.Query().Get("token")), []byte(opts.Secret)) != 1 {
			opts.Log.WarnContext(r.Context(), "sms_push_refused", "kind", kind, "reason", "bad token", "remote", r.RemoteAddr)
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
		if err := process(r.Context(), body); err != nil {
			var bad badPush
			if errors.As(err, &bad) {
				opts.Log.WarnContext(r.Context(), "sms_push_refused", "kind", kind, "err", err)
				opts.Refused("bad_body")
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			opts.Log.ErrorContext(r.Context(), "sms_push_failed", "kind", kind, "err", err)
			http.Error(w, "try again", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, AckBody)
	})
}
