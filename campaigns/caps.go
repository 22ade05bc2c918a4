package campaigns

import "time"

// Caps are the frequency caps on messages to one resident. Days and weeks
// are calendar days and ISO weeks (Monday 00:00) in Location. The zero
// value uses the defaults. Caps is a value and safe for concurrent use.
type Caps struct {
	// PerDay caps messages per resident per day, across campaigns and
	// channels. Zero means DefaultPerDay; negative means no cap.
	PerDay int
	// PerWeek caps messages per resident per week, across campaigns and
	// channels. Zero means DefaultPerWeek; negative means no cap.
	PerWeek int
	// ProviderPerDay is Aliyun's cap per signature and template per number
	// per day (isv.BUSINESS_LIMIT_CONTROL); it applies to SMS only. Zero
	// means DefaultProviderPerDay; negative means no cap.
	ProviderPerDay int
	// Location decides where days and weeks begin. Nil means Asia/Shanghai.
	Location *time.Location
}

// Caps defaults.
const (
	DefaultPerDay         = 2
	DefaultPerWeek        = 5
	DefaultProviderPerDay = 50 // Aliyun's default for notifications
)

// CapReason names the cap a message ran into.
type CapReason string

// The cap reasons; the zero value CapNone means no cap was hit.
const (
	CapNone     CapReason = ""
	CapDaily    CapReason = "capped_daily"
	CapWeekly   CapReason = "capped_weekly"
	CapProvider CapReason = "capped_provider"
)

// CapDecision is the outcome of Caps.Check. When OK is false, RetryAt is
// the start of the window in which the message may go (the next day or
// week); the caller reschedules it there (after QuietHours.NextAllowed) if
// that is before the campaign's deadline, and skips it with outbound.SkipCapped
// otherwise.
type CapDecision struct {
	OK      bool
	Reason  CapReason
	RetryAt time.Time
}

func capOr(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// Windows returns the start of the day and of the week that contain now,
// the windows the counts given to Check must cover.
func (c Caps) Windows(now time.Time) (day, week time.Time) {
	loc := locOr(c.Location)
	y, m, d := now.In(loc).Date()
	day = time.Date(y, m, d, 0, 0, 0, 0, loc)
	back := (int(day.Weekday()) + 6) % 7 // days since Monday
	week = time.Date(y, m, d-back, 0, 0, 0, 0, loc)
	return day, week
}

// Check decides whether one more message may go to a resident who has had
// sentToday messages today and sentThisWeek this week (all campaigns, all
// channels), and sameTemplateToday SMS with this signature and template
// today (0 for WeChat). When several caps are hit, the one that holds the
// message longest wins: weekly, then daily, then provider.
func (c Caps) Check(now time.Time, sentToday, sentThisWeek, sameTemplateToday int) CapDecision {
	day, week := c.Windows(now)
	loc := locOr(c.Location)
	y, m, d := day.Date()
	tomorrow := time.Date(y, m, d+1, 0, 0, 0, 0, loc)
	wy, wm, wd := week.Date()
	nextWeek := time.Date(wy, wm, wd+7, 0, 0, 0, 0, loc)
	hit := func(limit, def, n int) bool {
		limit = capOr(limit, def)
		return limit >= 0 && n >= limit
	}
	switch {
	case hit(c.PerWeek, DefaultPerWeek, sentThisWeek):
		return CapDecision{Reason: CapWeekly, RetryAt: nextWeek}
	case hit(c.PerDay, DefaultPerDay, sentToday):
		return CapDecision{Reason: CapDaily, RetryAt: tomorrow}
	case hit(c.ProviderPerDay, DefaultProviderPerDay, sameTemplateToday):
		return CapDecision{Reason: CapProvider, RetryAt: tomorrow}
	}
	return CapDecision{OK: true}
}

// Active reports whether any cap applies: with every cap negative, counts
// need not be read.
func (c Caps) Active() bool {
	return capOr(c.PerDay, DefaultPerDay) >= 0 || capOr(c.PerWeek, DefaultPerWeek) >= 0 ||
		capOr(c.ProviderPerDay, DefaultProviderPerDay) >= 0
}
