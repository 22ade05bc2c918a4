package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/gridcast/gridcast/desk"
	"github.com/gridcast/gridcast/workdays"
)

// CalendarConfig is the working calendar (workdays.Config) that deadlines
// in working days and hours count on: office hours, and year files over
// the built-in years (2026 from the State Council's notice, 2027
// provisional).
type CalendarConfig struct {
	// Years are year files (see workdays/years/2026.yaml); a file for a
	// built-in year replaces it. Default none.
	Years []string `yaml:"years"`
	// OfficeHours are the spans of a working day, in order, China Standard
	// Time. Default ["09:00-12:00", "13:30-17:30"].
	OfficeHours []string `yaml:"office_hours"`
}

// calendar builds the working calendar; log gets the warning of a date in
// a year no file covers. Errors name the key below calendar.
func (c CalendarConfig) calendar(log *slog.Logger) (*workdays.Calendar, error) {
	var errs []error
	cfg := workdays.Config{Logger: log}
	for i, s := range c.OfficeHours {
		sp, err := workdays.ParseSpan(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("office_hours[%d]: %w", i, err))
			continue
		}
		cfg.Hours = append(cfg.Hours, sp)
	}
	if c.OfficeHours != nil && len(c.OfficeHours) == 0 {
		errs = append(errs, errors.New("office_hours: empty: leave the key out for 09:00-12:00, 13:30-17:30"))
	}
	for i, path := range c.Years {
		b, err := os.ReadFile(path)
		if err != nil {
			errs = append(errs, fmt.Errorf("years[%d]: %w", i, err))
			continue
		}
		y, err := workdays.ParseYear(b)
		if err != nil {
			for _, e := range leafErrors(err) {
				errs = append(errs, fmt.Errorf("years[%d]: %s: %w", i, path, e))
			}
			continue
		}
		cfg.Years = append(cfg.Years, y)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	cal, err := workdays.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("office_hours: %w", err)
	}
	return cal, nil
}

// deskConfig is the desk's configuration with its working calendar.
func (c Config) deskConfig(log *slog.Logger) (desk.Config, error) {
	cal, err := c.Calendar.calendar(log)
	if err != nil {
		return desk.Config{}, fmt.Errorf("calendar.%w", err)
	}
	dc, err := c.Tickets.desk(cal)
	dc.Departments = c.Departments
	return dc, err
}

// warnProvisionalYears logs each loaded holiday year written before its
// official notice, so that operators load the notice when it is out.
func (a *app) warnProvisionalYears(ctx context.Context) {
	cal, err := a.cfg.Calendar.calendar(a.log)
	if err != nil {
		return // deskConfig has said so
	}
	for _, y := range cal.Years() {
		if y.Provisional {
			a.log.WarnContext(ctx, "holiday_calendar_provisional", "year", y.Year, "source", y.Source)
		}
	}
}
