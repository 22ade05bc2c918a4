package main

import (
	"slices"
	"testing"
	"time"
)

// The Aliyun webhooks' memory of what they took lives in Redis, shared by
// every serve process, and forgets after its TTL.
func TestRedisReplays(t *testing.T) {
	_, rdb := testRedisEnv(t)
	ctx := t.Context()
	suffix := time.Now().Format("150405.000000000")
	keys := []string{"up:7" + suffix, "report:ab" + suffix, "up:8" + suffix}
	t.Cleanup(func() {
		for _, k := range keys {
			rdb.Del(ctx, pushReplayPrefix+k)
		}
	})
	r := redisReplays{rdb: rdb, ttl: time.Hour}
	seen, err := r.Seen(ctx, keys)
	if err != nil || !slices.Equal(seen, []bool{false, false, false}) {
		t.Fatalf("Seen before = %v, %v; want none", seen, err)
	}
	if err := r.Took(ctx, keys[:2]); err != nil {
		t.Fatal(err)
	}
	seen, err = r.Seen(ctx, keys)
	if err != nil || !slices.Equal(seen, []bool{true, true, false}) {
		t.Errorf("Seen after = %v, %v; want the two taken", seen, err)
	}
	if ttl := rdb.TTL(ctx, pushReplayPrefix+keys[0]).Val(); ttl <= 0 || ttl > time.Hour {
		t.Errorf("TTL %s, want at most an hour", ttl)
	}
	if seen, err := r.Seen(ctx, nil); err != nil || len(seen) != 0 {
		t.Errorf("Seen(nil) = %v, %v", seen, err)
	}
}
