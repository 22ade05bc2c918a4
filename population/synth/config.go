package synth

import (
	"errors"
	"fmt"
	"regexp"
	"time"
)

// MaxResidents is the largest population New accepts. The ID-number spaces
// hold more, but nothing GridCast does needs a bigger city.
const MaxResidents = 100_000_000

// DefaultCity is the district-code prefix used when Config.City is empty
// (南苑, the street of the field report).
const DefaultCity = "NY"

// defaultNow is the reference date when Config.Now is zero.
var defaultNow = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Config says what population to generate. The zero Config is valid and
// yields the hierarchy of a single grid and no residents.
type Config struct {
	// Residents is how many residents the stream yields. The hierarchy is
	// sized for it: one grid per ~1,000 residents (at least one grid).
	// Zero means no residents; at most MaxResidents.
	Residents int
	// Seed selects the population; the same Config always yields the same
	// output. Zero is a seed like any other.
	Seed int64
	// Now is the reference date ages are computed against and training
	// cohorts are named after. Zero means 2026-01-01 UTC.
	Now time.Time
	// City is the code of the first district; further districts, when the
	// population needs them, are City2, City3 …. Upper-case letters and
	// digits, starting with a letter, at most 8 characters. Empty means
	// DefaultCity ("NY").
	City string
}

var cityRE = regexp.MustCompile(`^[A-Z][A-Z0-9]{0,7}$`)

// withDefaults returns c with its zero fields replaced by their defaults.
func (c Config) withDefaults() Config {
	if c.Now.IsZero() {
		c.Now = defaultNow
	}
	if c.City == "" {
		c.City = DefaultCity
	}
	return c
}

// Validate reports every problem with c, joined, in words an operator can
// act on. Zero fields are valid (they take their defaults).
func (c Config) Validate() error {
	var errs []error
	if c.Residents < 0 || c.Residents > MaxResidents {
		errs = append(errs, fmt.Errorf("synth: residents %d: want 0 to %d", c.Residents, MaxResidents))
	}
	if c.City != "" && !cityRE.MatchString(c.City) {
		errs = append(errs, fmt.Errorf("synth: city %q: want 1-8 upper-case letters or digits starting with a letter, e.g. NY", c.City))
	}
	if !c.Now.IsZero() && (c.Now.Year() < 1990 || c.Now.Year() > 2200) {
		errs = append(errs, fmt.Errorf("synth: now %s: want a date between 1990 and 2200", c.Now.Format(time.DateOnly)))
	}
	return errors.Join(errs...)
}
