package importer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/population/importer"
)

// longRows holds over-long values after a good first row; the comment on
// each names the row number it lands on. Columns as in zhHeader.
func longRows() [][]string {
	good := threeResidents()[0]
	other := func(n int, edit func(r []string)) []string {
		r := append([]string(nil), good...)
		r[1], r[2], r[3] = "", "", nthID(n)
		edit(r)
		return r
	}
	manySkills := make([]string, importer.MaxListItems+1)
	for i := range manySkills {
		manySkills[i] = fmt.Sprintf("技能%d", i)
	}
	return [][]string{
		zhHeader,
		good, // row 2
		other(20, func(r []string) { r[0] = strings.Repeat("张", 1_000_000) }),                  // 3: a 1,000,000-character name
		other(21, func(r []string) { r[11] = strings.Repeat("焊", 200_000) }),                   // 4: a 200,000-character skill
		other(22, func(r []string) { r[11] = strings.Join(manySkills, "、") }),                  // 5: 21 skills
		other(23, func(r []string) { r[11] = "电工，" + strings.Repeat("焊", 31) }),                // 6: a 31-character skill
		other(24, func(r []string) { r[4] = phone(3) + phone(3) }),                             // 7: 22 digits of phone
		other(25, func(r []string) { r[3] = nthID(25) + "123456" + nthID(25)[:6] }),            // 8: an ID number of 30
		other(26, func(r []string) { r[12] = strings.Repeat("焊工、", importer.MaxListLen/3+1) }), // 9: a desired-jobs cell over 600
		threeResidents()[2], // 10: good
	}
}

// TestImportRefusesOverlongValues: each over-long value refuses its row,
// named by row, column and limit without the value, and the good rows are
// imported.
func TestImportRefusesOverlongValues(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rows := longRows()
	file := writeCSV(t, t.TempDir(), "r.csv", "utf8", rows)
	store := newStore(t)
	rep, err := importer.ImportFile(ctx, store, file, importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := importer.Report{
		Rows:     9,
		Imported: population.UpsertStats{Inserted: 2},
		Skipped:  7,
		Errors: []importer.RowError{
			{Row: 3, Column: "姓名", Field: importer.FieldName, Msg: "too long: 1000000 characters, at most 50"},
			{Row: 4, Column: "技能", Field: importer.FieldSkills, Msg: "too long: 200000 characters, at most 600"},
			{Row: 5, Column: "技能", Field: importer.FieldSkills, Msg: "21 skills; at most 20 in one cell"},
			{Row: 6, Column: "技能", Field: importer.FieldSkills, Msg: "skill 2: 31 characters, at most 30"},
			{Row: 7, Column: "手机号", Field: importer.FieldPhone, Msg: "too long: 22 characters, at most 20"},
			{Row: 8, Column: "身份证号", Field: importer.FieldIDNumber, Msg: "too long: 30 characters, at most 24"},
			{Row: 9, Column: "求职意向", Field: importer.FieldDesiredJobs, Msg: fmt.Sprintf("too long: %d characters, at most 600", 3*(importer.MaxListLen/3+1))},
		},
	}
	if d := cmp.Diff(want, rep); d != "" {
		t.Fatalf("report (-want +got):\n%s", d)
	}
	checkZhang(t, store)
	if n, _ := store.CountResidents(ctx); n != 2 {
		t.Errorf("store holds %d residents, want 2", n)
	}
	// The report repeats none of it: it stays small, and holds no clear
	// phone or ID number.
	var all bytes.Buffer
	if err := rep.WriteTable(&all, 0); err != nil {
		t.Fatal(err)
	}
	js, _ := json.Marshal(rep)
	all.Write(js)
	if all.Len() > 4096 {
		t.Errorf("the report is %d bytes; want it to leave the long values out", all.Len())
	}
	if fs, _ := pii.Scan(&all); len(fs) > 0 {
		t.Errorf("the report holds personal data in clear: %v", fs)
	}
}

// TestImportStrictReportsEveryBadRow: a strict run writes nothing and
// returns the same report of bad rows as a run that is not strict.
func TestImportStrictReportsEveryBadRow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	file := writeCSV(t, t.TempDir(), "r.csv", "utf8", longRows())
	lenient, err := importer.ImportFile(ctx, newStore(t), file, importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	store := newStore(t)
	strict, err := importer.ImportFile(ctx, store, file, importer.Options{Strict: true})
	if !errors.Is(err, importer.ErrRowErrors) {
		t.Fatalf("err = %v, want ErrRowErrors", err)
	}
	if d := cmp.Diff(lenient.Errors, strict.Errors); d != "" || len(strict.Errors) != 7 {
		t.Errorf("strict run's row errors differ from the lenient run's (-lenient +strict):\n%s", d)
	}
	if strict.Imported != (population.UpsertStats{}) {
		t.Errorf("strict run imported %+v, want nothing", strict.Imported)
	}
	if n, _ := store.CountResidents(ctx); n != 0 {
		t.Errorf("store holds %d residents, want 0", n)
	}
}

// TestImportRefusesUnknownCodes: a category or grid the store does not know
// refuses the row, naming what is accepted or the nearest known codes; a
// category the import is told of is accepted.
func TestImportRefusesUnknownCodes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	header := []string{"姓名", "身份证号", "网格", "人员类别"}
	rows := [][]string{
		header,
		{"张三", nthID(30), gridA, "unemployed、retired_cadre"},   // 2: good, with a category the import is told of
		{"李四", nthID(31), gridA, "unemploed"},                  // 3: a typo, well formed: it used to be a new category
		{"王五", nthID(32), "NY-01-02-05", "失业登记"},               // 4: no such grid
		{"赵六", nthID(33), "NY-01", ""},                         // 5: a street
		{"钱七", nthID(34), gridB, phone(9)},                     // 6: a shifted column: a phone number, masked in the message
		{"孙八", nthID(35), "ny-01-02-03", "elderly_alone、独居老人"}, // 7: codes are case-sensitive
	}
	file := writeCSV(t, t.TempDir(), "r.csv", "utf8", rows)
	store := newStore(t)
	rep, err := importer.ImportFile(ctx, store, file, importer.Options{ExtraCategories: []population.Category{"retired_cadre"}})
	if err != nil {
		t.Fatal(err)
	}
	accepted := acceptedCategories + ", retired_cadre"
	want := importer.Report{
		Rows:     6,
		Imported: population.UpsertStats{Inserted: 1},
		Skipped:  5,
		Errors: []importer.RowError{
			{Row: 3, Column: "人员类别", Field: importer.FieldCategories, Msg: `unknown category "unemploed"; accepted: ` + accepted},
			{Row: 4, Column: "网格", Field: importer.FieldGrid, Msg: `unknown grid code "NY-01-02-05"; nearest known: NY-01-02-03, NY-01-02-04`},
			{Row: 5, Column: "网格", Field: importer.FieldGrid, Msg: `"NY-01" is a street, not a grid; residents live in a grid; its grids: NY-01-02-03, NY-01-02-04`},
			{Row: 6, Column: "人员类别", Field: importer.FieldCategories, Msg: `unknown category "138****0009"; accepted: ` + accepted},
			{Row: 7, Column: "网格", Field: importer.FieldGrid, Msg: `unknown grid code "ny-01-02-03"; nearest known: NY-01-02-03, NY-01-02-04`},
		},
	}
	if d := cmp.Diff(want, rep); d != "" {
		t.Fatalf("report (-want +got):\n%s", d)
	}
	r, err := store.ResidentByIDNumber(ctx, pii.IDNumber(nthID(30)))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]population.Category{"retired_cadre", population.Unemployed}, r.Categories); d != "" {
		t.Errorf("categories (-want +got):\n%s", d)
	}

	// Without being told of it, the extra category is refused too.
	rep, err = importer.ImportFile(ctx, newStore(t), file, importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Imported.Inserted != 0 || len(rep.Errors) != 6 || rep.Errors[0].Row != 2 {
		t.Errorf("without ExtraCategories: %+v; want row 2 refused too", rep)
	}

	_, err = importer.ImportFile(ctx, newStore(t), file, importer.Options{ExtraCategories: []population.Category{"退休干部"}})
	if err == nil || !strings.Contains(err.Error(), `extra category "退休干部"`) {
		t.Errorf("err = %v, want the malformed extra category named", err)
	}
}

// The limits count characters, not bytes: 50 Han characters (150 bytes)
// make a name, 51 do not.
func TestParseLimitsCountCharacters(t *testing.T) {
	t.Parallel()
	row := func(name, skills string) importer.Row {
		return importer.Row{importer.FieldName: name, importer.FieldIDNumber: nthID(1), importer.FieldGrid: gridA,
			importer.FieldSkills: skills}
	}
	tests := []struct {
		name string
		row  importer.Row
		want []importer.FieldError
	}{
		{"name at the limit", row(strings.Repeat("张", importer.MaxNameLen), ""), nil},
		{"name over it", row(strings.Repeat("张", importer.MaxNameLen+1), ""),
			[]importer.FieldError{{Field: importer.FieldName, Msg: "too long: 51 characters, at most 50"}}},
		{"spaces around do not count", row("  "+strings.Repeat("张", importer.MaxNameLen)+"\u3000 ", ""), nil},
		{"skill at the limit", row("张三", "电工、"+strings.Repeat("焊", importer.MaxListItemLen)), nil},
		{"20 skills", row("张三", strings.Join(strings.Split("abcdefghijklmnopqrst", ""), "、")), nil},
		{"21 skills", row("张三", strings.Join(strings.Split("abcdefghijklmnopqrstu", ""), "、")),
			[]importer.FieldError{{Field: importer.FieldSkills, Msg: "21 skills; at most 20 in one cell"}}},
		{"a skill repeated counts once", row("张三", strings.Repeat("电工、", 30)), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, got := (&importer.Parser{}).Parse(tt.row)
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("errors (-want +got):\n%s", d)
			}
		})
	}
}
