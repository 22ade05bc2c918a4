package wechat

// One access token for every process of the account: who refreshes it when
// WeChat rejects it, and how the others wait.

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/silenceper/wechat/v2/credential"

	"github.com/gridcast/gridcast/gateway"
)

// MinTokenRefreshInterval is the least time between two forced access-token
// refreshes of the account by any of its processes: the time of the last
// one is kept in Redis. WeChat allows a forced stable_token refresh at most
// 30 s apart.
const MinTokenRefreshInterval = 30 * time.Second

// ForcedRefreshesPerDay is how many forced access-token refreshes WeChat
// allows an account per day (Asia/Shanghai). The processes of the account
// count them together in Redis; once they are spent, a rejected token is a
// Quota failure until midnight, as WeChat's own refusal (45009) would be.
const ForcedRefreshesPerDay = 20

// DefaultRefreshWait is how long a call whose token was rejected waits for
// the process that holds the refresh lock to store a new token, before it
// gives up with a Retryable error.
const DefaultRefreshWait = 5 * time.Second

// Polling back-off of a call that waits for another process's refresh.
const (
	refreshPollMin = 20 * time.Millisecond
	refreshPollMax = 250 * time.Millisecond
)

// forcedStateTTL keeps the shared forced-refresh time and day count a day
// past the day they count.
const forcedStateTTL = 48 * time.Hour

// refreshLockTTL bounds how long the refresh lock is held: the holder makes
// at most two token calls of timeout each, and a crashed holder's lock
// expires after this.
func refreshLockTTL(timeout time.Duration) time.Duration {
	return 2*timeout + 5*time.Second
}

// tokenKeys are the account's shared refresh state in Redis. The braces are
// a Redis Cluster hash tag, so the reservation script's keys share a slot.
type tokenKeys struct {
	lock     string // the refresh lock: SET NX PX, value the holder's id
	forcedAt string // the last forced refresh, Unix ms by the holder's clock
	forcedOn string // prefix of the per-day count of forced refreshes
}

func newTokenKeys(appID string) tokenKeys {
	tag := "{" + appID + "}"
	return tokenKeys{
		lock:     "gridcast:wechat:token_refresh_lock:" + tag,
		forcedAt: "gridcast:wechat:token_forced_at:" + tag,
		forcedOn: "gridcast:wechat:token_forced:" + tag + ":",
	}
}

// forcedDay is the key that counts the forced refreshes on now's day in
// Asia/Shanghai, where WeChat's daily limits reset.
func (k tokenKeys) forcedDay(now time.Time) string {
	return k.forcedOn + now.In(shanghai).Format("20060102")
}

// releaseLock deletes a lock only while it holds the caller's id: a holder
// that outlived its lock must not release the next holder's.
var releaseLock = redis.NewScript(`if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) end return 0`)

// reserveForced atomically admits one forced refresh across processes.
// KEYS: last forced time, today's count. ARGV: now (Unix ms), the least
// interval (ms), the daily limit, the keys' TTL (ms). Returns {0, count}
// when admitted, {1, ms to wait} when the last one is too recent, {2,
// count} when the day's limit is spent.
var reserveForced = redis.NewScript(`
local now = tonumber(ARGV[1])
local last = tonumber(redis.call("get", KEYS[1]) or "0")
if last > 0 and now - last < tonumber(ARGV[2]) then
  return {1, tonumber(ARGV[2]) - (now - last)}
end
local n = tonumber(redis.call("get", KEYS[2]) or "0")
if n >= tonumber(ARGV[3]) then
  return {2, n}
end
redis.call("set", KEYS[2], n + 1, "px", ARGV[4])
redis.call("set", KEYS[1], ARGV[1], "px", ARGV[4])
return {0, n + 1}
`)

// refreshToken returns once the account's cached token is no longer
// rejected, the token WeChat refused with code, so that the caller retries
// once. It is safe for concurrent use by the goroutines and processes of
// one account.
//
// At most one caller, in any process of the account, refreshes at a time:
// the one that takes the account's refresh lock in Redis (see
// refreshLocked). The others poll the cached token with a short back-off
// until another token is there; if the lock is free again and the token is
// still the rejected one (the holder failed or crashed and its lock
// expired), a waiter takes the lock itself. After refreshWait a waiter gives
// up with a Retryable error whose RetryAfter is the lock's remaining time.
func (c *Client) refreshToken(ctx context.Context, rejected string, code int) error {
	deadline := time.NewTimer(c.refreshWait)
	defer deadline.Stop()
	pause := refreshPollMin
	for {
		if c.tokenReplaced(ctx, rejected) {
			return nil
		}
		owner, err := c.lockRefresh(ctx, c.lockTTL)
		if err != nil {
			return err
		}
		if owner != "" {
			return c.refreshLocked(ctx, owner, rejected, code)
		}
		poll := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			poll.Stop()
			return transportError(fmt.Errorf("wechat: wait for the access-token refresh: %w", ctx.Err()))
		case <-deadline.C:
			poll.Stop()
			return c.refreshPending(ctx, code)
		case <-poll.C:
		}
		pause = min(2*pause, refreshPollMax)
	}
}

// tokenReplaced reports whether the cache holds a token other than
// rejected. A Redis error reads as "not replaced": the lock reports it.
func (c *Client) tokenReplaced(ctx context.Context, rejected string) bool {
	cur, _ := c.cache.GetContext(ctx, c.tokenKey).(string)
	return cur != "" && cur != rejected
}

// lockRefresh takes the account's refresh lock for ttl and returns the id
// that releases it, or "" if another caller holds it.
func (c *Client) lockRefresh(ctx context.Context, ttl time.Duration) (string, error) {
	owner := rand.Text()
	ok, err := c.rdb.SetNX(ctx, c.keys.lock, owner, ttl).Result()
	if err != nil {
		return "", transportError(fmt.Errorf("wechat: access-token refresh lock: %w", err))
	}
	if !ok {
		return "", nil
	}
	return owner, nil
}

// unlockRefresh releases the refresh lock if owner still holds it. It runs
// even when ctx is done: an unreleased lock blocks refreshes until it
// expires.
func (c *Client) unlockRefresh(ctx context.Context, owner string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.cache.timeout)
	defer cancel()
	if err := releaseLock.Run(ctx, c.rdb, []string{c.keys.lock}, owner).Err(); err != nil {
		c.log.WarnContext(ctx, "wechat_token_lock_release_failed", "err", err)
	}
}

// refreshLocked runs under the refresh lock. Another process may already
// have stored a new token; if not, it asks stable_token, which hands out the
// account's current token (a new one once the old expired). Only if WeChat
// hands back the very token it rejected does it force a refresh, within
// MinTokenRefreshInterval and ForcedRefreshesPerDay counted in Redis.
func (c *Client) refreshLocked(ctx context.Context, owner, rejected string, code int) error {
	defer c.unlockRefresh(ctx, owner)
	// Work no longer than the lock lasts, so no second holder overlaps.
	ctx, cancel := context.WithTimeout(ctx, c.lockTTL)
	defer cancel()
	if c.tokenReplaced(ctx, rejected) {
		return nil
	}
	res, err := c.stable.GetAccessTokenDirectly(ctx, false)
	if err != nil {
		return c.stableError("fetch access token", res, err)
	}
	if res.AccessToken != rejected {
		return c.storeToken(ctx, res, code, false)
	}
	if err := c.reserveForcedRefresh(ctx, code); err != nil {
		return err
	}
	res, err = c.stable.GetAccessTokenDirectly(ctx, true)
	if err != nil {
		return c.stableError("force token refresh", res, err)
	}
	return c.storeToken(ctx, res, code, true)
}

// reserveForcedRefresh admits one forced refresh for the whole account or
// says why not: Retryable until MinTokenRefreshInterval has passed since
// the last one, Quota until midnight when the day's ForcedRefreshesPerDay
// are spent.
func (c *Client) reserveForcedRefresh(ctx context.Context, code int) error {
	now := c.now()
	r, err := reserveForced.Run(ctx, c.rdb, []string{c.keys.forcedAt, c.keys.forcedDay(now)},
		now.UnixMilli(), MinTokenRefreshInterval.Milliseconds(), ForcedRefreshesPerDay, forcedStateTTL.Milliseconds()).Int64Slice()
	if err == nil && len(r) != 2 {
		err = fmt.Errorf("unexpected reply %v", r)
	}
	if err != nil {
		return transportError(fmt.Errorf("wechat: reserve a forced token refresh: %w", err))
	}
	switch r[0] {
	case 1:
		return &gateway.SendError{Channel: Channel, Code: strconv.Itoa(code), Class: gateway.Retryable,
			Message: "access token rejected; the account's last forced refresh was too recent", RetryAfter: time.Duration(r[1]) * time.Millisecond}
	case 2:
		c.log.WarnContext(ctx, "wechat_token_refresh_limit", "reason", code, "forced_today", r[1])
		return &gateway.SendError{Channel: Channel, Code: strconv.Itoa(code), Class: gateway.Quota,
			Message:    fmt.Sprintf("access token rejected; the %d forced refreshes WeChat allows a day are spent", ForcedRefreshesPerDay),
			RetryAfter: untilShanghaiMidnight(now)}
	}
	return nil
}

// storeToken caches a token from stable_token for every process, with the
// SDK's margin of 300 s before WeChat's expiry.
func (c *Client) storeToken(ctx context.Context, res credential.ResAccessToken, code int, forced bool) error {
	if res.AccessToken == "" {
		return transportError(errors.New("wechat: stable_token returned no access token"))
	}
	ttl := time.Duration(res.ExpiresIn-300) * time.Second
	if err := c.cache.SetContext(ctx, c.tokenKey, res.AccessToken, ttl); err != nil {
		return transportError(err)
	}
	c.log.InfoContext(ctx, "wechat_token_refreshed", "reason", code, "forced", forced)
	return nil
}

// stableError turns a failed stable_token call into a SendError.
func (c *Client) stableError(op string, res credential.ResAccessToken, err error) error {
	if res.ErrCode != 0 {
		return apiError(int(res.ErrCode), res.ErrMsg, c.now())
	}
	return transportError(fmt.Errorf("wechat: %s: %w", op, redact(err)))
}

// refreshPending is a waiter's answer when no new token came in time.
func (c *Client) refreshPending(ctx context.Context, code int) error {
	wait := c.refreshWait
	if ttl, err := c.rdb.PTTL(ctx, c.keys.lock).Result(); err == nil && ttl > 0 {
		wait = ttl
	}
	c.log.InfoContext(ctx, "wechat_token_refresh_pending", "reason", code, "retry_after", wait)
	return &gateway.SendError{Channel: Channel, Code: strconv.Itoa(code), Class: gateway.Retryable,
		Message: "access token rejected; another process is refreshing it", RetryAfter: wait}
}
