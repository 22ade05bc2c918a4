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
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/gridcast/gridcast/api"
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
	WeChat    WeChatConfig    `yaml:"wechat"`
	AliyunSMS AliyunSMSConfig `yaml:"aliyun_sms"`
	Security  SecurityConfig  `yaml:"security"`
	Log       LogConfig       `yaml:"log"`
	Sync      SyncConfig      `yaml:"sync"`
	Campaigns CampaignsConfig `yaml:"campaigns"`
	Tickets   TicketsConfig   `yaml:"tickets"`
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

// RedisConfig locates the Redis that carries Asynq work.
type RedisConfig struct {
	Addr     string `yaml:"addr"` // host:port; empty = in-process Redis, trial use only
	Password string `yaml:"password"`
	DB       int    `yaml:"db"`
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

// WeChatConfig is the official account's credentials.
type WeChatConfig struct {
	AppID          string `yaml:"app_id"`
	AppSecret      string `yaml:"app_secret"`
	Token          string `yaml:"token"`
	EncodingAESKey string `yaml:"encoding_aes_key"`
}

// AliyunSMSConfig is the Aliyun SMS account.
type AliyunSMSConfig struct {
	AccessKeyID     string `yaml:"access_key_id"`
	AccessKeySecret string `yaml:"access_key_secret"`
	SignName        string `yaml:"sign_name"`
	Endpoint        string `yaml:"endpoint"` // default dysmsapi.aliyuncs.com
}

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
			AppID: "wxsandbox0000000001", AppSecret: "sandbox-app-secret", Token: "sandboxtoken",
			EncodingAESKey: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
		},
		AliyunSMS: AliyunSMSConfig{
			AccessKeyID: "LTAIsandbox", AccessKeySecret: "sandbox-secret", SignName: "网格通",
			Endpoint: "dysmsapi.aliyuncs.com",
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
			return cfg, "", fmt.Errorf("config: %s: %s", path, strings.TrimPrefix(err.Error(), "yaml: "))
		}
		source = path
	}
	if err := applyEnv(&cfg, env); err != nil {
		return cfg, "", err
	}
	if cfg.Store.Driver == "sqlite" && cfg.Store.DSN == "" {
		cfg.Store.DSN = filepath.Join(cfg.DataDir, "gridcast.db")
	}
	if err := cfg.Validate(); err != nil {
		return cfg, "", err
	}
	return cfg, source, nil
}

// Validate joins every problem, each naming its key.
func (c Config) Validate() error {
	var errs []error
	bad := func(key, format string, a ...any) {
		errs = append(errs, fmt.Errorf("config: %s: %s", key, fmt.Sprintf(format, a...)))
	}
	switch c.Store.Driver {
	case "sqlite":
	case "postgres":
		if c.Store.DSN == "" {
			bad("store.dsn", "required when store.driver is postgres (e.g. postgres://user@host:5432/gridcast)")
		}
		if c.Security.PIIKey == "" && c.Security.PIIKeyFile == "" {
			bad("security.pii_key", "required when store.driver is postgres, so every process seals ID numbers with the same key (generate one with `gridcast keygen`)")
		}
	default:
		bad("store.driver", "%q is not sqlite or postgres", c.Store.Driver)
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
	if !c.Sandbox {
		for key, v := range map[string]string{
			"wechat.app_id": c.WeChat.AppID, "wechat.app_secret": c.WeChat.AppSecret, "wechat.token": c.WeChat.Token,
			"aliyun_sms.access_key_id": c.AliyunSMS.AccessKeyID, "aliyun_sms.access_key_secret": c.AliyunSMS.AccessKeySecret,
			"aliyun_sms.sign_name": c.AliyunSMS.SignName,
		} {
			if v == "" {
				bad(key, "required when sandbox is false")
			}
		}
	}
	if k := c.WeChat.EncodingAESKey; k != "" && len(k) != 43 {
		bad("wechat.encoding_aes_key", "must be 43 characters, got %d", len(k))
	}
	names := map[string]bool{}
	for i, s := range c.Sync.Sources {
		key := fmt.Sprintf("sync.sources[%d]", i)
		if s.Name == "" {
			bad(key+".name", "required")
		} else if names[s.Name] {
			bad(key+".name", "%q is used twice", s.Name)
		}
		names[s.Name] = true
	}
	if _, err := c.Tickets.desk(); err != nil {
		for _, e := range leafErrors(err) {
			errs = append(errs, fmt.Errorf("config: tickets.%w", e))
		}
	}
	return errors.Join(errs...)
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
