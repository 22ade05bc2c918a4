package campaigns_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/population"
)

func ExampleRenderParams() {
	mapping := map[string]string{
		"name":   "{{resident.surname_title}}",
		"slot":   "{{slot}}",
		"worker": "{{worker.name}}（{{worker.phone}}）",
	}
	v := campaigns.Vars{
		Resident: population.Resident{ID: 1, Name: "王秀英", Gender: population.Female},
		Worker:   population.Worker{ID: 2, Name: "李娜", Phone: "13987654321"},
		Slot:     time.Date(2026, 3, 17, 14, 30, 0, 0, campaigns.Shanghai()),
	}
	params, err := campaigns.RenderParams(mapping, v)
	if err != nil {
		fmt.Println(err)
		return
	}
	tpl := campaigns.Template{Code: "SMS_200", Content: "${name}您好，网格员${worker}将于${slot}上门走访。回T退订"}
	fmt.Println(campaigns.RenderText(tpl.Content, params))
	fmt.Println(v) // Vars prints masked
	// Output:
	// 王女士您好，网格员李娜（13987654321）将于3月17日(周二) 14:30上门走访。回T退订
	// campaigns.Vars{resident:1 王** worker:2 李* grid:"" slot:2026-03-17 14:30:00 campaign:0}
}

func ExampleQuietHours_NextAllowed() {
	q := campaigns.QuietHours{Start: "21:00", End: "08:00"} // Asia/Shanghai
	for _, hm := range []string{"10:00", "21:30", "07:15"} {
		t, _ := time.ParseInLocation("2006-01-02 15:04", "2026-03-16 "+hm, campaigns.Shanghai())
		fmt.Println(hm, "→", q.NextAllowed(t).Format("01-02 15:04"))
	}
	// Output:
	// 10:00 → 03-16 10:00
	// 21:30 → 03-17 08:00
	// 07:15 → 03-16 08:00
}

func ExampleCampaign_Transition() {
	c := campaigns.Campaign{
		ID: 1, Name: "失业保险金申领政策", Kind: campaigns.KindPolicyNotice, Segment: "category:unemployed",
		ChannelPolicy: campaigns.WeChatOnly,
		WeChat:        campaigns.WeChatContent{TemplateID: "TPL_POLICY", Fields: map[string]string{"keyword1": "失业保险金可线上申领"}},
		ScheduleAt:    time.Date(2026, 3, 17, 9, 0, 0, 0, campaigns.Shanghai()),
		ExpiresAt:     time.Date(2026, 3, 20, 18, 0, 0, 0, campaigns.Shanghai()),
		Owner:         "officer.li",
	}
	pol := campaigns.Policy{ApprovalThreshold: 1000}
	now := time.Date(2026, 3, 16, 10, 0, 0, 0, campaigns.Shanghai())

	_, err := c.Transition(campaigns.StateScheduled, "officer.li", 2400, pol, now)
	fmt.Println(errors.Is(err, campaigns.ErrNeedsApproval))
	_, err = c.Approve("officer.li", now)
	fmt.Println(errors.Is(err, campaigns.ErrSelfApproval))
	if _, err := c.Approve("checker.wang", now); err != nil {
		fmt.Println(err)
	}
	ev, err := c.Transition(campaigns.StateScheduled, "officer.li", 2400, pol, now)
	fmt.Println(ev.From, "→", ev.To, ev.Note, err)
	// Output:
	// true
	// true
	// draft → scheduled audience 2400 <nil>
}

func ExampleSlotAllocator() {
	ws, _ := campaigns.ParseVisitingHours("Mon-Fri 14:00-17:00; Sat 09:00-11:30")
	a, _ := campaigns.NewSlotAllocator(campaigns.SlotConfig{
		Windows: ws,
		From:    time.Date(2026, 3, 20, 16, 0, 0, 0, campaigns.Shanghai()), // Friday 16:00
	})
	for id := int64(1); id <= 3; id++ {
		s, _ := a.Next(id)
		fmt.Println(id, s.Start.Format("Mon 01-02 15:04"), "reminder", campaigns.ReminderAt(s.Start, nil).Format("Mon 15:04"))
	}
	// Output:
	// 1 Fri 03-20 16:00 reminder Thu 18:00
	// 2 Fri 03-20 16:30 reminder Thu 18:00
	// 3 Sat 03-21 09:00 reminder Fri 18:00
}

func ExampleWordFilter_Find() {
	f := campaigns.NewWordFilter([]string{"加微信", "VX"})
	for _, h := range f.Find("详情加微信或加vx") {
		fmt.Printf("%s at column %d\n", h.Text, h.Col)
	}
	// Output:
	// 加微信 at column 3
	// vx at column 8
}
