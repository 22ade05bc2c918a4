package importer

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// sheet is a stream of rows, CSV or XLSX alike.
type sheet interface {
	// next returns the next row and its 1-based row number; io.EOF at the end.
	next() (row int, cells []string, err error)
	// lastRow is the sheet's last row number if known up front, else -1.
	lastRow() int
	close() error
}

// csvSheet reads CSV in UTF-8 (with or without BOM), UTF-16 with BOM, or
// GB18030 (a superset of GBK and GB2312).
type csvSheet struct {
	r       *csv.Reader
	row     int // sheet row number of the last record
	endLine int // file line the last record ended on
	total   int
}

// sniffSize is how much of a CSV file is inspected to guess its encoding
// and delimiter.
const sniffSize = 64 << 10

func newCSVSheet(r io.Reader, encoding string, comma rune, total int) (*csvSheet, error) {
	br := bufio.NewReaderSize(r, sniffSize)
	head, err := br.Peek(sniffSize)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("importer: read csv: %w", err)
	}
	var src io.Reader = br
	switch enc := strings.ToLower(strings.ReplaceAll(encoding, "-", "")); enc {
	case "":
		switch {
		case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
			_, _ = br.Discard(3)
		case bytes.HasPrefix(head, []byte{0xFF, 0xFE}), bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
			src = transform.NewReader(br, unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder())
		case !validUTF8Prefix(head, len(head) == sniffSize):
			src = transform.NewReader(br, simplifiedchinese.GB18030.NewDecoder())
		}
	case "utf8":
		if bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}) {
			_, _ = br.Discard(3)
		}
	case "gbk", "gb2312", "gb18030":
		src = transform.NewReader(br, simplifiedchinese.GB18030.NewDecoder())
	case "utf16":
		src = transform.NewReader(br, unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewDecoder())
	default:
		return nil, fmt.Errorf("importer: encoding %q: want utf-8, gbk, gb18030 or utf-16", encoding)
	}
	dbr := bufio.NewReaderSize(src, sniffSize)
	if comma == 0 {
		comma = sniffComma(dbr)
	}
	cr := csv.NewReader(dbr)
	cr.Comma = comma
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	return &csvSheet{r: cr, total: total}, nil
}

// validUTF8Prefix reports whether b is valid UTF-8, allowing a rune cut off
// at the end when b is only the head of the file.
func validUTF8Prefix(b []byte, truncated bool) bool {
	if truncated {
		if i := lastRuneStart(b); i >= 0 && !utf8.FullRune(b[i:]) {
			b = b[:i]
		}
	}
	return utf8.Valid(b)
}

func lastRuneStart(b []byte) int {
	i := len(b) - 1
	for i > 0 && len(b)-i < utf8.UTFMax && !utf8.RuneStart(b[i]) {
		i--
	}
	return i
}

// sniffComma picks a tab or semicolon over the comma when the first line
// has more of them (Excel's "Unicode text" is tab-separated; some locales
// use semicolons).
func sniffComma(br *bufio.Reader) rune {
	head, _ := br.Peek(sniffSize)
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		head = head[:i]
	}
	best, n := ',', bytes.Count(head, []byte{','})
	for _, c := range []rune{'\t', ';'} {
		if m := bytes.Count(head, []byte{byte(c)}); m > n {
			best, n = c, m
		}
	}
	return best
}

func (s *csvSheet) next() (int, []string, error) {
	rec, err := s.r.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return 0, nil, io.EOF
		}
		return 0, nil, fmt.Errorf("importer: read csv: %w", err)
	}
	// Count rows as a spreadsheet shows the file: blank lines (which the
	// csv reader skips) are rows, a quoted cell's line breaks are not.
	line, _ := s.r.FieldPos(0)
	s.row += max(1, line-s.endLine)
	last, _ := s.r.FieldPos(len(rec) - 1)
	s.endLine = last + strings.Count(rec[len(rec)-1], "\n")
	return s.row, rec, nil
}

func (s *csvSheet) lastRow() int { return s.total }
func (s *csvSheet) close() error { return nil }

// countLines estimates a CSV file's rows for progress reporting: a quoted
// cell with a line break makes it an overestimate.
func countLines(r io.Reader) (int, error) {
	buf := make([]byte, 256<<10)
	n, last := 0, byte('\n')
	for {
		m, err := r.Read(buf)
		if m > 0 {
			n += bytes.Count(buf[:m], []byte{'\n'})
			last = buf[m-1]
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, err
		}
	}
	if last != '\n' {
		n++
	}
	return n, nil
}

// xlsxSheet streams one worksheet with excelize's row iterator, so that a
// large sheet is never held in memory; cell values are read raw (a date
// cell gives its serial number, which ParseDate understands; numbers are not
// reformatted).
type xlsxSheet struct {
	f     *excelize.File
	rows  *excelize.Rows
	row   int
	total int
}

func newXLSXSheet(f *excelize.File, name string) (*xlsxSheet, error) {
	sheets := f.GetSheetList()
	if name == "" {
		if len(sheets) == 0 {
			return nil, errors.New("importer: xlsx: the workbook has no sheets")
		}
		name = sheets[0]
	}
	rows, err := f.Rows(name)
	if err != nil {
		var nf excelize.ErrSheetNotExist
		if errors.As(err, &nf) {
			return nil, fmt.Errorf("importer: xlsx: no sheet %q; sheets: %s", name, strings.Join(sheets, ", "))
		}
		return nil, fmt.Errorf("importer: xlsx: sheet %q: %w", name, err)
	}
	s := &xlsxSheet{f: f, rows: rows, total: -1}
	if dim, err := f.GetSheetDimension(name); err == nil {
		if i := strings.LastIndexByte(dim, ':'); i >= 0 {
			_, last, err := excelize.CellNameToCoordinates(dim[i+1:])
			if err == nil {
				s.total = last
			}
		}
	}
	return s, nil
}

func (s *xlsxSheet) next() (int, []string, error) {
	if !s.rows.Next() {
		if err := s.rows.Error(); err != nil {
			return 0, nil, fmt.Errorf("importer: read xlsx: %w", err)
		}
		return 0, nil, io.EOF
	}
	s.row++
	cells, err := s.rows.Columns(excelize.Options{RawCellValue: true})
	if err != nil {
		return 0, nil, fmt.Errorf("importer: read xlsx row %d: %w", s.row, err)
	}
	return s.row, cells, nil
}

func (s *xlsxSheet) lastRow() int { return s.total }

func (s *xlsxSheet) close() error {
	return errors.Join(s.rows.Close(), s.f.Close())
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// formatOf picks the format from a file name's extension.
func formatOf(path string) (string, error) {
	lower := strings.ToLower(path)
	switch {
	case strings.HasSuffix(lower, ".csv"), strings.HasSuffix(lower, ".txt"), strings.HasSuffix(lower, ".tsv"):
		return "csv", nil
	case strings.HasSuffix(lower, ".xlsx"), strings.HasSuffix(lower, ".xlsm"):
		return "xlsx", nil
	case strings.HasSuffix(lower, ".xls"):
		return "", fmt.Errorf("importer: %s: the old .xls format is not supported; save it as .xlsx or CSV", path)
	}
	return "", fmt.Errorf("importer: %s: cannot tell the format from the extension; want .csv or .xlsx (or set the format)", path)
}
