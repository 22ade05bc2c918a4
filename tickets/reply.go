package tickets

import (
	"fmt"
	"time"

	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/population"
)

// ReplyContext is what ChooseReply needs to know about one reply.
type ReplyContext struct {
	// Channel is where the ticket came in. It does not change the choice
	// (WeChat first, as for campaigns: free, and the resident sees the
	// thread) and is named in the reason when nothing reaches them.
	Channel population.Channel
	// LastInbound is the resident's last WeChat message to the account;
	// zero if they never wrote on WeChat. A message implies the account
	// knows their openid, bound or not.
	LastInbound time.Time
	// SentSince is how many customer-service messages went to the resident
	// after LastInbound.
	SentSince int
	// OpenIDBound: the resident has bound their WeChat openid.
	OpenIDBound bool
	// HasPhone: the resident has a valid mobile number on record.
	HasPhone bool
	// Now is the time of the decision.
	Now time.Time
}

// ReplyRoute is ChooseReply's decision.
type ReplyRoute struct {
	Route  outbound.Route
	Reason string // why this route, for the ledger; always set
}

// ChooseReply picks how to answer a resident about their ticket:
//
//  1. A WeChat customer-service message while the resident's last WeChat
//     message is less than 48 hours old (at exactly 48 hours the window is
//     closed) and fewer than 5 have been sent since it.
//  2. Otherwise a WeChat template message if the resident has bound WeChat.
//  3. Otherwise SMS if they have a phone number.
//  4. Otherwise outbound.RouteNone, with the reason.
func ChooseReply(in ReplyContext) ReplyRoute {
	if !in.LastInbound.IsZero() {
		age := in.Now.Sub(in.LastInbound)
		switch {
		case age >= outbound.CustomerServiceWindow:
			// closed: fall through to the other routes
		case in.SentSince >= outbound.CustomerServiceLimit:
			// used up
		default:
			return ReplyRoute{outbound.RouteCustomerService, fmt.Sprintf("resident wrote on WeChat %s ago; %d of %d customer-service messages used",
				age.Round(time.Minute), in.SentSince, outbound.CustomerServiceLimit)}
		}
	}
	why := "no WeChat message from the resident"
	if !in.LastInbound.IsZero() {
		if in.Now.Sub(in.LastInbound) >= outbound.CustomerServiceWindow {
			why = "the 48-hour customer-service window is closed"
		} else {
			why = fmt.Sprintf("%d customer-service messages already sent", in.SentSince)
		}
	}
	switch {
	case in.OpenIDBound:
		return ReplyRoute{outbound.RouteWeChatTemplate, why + "; WeChat is bound"}
	case in.HasPhone:
		return ReplyRoute{outbound.RouteSMS, why + "; WeChat not bound; phone on record"}
	}
	came := string(in.Channel)
	if came == "" {
		came = "an unknown channel"
	}
	return ReplyRoute{outbound.RouteNone, fmt.Sprintf("ticket came by %s; %s; WeChat not bound; no phone on record", came, why)}
}
