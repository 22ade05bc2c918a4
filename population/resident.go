package population

import (
	"errors"
	"fmt"
	"time"

	"github.com/gridcast/gridcast/pii"
)

// Address locates a household down to the room.
type Address struct {
	Community string // free-text estate or village name (小区)
	Building  string // 楼栋
	Unit      string // 单元
	Room      string // 室
}

// String renders the address as it is written on an envelope: 小区 3栋2单元501.
func (a Address) String() string {
	s := a.Community
	if a.Building != "" {
		s += " " + a.Building + "栋"
	}
	if a.Unit != "" {
		s += a.Unit + "单元"
	}
	if a.Room != "" {
		s += a.Room
	}
	return s
}

// Household groups the residents at one address in one grid.
type Household struct {
	ID       int64
	GridCode string
	Address  Address
}

// Resident is one person in the population store.
//
// IDNumber holds the clear ID number only on its way in (import, seed,
// sync) and on an authorized unmask; the store keeps a keyed hash for
// matching and an encrypted copy, never the clear value. Read back from the
// store, IDNumber is empty and IDMasked carries the masked form.
type Resident struct {
	ID        int64
	Name      pii.Name
	Gender    Gender
	BirthDate time.Time // a date; the time part is ignored
	IDNumber  pii.IDNumber
	IDMasked  string // e.g. 3201**********1234, filled by the store
	Phone     pii.Phone
	Address   Address
	GridCode  string // the LevelGrid grid the resident lives in

	Categories     []Category
	Skills         []string
	DesiredJobs    []string
	TrainingCourse string
	TrainingCohort string

	OpenID           pii.OpenID // bound WeChat openid, empty if unbound
	OptOuts          []Topic
	PreferredChannel Channel

	// The living record (活户籍), kept by workers and staff from the field
	// (Change) and never by an import: Status (the zero value reads as
	// active), living arrangement, self-care level, health note and
	// relation to the head of the household.
	Status   Status
	Living   Living
	SelfCare SelfCare
	Health   HealthNote
	Relation Relation

	// SourceUpdatedAt is when the source population system last changed
	// this row (the sync's updated_at column), on the way in only; zero
	// from a spreadsheet. A field changed in GridCast after it keeps
	// GridCast's value.
	SourceUpdatedAt time.Time

	UpdatedAt time.Time // set by the store
}

// Active reports whether r still belongs to the population served: not
// moved out, not deceased.
func (r Resident) Active() bool { return r.Status.Active() }

// Age is the resident's age in whole years on the date of now.
func (r Resident) Age(now time.Time) int {
	return AgeOn(r.BirthDate, now)
}

// AgeOn returns the age in whole years of someone born on birth at now.
func AgeOn(birth, now time.Time) int {
	y := now.Year() - birth.Year()
	if now.Month() < birth.Month() || (now.Month() == birth.Month() && now.Day() < birth.Day()) {
		y--
	}
	return y
}

// HasCategory reports whether r belongs to c.
func (r Resident) HasCategory(c Category) bool {
	for _, x := range r.Categories {
		if x == c {
			return true
		}
	}
	return false
}

// OptedOut reports whether r has opted out of topic t (or of everything).
func (r Resident) OptedOut(t Topic) bool {
	for _, x := range r.OptOuts {
		if x == t || x == TopicAll {
			return true
		}
	}
	return false
}

// Validate checks a resident on its way into the store: a valid ID number
// whose embedded birth date and gender agree with the record, a valid mobile
// number (when present), a grid code and a name. It returns every problem
// joined, each naming the field.
func (r Resident) Validate() error {
	var errs []error
	if r.Name == "" {
		errs = append(errs, errors.New("name: required"))
	}
	if err := r.IDNumber.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("id_number: %w", err))
	} else {
		if b, _ := r.IDNumber.BirthDate(); !r.BirthDate.IsZero() && !sameDay(b, r.BirthDate) {
			errs = append(errs, fmt.Errorf("birth_date: %s disagrees with the ID number's %s", r.BirthDate.Format(time.DateOnly), b.Format(time.DateOnly)))
		}
	}
	if r.Phone != "" {
		if err := r.Phone.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("phone: %w", err))
		}
	}
	if r.GridCode == "" {
		errs = append(errs, errors.New("grid: required"))
	}
	if r.Gender != "" && r.Gender != Male && r.Gender != Female {
		errs = append(errs, fmt.Errorf("gender: %q: want M or F", r.Gender))
	}
	switch r.PreferredChannel {
	case ChannelNone, ChannelSMS, ChannelWeChat:
	default:
		errs = append(errs, fmt.Errorf("preferred_channel: %q: want wechat or sms", r.PreferredChannel))
	}
	return errors.Join(errs...)
}

func sameDay(a, b time.Time) bool {
	return a.Year() == b.Year() && a.Month() == b.Month() && a.Day() == b.Day()
}
