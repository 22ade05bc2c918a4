package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/assessment"
	"github.com/gridcast/gridcast/audit"
	"github.com/gridcast/gridcast/sheet"
)

// Ledgers makes a period's 台账 workbook for the grids a scope covers
// (ledger.Builder over the store): the visits, tickets and living-record
// changes, residents masked.
type Ledgers interface {
	Build(ctx context.Context, p assessment.Period, scope access.Scope) ([]sheet.Sheet, error)
}

func (s *server) mountLedger(v1 mountFunc) {
	if s.cfg.Ledgers != nil {
		v1("GET /api/v1/ledger", s.ledger)
	}
}

// ledger serves GET /api/v1/ledger?period=2026-11&grid=NY-01: the 台账
// workbook of the period (default this month) for grid, which must lie in
// the caller's scope (default the whole of it), as XLSX for printing,
// recorded on the audit log as an export.
func (s *server) ledger(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p := assessment.MonthOf(s.cfg.Now())
	if v := q.Get("period"); v != "" {
		var err error
		if p, err = assessment.ParsePeriod(v); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	scope := scopeOf(r).Narrowest()
	if grid := strings.TrimSpace(q.Get("grid")); grid != "" {
		if grid == access.All || (access.Scope{grid}).Validate() != nil {
			s.writeError(w, r, badRequest("grid %q is not a grid code", "网格编号 %q 无效", grid))
			return
		}
		if !scope.Covers(grid) {
			s.outOfScope(w, r, fmt.Sprintf("grid %s's ledger", grid))
			return
		}
		scope = access.Scope{grid}
	}
	if len(scope) == 0 {
		s.auth.refuse(w, r, http.StatusForbidden, "scope",
			"your scope holds no grid, so no ledger: ask an administrator to grant one (gridcast users grant NAME --grid CODE) · 您的账号未分配网格，无法导出台账")
		return
	}
	sheets, err := s.cfg.Ledgers.Build(r.Context(), p, scope)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	counts := make([]string, len(sheets))
	for i, sh := range sheets {
		counts[i] = fmt.Sprintf("%q:%d", sh.Name, len(sh.Rows))
	}
	detail := fmt.Sprintf(`{"scope":%q,"rows":{%s}}`, strings.Join(scope, ","), strings.Join(counts, ","))
	if err := s.record(r, "", audit.ActionExport, "ledger:"+p.String(), "", detail); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="taizhang-%s.xlsx"`, p))
	if err := sheet.WriteWorkbook(w, sheets...); err != nil {
		s.cfg.Log.ErrorContext(r.Context(), "ledger_workbook_failed", "err", err)
	}
}
