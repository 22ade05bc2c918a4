package wechat

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/gateway"
	"github.com/gridcast/gridcast/population"
)

// What the callback hands on: residents' messages and follow events as
// gateway.Inbound, template receipts as gateway.Receipt, nothing else.
func TestToSink(t *testing.T) {
	cases := []struct {
		in      Inbound
		message *gateway.Inbound
		receipt *gateway.Receipt
	}{
		{in: Inbound{Kind: KindText, MsgID: 11, FromOpenID: "oA", Content: "你好"},
			message: &gateway.Inbound{Channel: population.ChannelWeChat, ProviderMsgID: "11", From: "oA", Kind: gateway.InboundText, Text: "你好"}},
		{in: Inbound{Kind: KindVoice, MsgID: 12, FromOpenID: "oA", Recognition: "路灯坏了", MediaID: "v1"},
			message: &gateway.Inbound{Channel: population.ChannelWeChat, ProviderMsgID: "12", From: "oA", Kind: gateway.InboundVoice, Text: "路灯坏了", MediaID: "v1"}},
		{in: Inbound{Kind: KindImage, MsgID: 13, FromOpenID: "oA", MediaID: "m1"},
			message: &gateway.Inbound{Channel: population.ChannelWeChat, ProviderMsgID: "13", From: "oA", Kind: gateway.InboundImage, Text: "[图片] m1", MediaID: "m1"}},
		{in: Inbound{Kind: KindLocation, MsgID: 14, FromOpenID: "oA", Label: "幸福路8号", Lat: 36.07, Lng: 120.38},
			message: &gateway.Inbound{Channel: population.ChannelWeChat, ProviderMsgID: "14", From: "oA", Kind: gateway.InboundLocation, Text: "[位置] 幸福路8号 (36.07000, 120.38000)"}},
		{in: Inbound{Kind: KindSubscribe, FromOpenID: "oA", DedupKey: "wechat:evt:ab"},
			message: &gateway.Inbound{Channel: population.ChannelWeChat, ProviderMsgID: "wechat:evt:ab", From: "oA", Kind: gateway.InboundFollow}},
		{in: Inbound{Kind: KindTemplateFinish, FromOpenID: "oA", TemplateMsgID: 9001, Status: TemplateStatusSuccess, DedupKey: "wechat:evt:cd"},
			receipt: &gateway.Receipt{Channel: population.ChannelWeChat, ProviderID: "9001", Delivered: true, Code: "success"}},
		{in: Inbound{Kind: KindTemplateFinish, FromOpenID: "oA", TemplateMsgID: 9002, Status: "failed: user block"},
			receipt: &gateway.Receipt{Channel: population.ChannelWeChat, ProviderID: "9002", Code: "failed: user block", Blocked: true}},
		{in: Inbound{Kind: KindTemplateFinish, FromOpenID: "oA", TemplateMsgID: 9003, Status: "failed: system failed"},
			receipt: &gateway.Receipt{Channel: population.ChannelWeChat, ProviderID: "9003", Code: "failed: system failed"}},
		{in: Inbound{Kind: KindEvent, FromOpenID: "oA", DedupKey: "wechat:evt:ef"}}, // a menu click: dropped
		{in: Inbound{Kind: KindText, MsgID: 15, Content: "no sender"}},              // dropped
	}
	for _, tc := range cases {
		var sink recordingSink
		if err := ToSink(&sink)(context.Background(), tc.in); err != nil {
			t.Fatal(err)
		}
		var wantIn []gateway.Inbound
		var wantRc []gateway.Receipt
		if tc.message != nil {
			wantIn = []gateway.Inbound{*tc.message}
		}
		if tc.receipt != nil {
			wantRc = []gateway.Receipt{*tc.receipt}
		}
		if d := cmp.Diff(wantIn, sink.in); d != "" {
			t.Errorf("%s: messages (-want +got):\n%s", tc.in.Kind, d)
		}
		if d := cmp.Diff(wantRc, sink.rc); d != "" {
			t.Errorf("%s: receipts (-want +got):\n%s", tc.in.Kind, d)
		}
	}
}

type recordingSink struct {
	in []gateway.Inbound
	rc []gateway.Receipt
}

func (s *recordingSink) Inbound(_ context.Context, in gateway.Inbound) error {
	s.in = append(s.in, in)
	return nil
}

func (s *recordingSink) Receipts(_ context.Context, rs []gateway.Receipt) error {
	s.rc = append(s.rc, rs...)
	return nil
}
