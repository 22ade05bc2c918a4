package campaigns

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
)

// The variables a value template may use, written {{name}}. They render
// the clear values: the message goes to the resident in question.
const (
	VarResidentName         = "resident.name"          // 张三
	VarResidentSurnameTitle = "resident.surname_title" // 张先生 / 李女士; see SurnameTitle
	VarWorkerName           = "worker.name"            // the grid worker's name; every SMS carries it
	VarWorkerPhone          = "worker.phone"           // the grid worker's mobile number, for verification
	VarGridName             = "grid.name"              // the resident's grid, e.g. 桃源社区第三网格
	VarSlot                 = "slot"                   // the visit slot, 3月16日(周一) 14:00; visit_schedule only
	VarCampaignName         = "campaign.name"          // the campaign's Name
	VarReplyHint            = "reply_hint"             // 回复1报名，回复2咨询, from ReplyOptions
)

var variables = []string{
	VarResidentName, VarResidentSurnameTitle, VarWorkerName, VarWorkerPhone,
	VarGridName, VarSlot, VarCampaignName, VarReplyHint,
}

// Variables returns the names of every variable a value template may use.
func Variables() []string { return slices.Clone(variables) }

// MaxParamLen is Aliyun SMS's limit on one template variable's value, in
// characters, for notification templates (验证码 templates allow fewer;
// GridCast sends none).
const MaxParamLen = 35

// Rendering errors; test with errors.Is.
var (
	ErrUnknownVariable = errors.New("campaigns: unknown variable")
	ErrMissingValue    = errors.New("campaigns: variable has no value")
	ErrParamTooLong    = errors.New("campaigns: value too long")
)

// Vars is what a value template is rendered against for one message.
//
// Rendering uses the clear names and phone number; Vars itself prints and
// logs masked (String, GoString, Format and LogValue show ids, masked
// names and the slot, never the address, phone numbers or openids).
type Vars struct {
	Resident population.Resident
	Worker   population.Worker // the grid worker of the resident's grid
	GridName string
	Slot     time.Time // the visit slot; zero outside visit campaigns
	Campaign Campaign
	Location *time.Location // for {{slot}}; nil means Asia/Shanghai
}

// String is a masked summary of v, safe for logs.
func (v Vars) String() string {
	slot := "-"
	if !v.Slot.IsZero() {
		slot = v.Slot.In(locOr(v.Location)).Format(time.DateTime)
	}
	return fmt.Sprintf("campaigns.Vars{resident:%d %s worker:%d %s grid:%q slot:%s campaign:%d}",
		v.Resident.ID, v.Resident.Name.Masked(), v.Worker.ID, v.Worker.Name.Masked(), v.GridName, slot, v.Campaign.ID)
}

// GoString is String: %#v must not print the clear fields either.
func (v Vars) GoString() string { return v.String() }

// Format writes String for every verb, so that no verb (%d, %x…) reaches
// the clear fields.
func (v Vars) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(v.String())) }

// LogValue is a masked group: resident_id, resident_name, worker_id,
// worker_name, grid_name, slot, campaign_id.
func (v Vars) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.Int64("resident_id", v.Resident.ID),
		slog.String("resident_name", v.Resident.Name.Masked()),
		slog.Int64("worker_id", v.Worker.ID),
		slog.String("worker_name", v.Worker.Name.Masked()),
		slog.String("grid_name", v.GridName),
	}
	if !v.Slot.IsZero() {
		attrs = append(attrs, slog.Time("slot", v.Slot))
	}
	attrs = append(attrs, slog.Int64("campaign_id", v.Campaign.ID))
	return slog.GroupValue(attrs...)
}

func (v Vars) lookup(name string) (string, error) {
	var s string
	switch name {
	case VarResidentName:
		s = string(v.Resident.Name)
	case VarResidentSurnameTitle:
		s = SurnameTitle(v.Resident.Name, v.Resident.Gender)
	case VarWorkerName:
		s = string(v.Worker.Name)
	case VarWorkerPhone:
		s = string(v.Worker.Phone)
	case VarGridName:
		s = v.GridName
	case VarSlot:
		if !v.Slot.IsZero() {
			s = formatSlot(v.Slot, locOr(v.Location))
		}
	case VarCampaignName:
		s = v.Campaign.Name
	case VarReplyHint:
		s = ReplyHint(v.Campaign.ReplyOptions)
	default:
		return "", fmt.Errorf("{{%s}}: %w", name, ErrUnknownVariable)
	}
	if strings.TrimSpace(s) == "" {
		return "", fmt.Errorf("{{%s}}: %w", name, ErrMissingValue)
	}
	return s, nil
}

var weekdays = [...]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}

// formatSlot writes a slot as residents read it: 3月16日(周一) 14:00.
func formatSlot(t time.Time, loc *time.Location) string {
	t = t.In(loc)
	return fmt.Sprintf("%d月%d日(%s) %02d:%02d", t.Month(), t.Day(), weekdays[t.Weekday()], t.Hour(), t.Minute())
}

// compoundSurnames are the two-character family names common enough to
// matter; a name of three or more characters starting with one keeps both.
var compoundSurnames = []string{
	"欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙",
	"宇文", "司徒", "夏侯", "轩辕", "令狐", "端木", "独孤", "南宫", "西门", "呼延",
	"澹台", "万俟", "闻人", "赫连", "申屠", "拓跋", "百里", "钟离", "太史", "司空",
}

// SurnameTitle is the polite form of address: family name and 先生 (male)
// or 女士 (female), e.g. 张先生, 欧阳女士. When the gender is unknown, or the
// name is not written in Han characters alone (阿依古丽·买买提, Smith), it
// is the full name; an empty name gives 居民.
func SurnameTitle(name pii.Name, g population.Gender) string {
	n := strings.TrimSpace(string(name))
	if n == "" {
		return "居民"
	}
	title := map[population.Gender]string{population.Male: "先生", population.Female: "女士"}[g]
	if title == "" {
		return n
	}
	for _, r := range n {
		if !unicode.Is(unicode.Han, r) {
			return n
		}
	}
	surname := string([]rune(n)[:1])
	if utf8.RuneCountInString(n) >= 3 {
		for _, c := range compoundSurnames {
			if strings.HasPrefix(n, c) {
				surname = c
			}
		}
	}
	return surname + title
}

// ReplyHint renders reply options as 回复1报名，回复2咨询, keys in natural
// order (2 before 10). It is "" when there are none.
func ReplyHint(opts map[string]string) string {
	keys := sortedKeys(opts)
	slices.SortStableFunc(keys, func(a, b string) int { return len(a) - len(b) })
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, "回复"+k+opts[k])
	}
	return strings.Join(parts, "，")
}

// expand replaces every {{name}} in s with lookup(name). An unclosed {{ is
// an error.
func expand(s string, lookup func(string) (string, error)) (string, error) {
	if !strings.Contains(s, "{{") {
		return s, nil
	}
	var b strings.Builder
	var errs []error
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			b.WriteString(s)
			break
		}
		j := strings.Index(s[i+2:], "}}")
		if j < 0 {
			return "", fmt.Errorf("unclosed {{ in %q", s)
		}
		b.WriteString(s[:i])
		v, err := lookup(strings.TrimSpace(s[i+2 : i+2+j]))
		if err != nil {
			errs = append(errs, err)
		}
		b.WriteString(v)
		s = s[i+2+j+2:]
	}
	return b.String(), errors.Join(errs...)
}

// checkValue validates one value template without a resident: every
// variable known, {{slot}} only in a visit campaign, {{reply_hint}} only
// with reply options, and (when limit > 0) the text known in advance —
// literals, the campaign's name and reply hint — within limit characters.
// c may be nil when there is no campaign to check against.
func checkValue(s string, c *Campaign, limit int) error {
	out, err := expand(s, func(name string) (string, error) {
		if !slices.Contains(variables, name) {
			return "", fmt.Errorf("{{%s}}: %w (known: %s)", name, ErrUnknownVariable, strings.Join(variables, ", "))
		}
		if c == nil {
			return "", nil
		}
		switch name {
		case VarSlot:
			if c.Kind != KindVisitSchedule {
				return "", fmt.Errorf("{{slot}} is only for visit_schedule campaigns")
			}
		case VarCampaignName:
			return c.Name, nil
		case VarReplyHint:
			if len(c.ReplyOptions) == 0 {
				return "", fmt.Errorf("{{reply_hint}} needs reply_options")
			}
			return ReplyHint(c.ReplyOptions), nil
		}
		return "", nil
	})
	if err != nil {
		return err
	}
	if n := utf8.RuneCountInString(out); limit > 0 && n > limit {
		return fmt.Errorf("%w: at least %d characters before variables are filled in; the limit is %d", ErrParamTooLong, n, limit)
	}
	return nil
}

func checkMapping(field string, m map[string]string, c *Campaign, limit int) []error {
	var errs []error
	for _, k := range sortedKeys(m) {
		if strings.TrimSpace(m[k]) == "" {
			errs = append(errs, fmt.Errorf("%s[%s]: value required", field, k))
		} else if err := checkValue(m[k], c, limit); err != nil {
			errs = append(errs, fmt.Errorf("%s[%s]: %w", field, k, err))
		}
	}
	return errs
}

// ValidateParams checks an SMS parameter mapping before anything is sent:
// every value non-empty, every variable known (ErrUnknownVariable, naming
// it and listing the known ones), no unclosed {{, and no literal text over
// MaxParamLen (ErrParamTooLong). Campaign.Validate runs it too, with the
// campaign-specific rules.
func ValidateParams(mapping map[string]string) error {
	return errors.Join(checkMapping("params", mapping, nil, MaxParamLen)...)
}

func render(field string, mapping map[string]string, v Vars, limit int) (map[string]string, error) {
	out := make(map[string]string, len(mapping))
	var errs []error
	for _, k := range sortedKeys(mapping) {
		s, err := expand(mapping[k], v.lookup)
		if err == nil && limit > 0 {
			if n := utf8.RuneCountInString(s); n > limit {
				err = fmt.Errorf("%w: %d characters; the limit is %d", ErrParamTooLong, n, limit)
			}
		}
		if err == nil && strings.TrimSpace(s) == "" {
			err = fmt.Errorf("renders empty: %w", ErrMissingValue)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s[%s]: %w", field, k, err))
			continue
		}
		out[k] = s
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// RenderParams renders an SMS parameter mapping for one resident: each
// {{variable}} is replaced by its clear value from v. It fails, naming the
// parameter, when a variable is unknown (ErrUnknownVariable), has no value
// or the parameter renders empty (ErrMissingValue, e.g. {{slot}} without a
// slot), or a value exceeds MaxParamLen (ErrParamTooLong). The result
// holds personal data in clear: do not log it.
func RenderParams(mapping map[string]string, v Vars) (map[string]string, error) {
	return render("params", mapping, v, MaxParamLen)
}

// RenderFields is RenderParams for WeChat template fields, which have no
// per-field length limit of Aliyun's kind.
func RenderFields(mapping map[string]string, v Vars) (map[string]string, error) {
	return render("fields", mapping, v, 0)
}

// RenderValue renders one value template, such as a campaign's Text, for
// one resident.
func RenderValue(s string, v Vars) (string, error) {
	return expand(s, v.lookup)
}
