package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gridcast/gridcast/audit"
	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/sheet"
)

// The tables the console shows (the dashboard, the delivery records, the
// audit log) download as XLSX from the routes that answer them as JSON,
// with ?format=xlsx: the same filters, scope and masking, one workbook.

// xlsxType is the media type of an XLSX workbook.
const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// maxExportRows is the most rows an exported list (delivery records, the
// audit log) holds; a wider selection is refused with a request to
// narrow it, rather than cut short without a word. A variable only so
// that a test can lower it (a test that does must not run in parallel).
var maxExportRows = 20000

// wantsXLSX reads the format parameter: absent or json for the JSON
// answer, xlsx for the workbook; anything else is refused.
func wantsXLSX(r *http.Request) (bool, error) {
	switch v := r.URL.Query().Get("format"); v {
	case "", "json":
		return false, nil
	case "xlsx":
		return true, nil
	default:
		return false, badRequest("format %q: want json or xlsx", "格式 %q 无效：可选 json 或 xlsx", v)
	}
}

// tooManyRows refuses an export of more than maxExportRows rows.
func tooManyRows() error {
	return badRequest("more than %d records match: narrow the dates or the filters to export them",
		"符合条件的记录超过 %d 条，无法一次导出：请缩短日期范围或增加筛选条件后分批导出", maxExportRows)
}

// writeWorkbook answers sheets as an XLSX download named name (Chinese
// allowed; ascii is the name for clients that cannot read RFC 5987's
// filename*), after recording the export on the audit log as subject with
// detail as JSON (what was asked and how many rows went, never personal
// data): records do not leave GridCast unrecorded. The workbook is made in
// memory first, so that a failure is an error answer, not half a file.
func (s *server) writeWorkbook(w http.ResponseWriter, r *http.Request, name, ascii, subject string, detail map[string]any, sheets ...sheet.Sheet) {
	var buf bytes.Buffer
	if err := sheet.WriteWorkbook(&buf, sheets...); err != nil {
		s.writeError(w, r, fmt.Errorf("api: %s: %w", subject, err))
		return
	}
	rows := 0
	for _, sh := range sheets {
		rows += len(sh.Rows)
	}
	detail["rows"] = rows
	js, err := json.Marshal(detail)
	if err != nil {
		s.writeError(w, r, fmt.Errorf("api: %s: %w", subject, err))
		return
	}
	if err := s.record(r, "", audit.ActionExport, subject, "", string(js)); err != nil {
		s.writeError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", xlsxType)
	h.Set("Content-Disposition", attachment(name, ascii))
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	h.Set("Cache-Control", "no-store")
	if _, err := buf.WriteTo(w); err != nil {
		s.cfg.Log.DebugContext(r.Context(), "workbook_write_failed", "subject", subject, "err", err)
	}
}

// attachment is a Content-Disposition naming a download: ascii in
// filename for old clients, name in filename* (RFC 5987, UTF-8,
// percent-encoded) for the rest, which prefer it.
func attachment(name, ascii string) string {
	var b strings.Builder
	for _, c := range []byte(name) {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', strings.IndexByte("!#$&+-.^_`|~", c) >= 0:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, ascii, b.String())
}

// cellTime is a time as a sheet shows it: Beijing time to the second; ""
// for the zero time.
func cellTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(campaigns.Shanghai()).Format(time.DateTime)
}
