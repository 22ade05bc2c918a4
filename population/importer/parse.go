package importer

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
)

// Row is one source row's raw text by field. Importer and extsync fill one
// Row per record (reusing it with clear) and hand it to Parser.Parse.
type Row map[Field]string

// FieldError is one problem with one field of a row. Msg never holds a clear
// ID number or phone number, only their masked forms.
type FieldError struct {
	Field Field  // the field at fault; "" for a problem with the row as a whole
	Msg   string // what is wrong, in words an officer can act on
}

// Error renders e as "field: msg".
func (e FieldError) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return string(e.Field) + ": " + e.Msg
}

// Parser turns a Row into a population.Resident and checks it. The zero value
// checks everything but grid codes and future birth dates. A Parser is safe
// for concurrent use once set up (its fields are only read).
type Parser struct {
	// Grids maps every known grid code to its level; a resident's grid must
	// be a known LevelGrid grid. Nil skips the grid check.
	Grids map[string]population.Level
	// ExtraCategories are the category identifiers a row may carry beyond
	// the built-in ones (population.KnownCategories), for a city that keeps
	// categories of its own. Nil accepts the built-in ones only: anything
	// else — a typo, a category of another system — is refused by row.
	ExtraCategories []population.Category
	// Now is the clock for the "birth date in the future" check; nil skips it.
	Now func() time.Time

	grids *gridIndex // the nearest known codes to an unknown one; nil: built per refusal
}

// NewParser returns a Parser that checks grid codes against grids.
func NewParser(grids []population.Grid, now func() time.Time) *Parser {
	m := make(map[string]population.Level, len(grids))
	for _, g := range grids {
		m[g.Code] = g.Level
	}
	return &Parser{Grids: m, Now: now, grids: newGridIndex(m)}
}

// Parse converts row into a resident. Gender and birth date missing from
// the row are taken from the ID number; given, they must agree with it. A
// value longer than its field's limit (Field.MaxLen; for skills and desired
// jobs also MaxListItems and MaxListItemLen) is refused without being
// repeated and is not checked further. It returns every problem found; the
// resident is usable only when there are none.
func (p *Parser) Parse(row Row) (population.Resident, []FieldError) {
	var errs []FieldError
	var long map[Field]bool // the fields refused as too long: read as empty, not reported again
	for _, f := range Fields {
		s := strings.TrimSpace(row[f])
		if limit := f.MaxLen(); len(s) > limit { // a byte count at or under the limit is a rune count too
			if n := utf8.RuneCountInString(s); n > limit {
				errs = append(errs, FieldError{Field: f, Msg: fmt.Sprintf("too long: %d characters, at most %d", n, limit)})
				if long == nil {
					long = make(map[Field]bool)
				}
				long[f] = true
			}
		}
	}
	bad := func(f Field, format string, args ...any) {
		if !long[f] {
			errs = append(errs, FieldError{Field: f, Msg: fmt.Sprintf(format, args...)})
		}
	}
	get := func(f Field) string {
		if long[f] {
			return ""
		}
		return strings.TrimSpace(row[f])
	}

	var r population.Resident
	r.Name = pii.Name(get(FieldName))
	if r.Name == "" {
		bad(FieldName, "required")
	}

	idOK := false
	raw := strings.ReplaceAll(get(FieldIDNumber), " ", "")
	r.IDNumber = pii.NormalizeIDNumber(raw)
	switch {
	case raw == "":
		bad(FieldIDNumber, "required")
	case looksLikeExcelNumber(raw):
		bad(FieldIDNumber, "%s looks like a number Excel rounded; format the column as text and enter the ID number again", r.IDNumber.Masked())
	default:
		if err := r.IDNumber.Validate(); err != nil {
			bad(FieldIDNumber, "%s: %v", r.IDNumber.Masked(), err)
		} else {
			idOK = true
		}
	}

	if s := get(FieldBirthDate); s != "" {
		d, err := ParseDate(s)
		switch {
		case err != nil:
			bad(FieldBirthDate, "%v", err)
		case idOK && !sameDay(d, mustBirth(r.IDNumber)):
			bad(FieldBirthDate, "%s disagrees with the birth date in ID number %s", d.Format(time.DateOnly), r.IDNumber.Masked())
		default:
			r.BirthDate = d
		}
	} else if idOK {
		r.BirthDate = mustBirth(r.IDNumber)
	}
	if idOK && p.Now != nil && r.BirthDate.After(p.Now()) {
		bad(FieldBirthDate, "%s is in the future", r.BirthDate.Format(time.DateOnly))
	}

	if s := get(FieldGender); s != "" {
		g, err := population.ParseGender(s)
		switch {
		case err != nil:
			bad(FieldGender, "%s: want 男/女 or M/F", shown(s))
		case idOK && (g == population.Female) != r.IDNumber.Female():
			bad(FieldGender, "%s disagrees with the gender in ID number %s", s, r.IDNumber.Masked())
		default:
			r.Gender = g
		}
	} else if idOK {
		r.Gender = population.Male
		if r.IDNumber.Female() {
			r.Gender = population.Female
		}
	}

	if s := get(FieldPhone); s != "" {
		r.Phone = pii.NormalizePhone(s)
		if err := r.Phone.Validate(); err != nil {
			bad(FieldPhone, "%v", err)
		}
	}

	r.GridCode = get(FieldGrid)
	if r.GridCode == "" {
		bad(FieldGrid, "required")
	} else if p.Grids != nil {
		lvl, ok := p.Grids[r.GridCode]
		switch {
		case !ok:
			bad(FieldGrid, "unknown grid code %s; %s", shown(r.GridCode), p.gridHint(r.GridCode))
		case lvl != population.LevelGrid:
			bad(FieldGrid, "%s is a %s, not a grid; residents live in a grid%s", shown(r.GridCode), lvl, p.gridsUnder(r.GridCode))
		}
	}

	r.Address = population.Address{
		Community: get(FieldCommunity),
		Building:  trimSuffixes(get(FieldBuilding), "号楼", "栋", "幢"),
		Unit:      trimSuffixes(get(FieldUnit), "单元"),
		Room:      trimSuffixes(get(FieldRoom), "室"),
	}

	for _, s := range SplitList(get(FieldCategories)) {
		c, ok := category(s, p.ExtraCategories)
		if !ok {
			bad(FieldCategories, "unknown category %s; accepted: %s", shown(s), acceptedCategories(p.ExtraCategories))
			continue
		}
		if !slices.Contains(r.Categories, c) {
			r.Categories = append(r.Categories, c)
		}
	}
	r.Skills = list(FieldSkills, "skill", get(FieldSkills), bad)
	r.DesiredJobs = list(FieldDesiredJobs, "desired job", get(FieldDesiredJobs), bad)
	r.TrainingCourse = get(FieldTrainingCourse)
	r.TrainingCohort = get(FieldTrainingCohort)

	if s := get(FieldPreferredChannel); s != "" {
		c, err := population.ParseChannel(strings.ToLower(s))
		if err != nil {
			bad(FieldPreferredChannel, "%s: want 微信/短信 or wechat/sms", shown(s))
		}
		r.PreferredChannel = c
	}
	r.OpenID = pii.OpenID(get(FieldOpenID))

	if len(errs) == 0 {
		// A backstop for rules the domain adds later; every rule it has today
		// is checked above with a better message.
		if err := r.Validate(); err != nil {
			errs = append(errs, FieldError{Msg: err.Error()})
		}
	}
	return r, errs
}

// list splits a skills or desired-jobs cell into its distinct values and
// checks their number and each one's length (MaxListItems, MaxListItemLen).
func list(f Field, what, cell string, bad func(Field, string, ...any)) []string {
	items := dedupe(SplitList(cell))
	if len(items) > MaxListItems {
		bad(f, "%d %ss; at most %d in one cell", len(items), what, MaxListItems)
		return nil
	}
	for i, it := range items {
		if n := utf8.RuneCountInString(it); n > MaxListItemLen {
			bad(f, "%s %d: %d characters, at most %d", what, i+1, n, MaxListItemLen)
		}
	}
	return items
}

// gridHint says what an unknown grid code might have meant: the nearest
// known grid codes.
func (p *Parser) gridHint(code string) string {
	ix := p.grids
	if ix == nil {
		ix = newGridIndex(p.Grids)
	}
	near := ix.nearest(code)
	if len(near) == 0 {
		return "the store holds no grids yet"
	}
	return "nearest known: " + strings.Join(near, ", ")
}

// gridsUnder names the grids below code, a district, street or community.
func (p *Parser) gridsUnder(code string) string {
	ix := p.grids
	if ix == nil {
		ix = newGridIndex(p.Grids)
	}
	const show = 5
	codes, total := ix.under(code, show)
	switch {
	case total == 0:
		return ""
	case total <= show:
		return "; its grids: " + strings.Join(codes, ", ")
	}
	return fmt.Sprintf("; its grids include %s (%d in all)", strings.Join(codes, ", "), total)
}

func mustBirth(id pii.IDNumber) time.Time {
	t, _ := id.BirthDate()
	return t
}

func sameDay(a, b time.Time) bool {
	return a.Year() == b.Year() && a.Month() == b.Month() && a.Day() == b.Day()
}

// looksLikeExcelNumber spots an ID number that went through a numeric cell:
// 3.20102198503121E+17 or 320102198503121000.0.
func looksLikeExcelNumber(s string) bool {
	return strings.ContainsAny(s, "eE.") && !strings.ContainsAny(s, "xX")
}

func trimSuffixes(s string, suffixes ...string) string {
	for _, x := range suffixes {
		if t := strings.TrimSuffix(s, x); t != s && t != "" {
			return strings.TrimSpace(t)
		}
	}
	return s
}

func dedupe(s []string) []string {
	var out []string
	for _, x := range s {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// SplitList splits a multi-value cell on 、,，;；/ and line breaks, trims
// each part and drops empty ones. A PostgreSQL array literal ({a,b}) is
// unwrapped first so that text[] columns of an external database work.
func SplitList(s string) []string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '{' && s[len(s)-1] == '}' {
		s = strings.ReplaceAll(s[1:len(s)-1], `"`, "")
	}
	if s == "" {
		return nil
	}
	parts := strings.FieldsFunc(s, func(r rune) bool {
		switch r {
		case '、', ',', '，', ';', '；', '/', '\n', '\r':
			return true
		}
		return false
	})
	out := parts[:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

var dateLayouts = []string{
	"2006-01-02", "2006/01/02", "2006.01.02", "2006-1-2", "2006/1/2", "2006.1.2",
	"2006年1月2日", "2006年01月02日", "20060102",
	time.RFC3339Nano, "2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006/1/2 15:04:05", "2006/1/2 15:04",
}

// excelEpoch is day 0 of Excel's 1900 date system as Excel counts it (with
// its phantom 1900-02-29, serials from 61 on are right from this epoch).
var excelEpoch = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

// ParseDate reads a date as sheets and databases write it: 1985-03-12,
// 1985/3/12, 1985.3.12, 1985年3月12日, 19850312, an RFC 3339 or
// "2006-01-02 15:04:05" timestamp (date part kept), or an Excel serial day
// number (31118) as a date cell holds it. The result is midnight UTC.
func ParseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, errors.New("date is empty")
	}
	if n, err := strconv.ParseFloat(s, 64); err == nil && len(s) != 8 && n >= 61 && n < 2958466 {
		d := excelEpoch.AddDate(0, 0, int(n))
		return d, nil
	}
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), nil
		}
	}
	return time.Time{}, fmt.Errorf("date %s: want YYYY-MM-DD (also 1985/3/12, 1985年3月12日, 19850312)", shown(s))
}
