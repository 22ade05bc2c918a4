package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
)

// Store is what an import needs from the population store. UpsertResidents
// must write all of the residents given in one transaction or none of them,
// matching existing residents by ID number, count a resident whose
// fields are all unchanged as Unchanged, and write nothing for a resident
// erased on request but count them as Erased (an erased person stays
// erased when the source sends them again). store.Store satisfies it.
type Store interface {
	Grids(ctx context.Context) ([]population.Grid, error)
	UpsertResidents(ctx context.Context, rs []population.Resident) (population.UpsertStats, error)
}

// ErrRowErrors is returned in strict mode when any row has an error: the
// Report returned with it lists them, as a run that is not strict would,
// and nothing was written.
var ErrRowErrors = errors.New("importer: rows have errors; nothing imported (strict mode)")

// Options shape one import. The zero value imports a CSV with the default
// headers, skipping bad rows.
type Options struct {
	// Format is "csv" or "xlsx". Empty means: by the file extension in
	// ImportFile, CSV in Import.
	Format string
	// Sheet names the XLSX worksheet to read; empty means the first one.
	Sheet string
	// Encoding of a CSV file: "utf-8", "gbk"/"gb18030" or "utf-16". Empty
	// (the default) detects it: a BOM decides, else valid UTF-8 is UTF-8 and
	// anything else is read as GB18030, which Chinese Excel writes as "CSV".
	Encoding string
	// Comma is the CSV delimiter; 0 (the default) picks ',' unless the
	// header line has more tabs or semicolons.
	Comma rune
	// Mapping maps fields to headers (field → header, as LoadMapping
	// returns) and overrides DefaultHeaders; a field mapped to "" is not
	// imported. Nil uses the defaults only.
	Mapping map[string]string
	// ExtraCategories are category identifiers accepted beyond the built-in
	// ones (see Parser.ExtraCategories); nil accepts the built-in ones only.
	ExtraCategories []population.Category
	// Strict aborts the import, writing nothing, when any row has an error;
	// the Report still lists every row error. The default (false) reports
	// bad rows, skips them and imports the rest.
	Strict bool
	// Progress, if set, is called from the importing goroutine as rows are
	// read: rowsDone data rows of rowsTotal, which is an estimate from the
	// file's size or the sheet's dimension, or -1 when unknown. The last
	// call has rowsDone == rowsTotal.
	Progress func(rowsDone, rowsTotal int)
	// Now is the clock for date checks; nil means time.Now.
	Now func() time.Time
}

// progressEvery is how many rows pass between Progress calls.
const progressEvery = 512

// ImportFile imports the residents in the CSV or XLSX file at path; see
// Import. The format comes from the extension unless opt.Format is set.
func ImportFile(ctx context.Context, store Store, path string, opt Options) (Report, error) {
	if opt.Format == "" {
		f, err := formatOf(path)
		if err != nil {
			return Report{}, err
		}
		opt.Format = f
	}
	switch opt.Format {
	case "xlsx":
		f, err := excelize.OpenFile(path, excelize.Options{RawCellValue: true})
		if err != nil {
			return Report{}, fmt.Errorf("importer: open %s: %w", path, err)
		}
		s, err := newXLSXSheet(f, opt.Sheet)
		if err != nil {
			_ = f.Close()
			return Report{}, err
		}
		return run(ctx, store, s, opt)
	case "csv":
		total := -1
		if f, err := os.Open(path); err == nil {
			if n, err := countLines(f); err == nil {
				total = n
			}
			_ = f.Close()
		}
		f, err := os.Open(path)
		if err != nil {
			return Report{}, fmt.Errorf("importer: %w", err)
		}
		defer f.Close()
		s, err := newCSVSheet(f, opt.Encoding, opt.Comma, total)
		if err != nil {
			return Report{}, err
		}
		return run(ctx, store, s, opt)
	}
	return Report{}, fmt.Errorf("importer: format %q: want csv or xlsx", opt.Format)
}

// Import reads residents from r (CSV unless opt.Format is "xlsx"), checks
// every row and upserts the good ones by ID number in a single
// UpsertResidents call, so that the import is one transaction: a fatal
// error (unreadable input, a missing required column, a store failure)
// writes nothing, and so does any row error when opt.Strict is set.
// Otherwise rows with errors are listed in the Report and skipped.
// Importing the same file twice changes nothing the second time (all rows
// Unchanged).
//
// The rows are read in one streaming pass (ImportFile streams an XLSX
// sheet from disk; Import must read an XLSX stream whole first, since a zip
// needs random access). The good residents are kept in memory until the
// single upsert; see the package doc for what that costs.
func Import(ctx context.Context, store Store, r io.Reader, opt Options) (Report, error) {
	switch opt.Format {
	case "xlsx":
		f, err := excelize.OpenReader(r, excelize.Options{RawCellValue: true})
		if err != nil {
			return Report{}, fmt.Errorf("importer: open xlsx: %w", err)
		}
		s, err := newXLSXSheet(f, opt.Sheet)
		if err != nil {
			_ = f.Close()
			return Report{}, err
		}
		return run(ctx, store, s, opt)
	case "", "csv":
		s, err := newCSVSheet(r, opt.Encoding, opt.Comma, -1)
		if err != nil {
			return Report{}, err
		}
		return run(ctx, store, s, opt)
	}
	return Report{}, fmt.Errorf("importer: format %q: want csv or xlsx", opt.Format)
}

// headerScan is how many leading rows may hold a title above the header row.
const headerScan = 10

func run(ctx context.Context, store Store, s sheet, opt Options) (rep Report, err error) {
	defer func() {
		if cerr := s.close(); cerr != nil && err == nil {
			err = fmt.Errorf("importer: close: %w", cerr)
		}
	}()
	if err := ValidateMapping(opt.Mapping); err != nil {
		return rep, err
	}
	for _, c := range opt.ExtraCategories {
		if _, err := population.ParseCategory(string(c)); err != nil {
			return rep, fmt.Errorf("importer: extra category %q: want a lower-case identifier such as retired_cadre", c)
		}
	}
	now := opt.Now
	if now == nil {
		now = time.Now
	}

	headerRow, headers, cols, err := findHeader(s, opt.Mapping)
	if err != nil {
		return rep, err
	}
	grids, err := store.Grids(ctx)
	if err != nil {
		return rep, fmt.Errorf("importer: load grids: %w", err)
	}
	p := NewParser(grids, now)
	p.ExtraCategories = opt.ExtraCategories

	total := -1
	if last := s.lastRow(); last > headerRow {
		total = last - headerRow
	}
	progress := func(done int, final bool) {
		if opt.Progress == nil {
			return
		}
		t := total
		if final || (t >= 0 && done > t) {
			t = done
		}
		opt.Progress(done, t)
	}

	var (
		good []population.Resident
		seen = make(map[pii.IDNumber]int) // ID number → first row it appeared on
		row  = make(Row, len(Fields))
		done int
	)
	for {
		n, cells, err := s.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return rep, err
		}
		done = n - headerRow
		if done%progressEvery == 0 {
			if err := ctx.Err(); err != nil {
				return rep, fmt.Errorf("importer: %w", err)
			}
			progress(done, false)
		}
		if blank(cells) {
			continue
		}
		rep.Rows++
		clear(row)
		for i, c := range cells {
			if i < len(cols) && cols[i] != "" {
				row[cols[i]] = c
			}
		}
		res, ferrs := p.Parse(row)
		for _, fe := range ferrs {
			rep.Errors = append(rep.Errors, RowError{Row: n, Column: columnOf(fe.Field, cols, headers), Field: fe.Field, Msg: fe.Msg})
		}
		ok := len(ferrs) == 0
		if res.IDNumber.Validate() == nil {
			if first, dup := seen[res.IDNumber]; dup {
				rep.Errors = append(rep.Errors, RowError{Row: n, Column: columnOf(FieldIDNumber, cols, headers), Field: FieldIDNumber,
					Msg: fmt.Sprintf("ID number %s already appears on row %d", res.IDNumber.Masked(), first)})
				ok = false
			} else {
				seen[res.IDNumber] = n
			}
		}
		if ok {
			good = append(good, res)
		} else {
			rep.Skipped++
		}
	}
	progress(done, true)

	if opt.Strict && len(rep.Errors) > 0 {
		return rep, ErrRowErrors
	}
	if len(good) > 0 {
		st, err := store.UpsertResidents(ctx, good)
		if err != nil {
			return rep, fmt.Errorf("importer: upsert %d residents (nothing imported): %w", len(good), err)
		}
		rep.Imported = st
	}
	return rep, nil
}

// findHeader takes the first row, among the first few non-blank ones, that
// has a column for every required field (so a title row above the header
// is tolerated). If none has, the error is about the first non-blank row.
func findHeader(s sheet, mapping map[string]string) (row int, headers []string, cols []Field, err error) {
	var firstErr error
	for scanned := 0; scanned < headerScan; {
		n, cells, err := s.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, nil, nil, err
		}
		if blank(cells) {
			continue
		}
		scanned++
		h := make([]string, len(cells)) // a copy: the CSV reader reuses its slice
		for i, c := range cells {
			h[i] = strings.TrimSpace(strings.TrimPrefix(c, "\ufeff"))
		}
		c, err := MatchColumns(h, mapping)
		if err == nil {
			return n, h, c, nil
		}
		if firstErr == nil {
			firstErr = err
		}
		var mc *MissingColumnsError
		if !errors.As(err, &mc) {
			return 0, nil, nil, err
		}
	}
	if firstErr == nil {
		return 0, nil, nil, errors.New("importer: the sheet is empty; want a header row and one row per resident")
	}
	return 0, nil, nil, firstErr
}

// columnOf is the header, as written in the sheet, of f's column.
func columnOf(f Field, cols []Field, headers []string) string {
	if f == "" {
		return ""
	}
	for i, c := range cols {
		if c == f && i < len(headers) {
			return headers[i]
		}
	}
	return string(f)
}
