package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/gridcast/gridcast/assessment"
	"github.com/gridcast/gridcast/dispatch"
	"github.com/gridcast/gridcast/retention"
	"github.com/gridcast/gridcast/visits"
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
	Retention RetentionConfig `yaml:"retention"`
	Log       LogConfig       `yaml:"log"`
	Sync      SyncConfig      `yaml:"sync"`
	Campaigns CampaignsConfig `yaml:"campaigns"`
	Queue     QueueConfig     `yaml:"queue"`
	Tickets   TicketsConfig   `yaml:"tickets"`
	Calendar  CalendarConfig  `yaml:"calendar"`
	Blob      BlobConfig      `yaml:"blob"`
	// Visits are the visit register's norms (走访台账: who must be visited
	// how often); default visits.DefaultConfig().
	Visits visits.Config `yaml:"visits"`
	// Assessment is 考核: the indicators' weights, the targets, what a
	// satisfaction answer is worth and the grades; default
	// assessment.DefaultConfig().
	Assessment assessment.Config `yaml:"assessment"`
	// Departments are the bodies a ticket can be dispatched to (分拨):
	// code (what users' --department and the API name) and name. Empty
	// (the default) is dispatch.DefaultDepartments: 城管, 住建/物业, 民政,
	// 人社, 医保, 卫健, 派出所, 消防, 燃气, 供暖, 水电. A list, so the file
	// only.
	Departments []dispatch.Department `yaml:"departments"`
	// DepartmentsByCategory suggests the departments a ticket of a
	// category goes to (category → department codes), shown by `gridcast
	// departments` and GET /api/v1/departments. Categories listed replace
	// their defaults ([] = no suggestion); the others keep
	// dispatch.DefaultRoutes, less the departments not configured.
	DepartmentsByCategory map[string][]string `yaml:"departments_by_category"`
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
	// MaxConns caps the PostgreSQL connections of one process; 0 sizes the
	// pool for the queue: two per concurrent task, at least
	// store.DefaultMaxConns.
	MaxConns int `yaml:"max_conns"`
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
	// APIUsers is the former list of API users, now kept in the database
	// (gridcast users). Loading a file that still has it is an error that
	// says how to move each entry, keeping its token.
	APIUsers []map[string]any `yaml:"api_users"`
	// TrustedProxies are the reverse proxies in front of http.addr (IP
	// addresses or CIDR networks) whose X-Forwarded-For names the client.
	// Only aliyun_sms.push_allow reads it; the API believes no forwarding
	// header. Empty (the default): every request is judged by its TCP peer.
	TrustedProxies []string `yaml:"trusted_proxies,flow"`
	// Login is the console's sign-in by user name and password: lockout
	// after wrong passwords, the sessions' life, the rate per address and
	// the cookie's Secure flag.
	Login LoginConfig `yaml:"login"`
}

// movedAPIUsers explains how to move http.api_users into the database.
func (c HTTPConfig) movedAPIUsers() error {
	if len(c.APIUsers) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString("http.api_users: users live in the database now, with a scope in the grid tree; move each entry, keeping its token, with\n")
	for _, u := range c.APIUsers {
		name, _ := u["name"].(string)
		hash, _ := u["token_sha256"].(string)
		fmt.Fprintf(&b, "  gridcast users create %q --token-sha256 %s", name, hash)
		if roles, ok := u["roles"].([]any); ok {
			for _, r := range roles {
				fmt.Fprintf(&b, " --role %v", r)
			}
		}
		b.WriteString(" --grid CODE\n")
	}
	b.WriteString("(--grid: the grids the user serves, or '*' for the whole city), then delete http.api_users from the file")
	return errors.New(b.String())
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
	// PushToken is the secret of the report and uplink callback URLs
	// registered with Aliyun (…/aliyun/sms/report?token=…): Aliyun's pushes
	// carry no signature, so a push without it is refused (403). Required
	// for serve outside sandbox mode; the sandbox's emulators push with it.
	PushToken string `yaml:"push_token"`
	// PushAllow, when not empty, lists the networks (IP addresses or CIDR
	// networks) Aliyun's pushes may come from; a push from elsewhere is
	// refused (403) whatever its token. The client address is the TCP peer,
	// or behind one of http.trusted_proxies the address its
	// X-Forwarded-For names. Empty (the default): any address.
	PushAllow []string `yaml:"push_allow,flow"`
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

// RetentionConfig is how long residents' personal data is kept
// (retention.Config): once a day the workers clear what is older. Unlike
// the queue's keys, zero does not mean the default here: an age of 0s
// keeps that data forever; an absent key keeps the default.
type RetentionConfig struct {
	// Enabled runs the daily purge (03:40 Beijing time). Default true;
	// false holds everything (and `gridcast retention run` refuses all but
	// --dry-run). Erasure on request does not depend on it.
	Enabled bool `yaml:"enabled"`
	// MessageText is the age after which an outbound message's text,
	// template parameters, link and recipient are cleared. Default 4320h
	// (180 days); at least 24h, or 0s to keep them forever.
	MessageText time.Duration `yaml:"message_text"`
	// Inbound is the age after which residents' messages (their content,
	// media ids included, and sender), WeChat binding requests, and of
	// closed tickets the text, location, photos and voice (deleted from the
	// blob store) and staff notes on department tasks and 督办 flags are
	// cleared. Default 4320h (180 days); at least 24h, or 0s to keep them
	// forever.
	Inbound time.Duration `yaml:"inbound"`
	// Batch is how many rows one transaction of the purge looks at.
	// Default (0) 2000; 100–50000.
	Batch int `yaml:"batch"`
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
		HTTP:    HTTPConfig{Addr: "127.0.0.1:8080", Login: defaultLoginConfig()},
		WeChat: WeChatConfig{
			AppID: sandboxAppID, AppSecret: "sandbox-app-secret", Token: "sandboxtoken",
			EncodingAESKey: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
		},
		AliyunSMS: AliyunSMSConfig{
			AccessKeyID: sandboxAccessKeyID, AccessKeySecret: "sandbox-secret", SignName: "网格通",
			Endpoint: "dysmsapi.aliyuncs.com", Scheme: "https",
		},
		Log:       LogConfig{Level: "info", Format: "text"},
		Retention: RetentionConfig{Enabled: true, MessageText: retention.DefaultAge, Inbound: retention.DefaultAge},
		Campaigns: CampaignsConfig{
			ApprovalThreshold: 1000, QuietStart: "21:00", QuietEnd: "08:00",
			CapPerDay: 2, CapPerWeek: 5, SMSRate: 50, WeChatRate: 50,
		},
		Visits:     visits.DefaultConfig(),
		Assessment: assessment.DefaultConfig(),
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
