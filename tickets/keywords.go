package tickets

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gridcast/gridcast/pii"
)

// Intent is what an inbound reply asks for. Every reply has exactly one;
// IntentQuestion is the catch-all that becomes a ticket.
type Intent string

// The intents Parse recognises.
const (
	IntentUnsubscribe     Intent = "unsubscribe"      // 退订: opt out of everything
	IntentConfirmVisit    Intent = "confirm_visit"    // yes to the proposed visit slot
	IntentRescheduleVisit Intent = "reschedule_visit" // move the proposed visit slot
	IntentRating          Intent = "rating"           // 1–5 for a resolved ticket
	IntentBindPhone       Intent = "bind_phone"       // a WeChat follower gives a mobile number
	IntentBindCode        Intent = "bind_code"        // the 6-digit code that completes binding
	IntentCampaignAnswer  Intent = "campaign_answer"  // one of the campaign's reply options
	// IntentAcknowledge is a bare 收到/谢谢/好的/👍 that answers nothing
	// pending. It is not in the list: without it every "谢谢" after
	// a resolved ticket would open (or reopen) a ticket. It is recorded on
	// the resident's ledger and creates no ticket.
	IntentAcknowledge Intent = "acknowledge"
	// IntentGreeting is a bare 你好/在吗 that opens a conversation: the
	// resident is invited to say what they need, and their next message
	// opens the ticket with the words that classify it.
	IntentGreeting Intent = "greeting"
	IntentQuestion Intent = "question" // anything else: becomes a ticket
)

// Context is what the resident was last asked, as the store knows it when
// the reply arrives. The zero value means "nothing pending": only
// unsubscribe keywords act, and everything else is a question.
type Context struct {
	// VisitProposed: a visit slot was proposed to the resident and is not
	// yet confirmed, moved or past.
	VisitProposed bool
	// AwaitingRating: a ticket of the resident's was resolved and not yet
	// rated.
	AwaitingRating bool
	// UnboundFollower: the message came over WeChat from a follower whose
	// openid is bound to no resident.
	UnboundFollower bool
	// BindingPending: a binding code was sent to this follower's phone and
	// has neither been used nor expired.
	BindingPending bool
	// ReplyOptions are the reply options of the campaign this message
	// answers (the uplink's extension code, or the campaign last sent on
	// this channel), e.g. {"1": "报名", "2": "咨询"}. Nil when the message
	// answers no campaign with options.
	ReplyOptions map[string]string
}

// Result is what Parse made of one reply.
type Result struct {
	Intent Intent
	// Text is the reply with surrounding spaces and punctuation trimmed and
	// full-width letters and digits folded, case kept: what a ticket shows.
	Text string
	// Keyword is the configured word that decided the intent (TD, 改期,
	// 满意, the option key "1"); empty for IntentQuestion and the
	// structural matches (phone, code, digits).
	Keyword string
	// Option and Meaning are the chosen reply option, for
	// IntentCampaignAnswer: "1" and "报名".
	Option, Meaning string
	// Rating is 1–5 for IntentRating, 0 otherwise.
	Rating int
	// Phone is the normalized mobile number, for IntentBindPhone.
	Phone pii.Phone
	// Code is the six digits, for IntentBindCode.
	Code string
}

// Keywords configures Parse. The zero value is usable: every nil field
// means its default. Matching ignores case, the width of Latin letters and
// digits, surrounding spaces and punctuation, and a trailing or leading
// courtesy word (谢谢). A Keywords is read-only once built and safe for
// concurrent use.
type Keywords struct {
	// Unsubscribe are the opt-out words. A word matches the whole reply; a
	// Chinese word of two or more characters also matches inside a reply of
	// at most ShortReply characters ("请不要再发了"). Nil means
	// DefaultUnsubscribe.
	Unsubscribe []string
	// Confirm accept a proposed visit; they match the whole reply only, so
	// that "不可以" is not "可以". Nil means DefaultConfirm.
	Confirm []string
	// Reschedule ask to move a proposed visit. A word matches the whole
	// reply, and a Chinese word of two or more characters also matches
	// anywhere in it ("这周不在家，能换个时间吗"), since such a reply usually
	// carries the time that suits. Nil means DefaultReschedule.
	Reschedule []string
	// Scale is how residents are asked to rate a resolved ticket and how
	// their answers are read: ThreeLevel (the default: 1 满意, 2 基本满意,
	// 3 不满意) or FivePoint (1–5, 5 best). Either way the rating is
	// stored on 1–5 (Satisfaction.Rating: 满意 5, 基本满意 3, 不满意 1).
	Scale RatingScale
	// Ratings maps words to a rating 1–5, on top of the scale's digits and
	// words and the explicit "5星"/"五星"/"5分". Nil means DefaultRatings
	// on the five-point scale and none beyond the scale's words on the
	// three-level one.
	Ratings map[string]int
	// Courtesy words are dropped from either end of a reply before
	// matching, so "好的，谢谢" confirms. Nil means DefaultCourtesy.
	Courtesy []string
	// Acknowledge are bare acknowledgements (收到, 谢谢) that answer
	// nothing pending; they match the whole reply only. A reply of nothing
	// but emoji or punctuation is an acknowledgement too. Nil means
	// DefaultAcknowledge.
	Acknowledge []string
	// Greeting are bare greetings (你好, 在吗) that only open a
	// conversation; they match the whole reply only. Nil means
	// DefaultGreeting.
	Greeting []string
	// ShortReply is the longest reply, in characters after trimming, in
	// which a Chinese unsubscribe word matches by containment. A longer
	// message that mentions 退订 is more likely a question about it and
	// goes to a grid worker, who can still opt the resident out. Zero means
	// DefaultShortReply; negative turns containment off.
	ShortReply int
}

// Keyword defaults.
var (
	// DefaultUnsubscribe are the opt-out words carriers and Aliyun treat as
	// unsubscribe (T, TD, R, N) and their Chinese forms.
	DefaultUnsubscribe = []string{"TD", "T", "TD退订", "退订", "取消订阅", "不要再发", "N", "R"}
	// DefaultConfirm accept a proposed visit.
	DefaultConfirm = []string{"1", "确认", "好的", "可以", "好", "行", "确定", "没问题", "OK"}
	// DefaultReschedule ask to move a proposed visit.
	DefaultReschedule = []string{"2", "改期", "换个时间", "换时间", "改时间", "改天"}
	// DefaultRatings map words to ratings on the five-point scale: 满意 5,
	// 基本满意 3 and 不满意 1 as the three levels are stored, and the usual
	// graded forms.
	DefaultRatings = map[string]int{
		"非常满意": 5, "很满意": 5, "满意": 5, "比较满意": 4, "基本满意": 3,
		"一般": 3, "不太满意": 2, "不满意": 1, "很不满意": 1, "非常不满意": 1,
	}
	// DefaultAcknowledge are replies that only acknowledge.
	DefaultAcknowledge = []string{"收到", "好的", "好", "嗯", "嗯嗯", "知道了", "明白", "了解", "OK", "谢谢", "谢谢您", "谢谢你", "多谢", "辛苦了", "thanks", "thank you"}
	// DefaultGreeting are replies that only open a conversation.
	DefaultGreeting = []string{"你好", "您好", "在吗", "在不在", "有人吗", "你好在吗", "您好在吗", "hello", "hi", "喂"}
	// DefaultCourtesy are dropped from either end of a reply.
	DefaultCourtesy = []string{"谢谢您", "谢谢你", "谢谢", "多谢", "麻烦了", "辛苦了", "您好", "你好"}
)

// DefaultShortReply is the default Keywords.ShortReply, in characters.
const DefaultShortReply = 10

// Parse reads a resident's reply with the default Keywords. See
// Keywords.Parse for the rules.
func Parse(text string, ctx Context) Result {
	return Keywords{}.Parse(text, ctx)
}

// Parse reads a resident's reply given what they were last asked. The first
// rule that matches decides, in this order:
//
//  1. Unsubscribe words, always and whatever else is pending: an opt-out
//     must never be read as anything else (carrier rules; campaigns forbid
//     T, TD and R as reply options).
//  2. Six digits while ctx.BindingPending: the binding code.
//  3. ctx.ReplyOptions: an option key ("1", case-insensitive), its meaning
//     ("报名"), or both ("1报名"). Options come before visit and rating
//     digits because the message answers the campaign that set them.
//  4. ctx.VisitProposed: Confirm words, then Reschedule words.
//  5. ctx.AwaitingRating: a lone digit 1–5, 一…五, "N星" or "N分", or a
//     Ratings word.
//  6. ctx.UnboundFollower: an 11-digit mainland mobile number (spaces,
//     dashes and +86 allowed), alone or with a short lead-in such as
//     "我的手机号是", starts binding.
//  7. Acknowledge words, or a reply of nothing but emoji and punctuation:
//     IntentAcknowledge (not a ticket); Greeting words: IntentGreeting
//     (not a ticket either: the next message is the question).
//  8. Anything else, the empty reply included, is IntentQuestion.
//
// Each rule only claims its own words, so with a visit proposed and a
// rating awaited, "1" confirms the visit while "5" and 满意 rate.
func (k Keywords) Parse(text string, ctx Context) Result {
	shown := trimEdges(foldWidth(text))
	res := Result{Intent: IntentQuestion, Text: shown}
	m := k.stripCourtesy(strings.ToLower(shown))
	compact := strings.Join(strings.Fields(m), "")

	if w, ok := k.unsubscribe(m); ok {
		res.Intent, res.Keyword = IntentUnsubscribe, w
		return res
	}
	if ctx.BindingPending && len(compact) == 6 && allDigits(compact) {
		res.Intent, res.Code = IntentBindCode, compact
		return res
	}
	if key, meaning, ok := matchOption(ctx.ReplyOptions, compact); ok {
		res.Intent, res.Keyword, res.Option, res.Meaning = IntentCampaignAnswer, key, key, meaning
		return res
	}
	if ctx.VisitProposed {
		if w, ok := matchWhole(k.orConfirm(), compact); ok {
			res.Intent, res.Keyword = IntentConfirmVisit, w
			return res
		}
		if w, ok := k.reschedule(compact); ok {
			res.Intent, res.Keyword = IntentRescheduleVisit, w
			return res
		}
	}
	if ctx.AwaitingRating {
		if n, w, ok := k.rating(compact); ok {
			res.Intent, res.Keyword, res.Rating = IntentRating, w, n
			return res
		}
	}
	if ctx.UnboundFollower {
		if p, ok := phoneIn(compact); ok {
			res.Intent, res.Phone = IntentBindPhone, p
			return res
		}
	}
	if w, ok := matchWhole(orDefault(k.Acknowledge, DefaultAcknowledge), compact); ok {
		res.Intent, res.Keyword = IntentAcknowledge, w
		return res
	}
	if w, ok := matchWhole(orDefault(k.Greeting, DefaultGreeting), compact); ok {
		res.Intent, res.Keyword = IntentGreeting, w
		return res
	}
	if compact == "" && strings.TrimSpace(text) != "" {
		res.Intent = IntentAcknowledge
	}
	return res
}

// Validate reports every problem with k's configuration: blank words, a
// word both in Confirm and Reschedule, ratings outside 1–5.
func (k Keywords) Validate() error {
	var errs []error
	blank := func(field string, words []string) {
		for i, w := range words {
			if strings.TrimSpace(w) == "" {
				errs = append(errs, fmt.Errorf("keywords.%s[%d]: blank word", field, i))
			}
		}
	}
	blank("unsubscribe", k.Unsubscribe)
	blank("confirm", k.Confirm)
	blank("reschedule", k.Reschedule)
	blank("courtesy", k.Courtesy)
	blank("acknowledge", k.Acknowledge)
	blank("greeting", k.Greeting)
	for _, c := range k.orConfirm() {
		if slices.ContainsFunc(k.orReschedule(), func(r string) bool { return normWord(r) == normWord(c) }) {
			errs = append(errs, fmt.Errorf("keywords: %q is both a confirm and a reschedule word", c))
		}
	}
	for _, w := range sortedWords(k.Ratings) {
		if n := k.Ratings[w]; n < 1 || n > 5 {
			errs = append(errs, fmt.Errorf("keywords.ratings[%s]: %d: want 1–5", w, n))
		}
		if strings.TrimSpace(w) == "" {
			errs = append(errs, errors.New("keywords.ratings: blank word"))
		}
	}
	if err := k.Scale.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (k Keywords) orConfirm() []string     { return orDefault(k.Confirm, DefaultConfirm) }
func (k Keywords) orReschedule() []string  { return orDefault(k.Reschedule, DefaultReschedule) }
func (k Keywords) orUnsubscribe() []string { return orDefault(k.Unsubscribe, DefaultUnsubscribe) }

func (k Keywords) orRatings() map[string]int {
	if k.Ratings == nil {
		return DefaultRatings
	}
	return k.Ratings
}

func (k Keywords) shortReply() int {
	if k.ShortReply == 0 {
		return DefaultShortReply
	}
	return k.ShortReply
}

func orDefault(words, def []string) []string {
	if words == nil {
		return def
	}
	return words
}

func (k Keywords) unsubscribe(m string) (string, bool) {
	compact := strings.Join(strings.Fields(m), "")
	if w, ok := matchWhole(k.orUnsubscribe(), compact); ok {
		return w, true
	}
	if n := utf8.RuneCountInString(compact); n > k.shortReply() {
		return "", false
	}
	return matchInside(k.orUnsubscribe(), compact)
}

func (k Keywords) reschedule(compact string) (string, bool) {
	if w, ok := matchWhole(k.orReschedule(), compact); ok {
		return w, true
	}
	return matchInside(k.orReschedule(), compact)
}

var numerals = map[string]int{"1": 1, "2": 2, "3": 3, "4": 4, "5": 5, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}

func (k Keywords) rating(compact string) (int, string, bool) {
	if k.Scale.orDefault() == FivePoint {
		return k.fivePoint(compact, true)
	}
	for _, w := range sortedWords(k.Ratings) {
		if normWord(w) == compact {
			return k.Ratings[w], w, true
		}
	}
	if l, err := ThreeLevel.Parse(compact); err == nil {
		if _, digit := numerals[compact]; digit {
			return l.Rating(), "", true
		}
		return l.Rating(), compact, true
	}
	// "5分", "四颗星": a resident who rates out of five anyway is read on
	// that scale; a bare 4 or 5 is not, since 1–3 mean levels here.
	if _, bare := numerals[compact]; !bare {
		return k.fivePoint(compact, false)
	}
	return 0, "", false
}

// fivePoint reads compact on the five-point scale: a numeral with 星, 颗星
// or 分 (or bare, when bare), or a Ratings word.
func (k Keywords) fivePoint(compact string, bare bool) (int, string, bool) {
	for _, suffix := range []string{"星", "颗星", "分", ""} {
		if suffix == "" && !bare {
			continue
		}
		if n, ok := numerals[strings.TrimSuffix(compact, suffix)]; ok && (suffix == "" || strings.HasSuffix(compact, suffix)) {
			if n == 2 && compact == "两" {
				continue // 两 alone is not a rating
			}
			return n, "", true
		}
	}
	ratings := k.orRatings()
	for _, w := range sortedWords(ratings) {
		if normWord(w) == compact {
			return ratings[w], w, true
		}
	}
	return 0, "", false
}

// stripCourtesy drops courtesy words, and the punctuation and spaces around
// them, from both ends of m until none is left.
func (k Keywords) stripCourtesy(m string) string {
	words := orDefault(k.Courtesy, DefaultCourtesy)
	for changed := true; changed; {
		changed = false
		for _, w := range words {
			w = normWord(w)
			if w == "" || m == w {
				continue
			}
			if s, ok := strings.CutSuffix(m, w); ok {
				m, changed = trimEdges(s), true
			}
			if s, ok := strings.CutPrefix(m, w); ok {
				m, changed = trimEdges(s), true
			}
		}
	}
	return m
}

func matchOption(opts map[string]string, compact string) (key, meaning string, ok bool) {
	if len(opts) == 0 || compact == "" {
		return "", "", false
	}
	keys := sortedWords(opts)
	for _, k := range keys {
		if normWord(k) == compact {
			return k, opts[k], true
		}
	}
	for _, k := range keys {
		mean := normWord(opts[k])
		if mean != "" && (compact == mean || compact == normWord(k)+mean) {
			return k, opts[k], true
		}
	}
	return "", "", false
}

func matchWhole(words []string, compact string) (string, bool) {
	for _, w := range words {
		if nw := normWord(w); nw != "" && nw == compact {
			return w, true
		}
	}
	return "", false
}

// matchInside finds a word of two or more Chinese characters inside compact.
func matchInside(words []string, compact string) (string, bool) {
	for _, w := range words {
		if nw := normWord(w); utf8.RuneCountInString(nw) >= 2 && hasHan(nw) && strings.Contains(compact, nw) {
			return w, true
		}
	}
	return "", false
}

// normWord is a configured word in the form replies are matched in.
func normWord(w string) string {
	return strings.Join(strings.Fields(strings.ToLower(trimEdges(foldWidth(w)))), "")
}

// foldWidth maps full-width letters, digits and plus (ＴＤ１２３＋) to ASCII
// and the ideographic space to a space. Chinese punctuation (，。！) is kept
// as written: it is trimmed or ignored where it matters.
func foldWidth(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '０' && r <= '９', r >= 'Ａ' && r <= 'Ｚ', r >= 'ａ' && r <= 'ｚ', r == '＋':
			return r - 0xFEE0
		case r == 0x3000:
			return ' '
		}
		return r
	}, s)
}

// trimEdges drops spaces, punctuation and symbols (emoji included) from
// both ends, except a leading '+' that may start a phone number.
func trimEdges(s string) string {
	s = strings.TrimRightFunc(s, edge)
	return strings.TrimLeftFunc(s, func(r rune) bool { return r != '+' && edge(r) })
}

func edge(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) ||
		unicode.Is(unicode.Variation_Selector, r) || r == '\u200d'
}

func hasHan(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) })
}

func allDigits(s string) bool {
	return s != "" && !strings.ContainsFunc(s, func(r rune) bool { return r < '0' || r > '9' })
}

func sortedWords[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// mobileRE finds a mainland mobile number in a compacted reply.
var mobileRE = regexp.MustCompile(`(?:\+?86)?1[3-9]\d{9}`)

// maxLeadIn is how many other characters a reply giving a phone number may
// hold ("我的手机号码是", "电话：") and still be read as that number.
const maxLeadIn = 8

// phoneIn returns the one mobile number in compact if the rest of the
// reply is a short lead-in; a longer message that quotes a number is a
// question for a person.
func phoneIn(compact string) (pii.Phone, bool) {
	compact = strings.NewReplacer("-", "", "—", "").Replace(compact)
	locs := mobileRE.FindAllStringIndex(compact, 2)
	if len(locs) != 1 {
		return "", false
	}
	rest := compact[:locs[0][0]] + compact[locs[0][1]:]
	if utf8.RuneCountInString(rest) > maxLeadIn || strings.ContainsFunc(rest, unicode.IsDigit) {
		return "", false
	}
	p := pii.NormalizePhone(compact[locs[0][0]:locs[0][1]])
	return p, p.Validate() == nil
}
