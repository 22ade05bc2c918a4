package tickets_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/tickets"
)

func TestParse(t *testing.T) {
	t.Parallel()
	var (
		none    = tickets.Context{}
		visit   = tickets.Context{VisitProposed: true}
		rating  = tickets.Context{AwaitingRating: true}
		both    = tickets.Context{VisitProposed: true, AwaitingRating: true}
		opts    = map[string]string{"1": "报名", "2": "咨询"}
		answer  = tickets.Context{ReplyOptions: opts, VisitProposed: true, AwaitingRating: true}
		unbound = tickets.Context{UnboundFollower: true}
		pending = tickets.Context{UnboundFollower: true, BindingPending: true}
	)
	q := func(text string) tickets.Result { return tickets.Result{Intent: tickets.IntentQuestion, Text: text} }
	unsub := func(text, kw string) tickets.Result {
		return tickets.Result{Intent: tickets.IntentUnsubscribe, Text: text, Keyword: kw}
	}
	tests := []struct {
		name string
		text string
		ctx  tickets.Context
		want tickets.Result
	}{
		// 1. Unsubscribe wins over everything.
		{"TD", "TD", none, unsub("TD", "TD")},
		{"td lower case", "td", none, unsub("td", "TD")},
		{"T alone", "T", none, unsub("T", "T")},
		{"full-width Ｔ with a full stop", "Ｔ。", none, unsub("T", "T")},
		{"full-width ＴＤ with spaces", "  ＴＤ  ", none, unsub("TD", "TD")},
		{"TD退订", "TD退订", none, unsub("TD退订", "TD退订")},
		{"退订 with exclamation marks", "退订！！", none, unsub("退订", "退订")},
		{"取消订阅", "取消订阅", none, unsub("取消订阅", "取消订阅")},
		{"N", "n", none, unsub("n", "N")},
		{"R", "R", none, unsub("R", "R")},
		{"请不要再发了 by containment", "请不要再发了", none, unsub("请不要再发了", "不要再发")},
		{"退订谢谢", "退订，谢谢", none, unsub("退订，谢谢", "退订")},
		{"T over a proposed visit", "T", visit, unsub("T", "T")},
		{"T over campaign options", "t", answer, unsub("t", "T")},
		{"Thanks is not T", "Thanks", none, tickets.Result{Intent: tickets.IntentAcknowledge, Text: "Thanks", Keyword: "thanks"}},
		{"Tom is not T", "Tom", none, q("Tom")},
		{"a long message about 退订 is a question", "我没有退订过，为什么收不到招聘信息了", none, q("我没有退订过，为什么收不到招聘信息了")},

		// 2. Binding code.
		{"six digits while binding", "482913", pending, tickets.Result{Intent: tickets.IntentBindCode, Text: "482913", Code: "482913"}},
		{"code with a space", "482 913", pending, tickets.Result{Intent: tickets.IntentBindCode, Text: "482 913", Code: "482913"}},
		{"full-width code", "４８２９１３", pending, tickets.Result{Intent: tickets.IntentBindCode, Text: "482913", Code: "482913"}},
		{"six digits with no binding pending", "482913", unbound, q("482913")},

		// 3. Campaign reply options come before visit and rating digits.
		{"option 1", "1", answer, tickets.Result{Intent: tickets.IntentCampaignAnswer, Text: "1", Keyword: "1", Option: "1", Meaning: "报名"}},
		{"option 2 full-width", "２", answer, tickets.Result{Intent: tickets.IntentCampaignAnswer, Text: "2", Keyword: "2", Option: "2", Meaning: "咨询"}},
		{"option by meaning", "报名", answer, tickets.Result{Intent: tickets.IntentCampaignAnswer, Text: "报名", Keyword: "1", Option: "1", Meaning: "报名"}},
		{"option key and meaning", "1 报名", answer, tickets.Result{Intent: tickets.IntentCampaignAnswer, Text: "1 报名", Keyword: "1", Option: "1", Meaning: "报名"}},
		{"letter option any case", "a", tickets.Context{ReplyOptions: map[string]string{"A": "参加"}},
			tickets.Result{Intent: tickets.IntentCampaignAnswer, Text: "a", Keyword: "A", Option: "A", Meaning: "参加"}},
		{"3 is no option: falls to rating (不满意)", "3", answer, tickets.Result{Intent: tickets.IntentRating, Text: "3", Rating: 1}},
		{"a sentence around the option is a question", "我想报名，怎么报", answer, q("我想报名，怎么报")},

		// 4. Visits.
		{"1 confirms", "1", visit, tickets.Result{Intent: tickets.IntentConfirmVisit, Text: "1", Keyword: "1"}},
		{"确认", "确认", visit, tickets.Result{Intent: tickets.IntentConfirmVisit, Text: "确认", Keyword: "确认"}},
		{"好的，谢谢", "好的，谢谢！", visit, tickets.Result{Intent: tickets.IntentConfirmVisit, Text: "好的，谢谢", Keyword: "好的"}},
		{"可以", "可以", visit, tickets.Result{Intent: tickets.IntentConfirmVisit, Text: "可以", Keyword: "可以"}},
		{"不可以 does not confirm", "不可以", visit, q("不可以")},
		{"2 reschedules", "2", visit, tickets.Result{Intent: tickets.IntentRescheduleVisit, Text: "2", Keyword: "2"}},
		{"改期", "改期", visit, tickets.Result{Intent: tickets.IntentRescheduleVisit, Text: "改期", Keyword: "改期"}},
		{"reschedule in a sentence", "这周不在家，能换个时间吗？下周六上午可以", visit,
			tickets.Result{Intent: tickets.IntentRescheduleVisit, Text: "这周不在家，能换个时间吗？下周六上午可以", Keyword: "换个时间"}},
		{"1 with both pending confirms the visit", "1", both, tickets.Result{Intent: tickets.IntentConfirmVisit, Text: "1", Keyword: "1"}},
		{"3 with both pending rates", "3", both, tickets.Result{Intent: tickets.IntentRating, Text: "3", Rating: 1}},
		{"1 with nothing pending is a question", "1", none, q("1")},

		// 5. Ratings.
		// On the default scale, 1 满意, 2 基本满意, 3 不满意, stored 5, 3, 1.
		{"lone 1", "1", rating, tickets.Result{Intent: tickets.IntentRating, Text: "1", Rating: 5}},
		{"lone 2", "2", rating, tickets.Result{Intent: tickets.IntentRating, Text: "2", Rating: 3}},
		{"二", "二", rating, tickets.Result{Intent: tickets.IntentRating, Text: "二", Rating: 3}},
		{"lone 4 is no level", "4", rating, q("4")},
		{"五 alone is no level", "五", rating, q("五")},
		{"基本满意", "基本满意", rating, tickets.Result{Intent: tickets.IntentRating, Text: "基本满意", Keyword: "基本满意", Rating: 3}},
		{"还行", "还行。", rating, tickets.Result{Intent: tickets.IntentRating, Text: "还行", Keyword: "还行", Rating: 3}},
		// Out of five anyway, said so: read on that scale.
		{"5星", "5星", rating, tickets.Result{Intent: tickets.IntentRating, Text: "5星", Rating: 5}},
		{"五颗星", "五颗星", rating, tickets.Result{Intent: tickets.IntentRating, Text: "五颗星", Rating: 5}},
		{"3分", "3分", rating, tickets.Result{Intent: tickets.IntentRating, Text: "3分", Rating: 3}},
		{"4星", "4星", rating, tickets.Result{Intent: tickets.IntentRating, Text: "4星", Rating: 4}},
		{"1 with an emoji", "1👍", rating, tickets.Result{Intent: tickets.IntentRating, Text: "1", Rating: 5}},
		{"满意", "满意", rating, tickets.Result{Intent: tickets.IntentRating, Text: "满意", Keyword: "满意", Rating: 5}},
		{"非常满意，谢谢网格员", "非常满意，谢谢", rating, tickets.Result{Intent: tickets.IntentRating, Text: "非常满意，谢谢", Keyword: "非常满意", Rating: 5}},
		{"不满意", "不满意", rating, tickets.Result{Intent: tickets.IntentRating, Text: "不满意", Keyword: "不满意", Rating: 1}},
		{"6 is no rating", "6", rating, q("6")},
		{"满意 with no ticket resolved", "满意", none, q("满意")},
		{"a complaint after resolution is a question", "不满意，楼上还是漏水", rating, q("不满意，楼上还是漏水")},

		// 6. Binding a phone.
		{"a mobile number", "13812345678", unbound, tickets.Result{Intent: tickets.IntentBindPhone, Text: "13812345678", Phone: "13812345678"}},
		{"+86 and spaces", "+86 138 1234 5678", unbound, tickets.Result{Intent: tickets.IntentBindPhone, Text: "+86 138 1234 5678", Phone: "13812345678"}},
		{"dashes", "138-1234-5678。", unbound, tickets.Result{Intent: tickets.IntentBindPhone, Text: "138-1234-5678", Phone: "13812345678"}},
		{"a landline is not a mobile", "02812345678", unbound, q("02812345678")},
		{"a bound resident's number is a question", "13812345678", none, q("13812345678")},

		// 7. Acknowledgements.
		{"收到", "收到", none, tickets.Result{Intent: tickets.IntentAcknowledge, Text: "收到", Keyword: "收到"}},
		{"谢谢 alone", "谢谢！", rating, tickets.Result{Intent: tickets.IntentAcknowledge, Text: "谢谢", Keyword: "谢谢"}},
		{"好的 with no visit", "好的", none, tickets.Result{Intent: tickets.IntentAcknowledge, Text: "好的", Keyword: "好的"}},
		{"only emoji", "👍👍", none, tickets.Result{Intent: tickets.IntentAcknowledge, Text: ""}},

		// 8. Questions.
		{"empty", "   ", none, q("")},
		{"a question", "你好，请问灵活就业社保补贴怎么申请？", none, q("你好，请问灵活就业社保补贴怎么申请")},
		{"a request", "楼下垃圾三天没人清理了", both, q("楼下垃圾三天没人清理了")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, tickets.Parse(tt.text, tt.ctx)); diff != "" {
				t.Errorf("Parse(%q) (-want +got):\n%s", tt.text, diff)
			}
		})
	}
}

func TestKeywordsConfigured(t *testing.T) {
	t.Parallel()
	k := tickets.Keywords{Unsubscribe: []string{"STOP"}, Confirm: []string{"是"}, ShortReply: -1}
	tests := []struct {
		text string
		ctx  tickets.Context
		want tickets.Intent
	}{
		{"stop", tickets.Context{}, tickets.IntentUnsubscribe},
		{"TD", tickets.Context{}, tickets.IntentQuestion}, // replaced, not added
		{"是", tickets.Context{VisitProposed: true}, tickets.IntentConfirmVisit},
		{"1", tickets.Context{VisitProposed: true}, tickets.IntentQuestion},
		{"改期", tickets.Context{VisitProposed: true}, tickets.IntentRescheduleVisit}, // default kept
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			t.Parallel()
			if got := k.Parse(tt.text, tt.ctx).Intent; got != tt.want {
				t.Errorf("Parse(%q).Intent = %s, want %s", tt.text, got, tt.want)
			}
		})
	}
}

func TestKeywordsValidate(t *testing.T) {
	t.Parallel()
	if err := (tickets.Keywords{}).Validate(); err != nil {
		t.Fatalf("zero Keywords: %v", err)
	}
	err := tickets.Keywords{
		Confirm:    []string{"1", " "},
		Reschedule: []string{"１"},
		Ratings:    map[string]int{"棒": 6},
	}.Validate()
	want := "keywords.confirm[1]: blank word\n" +
		"keywords: \"1\" is both a confirm and a reschedule word\n" +
		"keywords.ratings[棒]: 6: want 1–5"
	if err == nil || err.Error() != want {
		t.Errorf("Validate() = %v\nwant %s", err, want)
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	if err := (tickets.Config{}).Validate(); err != nil {
		t.Fatalf("zero Config: %v", err)
	}
	err := tickets.Config{Canned: tickets.Canned{tickets.CategoryOther: "{{resident.name}}您好"}}.Validate()
	want := "canned[other]: unknown placeholder {{resident.name}}: want {{worker.name}}, {{worker.phone}} or {{deadline}}"
	if err == nil || err.Error() != want {
		t.Errorf("Validate() = %v, want %s", err, want)
	}
}

// A follower may wrap their number in a few words; a longer message that
// quotes a number stays a question.
func TestParsePhoneLeadIn(t *testing.T) {
	ctx := tickets.Context{UnboundFollower: true}
	for _, in := range []string{"13812345678", "我的手机号是13812345678", "手机号：138-1234-5678", "+86 138 1234 5678", "电话13812345678谢谢"} {
		if r := tickets.Parse(in, ctx); r.Intent != tickets.IntentBindPhone || r.Phone != "13812345678" {
			t.Errorf("%q: %s %q, want bind_phone 13812345678", in, r.Intent, r.Phone)
		}
	}
	for _, in := range []string{"我邻居13812345678家漏水很严重请来看看", "13812345678和13912345678", "1381234567"} {
		if r := tickets.Parse(in, ctx); r.Intent == tickets.IntentBindPhone {
			t.Errorf("%q read as a phone to bind", in)
		}
	}
}

// A bare greeting opens no ticket; a greeting before a question is
// dropped as courtesy and the question stays a question.
func TestParseGreeting(t *testing.T) {
	for _, in := range []string{"你好", "您好！", "在吗？", "你好，在吗", "Hello"} {
		if r := tickets.Parse(in, tickets.Context{}); r.Intent != tickets.IntentGreeting {
			t.Errorf("%q: %s, want greeting", in, r.Intent)
		}
	}
	if r := tickets.Parse("你好，楼道灯坏了", tickets.Context{}); r.Intent != tickets.IntentQuestion {
		t.Errorf("greeting + question: %s", r.Intent)
	}
}

// On the five-point scale a city may keep, a digit is the rating itself.
func TestParseFivePoint(t *testing.T) {
	t.Parallel()
	k := tickets.Keywords{Scale: tickets.FivePoint}
	rating := tickets.Context{AwaitingRating: true}
	for _, tt := range []struct {
		text string
		want int
	}{{"4", 4}, {"五", 5}, {"5👍", 5}, {"3", 3}, {"1", 1}, {"满意", 5}, {"比较满意", 4}, {"基本满意", 3}, {"不满意", 1}, {"3分", 3}, {"6", 0}} {
		got := k.Parse(tt.text, rating)
		if got.Rating != tt.want || (tt.want > 0) != (got.Intent == tickets.IntentRating) {
			t.Errorf("five-point Parse(%q) = %s %d, want rating %d", tt.text, got.Intent, got.Rating, tt.want)
		}
	}
}
