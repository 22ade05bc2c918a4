package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/api"
	"github.com/gridcast/gridcast/assessment"
	"github.com/gridcast/gridcast/audit"
	"github.com/gridcast/gridcast/ledger"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/visits"
)

// The 台账 for 查台账, on both store drivers: a street's officer gets the
// month's visits, tickets and living-record changes of their street as one
// workbook of three sheets — nothing of the street next door, no resident
// in clear — recorded on the audit log as an export; a grid outside their
// scope is 403, a bad period or grid 400.
func TestLedger(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			f := newScopeFixture(t, driver)
			ctx := t.Context()
			r0 := f.residents[0]
			ws, err := f.st.Workers(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var w population.Worker
			for _, x := range ws {
				if x.Role == population.RoleGridWorker && x.GridCode == r0.GridCode {
					w = x
				}
			}
			if w.ID == 0 {
				t.Fatalf("fixture: no grid worker in %s", r0.GridCode)
			}
			notes := "与" + string(r0.Name) + "交谈，留电话" + string(r0.Phone) + "，身份证" + string(r0.IDNumber)
			if _, err := f.st.RecordVisit(ctx, visits.Record{WorkerID: w.ID, ResidentID: r0.ID, Kind: visits.InPerson,
				Notes: notes, VisitedAt: time.Now(), RecordedBy: "王芳"}); err != nil {
				t.Fatal(err)
			}
			cs, err := population.NewChanges(r0.ID, map[population.ChangeField]string{population.FieldPhone: "13912345678",
				population.FieldLiving: "alone"}, "王芳", population.SourceField, "家属告知"+string(r0.Name))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.st.RecordChanges(ctx, r0.ID, cs); err != nil {
				t.Fatal(err)
			}
			dept := testUser{"城管-张", "tok-dept-ledger", []access.Role{access.RoleDepartment}, nil}
			du := dept.user()
			du.Department = "城管"
			if _, err := f.st.CreateUser(ctx, du); err != nil {
				t.Fatal(err)
			}
			h, err := api.New(api.Config{Segments: f.st, Users: f.st, Audit: f.st, Ledgers: ledger.Builder{Source: f.st},
				Ready: func(context.Context) error { return nil }})
			if err != nil {
				t.Fatal(err)
			}
			srv := ledgerServer(t, h)
			month := assessment.MonthOf(time.Now()).String()

			officer := f.in[access.RoleOfficer]
			code, _, body := as(t, officer.token, "GET", srv+"/api/v1/ledger?period="+month, "")
			if code != http.StatusOK {
				t.Fatalf("the street's ledger: %d %s", code, body)
			}
			book := openBook(t, body)
			visitsRows, ticketRows, changeRows := book[ledger.VisitsSheet], book[ledger.TicketsSheet], book[ledger.ChangesSheet]
			if len(visitsRows) != 2 || visitsRows[1][2] != w.Code || visitsRows[1][3] != string(w.Name) || visitsRows[1][6] != "入户走访" ||
				visitsRows[1][5] != r0.Name.Masked() || !strings.Contains(visitsRows[1][7], r0.Phone.Masked()) {
				t.Errorf("走访台账 %q; want the visit, the worker in clear, the resident and the notes masked", visitsRows)
			}
			var ids []string
			for _, row := range ticketRows[1:] {
				ids = append(ids, row[0])
			}
			if want := []string{strconv.FormatInt(f.a, 10), strconv.FormatInt(f.a2, 10)}; strings.Join(ids, ",") != strings.Join(want, ",") {
				t.Errorf("工单台账 tickets %v, want %v (the street's, not the next street's %d)", ids, want, f.b)
			}
			if len(ticketRows) > 1 && (ticketRows[1][11] != "—" || ticketRows[1][13] != r0.Name.Masked() || ticketRows[1][14] != "小区门口的路灯坏了") {
				t.Errorf("工单台账 first row %q; want unresolved (—), the resident masked, the text", ticketRows[1])
			}
			if len(changeRows) != 3 || changeRows[1][4] != "联系电话" || changeRows[1][5] != r0.Phone.Masked() ||
				changeRows[1][6] != "139****5678" || changeRows[2][6] != "alone 独居" || changeRows[1][3] == "" || changeRows[1][7] != "王芳" {
				t.Errorf("活户籍台账 %q; want the phone and living changes, phones masked", changeRows)
			}
			for _, r := range f.residents {
				for sheetName, rows := range book {
					for _, row := range rows {
						for _, cell := range row {
							for _, clear := range []string{string(r.Name), string(r.Phone), string(r.IDNumber), "13912345678"} {
								if len([]rune(clear)) > 1 && strings.Contains(cell, clear) {
									t.Errorf("%s: %q shows %q in clear", sheetName, cell, clear)
								}
							}
						}
					}
				}
			}
			entries, err := f.st.AuditEntries(ctx, audit.Filter{Actor: officer.name, Action: string(audit.ActionExport)})
			if err != nil || len(entries) != 1 || entries[0].Subject != "ledger:"+month {
				t.Errorf("audit %+v, %v; want the export recorded", entries, err)
			}

			// The next street's officer sees their ticket only.
			code, _, body = as(t, f.out[access.RoleOfficer].token, "GET", srv+"/api/v1/ledger", "")
			if code != http.StatusOK {
				t.Fatalf("the other street's ledger: %d %s", code, body)
			}
			other := openBook(t, body)
			if rows := other[ledger.TicketsSheet]; len(rows) != 2 || rows[1][0] != strconv.FormatInt(f.b, 10) || len(other[ledger.VisitsSheet]) != 1 {
				t.Errorf("the other street's ledger %q; want their ticket alone", other)
			}
			// A grid: only what lies under it.
			code, _, body = as(t, f.city.token, "GET", srv+"/api/v1/ledger?grid="+r0.GridCode, "")
			if code != http.StatusOK || len(openBook(t, body)[ledger.VisitsSheet]) != 2 {
				t.Errorf("the grid's ledger: %d", code)
			}

			for _, tc := range []struct {
				name, token, query string
				want               int
			}{
				{"grid outside the scope", officer.token, "?grid=NY-02-01", http.StatusForbidden},
				{"a worker of the street, the next street's grid", f.in[access.RoleWorker].token, "?grid=NY-02", http.StatusForbidden},
				{"a department's user, no grid", dept.token, "", http.StatusForbidden},
				{"bad period", officer.token, "?period=2026-13", http.StatusBadRequest},
				{"bad grid", officer.token, "?grid=NY%25", http.StatusBadRequest},
				{"no token", "", "", http.StatusUnauthorized},
			} {
				t.Run(tc.name, func(t *testing.T) {
					if code, _, body := as(t, tc.token, "GET", srv+"/api/v1/ledger"+tc.query, ""); code != tc.want {
						t.Errorf("%d %.200s, want %d", code, body, tc.want)
					}
				})
			}
		})
	}
}

// openBook reads every sheet of an XLSX body.
func openBook(t *testing.T, body string) map[string][][]string {
	t.Helper()
	f, err := excelize.OpenReader(strings.NewReader(body))
	if err != nil {
		t.Fatalf("not a workbook: %v", err)
	}
	defer f.Close()
	out := map[string][][]string{}
	for _, name := range f.GetSheetList() {
		rows, err := f.GetRows(name)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = rows
	}
	if len(out) != 3 {
		t.Errorf("sheets %v, want the three ledgers", f.GetSheetList())
	}
	return out
}

// ledgerServer serves h for the test and returns its URL.
func ledgerServer(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}
