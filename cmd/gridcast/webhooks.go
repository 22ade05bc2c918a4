package main

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gridcast/gridcast/gateway/aliyunsms"
	"github.com/gridcast/gridcast/metrics"
)

// pushReplayTTL is how long the Aliyun webhooks remember what they took.
// Aliyun pushes an unanswered push again for some hours (its documents
// give 1, 5 and 10 minutes, or up to ten tries over about six hours); a
// day covers that. A push replayed later is still ignored by the desk
// (an uplink's key is recorded for good) and by the ledger (a message only
// moves forward), only not counted as a duplicate.
const pushReplayTTL = 24 * time.Hour

// pushReplayPrefix prefixes the Redis keys of redisReplays.
const pushReplayPrefix = "gridcast:webhook:aliyun_sms:"

// redisReplays is aliyunsms.Replays in Redis, shared by every serve
// process: one key per uplink or report push, expiring after ttl.
type redisReplays struct {
	rdb redis.UniversalClient
	ttl time.Duration
}

var _ aliyunsms.Replays = redisReplays{}

// Seen implements aliyunsms.Replays.
func (r redisReplays) Seen(ctx context.Context, keys []string) ([]bool, error) {
	pipe := r.rdb.Pipeline()
	cmds := make([]*redis.IntCmd, len(keys))
	for i, k := range keys {
		cmds[i] = pipe.Exists(ctx, pushReplayPrefix+k)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("push replays: %w", err)
	}
	seen := make([]bool, len(keys))
	for i, c := range cmds {
		seen[i] = c.Val() > 0
	}
	return seen, nil
}

// Took implements aliyunsms.Replays.
func (r redisReplays) Took(ctx context.Context, keys []string) error {
	pipe := r.rdb.Pipeline()
	for _, k := range keys {
		pipe.Set(ctx, pushReplayPrefix+k, 1, r.ttl)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("push replays: %w", err)
	}
	return nil
}

// pushOptions are the options of Aliyun's webhook named webhook (report
// or uplink): the push token, the address allow-list behind the trusted
// proxies, the replays remembered in rdb, and their metrics.
func (a *app) pushOptions(rdb redis.UniversalClient, ms *metrics.Set, webhook string) (aliyunsms.PushOptions, error) {
	// Config.Validate has checked both lists; this names the key should a
	// caller have skipped it.
	allow, err := aliyunsms.ParseNetworks(a.cfg.AliyunSMS.PushAllow)
	if err != nil {
		return aliyunsms.PushOptions{}, fmt.Errorf("config: aliyun_sms.push_allow%w", err)
	}
	trusted, err := aliyunsms.ParseNetworks(a.cfg.HTTP.TrustedProxies)
	if err != nil {
		return aliyunsms.PushOptions{}, fmt.Errorf("config: http.trusted_proxies%w", err)
	}
	return aliyunsms.PushOptions{Log: a.log, Secret: a.cfg.AliyunSMS.PushToken, Allow: allow, TrustedProxies: trusted,
		Replays:    redisReplays{rdb: rdb, ttl: pushReplayTTL},
		Refused:    ms.WebhookRefused(metrics.ProviderAliyunSMS, webhook),
		Duplicates: ms.WebhookDuplicates(metrics.ProviderAliyunSMS, webhook)}, nil
}

// warnPushAllow warns of an allow-list that would refuse every push:
// with http.addr on this host only, pushes arrive through a proxy here,
// whose own address is the peer of each unless it is trusted.
func (a *app) warnPushAllow(ctx context.Context) {
	if len(a.cfg.AliyunSMS.PushAllow) > 0 && len(a.cfg.HTTP.TrustedProxies) == 0 && a.cfg.HTTP.loopback() {
		a.log.WarnContext(ctx, "push_allow_behind_proxy", "addr", a.cfg.HTTP.Addr,
			"hint", "aliyun_sms.push_allow is set and http.addr listens on this host only, so Aliyun's pushes come through a proxy: list the proxy in http.trusted_proxies, or every push is judged by the proxy's address")
	}
}
