package campaigns_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/campaigns"
)

func windowStrings(ws []campaigns.Window) []string {
	var out []string
	for _, w := range ws {
		out = append(out, w.String())
	}
	return out
}

func TestParseVisitingHours(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     []string
		wantErr  string
	}{
		{name: "brief's example", in: "Mon-Fri 14:00-17:00; Sat 09:00-11:30", want: []string{
			"Mon 14:00-17:00", "Tue 14:00-17:00", "Wed 14:00-17:00", "Thu 14:00-17:00", "Fri 14:00-17:00", "Sat 09:00-11:30",
		}},
		{name: "empty means the default", in: " ", want: []string{
			"Mon 09:00-11:30", "Mon 14:00-17:00", "Tue 09:00-11:30", "Tue 14:00-17:00", "Wed 09:00-11:30", "Wed 14:00-17:00",
			"Thu 09:00-11:30", "Thu 14:00-17:00", "Fri 09:00-11:30", "Fri 14:00-17:00",
		}},
		{name: "chinese", in: "周一至周三 9:00-11:30、14:00~17:00；周六09:00-11:30", want: []string{
			"Mon 09:00-11:30", "Mon 14:00-17:00", "Tue 09:00-11:30", "Tue 14:00-17:00", "Wed 09:00-11:30", "Wed 14:00-17:00", "Sat 09:00-11:30",
		}},
		{name: "day list and full names", in: "monday, Wednesday,FRI 08:00-09:00", want: []string{"Mon 08:00-09:00", "Wed 08:00-09:00", "Fri 08:00-09:00"}},
		{name: "range wrapping the week", in: "Fri-Mon 10:00-11:00", want: []string{"Sun 10:00-11:00", "Mon 10:00-11:00", "Fri 10:00-11:00", "Sat 10:00-11:00"}},
		{name: "groups", in: "周末 10:00-11:00\n星期天 15:00-16:00", want: []string{"Sun 10:00-11:00", "Sun 15:00-16:00", "Sat 10:00-11:00"}},
		{name: "overlaps merge", in: "Mon 09:00-11:00; Mon 10:30-12:00,12:00-12:30; Mon 14:00-15:00", want: []string{"Mon 09:00-12:30", "Mon 14:00-15:00"}},
		{name: "unknown day", in: "Mon-Fry 09:00-10:00", wantErr: `campaigns: visiting hours "Mon-Fry 09:00-10:00": entry 1 "Mon-Fry 09:00-10:00": days "mon-fry": want names such as Mon, Mon-Fri or 周一至周五`},
		{name: "no days", in: "09:00-10:00", wantErr: `campaigns: visiting hours "09:00-10:00": entry 1 "09:00-10:00": no days, want e.g. Mon-Fri`},
		{name: "no times", in: "Mon-Fri", wantErr: `campaigns: visiting hours "Mon-Fri": entry 1 "Mon-Fri": no times, want e.g. Mon-Fri 14:00-17:00`},
		{name: "backwards", in: "Mon 17:00-14:00", wantErr: `campaigns: visiting hours "Mon 17:00-14:00": entry 1 "Mon 17:00-14:00": times 17:00-14:00: the end must be after the start, on the same day`},
		{name: "bad time", in: "Mon 9-17", wantErr: `campaigns: visiting hours "Mon 9-17": entry 1 "Mon 9-17": time of day "9": want HH:MM`},
		{name: "every bad entry reported", in: "Mon 9-17; Tue 10:00-11:00; Xyz 10:00-11:00", wantErr: "campaigns: visiting hours \"Mon 9-17; Tue 10:00-11:00; Xyz 10:00-11:00\": entry 1 \"Mon 9-17\": time of day \"9\": want HH:MM\n" +
			`entry 3 "Xyz 10:00-11:00": days "xyz": want names such as Mon, Mon-Fri or 周一至周五`},
		{name: "only separators", in: ";;", wantErr: `campaigns: visiting hours ";;": no windows`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ws, err := campaigns.ParseVisitingHours(tt.in)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v\nwant %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, windowStrings(ws)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func mustWindows(t *testing.T, s string) []campaigns.Window {
	t.Helper()
	ws, err := campaigns.ParseVisitingHours(s)
	if err != nil {
		t.Fatal(err)
	}
	return ws
}

func TestSlotAllocatorSequence(t *testing.T) {
	t.Parallel()
	sh := campaigns.Shanghai()
	at := func(d, h, m int) time.Time { return time.Date(2026, 3, d, h, m, 0, 0, sh) }
	tests := []struct {
		name string
		cfg  campaigns.SlotConfig
		n    int
		want []string
	}{
		{name: "default hours, from Monday 10:40", cfg: campaigns.SlotConfig{From: at(16, 10, 40)}, n: 4, want: []string{
			"03-16 Mon 11:00-11:30", "03-16 Mon 14:00-14:30", "03-16 Mon 14:30-15:00", "03-16 Mon 15:00-15:30",
		}},
		{name: "Friday afternoon rolls over the weekend", cfg: campaigns.SlotConfig{Windows: mustWindows(t, "Mon-Fri 16:00-17:00"), From: at(20, 16, 10)}, n: 3, want: []string{
			"03-20 Fri 16:30-17:00", "03-23 Mon 16:00-16:30", "03-23 Mon 16:30-17:00",
		}},
		{name: "45-minute visits leave the remainder", cfg: campaigns.SlotConfig{Windows: mustWindows(t, "Sat 09:00-11:00"), Length: 45 * time.Minute, From: at(16, 0, 0)}, n: 3, want: []string{
			"03-21 Sat 09:00-09:45", "03-21 Sat 09:45-10:30", "03-28 Sat 09:00-09:45",
		}},
		{name: "bookings are skipped, including odd lengths", cfg: campaigns.SlotConfig{
			Windows: mustWindows(t, "Tue 09:00-11:00"), From: at(16, 0, 0),
			Booked: []campaigns.Slot{
				{ResidentID: 900, Start: at(17, 9, 0)},                       // default length
				{ResidentID: 901, Start: at(17, 9, 50), End: at(17, 10, 10)}, // overlaps two slots
			},
		}, n: 3, want: []string{"03-17 Tue 10:30-11:00", "03-24 Tue 09:00-09:30", "03-24 Tue 09:30-10:00"}},
		{name: "worker's zone", cfg: campaigns.SlotConfig{Windows: mustWindows(t, "Mon 09:00-10:00"), From: at(16, 0, 0), Location: time.UTC}, n: 1,
			want: []string{"03-16 Mon 17:00-17:30"}}, // 09:00 UTC shown in Beijing time
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, err := campaigns.NewSlotAllocator(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for i := range tt.n {
				s, err := a.Next(int64(i + 1))
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, s.Start.In(sh).Format("01-02 Mon 15:04")+"-"+s.End.In(sh).Format("15:04"))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("slots (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSlotAllocatorManyResidents hands out slots to 500 residents over
// several weeks, with existing bookings and retries, and checks that no two
// visits overlap, every visit lies in a window, and retries are stable.
func TestSlotAllocatorManyResidents(t *testing.T) {
	t.Parallel()
	sh := campaigns.Shanghai()
	ws := mustWindows(t, "Mon-Fri 14:00-17:00; Sat 09:00-11:30")
	from := time.Date(2026, 3, 16, 0, 0, 0, 0, sh)
	var booked []campaigns.Slot
	for i := range 40 { // every other afternoon slot of the next 14 days is taken
		day := time.Date(2026, 3, 16+i/3, 14, 0, 0, 0, sh)
		booked = append(booked, campaigns.Slot{ResidentID: int64(10000 + i), Start: day.Add(time.Duration(i%3) * time.Hour)})
	}
	booked = append(booked, campaigns.Slot{ResidentID: 7, Start: time.Date(2026, 3, 28, 9, 0, 0, 0, sh)}) // resident 7 is booked already
	a, err := campaigns.NewSlotAllocator(campaigns.SlotConfig{Windows: ws, From: from, Booked: booked, HorizonDays: 365})
	if err != nil {
		t.Fatal(err)
	}
	taken := map[time.Time]int64{}
	for _, b := range booked {
		taken[b.Start] = b.ResidentID
	}
	got := map[int64]campaigns.Slot{}
	for id := int64(1); id <= 500; id++ {
		s, err := a.Next(id)
		if err != nil {
			t.Fatal(err)
		}
		got[id] = s
		if id == 7 {
			if !s.Start.Equal(time.Date(2026, 3, 28, 9, 0, 0, 0, sh)) {
				t.Errorf("resident 7 got %v, want their booking", s.Start)
			}
			continue
		}
		if other, ok := taken[s.Start]; ok {
			t.Fatalf("resident %d got %v, already taken by %d", id, s.Start, other)
		}
		taken[s.Start] = id
		ls, le := s.Start.In(sh), s.End.In(sh)
		if le.Sub(ls) != campaigns.DefaultSlotLength || ls.Before(from) {
			t.Fatalf("resident %d: slot %v-%v", id, ls, le)
		}
		in := false
		for _, w := range ws {
			startMin := campaigns.Clock(ls.Hour()*60 + ls.Minute())
			endMin := campaigns.Clock(le.Hour()*60 + le.Minute())
			if w.Day == ls.Weekday() && startMin >= w.Start && endMin <= w.End && ls.YearDay() == le.YearDay() {
				in = true
			}
		}
		if !in {
			t.Fatalf("resident %d: slot %s outside the visiting hours", id, ls.Format("Mon 15:04"))
		}
	}
	// Retries give the same answer and take nothing new.
	for _, id := range []int64{1, 250, 500} {
		s, err := a.Next(id)
		if err != nil || s != got[id] {
			t.Errorf("retry for %d = %v, %v; want %v", id, s, err, got[id])
		}
	}
	// 5 weekdays × 6 + Saturday × 5 = 35 slots a week; 499 new visits and
	// 31 bookings inside the windows (30 weekday afternoons and resident
	// 7's) fill 530 slots: a bit more than 15 weeks.
	last := got[500].Start.In(sh)
	if want := from.AddDate(0, 0, 7*15); last.Before(want) || last.After(want.AddDate(0, 0, 7)) {
		t.Errorf("last slot %v, want in the week of %v", last, want)
	}
}

func TestSlotAllocatorErrors(t *testing.T) {
	t.Parallel()
	from := time.Date(2026, 3, 16, 0, 0, 0, 0, campaigns.Shanghai())
	if _, err := campaigns.NewSlotAllocator(campaigns.SlotConfig{}); err == nil {
		t.Error("no From accepted")
	}
	if _, err := campaigns.NewSlotAllocator(campaigns.SlotConfig{From: from, Length: -time.Minute}); err == nil {
		t.Error("negative length accepted")
	}
	if _, err := campaigns.NewSlotAllocator(campaigns.SlotConfig{From: from, Windows: []campaigns.Window{{Day: time.Monday, Start: 600, End: 540}}}); err == nil {
		t.Error("backwards window accepted")
	}
	a, err := campaigns.NewSlotAllocator(campaigns.SlotConfig{From: from, HorizonDays: 7, Windows: mustWindows(t, "Wed 09:00-10:00")})
	if err != nil {
		t.Fatal(err)
	}
	for id := int64(1); id <= 2; id++ {
		if _, err := a.Next(id); err != nil {
			t.Fatal(err)
		}
	}
	_, err = a.Next(3)
	if !errors.Is(err, campaigns.ErrNoSlot) || err.Error() != "campaigns: no free visit slot before 2026-03-23" {
		t.Errorf("Next() on a full horizon = %v", err)
	}
}

func TestReminderAt(t *testing.T) {
	t.Parallel()
	sh := campaigns.Shanghai()
	tests := []struct{ slot, want time.Time }{
		{time.Date(2026, 3, 17, 14, 0, 0, 0, sh), time.Date(2026, 3, 16, 18, 0, 0, 0, sh)},
		{time.Date(2026, 4, 1, 9, 0, 0, 0, sh), time.Date(2026, 3, 31, 18, 0, 0, 0, sh)},
		{time.Date(2026, 1, 1, 9, 0, 0, 0, sh), time.Date(2025, 12, 31, 18, 0, 0, 0, sh)},
		{time.Date(2026, 3, 17, 1, 0, 0, 0, time.UTC), time.Date(2026, 3, 16, 18, 0, 0, 0, sh)}, // 09:00 Beijing
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.slot), func(t *testing.T) {
			t.Parallel()
			if got := campaigns.ReminderAt(tt.slot, nil); !got.Equal(tt.want) {
				t.Errorf("ReminderAt(%v) = %v, want %v", tt.slot, got, tt.want)
			}
		})
	}
}
