package visits_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/visits"
)

// December 2026 starts on a Tuesday: its weekly windows start on Monday
// 30 November (its Thursday is 3 December), the 7th, 14th, 21st and 28th.
var dec = visits.Month{Year: 2026, Month: time.December}

func at(day, hour int) time.Time {
	return time.Date(2026, time.December, day, hour, 0, 0, 0, visits.Shanghai)
}

func household(key string, residentID int64, cats ...population.Category) visits.Household {
	return visits.Household{Key: key, GridCode: "NY-01-01-01", Address: population.Address{Community: "桃园小区", Building: "1", Unit: "1", Room: key},
		Members: []visits.Member{{ResidentID: residentID, Name: "张三", Categories: cats}}}
}

func rec(key string, worker int64, kind visits.Kind, t time.Time) visits.Record {
	return visits.Record{WorkerID: worker, HouseholdKey: key, Kind: kind, VisitedAt: t}
}

func TestPlanNorms(t *testing.T) {
	t.Parallel()
	cfg := visits.DefaultConfig()
	hs := []visits.Household{
		household("h1", 1, population.ElderlyAlone), // weekly (and 五必访 monthly)
		household("h2", 2, population.Disabled),     // 五必访 monthly
		household("h3", 3, population.Unemployed),   // no norm: not on the register
		household("h4", 4, population.Subsistence),  // 特殊家庭 monthly
	}
	recs := []visits.Record{
		rec("h1", 7, visits.InPerson, at(2, 10)),  // week of 30 November
		rec("h1", 7, visits.InPerson, at(8, 10)),  // week of the 7th
		rec("h1", 7, visits.NotHome, at(15, 10)),  // week of the 14th: nobody home, not a visit
		rec("h1", 7, visits.Phone, at(22, 10)),    // week of the 21st
		rec("h2", 7, visits.NotHome, at(3, 9)),    // attempt only
		rec("h4", 8, visits.InPerson, at(2, 9)),   // visited by someone else: the household is done
		rec("h3", 7, visits.InPerson, at(4, 9)),   // not due, but counts towards the minimum
		rec("h3", 7, visits.Phone, at(4, 15)),     // the same day: not a second visit
		rec("h1", 7, visits.InPerson, at(31, 23)), // week of the 28th
	}
	now := at(31, 23).Add(time.Hour + time.Minute) // 1 January 00:01
	reg := cfg.Plan(dec, 7, now, hs, recs, nil)
	if len(reg.Households) != 3 {
		t.Fatalf("households = %d, want 3 (h1, h2, h4): %+v", len(reg.Households), reg.Households)
	}
	byKey := map[string]visits.Due{}
	for _, d := range reg.Households {
		byKey[d.Household.Key] = d
	}
	h1 := byKey["h1"]
	if h1.Every != visits.Weekly || h1.Required != 5 || h1.Done != 4 || !h1.Overdue || h1.NotHome != 1 {
		t.Errorf("h1 (elderly alone) = every %s, %d/%d done, overdue %v, not home %d; want week, 4/5, overdue, 1", h1.Every, h1.Done, h1.Required, h1.Overdue, h1.NotHome)
	}
	if want := at(20, 0); !h1.NextDue.Equal(want) {
		t.Errorf("h1 next due = %v, want %v (the missed week's Sunday)", h1.NextDue, want)
	}
	if strings.Join(h1.Norms, ",") != "五必访,独居老人每周探访" {
		t.Errorf("h1 norms = %v", h1.Norms)
	}
	h2 := byKey["h2"]
	if h2.Every != visits.Monthly || h2.Required != 1 || h2.Done != 0 || !h2.Overdue || h2.Last != nil {
		t.Errorf("h2 (disabled, only not at home) = %+v; want 0/1 overdue, no last visit", h2)
	}
	h4 := byKey["h4"]
	if h4.Done != 1 || h4.Overdue || !h4.NextDue.IsZero() || h4.Last == nil || h4.Last.WorkerID != 8 {
		t.Errorf("h4 (visited by another) = %+v; want done", h4)
	}
	if reg.Households[len(reg.Households)-1].Household.Key != "h4" {
		t.Errorf("order = %v; overdue first, done last", reg.Households)
	}
	if reg.Required != 7 || reg.Done != 5 || reg.Overdue != 2 {
		t.Errorf("totals required %d done %d overdue %d; want 7, 5, 2", reg.Required, reg.Done, reg.Overdue)
	}
	// The worker's own visits: h1 ×4 days, h3 once (two the same day); not
	// at home twice; h4 was someone else's.
	if reg.VisitsDone != 5 || reg.Visited != 2 || reg.NotHome != 2 || len(reg.Records) != 8 {
		t.Errorf("worker figures: done %d, households %d, not home %d, records %d; want 5, 2, 2, 8", reg.VisitsDone, reg.Visited, reg.NotHome, len(reg.Records))
	}
	if reg.VisitsDue() != 15 {
		t.Errorf("VisitsDue = %d, want the minimum 15", reg.VisitsDue())
	}
	cfg.HouseholdsPerMonth = 0
	if got := cfg.Plan(dec, 7, now, hs, recs, nil).VisitsDue(); got != 7 {
		t.Errorf("VisitsDue with no minimum = %d, want the norms' 7", got)
	}
}

func TestPlanMidMonthNotYetOverdue(t *testing.T) {
	t.Parallel()
	cfg := visits.DefaultConfig()
	if got := dec.Reach(); !got.Equal(time.Date(2027, time.January, 4, 0, 0, 0, 0, visits.Shanghai)) {
		t.Errorf("Reach = %v, want the end of the week of 28 December", got)
	}
	hs := []visits.Household{household("h2", 2, population.Floating)}
	reg := cfg.Plan(dec, 7, at(10, 9), hs, nil, nil)
	d := reg.Households[0]
	if d.Overdue || !d.NextDue.Equal(at(31, 0)) {
		t.Errorf("monthly on the 10th: overdue %v next %v; want not overdue, due by the 31st", d.Overdue, d.NextDue)
	}
}

func TestPlanSlots(t *testing.T) {
	t.Parallel()
	cfg := visits.DefaultConfig()
	hs := []visits.Household{household("h3", 3), household("h5", 5)}
	open := visits.Slot{ID: 1, WorkerID: 7, ResidentID: 3, Start: at(9, 9), End: at(9, 10)}
	closed := visits.Slot{ID: 2, WorkerID: 7, ResidentID: 5, Start: at(9, 14), End: at(9, 15), RecordID: 9}
	reg := cfg.Plan(dec, 7, at(12, 0), hs, nil, []visits.Slot{open, closed})
	if len(reg.Households) != 2 || reg.Overdue != 1 || reg.Required != 0 {
		t.Fatalf("register with slots = %+v; want both households, one overdue, nothing required by norm", reg)
	}
	if !reg.Households[0].Overdue || reg.Households[0].Slots[0].ID != 1 {
		t.Errorf("the open slot past its time should come first, overdue: %+v", reg.Households[0])
	}
	late := cfg.Overdue(at(12, 0), hs, nil, []visits.Slot{open, closed})
	if len(late) != 1 || late[0].Slot == nil || late[0].Slot.ID != 1 || !late[0].Since.Equal(open.End) {
		t.Errorf("Overdue = %+v; want the open slot", late)
	}
}

func TestOverdueAt(t *testing.T) {
	t.Parallel()
	cfg := visits.DefaultConfig()
	hs := []visits.Household{
		household("h1", 1, population.ElderlyAlone), // weekly
		household("h2", 2, population.NewResident),  // monthly
		household("h3", 3, population.Disabled),     // monthly, caught up this month
	}
	now := at(16, 12) // Wednesday; last week is 7–13 December
	recs := []visits.Record{
		rec("h1", 7, visits.InPerson, at(5, 9)), // the week before last: late
		rec("h1", 7, visits.NotHome, at(15, 9)), // not at home does not help
		rec("h2", 7, visits.Phone, at(1, 9)),    // December: November was missed, but caught up since
		rec("h3", 7, visits.InPerson, time.Date(2026, 11, 20, 9, 0, 0, 0, visits.Shanghai)),
	}
	late := cfg.Overdue(now, hs, recs, nil)
	if len(late) != 1 || late[0].Household.Key != "h1" || !late[0].Since.Equal(at(14, 0)) || late[0].Last == nil {
		t.Fatalf("Overdue = %+v; want h1 since 14 December", late)
	}
}

func TestKinds(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]visits.Kind{"in_person": visits.InPerson, " 电话回访 ": visits.Phone, "未遇": visits.NotHome} {
		if got, err := visits.ParseKind(in); err != nil || got != want {
			t.Errorf("ParseKind(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	_, err := visits.ParseKind("walk")
	if !errors.Is(err, fault.ErrInvalid) {
		t.Fatalf("ParseKind(walk) = %v, want ErrInvalid", err)
	}
	if zh, _ := fault.Explain(err, fault.Chinese); !strings.Contains(zh, "入户走访") {
		t.Errorf("Chinese refusal %q does not list the kinds", zh)
	}
	if visits.NotHome.Counts() || !visits.Phone.Counts() || !visits.InPerson.Counts() {
		t.Error("only in person and phone count towards the norms")
	}
}

func TestRecordCheck(t *testing.T) {
	t.Parallel()
	now := at(16, 12)
	ok := visits.Record{WorkerID: 1, ResidentID: 2, Kind: visits.InPerson, VisitedAt: now.Add(-time.Hour), RecordedBy: "王芳"}
	if err := ok.Check(now); err != nil {
		t.Fatalf("a good record refused: %v", err)
	}
	cases := map[string]func(r *visits.Record){
		"kind":      func(r *visits.Record) { r.Kind = "walk" },
		"future":    func(r *visits.Record) { r.VisitedAt = now.Add(time.Hour) },
		"old":       func(r *visits.Record) { r.VisitedAt = now.AddDate(0, -2, 0) },
		"resident":  func(r *visits.Record) { r.ResidentID = 0 },
		"notes":     func(r *visits.Record) { r.Notes = strings.Repeat("好", visits.MaxNotes+1) },
		"photo":     func(r *visits.Record) { r.Photos = []visits.Photo{{Key: "../etc/passwd"}} },
		"thumbnail": func(r *visits.Record) { r.Photos = []visits.Photo{{Key: "media/ab/p.png", ThumbnailKey: "a b"}} },
		"by":        func(r *visits.Record) { r.RecordedBy = " " },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			r := ok
			mutate(&r)
			err := r.Check(now)
			if !errors.Is(err, fault.ErrInvalid) {
				t.Fatalf("Check = %v, want ErrInvalid", err)
			}
			zh, _ := fault.Explain(err, fault.Chinese)
			en, _ := fault.Explain(err, fault.English)
			if !strings.HasPrefix(zh, "走访未登记") || !strings.HasPrefix(en, "visit not recorded") {
				t.Errorf("refusal not bilingual: %q / %q", en, zh)
			}
		})
	}
}

func TestConfig(t *testing.T) {
	t.Parallel()
	if err := visits.DefaultConfig().Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	bad := visits.Config{HouseholdsPerMonth: -1, Norms: []visits.Norm{
		{Name: "a", Categories: []population.Category{"Bad Cat"}, Every: "day"},
		{Name: "a"},
	}}
	err := bad.Validate()
	for _, want := range []string{"households_per_month", "norms[0].categories", "norms[0].every", "norms[1].name", "norms[1].categories"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate = %v; want it to name %s", err, want)
		}
	}
}

func TestParseMonth(t *testing.T) {
	t.Parallel()
	if m, err := visits.ParseMonth("2026-12"); err != nil || m != dec || m.String() != "2026-12" {
		t.Errorf("ParseMonth = %v, %v", m, err)
	}
	for _, s := range []string{"", "2026", "2026-13", "26-12", "2026-1x"} {
		if _, err := visits.ParseMonth(s); !errors.Is(err, fault.ErrInvalid) {
			t.Errorf("ParseMonth(%q) = %v, want ErrInvalid", s, err)
		}
	}
}
