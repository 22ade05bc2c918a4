package main

import (
	"fmt"

	"github.com/gridcast/gridcast/dispatch"
	"github.com/gridcast/gridcast/tickets"
)

// departments are the configured departments, or
// dispatch.DefaultDepartments when the file lists none.
func (c Config) departments() []dispatch.Department {
	if len(c.Departments) > 0 {
		return c.Departments
	}
	return dispatch.DefaultDepartments
}

// routes are the departments suggested per ticket category:
// dispatch.DefaultRoutes with departments_by_category laid over them, less
// the defaults that name a department the city has not configured.
func (c Config) routes() dispatch.Routes {
	return dispatch.DefaultRoutes.Merge(c.DepartmentsByCategory).Known(c.departments())
}

// ticketCategories are the categories a ticket can have: the built-in ones
// and those tickets.classify adds.
func (c Config) ticketCategories() []string {
	var out []string
	for _, cat := range tickets.Categories {
		out = append(out, string(cat))
	}
	for _, cat := range c.Tickets.Classify.newCategories() {
		out = append(out, string(cat))
	}
	return out
}

// validateRoutes checks departments_by_category against the departments
// and the ticket categories.
func (c Config) validateRoutes() []error {
	var errs []error
	for _, e := range leafErrors(dispatch.Routes(c.DepartmentsByCategory).Validate(c.departments(), c.ticketCategories())) {
		errs = append(errs, fmt.Errorf("config: departments_by_category.%w", e))
	}
	return errs
}
