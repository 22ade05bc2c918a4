package tickets_test

import (
	"fmt"
	"time"

	"github.com/gridcast/gridcast/tickets"
)

func ExampleParse() {
	ctx := tickets.Context{
		VisitProposed:  true,
		AwaitingRating: true,
	}
	for _, text := range []string{"ＴＤ", "好的，谢谢！", "下周能换个时间吗", "5星", "楼道灯坏了好几天了"} {
		r := tickets.Parse(text, ctx)
		fmt.Printf("%s → %s %s %d\n", text, r.Intent, r.Keyword, r.Rating)
	}
	campaign := tickets.Context{ReplyOptions: map[string]string{"1": "报名", "2": "咨询"}, VisitProposed: true}
	r := tickets.Parse("1", campaign)
	fmt.Println(r.Intent, r.Option, r.Meaning)
	// Output:
	// ＴＤ → unsubscribe TD 0
	// 好的，谢谢！ → confirm_visit 好的 0
	// 下周能换个时间吗 → reschedule_visit 换个时间 0
	// 5星 → rating  5
	// 楼道灯坏了好几天了 → question  0
	// campaign_answer 1 报名
}

func ExampleChooseReply() {
	now := time.Date(2026, 3, 18, 10, 0, 0, 0, time.UTC)
	for _, in := range []tickets.ReplyContext{
		{LastInbound: now.Add(-3 * time.Hour), SentSince: 1, OpenIDBound: true, Now: now},
		{LastInbound: now.Add(-48 * time.Hour), OpenIDBound: true, Now: now},
		{LastInbound: now.Add(-time.Hour), SentSince: 5, HasPhone: true, Now: now},
		{Channel: "sms", Now: now},
	} {
		r := tickets.ChooseReply(in)
		fmt.Printf("%q: %s\n", r.Route, r.Reason)
	}
	// Output:
	// "wechat_customer_service": resident wrote on WeChat 3h0m0s ago; 1 of 5 customer-service messages used
	// "wechat_template": the 48-hour customer-service window is closed; WeChat is bound
	// "sms": 5 customer-service messages already sent; WeChat not bound; phone on record
	// "": ticket came by sms; no WeChat message from the resident; WeChat not bound; no phone on record
}
