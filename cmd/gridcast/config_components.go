package main

import (
	"path/filepath"
	"strings"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/gateway/aliyunsms"
	"github.com/gridcast/gridcast/gateway/wechat"
	"github.com/gridcast/gridcast/population/extsync"
	"github.com/gridcast/gridcast/queue"
	"github.com/gridcast/gridcast/retention"
	"github.com/gridcast/gridcast/store"
)

// The configuration file, turned into each component's own Config. serve,
// worker and the other commands build their parts from these, and
// Config.Validate runs each component's own validation on them, so that
// `config check` refuses exactly what the commands would.

// storeConfig is the system of record's configuration; an embedded SQLite
// store without store.dsn lives at DATA_DIR/gridcast.db.
func (c Config) storeConfig() store.Config {
	dsn := c.Store.DSN
	if c.Store.Driver == store.DriverSQLite && dsn == "" {
		dsn = filepath.Join(c.DataDir, "gridcast.db")
	}
	conns := c.Store.MaxConns
	if conns == 0 {
		conns = max(store.DefaultMaxConns, 2*c.Queue.Concurrency)
	}
	return store.Config{Driver: c.Store.Driver, DSN: dsn, MaxConns: conns}
}

// policy is the organisation's campaign rules.
func (c Config) policy() campaigns.Policy {
	return campaigns.Policy{
		ApprovalThreshold: c.Campaigns.ApprovalThreshold,
		Words:             campaigns.NewWordFilter(c.Campaigns.SensitiveWords),
		SignName:          c.AliyunSMS.SignName,
	}
}

// queueConfig is the queue's configuration: the campaigns section's rates,
// quiet hours and caps.
func (c Config) queueConfig() queue.Config {
	cc, qc := c.Campaigns, c.Queue
	tick := ""
	if qc.TickEvery > 0 {
		tick = "@every " + qc.TickEvery.String()
	}
	return queue.Config{
		SMSRate: cc.SMSRate, WeChatRate: cc.WeChatRate,
		QuietHours:  campaigns.QuietHours{Start: cc.QuietStart, End: cc.QuietEnd},
		Caps:        campaigns.Caps{PerDay: cc.CapPerDay, PerWeek: cc.CapPerWeek},
		Policy:      c.policy(),
		Concurrency: qc.Concurrency, MaxRetry: qc.MaxRetry, SendTimeout: qc.SendTimeout,
		SettleDelay: qc.SettleDelay, RecoverEvery: qc.RecoverEvery, ShutdownTimeout: qc.ShutdownTimeout,
		TickSpec: tick, Retention: c.retentionConfig(),
	}
}

// retentionConfig is the retention policy the daily purge and `gridcast
// retention run` apply (validated with the queue's configuration).
func (c Config) retentionConfig() retention.Config {
	r := c.Retention
	return retention.Config{Enabled: r.Enabled, MessageText: r.MessageText, Inbound: r.Inbound, Batch: r.Batch}
}

// queueKeys names, for each key of queue.Config's errors, the key of the
// file that sets it.
var queueKeys = strings.NewReplacer(
	"queue.quiet_hours.start", "campaigns.quiet_start",
	"queue.quiet_hours.end", "campaigns.quiet_end",
)

// providerConfigs are the provider clients' configurations as the file
// gives them (in sandbox mode openProviders points them at the in-process
// emulators).
func (c Config) providerConfigs() (aliyunsms.Config, wechat.Config) {
	return aliyunsms.Config{
			AccessKeyID: c.AliyunSMS.AccessKeyID, AccessKeySecret: c.AliyunSMS.AccessKeySecret,
			SignName: c.AliyunSMS.SignName, Endpoint: c.AliyunSMS.Endpoint, Scheme: c.AliyunSMS.Scheme,
		}, wechat.Config{AppID: c.WeChat.AppID, AppSecret: c.WeChat.AppSecret, Token: c.WeChat.Token,
			EncodingAESKey: c.WeChat.EncodingAESKey, BaseURL: c.WeChat.BaseURL}
}

// syncSources are the external population databases of sync.sources.
func (c Config) syncSources() []extsync.Config {
	var out []extsync.Config
	for _, s := range c.Sync.Sources {
		out = append(out, extsync.Config{
			Name: s.Name, Driver: s.Driver, DSN: s.DSN, Query: s.Query, Mapping: s.Mapping,
			UpdatedAtColumn: s.UpdatedAtColumn, KeyColumn: s.KeyColumn, BatchSize: s.BatchSize, Interval: s.Interval,
		})
	}
	return out
}
