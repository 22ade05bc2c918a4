package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/audit"
	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/desk"
	"github.com/gridcast/gridcast/dispatch"
	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/segments"
	"github.com/gridcast/gridcast/visits"
)

// Segments is what the segment endpoints need from the population store.
type Segments interface {
	CountSegment(ctx context.Context, expr string) (int64, error)
	SampleSegment(ctx context.Context, expr string, n int) ([]population.Resident, error)
	SaveSegment(ctx context.Context, seg segments.SavedSegment) error
	Segment(ctx context.Context, name string) (segments.SavedSegment, error)
	Segments(ctx context.Context) ([]segments.SavedSegment, error)
	DeleteSegment(ctx context.Context, name string) error
}

// Config wires the server. Segments and Ready are required; each webhook
// is mounted only when set.
type Config struct {
	Segments Segments
	// Ready reports whether the store and Redis are reachable (/readyz).
	Ready func(ctx context.Context) error
	// WeChatCallback serves GET/POST /wechat/callback.
	WeChatCallback http.Handler
	// SMSReport and SMSUplink serve POST /aliyun/sms/report and /aliyun/sms/up.
	SMSReport, SMSUplink http.Handler
	// Campaigns, when set, serves /api/v1/campaigns; Policy holds the
	// organisation's campaign rules (approval threshold, sensitive words).
	Campaigns Campaigns
	Policy    campaigns.Policy
	// Tickets, when set, serves the ticket desk's reads: /api/v1/tickets,
	// /api/v1/tickets/{id}, /api/v1/tickets/unknown-senders and
	// /api/v1/campaigns/{id}/answers.
	Tickets TicketStore
	// Desk, when set with Tickets, serves the worker actions on a ticket
	// (POST /api/v1/tickets/{id}/reply, start, resolve, close, reassign,
	// merge). Nil leaves the desk read-only.
	Desk *desk.Service
	// Users is the user directory (the store's users, managed with
	// `gridcast users`): each user calls /api/v1 with a bearer token, what
	// they do is recorded as theirs, their roles say what they may change
	// and their scope which grids they see and act on. Nil, or a directory
	// with no enabled user, is the trial mode: /api/v1 then answers only
	// requests made on this host (a loopback peer, no proxy headers), sees
	// the whole city, and actions name their actor in the body's by. Health,
	// metrics and the webhooks never need a token (the webhooks check
	// their own credentials).
	Users UserDirectory
	// Sessions, when set with Users, lets users sign in to the console
	// with their name and password (POST /api/v1/session): the browser
	// then holds a session cookie (HttpOnly, SameSite=Strict, Secure per
	// CookieSecure) and sends the session's CSRF token with every change.
	// Tokens keep working for scripts. LoginPolicy limits wrong passwords
	// and sessions' life (zero: access.DefaultLoginPolicy); LoginRate is
	// the sign-in attempts one address may make a minute (zero:
	// DefaultLoginRate).
	Sessions     SessionStore
	LoginPolicy  access.LoginPolicy
	LoginRate    float64
	CookieSecure CookieSecurity
	// Identities are further ways in (企业微信, 政务微信 …), each a button on
	// the sign-in page; IdentityLinks finds the user a provider's person
	// is linked to. Both needed, with Sessions.
	Identities    []IdentityProvider
	IdentityLinks IdentityLinks
	// TrialToken, when set, guards the trial mode further: /login?token=
	// with it, once, gives the browser a session cookie, and /api/v1 then
	// answers only that browser. gridcast serve sets it and prints the
	// link; empty leaves the trial mode to the loopback check alone.
	TrialToken string
	// Dispatch, when set with Tickets, serves the dispatch of tickets to
	// departments: POST /api/v1/tickets/{id}/dispatch, GET
	// /api/v1/tickets/{id}/tasks, GET /api/v1/tasks and POST
	// /api/v1/tasks/{id}/actions. Departments are the known ones
	// (dispatch.DefaultDepartments when empty).
	Dispatch    DispatchStore
	Departments []dispatch.Department
	// Supervision, when set with Tickets, shows each ticket's standing 督办
	// flag (Ticket.Supervised) and its 督办 history on the timeline; with
	// Desk too it serves POST /api/v1/tickets/{id}/supervise and
	// /unsupervise.
	Supervision SupervisionStore
	// Eraser, when set with Tickets, serves POST
	// /api/v1/residents/{id}/erase: erasure on request (PIPL), by an
	// officer or administrator whose scope covers the resident.
	Eraser ResidentEraser
	// Records, when set, serves the living records (活户籍): POST and GET
	// /api/v1/residents/{id}/changes (workers of the resident's grid and
	// staff above it) and GET /api/v1/residents/changes?since= (the
	// changes in the caller's scope, masked).
	Records ResidentRecords
	// Audit, when set, serves GET /api/v1/audit to administrators, and
	// records what the API's users do there: sign-ins of the trial mode,
	// unmasking, campaign approvals and moves.
	Audit AuditLog
	// Queues, when set, is the queue UI, served under QueuesPrefix
	// (/queues/) to officers only (see README: HTTP Basic with the API
	// token as the password; this host only with authentication off).
	Queues http.Handler
	// ChannelPauses, when set, reads the channels the queue holds right
	// now, shown with a campaign's status; nil shows none.
	ChannelPauses func(ctx context.Context) ([]outbound.ChannelPause, error)
	// Kick, when set, asks the workers to act on a campaign's change at
	// once (a scheduler tick): a campaign sent or resumed starts within
	// seconds instead of at the next minute. Nil leaves it to the tick.
	Kick func(ctx context.Context) error
	// DepartmentRoutes are the departments suggested per ticket category,
	// shown by GET /api/v1/departments; nil is dispatch.DefaultRoutes.
	DepartmentRoutes dispatch.Routes
	// Visits, when set, serves the visit register (走访台账): GET
	// /api/v1/visits/register, GET /api/v1/visits/overdue and POST
	// /api/v1/visits. VisitNorms are its norms; the zero Config is
	// visits.DefaultConfig().
	Visits     VisitStore
	VisitNorms visits.Config
	// Assessor, when set, serves 考核: GET /api/v1/assessment.
	Assessor Assessor
	// Dashboard, when set, serves the leaders' dashboard: GET
	// /api/v1/dashboard, the figures of the caller's scope (with
	// Assessor, the 考核 grades too).
	Dashboard DashboardStore
	// Deliveries, when set, serves the delivery records (发送记录): GET
	// /api/v1/deliveries and GET /api/v1/templates/status.
	Deliveries DeliveryStore
	// TestSender, when set with Campaigns, serves the test send (试发) of a
	// campaign's SMS to an officer's own phone: POST
	// /api/v1/campaigns/{id}/test-send and GET
	// /api/v1/campaigns/{id}/test-sends.
	TestSender TestSender
	// Ledgers, when set, serves the 台账 workbook for 查台账: GET
	// /api/v1/ledger.
	Ledgers Ledgers
	// Extra mounts further routes (pattern → handler). None may be under
	// /api/, where every route states the role it needs.
	Extra map[string]http.Handler
	// Registry collects metrics; nil makes a fresh one with the Go and
	// process collectors.
	Registry *prometheus.Registry
	// Now is the clock for sample ages; nil means time.Now.
	Now func() time.Time
	Log *slog.Logger
}

// New builds the HTTP handler.
func New(cfg Config) (http.Handler, error) {
	if cfg.Segments == nil || cfg.Ready == nil {
		return nil, errors.New("api: Segments and Ready are required")
	}
	if cfg.Desk != nil && cfg.Tickets == nil {
		return nil, errors.New("api: Desk needs Tickets (the actions answer with the ticket as the store has it)")
	}
	for p := range cfg.Extra {
		if _, path, _ := strings.Cut(p, "/"); strings.HasPrefix("/"+path, "/api/") || (cfg.Queues != nil && strings.HasPrefix("/"+path, QueuesPrefix)) {
			return nil, fmt.Errorf("api: Extra route %q is under /api/ or %s; add it to this package with the role it needs", p, QueuesPrefix)
		}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	reg := cfg.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gridcast_http_requests_total", Help: "HTTP requests by route and status class.",
	}, []string{"route", "code"})
	refused := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gridcast_http_api_refused_total",
		Help: "Requests to /api/v1 and the queue UI refused: no_token, bad_token, no_session or bad_login (the trial mode's login), not_local (the trial mode, a remote caller), role, scope (outside the user's grids), cross_site (a change from another site) or content_type (a change not sent as JSON).",
	}, []string{"reason"})
	for _, c := range []prometheus.Collector{requests, refused} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	a := &auth{users: cfg.Users, log: cfg.Log, refused: refused, now: cfg.Now}
	if cfg.TrialToken != "" {
		a.loginToken, a.session = cfg.TrialToken, NewTrialToken()
	}
	if cfg.Sessions != nil {
		policy := cfg.LoginPolicy
		if policy == (access.LoginPolicy{}) {
			policy = access.DefaultLoginPolicy()
		}
		perMin := cfg.LoginRate
		if perMin <= 0 {
			perMin = DefaultLoginRate
		}
		a.sessions = &sessions{store: cfg.Sessions, policy: policy, secure: cfg.CookieSecure, perMin: perMin, now: cfg.Now}
	}
	s := &server{cfg: cfg, auth: a}
	a.onLogin = func(r *http.Request) {
		_ = s.record(r, "trial", audit.ActionLogin, "trial", "", "the one-time login link")
	}
	mux := http.NewServeMux()
	route := func(pattern string, h http.Handler) {
		mux.Handle(pattern, countRequests(requests, pattern, h))
	}
	// v1 mounts a route of /api/v1 that users holding one of need may
	// call (no need: any user).
	v1 := func(pattern string, h http.HandlerFunc, need ...access.Role) {
		route(pattern, s.auth.authorize(pattern, need, h))
	}
	route("GET /healthz", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, 200, map[string]string{"status": "ok"}) }))
	route("GET /readyz", http.HandlerFunc(s.ready))
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	if cfg.TrialToken != "" {
		route("GET /login", http.HandlerFunc(a.login))
	}
	v1("GET /api/v1/me", s.me)
	s.mountSessions(route, v1)
	v1("GET /api/v1/departments", s.listDepartments)
	s.mountCampaignScreens(v1)
	v1("GET /api/v1/segments/count", s.count)
	v1("POST /api/v1/segments/preview", s.preview) // a read with a body
	v1("GET /api/v1/segments", s.listSegments)
	v1("GET /api/v1/segments/{name}", s.getSegment)
	v1("PUT /api/v1/segments/{name}", s.putSegment, access.RoleOfficer) // campaigns' audiences
	v1("DELETE /api/v1/segments/{name}", s.deleteSegment, access.RoleOfficer)
	if cfg.Audit != nil {
		v1("GET /api/v1/audit", s.listAudit(cfg.Audit), access.RoleAdmin)
	}
	if cfg.Campaigns != nil {
		s.mountCampaigns(v1)
	}
	s.mountCampaignTestSend(v1)
	if cfg.Tickets != nil {
		s.mountTickets(v1)
		s.mountEvents(v1)
		if cfg.Dispatch != nil {
			s.mountDispatch(v1)
		}
		s.mountSupervision(v1)
	}
	s.mountVisits(v1)
	s.mountRecords(v1)
	s.mountAssessment(v1)
	s.mountLedger(v1)
	s.mountDashboard(v1)
	s.mountDeliveries(v1)
	s.mountUsers(v1)
	s.mountResidentPage(v1)
	if cfg.WeChatCallback != nil {
		route("/wechat/callback", cfg.WeChatCallback)
	}
	if cfg.SMSReport != nil {
		route("/aliyun/sms/report", cfg.SMSReport)
	}
	if cfg.SMSUplink != nil {
		route("/aliyun/sms/up", cfg.SMSUplink)
	}
	if cfg.Queues != nil {
		route(QueuesPrefix, s.auth.officersOnly(cfg.Queues))
	}
	for p, h := range cfg.Extra {
		route(p, h)
	}
	return s.auth.guard(mux), nil
}

type server struct {
	cfg  Config
	auth *auth
}

// mountFunc mounts a route of /api/v1 that users holding one of need may
// call (no need: any user).
type mountFunc func(pattern string, h http.HandlerFunc, need ...access.Role)

func countRequests(c *prometheus.CounterVec, route string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, code: 200}
		h.ServeHTTP(sw, r)
		c.WithLabelValues(route, strconv.Itoa(sw.code/100)+"xx").Inc()
	})
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (s *statusWriter) WriteHeader(code int) { s.code = code; s.ResponseWriter.WriteHeader(code) }

func (s *server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	if err := s.cfg.Ready(ctx); err != nil {
		s.cfg.Log.WarnContext(ctx, "not_ready", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "error": err.Error()})
		return
	}
	writeJSON(w, 200, map[string]string{"status": "ready"})
}

// Problem is the JSON error body every endpoint answers with.
type Problem struct {
	// Error is what went wrong in words the user can act on, in Chinese
	// unless the request's Accept-Language prefers English. The chain of
	// internal causes goes to the log only.
	Error string `json:"error"`
	// Code is the kind of refusal: not_found, conflict, invalid, or
	// internal for a failure of ours.
	Code   string `json:"code"`
	Column int    `json:"column,omitempty"` // for segment expressions: where parsing failed
	Caret  string `json:"caret,omitempty"`  // the expression with a caret under the column
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// langOf is the language the request prefers: English when its
// Accept-Language names en before zh, else Chinese (the console's).
func langOf(r *http.Request) fault.Lang {
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag := strings.ToLower(strings.TrimSpace(part))
		switch {
		case strings.HasPrefix(tag, "zh"):
			return fault.Chinese
		case strings.HasPrefix(tag, "en"):
			return fault.English
		}
	}
	return fault.Chinese
}

// writeError answers err: a refusal (not found 404, conflict 409, invalid
// 400; a segment expression's mistake 400 with its column) with the
// sentence fault.Explain makes of it, anything else 500 with a generic
// sentence. The wrapped chain is logged, never returned.
func (s *server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	lang := langOf(r)
	msg, refusal := fault.Explain(err, lang)
	p := Problem{Error: msg}
	var pe *segments.Error
	status := http.StatusInternalServerError
	switch {
	case errors.As(err, &pe):
		status, p.Code, p.Column, p.Caret = http.StatusBadRequest, "invalid", pe.Col, pe.Pretty()
	case !refusal:
		p.Code = "internal"
	case errors.Is(err, fault.ErrNotFound):
		status, p.Code = http.StatusNotFound, "not_found"
	case errors.Is(err, fault.ErrConflict):
		status, p.Code = http.StatusConflict, "conflict"
	default:
		status, p.Code = http.StatusBadRequest, "invalid"
	}
	if status == http.StatusInternalServerError {
		s.cfg.Log.ErrorContext(r.Context(), "api_error", "path", r.URL.Path, "err", err)
	} else {
		s.cfg.Log.DebugContext(r.Context(), "api_refused", "path", r.URL.Path, "status", status, "err", err)
	}
	writeJSON(w, status, p)
}

// badRequest is a refusal of the request as written; en and zh are
// formats that share args.
func badRequest(en, zh string, args ...any) error {
	return fault.Refuse(fault.ErrInvalid, fmt.Sprintf(en, args...), fmt.Sprintf(zh, args...), nil)
}
