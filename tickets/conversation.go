package tickets

import (
	"time"

	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
)

// Entry is one line of a ticket's conversation: an inbound message from
// the resident or a ledger message to them, in time order.
type Entry struct {
	At time.Time
	// Inbound: the resident wrote it; otherwise it went out.
	Inbound bool
	// ID is the inbound message's or the ledger message's id.
	ID      int64
	Channel population.Channel
	Route   outbound.Route   // outbound only
	Purpose outbound.Purpose // outbound only
	Status  outbound.Status  // outbound only
	Actor   string           // outbound only: who wrote it
	// Text is the message. Personal data.
	Text string
}

// Binding is a pending WeChat binding: a follower (OpenID) gave a phone
// number on record for ResidentID, and a code went to that phone. The
// follower's reply with the code binds the openid to the resident.
type Binding struct {
	ID         int64
	OpenID     pii.OpenID
	Phone      pii.Phone
	ResidentID int64
	// CodeHash is a hash of the code bound to the openid. The code itself
	// is kept only in the parameters of its SMS until that is sent.
	CodeHash  string
	Attempts  int // wrong codes tried
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time // zero until used
}

// Leave is a worker's absence: from From until Until (exclusive) their
// new tickets go to BackupID.
type Leave struct {
	WorkerID int64
	BackupID int64
	From     time.Time
	Until    time.Time
	Note     string
}
