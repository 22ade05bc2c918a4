package outbound

import (
	"time"

	"github.com/gridcast/gridcast/pii"
)

// DefaultDeliveriesLimit is how many deliveries Deliveries returns when the
// filter names no limit.
const DefaultDeliveriesLimit = 50

// DeliveryFilter selects the ledger's messages to residents for the
// delivery records (发送记录). Zero fields match everything.
type DeliveryFilter struct {
	// PhoneTail matches residents whose mobile number ends with it (the
	// last digits a caller reads out on the phone). Phones are stored in
	// clear in residents.phone (only ID numbers are sealed), so the match
	// is a suffix match on that column.
	PhoneTail string
	// From and To bound the message's creation time: From ≤ created_at <
	// To. Zero leaves that side open.
	From, To time.Time
	// Status keeps one status ('' = any).
	Status Status
	// Scope keeps messages to residents whose grid lies in one of these
	// codes (each with its subtree); empty = the whole city.
	Scope []string
	// BeforeID pages: only messages with a smaller id (0 = from the newest).
	BeforeID int64
	// Limit caps the page (0 = DefaultDeliveriesLimit).
	Limit int
}

// Delivery is one message of the ledger with the resident it went to.
type Delivery struct {
	Message
	// Phone is the resident's mobile number; personal data, shown masked.
	Phone pii.Phone
	// GridCode is the resident's grid.
	GridCode string
}
