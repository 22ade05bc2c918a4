package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"

	"github.com/gridcast/gridcast/api"
	"github.com/gridcast/gridcast/assessment"
	"github.com/gridcast/gridcast/console"
	"github.com/gridcast/gridcast/desk"
	"github.com/gridcast/gridcast/gateway"
	"github.com/gridcast/gridcast/gateway/aliyunsms"
	"github.com/gridcast/gridcast/gateway/wechat"
	"github.com/gridcast/gridcast/ledger"
	"github.com/gridcast/gridcast/metrics"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/queue"
	"github.com/gridcast/gridcast/queue/monitor"
	"github.com/gridcast/gridcast/retention"
	"github.com/gridcast/gridcast/store"
	"github.com/gridcast/gridcast/tickets"
)

func (a *app) serveCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Run the API, webhooks, health and metrics, and the queue workers",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.serve(cmd.Context(), true, true, nil)
		},
	}
}

func (a *app) workerCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "worker",
		Short: "Run the queue workers only (campaign fan-out, sends, receipts, scheduler)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.serve(cmd.Context(), false, true, nil)
		},
	}
}

// minPushToken is the shortest aliyun_sms.push_token serve accepts.
const minPushToken = 16

// checkPushToken refuses to serve Aliyun's webhooks outside sandbox mode
// without a push token: anyone who can reach them could otherwise opt
// residents out, open tickets and mark messages delivered.
func (a *app) checkPushToken(withHTTP bool) error {
	t := a.cfg.AliyunSMS.PushToken
	switch {
	case !withHTTP:
		return nil
	case t == "" && a.cfg.Sandbox:
		return nil
	case t == "":
		return fmt.Errorf("config: aliyun_sms.push_token: required to serve outside sandbox mode: Aliyun's pushes carry no signature, so the report and uplink URLs registered with Aliyun must carry a secret (https://HOST/aliyun/sms/report?token=TOKEN and …/aliyun/sms/up?token=TOKEN); generate one with `gridcast keygen --push-token`, at least %d characters", minPushToken)
	case len(t) < minPushToken:
		return fmt.Errorf("config: aliyun_sms.push_token: %d characters; want at least %d (generate one with `gridcast keygen --push-token`)", len(t), minPushToken)
	}
	return nil
}

// serving is what serve hands to its ready callback (the demo drives the
// story through it).
type serving struct {
	store    *store.Store
	rt       *runtime
	enqueuer *queue.Enqueuer
	desk     *desk.Service
	baseURL  string
}

// serve runs the HTTP server (when withHTTP) and the queue workers (when
// withWorkers) until ctx ends. ready, if set, runs once everything is up;
// serve returns when it returns.
func (a *app) serve(ctx context.Context, withHTTP, withWorkers bool, ready func(context.Context, serving) error) error {
	if err := a.checkPushToken(withHTTP); err != nil {
		return err
	}
	st, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	rt := &runtime{}
	defer rt.close()
	if err := a.openRedis(ctx, rt); err != nil {
		return err
	}
	// serve listens on http.addr; a worker serves nothing there (serve
	// does), only its own worker.addr when set, and an in-process sandbox
	// pushes to serve's webhooks.
	var ln net.Listener
	base := callbackBase(a.cfg.HTTP.Addr)
	addr, trialToken := a.cfg.HTTP.Addr, ""
	if withHTTP {
		// With no user in the store (the trial mode) the API has no
		// authentication: it listens on this host only and admits the
		// browser that opens a one-time login link.
		n, err := st.CountUsers(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			trialToken = api.NewTrialToken()
			if !a.cfg.HTTP.loopback() {
				_, port, _ := net.SplitHostPort(a.cfg.HTTP.Addr)
				addr = net.JoinHostPort("127.0.0.1", port)
				a.log.WarnContext(ctx, "trial_mode_loopback_only", "configured", a.cfg.HTTP.Addr, "listening", addr,
					"hint", "no user exists: serve listens on this host only until you create users (gridcast users create) and restart")
			}
		}
		if ln, err = net.Listen("tcp", addr); err != nil {
			return fmt.Errorf("http.addr %s: %w", addr, err)
		}
		defer ln.Close()
		base = callbackBase(ln.Addr().String())
	}
	if err := a.openProviders(ctx, rt, base); err != nil {
		return err
	}
	if rt.sandbox != nil {
		// The sandbox knows the residents bound on WeChat as followers,
		// so a trial delivers on WeChat, not only by SMS.
		if err := a.knowFollowers(ctx, st, rt.sandbox); err != nil {
			a.log.WarnContext(ctx, "sandbox_followers_failed", "err", err)
		}
	}
	qcfg := a.cfg.queueConfig()
	enq := queue.NewEnqueuer(rt.rdb, qcfg)
	defer enq.Close()
	dcfg, err := a.cfg.deskConfig(a.log)
	if err != nil {
		return err
	}
	a.warnProvisionalYears(ctx)
	// Photos of reported events and the media of residents' WeChat
	// images and voice, fetched on arrival by the workers.
	media, err := a.cfg.openMedia(ctx)
	if err != nil {
		return err
	}
	// One registry per process, served on /metrics by the API server or
	// the worker's worker.addr.
	reg := metrics.NewRegistry()
	ms, err := metrics.New(reg)
	if err != nil {
		return err
	}
	taskActions, err := metrics.NewTaskActions(reg)
	if err != nil {
		return err
	}
	desk, err := desk.New(dcfg, desk.Deps{Store: st, Dispatcher: enq, Log: a.log, Media: media, Fetcher: rt.wx, ObserveTask: taskActions.Observe})
	if err != nil {
		return err
	}
	if err := reg.Register(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "gridcast_media_missing_total",
		Help: "Residents' WeChat images and voice this process could not keep (recorded as missing attachments)."},
		func() float64 { return float64(desk.MediaMissing()) })); err != nil {
		return err
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 3)
	running := 0
	if withWorkers {
		srv, err := queue.NewServer(rt.rdb, qcfg, queue.Deps{Ledger: st, Audience: st, SMS: ms.SMS(rt.sms), WeChat: ms.WeChat(rt.wx),
			Desk: desk, Retention: st, Blobs: media, Observe: ms.ObserveMove}, a.log)
		if err != nil {
			return err
		}
		running++
		go func() { errc <- srv.Run(ctx) }()
	}
	if withHTTP {
		var sink gateway.Sink = enq
		if rt.sandbox != nil {
			// A resident's message that `gridcast sandbox say` pushed from
			// another process: the built-in emulator learns they wrote, as
			// WeChat would, so answers can use the customer-service window.
			sink = heardSink{Sink: enq, wx: rt.sandbox.WeChat}
		}
		// The figures every process would report alike come from serve.
		insp := asynq.NewInspectorFromRedisClient(rt.rdb) // shares rt.rdb: nothing to close
		if err := errors.Join(
			reg.Register(metrics.NewQueueCollector(insp, []string{queue.QueueCritical, queue.QueueDefault, queue.QueueBulk}, a.log)),
			reg.Register(metrics.NewTicketCollector(st, nil, a.log))); err != nil {
			return err
		}
		reportOpts, err := a.pushOptions(rt.rdb, ms, "report")
		if err != nil {
			return err
		}
		uplinkOpts, err := a.pushOptions(rt.rdb, ms, "uplink")
		if err != nil {
			return err
		}
		a.warnPushAllow(ctx)
		wxDuplicates := ms.WebhookDuplicates(metrics.ProviderWeChat, "callback")
		scorer, err := assessment.New(a.cfg.Assessment)
		if err != nil {
			return err
		}
		h, err := api.New(api.Config{
			Assessor:   assessment.Assessor{Scorer: scorer, Inputs: a.assessmentInputs(st, dcfg.Tickets.SLA)},
			Ledgers:    ledger.Builder{Source: st, OnTime: dcfg.Tickets.SLA.OnTime},
			Dashboard:  st,
			Deliveries: st,
			Users:      st,
			// Sign-in by name and password for the console.
			Sessions:      st,
			IdentityLinks: st,
			LoginPolicy:   a.cfg.HTTP.Login.policy(),
			LoginRate:     a.cfg.HTTP.Login.RatePerMinute,
			CookieSecure:  api.CookieSecurity(a.cfg.HTTP.Login.CookieSecure),
			TrialToken:    trialToken,
			Audit:         st,
			Eraser:        retention.Eraser{Store: st, Blobs: media, Log: a.log},
			Records:       st,
			Dispatch:      st,
			Supervision:   st,
			Visits:        st,
			VisitNorms:    a.cfg.Visits,
			Departments:   a.cfg.Departments,
			Segments:      st,
			Campaigns:     st,
			Tickets:       apiTickets{st},
			Desk:          desk,
			// An officer's test send: written on the ledger, sent by the queue.
			TestSender: testSender{Store: st, Enqueuer: enq},
			Policy:     a.cfg.policy(),
			Ready: func(ctx context.Context) error {
				return errors.Join(st.Ping(ctx), rt.rdb.Ping(ctx).Err())
			},
			WeChatCallback: wechat.NewCallbackHandler(
				wechat.Config{AppID: a.cfg.WeChat.AppID, Token: a.cfg.WeChat.Token, EncodingAESKey: a.cfg.WeChat.EncodingAESKey},
				wechat.ToSink(sink), wechat.CallbackOptions{Log: a.log, Refused: ms.WebhookRefused(metrics.ProviderWeChat, "callback"),
					Duplicate: func() { wxDuplicates(1) }}),
			SMSReport: aliyunsms.NewReportHandler(aliyunsms.ReportsTo(sink), reportOpts),
			SMSUplink: aliyunsms.NewUplinkHandler(aliyunsms.UplinksTo(sink), uplinkOpts),
			// The departments suggested per ticket category.
			DepartmentRoutes: a.cfg.routes(),
			// The Asynq queue UI, for officers.
			Queues:        monitor.Handler(rt.rdb, monitor.Prefix),
			ChannelPauses: func(ctx context.Context) ([]outbound.ChannelPause, error) { return queue.ChannelPauses(ctx, rt.rdb) },
			Kick:          enq.Tick,
			Registry:      reg,
			// The workers' web console: static files that call /api/v1.
			Extra: map[string]http.Handler{"GET " + console.Prefix: console.Handler()},
			Log:   a.log,
		})
		if err != nil {
			return err
		}
		hs := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second}
		running++
		go func() { errc <- serveUntilDone(ctx, hs, ln) }()
		a.log.InfoContext(ctx, "http_listening", "addr", ln.Addr().String())
		a.log.InfoContext(ctx, "console_serving", "url", base+console.Prefix)
		if trialToken != "" && ready == nil {
			// As notebook servers do: the link is the only way in, and
			// works once.
			fmt.Fprintf(a.stderr, "\nNo users exist yet: GridCast runs in its trial mode, on this host only.\n"+
				"Open this link once to sign in (it stops working after its first use):\n\n    %s/login?token=%s\n\n"+
				"Create users to leave the trial mode: gridcast users create NAME --role ROLE --grid CODE\n\n", base, trialToken)
		}
		a.log.InfoContext(ctx, "queue_ui_serving", "url", base+monitor.Prefix, "who", "officers")
	}
	if !withHTTP && a.cfg.Worker.Addr != "" {
		wln, err := net.Listen("tcp", a.cfg.Worker.Addr)
		if err != nil {
			return fmt.Errorf("worker.addr %s: %w", a.cfg.Worker.Addr, err)
		}
		hs := &http.Server{Handler: healthHandler(func(ctx context.Context) error {
			return errors.Join(st.Ping(ctx), rt.rdb.Ping(ctx).Err())
		}, reg), ReadHeaderTimeout: 5 * time.Second}
		running++
		go func() { errc <- serveUntilDone(ctx, hs, wln) }()
		a.log.InfoContext(ctx, "worker_health_listening", "addr", wln.Addr().String())
	}
	if ready != nil {
		err := ready(ctx, serving{store: st, rt: rt, enqueuer: enq, desk: desk, baseURL: base})
		cancel()
		for range running {
			<-errc
		}
		return err
	}
	var first error
	for range running {
		if err := <-errc; err != nil && first == nil && ctx.Err() == nil {
			first = err
			cancel()
		}
	}
	return first
}

// testSender is the API's TestSender: the store writes and reads the
// ledger, the queue's Enqueuer hands a message to the send path.
type testSender struct {
	*store.Store
	*queue.Enqueuer
}

var _ api.TestSender = testSender{}

// heardSink tells the in-process WeChat emulator that a follower wrote (as
// WeChat knows), then passes the message on.
type heardSink struct {
	gateway.Sink
	wx *wechat.Emulator
}

func (s heardSink) Inbound(ctx context.Context, in gateway.Inbound) error {
	if in.Channel == population.ChannelWeChat && in.Kind != gateway.InboundUnfollow {
		s.wx.Heard(in.From)
	}
	return s.Sink.Inbound(ctx, in)
}

// truncate keeps at most n runes of s, for message bodies in debug logs.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// apiTickets is the store as the ticket API reads it.
type apiTickets struct{ *store.Store }

var _ api.TicketStore = apiTickets{}

// ListTickets converts the API's filter, field for field.
func (s apiTickets) ListTickets(ctx context.Context, f api.TicketFilter) ([]tickets.Ticket, error) {
	return s.Tickets(ctx, store.TicketFilter(f))
}

// healthHandler is what a worker serves on worker.addr: /healthz (the
// process answers), /readyz (the store and Redis answer) and /metrics
// (reg).
func healthHandler(ready func(context.Context) error, reg prometheus.Gatherer) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"status":"ok"}`)
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if err := ready(r.Context()); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, `{"status":"unavailable"}`)
			return
		}
		_, _ = io.WriteString(w, `{"status":"ready"}`)
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	return mux
}
