package campaigns_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/campaigns"
)

// A test send is rendered for made-up people only: 张先生, a worker whose
// number looks masked, a visit slot tomorrow at 09:00; a campaign without
// an SMS template, or with one not synced, has nothing to send.
func TestTestSMS(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	c := campaigns.Campaign{Name: "走访预约", Kind: campaigns.KindVisitSchedule,
		SMS: campaigns.SMSContent{SignName: "网格通", TemplateCode: "SMS_V", Params: map[string]string{
			"name": "{{resident.surname_title}}", "worker": "{{worker.name}}", "phone": "{{worker.phone}}", "slot": "{{slot}}"}}}
	tpl := campaigns.Template{Code: "SMS_V", Content: "${name}您好，网格员${worker}拟于${slot}上门走访。电话${phone}。回T退订", Approved: true}
	params, text, err := campaigns.TestSMS(c, tpl, now)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"name": "张先生", "worker": "李网格", "phone": "138****0000", "slot": "12月7日(周一) 09:00"}
	if d := cmp.Diff(want, params); d != "" {
		t.Errorf("params (-want +got):\n%s", d)
	}
	if text != "【网格通】张先生您好，网格员李网格拟于12月7日(周一) 09:00上门走访。电话138****0000。回T退订" {
		t.Errorf("text = %q", text)
	}
	if _, _, err := campaigns.TestSMS(campaigns.Campaign{Name: "微信"}, tpl, now); !errors.Is(err, campaigns.ErrNoSMSTemplate) {
		t.Errorf("no SMS template: %v, want ErrNoSMSTemplate", err)
	}
	if _, _, err := campaigns.TestSMS(c, campaigns.Template{}, now); err == nil {
		t.Error("a template not synced rendered")
	}
}
