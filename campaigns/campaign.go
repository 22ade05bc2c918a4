package campaigns

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/segments"
)

// Kind is what a campaign announces. Each kind maps to the population.Topic a
// resident opts out of (退订) to stop hearing about it.
type Kind string

// The campaign kinds.
const (
	KindPolicyNotice   Kind = "policy_notice"   // 政策宣传 → population.TopicPolicy
	KindJobPosting     Kind = "job_posting"     // 招聘信息 → population.TopicJob
	KindTrainingNotice Kind = "training_notice" // 培训通知 → population.TopicTraining
	KindVisitSchedule  Kind = "visit_schedule"  // 走访预约 → population.TopicVisit
)

var kinds = []struct {
	kind  Kind
	label string
	topic population.Topic
}{
	{KindPolicyNotice, "政策宣传", population.TopicPolicy},
	{KindJobPosting, "招聘信息", population.TopicJob},
	{KindTrainingNotice, "培训通知", population.TopicTraining},
	{KindVisitSchedule, "走访预约", population.TopicVisit},
}

// ParseKind accepts a kind's identifier or its Chinese label (招聘信息).
func ParseKind(s string) (Kind, error) {
	for _, k := range kinds {
		if s == string(k.kind) || s == k.label {
			return k.kind, nil
		}
	}
	return "", fmt.Errorf("campaigns: kind %q: want policy_notice, job_posting, training_notice or visit_schedule", s)
}

// Topic is the opt-out topic of k, or "" for an unknown kind.
func (k Kind) Topic() population.Topic {
	for _, x := range kinds {
		if x.kind == k {
			return x.topic
		}
	}
	return ""
}

// Label is the Chinese name of k for screens (招聘信息), or k itself when
// unknown.
func (k Kind) Label() string {
	for _, x := range kinds {
		if x.kind == k {
			return x.label
		}
	}
	return string(k)
}

// ChannelPolicy says which channels a campaign may use.
type ChannelPolicy string

// The channel policies. The zero value "" means WeChatFirst.
const (
	// WeChatFirst sends a WeChat template message where the resident has
	// bound WeChat (and has not said they prefer SMS), SMS otherwise, and SMS
	// as the fallback when WeChat fails permanently.
	WeChatFirst ChannelPolicy = "wechat_first"
	SMSOnly     ChannelPolicy = "sms_only"    // never WeChat
	WeChatOnly  ChannelPolicy = "wechat_only" // never SMS; unbound residents are skipped (no_channel)
)

func (p ChannelPolicy) orDefault() ChannelPolicy {
	if p == "" {
		return WeChatFirst
	}
	return p
}

func (p ChannelPolicy) usesSMS() bool    { return p.orDefault() != WeChatOnly }
func (p ChannelPolicy) usesWeChat() bool { return p.orDefault() != SMSOnly }

// SMSContent is a campaign's Aliyun SMS: a registered signature, an approved
// template and a value for each template parameter.
type SMSContent struct {
	// SignName is the registered signature without brackets (网格通); Aliyun
	// prints it as 【网格通】. It must equal Policy.SignName.
	SignName string
	// TemplateCode is the approved template, e.g. SMS_154950909.
	TemplateCode string
	// Params maps each template parameter to a value template: a literal,
	// one or more variables such as "{{worker.name}}", or both mixed.
	Params map[string]string
}

// WeChatContent is a campaign's WeChat official-account template message.
type WeChatContent struct {
	TemplateID string // the template message's template_id
	URL        string // page opened from the message, for what does not fit; optional, http(s) only
	// Fields maps a template key (keyword1, thing1 …) to a value template.
	// WeChat shows only the keyword fields, each on one line cut to
	// WeChatFieldWidth characters (WeChatDisplay); first and remark are
	// sent but not shown, so the reply hint, the worker and a visit's slot
	// belong in keyword fields (Validate, Warnings).
	Fields map[string]string
}

// Campaign is one outreach campaign. Only a draft may be edited (see
// Editable); the store enforces that. A Campaign is a plain value: methods
// with a pointer receiver modify it and are not safe for concurrent use.
type Campaign struct {
	ID      int64
	Name    string // internal title, shown to staff only
	Kind    Kind   // what the campaign announces; decides the opt-out topic
	Segment string // a segment expression (see package segments), e.g. "segment:job_seekers"
	// Scope is where the campaign may reach: grid codes, each covering its
	// subtree, or access.All for the whole city. It is the owner's scope
	// when the campaign is made through the API (or part of it), and the
	// audience is Segment within it (Audience). Empty means access.All.
	Scope         []string
	ChannelPolicy ChannelPolicy // "" means WeChatFirst

	SMS    SMSContent
	WeChat WeChatContent
	// Text is the plain body for WeChat customer-service messages, which
	// reach a resident who wrote to the account in the last 48 hours. It
	// may hold variables. Optional: the template message is always there.
	Text string

	// ScheduleAt is when the campaign (or, if recurring, its first run)
	// starts. A time in the past at scheduling means "now".
	ScheduleAt time.Time
	// ExpiresAt is required: messages not sent by then are skipped with
	// outbound.SkipExpired, never sent late. For a recurring campaign it ends the
	// series, and each run's messages also expire at the next run.
	ExpiresAt time.Time
	// Recurrence is a standard five-field cron spec (or @weekly and the
	// like), evaluated in Asia/Shanghai unless it starts with CRON_TZ=.
	// Empty means a one-off campaign.
	Recurrence string

	Owner          string    // the user who made it (maker); required
	ApprovedBy     string    // the checker; never the owner
	ApprovedAt     time.Time // when ApprovedBy approved
	ApprovedDigest string    // Digest() at approval; an edit voids the approval
	State          State     // the zero value "" is StateDraft

	// ReplyOptions maps a reply keyword to its meaning, e.g. {"1": "报名",
	// "2": "咨询"} for 回复1报名. Keys are 1–4 letters or digits and may not
	// be an opt-out keyword (T, TD, R).
	ReplyOptions map[string]string
	// ExtendCode is the SMS extension code (扩展码) that routes uplink
	// replies back to this campaign: up to 4 digits, optional.
	ExtendCode string

	CreatedAt time.Time
	UpdatedAt time.Time
}

// Editable reports whether c may still be changed: only drafts are.
func (c Campaign) Editable() bool { return c.state() == StateDraft }

var (
	replyKeyRE   = regexp.MustCompile(`^[0-9A-Za-z]{1,4}$`)
	extendCodeRE = regexp.MustCompile(`^[0-9]{1,4}$`)
	reservedKeys = []string{"T", "TD", "R"}
)

// Validate checks everything about c that needs no provider template and no
// clock: required fields, content required by the channel policy, known
// variables and literal lengths in every value template, what WeChat will
// show of the template message (a keyword field at least; the reply hint,
// with reply options, and a visit's slot in keyword fields within the
// characters WeChat shows; no reply hint, opt-out hint, worker's name or
// slot that only first or remark carries, as WeChat no longer shows them),
// sensitive words in every text the resident reads, the segment's syntax,
// the recurrence, the expiry after the schedule, reply options and the
// extension code. It returns every problem joined with errors.Join, each
// prefixed by the field (sms.params[job], wechat.fields[remark], text …).
// What is allowed but likely a mistake is in Warnings.
func (c Campaign) Validate(pol Policy) error {
	var errs []error
	add := func(field string, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", field, err))
		}
	}
	req := func(field, v string) {
		if strings.TrimSpace(v) == "" {
			errs = append(errs, fmt.Errorf("%s: required", field))
		}
	}
	req("name", c.Name)
	req("owner", c.Owner)
	if c.Kind.Topic() == "" {
		errs = append(errs, fmt.Errorf("kind: %q: want policy_notice, job_posting, training_notice or visit_schedule", c.Kind))
	}
	if strings.TrimSpace(c.Segment) == "" {
		errs = append(errs, errors.New("segment: required"))
	} else if _, err := segments.Parse(c.Segment); err != nil {
		add("segment", err)
	}
	if err := access.Scope(c.Scope).Validate(); err != nil {
		add("scope", err)
	}
	cp := c.ChannelPolicy.orDefault()
	if cp != WeChatFirst && cp != SMSOnly && cp != WeChatOnly {
		errs = append(errs, fmt.Errorf("channel_policy: %q: want wechat_first, sms_only or wechat_only", c.ChannelPolicy))
	}

	// Content the policy needs.
	if cp.usesSMS() {
		why := " for channel policy " + string(cp)
		if c.SMS.SignName == "" {
			errs = append(errs, errors.New("sms.sign_name: required"+why))
		} else if got, want := trimSign(c.SMS.SignName), pol.signName(); got != want {
			errs = append(errs, fmt.Errorf("sms.sign_name: %q: every SMS must carry the registered signature 【%s】", c.SMS.SignName, want))
		}
		if c.SMS.TemplateCode == "" {
			errs = append(errs, errors.New("sms.template_code: required"+why))
		}
		if len(c.SMS.Params) == 0 {
			errs = append(errs, errors.New("sms.params: required"+why+" (at least the grid worker's name)"))
		}
	}
	if cp.usesWeChat() && c.WeChat.TemplateID == "" {
		errs = append(errs, fmt.Errorf("wechat.template_id: required for channel policy %s", cp))
	}
	if c.WeChat.URL != "" {
		if u, err := url.Parse(c.WeChat.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, fmt.Errorf("wechat.url: %q: want an absolute http(s) URL", c.WeChat.URL))
		}
	}

	// Value templates: known variables, lengths, {{slot}} only for visits.
	errs = append(errs, checkMapping("sms.params", c.SMS.Params, &c, MaxParamLen)...)
	errs = append(errs, checkMapping("wechat.fields", c.WeChat.Fields, &c, 0)...)
	if err := checkValue(c.Text, &c, 0); err != nil {
		add("text", err)
	}
	if c.Kind == KindVisitSchedule {
		if cp.usesSMS() && !mentions(c.SMS.Params, VarSlot) {
			errs = append(errs, errors.New("sms.params: a visit_schedule campaign must tell the resident the slot ({{slot}})"))
		}
	}
	// What a resident's phone shows of the WeChat template message (the
	// visit slot included).
	wxErrs, _ := c.checkWeChat()
	errs = append(errs, wxErrs...)

	// Sensitive words over every text a resident reads.
	for _, k := range sortedKeys(c.SMS.Params) {
		errs = append(errs, wordErrs(pol.Words, "sms.params["+k+"]", c.SMS.Params[k])...)
	}
	for _, k := range sortedKeys(c.WeChat.Fields) {
		errs = append(errs, wordErrs(pol.Words, "wechat.fields["+k+"]", c.WeChat.Fields[k])...)
	}
	errs = append(errs, wordErrs(pol.Words, "text", c.Text)...)
	for _, k := range sortedKeys(c.ReplyOptions) {
		errs = append(errs, wordErrs(pol.Words, "reply_options["+k+"]", c.ReplyOptions[k])...)
	}

	// Timing.
	if c.ScheduleAt.IsZero() {
		errs = append(errs, errors.New("schedule_at: required"))
	}
	if c.ExpiresAt.IsZero() {
		errs = append(errs, errors.New("expires_at: required, so that nothing is ever sent late"))
	} else if !c.ScheduleAt.IsZero() && !c.ExpiresAt.After(c.ScheduleAt) {
		errs = append(errs, fmt.Errorf("expires_at: %s must be after schedule_at %s",
			c.ExpiresAt.In(Shanghai()).Format(time.DateTime), c.ScheduleAt.In(Shanghai()).Format(time.DateTime)))
	}
	if c.Recurrence != "" {
		add("recurrence", checkRecurrence(c.Recurrence, c.ScheduleAt, pol.minRecurrence()))
	}

	// Replies and the extension code.
	for _, k := range sortedKeys(c.ReplyOptions) {
		switch {
		case !replyKeyRE.MatchString(k):
			errs = append(errs, fmt.Errorf("reply_options[%s]: key must be 1–4 letters or digits", k))
		case slices.Contains(reservedKeys, strings.ToUpper(k)):
			errs = append(errs, fmt.Errorf("reply_options[%s]: %s is an opt-out keyword", k, strings.ToUpper(k)))
		case strings.TrimSpace(c.ReplyOptions[k]) == "":
			errs = append(errs, fmt.Errorf("reply_options[%s]: meaning required", k))
		}
	}
	if c.ExtendCode != "" && !extendCodeRE.MatchString(c.ExtendCode) {
		errs = append(errs, fmt.Errorf("extend_code: %q: want 1–4 digits", c.ExtendCode))
	}
	return errors.Join(errs...)
}

func trimSign(s string) string {
	return strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(s), "【"), "】"))
}

func mentions(m map[string]string, variable string) bool {
	for _, v := range m {
		if strings.Contains(v, "{{"+variable+"}}") {
			return true
		}
	}
	return false
}

func wordErrs(f *WordFilter, field, text string) []error {
	var errs []error
	for _, h := range f.Find(text) {
		errs = append(errs, fmt.Errorf("%s: sensitive word %q at column %d", field, h.Word, h.Col))
	}
	return errs
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// recurrenceSamples is how many consecutive runs checkRecurrence compares
// to find the shortest gap; enough to see a weekday list or a monthly day.
const recurrenceSamples = 64

func parseRecurrence(spec string) (cron.Schedule, error) {
	s, err := cron.ParseStandard(spec)
	if err != nil {
		return nil, fmt.Errorf("%q: %w", spec, err)
	}
	return s, nil
}

func checkRecurrence(spec string, from time.Time, minGap time.Duration) error {
	s, err := parseRecurrence(spec)
	if err != nil {
		return err
	}
	if from.IsZero() {
		from = time.Date(2026, 1, 1, 0, 0, 0, 0, Shanghai())
	}
	prev := s.Next(from.In(Shanghai()))
	if prev.IsZero() {
		return fmt.Errorf("%q never fires", spec)
	}
	for range recurrenceSamples {
		next := s.Next(prev)
		if next.IsZero() {
			break
		}
		if gap := next.Sub(prev); gap < minGap {
			return fmt.Errorf("%q fires %s apart (%s then %s); the minimum is %s",
				spec, gap, prev.Format(time.DateTime), next.Format(time.DateTime), minGap)
		}
		prev = next
	}
	return nil
}

// NextRun returns the first run of a recurring campaign strictly after
// after, or the zero time when there is none before ExpiresAt or c does not
// recur (or its Recurrence does not parse).
func (c Campaign) NextRun(after time.Time) time.Time {
	if c.Recurrence == "" {
		return time.Time{}
	}
	s, err := parseRecurrence(c.Recurrence)
	if err != nil {
		return time.Time{}
	}
	if after.Before(c.ScheduleAt) {
		after = c.ScheduleAt.Add(-time.Nanosecond)
	}
	next := s.Next(after.In(Shanghai()))
	if next.IsZero() || (!c.ExpiresAt.IsZero() && !next.Before(c.ExpiresAt)) {
		return time.Time{}
	}
	return next
}

// Deadline is the instant from which a message of the run that started at
// runAt is expired: ExpiresAt for a one-off campaign, and the earlier of
// ExpiresAt and the next run for a recurring one (last week's digest is
// never sent alongside this week's).
func (c Campaign) Deadline(runAt time.Time) time.Time {
	d := c.ExpiresAt
	if next := c.NextRun(runAt); !next.IsZero() && (d.IsZero() || next.Before(d)) {
		d = next
	}
	return d
}

// CheckRecipient is the send-time screen of one resident for the run that
// started at runAt: outbound.SkipCancelled when c is cancelled, outbound.SkipExpired from its
// Deadline on, outbound.SkipMovedOut or outbound.SkipDeceased when the
// resident's record says so (asked for by status: in the segment),
// outbound.SkipOptedOut when the resident opted out of c's topic (or
// of everything), and "" when the message may go ahead. Channel, caps,
// duplicates and quiet hours are decided elsewhere (ChooseChannel,
// Caps.Check, the ledger, QuietHours.NextAllowed).
func (c Campaign) CheckRecipient(r population.Resident, runAt, now time.Time) outbound.SkipReason {
	switch {
	case c.state() == StateCancelled:
		return outbound.SkipCancelled
	case c.expiredAt(runAt, now):
		return outbound.SkipExpired
	case !r.Active():
		return outbound.SkipFor(r.Status)
	case r.OptedOut(c.Kind.Topic()):
		return outbound.SkipOptedOut
	}
	return outbound.SkipNone
}

func (c Campaign) expiredAt(runAt, now time.Time) bool {
	d := c.Deadline(runAt)
	return !d.IsZero() && !now.Before(d)
}

// Digest is a fingerprint of what an approver approves: kind, segment,
// channel policy, every content field, recurrence, reply options and
// extension code. The segment counts as the audience (the segment within
// the scope), so narrowing or widening the scope voids an approval while a
// whole-city campaign digests as it did before scopes. It leaves out the name, the owner and the schedule, so
// that moving a campaign keeps its approval while changing a word voids it.
func (c Campaign) Digest() string {
	b, err := json.Marshal(struct {
		Kind          Kind
		Segment       string
		ChannelPolicy ChannelPolicy
		SMS           SMSContent
		WeChat        WeChatContent
		Text          string
		Recurrence    string
		ReplyOptions  map[string]string
		ExtendCode    string
	}{c.Kind, c.Audience(), c.ChannelPolicy.orDefault(),
		SMSContent{c.SMS.SignName, c.SMS.TemplateCode, nilIfEmpty(c.SMS.Params)},
		WeChatContent{c.WeChat.TemplateID, c.WeChat.URL, nilIfEmpty(c.WeChat.Fields)},
		c.Text, c.Recurrence, nilIfEmpty(c.ReplyOptions), c.ExtendCode})
	if err != nil { // unreachable: every field marshals
		panic("campaigns: digest: " + err.Error())
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Audience is the segment expression the campaign sends to: Segment
// within Scope (see access.Scope.Within); Segment itself for the whole
// city or an empty Scope.
func (c Campaign) Audience() string {
	if len(c.Scope) == 0 {
		return c.Segment
	}
	expr, _ := access.Scope(c.Scope).Within(c.Segment) // ok: the scope is not empty
	return expr
}

// nilIfEmpty makes an empty map and a nil one digest alike: a store may
// load either.
func nilIfEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}
