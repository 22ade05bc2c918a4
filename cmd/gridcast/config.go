package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/gridcast/gridcast/api"
	"github.com/gridcast/gridcast/population/extsync"
)

// Config is the whole configuration file. Every key is documented in
// config.example.yaml; every leaf can be overridden by the environment as
// GRIDCAST_ + its upper-cased path with dots as underscores
// (store.dsn → GRIDCAST_STORE_DSN).
type Config struct {
	// DataDir holds the embedded store, the generated PII key and other
	// local state. Default "data".
	DataDir string `yaml:"data_dir"`
	// Sandbox runs the provider emulators in-process and points the SDKs at
	// them. Default true (the embedded default must never reach a real provider).
	Sandbox bool `yaml:"sandbox"`

	Store     StoreConfig     `yaml:"store"`
	Redis     RedisConfig     `yaml:"redis"`
	HTTP      HTTPConfig      `yaml:"http"`
	Worker    WorkerConfig    `yaml:"worker"`
	WeChat    WeChatConfig    `yaml:"wechat"`
	AliyunSMS AliyunSMSConfig `yaml:"aliyun_sms"`
	Security  SecurityConfig  `yaml:"security"`
	Log       LogConfig       `yaml:"log"`
	Sync      SyncConfig      `yaml:"sync"`
	Campaigns CampaignsConfig `yaml:"campaigns"`
	Queue     QueueConfig     `yaml:"queue"`
	Tickets   TicketsConfig   `yaml:"tickets"`
}

// QueueConfig tunes the workers (queue.Config). Zero values take the
// queue's defaults.
type QueueConfig struct {
	// Concurrency is how many tasks one process runs at once. Default 10.
	Concurrency int `yaml:"concurrency"`
	// MaxRetry is how often a retryable send failure is tried again
	// before the message fails. Default 8.
	MaxRetry int `yaml:"max_retry"`
	// SendTimeout bounds one send; a message claimed twice as long ago and
	// still sending belongs to a worker that died and is recovered.
	// Default 1m.
	SendTimeout time.Duration `yaml:"send_timeout"`
	// SettleDelay is how long after a call without an answer the provider
	// is asked whether it took the message. Default 20s.
	SettleDelay time.Duration `yaml:"settle_delay"`
	// RecoverEvery is how often pending work is re-enqueued from the
	// ledger (for tasks a failed-over Redis lost). Default 5m.
	RecoverEvery time.Duration `yaml:"recover_every"`
	// ShutdownTimeout is how long a stopping worker lets sends in flight
	// finish. Default 15s.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	// TickEvery is the scheduler's period (start due campaigns, recover,
	// reconcile). Default 1m.
	TickEvery time.Duration `yaml:"tick_every"`
}

// CampaignsConfig holds the organisation's outreach rules.
type CampaignsConfig struct {
	// ApprovalThreshold is the largest audience a campaign may reach without
	// a second user's approval. Default 1000; negative = always approve.
	ApprovalThreshold int `yaml:"approval_threshold"`
	// SensitiveWords are refused in any campaign text.
	SensitiveWords []string `yaml:"sensitive_words"`
	// QuietStart and QuietEnd bound the hours (Asia/Shanghai) when nothing
	// is sent; sends due then wait for QuietEnd. Default 21:00–08:00.
	QuietStart string `yaml:"quiet_start"`
	QuietEnd   string `yaml:"quiet_end"`
	// CapPerDay and CapPerWeek limit messages per resident across campaigns.
	// Default 2 and 5; negative = no cap.
	CapPerDay  int `yaml:"cap_per_day"`
	CapPerWeek int `yaml:"cap_per_week"`
	// SMSRate and WeChatRate are provider calls per second, shared by every
	// worker through Redis. Default 50 each.
	SMSRate    int `yaml:"sms_rate"`
	WeChatRate int `yaml:"wechat_rate"`
}

// StoreConfig selects the system-of-record database.
type StoreConfig struct {
	Driver string `yaml:"driver"` // sqlite (default) or postgres
	DSN    string `yaml:"dsn"`    // sqlite: file path (default DATA_DIR/gridcast.db); postgres: URL
}

// RedisConfig locates the Redis that carries Asynq work: one server
// (Addr), a Sentinel group that fails over (SentinelMaster and
// SentinelAddrs) or a Redis Cluster (ClusterAddrs) — one of the three.
type RedisConfig struct {
	Addr     string `yaml:"addr"` // host:port; empty (and no sentinel or cluster) = in-process Redis, trial use only
	Password string `yaml:"password"`
	DB       int    `yaml:"db"`
	// SentinelMaster is the master's name the sentinels monitor;
	// SentinelAddrs their host:port list; SentinelPassword their own AUTH
	// password, if any (Password is the data nodes').
	SentinelMaster   string   `yaml:"sentinel_master"`
	SentinelAddrs    []string `yaml:"sentinel_addrs,flow"`
	SentinelPassword string   `yaml:"sentinel_password"`
	// ClusterAddrs are seed nodes of a Redis Cluster (host:port list). DB
	// must be 0 with a cluster.
	ClusterAddrs []string `yaml:"cluster_addrs,flow"`
}

// mode says which of the three Redis setups is configured: "embedded",
// "single", "sentinel" or "cluster".
func (c RedisConfig) mode() string {
	switch {
	case c.SentinelMaster != "" || len(c.SentinelAddrs) > 0:
		return "sentinel"
	case len(c.ClusterAddrs) > 0:
		return "cluster"
	case c.Addr != "":
		return "single"
	}
	return "embedded"
}

// WorkerConfig is what `gridcast worker` serves besides its queues.
type WorkerConfig struct {
	// Addr is where a worker serves /healthz, /readyz and /metrics; empty
	// (the default) serves nothing. serve ignores it: http.addr serves
	// them there. Each worker on a host needs its own.
	Addr string `yaml:"addr"`
}

// HTTPConfig is the listener for API, webhooks, console, health and metrics.
type HTTPConfig struct {
	Addr string `yaml:"addr"` // default 127.0.0.1:8080
	// APIUsers may call /api/v1 with a bearer token (`gridcast keygen
	// --api-token NAME --role ROLE` makes one). Empty (the default) turns
	// authentication off: /api/v1 then answers only requests made on this
	// host. A list, so the file only (no GRIDCAST_ variable).
	APIUsers []APIUserConfig `yaml:"api_users"`
}

// APIUserConfig is one person who may call /api/v1 (api.User).
type APIUserConfig struct {
	// Name is the person (王芳), recorded as the actor of what they do.
	// Required; unique, ignoring case.
	Name string `yaml:"name"`
	// TokenSHA256 is the hex SHA-256 of their token. The token itself is
	// never in the configuration.
	TokenSHA256 string `yaml:"token_sha256"`
	// Roles: officer (campaigns, saved segments), worker (ticket actions),
	// viewer (reads only; every role reads). At least one.
	Roles []string `yaml:"roles,flow"`
}

// apiUsers turns http.api_users into the API's users. Errors name the key.
func (c HTTPConfig) apiUsers() ([]api.User, error) {
	var errs []error
	bad := func(key, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, a...)))
	}
	users := make([]api.User, 0, len(c.APIUsers))
	names, hashes := map[string]int{}, map[string]int{}
	for i, cu := range c.APIUsers {
		key := fmt.Sprintf("http.api_users[%d]", i)
		u := api.User{Name: strings.TrimSpace(cu.Name)}
		lower := strings.ToLower(u.Name)
		switch j, dup := names[lower]; {
		case u.Name == "":
			bad(key+".name", "required: the person, recorded as the actor of what they do")
		case dup:
			bad(key+".name", "%q is http.api_users[%d]'s name too (names are compared ignoring case)", cu.Name, j)
		default:
			names[lower] = i
		}
		h := strings.ToLower(strings.TrimSpace(cu.TokenSHA256))
		sum, err := hex.DecodeString(h)
		switch j, dup := hashes[h]; {
		case err != nil || len(sum) != sha256.Size:
			hint := ""
			if len(h) == 43 {
				hint = " (this looks like the token itself: put its SHA-256 here, never the token)"
			}
			bad(key+".token_sha256", "want 64 hexadecimal characters, the SHA-256 of the token%s; `gridcast keygen --api-token NAME --role ROLE` prints both", hint)
		case dup:
			bad(key+".token_sha256", "the same as http.api_users[%d]'s: each user needs a token of their own", j)
		default:
			hashes[h] = i
			copy(u.TokenSHA256[:], sum)
		}
		if len(cu.Roles) == 0 {
			bad(key+".roles", "at least one of officer, worker, viewer")
		}
		for _, name := range cu.Roles {
			r, err := api.ParseRole(strings.TrimSpace(name))
			if err != nil {
				bad(key+".roles", "%v", err)
			}
			u.Roles = append(u.Roles, r)
		}
		users = append(users, u)
	}
	return users, errors.Join(errs...)
}

// loopback reports whether Addr listens on this host only.
func (c HTTPConfig) loopback() bool {
	host, _, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// WeChatConfig is the official account's credentials and API origin.
type WeChatConfig struct {
	AppID          string `yaml:"app_id"`
	AppSecret      string `yaml:"app_secret"`
	Token          string `yaml:"token"`
	EncodingAESKey string `yaml:"encoding_aes_key"`
	// BaseURL is the WeChat API's origin; empty means the real one,
	// https://api.weixin.qq.com. A shared `gridcast sandbox` is
	// http://HOST:PORT (plain http only on this host or a private network).
	BaseURL string `yaml:"base_url"`
}

// AliyunSMSConfig is the Aliyun SMS account and API endpoint.
type AliyunSMSConfig struct {
	AccessKeyID     string `yaml:"access_key_id"`
	AccessKeySecret string `yaml:"access_key_secret"`
	SignName        string `yaml:"sign_name"`
	Endpoint        string `yaml:"endpoint"` // default dysmsapi.aliyuncs.com
	// Scheme is https (the default) or http, for a `gridcast sandbox` on
	// this host or a private network.
	Scheme string `yaml:"scheme"`
}

// The sandbox account's credentials (defaultConfig): never sent to a real
// provider.
const (
	sandboxAppID       = "wxsandbox0000000001"
	sandboxAccessKeyID = "LTAIsandbox"
)

// SecurityConfig holds the key that seals ID numbers at rest.
type SecurityConfig struct {
	// PIIKey is a base64 32-byte key. PIIKeyFile names a file holding it.
	// With neither, the embedded SQLite default generates DATA_DIR/pii.key.
	PIIKey     string `yaml:"pii_key"`
	PIIKeyFile string `yaml:"pii_key_file"`
}

// LogConfig shapes the process log.
type LogConfig struct {
	Level  string `yaml:"level"`  // debug, info (default), warn, error
	Format string `yaml:"format"` // text (default) or json
}

// SyncConfig lists the external population databases `gridcast sync` pulls.
type SyncConfig struct {
	Sources []SyncSource `yaml:"sources"`
}

// SyncSource is one external population database; see segments/extsync.
type SyncSource struct {
	Name            string            `yaml:"name"`
	Driver          string            `yaml:"driver"` // postgres or mysql
	DSN             string            `yaml:"dsn"`
	Query           string            `yaml:"query"`
	Mapping         map[string]string `yaml:"mapping"`
	UpdatedAtColumn string            `yaml:"updated_at_column"`
	KeyColumn       string            `yaml:"key_column"`
	BatchSize       int               `yaml:"batch_size"`
	Interval        time.Duration     `yaml:"interval"`
}

// defaultConfig is the embedded default: SQLite under ./data, in-process
// Redis, provider emulators.
func defaultConfig() Config {
	return Config{
		DataDir: "data",
		Sandbox: true,
		Store:   StoreConfig{Driver: "sqlite"},
		HTTP:    HTTPConfig{Addr: "127.0.0.1:8080"},
		WeChat: WeChatConfig{
			AppID: sandboxAppID, AppSecret: "sandbox-app-secret", Token: "sandboxtoken",
			EncodingAESKey: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
		},
		AliyunSMS: AliyunSMSConfig{
			AccessKeyID: sandboxAccessKeyID, AccessKeySecret: "sandbox-secret", SignName: "网格通",
			Endpoint: "dysmsapi.aliyuncs.com", Scheme: "https",
		},
		Log: LogConfig{Level: "info", Format: "text"},
		Campaigns: CampaignsConfig{
			ApprovalThreshold: 1000, QuietStart: "21:00", QuietEnd: "08:00",
			CapPerDay: 2, CapPerWeek: 5, SMSRate: 50, WeChatRate: 50,
		},
	}
}

// loadConfig reads path (or config.yaml when path is empty and that file
// exists, else nothing), applies GRIDCAST_* overrides from env, fills
// derived defaults and validates. The returned source says where the
// configuration came from, for the log.
func loadConfig(path string, env func(string) (string, bool)) (Config, string, error) {
	cfg := defaultConfig()
	source := "embedded defaults"
	explicit := path != ""
	if !explicit {
		if _, err := os.Stat("config.yaml"); err == nil {
			path = "config.yaml"
		}
	}
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return cfg, "", fmt.Errorf("config: %w", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) { // an empty file keeps the defaults
			return cfg, "", yamlError(path, data, err)
		}
		source = path
	}
	if err := applyEnv(&cfg, env); err != nil {
		return cfg, "", err
	}
	cfg.Store.DSN = cfg.storeConfig().DSN
	if err := cfg.Validate(); err != nil {
		return cfg, "", err
	}
	return cfg, source, nil
}

// yamlLine is the "line N: …" yaml.v3 begins each decoding problem with.
var yamlLine = regexp.MustCompile(`^line (\d+): (.*)$`)

// yamlError restates a decoding error of file path so that each problem
// names the key it is about, as the validation errors do: "config:
// redis.db: cannot unmarshal !!str `x` into int (config.yaml line 9)". A
// syntax error, which names no key, keeps yaml's words.
func yamlError(path string, data []byte, err error) error {
	var lines []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		lines = te.Errors
	} else {
		lines = []string{strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	keys := map[int]string{}
	var root yaml.Node
	if yaml.Unmarshal(data, &root) == nil {
		keyLines(&root, "", keys)
	}
	var errs []error
	for _, l := range lines {
		m := yamlLine.FindStringSubmatch(l)
		if m == nil {
			errs = append(errs, fmt.Errorf("config: %s: %s", path, l))
			continue
		}
		n, _ := strconv.Atoi(m[1])
		msg := m[2]
		key, ok := keys[n]
		if f, found := strings.CutPrefix(msg, "field "); found {
			// KnownFields: "field drvier not found in type main.StoreConfig"
			if name, _, cut := strings.Cut(f, " not found"); cut {
				msg = "unknown key " + strconv.Quote(name) + " (see config.example.yaml for the keys)"
			}
		}
		if !ok {
			errs = append(errs, fmt.Errorf("config: %s line %d: %s", path, n, msg))
			continue
		}
		errs = append(errs, fmt.Errorf("config: %s: %s (%s line %d)", key, msg, path, n))
	}
	return errors.Join(errs...)
}

// keyLines maps the line of every key and value in n to its dotted path
// (list items as key[i]).
func keyLines(n *yaml.Node, prefix string, out map[int]string) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			keyLines(c, prefix, out)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			path := k.Value
			if prefix != "" {
				path = prefix + "." + k.Value
			}
			out[k.Line] = path
			if _, taken := out[v.Line]; !taken || v.Line != k.Line {
				out[v.Line] = path
			}
			keyLines(v, path, out)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			path := fmt.Sprintf("%s[%d]", prefix, i)
			if _, taken := out[c.Line]; !taken {
				out[c.Line] = path
			}
			keyLines(c, path, out)
		}
	}
}

// environ is a process environment as os.Environ gives it (KEY=value).
type environ []string

// lookup is os.LookupEnv over e: the last definition of key wins.
func (e environ) lookup(key string) (string, bool) {
	for i := len(e) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(e[i], "="); ok && k == key {
			return v, true
		}
	}
	return "", false
}

// unknown lists the GRIDCAST_ variables of e that set no key (a misspelt
// GRIDCAST_REDIS_ADRR would otherwise be ignored silently). The tests' and
// benchmarks' own variables are not configuration and pass.
func (e environ) unknown() []string {
	known := map[string]bool{}
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for i := 0; i < t.NumField(); i++ {
			tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
			if tag == "" || tag == "-" {
				continue
			}
			name := prefix + "_" + strings.ToUpper(tag)
			if t.Field(i).Type.Kind() == reflect.Struct {
				walk(t.Field(i).Type, name)
				continue
			}
			known[name] = true
		}
	}
	walk(reflect.TypeOf(Config{}), "GRIDCAST")
	var out []string
	for _, kv := range e {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "GRIDCAST_") || known[name] ||
			strings.HasPrefix(name, "GRIDCAST_TEST_") || strings.HasPrefix(name, "GRIDCAST_BENCH_") {
			continue
		}
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// Validate joins every problem, each naming its key.
func (c Config) Validate() error {
	var errs []error
	bad := func(key, format string, a ...any) {
		errs = append(errs, fmt.Errorf("config: %s: %s", key, fmt.Sprintf(format, a...)))
	}
	if c.Store.Driver == "postgres" && c.Security.PIIKey == "" && c.Security.PIIKeyFile == "" {
		bad("security.pii_key", "required when store.driver is postgres, so every process seals ID numbers with the same key (generate one with `gridcast keygen`)")
	}
	if c.DataDir == "" {
		bad("data_dir", "must not be empty")
	}
	if c.HTTP.Addr == "" {
		bad("http.addr", "must not be empty (e.g. 127.0.0.1:8080)")
	}
	if _, err := c.HTTP.apiUsers(); err != nil {
		for _, e := range leafErrors(err) {
			errs = append(errs, fmt.Errorf("config: %w", e))
		}
	}
	if c.Redis.DB < 0 || c.Redis.DB > 15 {
		bad("redis.db", "%d is not between 0 and 15", c.Redis.DB)
	}
	c.validateRedis(bad)
	c.validateProviders(bad)
	if t := c.Queue.TickEvery; t != 0 && t < time.Second {
		bad("queue.tick_every", "%s: want at least 1s (0 for the default, 1m)", t)
	}
	if c.Worker.Addr != "" {
		if _, _, err := net.SplitHostPort(c.Worker.Addr); err != nil {
			bad("worker.addr", "%q: want host:port (e.g. 127.0.0.1:9101)", c.Worker.Addr)
		} else if c.Worker.Addr == c.HTTP.Addr {
			bad("worker.addr", "%s is http.addr too: serve listens there; give each worker an address of its own", c.Worker.Addr)
		}
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "%q is not debug, info, warn or error", c.Log.Level)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		bad("log.format", "%q is not text or json", c.Log.Format)
	}
	if c.Security.PIIKey != "" && c.Security.PIIKeyFile != "" {
		bad("security.pii_key_file", "set either security.pii_key or security.pii_key_file, not both")
	}
	// The components' own checks, on the configurations the commands hand
	// them.
	smsCfg, wxCfg := c.providerConfigs()
	for _, err := range []error{c.storeConfig().Validate(), smsCfg.Validate(), wxCfg.Validate(),
		extsync.ValidateSources(c.syncSources())} {
		for _, e := range leafErrors(err) {
			errs = append(errs, fmt.Errorf("config: %w", e))
		}
	}
	for _, e := range leafErrors(c.queueConfig().Validate()) {
		errs = append(errs, fmt.Errorf("config: %s", queueKeys.Replace(e.Error())))
	}
	if _, err := c.Tickets.desk(); err != nil {
		for _, e := range leafErrors(err) {
			errs = append(errs, fmt.Errorf("config: tickets.%w", e))
		}
	}
	return errors.Join(errs...)
}

// validateRedis checks that one Redis setup is named, completely.
func (c Config) validateRedis(bad func(key, format string, a ...any)) {
	r := c.Redis
	set := 0
	for _, on := range []bool{r.Addr != "", r.SentinelMaster != "" || len(r.SentinelAddrs) > 0, len(r.ClusterAddrs) > 0} {
		if on {
			set++
		}
	}
	if set > 1 {
		bad("redis", "set one of redis.addr, redis.sentinel_master with redis.sentinel_addrs, or redis.cluster_addrs")
	}
	if r.mode() == "sentinel" {
		if r.SentinelMaster == "" {
			bad("redis.sentinel_master", "required with redis.sentinel_addrs: the master's name the sentinels monitor")
		}
		if len(r.SentinelAddrs) == 0 {
			bad("redis.sentinel_addrs", "required with redis.sentinel_master: the sentinels' host:port list")
		}
	}
	for key, list := range map[string][]string{"redis.sentinel_addrs": r.SentinelAddrs, "redis.cluster_addrs": r.ClusterAddrs} {
		for i, a := range list {
			if _, _, err := net.SplitHostPort(a); err != nil {
				bad(fmt.Sprintf("%s[%d]", key, i), "%q: want host:port", a)
			}
		}
	}
	if r.mode() == "cluster" && r.DB != 0 {
		bad("redis.db", "must be 0 with redis.cluster_addrs (a cluster has one database)")
	}
}

// validateProviders checks where the provider clients go. Plain http is
// for a sandbox on this host or a private network; outside sandbox mode the
// sandbox account's credentials must not go to a real provider.
func (c Config) validateProviders(bad func(key, format string, a ...any)) {
	// The clients check the form of scheme and base URL; here, where they
	// may go.
	if strings.EqualFold(c.AliyunSMS.Scheme, "http") && !c.Sandbox && !privateHost(c.AliyunSMS.Endpoint) {
		bad("aliyun_sms.scheme", "http sends signed requests in clear: only for a sandbox on this host or a private network, not %s", c.AliyunSMS.Endpoint)
	}
	if u, err := url.Parse(c.WeChat.BaseURL); err == nil && u.Scheme == "http" && !c.Sandbox && !privateHost(u.Host) {
		bad("wechat.base_url", "plain http only for a sandbox on this host or a private network, not %s", u.Host)
	}
	if c.Sandbox {
		return
	}
	if c.WeChat.BaseURL == "" && c.WeChat.AppID == sandboxAppID {
		bad("wechat.app_id", "%s is the sandbox account: set the official account's AppID, or point wechat.base_url at a `gridcast sandbox`", sandboxAppID)
	}
	if !privateHost(c.AliyunSMS.Endpoint) && c.AliyunSMS.AccessKeyID == sandboxAccessKeyID {
		bad("aliyun_sms.access_key_id", "%s is the sandbox account: set a RAM user's AccessKey, or point aliyun_sms.endpoint at a `gridcast sandbox`", sandboxAccessKeyID)
	}
}

// privateHost reports whether host[:port] is this host or on a private
// network: a loopback or private address, or localhost.
func privateHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && (ip.Unmap().IsLoopback() || ip.Unmap().IsPrivate())
}

// leafErrors flattens nested errors.Join results, so that each problem
// gets its own line and key prefix.
func leafErrors(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, leafErrors(e)...)
		}
		return out
	}
	if err == nil {
		return nil
	}
	return []error{err}
}

// applyEnv walks cfg's YAML keys and overrides each scalar leaf whose
// GRIDCAST_ variable is set. A value that does not parse is an error naming
// the variable.
func applyEnv(cfg *Config, env func(string) (string, bool)) error {
	var errs []error
	var walk func(v reflect.Value, prefix string)
	walk = func(v reflect.Value, prefix string) {
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
			if tag == "" || tag == "-" {
				continue
			}
			name := prefix + "_" + strings.ToUpper(tag)
			f := v.Field(i)
			if f.Kind() == reflect.Struct {
				walk(f, name)
				continue
			}
			raw, ok := env(name)
			if !ok {
				continue
			}
			if err := setScalar(f, raw); err != nil {
				errs = append(errs, fmt.Errorf("config: %s=%q: %w", name, raw, err))
			}
		}
	}
	walk(reflect.ValueOf(cfg).Elem(), "GRIDCAST")
	return errors.Join(errs...)
}

func setScalar(f reflect.Value, raw string) error {
	switch f.Kind() {
	case reflect.String:
		f.SetString(raw)
	case reflect.Bool:
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return errors.New("want true or false")
		}
		f.SetBool(b)
	case reflect.Int, reflect.Int64:
		if f.Type() == reflect.TypeOf(time.Duration(0)) {
			d, err := time.ParseDuration(raw)
			if err != nil {
				return errors.New("want a duration such as 30s or 5m")
			}
			f.SetInt(int64(d))
			return nil
		}
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return errors.New("want an integer")
		}
		f.SetInt(n)
	case reflect.Slice:
		if f.Type().Elem().Kind() != reflect.String {
			return errors.New("a list of records cannot be set from the environment; use the config file")
		}
		var items []string
		for _, it := range strings.Split(raw, ",") {
			if it = strings.TrimSpace(it); it != "" {
				items = append(items, it)
			}
		}
		f.Set(reflect.ValueOf(items))
	default:
		return fmt.Errorf("%s cannot be set from the environment; use the config file", f.Kind())
	}
	return nil
}

// walkKeys calls fn with the dotted YAML path of every leaf of v's type.
func walkKeys(v any, prefix string, fn func(key string)) {
	t := reflect.TypeOf(v)
	for i := 0; i < t.NumField(); i++ {
		tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
		key := tag
		if prefix != "" {
			key = prefix + "." + tag
		}
		ft := t.Field(i).Type
		switch {
		case ft.Kind() == reflect.Struct:
			walkKeys(reflect.Zero(ft).Interface(), key, fn)
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			walkKeys(reflect.Zero(ft.Elem()).Interface(), key+"[]", fn)
		default:
			fn(key)
		}
	}
}
