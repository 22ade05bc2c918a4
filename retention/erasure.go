package retention

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gridcast/gridcast/fault"
)

// PseudonymPrefix starts the name an erased resident's record carries:
// 已删除#1a2b3c4d, the rest a short keyed hash of their ID number (the
// same person always gets the same pseudonym under one key; without the
// key it says nothing about them).
const PseudonymPrefix = "已删除#"

// MinReasonLen is the shortest reason an erasure accepts, in characters.
const MinReasonLen = 4

// Erasure is the register's record of a resident erased on request.
type Erasure struct {
	ResidentID int64     `json:"resident_id"`
	Pseudonym  string    `json:"pseudonym"` // the name the record carries now
	At         time.Time `json:"erased_at"`
	By         string    `json:"erased_by"` // who carried it out
	Reason     string    `json:"reason"`    // why: the request and its reference
}

// Erased is what one erasure did. Counts are rows changed; a second
// erasure of the same resident changes nothing and says Already.
type Erased struct {
	Erasure
	// Already is true when the resident had been erased before: Erasure
	// is that earlier record and nothing was changed.
	Already bool `json:"already"`
	// MessagesCleared counts the ledger's messages to them, or about their
	// tickets, whose content and recipient were cleared; MessagesSkipped
	// those still pending, now skipped (outbound.SkipErased).
	MessagesCleared int64 `json:"messages_cleared"`
	MessagesSkipped int64 `json:"messages_skipped"`
	// InboundCleared counts their messages (and those from their phone or
	// openid before they were known) whose content was cleared.
	InboundCleared int64 `json:"inbound_cleared"`
	// TicketsCleared counts their tickets whose text was cleared;
	// TicketsOpen those of them still open, which their workers should
	// close: nobody can answer the resident any more.
	TicketsCleared int64 `json:"tickets_cleared"`
	TicketsOpen    int64 `json:"tickets_open"`
	// VisitsCancelled counts their visits booked in the future.
	VisitsCancelled int64 `json:"visits_cancelled"`
	// BindingsDeleted counts WeChat binding requests for them, their
	// phone or their openid.
	BindingsDeleted int64 `json:"bindings_deleted"`
	// AttachmentsPurged counts the photos and voice recordings of their
	// tickets and messages whose blobs were queued for deletion and whose
	// rows now keep only their id, ticket, kind and times.
	AttachmentsPurged int64 `json:"attachments_purged"`
	// NotesCleared counts the department tasks, task steps, 督办 flags and
	// internal notes of their tickets whose staff notes now read Removed.
	NotesCleared int64 `json:"notes_cleared"`
	// BlobsDeleted counts the objects (originals and thumbnails) an
	// Eraser deleted from the blob store; BlobsPending those it could not
	// (the blob store failed), which the next erasure or retention sweep
	// deletes. The store's EraseResident leaves both zero.
	BlobsDeleted int64 `json:"blobs_deleted"`
	BlobsPending int64 `json:"blobs_pending"`
}

// CheckRequest checks who carries an erasure out and why; the reason is
// kept in the register. The error is a refusal (fault.ErrInvalid) in words
// the requester can act on.
func CheckRequest(by, reason string) error {
	if strings.TrimSpace(by) == "" || utf8.RuneCountInString(strings.TrimSpace(reason)) < MinReasonLen {
		return fault.Refuse(fault.ErrInvalid,
			fmt.Sprintf("an erasure needs who carries it out and why (a reason of at least %d characters, e.g. the request's reference)", MinReasonLen),
			fmt.Sprintf("删除个人信息需注明经办人和原因（至少 %d 个字，例如申请编号）", MinReasonLen), nil)
	}
	return nil
}

// ErrErased refuses to unmask the ID number of an erased resident: it is
// gone.
var ErrErased = fault.Refuse(fault.ErrConflict,
	"the resident was erased on request: their ID number is no longer kept",
	"该居民的个人信息已按申请删除，身份证号不再保存", nil)
