package wechat

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/silenceper/wechat/v2/cache"
)

// redisCache implements silenceper's cache.Cache (and cache.ContextCache)
// on go-redis v9; the SDK's own Redis cache is go-redis v8 and its memory
// cache is racy. Get returns a string on a hit and an untyped nil on a miss
// or an error, as the SDK's token code requires (anything else panics
// there). Safe for concurrent use.
type redisCache struct {
	rdb     redis.UniversalClient
	prefix  string
	timeout time.Duration // per call when the caller gives no context
}

var _ cache.ContextCache = (*redisCache)(nil)

func newRedisCache(rdb redis.UniversalClient, prefix string) *redisCache {
	return &redisCache{rdb: rdb, prefix: prefix, timeout: 3 * time.Second}
}

func (c *redisCache) bg() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), c.timeout)
}

// Get implements cache.Cache.
func (c *redisCache) Get(key string) interface{} {
	ctx, cancel := c.bg()
	defer cancel()
	return c.GetContext(ctx, key)
}

// GetContext implements cache.ContextCache.
func (c *redisCache) GetContext(ctx context.Context, key string) interface{} {
	v, err := c.rdb.Get(ctx, c.prefix+key).Result()
	if err != nil {
		// A miss, or Redis is down: either way the SDK fetches a token.
		return nil
	}
	return v
}

// Set implements cache.Cache.
func (c *redisCache) Set(key string, val interface{}, timeout time.Duration) error {
	ctx, cancel := c.bg()
	defer cancel()
	return c.SetContext(ctx, key, val, timeout)
}

// SetContext implements cache.ContextCache. A non-positive timeout (the SDK
// subtracts a safety margin from expires_in, which can go negative for
// short-lived tokens) is stored for one second rather than forever.
func (c *redisCache) SetContext(ctx context.Context, key string, val interface{}, timeout time.Duration) error {
	s, ok := val.(string)
	if !ok {
		return fmt.Errorf("wechat: cache: value for %q is %T, want string", key, val)
	}
	if timeout <= 0 {
		timeout = time.Second
	}
	if err := c.rdb.Set(ctx, c.prefix+key, s, timeout).Err(); err != nil {
		return fmt.Errorf("wechat: cache set: %w", err)
	}
	return nil
}

// IsExist implements cache.Cache.
func (c *redisCache) IsExist(key string) bool {
	ctx, cancel := c.bg()
	defer cancel()
	return c.IsExistContext(ctx, key)
}

// IsExistContext implements cache.ContextCache.
func (c *redisCache) IsExistContext(ctx context.Context, key string) bool {
	n, err := c.rdb.Exists(ctx, c.prefix+key).Result()
	return err == nil && n > 0
}

// Delete implements cache.Cache.
func (c *redisCache) Delete(key string) error {
	ctx, cancel := c.bg()
	defer cancel()
	return c.DeleteContext(ctx, key)
}

// DeleteContext implements cache.ContextCache.
func (c *redisCache) DeleteContext(ctx context.Context, key string) error {
	if err := c.rdb.Del(ctx, c.prefix+key).Err(); err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("wechat: cache delete: %w", err)
	}
	return nil
}
