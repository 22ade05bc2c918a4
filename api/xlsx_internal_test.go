package api

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// An export wider than maxExportRows is refused in words, not cut short;
// one within it is served whole. Not parallel: it lowers the cap.
func TestExportCap(t *testing.T) {
	srv, es := newAuditServer(t)
	defer func(n int) { maxExportRows = n }(maxExportRows)
	get := func() (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/v1/audit?format=xlsx", nil)
		req.Header.Set("Accept-Language", "zh-CN")
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	maxExportRows = len(es) - 1
	if code, body := get(); code != 400 || !strings.Contains(body, "超过 3 条") || !strings.Contains(body, "缩短日期范围") {
		t.Errorf("%d entries over a cap of %d: %d %s; want 400 asking to narrow", len(es), maxExportRows, code, body)
	}
	maxExportRows = len(es)
	if code, body := get(); code != 200 {
		t.Errorf("%d entries within a cap of %d: %d %.200s", len(es), maxExportRows, code, body)
	}
}

func TestAttachment(t *testing.T) {
	t.Parallel()
	got := attachment("发送记录-2026-12-06.xlsx", "deliveries-2026-12-06.xlsx")
	want := `attachment; filename="deliveries-2026-12-06.xlsx"; filename*=UTF-8''%E5%8F%91%E9%80%81%E8%AE%B0%E5%BD%95-2026-12-06.xlsx`
	if got != want {
		t.Errorf("attachment = %s\nwant %s", got, want)
	}
	if got := attachment("a b;c\".xlsx", "x.xlsx"); !strings.HasSuffix(got, "''a%20b%3Bc%22.xlsx") {
		t.Errorf("spaces and marks: %s", got)
	}
}
