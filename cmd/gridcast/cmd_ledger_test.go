package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/gridcast/gridcast/assessment"
	"github.com/gridcast/gridcast/population"
)

// 查台账 from the command line: a visit, a patrol report and a change of a
// resident's phone recorded this month, then `gridcast ledger` writes the
// month's workbook — three sheets holding them, the counts printed, the
// resident masked everywhere — and refuses a bad period, a missing
// --xlsx and an unknown grid without writing a file.
func TestCLILedger(t *testing.T) {
	dir, w, r := cliGridFixture(t, 80, func(r population.Resident) bool { return len([]rune(string(r.Name))) > 1 && r.Phone != "" })
	id := strconv.FormatInt(r.ID, 10)
	note := "见到" + string(r.Name) + "，留电话" + string(r.Phone)
	if _, errOut, code := gridcast(t, dir, "visits", "record", "--worker", w.Code, "--resident", id, "--kind", "in_person", "--note", note, "--by", "王芳"); code != 0 {
		t.Fatalf("visits record: %s", errOut)
	}
	if _, errOut, code := gridcast(t, dir, "tickets", "report", "--grid", w.GridCode, "--text", "消防通道被杂物堵塞", "--worker", w.Code, "--by", "王芳"); code != 0 {
		t.Fatalf("tickets report: %s", errOut)
	}
	if _, errOut, code := gridcast(t, dir, "residents", "change", id, "--phone", "13912345678", "--by", "王芳", "--note", "本人告知"); code != 0 {
		t.Fatalf("residents change: %s", errOut)
	}

	month := assessment.MonthOf(time.Now()).String()
	xlsx := filepath.Join(t.TempDir(), "taizhang.xlsx")
	out, errOut, code := gridcast(t, dir, "ledger", "--period", month, "--grid", w.GridCode, "--xlsx", xlsx)
	if code != 0 {
		t.Fatalf("ledger: %d %s", code, errOut)
	}
	for _, want := range []string{"走访台账\t1", "工单台账\t1", "活户籍台账\t1", w.GridCode} {
		if !strings.Contains(out, want) {
			t.Errorf("ledger printed %q; want %q", out, want)
		}
	}
	f, err := excelize.OpenFile(xlsx)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := strings.Join(f.GetSheetList(), ","); got != "走访台账,工单台账,活户籍台账" {
		t.Errorf("sheets %s", got)
	}
	for _, name := range f.GetSheetList() {
		rows, err := f.GetRows(name)
		if err != nil || len(rows) != 2 {
			t.Errorf("%s: rows %q, %v; want the header and one row", name, rows, err)
		}
		for _, row := range rows {
			for _, cell := range row {
				for _, clear := range []string{string(r.Name), string(r.Phone), string(r.IDNumber), "13912345678"} {
					if clear != "" && strings.Contains(cell, clear) {
						t.Errorf("%s: %q shows %q in clear", name, cell, clear)
					}
				}
			}
		}
	}
	if rows, _ := f.GetRows("走访台账"); len(rows) == 2 && (rows[1][3] != string(w.Name) || !strings.Contains(rows[1][7], r.Phone.Masked())) {
		t.Errorf("走访台账 row %q; want the worker in clear and the phone masked in the notes", rows[1])
	}

	// The whole city holds them too.
	if out, errOut, code := gridcast(t, dir, "taizhang", "--xlsx", filepath.Join(t.TempDir(), "city.xlsx")); code != 0 || !strings.Contains(out, "the whole city") || strings.Contains(out, "走访台账\t0") || strings.Contains(out, "工单台账\t0") {
		t.Errorf("the city's ledger: %d %s %s", code, out, errOut)
	}

	bad := filepath.Join(t.TempDir(), "bad.xlsx")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"ledger", "--period", "2026-13", "--xlsx", bad}, "2026-Q4"},
		{[]string{"ledger", "--period", month}, "--xlsx"},
		{[]string{"ledger", "--grid", "NO-SUCH-GRID", "--xlsx", bad}, "NO-SUCH-GRID"},
		{[]string{"ledger", "--grid", "NY%", "--xlsx", bad}, "grid"},
	} {
		if _, errOut, code := gridcast(t, dir, tc.args...); code == 0 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, %q; want refused naming %q", tc.args, code, errOut, tc.want)
		}
		if _, err := os.Stat(bad); err == nil {
			t.Errorf("%v: wrote %s", tc.args, bad)
		}
	}
}
