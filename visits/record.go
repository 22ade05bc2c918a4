package visits

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gridcast/gridcast/fault"
)

// Record is one visit on the register: who visited whom, how, when, and
// what they found.
type Record struct {
	ID         int64
	WorkerID   int64 // the worker who visited
	ResidentID int64 // the resident met (or sought, for NotHome)
	// HouseholdKey and GridCode are the resident's household and grid when
	// the visit was recorded, filled by the store: "h" and the household's
	// id, or "r" and the resident's id for a resident with no household.
	HouseholdKey string
	GridCode     string
	Kind         Kind
	Notes        string
	VisitedAt    time.Time
	// RecordedBy is the user who entered the record (the worker on the
	// phone, or community staff above the grid).
	RecordedBy string
	CreatedAt  time.Time // set by the store
	// SlotID names the campaign's booked visit this record closes; 0 for
	// none.
	SlotID int64
	// TicketID names the ticket or reported event the visit opened; 0 for
	// none.
	TicketID int64
	// Photos are the photos taken on the visit, kept in the blob store
	// (blob.Media), in the order uploaded.
	Photos []Photo
}

// Photo is one photo of a visit as the blob store keeps it: the original
// and, for an image it could read, a small JPEG thumbnail.
type Photo struct {
	Key          string // the original's key in the blob store
	ThumbnailKey string // the thumbnail's key; "" when there is none
	ContentType  string // the original's sniffed type, e.g. image/png
	Size         int64  // the original's bytes
}

// Limits on a record.
const (
	MaxNotes  = 2000                // characters of notes
	MaxPhotos = 9                   // photos per visit
	MaxLate   = 45 * 24 * time.Hour // how long after a visit it may still be recorded
	maxAhead  = 10 * time.Minute    // a phone's clock may run a little fast
)

// Check refuses a record that cannot be kept, as of now: no worker or
// resident, an unknown kind, no time or one in the future or more than
// MaxLate ago, no recorder, notes too long, too many or malformed photo
// keys. Every problem is named in one error wrapping fault.ErrInvalid, in
// English and Chinese.
func (r Record) Check(now time.Time) error {
	var en, zh []string
	bad := func(e, z string) { en, zh = append(en, e), append(zh, z) }
	if r.WorkerID <= 0 {
		bad("the worker who visited is required", "须指明走访的网格员")
	}
	if r.ResidentID <= 0 {
		bad("the resident visited is required", "须指明走访的居民")
	}
	if _, err := ParseKind(string(r.Kind)); err != nil || r.Kind == "" {
		bad(fmt.Sprintf("kind %q: want in_person, phone or not_home", r.Kind),
			fmt.Sprintf("走访方式“%s”无效，应为 in_person（入户走访）、phone（电话回访）或 not_home（未遇）", r.Kind))
	}
	switch {
	case r.VisitedAt.IsZero():
		bad("the time of the visit is required", "须填写走访时间")
	case r.VisitedAt.After(now.Add(maxAhead)):
		bad("the visit's time is in the future", "走访时间不能晚于当前时间")
	case r.VisitedAt.Before(now.Add(-MaxLate)):
		bad(fmt.Sprintf("the visit is more than %d days old: record visits within %d days", int(MaxLate.Hours()/24), int(MaxLate.Hours()/24)),
			fmt.Sprintf("走访已超过 %d 天，须在 %d 天内登记", int(MaxLate.Hours()/24), int(MaxLate.Hours()/24)))
	}
	if strings.TrimSpace(r.RecordedBy) == "" {
		bad("who records the visit is required", "须指明登记人")
	}
	if n := utf8.RuneCountInString(r.Notes); n > MaxNotes {
		bad(fmt.Sprintf("notes are %d characters: at most %d", n, MaxNotes), fmt.Sprintf("走访记录 %d 字，不能超过 %d 字", n, MaxNotes))
	}
	if r.SlotID < 0 || r.TicketID < 0 {
		bad("slot and ticket ids are positive numbers", "预约编号和工单编号须为正整数")
	}
	if len(r.Photos) > MaxPhotos {
		bad(fmt.Sprintf("%d photos: at most %d", len(r.Photos), MaxPhotos), fmt.Sprintf("照片 %d 张，最多 %d 张", len(r.Photos), MaxPhotos))
	}
	for _, p := range r.Photos {
		if !blobKey(p.Key) {
			bad(fmt.Sprintf("photo key %q is not a key of the blob store", p.Key), fmt.Sprintf("照片编号“%s”无效", p.Key))
		}
		if p.ThumbnailKey != "" && !blobKey(p.ThumbnailKey) {
			bad(fmt.Sprintf("thumbnail key %q is not a key of the blob store", p.ThumbnailKey), fmt.Sprintf("缩略图编号“%s”无效", p.ThumbnailKey))
		}
	}
	if len(en) == 0 {
		return nil
	}
	return fault.Refuse(fault.ErrInvalid, "visit not recorded: "+strings.Join(en, "; "), "走访未登记："+strings.Join(zh, "；"), nil)
}

// blobKey reports whether k looks like a key of the blob store: not
// empty, short, no blanks or backslashes, no way up a directory.
func blobKey(k string) bool {
	return k != "" && len(k) <= 200 && !strings.ContainsAny(k, " \t\r\n\\") && !strings.Contains(k, "..")
}
