package bench

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the admin connection that creates a case's schema
	"github.com/redis/go-redis/v9"

	"github.com/gridcast/gridcast/gateway/aliyunsms"
	"github.com/gridcast/gridcast/gateway/sandbox"
	"github.com/gridcast/gridcast/gateway/wechat"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population/synth"
	"github.com/gridcast/gridcast/store"
)

// Env is what one case runs in: the options, its driver, and what it
// opened (closed when the case ends).
type Env struct {
	*Options
	Driver  string
	closers []func()
	n       int
	dsns    map[*store.Store]string
}

func (e *Env) close() {
	for i := len(e.closers) - 1; i >= 0; i-- {
		e.closers[i]()
	}
	e.closers = nil
}

// Defer runs fn when the case ends, before what was opened earlier.
func (e *Env) Defer(fn func()) { e.closers = append(e.closers, fn) }

// Size is quick in a quick run, else full.
func (e *Env) Size(quick, full int) int {
	if e.Quick {
		return quick
	}
	return full
}

// city is the residents of a fan-out case's city: Options.Residents when
// set, else Size(quick, full).
func (e *Env) city(quick, full int) int {
	if e.Residents > 0 {
		return e.Residents
	}
	return e.Size(quick, full)
}

// The WeChat account of the bench, on the emulator.
const (
	AppID     = "wxbench0000000001"
	AppSecret = "bench-secret"
	Token     = "bench-token"
	// AESKey is the 43-character EncodingAESKey of safe mode.
	AESKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
)

// benchKey is the 32-byte master key of the bench's PII sealer.
var benchKey = []byte("gridcast-bench-key-0123456789abc")

// Store opens a fresh, empty store on the case's driver: a new SQLite file
// in Dir, or a new PostgreSQL schema dropped when the case ends.
func (e *Env) Store(ctx context.Context) (*store.Store, error) {
	sealer, err := pii.NewSealer(benchKey)
	if err != nil {
		return nil, err
	}
	e.n++
	cfg := store.Config{Driver: e.Driver}
	switch e.Driver {
	case store.DriverSQLite:
		cfg.DSN = filepath.Join(e.Dir, fmt.Sprintf("bench-%d-%d.db", time.Now().UnixNano(), e.n))
	case store.DriverPostgres:
		if cfg.DSN, err = e.schema(ctx); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("bench: this case needs a store driver, got %q", e.Driver)
	}
	st, err := store.Open(ctx, cfg, sealer, nil)
	if err != nil {
		return nil, err
	}
	if e.dsns == nil {
		e.dsns = map[*store.Store]string{}
	}
	e.dsns[st] = cfg.DSN
	e.Defer(func() { _ = st.Close() })
	return st, nil
}

// schema creates a schema of the case's own on Postgres and returns the
// URL with search_path set to it.
func (e *Env) schema(ctx context.Context) (string, error) {
	u, err := url.Parse(e.Postgres)
	if err != nil || !strings.HasPrefix(u.Scheme, "postgres") {
		return "", fmt.Errorf("bench: the PostgreSQL address must be a postgres:// URL, got %q", e.Postgres)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "gridcast_bench_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", e.Postgres)
	if err != nil {
		return "", err
	}
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+name); err != nil {
		_ = admin.Close()
		return "", fmt.Errorf("bench: create schema: %w", err)
	}
	e.Defer(func() {
		_, _ = admin.ExecContext(context.Background(), "DROP SCHEMA "+name+" CASCADE")
		_ = admin.Close()
	})
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// Seed fills st with a synthetic city of n residents (its grids and
// workers too) through the store's bulk path and returns the generator.
func (e *Env) Seed(ctx context.Context, st *store.Store, n int) (*synth.Generator, error) {
	g, err := synth.New(synth.Config{Residents: n, Seed: 7})
	if err != nil {
		return nil, err
	}
	if err := st.UpsertGrids(ctx, g.Grids()); err != nil {
		return nil, err
	}
	if err := st.UpsertWorkers(ctx, g.Workers()); err != nil {
		return nil, err
	}
	if _, err := st.BulkInsertResidents(ctx, g.Next, nil); err != nil {
		return nil, err
	}
	return g, nil
}

// redisMark is the key the bench leaves in its Redis database: a database
// holding other keys but no mark belongs to someone else.
const redisMark = "gridcast:bench"

// ErrRedisInUse is returned when the bench's Redis database holds keys the
// bench did not write.
var ErrRedisInUse = errors.New("bench: the Redis database holds keys the bench did not write; choose an empty database (--redis-db)")

// Redis returns a client on the bench's Redis database, emptied.
func (e *Env) Redis(ctx context.Context) (*redis.Client, error) {
	rdb := redis.NewClient(&redis.Options{Addr: e.RedisAddr, DB: e.RedisDB, PoolSize: 64})
	n, err := rdb.DBSize(ctx).Result()
	if err == nil && n > 0 {
		var marked int64
		if marked, err = rdb.Exists(ctx, redisMark).Result(); err == nil && marked == 0 {
			err = ErrRedisInUse
		}
	}
	if err == nil {
		err = rdb.FlushDB(ctx).Err()
	}
	if err == nil {
		err = rdb.Set(ctx, redisMark, "1", 0).Err()
	}
	if err != nil {
		_ = rdb.Close()
		return nil, fmt.Errorf("bench: redis %s db %d: %w", e.RedisAddr, e.RedisDB, err)
	}
	e.Defer(func() { _ = rdb.Close() })
	return rdb, nil
}

// The emulators listen once per process: the WeChat SDK takes its base
// URL once. Each case gets fresh emulators behind the same address.
var emu struct {
	once sync.Once
	addr string
	err  error
	cur  atomic.Pointer[http.Handler]
}

// Sandbox starts fresh emulators of both providers, pushing receipts and
// replies to callbackBase ("" pushes nothing), and returns them with the
// host:port they answer on.
func (e *Env) Sandbox(callbackBase string) (*sandbox.Sandbox, string, error) {
	emu.once.Do(func() {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			emu.err = err
			return
		}
		emu.addr = ln.Addr().String()
		srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if h := emu.cur.Load(); h != nil {
				(*h).ServeHTTP(w, r)
				return
			}
			http.Error(w, "no emulator", http.StatusServiceUnavailable)
		})}
		go func() { _ = srv.Serve(ln) }()
	})
	if emu.err != nil {
		return nil, "", emu.err
	}
	sb := sandbox.New(sandbox.Config{AppID: AppID, AppSecret: AppSecret, Token: Token,
		CallbackBase: callbackBase, UndeliverableSuffix: "-", FollowPrefix: "o"}, nil)
	var h http.Handler = sb
	emu.cur.Store(&h)
	e.Defer(func() {
		emu.cur.Store(nil)
		sb.Close()
	})
	return sb, emu.addr, nil
}

// SMSClient is the real Aliyun SDK client on the emulator at addr.
func (e *Env) SMSClient(addr string, concurrency int) (*aliyunsms.Client, error) {
	c, err := aliyunsms.New(aliyunsms.Config{AccessKeyID: aliyunsms.SandboxAccessKeyID,
		AccessKeySecret: aliyunsms.SandboxAccessKeySecret, SignName: "网格通", Endpoint: addr, Scheme: "http",
		Concurrency: concurrency}, nil)
	if err != nil {
		return nil, err
	}
	e.Defer(c.Close)
	return c, nil
}

// WeChatClient is the real WeChat SDK client on the emulator at addr, its
// access token kept in rdb.
func (e *Env) WeChatClient(addr string, rdb redis.UniversalClient) (*wechat.Client, error) {
	return wechat.New(wechat.Config{AppID: AppID, AppSecret: AppSecret, Token: Token, BaseURL: "http://" + addr}, rdb, nil)
}
