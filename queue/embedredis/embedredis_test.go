package embedredis_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/gridcast/gridcast/queue/embedredis"
)

// A key set to expire does expire in real time, as on a real Redis.
func TestTTLsRunOut(t *testing.T) {
	defer goleak.VerifyNone(t)
	r, err := embedredis.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rdb := redis.NewClient(&redis.Options{Addr: r.Addr()})
	defer rdb.Close()
	ctx := context.Background()
	if err := rdb.Set(ctx, "paused:sms", "1", 300*time.Millisecond).Err(); err != nil {
		t.Fatal(err)
	}
	if n, _ := rdb.Exists(ctx, "paused:sms").Result(); n != 1 {
		t.Fatal("key missing right after SET")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		n, err := rdb.Exists(ctx, "paused:sms").Result()
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("a 300 ms TTL had not run out after 5 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
