package wechat

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/gridcast/gridcast/gateway"
)

// account is one official account served by several processes: one
// emulator, one Redis, and one Client per process, each with its own SDK
// state, refresh state and Redis connection.
type account struct {
	emu     *Emulator
	clock   *fakeClock
	redis   *sharedRedis
	rdb     *redis.Client // the test's own connection, to look at the keys
	clients []*Client
}

func newAccount(t *testing.T, processes int) *account {
	t.Helper()
	// An AppID of its own keeps this test's keys apart in a shared Redis.
	appID := "wx" + strings.ToLower(rand.Text()[:16])
	clock := newClock()
	// Tokens outlive the day the tests spend on the clock, so that only
	// ExpireTokens and RejectTokens spoil them.
	emu := NewEmulator(EmulatorConfig{AppID: appID, AppSecret: testSecret, Token: testToken,
		Templates: testTemplates, Now: clock.Now, TokenTTL: 48 * time.Hour}, nil)
	t.Cleanup(emu.Close)
	emu.SetFollower(Follower{OpenID: alice, Following: true})
	emu.SetFollower(Follower{OpenID: bob, Following: true})
	install(t, emu)
	sr := newSharedRedis(t, appID)
	a := &account{emu: emu, clock: clock, redis: sr, rdb: sr.client(t)}
	for range processes {
		c, err := New(Config{AppID: appID, AppSecret: testSecret, Token: testToken, BaseURL: front.URL, Timeout: 5 * time.Second},
			sr.client(t), nil)
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		c.now = clock.Now
		// Generous, so that a loaded machine does not fail a send: the wait
		// ends as soon as the new token is in Redis.
		c.refreshWait = 30 * time.Second
		a.clients = append(a.clients, c)
	}
	return a
}

// warm sends one message from each process, so that the token is cached.
func (a *account) warm(t *testing.T) {
	t.Helper()
	for p, c := range a.clients {
		m := notice(alice)
		m.ClientMsgID = fmt.Sprintf("warm-%d", p)
		if _, err := c.SendTemplate(t.Context(), m); err != nil {
			t.Fatalf("process %d: warm-up send: %v", p, err)
		}
	}
	if got := a.emu.TokenRequests(); got != 1 {
		t.Fatalf("token requests after warm-up = %d, want 1 (one token in Redis for every process)", got)
	}
}

// sentIDs counts the accepted messages by client_msg_id.
func (a *account) sentIDs() map[string]int {
	got := map[string]int{}
	for _, m := range a.emu.Sent() {
		got[m.ClientMsgID]++
	}
	return got
}

// The trial's failure: several processes on one Redis whose token WeChat
// refuses. They must recover together with one refresh, not take turns
// invalidating each other's token.
func TestSharedTokenRecoversOnceForAllProcesses(t *testing.T) {
	tests := []struct {
		name string
		// spoil makes WeChat refuse the token every process holds.
		spoil func(*Emulator)
		// wantTokenCalls and wantForced count the stable_token calls the
		// recovery makes, across all processes.
		wantTokenCalls, wantForced int
	}{
		// 42001: stable_token hands out a new token by itself.
		{name: "expired", spoil: (*Emulator).ExpireTokens, wantTokenCalls: 1, wantForced: 0},
		// 40001 while stable_token still hands out the same token: one
		// forced refresh.
		{name: "rejected", spoil: (*Emulator).RejectTokens, wantTokenCalls: 2, wantForced: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAccount(t, 3)
			a.warm(t)
			tt.spoil(a.emu)

			const perProcess = 8
			want := a.sentIDs()
			errs := make(chan error, len(a.clients)*perProcess)
			var wg sync.WaitGroup
			for p, c := range a.clients {
				for i := range perProcess {
					m := notice(alice)
					if i%2 == 1 {
						m = notice(bob)
					}
					m.ClientMsgID = fmt.Sprintf("p%d-m%d", p, i)
					want[m.ClientMsgID] = 1
					wg.Go(func() {
						if _, err := c.SendTemplate(t.Context(), m); err != nil {
							errs <- fmt.Errorf("process %d, %s: %w", p, m.ClientMsgID, err)
						}
					})
				}
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			if diff := cmp.Diff(want, a.sentIDs()); diff != "" {
				t.Errorf("messages accepted by client_msg_id (-want +got):\n%s", diff)
			}
			if got := a.emu.TokenRequests() - 1; got != tt.wantTokenCalls {
				t.Errorf("token calls during the recovery = %d, want %d", got, tt.wantTokenCalls)
			}
			if got := a.emu.ForcedRefreshes(); got != tt.wantForced {
				t.Errorf("forced refreshes = %d, want %d", got, tt.wantForced)
			}

			// The new token serves every process with no further token call.
			calls := a.emu.TokenRequests()
			for p, c := range a.clients {
				if _, err := c.Templates(t.Context()); err != nil {
					t.Errorf("process %d after the recovery: %v", p, err)
				}
			}
			if got := a.emu.TokenRequests(); got != calls {
				t.Errorf("token calls after the recovery = %d, want %d", got, calls)
			}
		})
	}
}

// Forced refreshes are limited for the account, not per process: spaced by
// MinTokenRefreshInterval and ForcedRefreshesPerDay a day, whichever
// process asks.
func TestForcedRefreshLimitsSharedByProcesses(t *testing.T) {
	tests := []struct {
		name string
		// spend uses up what the limit allows; forced is how many forced
		// refreshes it made.
		spend  func(t *testing.T, a *account)
		forced int
		// Then the token is rejected once more, and every process gets:
		class      gateway.Class
		retryAfter func(now time.Time) time.Duration
		// until wait has passed on the clock.
		wait func(now time.Time) time.Duration
	}{
		{
			name: "interval",
			spend: func(t *testing.T, a *account) {
				a.emu.RejectTokens()
				if _, err := a.clients[0].SendTemplate(t.Context(), notice(alice)); err != nil {
					t.Fatalf("forced refresh by process 0: %v", err)
				}
				a.clock.Advance(10 * time.Second)
			},
			forced:     1,
			class:      gateway.Retryable,
			retryAfter: func(time.Time) time.Duration { return 20 * time.Second },
			wait:       func(time.Time) time.Duration { return 20 * time.Second },
		},
		{
			// The 21st forced refresh of the day pauses the channel until
			// midnight in Asia/Shanghai, as WeChat's own 45009 would.
			name: "daily limit",
			spend: func(t *testing.T, a *account) {
				for i := range ForcedRefreshesPerDay {
					a.clock.Advance(MinTokenRefreshInterval)
					a.emu.RejectTokens()
					p := i % len(a.clients)
					if _, err := a.clients[p].SendTemplate(t.Context(), notice(alice)); err != nil {
						t.Fatalf("forced refresh %d by process %d: %v", i+1, p, err)
					}
				}
				a.clock.Advance(MinTokenRefreshInterval)
			},
			forced:     ForcedRefreshesPerDay,
			class:      gateway.Quota,
			retryAfter: untilShanghaiMidnight,
			wait:       untilShanghaiMidnight,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAccount(t, 2)
			a.warm(t)
			tt.spend(t, a)
			if got := a.emu.ForcedRefreshes(); got != tt.forced {
				t.Fatalf("forced refreshes = %d, want %d", got, tt.forced)
			}
			a.emu.RejectTokens()
			sent := len(a.emu.Sent())
			for p, c := range a.clients {
				_, err := c.SendTemplate(t.Context(), notice(alice))
				se := sendErr(t, err)
				got := [3]any{se.Code, se.Class, se.RetryAfter}
				want := [3]any{"40001", tt.class, tt.retryAfter(a.clock.Now())}
				if got != want {
					t.Errorf("process %d: code, class, retry after = %v, want %v (%v)", p, got, want, se)
				}
			}
			if got := a.emu.ForcedRefreshes(); got != tt.forced {
				t.Errorf("forced refreshes after the refusals = %d, want %d", got, tt.forced)
			}
			if got := len(a.emu.Sent()); got != sent {
				t.Errorf("%d messages accepted with a rejected token", got-sent)
			}

			a.clock.Advance(tt.wait(a.clock.Now()))
			if _, err := a.clients[1].SendTemplate(t.Context(), notice(alice)); err != nil {
				t.Errorf("after the wait: %v", err)
			}
			if got := a.emu.ForcedRefreshes(); got != tt.forced+1 {
				t.Errorf("forced refreshes after the wait = %d, want %d", got, tt.forced+1)
			}
		})
	}
}

// A process that dies holding the refresh lock blocks refreshes only until
// the lock expires: the callers waiting meanwhile give up in bounded time,
// and one waiting when it expires takes over.
func TestCrashedRefreshLockExpires(t *testing.T) {
	a := newAccount(t, 2)
	crashed, survivor := a.clients[0], a.clients[1]
	a.warm(t)
	ctx := t.Context()

	// The crashed process took the lock as refreshToken does and never
	// released it.
	crashed.lockTTL = time.Minute
	owner, err := crashed.lockRefresh(ctx, crashed.lockTTL)
	if err != nil || owner == "" {
		t.Fatalf("lockRefresh = %q, %v; want the lock", owner, err)
	}
	if ttl := a.rdb.PTTL(ctx, crashed.keys.lock).Val(); ttl <= 0 || ttl > time.Minute {
		t.Fatalf("refresh lock TTL = %v, want (0, 1m]: a crashed holder's lock must expire", ttl)
	}
	a.emu.RejectTokens()

	// While it lasts, a rejected call waits refreshWait and gives up,
	// Retryable, with the lock's remaining time.
	survivor.refreshWait = 100 * time.Millisecond
	_, err = survivor.SendTemplate(ctx, notice(alice))
	se := sendErr(t, err)
	if se.Class != gateway.Retryable || se.Code != "40001" || se.RetryAfter <= 0 || se.RetryAfter > time.Minute {
		t.Errorf("while the lock is held: got %+v, want Retryable 40001 with RetryAfter in (0, 1m]", se)
	}
	// A cancelled caller stops waiting at once.
	survivor.refreshWait = time.Minute
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	_, err = survivor.SendTemplate(cctx, notice(alice))
	cancel()
	if se := sendErr(t, err); se.Class != gateway.Retryable || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("cancelled while waiting: got %v, want Retryable wrapping DeadlineExceeded", err)
	}
	if got := a.emu.ForcedRefreshes(); got != 0 {
		t.Errorf("forced refreshes while the lock is held = %d, want 0", got)
	}

	// The lock runs out while a call waits: that call refreshes.
	m := notice(bob)
	m.ClientMsgID = "after-crash"
	done := make(chan error, 1)
	go func() {
		_, err := survivor.SendTemplate(ctx, m)
		done <- err
	}()
	a.redis.expireNow(t, a.rdb, crashed.keys.lock)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("send after the lock expired: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("send still waiting a minute after the crashed holder's lock expired")
	}
	if got := a.emu.ForcedRefreshes(); got != 1 {
		t.Errorf("forced refreshes = %d, want 1", got)
	}
	if got := a.sentIDs()["after-crash"]; got != 1 {
		t.Errorf("message after-crash accepted %d times, want 1", got)
	}
}

// A holder that outlives its lock must not release the next holder's.
func TestRefreshLockReleasedOnlyByHolder(t *testing.T) {
	a := newAccount(t, 2)
	slow, next := a.clients[0], a.clients[1]
	ctx := t.Context()
	key := slow.keys.lock

	slowOwner, err := slow.lockRefresh(ctx, time.Minute)
	if err != nil || slowOwner == "" {
		t.Fatalf("first lockRefresh = %q, %v; want the lock", slowOwner, err)
	}
	if o, err := next.lockRefresh(ctx, time.Minute); err != nil || o != "" {
		t.Fatalf("lockRefresh while held = %q, %v; want refused", o, err)
	}
	a.redis.expireNow(t, a.rdb, key)
	nextOwner, err := next.lockRefresh(ctx, time.Minute)
	if err != nil || nextOwner == "" {
		t.Fatalf("lockRefresh after expiry = %q, %v; want the lock", nextOwner, err)
	}
	slow.unlockRefresh(ctx, slowOwner)
	if got := a.rdb.Get(ctx, key).Val(); got != nextOwner {
		t.Fatalf("after the late holder's release the lock holds %q, want the next holder's %q", got, nextOwner)
	}
	next.unlockRefresh(ctx, nextOwner)
	if n := a.rdb.Exists(ctx, key).Val(); n != 0 {
		t.Errorf("lock still exists after its holder released it")
	}
}
