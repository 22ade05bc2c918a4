package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gridcast/gridcast/audit"
	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/sheet"
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
//	format   json (the default) or xlsx: every entry the other
//	         parameters select, limit and newest aside, as a workbook in
//	         Seq order; refused when more than maxExportRows match
//
// A malformed parameter is 400 naming it.
func (s *server) listAudit(log AuditLog) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		asXLSX, err := wantsXLSX(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		f, err := auditFilter(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if asXLSX {
			s.exportAudit(w, r, log, f)
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

// exportAudit answers every entry f selects as a workbook, read a page
// of audit.MaxLimit at a time in Seq order.
func (s *server) exportAudit(w http.ResponseWriter, r *http.Request, log AuditLog, f audit.Filter) {
	f.Newest, f.Limit = false, audit.MaxLimit
	var all []audit.Entry
	for {
		es, err := log.AuditEntries(r.Context(), f)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		all = append(all, es...)
		if len(all) > maxExportRows {
			s.writeError(w, r, tooManyRows())
			return
		}
		if len(es) < f.Limit {
			break
		}
		f.AfterSeq = es[len(es)-1].Seq
	}
	sh := sheet.Sheet{Name: "审计日志", Title: "审计日志", Columns: []sheet.Column{
		{Header: "序号"}, {Header: "时间", Width: 20}, {Header: "操作人", Width: 14}, {Header: "系统账号"}, {Header: "来源", Width: 14},
		{Header: "操作", Width: 18}, {Header: "对象", Width: 20}, {Header: "原因", Width: 24}, {Header: "详情", Width: 40}, {Header: "哈希", Width: 20}}}
	for _, e := range all {
		sh.Rows = append(sh.Rows, []any{e.Seq, cellTime(e.At), e.Actor, e.OSUser, sourceLabel(e.Source), string(e.Action),
			e.Subject, e.Reason, e.Detail, e.Hash})
	}
	today := s.cfg.Now().In(campaigns.Shanghai()).Format(time.DateOnly)
	asked := map[string]any{"actor": f.Actor, "action": f.Action, "subject": f.Subject}
	if !f.Since.IsZero() {
		asked["since"] = f.Since
	}
	if !f.Until.IsZero() {
		asked["until"] = f.Until
	}
	s.writeWorkbook(w, r, "审计日志-"+today+".xlsx", "audit-"+today+".xlsx", "audit:"+today, asked, sh)
}

// sourceLabel says where an act came from, in Chinese.
func sourceLabel(src audit.Source) string {
	switch src {
	case audit.SourceAPI:
		return "接口/控制台"
	case audit.SourceCLI:
		return "命令行"
	case audit.SourceSystem:
		return "系统"
	}
	return string(src)
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
