package main

import (
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/gridcast/gridcast/population"
)

// A grid worker's month from the command line: two visits and a patrol
// report recorded, then `gridcast assessment` scores it — the visits and
// the event counted, the other workers behind — prints the breakdown,
// writes the score sheet, and refuses a bad period with the forms it
// takes.
func TestCLIAssessment(t *testing.T) {
	dir, w, r := visitsCLIFixture(t)
	mine := []population.Resident{r, r} // in person, then by phone: one visit that day
	for i, r := range mine {
		kind := []string{"in_person", "phone"}[i]
		if _, errOut, code := gridcast(t, dir, "visits", "record", "--worker", w.Code, "--resident", strconv.FormatInt(r.ID, 10), "--kind", kind, "--by", "王芳"); code != 0 {
			t.Fatalf("visits record: %s", errOut)
		}
	}
	if _, errOut, code := gridcast(t, dir, "tickets", "report", "--grid", w.GridCode, "--text", "消防通道被杂物堵塞", "--worker", w.Code, "--by", "王芳"); code != 0 {
		t.Fatalf("tickets report: %s", errOut)
	}

	out, errOut, code := gridcast(t, dir, "assessment", "--by", "grid", "--json")
	var views []scoreView
	if code != 0 || json.Unmarshal([]byte(out), &views) != nil {
		t.Fatalf("assessment --json: %d %s %s", code, out, errOut)
	}
	var got *scoreView
	for i := range views {
		if views[i].Worker == w.Code {
			got = &views[i]
		}
	}
	if got == nil || got.Lines["visits"] <= 0 || got.Lines["events"] != 25 || got.Rank != 1 || got.Name != string(w.Name) {
		t.Fatalf("the worker's score %+v; want visits counted, 1 of 4 events (25 points), first in their grid, named in clear", got)
	}
	for _, v := range views {
		if v.Worker != w.Code && v.Points >= got.Points {
			t.Errorf("%s scored %.1f with nothing done, not below %s's %.1f", v.Worker, v.Points, w.Code, got.Points)
		}
	}

	out, _, code = gridcast(t, dir, "kaohe", "--worker", w.Code)
	if code != 0 || !strings.Contains(out, "走访完成：走访 ") || !strings.Contains(out, "上报事件 1 件") {
		t.Errorf("the breakdown: %d\n%s", code, out)
	}

	xlsx := filepath.Join(t.TempDir(), "kaohe.xlsx")
	if _, errOut, code := gridcast(t, dir, "assessment", "--xlsx", xlsx); code != 0 {
		t.Fatalf("assessment --xlsx: %s", errOut)
	}
	f, err := excelize.OpenFile(xlsx)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("考核")
	if err != nil || len(rows) != len(views)+1 || rows[0][4] != "姓名" {
		t.Errorf("score sheet rows %v, %v; want a header and one row per worker", rows, err)
	}

	if _, errOut, code := gridcast(t, dir, "assessment", "--period", "2026-13"); code == 0 || !strings.Contains(errOut, "2026-Q4") {
		t.Errorf("a bad period: exit %d, %q; want refused with the forms it takes", code, errOut)
	}
	if _, errOut, code := gridcast(t, dir, "assessment", "--by", "city"); code == 0 || !strings.Contains(errOut, "community") {
		t.Errorf("a bad --by: exit %d, %q", code, errOut)
	}
}
