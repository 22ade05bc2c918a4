package queue

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"

	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/population"
)

// Redis keys of the queue's own state, next to Asynq's.
const (
	keyRate  = "gridcast:queue:rate:"  // + channel: GCRA state (redis_rate adds its prefix)
	keyPause = "gridcast:queue:pause:" // + channel: set while a channel is paused
	// keyRecovered is set, with a TTL of Config.RecoverEvery, after the
	// ledger's pending work was re-enqueued; its absence (expired, or a
	// Redis flushed, restarted empty or failed over) starts the next.
	keyRecovered = "gridcast:queue:recovered"
)

// limits is the state shared by every worker of every process: the
// provider rate limits and channel pauses. Nothing the ledger needs lives
// here: an unknown send outcome is recorded on the message itself.
type limits struct {
	rdb   redis.UniversalClient
	rl    *redis_rate.Limiter
	rates map[population.Channel]int
}

func newLimits(rdb redis.UniversalClient, cfg Config) *limits {
	return &limits{rdb: rdb, rl: redis_rate.NewLimiter(rdb),
		rates: map[population.Channel]int{population.ChannelSMS: cfg.SMSRate, population.ChannelWeChat: cfg.WeChatRate}}
}

// allow takes one provider call from ch's shared budget. It returns zero
// when allowed, else how long to wait.
func (l *limits) allow(ctx context.Context, ch population.Channel) (time.Duration, error) {
	rate := l.rates[ch]
	if rate < 0 {
		return 0, nil
	}
	res, err := l.rl.Allow(ctx, keyRate+string(ch), redis_rate.PerSecond(rate))
	if err != nil {
		return 0, fmt.Errorf("queue: rate limit %s: %w", ch, err)
	}
	if res.Allowed > 0 {
		return 0, nil
	}
	return max(res.RetryAfter, 10*time.Millisecond), nil
}

// allowN takes up to n provider calls from ch's shared budget: it returns
// how many may go now and, when that is fewer than n, how long until the
// rest may.
func (l *limits) allowN(ctx context.Context, ch population.Channel, n int) (int, time.Duration, error) {
	rate := l.rates[ch]
	if rate < 0 || n == 0 {
		return n, 0, nil
	}
	res, err := l.rl.AllowAtMost(ctx, keyRate+string(ch), redis_rate.PerSecond(rate), n)
	if err != nil {
		return 0, 0, fmt.Errorf("queue: rate limit %s: %w", ch, err)
	}
	if res.Allowed >= n {
		return n, 0, nil
	}
	return res.Allowed, max(res.RetryAfter, 10*time.Millisecond), nil
}

// pause holds every send on ch for d.
func (l *limits) pause(ctx context.Context, ch population.Channel, d time.Duration, why string) error {
	if err := l.rdb.Set(ctx, keyPause+string(ch), why, d).Err(); err != nil {
		return fmt.Errorf("queue: pause %s: %w", ch, err)
	}
	return nil
}

// paused returns how long ch stays paused; zero when it is not.
func (l *limits) paused(ctx context.Context, ch population.Channel) (time.Duration, error) {
	return pauseLeft(ctx, l.rdb, ch)
}

// pauseLeft returns how long ch stays paused; zero when it is not.
func pauseLeft(ctx context.Context, rdb redis.UniversalClient, ch population.Channel) (time.Duration, error) {
	d, err := rdb.PTTL(ctx, keyPause+string(ch)).Result()
	if err != nil {
		return 0, fmt.Errorf("queue: pause %s: %w", ch, err)
	}
	if d < 0 { // -2 no key, -1 no TTL (never set so by us)
		return 0, nil
	}
	return d, nil
}

// workerCache remembers each grid's worker and name for a minute: every
// message of a grid needs them and they change rarely.
type workerCache struct {
	aud Audience
	mu  sync.Mutex
	m   map[string]gridInfo
}

type gridInfo struct {
	worker population.Worker
	name   string
	until  time.Time
}

const workerCacheTTL = time.Minute

func (w *workerCache) get(ctx context.Context, gridCode string) (population.Worker, string, error) {
	now := time.Now()
	w.mu.Lock()
	gi, ok := w.m[gridCode]
	w.mu.Unlock()
	if ok && now.Before(gi.until) {
		return gi.worker, gi.name, nil
	}
	wk, err := w.aud.WorkerForGrid(ctx, gridCode, population.RoleGridWorker)
	if err != nil && !errors.Is(err, fault.ErrNotFound) {
		return population.Worker{}, "", fmt.Errorf("queue: worker of grid %s: %w", gridCode, err)
	}
	g, err := w.aud.Grid(ctx, gridCode)
	if err != nil && !errors.Is(err, fault.ErrNotFound) {
		return population.Worker{}, "", fmt.Errorf("queue: grid %s: %w", gridCode, err)
	}
	w.mu.Lock()
	if w.m == nil {
		w.m = map[string]gridInfo{}
	}
	w.m[gridCode] = gridInfo{worker: wk, name: g.Name, until: now.Add(workerCacheTTL)}
	w.mu.Unlock()
	return wk, g.Name, nil
}
