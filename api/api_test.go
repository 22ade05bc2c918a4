package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/api"
	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/internal/testlog"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/population/synth"
	"github.com/gridcast/gridcast/store"
)

func newServer(t *testing.T, ready error) *httptest.Server {
	t.Helper()
	ctx := context.Background()
	sealer, _ := pii.NewSealer(make([]byte, 32))
	log := testlog.New(t)
	st, err := store.Open(ctx, store.Config{Driver: "sqlite", DSN: filepath.Join(t.TempDir(), "api.db")}, sealer, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	gen, _ := synth.New(synth.Config{Residents: 400, Seed: 2})
	if err := st.UpsertGrids(ctx, gen.Grids()); err != nil {
		t.Fatal(err)
	}
	if err := st.UpsertWorkers(ctx, gen.Workers()); err != nil {
		t.Fatal(err)
	}
	if _, err := st.BulkInsertResidents(ctx, gen.Next, nil); err != nil {
		t.Fatal(err)
	}
	h, err := api.New(api.Config{Segments: st, Ready: func(context.Context) error { return ready }, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func do(t *testing.T, method, u, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, u, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestHealthAndReady(t *testing.T) {
	t.Parallel()
	up := newServer(t, nil)
	if code, _ := do(t, "GET", up.URL+"/healthz", ""); code != 200 {
		t.Errorf("healthz %d", code)
	}
	if code, _ := do(t, "GET", up.URL+"/readyz", ""); code != 200 {
		t.Errorf("readyz %d", code)
	}
	down := newServer(t, errors.New("redis: connection refused"))
	if code, body := do(t, "GET", down.URL+"/readyz", ""); code != 503 || !strings.Contains(body, "redis") {
		t.Errorf("readyz when Redis is down: %d %s", code, body)
	}
	if _, body := do(t, "GET", up.URL+"/metrics", ""); !strings.Contains(body, `gridcast_http_requests_total{code="2xx",route="GET /healthz"} 1`) {
		t.Errorf("metrics lack the request counter:\n%.600s", body)
	}
}

func TestSegmentsAPI(t *testing.T) {
	t.Parallel()
	srv := newServer(t, nil)
	q := url.Values{"expr": {"age:60.."}}
	code, body := do(t, "GET", srv.URL+"/api/v1/segments/count?"+q.Encode(), "")
	var cr struct{ Count int64 }
	if code != 200 || json.Unmarshal([]byte(body), &cr) != nil || cr.Count <= 0 || cr.Count >= 400 {
		t.Fatalf("count: %d %s", code, body)
	}

	code, body = do(t, "GET", srv.URL+"/api/v1/segments/count?"+url.Values{"expr": {"age:60.. AND grd:NY*"}}.Encode(), "")
	var p api.Problem
	if code != 400 || json.Unmarshal([]byte(body), &p) != nil || p.Column != 14 || !strings.Contains(p.Caret, "^") {
		t.Errorf("bad expression: %d %s", code, body)
	}

	code, body = do(t, "POST", srv.URL+"/api/v1/segments/preview", `{"expr":"age:0..","n":25}`)
	if code != 200 {
		t.Fatalf("preview: %d %s", code, body)
	}
	if regexp.MustCompile(`1[3-9][0-9]{9}|[0-9]{17}[0-9X]`).MatchString(body) {
		t.Errorf("preview shows clear phones or IDs: %.300s", body)
	}
	var pr struct {
		Count     int64
		Residents []api.Resident
	}
	if err := json.Unmarshal([]byte(body), &pr); err != nil || pr.Count != 400 || len(pr.Residents) != 25 {
		t.Errorf("preview = %d residents of %d (%v)", len(pr.Residents), pr.Count, err)
	}
	for _, bad := range []string{`{"expr":"age:0..","n":1000}`, `{"expr":""}`, `{"expr":"age:0..","unknown":1}`, `not json`} {
		if code, _ := do(t, "POST", srv.URL+"/api/v1/segments/preview", bad); code != 400 {
			t.Errorf("preview %s → %d, want 400", bad, code)
		}
	}

	if code, body := do(t, "PUT", srv.URL+"/api/v1/segments/olds", `{"expr":"age:60..","owner":"王芳"}`); code != 200 || !strings.Contains(body, `"expr":"age:60.."`) {
		t.Errorf("put: %d %s", code, body)
	}
	if code, _ := do(t, "PUT", srv.URL+"/api/v1/segments/Bad%20Name", `{"expr":"age:60.."}`); code != 400 {
		t.Errorf("bad name → %d", code)
	}
	if code, _ := do(t, "PUT", srv.URL+"/api/v1/segments/loop", `{"expr":"segment:loop"}`); code != 400 {
		t.Errorf("self reference → %d", code)
	}
	if code, _ := do(t, "PUT", srv.URL+"/api/v1/segments/uses_olds", `{"expr":"segment:olds AND gender:F"}`); code != 200 {
		t.Errorf("reference → %d", code)
	}
	if code, _ := do(t, "DELETE", srv.URL+"/api/v1/segments/olds", ""); code != 409 {
		t.Errorf("deleting a referenced segment → %d, want 409", code)
	}
	if code, _ := do(t, "GET", srv.URL+"/api/v1/segments/nope", ""); code != 404 {
		t.Errorf("missing → %d", code)
	}
	code, body = do(t, "GET", srv.URL+"/api/v1/segments", "")
	if code != 200 || !strings.Contains(body, "uses_olds") {
		t.Errorf("list: %d %s", code, body)
	}
}

func TestCampaignsAPI(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sealer, _ := pii.NewSealer(make([]byte, 32))
	log := testlog.New(t)
	st, err := store.Open(ctx, store.Config{Driver: "sqlite", DSN: filepath.Join(t.TempDir(), "c.db")}, sealer, log)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	gen, _ := synth.New(synth.Config{Residents: 300, Seed: 4})
	if err := st.UpsertGrids(ctx, gen.Grids()); err != nil {
		t.Fatal(err)
	}
	if _, err := st.BulkInsertResidents(ctx, gen.Next, nil); err != nil {
		t.Fatal(err)
	}
	tpls := []campaigns.Template{{Code: "SMS_T", Content: "${name}您好，${job}。网格员${worker}。回T退订", Approved: true, Channel: population.ChannelSMS}}
	if err := st.SaveTemplates(ctx, population.ChannelSMS, tpls, time.Now()); err != nil {
		t.Fatal(err)
	}
	var kicks atomic.Int32
	h, err := api.New(api.Config{Segments: st, Campaigns: st, Policy: campaigns.Policy{ApprovalThreshold: 10},
		Ready: func(context.Context) error { return nil }, Log: log,
		Kick: func(context.Context) error { kicks.Add(1); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	body := `{"name":"保安招聘","kind":"job_posting","segment":"age:18..60","channel_policy":"sms_only","owner":"王芳",
		"expires_at":"` + time.Now().Add(48*time.Hour).Format(time.RFC3339) + `",
		"sms":{"sign_name":"网格通","template_code":"SMS_T","params":{"name":"{{resident.surname_title}}","job":"社区保安","worker":"{{worker.name}}"}},
		"wechat":{"template_id":"","fields":{}}}`
	code, out := do(t, "POST", srv.URL+"/api/v1/campaigns", body)
	if code != 201 || !strings.Contains(out, `"state":"draft"`) {
		t.Fatalf("create: %d %s", code, out)
	}
	if code, _ := do(t, "POST", srv.URL+"/api/v1/campaigns", `{"name":"x","kind":"nonsense"}`); code != 400 {
		t.Errorf("bad kind → %d", code)
	}
	act := func(action, by string) (int, string) {
		return do(t, "POST", srv.URL+"/api/v1/campaigns/1/actions", `{"action":"`+action+`","by":"`+by+`"}`)
	}
	if code, out := act("send", "王芳"); code != 409 || !strings.Contains(out, "审核") || !strings.Contains(out, `"code":"conflict"`) {
		t.Errorf("send before approval: %d %s", code, out)
	}
	if code, _ := act("approve", "王芳"); code != 409 {
		t.Errorf("self-approval → %d", code)
	}
	if code, _ := act("resume", "王芳"); code != 409 {
		t.Errorf("resume a draft → %d", code)
	}
	if code, out := act("approve", "李强"); code != 200 || !strings.Contains(out, `"approved_by":"李强"`) {
		t.Errorf("approve: %d %s", code, out)
	}
	if kicks.Load() != 0 {
		t.Errorf("%d scheduler kicks before the campaign was sent, want none", kicks.Load())
	}
	if code, out := act("send", "王芳"); code != 200 || !strings.Contains(out, `"state":"scheduled"`) {
		t.Errorf("send: %d %s", code, out)
	}
	if kicks.Load() != 1 {
		t.Errorf("a sent campaign kicked the scheduler %d times, want once (it starts within seconds, not at the minute)", kicks.Load())
	}
	if code, _ := act("explode", "王芳"); code != 400 {
		t.Errorf("unknown action → %d", code)
	}
	code, out = do(t, "GET", srv.URL+"/api/v1/campaigns/1", "")
	if code != 200 || !strings.Contains(out, `"funnel"`) {
		t.Errorf("get: %d %s", code, out)
	}
	code, out = do(t, "GET", srv.URL+"/api/v1/campaigns/1/events", "")
	if code != 200 || strings.Count(out, `"actor"`) < 3 {
		t.Errorf("events: %d %s", code, out)
	}
	if code, _ := do(t, "GET", srv.URL+"/api/v1/campaigns/99", ""); code != 404 {
		t.Errorf("missing campaign → %d", code)
	}

	// WeChat shows only keyword fields: a reply hint only in remark is
	// refused, naming the field; a greeting in first comes back as a
	// warning.
	wechat := func(fields string) string {
		return `{"name":"保安招聘","kind":"job_posting","segment":"age:18..60","channel_policy":"wechat_only","owner":"王芳",
			"expires_at":"` + time.Now().Add(48*time.Hour).Format(time.RFC3339) + `","reply_options":{"1":"报名"},
			"wechat":{"template_id":"TPL_T","fields":` + fields + `}}`
	}
	code, out = do(t, "POST", srv.URL+"/api/v1/campaigns", wechat(`{"keyword1":"社区保安招聘","remark":"{{reply_hint}}"}`))
	if code != 400 || !strings.Contains(out, "wechat.fields[remark]") {
		t.Errorf("reply hint in remark: %d %s", code, out)
	}
	code, out = do(t, "POST", srv.URL+"/api/v1/campaigns", wechat(`{"first":"您好","keyword1":"社区保安招聘","keyword2":"{{reply_hint}}"}`))
	var created api.Campaign
	if err := json.Unmarshal([]byte(out), &created); code != 201 || err != nil {
		t.Fatalf("create with first: %d %s", code, out)
	}
	want := []string{"wechat.fields[first]: WeChat has not shown first since 2023-05-04: nobody reads this text"}
	if diff := cmp.Diff(want, created.Warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}
