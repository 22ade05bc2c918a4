package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/gateway/aliyunsms"
	"github.com/gridcast/gridcast/gateway/sandbox"
	"github.com/gridcast/gridcast/gateway/wechat"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/queue/embedredis"
)

// runtime holds the long-lived parts a server, worker or demo needs beyond
// the store: Redis, the provider clients and, in sandbox mode, the
// in-process emulators. close releases them in reverse order.
type runtime struct {
	rdb     redis.UniversalClient
	sms     *aliyunsms.Client
	wx      *wechat.Client
	sandbox *sandbox.Sandbox
	closers []func()
}

func (rt *runtime) close() {
	for i := len(rt.closers) - 1; i >= 0; i-- {
		rt.closers[i]()
	}
}

// openRedis connects to the configured Redis — one server, a Sentinel
// group (a failover client that follows the master) or a Redis Cluster —
// or starts an in-process Redis when none is configured (trial use only:
// nothing survives the process).
func (a *app) openRedis(ctx context.Context, rt *runtime) error {
	rc := a.cfg.Redis
	opts := &redis.UniversalOptions{Password: rc.Password, DB: rc.DB}
	where := rc.Addr
	switch rc.mode() {
	case "embedded":
		mr, err := embedredis.Start()
		if err != nil {
			return fmt.Errorf("embedded redis: %w", err)
		}
		rt.closers = append(rt.closers, mr.Close)
		where = mr.Addr()
		opts.Addrs = []string{where}
		a.log.WarnContext(ctx, "embedded_redis", "addr", where, "hint", "trial use only: queued work is lost when the process stops (the store rebuilds it); set redis.addr for production")
	case "single":
		opts.Addrs = []string{rc.Addr}
	case "sentinel":
		opts.MasterName, opts.Addrs, opts.SentinelPassword = rc.SentinelMaster, rc.SentinelAddrs, rc.SentinelPassword
		// Commands wait out a failover (Sentinel's down-after plus the
		// election, a few seconds) instead of failing: Asynq cannot
		// retry a task's status write that failed, and the task would
		// then sit active until its lease expires.
		opts.MaxRetries, opts.MaxRetryBackoff = 12, time.Second
		where = "sentinel " + rc.SentinelMaster + " via " + strings.Join(rc.SentinelAddrs, ",")
	case "cluster":
		opts.Addrs, opts.IsClusterMode = rc.ClusterAddrs, true
		where = "cluster " + strings.Join(rc.ClusterAddrs, ",")
	}
	rdb := redis.NewUniversalClient(opts)
	rt.closers = append(rt.closers, func() { _ = rdb.Close() })
	if err := rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis %s: %w", where, err)
	}
	rt.rdb = rdb
	return nil
}

// openProviders builds the SMS and WeChat clients. In sandbox mode it first
// starts the emulators on a loopback port, pushing to callbackBase, and points
// the real SDKs at them.
func (a *app) openProviders(ctx context.Context, rt *runtime, callbackBase string) error {
	smsCfg, wxCfg := a.cfg.providerConfigs()
	if a.cfg.Sandbox {
		sb := a.newSandbox(callbackBase)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			sb.Close()
			return fmt.Errorf("sandbox: %w", err)
		}
		srv := &http.Server{Handler: sb, ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		rt.closers = append(rt.closers, sb.Close, func() { _ = srv.Close() })
		rt.sandbox = sb
		smsCfg.Endpoint, smsCfg.Scheme = ln.Addr().String(), "http"
		wxCfg.BaseURL = "http://" + ln.Addr().String()
		a.log.InfoContext(ctx, "sandbox_started", "addr", ln.Addr().String(), "hint", "messages go to the built-in emulators, not to real providers")
	}
	sms, err := aliyunsms.New(smsCfg, a.log)
	if err != nil {
		return err
	}
	rt.closers = append(rt.closers, sms.Close)
	rt.sms = sms
	wx, err := wechat.New(wxCfg, rt.rdb, a.log)
	if err != nil {
		return err
	}
	rt.wx = wx
	return nil
}

// templateStore is where synced provider templates are kept.
type templateStore interface {
	SaveTemplates(ctx context.Context, ch population.Channel, ts []campaigns.Template, at time.Time) error
}

// syncTemplates fetches the approved (and rejected) templates of both
// providers into the store, so campaigns can be checked against them.
func syncTemplates(ctx context.Context, st templateStore, rt *runtime, now time.Time) (sms, wx int, err error) {
	smsT, err := rt.sms.Templates(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("sms templates: %w", err)
	}
	var out []campaigns.Template
	for _, t := range smsT {
		out = append(out, campaigns.Template{Code: t.Code, Content: t.Content, Approved: t.Approved, Channel: population.ChannelSMS})
	}
	if err := st.SaveTemplates(ctx, population.ChannelSMS, out, now); err != nil {
		return 0, 0, err
	}
	wxT, err := rt.wx.Templates(ctx)
	if err != nil {
		return len(out), 0, fmt.Errorf("wechat templates: %w", err)
	}
	var wout []campaigns.Template
	for _, t := range wxT {
		wout = append(wout, campaigns.Template{Code: t.ID, Content: t.Content, Approved: true, Channel: population.ChannelWeChat})
	}
	if err := st.SaveTemplates(ctx, population.ChannelWeChat, wout, now); err != nil {
		return len(out), 0, err
	}
	return len(out), len(wout), nil
}

// callbackBase is the URL the providers push to: this process's listener.
func callbackBase(addr string) string {
	if strings.HasPrefix(addr, ":") {
		addr = "127.0.0.1" + addr
	}
	return "http://" + addr
}
