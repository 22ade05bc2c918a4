package audit

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gridcast/gridcast/fault"
)

// Paging limits of a Filter.
const (
	// DefaultLimit is how many entries a Filter with Limit 0 returns.
	DefaultLimit = 100
	// MaxLimit is the most one page returns.
	MaxLimit = 1000
)

// Filter selects entries of the log. The zero value selects the first
// DefaultLimit entries. Conditions combine with AND.
type Filter struct {
	// Actor, when set, is the exact actor.
	Actor string
	// Action, when set, matches that action and every action under it:
	// "campaign" (or "campaign.") matches campaign.approve and
	// campaign.send, "campaign.send" only itself. Case does not matter
	// (actions are lowercase).
	Action string
	// Subject, when set, is the exact subject (campaign:12).
	Subject string
	// Since and Until bound At to [Since, Until); zero is unbounded.
	Since, Until time.Time
	// AfterSeq and BeforeSeq bound Seq to (AfterSeq, BeforeSeq); zero is
	// unbounded. Page forward with AfterSeq set to the last Seq of the
	// previous page.
	AfterSeq, BeforeSeq int64
	// Newest selects the newest Limit matching entries instead of the
	// oldest; page backwards with BeforeSeq set to the first Seq of the
	// previous page. Entries come back in Seq order either way.
	Newest bool
	// Limit is the most entries returned: 0 means DefaultLimit, at most
	// MaxLimit.
	Limit int
}

// Validate reports what makes f unusable, joined; the error wraps
// fault.ErrInvalid.
func (f Filter) Validate() error {
	var errs []error
	if f.Limit < 0 || f.Limit > MaxLimit {
		errs = append(errs, fmt.Errorf("limit %d: want 0 (the default, %d) to %d", f.Limit, DefaultLimit, MaxLimit))
	}
	if f.AfterSeq < 0 || f.BeforeSeq < 0 {
		errs = append(errs, errors.New("after and before: want a sequence number, 0 or more"))
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		errs = append(errs, errors.New("since must be before until"))
	}
	if err := errors.Join(errs...); err != nil {
		e := fault.Refuse(fault.ErrInvalid, "audit filter is not valid", "审计日志查询条件有误", err)
		e.Detail = true
		return e
	}
	return nil
}

// PageSize is the Limit to use: DefaultLimit for 0.
func (f Filter) PageSize() int {
	if f.Limit == 0 {
		return DefaultLimit
	}
	return f.Limit
}

// ActionPrefix is the action filter in lowercase without a trailing dot,
// and the prefix every action under it starts with ("campaign",
// "campaign."); both empty when the filter has no action.
func (f Filter) ActionPrefix() (exact, under string) {
	exact = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(f.Action)), ".")
	if exact == "" {
		return "", ""
	}
	return exact, exact + "."
}
