package workdays_test

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/workdays"
)

var cst = workdays.Shanghai

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, cst)
	if err != nil {
		panic(err)
	}
	return t
}

func newCalendar(t *testing.T, cfg workdays.Config) *workdays.Calendar {
	t.Helper()
	c, err := workdays.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestIsWorkday(t *testing.T) {
	t.Parallel()
	c := newCalendar(t, workdays.Config{})
	for _, tc := range []struct {
		day  string
		want bool
	}{
		{"2026-01-01", false}, // 元旦
		{"2026-01-04", true},  // Sunday worked for 元旦
		{"2026-02-14", true},  // Saturday worked for 春节
		{"2026-02-16", false}, // Monday in 春节
		{"2026-02-23", false}, // last day of 春节
		{"2026-02-24", true},
		{"2026-02-28", true}, // Saturday worked for 春节
		{"2026-05-09", true},
		{"2026-09-20", true}, // Sunday worked for 国庆
		{"2026-10-07", false},
		{"2026-10-10", true}, // Saturday worked for 国庆
		{"2026-12-05", false},
		{"2026-12-07", true},
		{"2027-02-08", false}, // provisional 春节
		{"2028-01-03", true},  // no file: Monday to Friday
		{"2028-01-01", false},
	} {
		if got := c.IsWorkday(at(tc.day + " 10:00")); got != tc.want {
			t.Errorf("IsWorkday(%s) = %v, want %v", tc.day, got, tc.want)
		}
	}
	if got := c.Holiday(at("2026-10-03 10:00")); got != "国庆节" {
		t.Errorf("Holiday(2026-10-03) = %q, want 国庆节", got)
	}
	// The day is read in the calendar's location: 2026-02-13 23:00 UTC is
	// Saturday 14 February in Beijing, a 调休 workday.
	if !c.IsWorkday(time.Date(2026, 2, 13, 23, 0, 0, 0, time.UTC)) {
		t.Error("IsWorkday(2026-02-13 23:00 UTC) = false, want true (Saturday 2026-02-14 in Beijing, worked for 春节)")
	}
}

func TestAddWorkdays(t *testing.T) {
	t.Parallel()
	c := newCalendar(t, workdays.Config{})
	for _, tc := range []struct {
		name, from string
		n          int
		want       string
	}{
		{"across 春节, counting the 调休 Saturday", "2026-02-13 10:00", 3, "2026-02-25 10:00"},
		{"onto a 调休 Saturday", "2026-10-09 15:00", 1, "2026-10-10 15:00"},
		{"across 国庆", "2026-09-29 10:00", 3, "2026-10-09 10:00"},
		{"over a weekend", "2026-12-04 16:00", 3, "2026-12-09 16:00"},
		{"from a Saturday", "2026-12-05 10:00", 1, "2026-12-07 10:00"},
		{"zero", "2026-12-05 10:00", 0, "2026-12-05 10:00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.AddWorkdays(at(tc.from), tc.n); !got.Equal(at(tc.want)) {
				t.Errorf("AddWorkdays(%s, %d) = %s, want %s", tc.from, tc.n, got, tc.want)
			}
		})
	}
}

func TestAddWorkingHours(t *testing.T) {
	t.Parallel()
	c := newCalendar(t, workdays.Config{})
	for _, tc := range []struct {
		name, from string
		d          time.Duration
		want       string
	}{
		{"over the night", "2026-12-07 16:00", 4 * time.Hour, "2026-12-08 11:30"},
		{"over lunch", "2026-12-07 11:00", 2 * time.Hour, "2026-12-07 14:30"},
		{"from before opening", "2026-12-07 07:00", time.Hour, "2026-12-07 10:00"},
		{"into the 调休 Saturday before 春节, ending at the close", "2026-02-13 16:30", 8 * time.Hour, "2026-02-14 17:30"},
		{"across 春节", "2026-02-14 17:00", time.Hour, "2026-02-24 09:30"},
		{"across 国庆", "2026-09-30 17:00", time.Hour, "2026-10-08 09:30"},
		{"back across 国庆", "2026-10-08 09:30", -time.Hour, "2026-09-30 17:00"},
		{"back over lunch", "2026-12-07 14:00", -time.Hour, "2026-12-07 11:30"},
		{"from a holiday, counting the 调休 Saturday", "2026-10-03 10:00", 24 * time.Hour, "2026-10-12 12:00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.AddWorkingHours(at(tc.from), tc.d); !got.Equal(at(tc.want)) {
				t.Errorf("AddWorkingHours(%s, %s) = %s, want %s", tc.from, tc.d, got.Format(time.DateTime), tc.want)
			}
		})
	}
}

func TestEndOfWorkday(t *testing.T) {
	t.Parallel()
	c := newCalendar(t, workdays.Config{})
	for _, tc := range []struct{ from, want string }{
		{"2026-12-09 08:00", "2026-12-09 17:30"},
		{"2026-12-05 10:00", "2026-12-07 17:30"}, // Saturday → Monday
		{"2026-02-14 10:00", "2026-02-14 17:30"}, // 调休 Saturday
		{"2026-10-01 10:00", "2026-10-08 17:30"}, // 国庆
	} {
		if got := c.EndOfWorkday(at(tc.from)); !got.Equal(at(tc.want)) {
			t.Errorf("EndOfWorkday(%s) = %s, want %s", tc.from, got.Format(time.DateTime), tc.want)
		}
	}
	hours := []workdays.Span{{Start: 8 * time.Hour, End: 12 * time.Hour}, {Start: 14 * time.Hour, End: 18 * time.Hour}}
	c = newCalendar(t, workdays.Config{Hours: hours})
	if got, want := c.EndOfWorkday(at("2026-12-09 08:00")), at("2026-12-09 18:00"); !got.Equal(want) {
		t.Errorf("EndOfWorkday with office hours to 18:00 = %s, want %s", got, want)
	}
}

func TestMissingYear(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	c := newCalendar(t, workdays.Config{Logger: slog.New(slog.NewTextHandler(&buf, nil))})
	if err := c.Check(at("2026-06-01 10:00")); err != nil {
		t.Errorf("Check(2026) = %v, want nil", err)
	}
	err := c.Check(at("2028-06-01 10:00"))
	if !errors.Is(err, workdays.ErrYearNotLoaded) || !strings.Contains(err.Error(), "2028") {
		t.Errorf("Check(2028) = %v, want ErrYearNotLoaded naming 2028", err)
	}
	// A deadline is still set, weekends-only, with one warning for the year.
	if got, want := c.AddWorkdays(at("2028-01-07 10:00"), 1), at("2028-01-10 10:00"); !got.Equal(want) {
		t.Errorf("AddWorkdays in 2028 = %s, want %s", got, want)
	}
	c.AddWorkdays(at("2028-03-01 10:00"), 5)
	if n := strings.Count(buf.String(), "holiday_calendar_year_missing"); n != 1 {
		t.Errorf("warnings logged = %d, want 1:\n%s", n, buf.String())
	}
}

func TestYears(t *testing.T) {
	t.Parallel()
	b := workdays.Builtin()
	if len(b) != 2 || b[0].Year != 2026 || b[0].Provisional || b[1].Year != 2027 || !b[1].Provisional {
		t.Fatalf("built-in years = %+v, want 2026 official and 2027 provisional", b)
	}
	official, err := workdays.ParseYear([]byte(`
year: 2027
source: test
holidays:
  - {name: 春节, from: 2027-02-05, to: 2027-02-11, workdays: [2027-02-20]}
`))
	if err != nil {
		t.Fatal(err)
	}
	c := newCalendar(t, workdays.Config{Years: []workdays.Year{official}})
	if c.IsWorkday(at("2027-02-10 10:00")) || !c.IsWorkday(at("2027-02-20 10:00")) || !c.IsWorkday(at("2027-10-01 10:00")) {
		t.Error("a loaded 2027 file did not replace the provisional one")
	}
	if got := c.Years()[1].Source; got != "test" {
		t.Errorf("Years()[1].Source = %q, want test", got)
	}
}

func TestParseYearErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, file, want string }{
		{"unknown key", "year: 2027\nholiday: []\n", "field holiday not found"},
		{"bad date", "year: 2027\nholidays:\n  - {name: 元旦, from: 2027-13-01, to: 2027-01-01}\n", `"2027-13-01": want a date such as 2026-10-01`},
		{"other year", "year: 2027\nholidays:\n  - {name: 元旦, from: 2026-01-01, to: 2026-01-01}\n", "holidays[0] (元旦): 2026-01-01 to 2026-01-01: want dates in 2027"},
		{"backwards", "year: 2027\nholidays:\n  - {name: 国庆节, from: 2027-10-07, to: 2027-10-01}\n", "ends 2027-10-01 before it starts 2027-10-07"},
		{"weekday worked", "year: 2027\nholidays:\n  - {name: 国庆节, from: 2027-10-01, to: 2027-10-07, workdays: [2027-10-11]}\n", "2027-10-11 is a Monday: a 调休 workday is a weekend day"},
		{"worked and off", "year: 2027\nholidays:\n  - {name: 国庆节, from: 2027-10-01, to: 2027-10-07, workdays: [2027-10-02]}\n", "2027-10-02 is also a day off (国庆节)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := workdays.ParseYear([]byte(tc.file))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ParseYear error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestParseSpan(t *testing.T) {
	t.Parallel()
	got, err := workdays.ParseSpan("13:30-17:30")
	if diff := cmp.Diff(workdays.Span{Start: 13*time.Hour + 30*time.Minute, End: 17*time.Hour + 30*time.Minute}, got); diff != "" || err != nil {
		t.Errorf("ParseSpan (-want +got):\n%s err %v", diff, err)
	}
	for _, s := range []string{"9-12", "12:00-09:00", "09:00"} {
		if _, err := workdays.ParseSpan(s); err == nil {
			t.Errorf("ParseSpan(%q) = nil error, want one", s)
		}
	}
	if _, err := workdays.New(workdays.Config{Hours: []workdays.Span{}}); err == nil {
		t.Error("New with no office hours = nil error, want one")
	}
}
