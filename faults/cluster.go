package faults

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gridcast/gridcast/store"
)

// cluster is one scenario's GridCast: a configuration file, a shared
// sandbox, serve and two workers, all separate processes of the gridcast
// binary on the suite's PostgreSQL (a schema of the scenario's own) and
// Redis.
type cluster struct {
	bin     string
	dir     string
	config  string
	dsn     string
	httpURL string
	sandbox string // the sandbox's base URL
	procs   map[string]*proc
	env     map[string][]string // each process's own variables
	health  map[string]string   // each worker's health address
	st      *store.Store        // the scenario's store, to read the population and the campaign's state
	piiKey  []byte              // security.pii_key of the configuration
}

// Timings of the scenario's workers: short, so that recoveries that take
// minutes in production (a dead worker's claim, the tick) take seconds.
const clusterConfig = `# A fault-suite scenario's configuration: serve, two workers and a shared
# sandbox on PostgreSQL and Redis of the suite's own.
data_dir: %[1]s
sandbox: false
store:
  driver: postgres
  dsn: "%[2]s"
redis:
  addr: %[3]s
http:
  addr: 127.0.0.1:%[4]d
wechat:
  app_id: wxsandbox0000000001
  app_secret: sandbox-app-secret
  token: sandboxtoken
  encoding_aes_key: abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG
  base_url: http://127.0.0.1:%[5]d
aliyun_sms:
  access_key_id: LTAIsandbox
  access_key_secret: sandbox-secret
  sign_name: 网格通
  endpoint: 127.0.0.1:%[5]d
  scheme: http
  push_token: fault-suite-push-token-0123456789
security:
  pii_key: %[6]s
log:
  level: info
  format: json
campaigns:
  approval_threshold: 1000000
  quiet_start: "00:00"
  quiet_end: "00:00"
  cap_per_day: -1
  cap_per_week: -1
  sms_rate: %[7]d
  wechat_rate: %[7]d
queue:
  send_timeout: 10s
  settle_delay: 2s
  recover_every: 15s
  shutdown_timeout: 5s
  tick_every: 2s
`

func newCluster(bin, dir, dsn, redisAddr string, rate int) (*cluster, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	ports := make([]int, 4)
	for i := range ports {
		p, err := freePort()
		if err != nil {
			return nil, err
		}
		ports[i] = p
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	c := &cluster{bin: bin, dir: dir, config: filepath.Join(dir, "config.yaml"), dsn: dsn,
		httpURL: fmt.Sprintf("http://127.0.0.1:%d", ports[0]), sandbox: fmt.Sprintf("http://127.0.0.1:%d", ports[1]),
		procs: map[string]*proc{}, env: map[string][]string{}, health: map[string]string{}, piiKey: key}
	body := fmt.Sprintf(clusterConfig, filepath.Join(dir, "data"), dsn, redisAddr, ports[0], ports[1],
		base64.StdEncoding.EncodeToString(key), rate)
	if err := os.WriteFile(c.config, []byte(body), 0o600); err != nil {
		return nil, err
	}
	// Each worker serves its health on an address of its own (the one
	// configuration file leaves worker.addr unset).
	c.env["worker-1"] = []string{fmt.Sprintf("GRIDCAST_WORKER_ADDR=127.0.0.1:%d", ports[2])}
	c.env["worker-2"] = []string{fmt.Sprintf("GRIDCAST_WORKER_ADDR=127.0.0.1:%d", ports[3])}
	c.health["worker-1"] = fmt.Sprintf("http://127.0.0.1:%d", ports[2])
	c.health["worker-2"] = fmt.Sprintf("http://127.0.0.1:%d", ports[3])
	return c, nil
}

// run runs one gridcast command to its end and returns its output.
func (c *cluster) run(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, c.bin, append([]string{"--config", c.config}, args...)...)
	cmd.Dir = c.dir
	cmd.Env = childEnv(nil)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("faults: gridcast %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// startProc starts the long-running gridcast process name (sandbox, serve,
// worker-1, worker-2) and waits until it answers its health check.
func (c *cluster) startProc(ctx context.Context, name string) error {
	var args []string
	health := ""
	switch name {
	case "sandbox":
		addr := strings.TrimPrefix(c.sandbox, "http://")
		args = []string{"sandbox", "--addr", addr, "--callback", c.httpURL, "--record", filepath.Join(c.dir, "sandbox-record.jsonl")}
		health = c.sandbox + "/sandbox/record"
	case "serve":
		args = []string{"serve"}
		health = c.httpURL + "/readyz"
	default:
		args = []string{"worker"}
		health = c.health[name] + "/readyz"
	}
	p := &proc{name: name, bin: c.bin, args: append([]string{"--config", c.config}, args...), dir: c.dir}
	if err := p.start(c.env[name]); err != nil {
		return err
	}
	c.procs[name] = p
	err := waitUntil(ctx, 30*time.Second, name+" ready", func() bool {
		if !p.running() {
			return true // reported below
		}
		resp, err := http.Get(health)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	if err == nil && !p.running() {
		err = fmt.Errorf("faults: %s exited at start", name)
	}
	if err != nil {
		return fmt.Errorf("%w\n%s", err, p.tail(20))
	}
	return nil
}

// start brings up the sandbox, serve and both workers.
func (c *cluster) start(ctx context.Context) error {
	for _, name := range []string{"sandbox", "serve", "worker-1", "worker-2"} {
		if err := c.startProc(ctx, name); err != nil {
			return err
		}
	}
	return nil
}

// stop stops every process (SIGTERM).
func (c *cluster) stop() {
	for _, name := range []string{"worker-2", "worker-1", "serve", "sandbox"} {
		if p := c.procs[name]; p != nil {
			p.stop()
		}
	}
}

var createdRE = regexp.MustCompile(`created campaign (\d+)`)

// sendCampaign creates the scenario's campaign from spec and sends it,
// returning its id.
func (c *cluster) sendCampaign(ctx context.Context, spec string) (int64, error) {
	f := filepath.Join(c.dir, "campaign.yaml")
	if err := os.WriteFile(f, []byte(spec), 0o644); err != nil {
		return 0, err
	}
	out, err := c.run(ctx, "campaign", "create", "--file", f)
	if err != nil {
		return 0, err
	}
	m := createdRE.FindStringSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("faults: campaign create said %q", out)
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	if _, err := c.run(ctx, "campaign", "send", m[1], "--by", "faults"); err != nil {
		return 0, err
	}
	return id, nil
}

// logs returns the tail of every process's log, for a failed scenario.
func (c *cluster) logs(n int) string {
	var b strings.Builder
	for _, name := range []string{"sandbox", "serve", "worker-1", "worker-2"} {
		if p := c.procs[name]; p != nil {
			fmt.Fprintf(&b, "--- %s\n%s\n", name, p.tail(n))
		}
	}
	return b.String()
}
