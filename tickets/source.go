package tickets

import (
	"fmt"
	"time"
)

// Source is where a ticket came from: a resident's reply (the default),
// or an event staff reported (上报) — found on patrol or taken by phone.
type Source string

// The sources. The zero value "" is SourceResident.
const (
	SourceResident Source = "resident" // 居民反映: a resident's reply opened it
	SourcePatrol   Source = "patrol"   // 网格巡查: a worker found it on their rounds
	SourceHotline  Source = "hotline"  // 热线来电: staff took it by phone
)

// Label is the source in Chinese, for screens.
func (s Source) Label() string {
	switch s.OrDefault() {
	case SourcePatrol:
		return "网格巡查"
	case SourceHotline:
		return "热线来电"
	case SourceResident:
		return "居民反映"
	}
	return string(s)
}

// OrDefault is s, or SourceResident for the zero value.
func (s Source) OrDefault() Source {
	if s == "" {
		return SourceResident
	}
	return s
}

// ParseSource returns the source named s ("" is SourceResident).
func ParseSource(s string) (Source, error) {
	switch Source(s) {
	case "":
		return SourceResident, nil
	case SourceResident, SourcePatrol, SourceHotline:
		return Source(s), nil
	}
	return "", fmt.Errorf("tickets: source %q: want resident, patrol or hotline", s)
}

// Location is where a reported event is: an address within the grid and,
// optionally, a point. China lies far from (0, 0), so a zero Lat and Lng
// mean no point was given.
type Location struct {
	// Address is free text within the grid ("3号楼2单元门口"). It may name
	// a home: treat it as personal data in logs.
	Address string
	// Lat and Lng are WGS-84 degrees; both zero for none.
	Lat, Lng float64
}

// HasPoint reports whether l holds a latitude and longitude.
func (l Location) HasPoint() bool { return l.Lat != 0 || l.Lng != 0 }

// AttachmentKind is what an Attachment holds.
type AttachmentKind string

// The attachment kinds.
const (
	AttachmentImage AttachmentKind = "image"
	AttachmentVoice AttachmentKind = "voice"
)

// Attachment is a photo or voice recording kept with a ticket: taken by
// the worker who reported the event, or sent by the resident on WeChat
// (then InboundID names their message). The bytes live in the blob store
// under Key.
type Attachment struct {
	ID       int64
	TicketID int64
	// InboundID is the resident's message it came with; 0 for staff
	// uploads.
	InboundID int64
	Kind      AttachmentKind
	// Key and ThumbnailKey are the blob store's keys; ThumbnailKey is ""
	// for voice. Key is "" when the media could not be fetched (Missing).
	Key, ThumbnailKey string
	ContentType       string
	Size              int64
	// MediaID is the provider's media id it was fetched by (WeChat keeps
	// it three days); "" for uploads.
	MediaID string
	// Missing says why the media is not in the blob store ("" when it
	// is): the provider's fetch failed or its content was refused.
	Missing string
	// AddedBy is the user who uploaded it, or ActorResident.
	AddedBy   string
	CreatedAt time.Time
}
