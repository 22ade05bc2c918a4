package importer

import (
	"encoding/csv"
	"fmt"
	"io"

	xlsx "github.com/gridcast/gridcast/sheet"
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
	cols := make([]xlsx.Column, len(hs))
	for i, h := range hs {
		c := xlsx.Column{Header: h}
		switch Fields[i] {
		case FieldIDNumber:
			c.Width, c.Text = 22, true
		case FieldPhone, FieldBirthDate:
			c.Width, c.Text = 16, true
		case FieldGrid, FieldCategories, FieldSkills, FieldDesiredJobs:
			c.Width = 16
		case FieldGender:
			c.Choices = []string{"男", "女"}
		case FieldPreferredChannel:
			c.Choices = []string{"微信", "短信"}
		}
		cols[i] = c
	}
	return xlsx.Sheet{Name: "居民信息", Columns: cols}.WriteXLSX(w)
}
