package campaigns_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/campaigns"
)

func TestQuietHoursNextAllowed(t *testing.T) {
	t.Parallel()
	sh := campaigns.Shanghai()
	at := func(d, h, m int) time.Time { return time.Date(2026, 3, d, h, m, 0, 0, sh) }
	night := campaigns.QuietHours{Start: "21:00", End: "08:00"}
	lunch := campaigns.QuietHours{Start: "12:00", End: "14:00"}
	tests := []struct {
		name string
		q    campaigns.QuietHours
		t    time.Time
		want time.Time
	}{
		{"daytime is allowed", night, at(16, 10, 0), at(16, 10, 0)},
		{"a minute before start", night, at(16, 20, 59), at(16, 20, 59)},
		{"start is quiet", night, at(16, 21, 0), at(17, 8, 0)},
		{"late evening wraps to tomorrow", night, at(16, 23, 30), at(17, 8, 0)},
		{"midnight", night, at(17, 0, 0), at(17, 8, 0)},
		{"early morning, same day", night, at(17, 7, 59), at(17, 8, 0)},
		{"end is allowed", night, at(17, 8, 0), at(17, 8, 0)},
		{"last day of the month wraps", night, at(31, 22, 0), time.Date(2026, 4, 1, 8, 0, 0, 0, sh)},
		{"seconds inside the last quiet minute", night, at(17, 7, 59).Add(59 * time.Second), at(17, 8, 0)},
		{"same-day window, inside", lunch, at(16, 13, 0), at(16, 14, 0)},
		{"same-day window, before", lunch, at(16, 11, 59), at(16, 11, 59)},
		{"same-day window, at end", lunch, at(16, 14, 0), at(16, 14, 0)},
		{"Start == End means none", campaigns.QuietHours{Start: "22:00", End: "22:00"}, at(16, 22, 0), at(16, 22, 0)},
		{"zero value means none", campaigns.QuietHours{}, at(16, 23, 0), at(16, 23, 0)},
		{"malformed means none", campaigns.QuietHours{Start: "9pm", End: "08:00"}, at(16, 23, 0), at(16, 23, 0)},
		{"24:00 end", campaigns.QuietHours{Start: "22:00", End: "24:00"}, at(16, 23, 0), at(17, 0, 0)},
		{"UTC input is judged in Beijing time", night, at(16, 23, 0).UTC(), at(17, 8, 0).UTC()},
		{"another location", campaigns.QuietHours{Start: "21:00", End: "08:00", Location: time.UTC},
			at(16, 23, 0) /* 15:00 UTC: allowed */, at(16, 23, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := tt.q.NextAllowed(tt.t)
			if !got.Equal(tt.want) || got.Location() != tt.t.Location() {
				t.Errorf("NextAllowed(%v) = %v, want %v in the input's location", tt.t, got, tt.want)
			}
		})
	}
}

// TestQuietHoursEveryMinute checks, minute by minute over two days, that
// NextAllowed returns an allowed time, never earlier than its input and no
// later than needed.
func TestQuietHoursEveryMinute(t *testing.T) {
	t.Parallel()
	q := campaigns.DefaultQuietHours
	start := time.Date(2026, 3, 16, 0, 0, 0, 0, campaigns.Shanghai())
	for m := 0; m < 2*24*60; m++ {
		in := start.Add(time.Duration(m) * time.Minute)
		got := q.NextAllowed(in)
		h := in.Hour()
		quiet := h >= 21 || h < 8
		if got.Before(in) || (quiet == got.Equal(in)) {
			t.Fatalf("NextAllowed(%v) = %v (quiet=%v)", in, got, quiet)
		}
		if quiet && (got.Hour() != 8 || got.Minute() != 0 || got.Sub(in) > 11*time.Hour) {
			t.Fatalf("NextAllowed(%v) = %v, want the next 08:00", in, got)
		}
	}
}

// TestShanghaiHasNoDST: every day of several years is UTC+8, so no quiet
// window ever shifts or repeats.
func TestShanghaiHasNoDST(t *testing.T) {
	t.Parallel()
	for d := time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC); d.Year() < 2028; d = d.AddDate(0, 0, 1) {
		if _, off := d.In(campaigns.Shanghai()).Zone(); off != 8*3600 {
			t.Fatalf("%v: offset %d, want +8h", d, off)
		}
	}
}

func TestQuietHoursValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		q    campaigns.QuietHours
		want []string
	}{
		{campaigns.DefaultQuietHours, nil},
		{campaigns.QuietHours{}, nil},
		{campaigns.QuietHours{Start: "7:30", End: "8：00"}, nil},
		{campaigns.QuietHours{Start: "25:00", End: "08:00"}, []string{`quiet_hours.start: time of day "25:00": want HH:MM between 00:00 and 24:00`}},
		{campaigns.QuietHours{Start: "21:00"}, []string{`quiet_hours.end: time of day "": want HH:MM`}},
	}
	for _, tt := range tests {
		t.Run(tt.q.Start+"-"+tt.q.End, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, errLines(tt.q.Validate())); diff != "" {
				t.Errorf("Validate() (-want +got):\n%s", diff)
			}
		})
	}
}
