package population

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/pii"
)

// ChangeField is a field of a resident's living record that workers and
// staff change from the field.
type ChangeField string

// The fields a change may set.
const (
	FieldStatus   ChangeField = "status"   // Status: moved in (active), moved out, deceased
	FieldPhone    ChangeField = "phone"    // pii.Phone; "" when they no longer have one
	FieldLiving   ChangeField = "living"   // Living
	FieldSelfCare ChangeField = "selfcare" // SelfCare
	FieldHealth   ChangeField = "health"   // HealthNote
	FieldRelation ChangeField = "relation" // Relation to the head of the household
)

// ChangeFields lists the fields in the order a change applies and shows
// them.
var ChangeFields = []ChangeField{FieldStatus, FieldPhone, FieldLiving, FieldSelfCare, FieldHealth, FieldRelation}

// ParseChangeField accepts a field's identifier.
func ParseChangeField(s string) (ChangeField, error) {
	f := ChangeField(strings.ToLower(strings.TrimSpace(s)))
	if slices.Contains(ChangeFields, f) {
		return f, nil
	}
	return "", fmt.Errorf("field %q: want one of %s", s, joinFields())
}

// Personal reports whether f's values are personal data, shown masked
// (Change.Shown) and never logged: the phone and the health note.
func (f ChangeField) Personal() bool { return f == FieldPhone || f == FieldHealth }

// Label is f's Chinese name, for the change file's header and screens.
func (f ChangeField) Label() string {
	switch f {
	case FieldStatus:
		return "人员状态"
	case FieldPhone:
		return "联系电话"
	case FieldLiving:
		return "居住状况"
	case FieldSelfCare:
		return "自理能力"
	case FieldHealth:
		return "健康状况"
	case FieldRelation:
		return "与户主关系"
	}
	return string(f)
}

// Normalize checks v as a value of f and returns it in the form the store
// keeps: an identifier for the enumerations (a Chinese label is accepted),
// the normalized mobile number for a phone, the trimmed text of a health
// note. The error names the field and what it accepts.
func (f ChangeField) Normalize(v string) (string, error) {
	switch f {
	case FieldStatus:
		s, err := ParseStatus(v)
		return string(s), err
	case FieldPhone:
		if strings.TrimSpace(v) == "" {
			return "", nil
		}
		p := pii.NormalizePhone(v)
		if err := p.Validate(); err != nil {
			return "", fmt.Errorf("phone: %w", err)
		}
		return string(p), nil
	case FieldLiving:
		l, err := ParseLiving(v)
		return string(l), err
	case FieldSelfCare:
		c, err := ParseSelfCare(v)
		return string(c), err
	case FieldHealth:
		h, err := ParseHealthNote(v)
		return string(h), err
	case FieldRelation:
		r, err := ParseRelation(v)
		return string(r), err
	}
	return "", fmt.Errorf("field %q: want one of %s", f, joinFields())
}

// Show is v, a value of f, as a screen or a list shows it: a phone masked
// (138****5678), a health note as *** (personal data), an enumeration
// with its Chinese label (deceased 死亡), "" as "".
func (f ChangeField) Show(v string) string {
	switch {
	case v == "":
		return ""
	case f == FieldPhone:
		return pii.Phone(v).Masked()
	case f == FieldHealth:
		return HealthNote(v).Masked()
	}
	if l := f.label(v); l != v {
		return v + " " + l
	}
	return v
}

func (f ChangeField) label(v string) string {
	switch f {
	case FieldStatus:
		return Status(v).Label()
	case FieldLiving:
		return Living(v).Label()
	case FieldSelfCare:
		return SelfCare(v).Label()
	case FieldRelation:
		return Relation(v).Label()
	}
	return v
}

// ChangeSource is where a change came from.
type ChangeSource string

// The sources of a change.
const (
	SourceField  ChangeSource = "field"  // a worker or staff member, by the API or the CLI
	SourceImport ChangeSource = "import" // a spreadsheet import
	SourceSync   ChangeSource = "sync"   // the external database sync
)

// MaxChangeNote is the longest note a change may carry, in characters.
const MaxChangeNote = 500

// Change is one field of one resident's record changed: who, when, what,
// and the value before and after. The store keeps every change; Before and
// After are in clear there (the change file for the source population
// system needs them), and Shown masks the personal ones for every screen
// and list.
type Change struct {
	ID         int64
	ResidentID int64
	// GridCode is the resident's grid when the change was made: who may
	// read it (scope) and whose worker it counts for.
	GridCode string
	Field    ChangeField
	// Before and After are the field's values in the form the store keeps
	// (ChangeField.Normalize); Before is filled by the store.
	Before, After string
	// By is who recorded the change: the user, or the name given on the
	// command line.
	By string
	// WorkerID is the grid worker the change counts for in their
	// evaluation (考核): the worker whose code or name By is, else the
	// worker of the resident's grid; zero when neither. Set by the store.
	WorkerID int64
	At       time.Time // set by the store
	Source   ChangeSource
	Note     string // why, where from: "家属告知", "死亡证明 2024-031"
}

// Shown is c with personal values masked (ChangeField.Show without the
// labels), as lists and the audit log show it.
func (c Change) Shown() Change {
	if c.Field.Personal() {
		c.Before, c.After = c.Field.Show(c.Before), c.Field.Show(c.After)
	}
	return c
}

// Validate checks c on its way into the store: a known field with a value
// it accepts (in normalized form), who, a known source and a note of
// reasonable length. The error is a refusal (fault.ErrInvalid) in English
// and Chinese whose detail lists every problem.
func (c Change) Validate() error {
	var errs []error
	if n, err := c.Field.Normalize(c.After); err != nil {
		errs = append(errs, err)
	} else if n != c.After {
		errs = append(errs, fmt.Errorf("%s: value %q is not in normalized form", c.Field, c.Field.Show(c.After)))
	}
	errs = append(errs, checkChangeMeta(c.By, c.Source, c.Note)...)
	if c.ResidentID <= 0 {
		errs = append(errs, errors.New("resident: no id"))
	}
	if len(errs) == 0 {
		return nil
	}
	return ErrBadChange.Because(errors.Join(errs...), true)
}

// ErrBadChange refuses a change of a living record as written; the
// problems follow it (fault.Error.Because with detail).
var ErrBadChange = fault.Refuse(fault.ErrInvalid, "the change of the resident's record is not valid", "居民信息变更无效", nil)

// ErrNoChange refuses a change request that sets no field.
var ErrNoChange = fault.Refuse(fault.ErrInvalid,
	"nothing to change: give at least one of status, phone, living, selfcare, health, relation",
	"未填写变更内容：请至少填写人员状态、联系电话、居住状况、自理能力、健康状况或与户主关系之一", nil)

// NewChanges turns a request to set fields of resident residentID (field
// → new value, as typed: identifiers or Chinese labels) into changes in
// ChangeFields order, each value normalized. Nothing is returned unless
// every value is valid: the error is ErrBadChange with every problem, or
// ErrNoChange for an empty request. Before, WorkerID, GridCode and At are
// the store's to fill.
func NewChanges(residentID int64, set map[ChangeField]string, by string, src ChangeSource, note string) ([]Change, error) {
	if len(set) == 0 {
		return nil, ErrNoChange
	}
	var errs []error
	for f := range set {
		if !slices.Contains(ChangeFields, f) {
			errs = append(errs, fmt.Errorf("field %q: want one of %s", f, joinFields()))
		}
	}
	by, note = strings.TrimSpace(by), strings.TrimSpace(note)
	errs = append(errs, checkChangeMeta(by, src, note)...)
	var out []Change
	for _, f := range ChangeFields {
		v, ok := set[f]
		if !ok {
			continue
		}
		n, err := f.Normalize(v)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, Change{ResidentID: residentID, Field: f, After: n, By: by, Source: src, Note: note})
	}
	if len(errs) > 0 {
		return nil, ErrBadChange.Because(errors.Join(errs...), true)
	}
	return out, nil
}

func checkChangeMeta(by string, src ChangeSource, note string) []error {
	var errs []error
	switch {
	case strings.TrimSpace(by) == "":
		errs = append(errs, errors.New("by: who records the change is required"))
	case utf8.RuneCountInString(by) > 64:
		errs = append(errs, errors.New("by: longer than 64 characters"))
	}
	switch src {
	case SourceField, SourceImport, SourceSync:
	default:
		errs = append(errs, fmt.Errorf("source %q: want field, import or sync", src))
	}
	if n := utf8.RuneCountInString(note); n > MaxChangeNote {
		errs = append(errs, fmt.Errorf("note: %d characters, want at most %d", n, MaxChangeNote))
	}
	return errs
}

// Value is r's current value of field f, in the form a Change holds.
func (r Resident) Value(f ChangeField) string {
	switch f {
	case FieldStatus:
		if r.Status == "" {
			return string(StatusActive)
		}
		return string(r.Status)
	case FieldPhone:
		return string(r.Phone)
	case FieldLiving:
		return string(r.Living)
	case FieldSelfCare:
		return string(r.SelfCare)
	case FieldHealth:
		return string(r.Health)
	case FieldRelation:
		return string(r.Relation)
	}
	return ""
}

func joinFields() string {
	s := make([]string, len(ChangeFields))
	for i, f := range ChangeFields {
		s[i] = string(f)
	}
	return strings.Join(s, ", ")
}

// ResidentChange is a change with what names its resident to the source
// population system, as the change file lists it.
type ResidentChange struct {
	Change
	Name     pii.Name
	IDMasked string
	// IDNumber is the clear ID number, the source system's key: filled
	// only for a change file written for that system (an unmask the
	// caller has logged), empty otherwise.
	IDNumber pii.IDNumber
}

// Recorded is what recording changes of one resident did.
type Recorded struct {
	ResidentID int64
	// Changes are the changes stored, with Before, At and WorkerID set;
	// a field set to the value it had is not a change and is left out.
	Changes []Change
	// MessagesSkipped are the campaign messages and reminders that were
	// waiting to go to a resident now moved out or deceased, skipped;
	// VisitsCancelled their visits booked ahead, cancelled.
	MessagesSkipped, VisitsCancelled int64
}

// ParseSince reads the start of a change file's period: a date
// (2024-06-01, midnight in loc) or an RFC 3339 time.
func ParseSince(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.ParseInLocation(time.DateOnly, s, loc); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fault.Refuse(fault.ErrInvalid,
		fmt.Sprintf("since %q: want a date such as 2024-06-01 or an RFC 3339 time", s),
		fmt.Sprintf("起始时间 %q 无效：请填写日期，如 2024-06-01", s), nil)
}

// ValueLabel is v, a value of f, as the change file writes it for the
// source population system: an enumeration's Chinese label (死亡, 独居),
// anything else — a phone, a health note — as it is, in clear.
func (f ChangeField) ValueLabel(v string) string {
	if v == "" {
		return ""
	}
	return f.label(v)
}
