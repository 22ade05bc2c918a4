package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/api"
	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/gateway"
	"github.com/gridcast/gridcast/internal/testlog"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/population/synth"
	"github.com/gridcast/gridcast/queue"
	"github.com/gridcast/gridcast/queue/monitor"
	"github.com/gridcast/gridcast/store"
)

// A campaign's status says why its pending messages wait, in the
// request's language, and which channels are paused right now.
func TestCampaignStatusWaiting(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	sealer, _ := pii.NewSealer(make([]byte, 32))
	log := testlog.New(t)
	st, err := store.Open(ctx, store.Config{Driver: "sqlite", DSN: filepath.Join(t.TempDir(), "w.db")}, sealer, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	gen, _ := synth.New(synth.Config{Residents: 5, Seed: 4})
	if err := st.UpsertGrids(ctx, gen.Grids()); err != nil {
		t.Fatal(err)
	}
	if _, err := st.BulkInsertResidents(ctx, gen.Next, nil); err != nil {
		t.Fatal(err)
	}
	rs, err := st.Residents(ctx, []int64{1, 2, 3})
	if err != nil || len(rs) != 3 {
		t.Fatalf("residents 1-3: %v, %v", rs, err)
	}
	ids := []int64{1, 2, 3}
	now := time.Date(2026, 12, 5, 22, 10, 0, 0, campaigns.Shanghai())
	quietEnd := time.Date(2026, 12, 6, 8, 0, 0, 0, campaigns.Shanghai())
	c := campaigns.Campaign{Name: "等待", Kind: campaigns.KindPolicyNotice, Segment: "age:18..", ChannelPolicy: campaigns.SMSOnly,
		Owner: "王芳", ScheduleAt: now, ExpiresAt: now.Add(72 * time.Hour),
		SMS: campaigns.SMSContent{SignName: "网格通", TemplateCode: "SMS_T", Params: map[string]string{"worker": "{{worker.name}}"}}}
	if err := st.CreateCampaign(ctx, &c); err != nil {
		t.Fatal(err)
	}
	if _, err := st.StartRun(ctx, c.ID, 1, now); err != nil {
		t.Fatal(err)
	}
	ms := make([]outbound.Message, 3)
	for i := range ms {
		ms[i] = outbound.Message{ResidentID: ids[i], Channel: population.ChannelSMS, NotBefore: now}
	}
	if ms, err = st.WriteMessages(ctx, c.ID, 1, ms, ids[2], true); err != nil {
		t.Fatal(err)
	}
	for _, m := range ms[:2] {
		if _, ok, err := st.ClaimMessage(ctx, m.ID, now); !ok || err != nil {
			t.Fatal(ok, err)
		}
		if err := st.RescheduleMessage(ctx, m.ID, quietEnd, outbound.WaitQuietHours); err != nil {
			t.Fatal(err)
		}
	}
	pauses := []outbound.ChannelPause{{Channel: population.ChannelSMS, Remaining: 8*time.Minute + 30*time.Second, Code: "isv.AMOUNT_NOT_ENOUGH"}}
	var pauseErr error
	h, err := api.New(api.Config{Segments: st, Campaigns: st, Ready: func(context.Context) error { return nil }, Log: log,
		Now:           func() time.Time { return now },
		ChannelPauses: func(context.Context) ([]outbound.ChannelPause, error) { return pauses, pauseErr }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	status := func(lang string) api.CampaignStatus {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+"/api/v1/campaigns/"+strconv.FormatInt(c.ID, 10), nil)
		if lang != "" {
			req.Header.Set("Accept-Language", lang)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out api.CampaignStatus
		if err := json.NewDecoder(res.Body).Decode(&out); res.StatusCode != 200 || err != nil {
			t.Fatalf("status %d, %v", res.StatusCode, err)
		}
		return out
	}
	zh := status("")
	wantWaiting := []api.Waiting{
		{Reason: "quiet_hours", Count: 2, Until: quietEnd, Text: "免打扰时段，至 12-06 08:00"},
		{Reason: "", Count: 1, Text: "排队待发"},
	}
	eqTime := cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })
	if d := cmp.Diff(wantWaiting, zh.Waiting, eqTime); d != "" {
		t.Errorf("waiting (-want +got):\n%s", d)
	}
	wantPaused := []api.ChannelPause{{Channel: "sms", RemainingSeconds: 510, Code: "isv.AMOUNT_NOT_ENOUGH", Text: "短信渠道暂停 9 分钟（isv.AMOUNT_NOT_ENOUGH）"}}
	if d := cmp.Diff(wantPaused, zh.PausedChannels); d != "" {
		t.Errorf("paused channels (-want +got):\n%s", d)
	}
	en := status("en-US,en;q=0.9")
	if got := []string{en.Waiting[0].Text, en.Waiting[1].Text, en.PausedChannels[0].Text}; !slices.Equal(got,
		[]string{"quiet hours until 12-06 08:00", "due", "channel sms paused for 9m (isv.AMOUNT_NOT_ENOUGH)"}) {
		t.Errorf("English texts %q", got)
	}
	// Redis not answering costs the pauses, not the status.
	pauseErr = errors.New("redis: connection refused")
	if got := status(""); len(got.PausedChannels) != 0 || len(got.Waiting) != 2 {
		t.Errorf("with Redis down: %+v", got)
	}
}

// opsRedis is the test Redis for the queue UI: GRIDCAST_TEST_REDIS,
// database GRIDCAST_TEST_REDIS_DB+1 (default 11), beside the queue
// package's, which flushes its own. This test never flushes: it deletes
// the tasks it made.
func opsRedis(t *testing.T) *redis.Client {
	t.Helper()
	addr := os.Getenv("GRIDCAST_TEST_REDIS")
	if addr == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("GRIDCAST_TEST_REDIS is unset under CI")
		}
		t.Skip("GRIDCAST_TEST_REDIS unset (e.g. 127.0.0.1:6379): skipping the queue UI test")
	}
	db := 11
	if v, err := strconv.Atoi(os.Getenv("GRIDCAST_TEST_REDIS_DB")); err == nil {
		db = v + 1
	}
	rdb := redis.NewClient(&redis.Options{Addr: addr, DB: db})
	t.Cleanup(func() { _ = rdb.Close() })
	if err := rdb.Ping(t.Context()).Err(); err != nil {
		t.Fatalf("GRIDCAST_TEST_REDIS=%s: %v", addr, err)
	}
	return rdb
}

// The queue UI is for officers: a browser signs in with its API token as
// the Basic password; it lists GridCast's queues with payloads masked, and
// an officer may pause a queue, but not from another site.
func TestQueuesUI(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	rdb := opsRedis(t)
	insp := asynq.NewInspectorFromRedisClient(rdb)
	t.Cleanup(func() { _ = insp.Close() })
	enq := queue.NewEnqueuer(rdb, queue.Config{})
	t.Cleanup(func() { _ = enq.Close() })
	uniq := strconv.FormatInt(time.Now().UnixNano(), 10)
	campaignID, _ := strconv.ParseInt(uniq[len(uniq)-9:], 10, 64)
	if err := enq.Inbound(ctx, gateway.Inbound{Channel: population.ChannelSMS, ProviderMsgID: uniq, From: "13812345678",
		Kind: gateway.InboundText, Text: "楼道灯坏了，请尽快来修"}); err != nil {
		t.Fatal(err)
	}
	if err := enq.StartCampaign(ctx, campaignID, 1, time.Now()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = insp.DeleteTask(queue.QueueCritical, "in:sms:"+uniq)
		_ = insp.DeleteTask(queue.QueueDefault, "expand:"+strconv.FormatInt(campaignID, 10)+":1")
	})

	log := testlog.New(t)
	streetOfficer := testUser{"孙丽", "tok-street-officer-7c1d", []access.Role{access.RoleOfficer}, []string{"NY-01"}}
	users := openUserStore(t, maker, worker, streetOfficer)
	newUI := func(users api.UserDirectory) *httptest.Server {
		h, err := api.New(api.Config{Segments: nopSegments{}, Ready: func(context.Context) error { return nil }, Log: log,
			Users: users, Queues: monitor.Handler(rdb, monitor.Prefix)})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		return srv
	}
	srv := newUI(users)
	get := func(path string, set func(*http.Request)) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		if set != nil {
			set(req)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	basic := func(u testUser) func(*http.Request) {
		return func(r *http.Request) { r.SetBasicAuth(u.name, u.token) }
	}
	for _, tc := range []struct {
		name string
		set  func(*http.Request)
		want int
	}{
		{"no credentials", nil, 401},
		{"wrong token", func(r *http.Request) { r.SetBasicAuth("王芳", "not-a-token") }, 401},
		{"a worker", basic(worker), 403},
		{"an officer of one street", basic(streetOfficer), 403},
		{"an officer, Basic", basic(maker), 200},
		{"an officer, any user name", func(r *http.Request) { r.SetBasicAuth("x", maker.token) }, 200},
		{"an officer, bearer", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+maker.token) }, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := get("/queues/api/queues", tc.set)
			if res.StatusCode != tc.want {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tc.want, body)
			}
			if tc.want == 401 && !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Basic ") {
				t.Errorf("WWW-Authenticate %q: a browser must be asked to sign in", res.Header.Get("WWW-Authenticate"))
			}
		})
	}

	res, page := get("/queues/", basic(maker))
	if res.StatusCode != 200 || !strings.Contains(page, `window.FLAG_ROOT_PATH="\/queues"`) {
		t.Errorf("the UI page: %d %.200s", res.StatusCode, page)
	}
	_, body := get("/queues/api/queues", basic(maker))
	var listed struct {
		Queues []struct {
			Queue string `json:"queue"`
			Size  int    `json:"size"`
		} `json:"queues"`
	}
	if err := json.Unmarshal([]byte(body), &listed); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	sizes := map[string]int{}
	for _, q := range listed.Queues {
		sizes[q.Queue] = q.Size
	}
	if sizes[queue.QueueCritical] < 1 || sizes[queue.QueueDefault] < 1 {
		t.Errorf("queues listed %v, want critical and default with our tasks", sizes)
	}
	_, body = get("/queues/api/queues/critical/pending_tasks?page=1&page_size=100", basic(maker))
	if !strings.Contains(body, "in:sms:"+uniq) || !strings.Contains(body, `138****5678`) {
		t.Errorf("the reply's task is not listed with a masked sender: %.600s", body)
	}
	for _, clear := range []string{"13812345678", "楼道灯"} {
		if strings.Contains(body, clear) {
			t.Errorf("the UI shows %q in clear", clear)
		}
	}

	post := func(set func(*http.Request)) int {
		t.Helper()
		req, _ := http.NewRequest("POST", srv.URL+"/queues/api/queues/"+queue.QueueDefault+":pause", nil)
		req.SetBasicAuth(maker.name, maker.token)
		set(req)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	t.Cleanup(func() { _ = insp.UnpauseQueue(queue.QueueDefault) })
	if code := post(func(r *http.Request) { r.Header.Set("Sec-Fetch-Site", "cross-site") }); code != 403 {
		t.Errorf("a pause posted from another site answered %d, want 403", code)
	}
	if code := post(func(r *http.Request) { r.Header.Set("Origin", "https://evil.example") }); code != 403 {
		t.Errorf("a pause with a foreign Origin answered %d, want 403", code)
	}
	if info, err := insp.GetQueueInfo(queue.QueueDefault); err != nil || info.Paused {
		t.Fatalf("after refused pauses: %+v, %v", info, err)
	}
	if code := post(func(r *http.Request) { r.Header.Set("Sec-Fetch-Site", "same-origin") }); code != 200 && code != 204 {
		t.Errorf("the officer's pause answered %d", code)
	}
	if info, err := insp.GetQueueInfo(queue.QueueDefault); err != nil || !info.Paused {
		t.Errorf("default not paused by the officer: %+v, %v", info, err)
	}

	// With authentication off, this host only, as for /api/v1.
	open := newUI(nil)
	for _, tc := range []struct {
		name string
		set  func(*http.Request)
		want int
	}{
		{"from this host", nil, 200},
		{"through a proxy", func(r *http.Request) { r.Header.Set("X-Forwarded-For", "203.0.113.9") }, 403},
	} {
		req, _ := http.NewRequest("GET", open.URL+"/queues/api/queues", nil)
		if tc.set != nil {
			tc.set(req)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != tc.want {
			t.Errorf("authentication off, %s: %d, want %d", tc.name, res.StatusCode, tc.want)
		}
	}
}

// openUserStore opens a store holding the grids of one street and users.
func openUserStore(t *testing.T, us ...testUser) *store.Store {
	t.Helper()
	sealer, _ := pii.NewSealer(make([]byte, 32))
	st, err := store.Open(t.Context(), store.Config{Driver: "sqlite", DSN: filepath.Join(t.TempDir(), "users.db")}, sealer,
		testlog.New(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.UpsertGrids(t.Context(), []population.Grid{{Code: "NY", Name: "南苑区", Level: population.LevelDistrict},
		{Code: "NY-01", Name: "东街道", Level: population.LevelStreet, ParentCode: "NY"}}); err != nil {
		t.Fatal(err)
	}
	addUsers(t, st, us...)
	return st
}

// nopSegments is a segment store the queue UI's server never asks (the
// embedded interface is nil).
type nopSegments struct{ segmentStore }

type segmentStore = api.Segments
