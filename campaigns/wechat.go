package campaigns

import (
	"cmp"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// WeChat has shown template messages differently since 2023-05-04: the
// first line (first) and the footer (remark) are no longer shown, emoji
// are dropped, and each middle (keyword) field is one line of at most
// WeChatFieldWidth characters, cut with an ellipsis. WeChat still accepts
// whatever is sent; it is the resident who never reads it. This file
// predicts what a phone shows, and Campaign.Validate and Warnings hold the
// campaign's WeChat fields to it.

// WeChatFieldWidth is how many characters of a template message's keyword
// field WeChat shows; the rest is cut and an ellipsis (…) shown instead. A
// run of ASCII letters or digits counts as one character (see WeChatUnits).
const WeChatFieldWidth = 20

// WeChatHidden reports whether WeChat hides the template field key: first
// and remark, not shown since 2023-05-04.
func WeChatHidden(key string) bool { return key == "first" || key == "remark" }

// WeChatUnits cuts s into the characters WeChat counts for a keyword
// field's width: a run of ASCII letters or digits is one character, every
// other rune one. Emoji (and the joiners and variation selectors that build
// them) are dropped, as WeChat drops them.
func WeChatUnits(s string) []string {
	var out []string
	run := -1 // index in out of the letter-or-digit run being extended
	for _, r := range s {
		switch {
		case isEmoji(r):
			continue
		case r < 0x80 && (r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z'):
			if run >= 0 {
				out[run] += string(r)
				continue
			}
			run = len(out)
		default:
			run = -1
		}
		out = append(out, string(r))
	}
	return out
}

// isEmoji reports whether WeChat drops r: pictographs, emoticons, dingbats,
// flags and the code points that combine them.
func isEmoji(r rune) bool {
	switch {
	case r >= 0x1F000 && r <= 0x1FAFF, // mahjong … symbols and pictographs extended-A, flags, skin tones
		r >= 0x2600 && r <= 0x27BF, // miscellaneous symbols, dingbats
		r >= 0x2B05 && r <= 0x2B07, r >= 0x2B1B && r <= 0x2B1C, r == 0x2B50, r == 0x2B55,
		r >= 0x231A && r <= 0x231B, r >= 0x23E9 && r <= 0x23FA, // watch, hourglass, clocks
		r == 0x200D, r == 0x20E3, r >= 0xFE00 && r <= 0xFE0F, // joiner, keycap, variation selectors
		r >= 0xE0020 && r <= 0xE007F: // tag characters
		return true
	}
	return false
}

var lineBreaks = regexp.MustCompile(`[\r\n\v\f\x{2028}\x{2029}]+`)

// WeChatField is one keyword field's value as a resident's phone shows it:
// emoji dropped, on one line (each line break becomes a space), and, past
// WeChatFieldWidth characters, cut with an ellipsis (…).
func WeChatField(value string) string {
	units := WeChatUnits(strings.TrimSpace(lineBreaks.ReplaceAllString(value, " ")))
	if len(units) <= WeChatFieldWidth {
		return strings.Join(units, "")
	}
	return strings.Join(units[:WeChatFieldWidth], "") + "…"
}

// WeChatDisplay is what a resident's phone shows of a template message
// with these fields: first and remark dropped, every other field as
// WeChatField shows it. With the template t, it is t's lines with the
// values in place ("岗位：青岛港机电招电工焊工…"), leaving out the lines
// that hold first or remark or no field at all; with a zero Template, it is
// the keyword fields' values in the order of their numbers (keyword2 before
// keyword10, thing1 before time2), empty ones left out. The result holds
// personal data in clear when the fields do.
func WeChatDisplay(t Template, fields map[string]string) []string {
	var out []string
	if t.Content == "" {
		keys := make([]string, 0, len(fields))
		for k, v := range fields {
			if !WeChatHidden(k) && strings.TrimSpace(v) != "" {
				keys = append(keys, k)
			}
		}
		slices.SortFunc(keys, compareFieldKeys)
		for _, k := range keys {
			out = append(out, WeChatField(fields[k]))
		}
		return out
	}
	for _, line := range strings.Split(t.Content, "\n") {
		ms := paramRE.FindAllStringSubmatch(line, -1)
		if len(ms) == 0 || slices.ContainsFunc(ms, func(m []string) bool { return WeChatHidden(m[2]) }) {
			continue
		}
		line = paramRE.ReplaceAllStringFunc(line, func(m string) string {
			sub := paramRE.FindStringSubmatch(m)
			return WeChatField(fields[sub[1]+sub[2]])
		})
		out = append(out, strings.TrimSpace(line))
	}
	return out
}

var fieldNumberRE = regexp.MustCompile(`^(.*?)([0-9]+)$`)

// compareFieldKeys orders template keys by their trailing number (as
// WeChat's category templates number their fields: thing1, time2,
// phrase3), then by name; keys without a number come last.
func compareFieldKeys(a, b string) int {
	na, nb := fieldNumber(a), fieldNumber(b)
	switch {
	case na >= 0 && nb < 0:
		return -1
	case na < 0 && nb >= 0:
		return 1
	}
	return cmp.Or(cmp.Compare(na, nb), strings.Compare(a, b))
}

func fieldNumber(k string) int {
	m := fieldNumberRE.FindStringSubmatch(k)
	if m == nil {
		return -1
	}
	n, err := strconv.Atoi(m[2])
	if err != nil {
		return -1
	}
	return n
}

// What a WeChat field may carry that a resident must read.
type meaning int

const (
	meansReplyHint meaning = iota
	meansOptOut
	meansWorker
	meansSlot
	meaningCount
)

func (m meaning) String() string {
	return [...]string{"the reply hint", "the opt-out hint", "the grid worker's name", "the visit slot"}[m]
}

// A variable's stand-ins when a value template is checked without a
// resident: short is the fewest characters it plausibly renders to, made
// of a private-use rune so that a check can see whether the value survives
// WeChat's cut; long is a plausible longest value, for the width warning.
// The campaign's name and reply hint are known exactly.
var wechatSamples = map[string]struct {
	short rune
	n     int
	long  string
}{
	VarResidentName:         {0xE000, 2, "欧阳秀英"},
	VarResidentSurnameTitle: {0xE001, 2, "欧阳女士"},
	VarWorkerName:           {0xE002, 2, "欧阳秀英"},
	VarWorkerPhone:          {0xE003, 1, "13987654321"}, // a run of digits: one character
	VarGridName:             {0xE004, 4, "青年路街道嘉园社区第12网格"},
	VarSlot:                 {0xE005, 12, "12月31日(周四) 14:00"},
}

func shortSample(name string) string {
	s := wechatSamples[name]
	return strings.Repeat(string(s.short), s.n)
}

// sampleValue renders a value template of c with stand-ins: the shortest
// ones, or the longest plausible ones when long is set.
func (c Campaign) sampleValue(s string, long bool) (string, error) {
	return expand(s, func(name string) (string, error) {
		switch name {
		case VarCampaignName:
			return c.Name, nil
		case VarReplyHint:
			if len(c.ReplyOptions) == 0 {
				return "", ErrMissingValue
			}
			return ReplyHint(c.ReplyOptions), nil
		}
		if _, ok := wechatSamples[name]; !ok {
			return "", ErrUnknownVariable
		}
		if long {
			return wechatSamples[name].long, nil
		}
		return shortSample(name), nil
	})
}

// carries reports which meanings text holds in full: text is the value
// template v rendered with the short stand-ins (and perhaps cut). Where v
// has {{reply_hint}}, only the whole hint counts; a hint in v's own words
// counts when its keys show.
func (c Campaign) carries(v, text string) [meaningCount]bool {
	var got [meaningCount]bool
	folded := foldString(text)
	got[meansReplyHint] = len(c.ReplyOptions) > 0 && (strings.Contains(text, ReplyHint(c.ReplyOptions)) ||
		!strings.Contains(v, "{{"+VarReplyHint+"}}") && literalReplyHint(folded, c.ReplyOptions))
	got[meansOptOut] = strings.Contains(folded, "退订") || strings.Contains(folded, "拒收")
	got[meansWorker] = strings.Contains(text, shortSample(VarWorkerName))
	got[meansSlot] = strings.Contains(text, shortSample(VarSlot))
	return got
}

// literalReplyHint reports whether folded text tells how to reply in its
// own words: 回复 (or 回) and then every reply key, e.g. 回复1报名 2咨询.
func literalReplyHint(folded string, opts map[string]string) bool {
	i := strings.Index(folded, "回")
	if i < 0 {
		return false
	}
	rest := folded[i:]
	for k := range opts {
		if !strings.Contains(rest, foldString(k)) {
			return false
		}
	}
	return true
}

// checkWeChat holds c's WeChat fields to what WeChat shows. It refuses
// (errs) a mapping without keyword fields; a reply hint, opt-out hint,
// worker's name or visit slot that only first or remark carries, or that a
// keyword field carries past the characters WeChat shows; and a message
// that needs a reply hint (reply options) or a slot (a visit schedule) and
// shows none. It warns (warns) about text in first or remark, which nobody
// reads, about keyword fields that may render longer than WeChat shows,
// and about emoji and line breaks, which WeChat drops. A campaign that
// never uses WeChat gets neither.
func (c Campaign) checkWeChat() (errs []error, warns []string) {
	if !c.ChannelPolicy.orDefault().usesWeChat() {
		return nil, nil
	}
	var (
		keywords []string
		shown    [meaningCount][]string // keyword fields showing the meaning
		cut      [meaningCount][]string // keyword fields holding it past the cut
		hidden   [meaningCount][]string // first or remark holding it
		refused  = map[string]bool{}
	)
	for _, k := range sortedKeys(c.WeChat.Fields) {
		v := c.WeChat.Fields[k]
		if !WeChatHidden(k) {
			keywords = append(keywords, k)
		}
		text, err := c.sampleValue(v, false)
		if err != nil || strings.TrimSpace(v) == "" {
			continue // Validate reports it
		}
		all := c.carries(v, text)
		if WeChatHidden(k) {
			for m, ok := range all {
				if ok {
					hidden[m] = append(hidden[m], k)
				}
			}
			continue
		}
		vis := c.carries(v, WeChatField(text))
		for m, ok := range all {
			switch {
			case vis[m]:
				shown[m] = append(shown[m], k)
			case ok:
				cut[m] = append(cut[m], k)
			}
		}
	}
	field := func(k string) string { return "wechat.fields[" + k + "]" }
	if len(keywords) == 0 {
		errs = append(errs, errors.New("wechat.fields: no keyword field (keyword1…, thing1…): WeChat shows only those, never first or remark"))
	}
	lost := map[string][]meaning{}   // keyword field → meanings it cuts off and no field shows
	unseen := map[string][]meaning{} // first or remark → meanings no keyword field holds
	for m := range meaning(meaningCount) {
		switch {
		case len(shown[m]) > 0:
		case len(cut[m]) > 0:
			for _, k := range cut[m] {
				lost[k] = append(lost[k], m)
			}
		case len(hidden[m]) > 0:
			for _, k := range hidden[m] {
				unseen[k] = append(unseen[k], m)
			}
		case m == meansReplyHint && len(c.ReplyOptions) > 0:
			errs = append(errs, fmt.Errorf("wechat.fields: no keyword field tells the resident how to reply: put {{%s}} (%s) in one", VarReplyHint, ReplyHint(c.ReplyOptions)))
		case m == meansSlot && c.Kind == KindVisitSchedule:
			errs = append(errs, fmt.Errorf("wechat.fields: a visit_schedule campaign must tell the resident the slot ({{%s}}) in a keyword field", VarSlot))
		}
	}
	for _, k := range sortedKeys(c.WeChat.Fields) {
		if ms := lost[k]; len(ms) > 0 {
			errs = append(errs, fmt.Errorf("%s: %s would be cut off: WeChat shows the first %d characters of a field (a run of Latin letters or digits counts as one); put %s first or in a field of its own",
				field(k), listMeanings(ms), WeChatFieldWidth, pronoun(ms)))
			refused[k] = true
		}
		if ms := unseen[k]; len(ms) > 0 {
			verb := "is"
			if len(ms) > 1 {
				verb = "are"
			}
			errs = append(errs, fmt.Errorf("%s: %s %s only here, and WeChat has not shown %s since 2023-05-04: put %s in a keyword field",
				field(k), listMeanings(ms), verb, k, pronoun(ms)))
			refused[k] = true
		}
	}

	for _, k := range sortedKeys(c.WeChat.Fields) {
		v := c.WeChat.Fields[k]
		if refused[k] || strings.TrimSpace(v) == "" {
			continue
		}
		if WeChatHidden(k) {
			warns = append(warns, fmt.Sprintf("%s: WeChat has not shown %s since 2023-05-04: nobody reads this text", field(k), k))
			continue
		}
		if slices.ContainsFunc([]rune(v), isEmoji) {
			warns = append(warns, field(k)+": WeChat drops emoji")
		}
		if lineBreaks.MatchString(strings.TrimSpace(v)) {
			warns = append(warns, field(k)+": WeChat shows a field on one line: line breaks become spaces")
		}
		long, err := c.sampleValue(v, true)
		if err != nil {
			continue
		}
		if n := len(WeChatUnits(strings.TrimSpace(lineBreaks.ReplaceAllString(long, " ")))); n > WeChatFieldWidth {
			how := fmt.Sprintf("%d characters", n)
			for name := range wechatSamples {
				if strings.Contains(v, "{{"+name+"}}") {
					how = fmt.Sprintf("up to %d characters with long names filled in", n)
				}
			}
			warns = append(warns, fmt.Sprintf("%s: %s; WeChat shows %d (a run of Latin letters or digits counts as one) and cuts the rest: %q",
				field(k), how, WeChatFieldWidth, WeChatField(long)))
		}
	}
	return errs, warns
}

// listMeanings joins ms in words: "the reply hint and the opt-out hint".
func listMeanings(ms []meaning) string {
	words := make([]string, len(ms))
	for i, m := range ms {
		words[i] = m.String()
	}
	if len(words) == 1 {
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}

func pronoun(ms []meaning) string {
	if len(ms) > 1 {
		return "them"
	}
	return "it"
}

// Warnings are what is allowed in c but likely a mistake, each prefixed by
// the field like Validate's errors: text in a WeChat template's first or
// remark, which WeChat has not shown since 2023-05-04; a keyword field that
// may render longer than the WeChatFieldWidth characters WeChat shows
// (estimated with long names, as no resident is at hand); emoji and line
// breaks, which WeChat drops. Nil when there is nothing to say. Show them
// where a campaign is created or previewed.
func (c Campaign) Warnings() []string {
	_, warns := c.checkWeChat()
	return warns
}
