package faults

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
)

// freePort returns a loopback port nobody listens on (at the time).
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// waitUntil polls ok every 100ms until it holds or d passes.
func waitUntil(ctx context.Context, d time.Duration, what string, ok func() bool) error {
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			return fmt.Errorf("faults: %s: not within %s", what, d)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return nil
}

// redisServer is a redis-server of the suite's own, with nothing kept on
// disk: a restart loses everything, as a Redis without persistence does.
type redisServer struct {
	bin  string
	port int
	dir  string
	p    *proc
	rdb  *redis.Client
}

func startRedis(ctx context.Context, dir string) (*redisServer, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, errors.New("faults: redis-server not found (Debian: apt-get install redis-server)")
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	r := &redisServer{bin: bin, port: port, dir: dir}
	r.rdb = redis.NewClient(&redis.Options{Addr: r.Addr(), MaxRetries: -1})
	return r, r.start(ctx)
}

// Addr is host:port.
func (r *redisServer) Addr() string { return "127.0.0.1:" + strconv.Itoa(r.port) }

func (r *redisServer) start(ctx context.Context) error {
	r.p = &proc{name: "redis", bin: r.bin, dir: r.dir, args: []string{"--port", strconv.Itoa(r.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", r.dir}}
	if err := r.p.start(nil); err != nil {
		return err
	}
	return waitUntil(ctx, 10*time.Second, "redis ready", func() bool { return r.rdb.Ping(ctx).Err() == nil })
}

// restart stops Redis at once (SIGKILL) and starts it empty on the same port.
func (r *redisServer) restart(ctx context.Context) error {
	r.p.kill()
	return r.start(ctx)
}

func (r *redisServer) flushAll(ctx context.Context) error { return r.rdb.FlushAll(ctx).Err() }

func (r *redisServer) close() {
	_ = r.rdb.Close()
	if r.p != nil {
		r.p.kill()
	}
}

// postgresServer is a PostgreSQL cluster of the suite's own (initdb in the
// work directory), so that restarting it disturbs nobody else. As root,
// the server runs as the postgres user, as PostgreSQL insists.
type postgresServer struct {
	bindir string
	data   string
	port   int
	runAs  string // "" = the current user
	p      *proc
}

// postgresBinDir finds initdb and postgres: pg_config's bindir, else the
// newest /usr/lib/postgresql/*/bin (Debian), else PATH.
func postgresBinDir() (string, error) {
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		d := strings.TrimSpace(string(out))
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[i])))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[j])))
		return vi < vj
	})
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "initdb")); err == nil {
			return dirs[i], nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("faults: PostgreSQL's initdb not found (Debian: apt-get install postgresql)")
}

func startPostgres(ctx context.Context, dir string) (*postgresServer, error) {
	bindir, err := postgresBinDir()
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	pg := &postgresServer{bindir: bindir, data: filepath.Join(dir, "pgdata"), port: port}
	if os.Geteuid() == 0 {
		pg.runAs = "postgres"
		if _, err := user.Lookup(pg.runAs); err != nil {
			return nil, fmt.Errorf("faults: running as root, PostgreSQL needs the user %q: %w", pg.runAs, err)
		}
	}
	if err := os.MkdirAll(pg.data, 0o700); err != nil {
		return nil, err
	}
	if err := pg.chown(dir); err != nil {
		return nil, err
	}
	initdb := pg.command(filepath.Join(bindir, "initdb"), "-D", pg.data, "-U", "postgres", "--auth=trust",
		"-E", "UTF8", "--no-sync", "--locale=C")
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("faults: initdb: %w\n%s", err, out)
	}
	return pg, pg.start(ctx)
}

// chown gives the work directory to the user the server runs as.
func (pg *postgresServer) chown(dir string) error {
	if pg.runAs == "" {
		return nil
	}
	u, err := user.Lookup(pg.runAs)
	if err != nil {
		return err
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		return err
	}
	return filepath.Walk(pg.data, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Chown(p, uid, gid)
	})
}

// command runs name as the server's user.
func (pg *postgresServer) command(name string, args ...string) *exec.Cmd {
	if pg.runAs == "" {
		return exec.Command(name, args...)
	}
	return exec.Command("runuser", append([]string{"-u", pg.runAs, "--", name}, args...)...)
}

// DSN is the URL of database db with search_path schema.
func (pg *postgresServer) DSN(schema string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable&search_path=%s", pg.port, schema)
}

func (pg *postgresServer) start(ctx context.Context) error {
	args := []string{"-D", pg.data, "-p", strconv.Itoa(pg.port), "-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories=" + pg.data, "-c", "fsync=off", "-c", "full_page_writes=off",
		"-c", "max_connections=200"}
	bin := filepath.Join(pg.bindir, "postgres")
	pg.p = &proc{name: "postgres", bin: bin, args: args, dir: pg.data}
	if pg.runAs != "" {
		pg.p.bin, pg.p.args = "runuser", append([]string{"-u", pg.runAs, "--", bin}, args...)
	}
	if err := pg.p.start(nil); err != nil {
		return err
	}
	return waitUntil(ctx, 30*time.Second, "postgres ready", func() bool {
		c, err := pgx.Connect(ctx, pg.DSN("public"))
		if err != nil {
			return false
		}
		_ = c.Close(ctx)
		return true
	})
}

// stop shuts PostgreSQL down the fast way (SIGINT: open sessions are cut,
// as a restart by an operator does) and waits for it to exit.
func (pg *postgresServer) stop() {
	if pg.p != nil {
		pg.p.signal(syscall.SIGINT, 30*time.Second)
	}
}

func (pg *postgresServer) restart(ctx context.Context) error {
	pg.stop()
	return pg.start(ctx)
}

// exec runs one statement on database postgres.
func (pg *postgresServer) exec(ctx context.Context, sql string) error {
	c, err := pgx.Connect(ctx, pg.DSN("public"))
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	_, err = c.Exec(ctx, sql)
	return err
}
