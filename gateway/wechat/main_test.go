package wechat

import (
	"context"
	"encoding/base64"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/gridcast/gridcast/gateway/wechat/wechattest"
	"github.com/gridcast/gridcast/internal/testlog"
	"github.com/gridcast/gridcast/pii"
)

// silenceper/wechat's HTTP hooks are process-wide, so every Client in this
// test binary talks to one front server, which forwards to the emulator of
// the test that is running. Tests that use it therefore do not run in
// parallel; the callback and envelope tests do.
var front wechattest.Front

func TestMain(m *testing.M) { wechattest.Main(m, &front) }

const (
	testAppID  = "wx1234567890abcdef"
	testSecret = "app-secret-0123456789"
	testToken  = "callbackToken42"
	alice      = pii.OpenID("oAlice0123456789abcdefghijkl")
	bob        = pii.OpenID("oBob00123456789abcdefghijklm")
	carol      = pii.OpenID("oCarol123456789abcdefghijklm")
)

var testAESKey = base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789ABCDEF"))[:43]

var testTemplates = []Template{{
	ID: "TPL_NOTICE", Title: "政策通知", PrimaryIndustry: "政府与公共事业", DeputyIndustry: "政务",
	Content: "{{first.DATA}}\n事项：{{keyword1.DATA}}\n时间：{{keyword2.DATA}}\n{{remark.DATA}}",
	Example: "您好\n事项：就业培训\n时间：3月5日\n请准时参加",
}}

var testData = map[string]string{"first": "您好", "keyword1": "就业培训", "keyword2": "3月5日", "remark": "网格员 张*"}

// fakeClock is an injectable clock, safe for concurrent use.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock {
	return &fakeClock{t: time.Date(2025, 3, 1, 10, 0, 0, 0, shanghai)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type fixture struct {
	emu    *Emulator
	client *Client
	clock  *fakeClock
	rdb    *redis.Client
}

// install routes the front server to h for the rest of the test.
func install(t *testing.T, h http.Handler) {
	t.Helper()
	front.Install(t, h)
}

// newFixture starts an emulator (plaintext, followers alice and bob
// following, carol not) and a Client on miniredis pointed at it.
func newFixture(t *testing.T, mod func(*EmulatorConfig)) *fixture {
	t.Helper()
	clock := newClock()
	ecfg := EmulatorConfig{AppID: testAppID, AppSecret: testSecret, Token: testToken,
		Templates: testTemplates, Now: clock.Now}
	if mod != nil {
		mod(&ecfg)
	}
	emu := NewEmulator(ecfg, testlog.New(t))
	t.Cleanup(emu.Close)
	emu.SetFollower(Follower{OpenID: alice, Following: true})
	emu.SetFollower(Follower{OpenID: bob, Following: true})
	emu.SetFollower(Follower{OpenID: carol, Following: false})
	install(t, emu)
	c, rdb := newTestClient(t, clock, testSecret)
	return &fixture{emu: emu, clock: clock, client: c, rdb: rdb}
}

func newTestClient(t *testing.T, clock *fakeClock, secret string) (*Client, *redis.Client) {
	t.Helper()
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	c, err := New(Config{AppID: testAppID, AppSecret: secret, Token: testToken, BaseURL: front.URL, Timeout: 5 * time.Second}, rdb, testlog.New(t))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	c.now = clock.Now
	return c, rdb
}

// redisDB is this package's database on GRIDCAST_TEST_REDIS (queue's is 5).
const redisDB = 6

// sharedRedis is one Redis that several Clients share, as the processes of
// a deployment do.
type sharedRedis struct {
	opts *redis.Options
	mr   *miniredis.Miniredis // nil on a real Redis
}

// newSharedRedis returns GRIDCAST_TEST_REDIS (database redisDB) when set,
// fails under CI when it is not, and otherwise uses an in-process miniredis
// and says so. The database is not flushed: other runs (another worktree's,
// a -race run beside a plain one) may share it. Instead every key of a test
// carries the test's own AppID and is deleted when the test ends.
func newSharedRedis(t *testing.T, appID string) *sharedRedis {
	t.Helper()
	if addr := os.Getenv("GRIDCAST_TEST_REDIS"); addr != "" {
		s := &sharedRedis{opts: &redis.Options{Addr: addr, DB: redisDB}}
		rdb := s.client(t)
		if err := rdb.Ping(t.Context()).Err(); err != nil {
			t.Fatalf("GRIDCAST_TEST_REDIS=%s: %v", addr, err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			keys, err := rdb.Keys(ctx, "*"+appID+"*").Result()
			if err == nil && len(keys) > 0 {
				err = rdb.Del(ctx, keys...).Err()
			}
			if err != nil {
				t.Errorf("delete the test's keys: %v", err)
			}
		})
		return s
	}
	if os.Getenv("CI") != "" {
		t.Fatal("GRIDCAST_TEST_REDIS is unset under CI")
	}
	t.Log("GRIDCAST_TEST_REDIS unset: using in-process miniredis (set it to test against real Redis)")
	mr := miniredis.RunT(t)
	return &sharedRedis{opts: &redis.Options{Addr: mr.Addr()}, mr: mr}
}

// client opens a connection of its own, as one process would.
func (s *sharedRedis) client(t *testing.T) *redis.Client {
	t.Helper()
	rdb := redis.NewClient(s.opts)
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// expireNow makes key's TTL run out, as if its time had passed: miniredis's
// clock moves only when told to, and a real Redis key is given 1 ms left.
func (s *sharedRedis) expireNow(t *testing.T, rdb *redis.Client, key string) {
	t.Helper()
	if s.mr != nil {
		ttl := s.mr.TTL(key)
		if ttl <= 0 {
			t.Fatalf("%s has no TTL in miniredis", key)
		}
		s.mr.FastForward(ttl)
		return
	}
	if ok, err := rdb.PExpire(t.Context(), key, time.Millisecond).Result(); err != nil || !ok {
		t.Fatalf("expire %s: %v (key exists: %v)", key, err, ok)
	}
	deadline := time.Now().Add(5 * time.Second)
	for rdb.Exists(t.Context(), key).Val() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%s still exists 5 s after it was given 1 ms", key)
		}
		<-time.After(time.Millisecond)
	}
}

// waitFor receives from ch or fails after a deadline.
func waitFor[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		t.Fatal("timed out waiting")
	}
	var zero T
	return zero
}
