package tickets

import (
	"fmt"
	"time"

	"github.com/gridcast/gridcast/population"
)

// WeChat's customer-service message limits: an official account may send
// customer-service (客服) messages to a follower only within
// CustomerServiceWindow of the follower's last message, and at most
// CustomerServiceLimit of them per such message.
const (
	CustomerServiceWindow = 48 * time.Hour
	CustomerServiceLimit  = 5
)

// Route is how a reply to the resident goes out.
type Route string

// The routes. The zero value RouteNone means the resident cannot be
// reached; ReplyRoute.Reason says why.
const (
	RouteNone            Route = ""
	RouteCustomerService Route = "wechat_customer_service" // free text in the 48-hour window
	RouteWeChatTemplate  Route = "wechat_template"         // a template message to the bound openid
	RouteSMS             Route = "sms"                     // an Aliyun SMS to the resident's phone
)

// Channel is the population.Channel r travels on; ChannelNone for RouteNone.
func (r Route) Channel() population.Channel {
	switch r {
	case RouteCustomerService, RouteWeChatTemplate:
		return population.ChannelWeChat
	case RouteSMS:
		return population.ChannelSMS
	}
	return population.ChannelNone
}

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
	Route  Route
	Reason string // why this route, for the ledger; always set
}

// ChooseReply picks how to answer a resident about their ticket:
//
//  1. A WeChat customer-service message while the resident's last WeChat
//     message is less than 48 hours old (at exactly 48 hours the window is
//     closed) and fewer than 5 have been sent since it.
//  2. Otherwise a WeChat template message if the resident has bound WeChat.
//  3. Otherwise SMS if they have a phone number.
//  4. Otherwise RouteNone, with the reason.
func ChooseReply(in ReplyContext) ReplyRoute {
	if !in.LastInbound.IsZero() {
		age := in.Now.Sub(in.LastInbound)
		switch {
		case age >= CustomerServiceWindow:
			// closed: fall through to the other routes
		case in.SentSince >= CustomerServiceLimit:
			// used up
		default:
			return ReplyRoute{RouteCustomerService, fmt.Sprintf("resident wrote on WeChat %s ago; %d of %d customer-service messages used",
				age.Round(time.Minute), in.SentSince, CustomerServiceLimit)}
		}
	}
	why := "no WeChat message from the resident"
	if !in.LastInbound.IsZero() {
		if in.Now.Sub(in.LastInbound) >= CustomerServiceWindow {
			why = "the 48-hour customer-service window is closed"
		} else {
			why = fmt.Sprintf("%d customer-service messages already sent", in.SentSince)
		}
	}
	switch {
	case in.OpenIDBound:
		return ReplyRoute{RouteWeChatTemplate, why + "; WeChat is bound"}
	case in.HasPhone:
		return ReplyRoute{RouteSMS, why + "; WeChat not bound; phone on record"}
	}
	came := string(in.Channel)
	if came == "" {
		came = "an unknown channel"
	}
	return ReplyRoute{RouteNone, fmt.Sprintf("ticket came by %s; %s; WeChat not bound; no phone on record", came, why)}
}
