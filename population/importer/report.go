package importer

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/gridcast/gridcast/population"
)

// RowError is one problem with one row of the sheet. Msg holds ID numbers
// and phone numbers only masked, so a report can be shown and stored freely.
type RowError struct {
	Row    int    `json:"row"`    // 1-based sheet row number; the header is usually row 1
	Column string `json:"column"` // the column's header as written in the sheet; "" for the row as a whole
	Field  Field  `json:"field"`  // the field the column maps to
	Msg    string `json:"msg"`
}

// Error renders e as "row N, column H: msg".
func (e RowError) Error() string {
	if e.Column == "" {
		return fmt.Sprintf("row %d: %s", e.Row, e.Msg)
	}
	return fmt.Sprintf("row %d, column %s: %s", e.Row, e.Column, e.Msg)
}

// Report is what an import did. Rows counts the non-blank data rows read;
// Skipped the rows not imported because of errors; Errors lists every
// problem (a row can have several) in sheet order.
type Report struct {
	Rows     int                    `json:"rows"`
	Imported population.UpsertStats `json:"imported"`
	Skipped  int                    `json:"skipped"`
	Errors   []RowError             `json:"errors"`
}

// MarshalJSON writes the report with snake_case counts:
// {"rows":3,"imported":{"inserted":2,"updated":0,"unchanged":0},"skipped":1,"errors":[…]}.
// Errors is [] rather than null when there are none; imported.erased
// appears when rows for residents erased on request were refused.
func (r Report) MarshalJSON() ([]byte, error) {
	type stats struct {
		Inserted  int `json:"inserted"`
		Updated   int `json:"updated"`
		Unchanged int `json:"unchanged"`
		Erased    int `json:"erased,omitempty"`
	}
	errs := r.Errors
	if errs == nil {
		errs = []RowError{}
	}
	return json.Marshal(struct {
		Rows     int        `json:"rows"`
		Imported stats      `json:"imported"`
		Skipped  int        `json:"skipped"`
		Errors   []RowError `json:"errors"`
	}{r.Rows, stats(r.Imported), r.Skipped, errs})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (r *Report) UnmarshalJSON(b []byte) error {
	var v struct {
		Rows     int `json:"rows"`
		Imported struct {
			Inserted  int `json:"inserted"`
			Updated   int `json:"updated"`
			Unchanged int `json:"unchanged"`
			Erased    int `json:"erased"`
		} `json:"imported"`
		Skipped int        `json:"skipped"`
		Errors  []RowError `json:"errors"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*r = Report{Rows: v.Rows, Imported: population.UpsertStats(v.Imported), Skipped: v.Skipped, Errors: v.Errors}
	return nil
}

// WriteTable writes the report for a person: the counts, then one line per
// row error (at most maxErrors of them, 0 for all) with a note of how many
// were left out.
func (r Report) WriteTable(w io.Writer, maxErrors int) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "rows read\t%d\n", r.Rows)
	fmt.Fprintf(tw, "inserted\t%d\n", r.Imported.Inserted)
	fmt.Fprintf(tw, "updated\t%d\n", r.Imported.Updated)
	fmt.Fprintf(tw, "unchanged\t%d\n", r.Imported.Unchanged)
	if r.Imported.Erased > 0 {
		// The source still holds people erased on request; they stay erased.
		fmt.Fprintf(tw, "erased on request (not re-added)\t%d\n", r.Imported.Erased)
	}
	fmt.Fprintf(tw, "skipped (errors)\t%d\n", r.Skipped)
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(r.Errors) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ROW\tCOLUMN\tPROBLEM")
	shown := r.Errors
	if maxErrors > 0 && len(shown) > maxErrors {
		shown = shown[:maxErrors]
	}
	for _, e := range shown {
		col := e.Column
		if col == "" {
			col = "-"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\n", e.Row, col, e.Msg)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if n := len(r.Errors) - len(shown); n > 0 {
		_, err := fmt.Fprintf(w, "… and %d more (use --json for all)\n", n)
		return err
	}
	return nil
}
