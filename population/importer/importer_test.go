package importer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/population/importer"
)

var (
	zhHeader = []string{"姓名", "性别", "出生日期", "身份证号", "手机号", "网格", "小区", "楼栋", "单元", "房号", "人员类别", "技能", "求职意向", "偏好渠道"}
	enHeader = []string{"name", "gender", "birth_date", "id_number", "phone", "grid", "community", "building", "unit", "room", "categories", "skills", "desired_jobs", "preferred_channel"}
)

// threeResidents are valid rows in zhHeader/enHeader column order.
func threeResidents() [][]string {
	return [][]string{
		{"张三", "男", "1985-03-12", idNumber("19850312", 123), phone(1), gridA, "幸福小区", "3栋", "2", "501", "失业登记、培训学员", "电工，焊工", "电工", "微信"},
		{"李四", "女", "1990/7/1", idNumber("19900701", 222), "+86 138 0000 0002", gridA, "幸福小区", "3", "2", "502", "独居老人", "", "", ""},
		{"王五", "", "", idNumber("19700101", 315), "", gridB, "", "", "", "", "", "", "", "sms"},
	}
}

func TestImportFormatsAndHeaders(t *testing.T) {
	t.Parallel()
	withTitle := append([][]string{{"幸福社区居民信息表"}, {}}, append([][]string{zhHeader}, threeResidents()...)...)
	cases := []struct {
		name string
		file func(dir string) string
	}{
		{"csv chinese headers", func(dir string) string {
			return writeCSV(t, dir, "r.csv", "utf8", append([][]string{zhHeader}, threeResidents()...))
		}},
		{"csv english headers", func(dir string) string {
			return writeCSV(t, dir, "r.csv", "utf8", append([][]string{enHeader}, threeResidents()...))
		}},
		{"csv with BOM", func(dir string) string {
			return writeCSV(t, dir, "r.csv", "bom", append([][]string{zhHeader}, threeResidents()...))
		}},
		{"csv in GBK", func(dir string) string {
			return writeCSV(t, dir, "r.csv", "gbk", append([][]string{zhHeader}, threeResidents()...))
		}},
		{"xlsx", func(dir string) string {
			return writeXLSX(t, dir, "r.xlsx", strRows(append([][]string{zhHeader}, threeResidents()...)))
		}},
		{"xlsx with a title row", func(dir string) string {
			return writeXLSX(t, dir, "r.xlsx", strRows(withTitle))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			store := newStore(t)
			rep, err := importer.ImportFile(ctx, store, tc.file(t.TempDir()), importer.Options{})
			if err != nil {
				t.Fatal(err)
			}
			want := importer.Report{Rows: 3, Imported: population.UpsertStats{Inserted: 3}}
			if d := cmp.Diff(want, rep); d != "" {
				t.Fatalf("report (-want +got):\n%s", d)
			}
			checkZhang(t, store)
			li, err := store.ResidentByIDNumber(ctx, pii.IDNumber(idNumber("19900701", 222)))
			if err != nil {
				t.Fatal(err)
			}
			if li.Phone != pii.Phone(phone(2)) || li.Gender != population.Female {
				t.Errorf("李四: phone %s gender %s, want %s F", li.Phone, li.Gender, phone(2))
			}
		})
	}
}

// checkZhang asserts the first of threeResidents arrived whole.
func checkZhang(t *testing.T, store interface {
	ResidentByIDNumber(context.Context, pii.IDNumber) (population.Resident, error)
}) {
	t.Helper()
	r, err := store.ResidentByIDNumber(context.Background(), pii.IDNumber(idNumber("19850312", 123)))
	if err != nil {
		t.Fatal(err)
	}
	got := struct {
		Name               string
		Gender             population.Gender
		Birth, Phone, Grid string
		Address            population.Address
		Categories         []population.Category
		Skills, Jobs       []string
		Channel            population.Channel
	}{string(r.Name), r.Gender, r.BirthDate.Format(time.DateOnly), string(r.Phone), r.GridCode, r.Address,
		r.Categories, r.Skills, r.DesiredJobs, r.PreferredChannel}
	want := got
	want.Name, want.Gender, want.Birth, want.Phone, want.Grid = "张三", population.Male, "1985-03-12", phone(1), gridA
	want.Address = population.Address{Community: "幸福小区", Building: "3", Unit: "2", Room: "501"}
	want.Categories = []population.Category{population.Trainee, population.Unemployed}
	want.Skills, want.Jobs, want.Channel = []string{"焊工", "电工"}, []string{"电工"}, population.ChannelWeChat
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("张三 (-want +got):\n%s", d)
	}
}

func TestImportMappingFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	mapping := filepath.Join(dir, "mapping.yaml")
	if err := os.WriteFile(mapping, []byte("id_number: 证件号码\nphone: 联系方式\ngrid: 所属网格\nopenid: \"\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := importer.LoadMapping(mapping)
	if err != nil {
		t.Fatal(err)
	}
	file := writeCSV(t, dir, "r.csv", "utf8", [][]string{
		{"姓名", "证件号码", "联系方式", "所属网格", "微信openid"},
		{"张三", idNumber("19850312", 123), phone(1), gridA, "oAbCdEfGhIjK"},
	})
	store := newStore(t)
	rep, err := importer.ImportFile(context.Background(), store, file, importer.Options{Mapping: m})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(importer.Report{Rows: 1, Imported: population.UpsertStats{Inserted: 1}}, rep); d != "" {
		t.Fatalf("report (-want +got):\n%s", d)
	}
	r, err := store.ResidentByIDNumber(context.Background(), pii.IDNumber(idNumber("19850312", 123)))
	if err != nil {
		t.Fatal(err)
	}
	if r.Phone != pii.Phone(phone(1)) || r.OpenID != "" {
		t.Errorf("phone %s openid %q; want %s and no openid (switched off by the mapping)", r.Phone, r.OpenID, phone(1))
	}
}

func TestLoadMappingErrors(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "m.yaml")
	if err := os.WriteFile(path, []byte("id_number: 证件号码\nmobile: 联系方式\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := importer.LoadMapping(path)
	if err == nil || !strings.Contains(err.Error(), `line 2: unknown field "mobile"`) {
		t.Fatalf("err = %v, want it to name line 2 and the unknown field", err)
	}
}

// acceptedCategories is how a refusal of an unknown category lists the
// accepted ones.
const acceptedCategories = "unemployed (失业登记), hard_to_employ (就业困难人员), trainee (培训学员), " +
	"elderly_alone (独居老人), empty_nest (空巢老人), subsistence (低保户), disabled (残疾人), " +
	"left_behind_guardian (留守儿童监护人), floating (流动人口), new_resident (新居民)"

// badRows holds one problem per row after a good first row; the comment on
// each names the row number it lands on.
func badRows() [][]string {
	good := threeResidents()[0]
	row := func(edit func(r []string)) []string {
		r := append([]string(nil), good...)
		edit(r)
		return r
	}
	// other is a row for another person, gender and birth date left to the ID.
	other := func(n int, edit func(r []string)) []string {
		return row(func(r []string) {
			r[1], r[2], r[3] = "", "", nthID(n)
			edit(r)
		})
	}
	wrongCheck := idNumber("19800101", 111)
	if wrongCheck[17] == '0' {
		wrongCheck = wrongCheck[:17] + "1"
	} else {
		wrongCheck = wrongCheck[:17] + "0"
	}
	return [][]string{
		zhHeader,
		good, // row 2
		other(10, func(r []string) { r[4] = "12345678901" }),         // 3: phone
		row(func(r []string) { r[3] = wrongCheck }),                  // 4: check digit
		other(11, func(r []string) { r[2] = "1999-01-01" }),          // 5: birth date vs ID
		row(func(r []string) { r[3] = idNumber("19850312", 124) }),   // 6: gender vs ID (124 is female)
		other(12, func(r []string) { r[5] = "NY-09-09-09" }),         // 7: unknown grid
		other(13, func(r []string) { r[10] = "失业登记、退休干部" }),          // 8: unknown category
		row(func(r []string) {}),                                     // 9: duplicate of row 2
		other(14, func(r []string) { r[5] = community }),             // 10: a community, not a grid
		other(15, func(r []string) { r[0] = "" }),                    // 11: no name
		other(16, func(r []string) {}),                               // 12: good
		other(0, func(r []string) { r[3] = "3.20102198503121E+17" }), // 13: rounded by Excel
		{}, // 14: blank, ignored
		other(17, func(r []string) { r[13] = "电话" }), // 15: channel
	}
}

func TestImportRowErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rows := badRows()
	file := writeCSV(t, t.TempDir(), "r.csv", "utf8", rows)
	store := newStore(t)
	rep, err := importer.ImportFile(ctx, store, file, importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	id := func(s string) string { return pii.IDNumber(s).Masked() }
	want := importer.Report{
		Rows:     13,
		Imported: population.UpsertStats{Inserted: 2},
		Skipped:  11,
		Errors: []importer.RowError{
			{Row: 3, Column: "手机号", Field: importer.FieldPhone, Msg: "mobile number 123****8901: want 11 digits starting 13-19"},
			{Row: 4, Column: "身份证号", Field: importer.FieldIDNumber, Msg: id(rows[3][3]) + ": ID number check digit does not match"},
			{Row: 5, Column: "出生日期", Field: importer.FieldBirthDate, Msg: "1999-01-01 disagrees with the birth date in ID number " + id(nthID(11))},
			{Row: 6, Column: "性别", Field: importer.FieldGender, Msg: "男 disagrees with the gender in ID number " + id(rows[5][3])},
			{Row: 7, Column: "网格", Field: importer.FieldGrid, Msg: `unknown grid code "NY-09-09-09"; nearest known: NY-01-02-03, NY-01-02-04`},
			{Row: 8, Column: "人员类别", Field: importer.FieldCategories, Msg: `unknown category "退休干部"; accepted: ` + acceptedCategories},
			{Row: 9, Column: "身份证号", Field: importer.FieldIDNumber, Msg: "ID number " + id(rows[1][3]) + " already appears on row 2"},
			{Row: 10, Column: "网格", Field: importer.FieldGrid, Msg: `"NY-01-02" is a community, not a grid; residents live in a grid; its grids: NY-01-02-03, NY-01-02-04`},
			{Row: 11, Column: "姓名", Field: importer.FieldName, Msg: "required"},
			{Row: 13, Column: "身份证号", Field: importer.FieldIDNumber, Msg: id("3.20102198503121E+17") + " looks like a number Excel rounded; format the column as text and enter the ID number again"},
			{Row: 15, Column: "偏好渠道", Field: importer.FieldPreferredChannel, Msg: `"电话": want 微信/短信 or wechat/sms`},
		},
	}
	if d := cmp.Diff(want, rep); d != "" {
		t.Fatalf("report (-want +got):\n%s", d)
	}
	// No message carries a clear ID number or phone number.
	var all bytes.Buffer
	if err := rep.WriteTable(&all, 0); err != nil {
		t.Fatal(err)
	}
	js, _ := json.Marshal(rep)
	all.Write(js)
	for _, r := range rows[1:] {
		if len(r) == 0 {
			continue
		}
		for _, clear := range []string{r[3], r[4]} {
			if len(clear) >= 11 && strings.Contains(all.String(), clear) {
				t.Errorf("report holds clear value %s…", clear[:4])
			}
		}
	}
	if n, _ := store.CountResidents(ctx); n != 2 {
		t.Errorf("store holds %d residents, want 2", n)
	}
}

func TestImportStrictWritesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	file := writeCSV(t, t.TempDir(), "r.csv", "utf8", badRows())
	store := newStore(t)
	rep, err := importer.ImportFile(ctx, store, file, importer.Options{Strict: true})
	if !errors.Is(err, importer.ErrRowErrors) {
		t.Fatalf("err = %v, want ErrRowErrors", err)
	}
	if len(rep.Errors) != 11 || rep.Imported != (population.UpsertStats{}) {
		t.Errorf("report: %d errors, imported %+v; want 11 errors and nothing imported", len(rep.Errors), rep.Imported)
	}
	if n, _ := store.CountResidents(ctx); n != 0 {
		t.Errorf("store holds %d residents, want 0", n)
	}
}

func TestReimportChangesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	file := writeXLSX(t, t.TempDir(), "r.xlsx", strRows(append([][]string{zhHeader}, threeResidents()...)))
	store := newStore(t)
	if _, err := importer.ImportFile(ctx, store, file, importer.Options{}); err != nil {
		t.Fatal(err)
	}
	rep, err := importer.ImportFile(ctx, store, file, importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(importer.Report{Rows: 3, Imported: population.UpsertStats{Unchanged: 3}}, rep); d != "" {
		t.Fatalf("second import (-want +got):\n%s", d)
	}
}

func TestMissingColumnIsFatal(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rows := [][]string{{"姓名", "手机号", "网格"}, {"张三", phone(1), gridA}}
	file := writeCSV(t, t.TempDir(), "r.csv", "utf8", rows)
	store := newStore(t)
	_, err := importer.ImportFile(ctx, store, file, importer.Options{})
	var mc *importer.MissingColumnsError
	if !errors.As(err, &mc) {
		t.Fatalf("err = %v, want *MissingColumnsError", err)
	}
	if d := cmp.Diff(&importer.MissingColumnsError{Missing: []string{"id_number"}, Found: rows[0]}, mc); d != "" {
		t.Errorf("error (-want +got):\n%s", d)
	}
	if n, _ := store.CountResidents(ctx); n != 0 {
		t.Errorf("store holds %d residents, want 0", n)
	}
}

// failingStore fails every upsert, as a store that lost its disk would.
type failingStore struct{ importer.Store }

func (failingStore) UpsertResidents(context.Context, []population.Resident) (population.UpsertStats, error) {
	return population.UpsertStats{}, errors.New("disk I/O error")
}

func TestStoreFailureIsFatal(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	file := writeCSV(t, t.TempDir(), "r.csv", "utf8", append([][]string{zhHeader}, threeResidents()...))
	store := newStore(t)
	_, err := importer.ImportFile(ctx, failingStore{store}, file, importer.Options{})
	if err == nil || !strings.Contains(err.Error(), "nothing imported") {
		t.Fatalf("err = %v, want a store error saying nothing was imported", err)
	}
}

func TestImportXLSXDatesAndSheets(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	path := writeXLSX(t, dir, "r.xlsx", [][]any{
		{"姓名", "出生日期", "身份证号", "手机号", "网格"},
		{"张三", time.Date(1985, 3, 12, 0, 0, 0, 0, time.UTC), idNumber("19850312", 123), 13800000001, gridA},
	})
	store := newStore(t)
	rep, err := importer.ImportFile(ctx, store, path, importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Errors) > 0 || rep.Imported.Inserted != 1 {
		t.Fatalf("report %+v, want one inserted and no errors", rep)
	}
	_, err = importer.ImportFile(ctx, store, path, importer.Options{Sheet: "居民"})
	if err == nil || !strings.Contains(err.Error(), `no sheet "居民"; sheets: Sheet1`) {
		t.Errorf("err = %v, want it to list the sheets", err)
	}
}

func TestProgress(t *testing.T) {
	t.Parallel()
	rows := [][]string{zhHeader}
	for i := range 1500 {
		rows = append(rows, []string{"张三", "", "", nthID(i), phone(i), gridA, "", "", "", "", "", "", "", ""})
	}
	file := writeCSV(t, t.TempDir(), "r.csv", "utf8", rows)
	var calls [][2]int
	_, err := importer.ImportFile(context.Background(), newStore(t), file, importer.Options{
		Progress: func(done, total int) { calls = append(calls, [2]int{done, total}) },
	})
	if err != nil {
		t.Fatal(err)
	}
	want := [][2]int{{512, 1500}, {1024, 1500}, {1500, 1500}}
	if d := cmp.Diff(want, calls); d != "" {
		t.Errorf("progress calls (-want +got):\n%s", d)
	}
}

func TestTemplateRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var buf bytes.Buffer
	if err := importer.Template(&buf, "xlsx"); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	sheet := f.GetSheetList()[0]
	for i, v := range []string{"张三", "", "", idNumber("19850312", 123), phone(1), gridA} {
		cell, _ := excelize.CoordinatesToCellName(i+1, 2)
		if err := f.SetCellStr(sheet, cell, v); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "filled.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	rep, err := importer.ImportFile(ctx, newStore(t), path, importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(importer.Report{Rows: 1, Imported: population.UpsertStats{Inserted: 1}}, rep); d != "" {
		t.Errorf("import of the filled template (-want +got):\n%s", d)
	}

	buf.Reset()
	if err := importer.Template(&buf, "csv"); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), "\ufeff姓名*,性别,出生日期,身份证号*") {
		t.Errorf("csv template starts %q", buf.String()[:40])
	}
}

func TestReportJSON(t *testing.T) {
	t.Parallel()
	rep := importer.Report{Rows: 2, Imported: population.UpsertStats{Inserted: 1}, Skipped: 1,
		Errors: []importer.RowError{{Row: 3, Column: "手机号", Field: importer.FieldPhone, Msg: "bad"}}}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"rows":2,"imported":{"inserted":1,"updated":0,"unchanged":0},"skipped":1,"errors":[{"row":3,"column":"手机号","field":"phone","msg":"bad"}]}`
	if string(b) != want {
		t.Errorf("json:\n got %s\nwant %s", b, want)
	}
	var back importer.Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(rep, back); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
}
