package dispatch

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Routes maps a ticket category (its identifier, tickets.Category as a
// plain string: this package imports no ticket code) to the departments,
// by Department.Code, a case of that category is usually handed to (智能
// 分离到相关部门). It suggests; the dispatcher decides. A category missing
// from the map has no suggestion: the community settles it, or the
// dispatcher picks. The zero value (nil) means DefaultRoutes. A Routes is
// read-only once built and safe for concurrent use.
type Routes map[string][]string

// DefaultRoutes are the suggestions a city starts with, over the codes of
// DefaultDepartments. Disputes, complaints about a business, schooling and
// complaints about staff have none: the community mediates the first, and
// the departments of the others (司法所, 市场监管, 教育) are not among the
// defaults.
var DefaultRoutes = Routes{
	"property":               {"housing"},
	"city_management":        {"chengguan"},
	"environment":            {"chengguan"},
	"safety":                 {"fire"},
	"social_insurance":       {"medical_insurance", "hrss"},
	"heating_gas":            {"gas", "heating"},
	"public_security":        {"police"},
	"household_registration": {"police"},
	"social_assistance":      {"civil_affairs"},
	"elderly_care":           {"civil_affairs"},
	"employment":             {"hrss"},
	"family_planning":        {"health"},
}

// Merge is r with over laid on it: a category over lists takes its list
// (an empty one clears the suggestion), the others keep r's. r nil is
// DefaultRoutes; the result is a new map.
func (r Routes) Merge(over Routes) Routes {
	out := Routes{}
	for c, ds := range r.or() {
		out[c] = slices.Clone(ds)
	}
	for c, ds := range over {
		out[c] = slices.Clone(ds)
	}
	return out
}

// Known is r without the codes that are none of known's: the defaults
// name departments a city may not have configured.
func (r Routes) Known(known []Department) Routes {
	out := Routes{}
	for c, ds := range r.or() {
		out[c] = slices.DeleteFunc(slices.Clone(ds), func(code string) bool { return !hasCode(known, code) })
	}
	return out
}

// Suggest is the departments of known that category's cases usually go
// to, in the order r lists them; none when r has no suggestion.
func (r Routes) Suggest(category string, known []Department) []Department {
	var out []Department
	for _, code := range r.or()[category] {
		if i := slices.IndexFunc(known, func(d Department) bool { return d.Code == code }); i >= 0 {
			out = append(out, known[i])
		}
	}
	return out
}

// Categories is the categories r suggests department code for, sorted.
func (r Routes) Categories(code string) []string {
	var out []string
	for c, ds := range r.or() {
		if slices.Contains(ds, code) {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return out
}

// Validate reports every category of r that is not one of categories and
// every code that names no department of known, or is listed twice for
// one category; each problem names the category.
func (r Routes) Validate(known []Department, categories []string) error {
	var errs []error
	for _, c := range slices.Sorted(maps.Keys(r)) {
		if !slices.Contains(categories, c) {
			errs = append(errs, fmt.Errorf("%s: unknown category; want one of %s", c, strings.Join(categories, ", ")))
		}
		for i, code := range r[c] {
			switch {
			case !hasCode(known, code):
				errs = append(errs, fmt.Errorf("%s[%d]: %q is no department; known: %s", c, i, code, codes(known)))
			case slices.Index(r[c], code) < i:
				errs = append(errs, fmt.Errorf("%s[%d]: %q is listed twice", c, i, code))
			}
		}
	}
	return errors.Join(errs...)
}

func (r Routes) or() Routes {
	if r == nil {
		return DefaultRoutes
	}
	return r
}

func hasCode(known []Department, code string) bool {
	return slices.ContainsFunc(known, func(d Department) bool { return d.Code == code })
}

func codes(known []Department) string {
	out := make([]string, len(known))
	for i, d := range known {
		out[i] = d.Code
	}
	return strings.Join(out, ", ")
}
