package api

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/gridcast/gridcast/audit"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/store"
)

// The handler is tested on its own, over a real store: it is mounted by
// New once Config carries the audit log.
func newAuditServer(t *testing.T) (*httptest.Server, []audit.Entry) {
	t.Helper()
	ctx := context.Background()
	sealer, _ := pii.NewSealer(make([]byte, 32))
	st, err := store.Open(ctx, store.Config{Driver: "sqlite", DSN: filepath.Join(t.TempDir(), "audit.db")}, sealer, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var es []audit.Entry
	for _, e := range []audit.Entry{
		{Actor: "李强", OSUser: "ops", Source: audit.SourceCLI, Action: audit.ActionCampaignApprove, Subject: "campaign:12"},
		{Actor: "王芳", Source: audit.SourceAPI, Action: audit.ActionCampaignSend, Subject: "campaign:12", Detail: "draft → scheduled"},
		{Actor: "王芳", Source: audit.SourceAPI, Action: audit.ActionUnmask, Subject: "resident:34", Reason: "低保复核"},
		{Actor: "张伟", Source: audit.SourceAPI, Action: audit.ActionLogin},
	} {
		got, err := st.AppendAudit(ctx, e)
		if err != nil {
			t.Fatal(err)
		}
		es = append(es, got)
	}
	s := &server{cfg: Config{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: time.Now}}
	srv := httptest.NewServer(s.listAudit(st))
	t.Cleanup(srv.Close)
	return srv, es
}

func getAudit(t *testing.T, srv *httptest.Server, q url.Values) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/v1/audit?"+q.Encode(), nil)
	req.Header.Set("Accept-Language", "en")
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestListAudit(t *testing.T) {
	t.Parallel()
	srv, es := newAuditServer(t)
	code, body := getAudit(t, srv, nil)
	var got []audit.Entry
	if code != 200 || json.Unmarshal([]byte(body), &got) != nil {
		t.Fatalf("GET /api/v1/audit: %d %s", code, body)
	}
	if d := cmp.Diff(es, got); d != "" {
		t.Errorf("entries (-appended +served):\n%s", d)
	}
	// What the API serves verifies: nothing is lost in JSON.
	if _, err := audit.Verify(got, audit.Head{Seq: es[3].Seq, Hash: es[3].Hash}); err != nil {
		t.Errorf("the served entries do not verify: %v", err)
	}
	for _, tc := range []struct {
		q    url.Values
		want []int64
	}{
		{url.Values{"actor": {"王芳"}}, []int64{2, 3}},
		{url.Values{"action": {"campaign"}}, []int64{1, 2}},
		{url.Values{"action": {"pii.unmask"}}, []int64{3}},
		{url.Values{"subject": {"campaign:12"}, "after": {"1"}}, []int64{2}},
		{url.Values{"newest": {"true"}, "limit": {"2"}}, []int64{3, 4}},
		{url.Values{"newest": {"true"}, "before": {"3"}, "limit": {"1"}}, []int64{2}},
		{url.Values{"since": {es[0].At.Add(-time.Hour).Format(time.RFC3339)}, "until": {es[0].At.Add(time.Hour).Format(time.RFC3339)}}, []int64{1, 2, 3, 4}},
		{url.Values{"until": {es[0].At.Add(-time.Hour).Format(time.RFC3339)}}, []int64{}},
	} {
		code, body := getAudit(t, srv, tc.q)
		var page []audit.Entry
		if code != 200 || json.Unmarshal([]byte(body), &page) != nil {
			t.Errorf("%v: %d %s", tc.q, code, body)
			continue
		}
		seqs := []int64{}
		for _, e := range page {
			seqs = append(seqs, e.Seq)
		}
		if d := cmp.Diff(tc.want, seqs); d != "" {
			t.Errorf("%v (-want +got):\n%s", tc.q, d)
		}
	}
}

// A malformed parameter is refused, naming it; nothing internal leaks.
func TestListAuditBadQuery(t *testing.T) {
	t.Parallel()
	srv, _ := newAuditServer(t)
	for _, tc := range []struct {
		q    url.Values
		says string
	}{
		{url.Values{"since": {"yesterday"}}, "since"},
		{url.Values{"until": {"2025-13-01"}}, "until"},
		{url.Values{"after": {"-1"}}, "after"},
		{url.Values{"before": {"x"}}, "before"},
		{url.Values{"limit": {"5000"}}, "limit"},
		{url.Values{"newest": {"perhaps"}}, "newest"},
		{url.Values{"since": {"2025-03-02T00:00:00Z"}, "until": {"2025-03-01T00:00:00Z"}}, "since must be before until"},
	} {
		code, body := getAudit(t, srv, tc.q)
		var p Problem
		if code != 400 || json.Unmarshal([]byte(body), &p) != nil || p.Code != "invalid" || !strings.Contains(p.Error, tc.says) {
			t.Errorf("%v: %d %s; want 400 naming %q", tc.q, code, body, tc.says)
		}
	}
}

// TestAuditOpenAPI keeps openapi.yaml in step with audit.Entry and the
// route's parameters.
func TestAuditOpenAPI(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		Paths map[string]struct {
			Get struct{ Parameters []struct{ Name string } }
		}
		Components struct {
			Schemas map[string]struct{ Properties map[string]any }
		}
	}
	if err := yaml.Unmarshal(raw, &spec); err != nil {
		t.Fatal(err)
	}
	var fields, documented []string
	typ := reflect.TypeOf(audit.Entry{})
	for i := range typ.NumField() {
		fields = append(fields, strings.Split(typ.Field(i).Tag.Get("json"), ",")[0])
	}
	for p := range spec.Components.Schemas["AuditEntry"].Properties {
		documented = append(documented, p)
	}
	slices.Sort(fields)
	slices.Sort(documented)
	if !slices.Equal(fields, documented) {
		t.Errorf("schema AuditEntry documents %v, audit.Entry has %v", documented, fields)
	}
	var params []string
	for _, p := range spec.Paths["/api/v1/audit"].Get.Parameters {
		params = append(params, p.Name)
	}
	want := []string{"actor", "action", "subject", "since", "until", "after", "before", "newest", "limit", "format"}
	if !slices.Equal(params, want) {
		t.Errorf("GET /api/v1/audit documents %v; the handler reads %v", params, want)
	}
}
