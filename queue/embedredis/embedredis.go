// Package embedredis is the in-process Redis of GridCast's embedded default
// (redis.addr empty): miniredis, with its clock kept running. miniredis
// never lets a key's TTL run out by itself — time only moves when told —
// so without this a channel paused for ten minutes, an ambiguous-send
// marker or an Asynq lease would never expire. Trial use only: nothing
// survives the process.
package embedredis

import (
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
)

// Redis is a running in-process Redis. Close stops it.
type Redis struct {
	mr   *miniredis.Miniredis
	stop chan struct{}
	done sync.WaitGroup
}

// tick is how often TTLs are advanced to the wall clock.
const tick = 100 * time.Millisecond

// Start starts a Redis on a free loopback port.
func Start() (*Redis, error) {
	mr := miniredis.NewMiniRedis()
	if err := mr.Start(); err != nil {
		return nil, err
	}
	r := &Redis{mr: mr, stop: make(chan struct{})}
	r.done.Add(1)
	go r.run()
	return r, nil
}

func (r *Redis) run() {
	defer r.done.Done()
	t := time.NewTicker(tick)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-r.stop:
			return
		case now := <-t.C:
			r.mr.FastForward(now.Sub(last))
			r.mr.SetTime(now)
			last = now
		}
	}
}

// Addr is the host:port clients connect to.
func (r *Redis) Addr() string { return r.mr.Addr() }

// Close stops the clock and the server. It is safe to call once.
func (r *Redis) Close() {
	close(r.stop)
	r.done.Wait()
	r.mr.Close()
}
