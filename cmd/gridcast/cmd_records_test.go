package main

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// `residents change` and `residents changes`: a bad value is refused with
// nothing stored, a change is recorded masked on screen and on the audit
// log, the resident leaves segments, and the change file carries the
// clear ID number and values for the source population system.
func TestCLIRecords(t *testing.T) {
	t.Chdir(t.TempDir())
	dir := t.TempDir()
	if _, e, code := gridcast(t, dir, "seed", "--residents", "30", "--seed", "4", "--quiet"); code != 0 {
		t.Fatalf("seed: %s", e)
	}
	idNumber, e, code := gridcast(t, dir, "residents", "unmask", "1", "--by", "王芳", "--reason", "导入核对")
	if code != 0 {
		t.Fatalf("unmask: %s", e)
	}
	idNumber = strings.TrimSpace(idNumber)
	before, _, _ := gridcast(t, dir, "segment", "count", "")

	for _, bad := range [][]string{
		{"residents", "change", "1", "--status", "gone", "--by", "王芳"},
		{"residents", "change", "1", "--status", "deceased", "--living", "cave", "--by", "王芳"},
		{"residents", "change", "1", "--phone", "12345", "--by", "王芳"},
		{"residents", "change", "1", "--by", "王芳"},
		{"residents", "change", "1", "--status", "deceased"},
		{"residents", "changes"},
		{"residents", "changes", "--since", "yesterday"},
		{"residents", "changes", "--since", "2020-01-01", "--csv", "x.csv"},
	} {
		if _, e, code := gridcast(t, dir, bad...); code != 2 {
			t.Errorf("%v: exit %d (%s), want 2", bad, code, e)
		}
	}
	if out, _, _ := gridcast(t, dir, "residents", "changes", "1"); strings.Count(out, "\n") != 1 {
		t.Fatalf("refused changes were stored:\n%s", out)
	}

	out, e, code := gridcast(t, dir, "residents", "change", "1", "--status", "死亡", "--phone", "13700008888", "--health", "糖尿病",
		"--living", "独居", "--by", "王芳", "--note", "家属告知")
	if code != 0 {
		t.Fatalf("change: exit %d: %s", code, e)
	}
	for _, want := range []string{"4 change(s)", "人员状态 status: active 在册 → deceased 死亡", "→ 137****8888", "居住状况 living: - → alone 独居", "健康状况 health: - → ***"} {
		if !strings.Contains(out, want) {
			t.Errorf("change output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out+e, "13700008888") || strings.Contains(out+e, "糖尿病") {
		t.Errorf("personal data in clear:\n%s%s", out, e)
	}
	if out, _, _ := gridcast(t, dir, "residents", "show", "1"); !strings.Contains(out, "status deceased 死亡, living alone 独居") || !strings.Contains(out, "health note ***") {
		t.Errorf("show:\n%s", out)
	}
	after, _, _ := gridcast(t, dir, "segment", "count", "")
	if strings.TrimSpace(before) == strings.TrimSpace(after) {
		t.Errorf("the segment still counts the deceased resident: %s → %s", before, after)
	}
	audit, _, _ := gridcast(t, dir, "audit", "list", "--action", "resident.change")
	if !strings.Contains(audit, "resident:1") || strings.Contains(audit, "13700008888") {
		t.Errorf("audit:\n%s", audit)
	}

	// The change file, CSV and XLSX.
	out, e, code = gridcast(t, dir, "residents", "changes", "--since", "2020-01-01", "--csv", "changes.csv", "--by", "王芳")
	if code != 0 || !strings.Contains(out, "wrote 4 change(s)") {
		t.Fatalf("csv: exit %d: %s %s", code, out, e)
	}
	f, err := os.Open("changes.csv")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil || len(rows) != 5 {
		t.Fatalf("csv rows %d, %v", len(rows), err)
	}
	if rows[0][1] != "身份证号" || rows[1][1] != idNumber || rows[1][4] != "人员状态" || rows[1][6] != "在册" || rows[1][7] != "死亡" {
		t.Errorf("csv first change: %v", rows[1])
	}
	if rows[2][5] != "phone" || rows[2][7] != "13700008888" || rows[4][5] != "health" || rows[4][7] != "糖尿病" {
		t.Errorf("csv clear values: %v %v", rows[2], rows[4])
	}
	if _, e, code := gridcast(t, dir, "residents", "changes", "--since", "2020-01-01", "--xlsx", "changes.xlsx", "--by", "王芳"); code != 0 {
		t.Fatalf("xlsx: %s", e)
	}
	x, err := excelize.OpenFile(filepath.Join(".", "changes.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if v, _ := x.GetCellValue("变更", "B2"); v != idNumber {
		t.Errorf("xlsx B2 = %q, want the ID number", v)
	}
	exports, _, _ := gridcast(t, dir, "audit", "list", "--action", "export")
	if strings.Count(exports, "resident_changes") != 2 {
		t.Errorf("exports on the audit log:\n%s", exports)
	}
	// On screen: masked.
	if out, _, _ := gridcast(t, dir, "residents", "changes", "--since", "2020-01-01"); strings.Contains(out, idNumber) || strings.Contains(out, "13700008888") {
		t.Errorf("the screen list shows personal data:\n%s", out)
	}
}
