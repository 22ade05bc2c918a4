package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gridcast/gridcast/audit"
)

// AuditLog is the audit log (package audit): GET /api/v1/audit reads its
// entries, and the API appends what its users do. *store.Store satisfies
// it.
type AuditLog interface {
	// AppendAudit appends e to the chain.
	AppendAudit(ctx context.Context, e audit.Entry) (audit.Entry, error)
	// AuditEntries returns the entries f selects, in Seq order.
	AuditEntries(ctx context.Context, f audit.Filter) ([]audit.Entry, error)
}

// listAudit serves GET /api/v1/audit from log: the entries the query
// selects, as a JSON array in Seq order. Parameters, all optional:
//
//	actor    the exact actor
//	action   an action and every action under it (campaign, campaign.send)
//	subject  the exact subject (campaign:12)
//	since    RFC 3339; entries at or after it
//	until    RFC 3339; entries before it
//	after    a Seq; entries after it (page forward)
//	before   a Seq; entries before it (page backward, with newest)
//	newest   true: the newest entries rather than the oldest
//	limit    1 to audit.MaxLimit; 0 or absent is audit.DefaultLimit
//
// A malformed parameter is 400 naming it.
func (s *server) listAudit(log AuditLog) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f, err := auditFilter(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		es, err := log.AuditEntries(r.Context(), f)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if es == nil {
			es = []audit.Entry{}
		}
		writeJSON(w, http.StatusOK, es)
	}
}

// auditFilter reads an audit.Filter from the request's query, every
// problem joined.
func auditFilter(r *http.Request) (audit.Filter, error) {
	q := r.URL.Query()
	f := audit.Filter{Actor: q.Get("actor"), Action: q.Get("action"), Subject: q.Get("subject")}
	var errs []error
	var err error
	f.Since, err = queryTime(r, "since")
	errs = append(errs, err)
	f.Until, err = queryTime(r, "until")
	errs = append(errs, err)
	f.AfterSeq, err = queryInt64(r, "after")
	errs = append(errs, err)
	f.BeforeSeq, err = queryInt64(r, "before")
	errs = append(errs, err)
	f.Limit, err = queryLimit(r, audit.MaxLimit)
	errs = append(errs, err)
	if v := q.Get("newest"); v != "" {
		f.Newest, err = strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, badRequest("newest %q: want true or false", "newest %q 须为 true 或 false", v))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return audit.Filter{}, err
	}
	return f, f.Validate()
}

// queryTime reads an RFC 3339 time parameter; absent is the zero time.
func queryTime(r *http.Request, name string) (time.Time, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, badRequest("%s %q: want an RFC 3339 time such as 2025-03-01T08:00:00+08:00",
			"%s %q 须为 RFC 3339 时间，例如 2025-03-01T08:00:00+08:00", name, v)
	}
	return t, nil
}

// record appends an act of the request's caller to the audit log, if the
// server has one: the user, or in the trial mode by (the name the body
// gave). It returns the log's error for the caller to decide: an act whose
// record is the point (showing personal data) must not happen without it.
func (s *server) record(r *http.Request, by string, action audit.Action, subject, reason, detail string) error {
	if s.cfg.Audit == nil {
		return nil
	}
	actor := by
	if u, ok := userFrom(r.Context()); ok {
		actor = u.Name
	}
	if actor == "" {
		actor = "trial"
	}
	_, err := s.cfg.Audit.AppendAudit(r.Context(), audit.Entry{Actor: actor, Source: audit.SourceAPI, Action: action,
		Subject: subject, Reason: reason, Detail: detail})
	if err != nil {
		s.cfg.Log.ErrorContext(r.Context(), "audit_append_failed", "action", string(action), "subject", subject, "err", err)
	}
	return err
}
