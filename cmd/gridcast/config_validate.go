package main

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/gridcast/gridcast/gateway/aliyunsms"
	"github.com/gridcast/gridcast/population/extsync"
)

// Validate joins every problem, each naming its key.
func (c Config) Validate() error {
	var errs []error
	bad := func(key, format string, a ...any) {
		errs = append(errs, fmt.Errorf("config: %s: %s", key, fmt.Sprintf(format, a...)))
	}
	if c.Store.Driver == "postgres" && c.Security.PIIKey == "" && c.Security.PIIKeyFile == "" {
		bad("security.pii_key", "required when store.driver is postgres, so every process seals ID numbers with the same key (generate one with `gridcast keygen`)")
	}
	if c.DataDir == "" {
		bad("data_dir", "must not be empty")
	}
	if c.HTTP.Addr == "" {
		bad("http.addr", "must not be empty (e.g. 127.0.0.1:8080)")
	}
	if err := c.HTTP.movedAPIUsers(); err != nil {
		errs = append(errs, fmt.Errorf("config: %w", err))
	}
	seen := map[string]int{}
	for i, d := range c.Departments {
		key := fmt.Sprintf("departments[%d]", i)
		switch j, dup := seen[d.Code]; {
		case strings.TrimSpace(d.Code) == "" || strings.ContainsAny(d.Code, " \t,"):
			bad(key+".code", "%q: want a code without spaces or commas, e.g. chengguan", d.Code)
		case dup:
			bad(key+".code", "%q is departments[%d]'s code too", d.Code, j)
		}
		seen[d.Code] = i
		if strings.TrimSpace(d.Name) == "" {
			bad(key+".name", "required: the department's name, e.g. 城管")
		}
	}
	if c.Redis.DB < 0 || c.Redis.DB > 15 {
		bad("redis.db", "%d is not between 0 and 15", c.Redis.DB)
	}
	c.validateRedis(bad)
	c.validateProviders(bad)
	c.HTTP.Login.validate(bad)
	for _, nets := range []struct {
		key  string
		list []string
	}{{"http.trusted_proxies", c.HTTP.TrustedProxies}, {"aliyun_sms.push_allow", c.AliyunSMS.PushAllow}} {
		_, err := aliyunsms.ParseNetworks(nets.list)
		for _, e := range leafErrors(err) {
			errs = append(errs, fmt.Errorf("config: %s%w", nets.key, e))
		}
	}
	if t := c.Queue.TickEvery; t != 0 && t < time.Second {
		bad("queue.tick_every", "%s: want at least 1s (0 for the default, 1m)", t)
	}
	if c.Worker.Addr != "" {
		if _, _, err := net.SplitHostPort(c.Worker.Addr); err != nil {
			bad("worker.addr", "%q: want host:port (e.g. 127.0.0.1:9101)", c.Worker.Addr)
		} else if c.Worker.Addr == c.HTTP.Addr {
			bad("worker.addr", "%s is http.addr too: serve listens there; give each worker an address of its own", c.Worker.Addr)
		}
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "%q is not debug, info, warn or error", c.Log.Level)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		bad("log.format", "%q is not text or json", c.Log.Format)
	}
	if c.Security.PIIKey != "" && c.Security.PIIKeyFile != "" {
		bad("security.pii_key_file", "set either security.pii_key or security.pii_key_file, not both")
	}
	// The components' own checks, on the configurations the commands hand
	// them.
	smsCfg, wxCfg := c.providerConfigs()
	for _, err := range []error{c.storeConfig().Validate(), smsCfg.Validate(), wxCfg.Validate(),
		extsync.ValidateSources(c.syncSources())} {
		for _, e := range leafErrors(err) {
			errs = append(errs, fmt.Errorf("config: %w", e))
		}
	}
	for _, e := range leafErrors(c.queueConfig().Validate()) {
		errs = append(errs, fmt.Errorf("config: %s", queueKeys.Replace(e.Error())))
	}
	cal, err := c.Calendar.calendar(nil)
	for _, e := range leafErrors(err) {
		errs = append(errs, fmt.Errorf("config: calendar.%w", e))
	}
	if _, err := c.Tickets.desk(cal); err != nil {
		for _, e := range leafErrors(err) {
			errs = append(errs, fmt.Errorf("config: tickets.%w", e))
		}
	}
	errs = append(errs, leafErrors(c.validateBlob())...)
	errs = append(errs, c.validateRoutes()...)
	for _, e := range leafErrors(c.Visits.Validate()) {
		errs = append(errs, fmt.Errorf("config: visits.%w", e))
	}
	for _, e := range leafErrors(c.Assessment.Validate()) {
		errs = append(errs, fmt.Errorf("config: assessment.%w", e))
	}
	return errors.Join(errs...)
}

// validateRedis checks that one Redis setup is named, completely.
func (c Config) validateRedis(bad func(key, format string, a ...any)) {
	r := c.Redis
	set := 0
	for _, on := range []bool{r.Addr != "", r.SentinelMaster != "" || len(r.SentinelAddrs) > 0, len(r.ClusterAddrs) > 0} {
		if on {
			set++
		}
	}
	if set > 1 {
		bad("redis", "set one of redis.addr, redis.sentinel_master with redis.sentinel_addrs, or redis.cluster_addrs")
	}
	if r.mode() == "sentinel" {
		if r.SentinelMaster == "" {
			bad("redis.sentinel_master", "required with redis.sentinel_addrs: the master's name the sentinels monitor")
		}
		if len(r.SentinelAddrs) == 0 {
			bad("redis.sentinel_addrs", "required with redis.sentinel_master: the sentinels' host:port list")
		}
	}
	for key, list := range map[string][]string{"redis.sentinel_addrs": r.SentinelAddrs, "redis.cluster_addrs": r.ClusterAddrs} {
		for i, a := range list {
			if _, _, err := net.SplitHostPort(a); err != nil {
				bad(fmt.Sprintf("%s[%d]", key, i), "%q: want host:port", a)
			}
		}
	}
	if r.mode() == "cluster" && r.DB != 0 {
		bad("redis.db", "must be 0 with redis.cluster_addrs (a cluster has one database)")
	}
}

// validateProviders checks where the provider clients go. Plain http is
// for a sandbox on this host or a private network; outside sandbox mode the
// sandbox account's credentials must not go to a real provider.
func (c Config) validateProviders(bad func(key, format string, a ...any)) {
	// The clients check the form of scheme and base URL; here, where they
	// may go.
	if strings.EqualFold(c.AliyunSMS.Scheme, "http") && !c.Sandbox && !privateHost(c.AliyunSMS.Endpoint) {
		bad("aliyun_sms.scheme", "http sends signed requests in clear: only for a sandbox on this host or a private network, not %s", c.AliyunSMS.Endpoint)
	}
	if u, err := url.Parse(c.WeChat.BaseURL); err == nil && u.Scheme == "http" && !c.Sandbox && !privateHost(u.Host) {
		bad("wechat.base_url", "plain http only for a sandbox on this host or a private network, not %s", u.Host)
	}
	if c.Sandbox {
		return
	}
	if c.WeChat.BaseURL == "" && c.WeChat.AppID == sandboxAppID {
		bad("wechat.app_id", "%s is the sandbox account: set the official account's AppID, or point wechat.base_url at a `gridcast sandbox`", sandboxAppID)
	}
	if !privateHost(c.AliyunSMS.Endpoint) && c.AliyunSMS.AccessKeyID == sandboxAccessKeyID {
		bad("aliyun_sms.access_key_id", "%s is the sandbox account: set a RAM user's AccessKey, or point aliyun_sms.endpoint at a `gridcast sandbox`", sandboxAccessKeyID)
	}
}

// privateHost reports whether host[:port] is this host or on a private
// network: a loopback or private address, or localhost.
func privateHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && (ip.Unmap().IsLoopback() || ip.Unmap().IsPrivate())
}

// leafErrors flattens nested errors.Join results, so that each problem
// gets its own line and key prefix.
func leafErrors(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, leafErrors(e)...)
		}
		return out
	}
	if err == nil {
		return nil
	}
	return []error{err}
}
