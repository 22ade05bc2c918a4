package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/desk"
	"github.com/gridcast/gridcast/tickets"
)

func envOf(m map[string]string) environ {
	var e environ
	for k, v := range m {
		e = append(e, k+"="+v)
	}
	return e
}

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadConfigDefaults(t *testing.T) {
	t.Chdir(t.TempDir()) // no config.yaml here
	cfg, source, err := loadConfig("", envOf(nil).lookup)
	if err != nil {
		t.Fatal(err)
	}
	if source != "embedded defaults" {
		t.Errorf("source = %q", source)
	}
	want := StoreConfig{Driver: "sqlite", DSN: filepath.Join("data", "gridcast.db")}
	if diff := cmp.Diff(want, cfg.Store); diff != "" {
		t.Errorf("store (-want +got):\n%s", diff)
	}
	if !cfg.Sandbox || cfg.Redis.Addr != "" {
		t.Errorf("embedded default must be sandboxed with in-process Redis: %+v", cfg)
	}
}

func TestLoadConfigFileAndEnv(t *testing.T) {
	p := writeFile(t, `
data_dir: /var/lib/gridcast
store:
  driver: postgres
  dsn: postgres://file@db/gridcast
security:
  pii_key: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
aliyun_sms:
  sign_name: 网格通
  access_key_id: LTAI5tQwErTyUiOp
wechat:
  app_id: wx1234567890abcdef
`)
	cfg, source, err := loadConfig(p, envOf(map[string]string{
		"GRIDCAST_STORE_DSN":                    "postgres://env@db/gridcast",
		"GRIDCAST_ALIYUN_SMS_ACCESS_KEY_SECRET": "from-env",
		"GRIDCAST_SANDBOX":                      "false",
		"GRIDCAST_REDIS_SENTINEL_MASTER":        "gridcast",
		"GRIDCAST_REDIS_SENTINEL_ADDRS":         "10.0.0.1:26379, 10.0.0.2:26379,10.0.0.3:26379",
		"GRIDCAST_REDIS_DB":                     "3",
		"GRIDCAST_ALIYUN_SMS_PUSH_ALLOW":        "203.0.113.0/24,2001:db8::/32",
		"GRIDCAST_HTTP_TRUSTED_PROXIES":         "127.0.0.1",
	}).lookup)
	if err != nil {
		t.Fatal(err)
	}
	if source != p {
		t.Errorf("source = %q", source)
	}
	got := []string{cfg.Store.Driver, cfg.Store.DSN, cfg.AliyunSMS.AccessKeySecret, cfg.AliyunSMS.SignName, cfg.DataDir}
	want := []string{"postgres", "postgres://env@db/gridcast", "from-env", "网格通", "/var/lib/gridcast"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if d := cmp.Diff([]string{"10.0.0.1:26379", "10.0.0.2:26379", "10.0.0.3:26379"}, cfg.Redis.SentinelAddrs); d != "" || cfg.Redis.mode() != "sentinel" {
		t.Errorf("redis.sentinel_addrs from a comma-separated variable (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"203.0.113.0/24", "2001:db8::/32"}, cfg.AliyunSMS.PushAllow); d != "" {
		t.Errorf("aliyun_sms.push_allow from a comma-separated variable (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"127.0.0.1"}, cfg.HTTP.TrustedProxies); d != "" {
		t.Errorf("http.trusted_proxies from the environment (-want +got):\n%s", d)
	}
	if cfg.Sandbox || cfg.Redis.DB != 3 {
		t.Errorf("sandbox=%v redis.db=%d", cfg.Sandbox, cfg.Redis.DB)
	}
}

func TestLoadConfigErrorsNameTheKey(t *testing.T) {
	tests := []struct {
		name, file string
		env        map[string]string
		want       []string
	}{
		{"unknown key", "store:\n  drvier: sqlite\n", nil, []string{"store.drvier", `unknown key "drvier"`}},
		{"bad driver", "store:\n  driver: oracle\n", nil, []string{"store.driver", "oracle"}},
		{"postgres needs dsn and key", "store:\n  driver: postgres\n", nil, []string{"store.dsn", "security.pii_key"}},
		{"bad env bool", "", map[string]string{"GRIDCAST_SANDBOX": "maybe"}, []string{"GRIDCAST_SANDBOX"}},
		{"bad env int", "", map[string]string{"GRIDCAST_REDIS_DB": "x"}, []string{"GRIDCAST_REDIS_DB"}},
		{"production needs credentials", "sandbox: false\nwechat:\n  app_secret: ''\n", nil, []string{"wechat.app_secret"}},
		{"aes key length", "wechat:\n  encoding_aes_key: short\n", nil, []string{"wechat.encoding_aes_key", "43"}},
		{"log level", "log:\n  level: loud\n", nil, []string{"log.level"}},
		{"wrong type", "redis:\n  db: zero\n", nil, []string{"config: redis.db: cannot unmarshal", "line 2"}},
		{"wrong type in a list", "queue:\n  concurrency: [1, 2]\n", nil, []string{"queue.concurrency", "line 2"}},
		{"sandbox account outside the sandbox", "sandbox: false\n", nil, []string{"wechat.app_id", "sandbox account", "aliyun_sms.access_key_id"}},
		{"plain http to a public host", "sandbox: false\nwechat:\n  app_id: wx1\n  base_url: http://api.example.com\naliyun_sms:\n  access_key_id: LTAI1\n  scheme: http\n  endpoint: sms.example.com\n",
			nil, []string{"wechat.base_url", "aliyun_sms.scheme"}},
		{"base url with a path", "wechat:\n  base_url: http://127.0.0.1:8090/cgi-bin\n", nil, []string{"wechat.base_url", "no path"}},
		{"sentinel without master", "redis:\n  sentinel_addrs: [127.0.0.1:26379]\n", nil, []string{"redis.sentinel_master"}},
		{"two redis setups", "redis:\n  addr: 127.0.0.1:6379\n  cluster_addrs: [127.0.0.1:7000]\n", nil, []string{"set one of"}},
		{"cluster db", "redis:\n  cluster_addrs: [127.0.0.1:7000]\n  db: 2\n", nil, []string{"redis.db", "cluster"}},
		{"worker addr", "worker:\n  addr: 127.0.0.1:8080\n", nil, []string{"worker.addr", "http.addr"}},
		{"tickets unknown key", "tickets:\n  sla:\n    deadline: {}\n", nil, []string{"deadline"}},
		{"tickets category", "tickets:\n  sla:\n    deadlines:\n      noise: 12h\n", nil, []string{"tickets.sla.deadlines[noise]", "unknown category"}},
		{"tickets level", "tickets:\n  sla:\n    steps:\n      grid_worker: 1h\n", nil, []string{"tickets.sla.steps[grid_worker]"}},
		{"tickets durations", "tickets:\n  binding_ttl: 10s\n  thread_window: -1h\n", nil, []string{"tickets.binding_ttl", "tickets.thread_window"}},
		{"tickets bad duration", "tickets:\n  sla:\n    reopen_window: a week\n", nil, []string{"line 3"}},
		{"tickets no opt-out", "tickets:\n  keywords:\n    unsubscribe: []\n", nil, []string{"tickets.keywords.unsubscribe"}},
		{"tickets canned", "tickets:\n  canned:\n    other: '{{resident.name}}'\n", nil, []string{"tickets.canned[other]", "placeholder"}},
		{"tickets env", "", map[string]string{"GRIDCAST_TICKETS_BINDING_ATTEMPTS": "many"}, []string{"GRIDCAST_TICKETS_BINDING_ATTEMPTS"}},
		{"api users env", "", map[string]string{"GRIDCAST_HTTP_API_USERS": "王芳"}, []string{"GRIDCAST_HTTP_API_USERS", "config file"}},
		{"push allow", "aliyun_sms:\n  push_allow: [203.0.113.0/24, dysmsapi.aliyuncs.com, 10.1.2.3/8]\n", nil,
			[]string{`config: aliyun_sms.push_allow[1] "dysmsapi.aliyuncs.com": want an IP address or a CIDR network`, "host names are not resolved",
				`config: aliyun_sms.push_allow[2] "10.1.2.3/8"`, "did you mean 10.0.0.0/8?"}},
		{"push allow env", "", map[string]string{"GRIDCAST_ALIYUN_SMS_PUSH_ALLOW": "203.0.113.7, any"}, []string{`config: aliyun_sms.push_allow[1] "any"`}},
		{"trusted proxies", "http:\n  trusted_proxies: [localhost]\n", nil, []string{`config: http.trusted_proxies[0] "localhost"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := loadConfig(writeFile(t, tt.file), envOf(tt.env).lookup)
			if err == nil {
				t.Fatal("want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// A file with the former http.api_users is refused with the command that
// moves each entry into the database, keeping its token.
func TestAPIUsersMoved(t *testing.T) {
	hash := strings.Repeat("a1", 32)
	p := writeFile(t, "http:\n  api_users:\n    - name: 王芳\n      token_sha256: "+hash+"\n      roles: [officer, viewer]\n")
	_, _, err := loadConfig(p, envOf(nil).lookup)
	if err == nil {
		t.Fatal("http.api_users loaded")
	}
	for _, want := range []string{"http.api_users", `gridcast users create "王芳" --token-sha256 ` + hash + " --role officer --role viewer --grid CODE"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

func TestHTTPLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:8080": true, "127.0.0.2:80": true, "[::1]:8080": true, "localhost:8080": true,
		":8080": false, "0.0.0.0:8080": false, "[::]:8080": false, "10.0.0.5:8080": false, "gridcast.internal:8080": false, "8080": false,
	} {
		if got := (HTTPConfig{Addr: addr}).loopback(); got != want {
			t.Errorf("loopback(%q) = %v, want %v", addr, got, want)
		}
	}
}

func TestConfigExampleIsValidAndComplete(t *testing.T) {
	// The documented example must load as-is and mention every key.
	cfg, _, err := loadConfig("../../config.example.yaml", envOf(nil).lookup)
	if err != nil {
		t.Fatalf("config.example.yaml: %v", err)
	}
	_ = cfg
	data, err := os.ReadFile("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	walkKeys(Config{}, "", func(key string) {
		last := key[strings.LastIndex(key, ".")+1:]
		if !strings.Contains(string(data), last+":") {
			missing = append(missing, key)
		}
	})
	if len(missing) > 0 {
		t.Errorf("config.example.yaml does not document: %v", missing)
	}
}

func TestTicketsConfig(t *testing.T) {
	p := writeFile(t, `
tickets:
  thread_window: 72h
  sla:
    deadlines:
      complaints: 12h
  canned:
    employment: "网格员{{worker.name}}会联系您。"
  templates:
    sms_reply: SMS_OWN_REPLY
  answers:
    rated: 谢谢！
`)
	cfg, _, err := loadConfig(p, envOf(map[string]string{"GRIDCAST_TICKETS_SLA_REOPEN_WINDOW": "48h"}).lookup)
	if err != nil {
		t.Fatal(err)
	}
	ic, err := cfg.deskConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	sla := ic.Tickets.SLA
	got := []any{ic.ThreadWindow, sla.Deadline(tickets.CategoryComplaints), sla.Deadline(tickets.CategoryEnvironment),
		sla.Window(), ic.Tickets.Canned.Text(tickets.CategoryEmployment), ic.Templates.SMSReply, ic.Answers.Rated}
	want := []any{72 * time.Hour, 12 * time.Hour, 48 * time.Hour, 48 * time.Hour, "网格员{{worker.name}}会联系您。", "SMS_OWN_REPLY", "谢谢！"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestCalendarConfig(t *testing.T) {
	dir := t.TempDir()
	official := filepath.Join(dir, "2027.yaml")
	if err := os.WriteFile(official, []byte("year: 2027\nsource: 国办发明电\nholidays:\n  - {name: 春节, from: 2027-02-05, to: 2027-02-11, workdays: [2027-02-20]}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := writeFile(t, `
calendar:
  years: [`+official+`]
  office_hours: ["08:30-12:00", "14:00-18:00"]
tickets:
  sla:
    terms:
      employment: {workdays: 3, end_of_day: true}
      environment: {working_hours: 8h}
    warning: 4h
`)
	cfg, _, err := loadConfig(p, envOf(nil).lookup)
	if err != nil {
		t.Fatal(err)
	}
	dc, err := cfg.deskConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	sla := dc.Tickets.SLA
	cst := time.FixedZone("CST", 8*3600)
	// Friday 5 February 2027, under the loaded notice: 春节 to Thursday the
	// 11th, Saturday the 20th worked.
	created := time.Date(2027, 2, 4, 10, 0, 0, 0, cst)
	got := []any{sla.DueText(tickets.CategoryEmployment, sla.DueAt(tickets.CategoryEmployment, created)),
		sla.DueText(tickets.CategoryEnvironment, sla.DueAt(tickets.CategoryEnvironment, created)), sla.Warning}
	want := []any{"2月16日（周二）", "2月12日（周五）10:30", 4 * time.Hour}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	bad := writeFile(t, "calendar:\n  years: [/nonexistent/2028.yaml]\n  office_hours: [\"9-12\"]\ntickets:\n  sla:\n    terms:\n      parking: {workdays: 1}\n")
	_, _, err = loadConfig(bad, envOf(nil).lookup)
	for _, want := range []string{"calendar.office_hours[0]", "calendar.years[0]", "tickets.sla.terms[parking]: unknown category"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error = %v, want it to name %s", err, want)
		}
	}
}

// The example documents the defaults: loading it must give what an empty
// tickets section gives.
func TestConfigExampleTicketsAreTheDefaults(t *testing.T) {
	cfg, _, err := loadConfig("../../config.example.yaml", envOf(nil).lookup)
	if err != nil {
		t.Fatal(err)
	}
	ex, err := cfg.deskConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	kw, sla := ex.Tickets.Keywords, ex.Tickets.SLA
	got := []any{ex.ThreadWindow, ex.BindingTTL, ex.BindingAttempts, ex.TicketOptions, kw.Unsubscribe, kw.Confirm,
		kw.Reschedule, kw.ShortReply, sla.Deadlines, sla.Steps, sla.ReopenWindow, sla.Terms, sla.Warning}
	want := []any{desk.DefaultThreadWindow, 5 * time.Minute, 5, desk.DefaultTicketOptions, tickets.DefaultUnsubscribe,
		tickets.DefaultConfirm, tickets.DefaultReschedule, tickets.DefaultShortReply, tickets.DefaultDeadlines,
		tickets.DefaultSteps, tickets.DefaultReopenWindow, map[tickets.Category]tickets.Term(nil), time.Duration(0)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("config.example.yaml tickets differ from the defaults (-want +got):\n%s", diff)
	}
}

func TestRedactSecrets(t *testing.T) {
	cfg := defaultConfig()
	cfg.Store.DSN = "postgres://u:pw@h/db"
	cfg.Sync.Sources = []SyncSource{{Name: "hukou", DSN: "root:pw@tcp(h)/db"}}
	r := redactSecrets(cfg)
	for _, v := range []string{r.Store.DSN, r.WeChat.AppSecret, r.WeChat.Token, r.AliyunSMS.AccessKeySecret, r.Sync.Sources[0].DSN} {
		if v != "REDACTED" {
			t.Errorf("secret not redacted: %q", v)
		}
	}
	if r.WeChat.AppID != cfg.WeChat.AppID || cfg.Store.DSN != "postgres://u:pw@h/db" {
		t.Error("redaction changed a non-secret or the original")
	}
}

// A shared sandbox on this host is reachable outside sandbox mode with
// the sandbox account; unknown GRIDCAST_ variables are named.
func TestSharedSandboxAndUnknownEnv(t *testing.T) {
	cfg, _, err := loadConfig(writeFile(t, "sandbox: false\nwechat:\n  base_url: http://127.0.0.1:8090\naliyun_sms:\n  endpoint: 127.0.0.1:8090\n  scheme: http\n"), envOf(nil).lookup)
	if err != nil {
		t.Fatalf("a shared sandbox on loopback: %v", err)
	}
	if cfg.WeChat.BaseURL != "http://127.0.0.1:8090" || cfg.AliyunSMS.Scheme != "http" {
		t.Errorf("provider settings %+v %+v", cfg.WeChat, cfg.AliyunSMS)
	}
	got := (environ{"GRIDCAST_REDIS_ADRR=x", "GRIDCAST_REDIS_ADDR=y", "GRIDCAST_TEST_REDIS=z", "GRIDCAST_BENCH_RESIDENTS=1",
		"GRIDCAST_TICKETS_SLA_REOPEN_WINDOW=1h", "HOME=/root", "GRIDCAST_WECHAT_BASEURL=u"}).unknown()
	if d := cmp.Diff([]string{"GRIDCAST_REDIS_ADRR", "GRIDCAST_WECHAT_BASEURL"}, got); d != "" {
		t.Errorf("unknownEnv (-want +got):\n%s", d)
	}
}
