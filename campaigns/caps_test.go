package campaigns_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/campaigns"
)

func TestCapsCheck(t *testing.T) {
	t.Parallel()
	sh := campaigns.Shanghai()
	wed := time.Date(2026, 3, 18, 15, 0, 0, 0, sh) // a Wednesday
	thu := time.Date(2026, 3, 19, 0, 0, 0, 0, sh)
	nextMon := time.Date(2026, 3, 23, 0, 0, 0, 0, sh)
	tests := []struct {
		name                    string
		caps                    campaigns.Caps
		now                     time.Time
		today, week, sameTplDay int
		want                    campaigns.CapDecision
	}{
		{name: "nothing sent", now: wed, want: campaigns.CapDecision{OK: true}},
		{name: "one below the daily default", now: wed, today: 1, week: 1, want: campaigns.CapDecision{OK: true}},
		{name: "daily default reached", now: wed, today: 2, week: 2,
			want: campaigns.CapDecision{Reason: campaigns.CapDaily, RetryAt: thu}},
		{name: "weekly default reached", now: wed, today: 0, week: 5,
			want: campaigns.CapDecision{Reason: campaigns.CapWeekly, RetryAt: nextMon}},
		{name: "weekly wins over daily", now: wed, today: 2, week: 5,
			want: campaigns.CapDecision{Reason: campaigns.CapWeekly, RetryAt: nextMon}},
		{name: "provider cap", caps: campaigns.Caps{PerDay: -1, PerWeek: -1}, now: wed, today: 60, week: 300, sameTplDay: 50,
			want: campaigns.CapDecision{Reason: campaigns.CapProvider, RetryAt: thu}},
		{name: "provider cap one below", caps: campaigns.Caps{PerDay: -1, PerWeek: -1}, now: wed, sameTplDay: 49,
			want: campaigns.CapDecision{OK: true}},
		{name: "daily wins over provider", caps: campaigns.Caps{PerDay: 3, ProviderPerDay: 1}, now: wed, today: 3, week: 3, sameTplDay: 1,
			want: campaigns.CapDecision{Reason: campaigns.CapDaily, RetryAt: thu}},
		{name: "configured caps", caps: campaigns.Caps{PerDay: 10, PerWeek: 20}, now: wed, today: 9, week: 19,
			want: campaigns.CapDecision{OK: true}},
		{name: "no caps at all", caps: campaigns.Caps{PerDay: -1, PerWeek: -1, ProviderPerDay: -1}, now: wed, today: 1e6, week: 1e6, sameTplDay: 1e6,
			want: campaigns.CapDecision{OK: true}},
		{name: "Sunday night: the week ends tomorrow", now: time.Date(2026, 3, 22, 23, 59, 0, 0, sh), week: 5,
			want: campaigns.CapDecision{Reason: campaigns.CapWeekly, RetryAt: nextMon}},
		{name: "Monday 00:00 is a new week", now: nextMon, week: 5,
			want: campaigns.CapDecision{Reason: campaigns.CapWeekly, RetryAt: nextMon.AddDate(0, 0, 7)}},
		{name: "UTC clock, Beijing days", now: time.Date(2026, 3, 18, 17, 0, 0, 0, time.UTC) /* Thu 01:00 in Beijing */, today: 2,
			want: campaigns.CapDecision{Reason: campaigns.CapDaily, RetryAt: time.Date(2026, 3, 20, 0, 0, 0, 0, sh)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := tt.caps.Check(tt.now, tt.today, tt.week, tt.sameTplDay)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Check() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCapsWindows(t *testing.T) {
	t.Parallel()
	sh := campaigns.Shanghai()
	tests := []struct {
		now             time.Time
		wantDay, wantWk time.Time
	}{
		{time.Date(2026, 3, 18, 15, 0, 0, 0, sh), time.Date(2026, 3, 18, 0, 0, 0, 0, sh), time.Date(2026, 3, 16, 0, 0, 0, 0, sh)},
		{time.Date(2026, 3, 16, 0, 0, 0, 0, sh), time.Date(2026, 3, 16, 0, 0, 0, 0, sh), time.Date(2026, 3, 16, 0, 0, 0, 0, sh)},
		{time.Date(2026, 3, 22, 23, 0, 0, 0, sh), time.Date(2026, 3, 22, 0, 0, 0, 0, sh), time.Date(2026, 3, 16, 0, 0, 0, 0, sh)},
		{time.Date(2026, 4, 1, 9, 0, 0, 0, sh), time.Date(2026, 4, 1, 0, 0, 0, 0, sh), time.Date(2026, 3, 30, 0, 0, 0, 0, sh)},
	}
	for _, tt := range tests {
		t.Run(tt.now.Format(time.DateTime), func(t *testing.T) {
			t.Parallel()
			day, week := campaigns.Caps{}.Windows(tt.now)
			if !day.Equal(tt.wantDay) || !week.Equal(tt.wantWk) {
				t.Errorf("Windows() = %v, %v; want %v, %v", day, week, tt.wantDay, tt.wantWk)
			}
		})
	}
}
