// Package sheet writes the spreadsheets GridCast hands to staff — an
// import template, a campaign's sign-up list, a ledger — as XLSX
// worksheets (one per workbook, or several: WriteWorkbook), each with a
// bold, frozen header row, widths set per column, text columns that keep
// every digit of an ID or phone number, and optional drop-down choices. It holds no personal data policy: what goes in a
// cell is the caller's decision.
package sheet

import (
	"fmt"
	"io"
	"strconv"

	"github.com/xuri/excelize/v2"
)

// Column is one column of a Sheet.
type Column struct {
	Header string
	// Width in Excel's character units; zero means 12.
	Width float64
	// Text formats the column as text, so that Excel keeps leading zeros
	// and all 18 digits of an ID number.
	Text bool
	// Choices, when set, give the column a drop-down list of these values.
	Choices []string
}

// Sheet is one worksheet: its name, the workbook's title, its columns and
// its rows (each row's cells in column order; fewer cells leave the rest
// empty).
type Sheet struct {
	Name    string
	Title   string
	Columns []Column
	Rows    [][]any
	// Print sets the worksheet up for paper (a score sheet or a ledger
	// handed over for 查台账): landscape, shrunk to one page wide, the
	// header row repeated on every page.
	Print bool
}

// choiceRows is how far down a column's drop-down list applies.
const choiceRows = 100000

// WriteXLSX writes s to w as an XLSX workbook.
func (s Sheet) WriteXLSX(w io.Writer) error {
	return WriteWorkbook(w, s)
}

// WriteWorkbook writes sheets to w as one XLSX workbook, one worksheet
// each in the order given, the first one open; the workbook's title is the
// first sheet's. Two sheets may not share a name, and a workbook needs at
// least one sheet.
func WriteWorkbook(w io.Writer, sheets ...Sheet) error {
	if len(sheets) == 0 {
		return fmt.Errorf("sheet: a workbook needs at least one sheet")
	}
	seen := make(map[string]bool, len(sheets))
	for _, s := range sheets {
		if seen[s.Name] {
			return fmt.Errorf("sheet: %s: two sheets of that name", s.Name)
		}
		seen[s.Name] = true
	}
	f := excelize.NewFile()
	defer f.Close()
	for i, s := range sheets {
		if err := s.fill(f, i == 0); err != nil {
			return fmt.Errorf("sheet: %s: %w", s.Name, err)
		}
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("sheet: %s: %w", sheets[0].Name, err)
	}
	return nil
}

// fill writes s into f: as the workbook's first worksheet (renaming the
// one a new file comes with), or as a worksheet added after the others.
func (s Sheet) fill(f *excelize.File, first bool) error {
	if first {
		if err := f.SetSheetName("Sheet1", s.Name); err != nil {
			return err
		}
	} else if _, err := f.NewSheet(s.Name); err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	text, err := f.NewStyle(&excelize.Style{NumFmt: 49}) // "@": text
	if err != nil {
		return err
	}
	header := make([]any, len(s.Columns))
	for i, c := range s.Columns {
		col, err := excelize.ColumnNumberToName(i + 1)
		if err != nil {
			return err
		}
		header[i] = c.Header
		width := c.Width
		if width == 0 {
			width = 12
		}
		if err := f.SetColWidth(s.Name, col, col, width); err != nil {
			return err
		}
		if c.Text {
			if err := f.SetColStyle(s.Name, col, text); err != nil {
				return err
			}
		}
		if len(c.Choices) > 0 {
			dv := excelize.NewDataValidation(true)
			dv.Sqref = col + "2:" + col + strconv.Itoa(choiceRows)
			if err := dv.SetDropList(c.Choices); err != nil {
				return err
			}
			if err := f.AddDataValidation(s.Name, dv); err != nil {
				return err
			}
		}
	}
	if len(header) > 0 {
		if err := f.SetSheetRow(s.Name, "A1", &header); err != nil {
			return err
		}
		last, _ := excelize.ColumnNumberToName(len(header))
		if err := f.SetCellStyle(s.Name, "A1", last+"1", bold); err != nil {
			return err
		}
		if err := f.SetPanes(s.Name, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
			return err
		}
	}
	for i, row := range s.Rows {
		if err := f.SetSheetRow(s.Name, "A"+strconv.Itoa(i+2), &row); err != nil {
			return err
		}
	}
	if s.Print {
		if err := s.printLayout(f); err != nil {
			return err
		}
	}
	if first && s.Title != "" {
		if err := f.SetDocProps(&excelize.DocProperties{Title: s.Title}); err != nil {
			return err
		}
	}
	return nil
}

// printLayout makes s print landscape, one page wide, with its header row
// on every page.
func (s Sheet) printLayout(f *excelize.File) error {
	landscape, fit, wide, tall := "landscape", true, 1, 0
	if err := f.SetSheetProps(s.Name, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return err
	}
	if err := f.SetPageLayout(s.Name, &excelize.PageLayoutOptions{Orientation: &landscape, FitToWidth: &wide, FitToHeight: &tall}); err != nil {
		return err
	}
	return f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: "'" + s.Name + "'!$1:$1", Scope: s.Name})
}
