package sheet_test

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"github.com/gridcast/gridcast/sheet"
)

// What Excel reads back: the header, text cells that keep their digits,
// the drop-down, the frozen header and the title.
func TestWriteXLSX(t *testing.T) {
	s := sheet.Sheet{Name: "报名名单", Title: "campaign 3",
		Columns: []sheet.Column{{Header: "居民"}, {Header: "手机号", Width: 16, Text: true}, {Header: "选项", Choices: []string{"报名", "咨询"}}},
		Rows:    [][]any{{int64(12), "01380013800", "报名"}, {int64(13), "13900000000"}}}
	var buf bytes.Buffer
	if err := s.WriteXLSX(&buf); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("报名名单")
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"居民", "手机号", "选项"}, {"12", "01380013800", "报名"}, {"13", "13900000000"}}
	if d := cmp.Diff(want, rows); d != "" {
		t.Errorf("rows (-want +got):\n%s", d)
	}
	dvs, err := f.GetDataValidations("报名名单")
	if err != nil || len(dvs) != 1 || dvs[0].Sqref != "C2:C100000" {
		t.Errorf("data validations %+v, %v; want the drop-down on C", dvs, err)
	}
	panes, err := f.GetPanes("报名名单")
	if err != nil || !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("panes %+v, %v; want the header frozen", panes, err)
	}
	if props, err := f.GetDocProps(); err != nil || props.Title != "campaign 3" {
		t.Errorf("title %+v, %v", props, err)
	}
	if w, _ := f.GetColWidth("报名名单", "B"); w != 16 {
		t.Errorf("phone column width %v, want 16", w)
	}
}

// A sheet for paper prints landscape, one page wide, its header on every
// page.
func TestPrintLayout(t *testing.T) {
	s := sheet.Sheet{Name: "考核", Columns: []sheet.Column{{Header: "姓名"}}, Rows: [][]any{{"张三"}}, Print: true}
	var buf bytes.Buffer
	if err := s.WriteXLSX(&buf); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pl, err := f.GetPageLayout("考核")
	if err != nil || pl.Orientation == nil || *pl.Orientation != "landscape" || pl.FitToWidth == nil || *pl.FitToWidth != 1 {
		t.Errorf("page layout %+v, %v; want landscape, one page wide", pl, err)
	}
	props, err := f.GetSheetProps("考核")
	if err != nil || props.FitToPage == nil || !*props.FitToPage {
		t.Errorf("sheet props %+v, %v; want fit to page", props, err)
	}
	var titles bool
	for _, dn := range f.GetDefinedName() {
		titles = titles || (dn.Name == "_xlnm.Print_Titles" && dn.RefersTo == "'考核'!$1:$1")
	}
	if !titles {
		t.Errorf("defined names %+v; want the header row as print titles", f.GetDefinedName())
	}
}

// A workbook of several sheets: each worksheet with its own rows, header
// and print layout, in the order given, the first one open; a workbook
// with two sheets of one name, or none, is refused.
func TestWriteWorkbook(t *testing.T) {
	a := sheet.Sheet{Name: "走访台账", Title: "台账 2026-11", Columns: []sheet.Column{{Header: "日期"}, {Header: "网格"}},
		Rows: [][]any{{"2026-11-03", "NY-01-01"}}, Print: true}
	b := sheet.Sheet{Name: "工单台账", Title: "ignored", Columns: []sheet.Column{{Header: "工单"}, {Header: "电话", Text: true}},
		Rows: [][]any{{int64(7), "0138"}, {int64(8), "0139"}}, Print: true}
	c := sheet.Sheet{Name: "活户籍台账", Columns: []sheet.Column{{Header: "时间"}}}
	var buf bytes.Buffer
	if err := sheet.WriteWorkbook(&buf, a, b, c); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if d := cmp.Diff([]string{"走访台账", "工单台账", "活户籍台账"}, f.GetSheetList()); d != "" {
		t.Errorf("sheets (-want +got):\n%s", d)
	}
	if f.GetActiveSheetIndex() != 0 {
		t.Errorf("active sheet %d, want the first", f.GetActiveSheetIndex())
	}
	for _, tc := range []struct {
		name string
		want [][]string
	}{
		{"走访台账", [][]string{{"日期", "网格"}, {"2026-11-03", "NY-01-01"}}},
		{"工单台账", [][]string{{"工单", "电话"}, {"7", "0138"}, {"8", "0139"}}},
		{"活户籍台账", [][]string{{"时间"}}},
	} {
		rows, err := f.GetRows(tc.name)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(tc.want, rows); d != "" {
			t.Errorf("%s rows (-want +got):\n%s", tc.name, d)
		}
		if panes, err := f.GetPanes(tc.name); err != nil || !panes.Freeze {
			t.Errorf("%s panes %+v, %v; want the header frozen", tc.name, panes, err)
		}
	}
	for _, name := range []string{"走访台账", "工单台账"} {
		pl, err := f.GetPageLayout(name)
		if err != nil || pl.Orientation == nil || *pl.Orientation != "landscape" {
			t.Errorf("%s page layout %+v, %v; want landscape", name, pl, err)
		}
	}
	titles := map[string]bool{}
	for _, dn := range f.GetDefinedName() {
		if dn.Name == "_xlnm.Print_Titles" {
			titles[dn.RefersTo] = true
		}
	}
	if !titles["'走访台账'!$1:$1"] || !titles["'工单台账'!$1:$1"] {
		t.Errorf("print titles %v; want each printed sheet's header row", titles)
	}
	if props, err := f.GetDocProps(); err != nil || props.Title != "台账 2026-11" {
		t.Errorf("title %+v, %v; want the first sheet's", props, err)
	}

	if err := sheet.WriteWorkbook(&bytes.Buffer{}, a, a); err == nil {
		t.Error("two sheets of one name: no error")
	}
	if err := sheet.WriteWorkbook(&bytes.Buffer{}); err == nil {
		t.Error("no sheets: no error")
	}
}
