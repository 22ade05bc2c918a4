package importer_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/gridcast/gridcast/internal/testlog"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/store"
)

// The grid codes every test store holds.
const (
	gridA     = "NY-01-02-03"
	gridB     = "NY-01-02-04"
	community = "NY-01-02"
)

func testGrids() []population.Grid {
	return []population.Grid{
		{Code: "NY", Name: "南岳区", Level: population.LevelDistrict},
		{Code: "NY-01", Name: "东街道", Level: population.LevelStreet, ParentCode: "NY"},
		{Code: community, Name: "幸福社区", Level: population.LevelCommunity, ParentCode: "NY-01"},
		{Code: gridA, Name: "第三网格", Level: population.LevelGrid, ParentCode: community},
		{Code: gridB, Name: "第四网格", Level: population.LevelGrid, ParentCode: community},
	}
}

// newStore opens a SQLite population store in t.TempDir() holding testGrids.
func newStore(tb testing.TB) *store.Store {
	tb.Helper()
	sealer, err := pii.NewSealer(make([]byte, 32))
	if err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	s, err := store.Open(ctx, store.Config{Driver: "sqlite", DSN: filepath.Join(tb.TempDir(), "gridcast.db")}, sealer, testlog.New(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	if err := s.UpsertGrids(ctx, testGrids()); err != nil {
		tb.Fatal(err)
	}
	return s
}

// idNumber builds a valid ID number born on birth (YYYYMMDD) whose sequence
// seq (0–999) decides the gender: odd male, even female.
func idNumber(birth string, seq int) string {
	first17 := fmt.Sprintf("320102%s%03d", birth, seq)
	return first17 + string(pii.CheckDigit(first17))
}

// nthID is a distinct valid ID number for every n < 1,000,000.
func nthID(n int) string {
	birth := time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n/1000)
	return idNumber(birth.Format("20060102"), n%1000)
}

func phone(n int) string { return fmt.Sprintf("138%08d", n) }

// writeCSV writes rows to dir/name in the encoding given: "utf8", "bom"
// (UTF-8 with BOM) or "gbk".
func writeCSV(tb testing.TB, dir, name, enc string, rows [][]string) string {
	tb.Helper()
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.WriteAll(rows); err != nil {
		tb.Fatal(err)
	}
	b := buf.Bytes()
	switch enc {
	case "bom":
		b = append([]byte("\ufeff"), b...)
	case "gbk":
		var err error
		if b, err = simplifiedchinese.GBK.NewEncoder().Bytes(b); err != nil {
			tb.Fatal(err)
		}
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// writeXLSX writes rows as text cells, except values of type time.Time,
// which become date cells as Excel writes them.
func writeXLSX(tb testing.TB, dir, name string, rows [][]any) string {
	tb.Helper()
	f := excelize.NewFile()
	defer f.Close()
	dateStyle, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	if err != nil {
		tb.Fatal(err)
	}
	for i, row := range rows {
		for j, v := range row {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			switch v := v.(type) {
			case time.Time:
				if err := f.SetCellValue("Sheet1", cell, v); err == nil {
					err = f.SetCellStyle("Sheet1", cell, cell, dateStyle)
				}
			case string:
				err = f.SetCellStr("Sheet1", cell, v)
			default:
				err = f.SetCellValue("Sheet1", cell, v)
			}
			if err != nil {
				tb.Fatal(err)
			}
		}
	}
	path := filepath.Join(dir, name)
	if err := f.SaveAs(path); err != nil {
		tb.Fatal(err)
	}
	return path
}

func strRows(rows [][]string) [][]any {
	out := make([][]any, len(rows))
	for i, r := range rows {
		for _, c := range r {
			out[i] = append(out[i], c)
		}
	}
	return out
}
