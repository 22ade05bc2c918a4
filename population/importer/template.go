package importer

import (
	"encoding/csv"
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"
)

// TemplateHeaders are the headers Template writes, one per field in Fields
// order: the first Chinese default header, with a * on required fields.
func TemplateHeaders() []string {
	hs := make([]string, len(Fields))
	for i, f := range Fields {
		aliases := DefaultHeaders[f]
		h := aliases[len(aliases)-1]
		for _, a := range aliases {
			if a[0] >= 0x80 {
				h = a
				break
			}
		}
		if f.Required() {
			h += "*"
		}
		hs[i] = h
	}
	return hs
}

// Template writes an empty sheet with the default Chinese headers for
// officers to fill in. format is "xlsx" (ID number and phone columns
// formatted as text so that Excel does not round them, drop-downs for
// gender and preferred channel) or "csv" (UTF-8 with a BOM so that Excel
// opens it correctly).
func Template(w io.Writer, format string) error {
	hs := TemplateHeaders()
	switch format {
	case "csv":
		if _, err := io.WriteString(w, "\ufeff"); err != nil {
			return fmt.Errorf("importer: template: %w", err)
		}
		cw := csv.NewWriter(w)
		if err := cw.Write(hs); err != nil {
			return fmt.Errorf("importer: template: %w", err)
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return fmt.Errorf("importer: template: %w", err)
		}
		return nil
	case "xlsx":
		if err := writeXLSXTemplate(w, hs); err != nil {
			return fmt.Errorf("importer: template: %w", err)
		}
		return nil
	}
	return fmt.Errorf("importer: template format %q: want csv or xlsx", format)
}

func writeXLSXTemplate(w io.Writer, hs []string) error {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "居民信息"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
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
	for i, h := range hs {
		col, err := excelize.ColumnNumberToName(i + 1)
		if err != nil {
			return err
		}
		if err := f.SetCellStr(sheet, col+"1", h); err != nil {
			return err
		}
		width := 12.0
		switch Fields[i] {
		case FieldIDNumber:
			width = 22
		case FieldPhone, FieldBirthDate, FieldGrid, FieldCategories, FieldSkills, FieldDesiredJobs:
			width = 16
		}
		if err := f.SetColWidth(sheet, col, col, width); err != nil {
			return err
		}
		switch Fields[i] {
		case FieldIDNumber, FieldPhone, FieldBirthDate:
			if err := f.SetColStyle(sheet, col, text); err != nil {
				return err
			}
		case FieldGender:
			if err := addList(f, sheet, col, []string{"男", "女"}); err != nil {
				return err
			}
		case FieldPreferredChannel:
			if err := addList(f, sheet, col, []string{"微信", "短信"}); err != nil {
				return err
			}
		}
	}
	last, _ := excelize.ColumnNumberToName(len(hs))
	if err := f.SetCellStyle(sheet, "A1", last+"1", bold); err != nil {
		return err
	}
	if err := f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	_, err = f.WriteTo(w)
	return err
}

func addList(f *excelize.File, sheet, col string, values []string) error {
	dv := excelize.NewDataValidation(true)
	dv.Sqref = col + "2:" + col + "100000"
	if err := dv.SetDropList(values); err != nil {
		return err
	}
	return f.AddDataValidation(sheet, dv)
}
