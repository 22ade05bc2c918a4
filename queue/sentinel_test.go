package queue_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// sentinelMaster is the master name the test's sentinels monitor.
const sentinelMaster = "gridcast"

// sentinelGroup is a small Redis Sentinel deployment of one test, started
// from the machine's redis-server and redis-sentinel on free loopback
// ports, its files in t.TempDir(): a master, one replica and three
// sentinels (quorum 2). Every process is killed at cleanup.
type sentinelGroup struct {
	t         testing.TB
	master    *redisProc
	replica   *redisProc
	sentinels []*redisProc
}

// redisProc is one redis-server or redis-sentinel process.
type redisProc struct {
	name   string
	port   int
	cmd    *exec.Cmd
	log    string                // its log file
	exited chan struct{}         // closed once it has exited
	cl     *redis.Client         // a plain client on it, for probes
	sc     *redis.SentinelClient // the same on a sentinel
}

func (p *redisProc) addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(p.port)) }

// startSentinelGroup starts the group and waits until every sentinel knows
// the master, its replica (in sync) and the two other sentinels. It skips
// the test when redis-server or redis-sentinel is missing, unless
// GRIDCAST_TEST_SENTINEL is set (CI): then it fails.
func startSentinelGroup(t *testing.T) *sentinelGroup {
	t.Helper()
	server, errServer := exec.LookPath("redis-server")
	sentinel, errSentinel := exec.LookPath("redis-sentinel")
	if errServer != nil || errSentinel != nil {
		msg := "redis-server and redis-sentinel are needed for the Sentinel failover test " +
			"(Debian: apt-get install redis-server redis-sentinel)"
		if os.Getenv("GRIDCAST_TEST_SENTINEL") != "" {
			t.Fatal(msg + "; GRIDCAST_TEST_SENTINEL is set, so CI must run it")
		}
		t.Skip(msg + "; skipping (set GRIDCAST_TEST_SENTINEL to make this a failure)")
	}
	dir := t.TempDir()
	ports := freePorts(t, 5)
	g := &sentinelGroup{t: t}
	t.Cleanup(g.stop)
	t.Cleanup(func() {
		if t.Failed() {
			g.dumpLogs()
		}
	})

	serverArgs := func(port int, name string) []string {
		d := filepath.Join(dir, name)
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
		return []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
			"--dir", d, "--daemonize", "no", "--repl-diskless-sync-delay", "0"}
	}
	g.master = g.start(server, "master", ports[0], dir, serverArgs(ports[0], "master")...)
	g.replica = g.start(server, "replica", ports[1], dir,
		append(serverArgs(ports[1], "replica"), "--replicaof", "127.0.0.1", strconv.Itoa(ports[0]))...)
	poll(t, "the replica in sync with the master", 10*time.Second, func() bool {
		return g.replica.replication()["master_link_status"] == "up"
	})

	for i, port := range ports[2:] {
		name := fmt.Sprintf("sentinel%d", i+1)
		conf := filepath.Join(dir, name+".conf")
		// Sentinel rewrites its config file: it must be its own and writable.
		text := fmt.Sprintf("port %d\nbind 127.0.0.1\ndaemonize no\ndir %s\n"+
			"sentinel monitor %s 127.0.0.1 %d 2\n"+
			"sentinel down-after-milliseconds %[3]s 1000\n"+
			"sentinel failover-timeout %[3]s 5000\n"+
			"sentinel parallel-syncs %[3]s 1\n", port, dir, sentinelMaster, ports[0])
		if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		g.sentinels = append(g.sentinels, g.start(sentinel, name, port, dir, conf))
	}
	poll(t, "the sentinels to agree on the master, its replica and each other", 20*time.Second, func() bool {
		for _, s := range g.sentinels {
			m, err := s.sc.Master(t.Context(), sentinelMaster).Result()
			if err != nil || m["port"] != strconv.Itoa(g.master.port) || m["flags"] != "master" ||
				m["num-slaves"] != "1" || m["num-other-sentinels"] != "2" {
				return false
			}
		}
		return true
	})
	return g
}

// start runs bin with args, its output in dir/name.log.
func (g *sentinelGroup) start(bin, name string, port int, dir string, args ...string) *redisProc {
	g.t.Helper()
	p := &redisProc{name: name, port: port, log: filepath.Join(dir, name+".log"), exited: make(chan struct{})}
	out, err := os.Create(p.log)
	if err != nil {
		g.t.Fatal(err)
	}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Stdout, p.cmd.Stderr = out, out
	if err := p.cmd.Start(); err != nil {
		_ = out.Close()
		g.t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		_ = p.cmd.Wait()
		_ = out.Close()
		close(p.exited)
	}()
	// No retries: a probe of a dead process answers at once.
	opts := &redis.Options{Addr: p.addr(), MaxRetries: -1, DialTimeout: time.Second}
	p.cl, p.sc = redis.NewClient(opts), redis.NewSentinelClient(opts)
	poll(g.t, name+" answering", 10*time.Second, func() bool {
		select {
		case <-p.exited:
			g.t.Fatalf("%s exited at start; see %s", name, p.log)
		default:
		}
		return p.cl.Ping(g.t.Context()).Err() == nil
	})
	return p
}

// replication is the process's INFO replication as a map.
func (p *redisProc) replication() map[string]string {
	s, err := p.cl.Info(context.Background(), "replication").Result()
	if err != nil {
		return nil
	}
	m := map[string]string{}
	for _, line := range strings.Split(s, "\r\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			m[k] = v
		}
	}
	return m
}

// kill ends p with SIGKILL and waits for it to exit.
func (p *redisProc) kill() {
	if p == nil || p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Kill()
	<-p.exited
	_ = p.cl.Close()
	_ = p.sc.Close()
}

// sentinelAddrs are the sentinels' addresses.
func (g *sentinelGroup) sentinelAddrs() []string {
	var out []string
	for _, s := range g.sentinels {
		out = append(out, s.addr())
	}
	return out
}

// masterAddrs are the master addresses the sentinels report, one each ("" for
// a sentinel that does not answer).
func (g *sentinelGroup) masterAddrs() []string {
	var out []string
	for _, s := range g.sentinels {
		a, err := s.sc.GetMasterAddrByName(context.Background(), sentinelMaster).Result()
		if err != nil || len(a) != 2 {
			out = append(out, "")
			continue
		}
		out = append(out, net.JoinHostPort(a[0], a[1]))
	}
	return out
}

// promoted reports whether every sentinel names the former replica as the
// master and the replica says it is one.
func (g *sentinelGroup) promoted() bool {
	for _, a := range g.masterAddrs() {
		if a != g.replica.addr() {
			return false
		}
	}
	return g.replica.replication()["role"] == "master"
}

// stop kills every process of the group.
func (g *sentinelGroup) stop() {
	for _, p := range append([]*redisProc{g.master, g.replica}, g.sentinels...) {
		p.kill()
	}
}

// dumpLogs logs the end of every process's log, for a failed test.
func (g *sentinelGroup) dumpLogs() {
	for _, p := range append([]*redisProc{g.master, g.replica}, g.sentinels...) {
		if p == nil {
			continue
		}
		b, err := os.ReadFile(p.log)
		if err != nil {
			continue
		}
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		g.t.Logf("--- %s (%s), last lines:\n%s", p.name, p.addr(), strings.Join(lines[max(0, len(lines)-30):], "\n"))
	}
}

// freePorts returns n distinct free loopback TCP ports.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var ports []int
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close() // held until all are picked, so that they differ
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

// poll waits until cond holds, failing the test after d.
func poll(t testing.TB, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		select {
		case <-t.Context().Done():
			t.Fatal(t.Context().Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}
