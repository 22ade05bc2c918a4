package aliyunsms

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"

	"github.com/gridcast/gridcast/gateway"
	"github.com/gridcast/gridcast/population"
)

// ReportsTo returns the delivery-report hand-off (NewReportHandler's
// handle) that passes the pushed reports on to sink as gateway.Receipts.
func ReportsTo(sink gateway.Sink) func(context.Context, []Report) error {
	return func(ctx context.Context, rs []Report) error {
		out := make([]gateway.Receipt, len(rs))
		for i, r := range rs {
			out[i] = r.Receipt()
		}
		return sink.Receipts(ctx, out)
	}
}

// UplinksTo returns the uplink hand-off (NewUplinkHandler's handle) that
// passes each pushed reply on to sink as a gateway.Inbound.
func UplinksTo(sink gateway.Sink) func(context.Context, []Uplink) error {
	return func(ctx context.Context, us []Uplink) error {
		var errs []error
		for _, u := range us {
			errs = append(errs, sink.Inbound(ctx, u.Message()))
		}
		return errors.Join(errs...)
	}
}

// Key identifies the uplink across Aliyun's pushes: its sequence id, which
// Aliyun documents as required. An uplink without one (0) is known by a
// hash of its number, send time, extension code and content instead —
// never by the bare "0", which would make every such uplink a duplicate of
// the first. The key holds no personal data in clear.
func (u Uplink) Key() string {
	if u.SequenceID > 0 {
		return strconv.FormatInt(u.SequenceID, 10)
	}
	sum := sha256.Sum256(fmt.Appendf(nil, "%s\x00%d\x00%s\x00%s", u.Phone, u.SendTime.Unix(), u.DestCode, u.Content))
	return "h:" + hex.EncodeToString(sum[:16])
}

// Receipt is the report as a gateway.Receipt.
func (r Report) Receipt() gateway.Receipt {
	return gateway.Receipt{Channel: population.ChannelSMS, ProviderID: r.BizID, Phone: r.Phone, OutID: r.OutID,
		Delivered: r.Success, Code: r.ErrCode, Message: r.ErrMsg, At: r.ReportTime}
}

// Message is the uplink as a gateway.Inbound: a text whose dedupe key is
// the uplink's Key.
func (u Uplink) Message() gateway.Inbound {
	return gateway.Inbound{Channel: population.ChannelSMS, ProviderMsgID: u.Key(),
		From: string(u.Phone), Kind: gateway.InboundText, Text: u.Content, At: u.SendTime, ExtendCode: u.DestCode}
}
