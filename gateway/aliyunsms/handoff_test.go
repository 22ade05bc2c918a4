package aliyunsms

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/gateway"
	"github.com/gridcast/gridcast/population"
)

// Pushed reports and uplinks reach the sink as the provider-neutral
// receipts and messages, field for field.
func TestHandoffToSink(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, shanghai)
	var sink recordingSink
	reps := []Report{{Phone: "13800138000", ReportTime: at, Success: true, ErrCode: "DELIVERED", BizID: "b1", OutID: "41"},
		{Phone: "13900139000", ReportTime: at, ErrCode: "UNDELIV", ErrMsg: "UNDELIV", BizID: "b1", OutID: "41"}}
	if err := ReportsTo(&sink)(context.Background(), reps); err != nil {
		t.Fatal(err)
	}
	ups := []Uplink{{Phone: "13800138000", SendTime: at, Content: "TD", DestCode: "017", SequenceID: 9001}}
	if err := UplinksTo(&sink)(context.Background(), ups); err != nil {
		t.Fatal(err)
	}
	wantRc := []gateway.Receipt{
		{Channel: population.ChannelSMS, ProviderID: "b1", Phone: "13800138000", OutID: "41", Delivered: true, Code: "DELIVERED", At: at},
		{Channel: population.ChannelSMS, ProviderID: "b1", Phone: "13900139000", OutID: "41", Code: "UNDELIV", Message: "UNDELIV", At: at},
	}
	wantIn := []gateway.Inbound{{Channel: population.ChannelSMS, ProviderMsgID: "9001", From: "13800138000", Kind: gateway.InboundText,
		Text: "TD", At: at, ExtendCode: "017"}}
	if d := cmp.Diff(wantRc, sink.rc); d != "" {
		t.Errorf("receipts (-want +got):\n%s", d)
	}
	if d := cmp.Diff(wantIn, sink.in); d != "" {
		t.Errorf("messages (-want +got):\n%s", d)
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
