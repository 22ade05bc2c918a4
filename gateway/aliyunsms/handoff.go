package aliyunsms

import (
	"context"
	"errors"
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

// Receipt is the report as a gateway.Receipt.
func (r Report) Receipt() gateway.Receipt {
	return gateway.Receipt{Channel: population.ChannelSMS, ProviderID: r.BizID, Phone: r.Phone, OutID: r.OutID,
		Delivered: r.Success, Code: r.ErrCode, Message: r.ErrMsg, At: r.ReportTime}
}

// Message is the uplink as a gateway.Inbound: a text whose dedupe key is
// the uplink's sequence id.
func (u Uplink) Message() gateway.Inbound {
	return gateway.Inbound{Channel: population.ChannelSMS, ProviderMsgID: strconv.FormatInt(u.SequenceID, 10),
		From: string(u.Phone), Kind: gateway.InboundText, Text: u.Content, At: u.SendTime, ExtendCode: u.DestCode}
}
