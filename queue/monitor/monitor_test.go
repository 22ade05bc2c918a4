package monitor_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gridcast/gridcast/gateway"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/queue/monitor"
)

func TestMaskPayload(t *testing.T) {
	at := time.Date(2026, 3, 16, 10, 0, 0, 0, time.UTC)
	inbound := func(ch population.Channel, from string) []byte {
		b, err := json.Marshal(gateway.Inbound{Channel: ch, ProviderMsgID: "24000000000000001", From: from,
			Kind: gateway.InboundText, Text: "我叫张三，电话13812345678，楼道灯坏了", At: at})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, tc := range []struct {
		name, typ string
		payload   []byte
		want      string
		clear     []string // must not show
	}{
		{"send", "message:sms", []byte(`{"message_id":42}`), `{"message_id":42}`, nil},
		{"batch", "message:sms:batch", []byte(`{"message_ids":[1,2,3]}`), `{"message_ids":[1,2,3]}`, nil},
		{"sms receipt", "receipts:sms",
			[]byte(`{"phone":"13812345678","biz_id":"123^0","out_id":"42","success":false,"err_code":"UNDELIV","err_msg":"失败","at":"2026-03-16T10:00:00Z"}`),
			`{"at":"2026-03-16T10:00:00Z","biz_id":"123^0","err_code":"UNDELIV","err_msg":"失败","out_id":"42","phone":"138****5678","success":false}`,
			[]string{"13812345678"}},
		{"sms receipts of one push", "receipts:sms:batch",
			[]byte(`{"receipts":[{"phone":"13812345678","biz_id":"123^0","success":true},{"phone":"13900001111","biz_id":"123^0","success":true}]}`),
			`{"receipts":[{"biz_id":"123^0","phone":"138****5678","success":true},{"biz_id":"123^0","phone":"139****1111","success":true}]}`,
			[]string{"13812345678", "13900001111"}},
		{"sms reply", "desk:inbound", inbound(population.ChannelSMS, "13812345678"),
			`{"At":"2026-03-16T10:00:00Z","Channel":"sms","ExtendCode":"","From":"138****5678","Kind":"text","MediaID":"","ProviderMsgID":"24000000000000001","Text":"(24 characters)"}`,
			[]string{"13812345678", "张三", "楼道灯"}},
		{"wechat message", "desk:inbound", inbound(population.ChannelWeChat, "oAlice0123456789abcdefghijkl"), "",
			[]string{"oAlice0123456789abcdefghijkl", "张三"}},
		{"unknown field", "x", []byte(`{"note":"王芳 13900001111"}`), `{"note":"(14 characters)"}`, []string{"王芳", "13900001111"}},
		{"not JSON", "x", []byte("\x00\x01binary"), "(8 bytes, not JSON)", nil},
		{"empty", "campaigns:tick", nil, "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := monitor.MaskPayload(tc.typ, tc.payload)
			if tc.want != "" && got != tc.want {
				t.Errorf("MaskPayload =\n %s\nwant\n %s", got, tc.want)
			}
			for _, c := range tc.clear {
				if strings.Contains(got, c) {
					t.Errorf("%q shown in clear: %s", c, got)
				}
			}
		})
	}
}
