package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gridcast/gridcast/gateway/sandbox"
	"github.com/gridcast/gridcast/gateway/wechat"
	"github.com/gridcast/gridcast/internal/testlog"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
)

// seededApp seeds a SQLite store in dir and returns an app configured for
// it, with the openids of its residents and workers who bound WeChat.
func seededApp(t *testing.T, dir string) (*app, []pii.OpenID, []pii.OpenID) {
	t.Helper()
	if _, errOut, code := gridcast(t, dir, "seed", "--residents", "300", "--seed", "5", "--quiet"); code != 0 {
		t.Fatalf("seed: %s", errOut)
	}
	a := &app{env: envOf(map[string]string{"GRIDCAST_DATA_DIR": dir}), stdout: io.Discard, stderr: testlog.Writer()}
	if err := a.loadConfig(); err != nil {
		t.Fatal(err)
	}
	st, err := a.openStore(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var residents, workers []pii.OpenID
	err = st.StreamSegment(t.Context(), "channel:wechat", 0, 100, func(rs []population.Resident) error {
		for _, r := range rs {
			residents = append(residents, r.OpenID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ws, err := st.Workers(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range ws {
		if w.OpenID != "" {
			workers = append(workers, w.OpenID)
		}
	}
	if len(residents) < 2 || len(workers) == 0 {
		t.Fatalf("the seeded store has %d residents and %d workers on WeChat", len(residents), len(workers))
	}
	return a, residents, workers
}

// knowFollowers makes the store's residents and workers who bound WeChat
// followers, and leaves alone the ones the sandbox already knew (the demo
// marks some as having unfollowed).
func TestKnowFollowersFromStore(t *testing.T) {
	t.Chdir(t.TempDir())
	a, residents, workers := seededApp(t, t.TempDir())
	st, err := a.openStore(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sb := a.newSandbox("")
	defer sb.Close()
	sb.WeChat.SetFollower(wechat.Follower{OpenID: residents[1], Following: false})
	for range 2 { // a second pass changes nothing
		if err := a.knowFollowers(t.Context(), st, sb); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range append([]pii.OpenID{residents[0]}, workers...) {
		if f, ok := sb.WeChat.LookupFollower(id); !ok || !f.Following {
			t.Errorf("%v: %+v %v, want following", id, f, ok)
		}
	}
	if f, _ := sb.WeChat.LookupFollower(residents[1]); f.Following {
		t.Errorf("a resident marked as unfollowed follows again after the store was read")
	}
}

// syncBuffer is an io.Writer safe to read while the command writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runSandbox starts `gridcast sandbox` on a free port and returns its
// address, its output so far, and a stop function that returns the exit
// code.
func runSandbox(t *testing.T, env map[string]string, args ...string) (string, *syncBuffer, func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuffer
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, append([]string{"sandbox", "--addr", "127.0.0.1:0"}, args...), &out, stderrOf(&errOut), envOf(env))
	}()
	re := regexp.MustCompile(`WeChat at http://([0-9.:]+)/cgi-bin/`)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if m := re.FindStringSubmatch(out.String()); m != nil && strings.Contains(out.String(), "followers:") {
			stopped := false
			stop := func() int {
				if !stopped {
					stopped = true
					cancel()
				}
				select {
				case c := <-code:
					return c
				case <-time.After(10 * time.Second):
					t.Fatal("gridcast sandbox did not stop")
				}
				return -1
			}
			t.Cleanup(func() { cancel() })
			return m[1], &out, stop
		}
		select {
		case c := <-code:
			t.Fatalf("gridcast sandbox exited %d: %s%s", c, out.String(), errOut.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("gridcast sandbox did not start: %s%s", out.String(), errOut.String())
		}
	}
}

// wire speaks WeChat's API to a sandbox, as the SDK would; the SDK itself
// is process-wide (one API origin per process) and other tests here use
// it.
func wire(t *testing.T, addr string) func(path string, body any) map[string]any {
	return func(path string, body any) map[string]any {
		t.Helper()
		b, _ := json.Marshal(body)
		resp, err := http.Post("http://"+addr+path, "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return out
	}
}

// `gridcast sandbox` standalone: WeChat knows the store's residents as
// followers, the record goes to the file and is counted by the admin API,
// and the process stops cleanly.
func TestCLISandboxShared(t *testing.T) {
	t.Chdir(t.TempDir())
	dir := t.TempDir()
	_, residents, _ := seededApp(t, dir)
	record := filepath.Join(t.TempDir(), "record.jsonl")
	addr, out, stop := runSandbox(t, map[string]string{"GRIDCAST_DATA_DIR": dir}, "--record", record)
	if !strings.Contains(out.String(), "residents and workers who bound WeChat in the store") {
		t.Errorf("startup output: %s", out.String())
	}
	def := defaultConfig()
	post := wire(t, addr)
	tok := post("/cgi-bin/stable_token", map[string]string{"grant_type": "client_credential",
		"appid": def.WeChat.AppID, "secret": def.WeChat.AppSecret})
	send := map[string]any{"touser": string(residents[0]), "template_id": sandbox.WeChatTemplateNotice, "client_msg_id": "77",
		"data": map[string]any{"keyword1": map[string]string{"value": "稳岗补贴开始申领"},
			"keyword2": map[string]string{"value": "李娜"}, "keyword3": map[string]string{"value": "回T退订"}}}
	got := post("/cgi-bin/message/template/send?access_token="+tok["access_token"].(string), send)
	if got["errcode"] != 0.0 {
		t.Fatalf("template send to a resident bound in the store: %v", got)
	}
	if strings.Contains(out.String(), string(residents[0])) {
		t.Errorf("the output names an openid in clear: %s", out.String())
	}

	resp, err := http.Get("http://" + addr + "/sandbox/record")
	if err != nil {
		t.Fatal(err)
	}
	var rec sandbox.RecordSummary
	err = json.NewDecoder(resp.Body).Decode(&rec)
	resp.Body.Close()
	if err != nil || rec.WeChat.Accepted != 1 || rec.WeChat.Recipients[string(residents[0])] != 1 || rec.File != record {
		t.Errorf("GET /sandbox/record: %+v %v", rec, err)
	}
	if code := stop(); code != 0 {
		t.Errorf("exit code %d", code)
	}
	b, err := os.ReadFile(record)
	if err != nil || strings.Count(string(b), "\n") != 1 || !strings.Contains(string(b), `"client_msg_id":"77"`) {
		t.Errorf("record file: %s %v", b, err)
	}

	// Started again on the same file, it says what it replayed.
	_, out, stop = runSandbox(t, map[string]string{"GRIDCAST_DATA_DIR": dir}, "--record", record)
	if !strings.Contains(out.String(), "(0 SMS and 1 WeChat messages from earlier runs)") {
		t.Errorf("restart output: %s", out.String())
	}
	stop()
}

// A store that cannot be opened is said in a sentence; the sandbox runs
// on without followers from it.
func TestCLISandboxWithoutStore(t *testing.T) {
	t.Chdir(t.TempDir())
	env := map[string]string{"GRIDCAST_DATA_DIR": t.TempDir(), "GRIDCAST_STORE_DRIVER": "postgres",
		"GRIDCAST_STORE_DSN":        "postgres://nobody@127.0.0.1:1/nothing?sslmode=disable&connect_timeout=2",
		"GRIDCAST_SECURITY_PII_KEY": pii.NewKey()}
	addr, out, stop := runSandbox(t, env, "--record", "-")
	if !strings.Contains(out.String(), "followers: the store cannot be opened") || !strings.Contains(out.String(), "record: in memory only") {
		t.Errorf("output: %s", out.String())
	}
	resp, err := http.Get("http://" + addr + "/sandbox/faults")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("admin API without a store: %s", resp.Status)
	}
	if code := stop(); code != 0 {
		t.Errorf("exit code %d", code)
	}
}
