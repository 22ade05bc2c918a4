package visits

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/gridcast/gridcast/population"
)

// Cadence is how often a norm asks for a visit.
type Cadence string

// The cadences.
const (
	Weekly  Cadence = "week"  // one visit in each week (Monday to Sunday) that starts in the month
	Monthly Cadence = "month" // one visit in the calendar month
)

// Label returns the cadence's Chinese name.
func (c Cadence) Label() string {
	switch c {
	case Weekly:
		return "每周"
	case Monthly:
		return "每月"
	}
	return string(c)
}

// stricter reports whether c asks for visits more often than o.
func (c Cadence) stricter(o Cadence) bool { return c == Weekly && o != Weekly }

// Norm is one rule of the register: households with a resident in one of
// Categories are visited once every Every.
type Norm struct {
	// Name is what the register shows, e.g. 五必访. Required, unique.
	Name string `yaml:"name"`
	// Categories are population categories (population.Category, e.g.
	// elderly_alone). At least one.
	Categories []population.Category `yaml:"categories"`
	// Every is week or month.
	Every Cadence `yaml:"every"`
}

// Config is the register's norms, as cmd/gridcast decodes them from the
// YAML file's visits section. Decode onto DefaultConfig() so that a key
// left out keeps its default; a norms list given replaces the default
// list whole. The zero Config asks for nothing. A Config is read-only once
// in use and safe for concurrent reads.
type Config struct {
	// HouseholdsPerMonth is the fewest households a worker visits in a
	// month whatever the norms ask ("每月至少走访居民15家"); 0 = the norms
	// alone. Default 15.
	HouseholdsPerMonth int `yaml:"households_per_month"`
	// Norms are the rules households fall under; a household under several
	// owes the strictest. Default: 五必访 monthly, 独居老人 weekly, 特殊家庭
	// (subsistence, empty_nest) monthly.
	Norms []Norm `yaml:"norms"`
}

// FiveMustVisit are the categories of 五必访: new residents, elderly
// living alone, disabled, left-behind children's guardians and floating
// population.
var FiveMustVisit = []population.Category{
	population.NewResident, population.ElderlyAlone, population.Disabled,
	population.LeftBehindGuardian, population.Floating,
}

// DefaultConfig returns the field reports' norms: 15 households a month;
// 五必访 monthly; elderly living alone weekly; special families
// (subsistence allowance, empty nest) monthly.
func DefaultConfig() Config {
	return Config{
		HouseholdsPerMonth: 15,
		Norms: []Norm{
			{Name: "五必访", Categories: slices.Clone(FiveMustVisit), Every: Monthly},
			{Name: "独居老人每周探访", Categories: []population.Category{population.ElderlyAlone}, Every: Weekly},
			{Name: "特殊家庭", Categories: []population.Category{population.Subsistence, population.EmptyNest}, Every: Monthly},
		},
	}
}

// MaxHouseholdsPerMonth bounds HouseholdsPerMonth: more is taken for a
// typing mistake (a grid holds about 300 households).
const MaxHouseholdsPerMonth = 1000

// Validate reports every problem of c, joined, each naming its key under
// visits.
func (c Config) Validate() error {
	var errs []error
	if c.HouseholdsPerMonth < 0 || c.HouseholdsPerMonth > MaxHouseholdsPerMonth {
		errs = append(errs, fmt.Errorf("households_per_month: %d: want 0–%d", c.HouseholdsPerMonth, MaxHouseholdsPerMonth))
	}
	seen := map[string]bool{}
	for i, n := range c.Norms {
		key := fmt.Sprintf("norms[%d]", i)
		name := strings.TrimSpace(n.Name)
		switch {
		case name == "":
			errs = append(errs, fmt.Errorf("%s.name: required (what the register shows, e.g. 五必访)", key))
		case seen[name]:
			errs = append(errs, fmt.Errorf("%s.name: %q is used by an earlier norm", key, name))
		}
		seen[name] = true
		if len(n.Categories) == 0 {
			errs = append(errs, fmt.Errorf("%s.categories: at least one population category, e.g. elderly_alone", key))
		}
		for _, cat := range n.Categories {
			if got, err := population.ParseCategory(string(cat)); err != nil || got != cat {
				errs = append(errs, fmt.Errorf("%s.categories: %q: want a category identifier such as elderly_alone", key, cat))
			}
		}
		if n.Every != Weekly && n.Every != Monthly {
			errs = append(errs, fmt.Errorf("%s.every: %q: want week or month", key, n.Every))
		}
	}
	return errors.Join(errs...)
}

// normsOf returns the norms a household with residents in cats falls
// under, and the strictest cadence among them ("" when none).
func (c Config) normsOf(cats []population.Category) ([]string, Cadence) {
	var names []string
	var every Cadence
	for _, n := range c.Norms {
		if slices.ContainsFunc(n.Categories, func(x population.Category) bool { return slices.Contains(cats, x) }) {
			names = append(names, n.Name)
			if every == "" || n.Every.stricter(every) {
				every = n.Every
			}
		}
	}
	return names, every
}
