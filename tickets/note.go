package tickets

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gridcast/gridcast/fault"
)

// Note is an internal note on a ticket (内部备注): a remark staff leave
// for each other — who was called, what the property office said. It is
// never sent to the resident and never shown in the resident's history;
// it is kept in its own table, apart from the conversation and the
// ledger of messages. A note is written once and not edited.
type Note struct {
	ID       int64
	TicketID int64
	// Author is who wrote it: the user, or the CLI's --by.
	Author string
	Text   string
	// At is when it was stored, in UTC to the microsecond.
	At time.Time
}

// MaxNoteLen is the longest note, in characters.
const MaxNoteLen = 1000

// CheckNote validates a note's author and text (spaces around them do
// not count) and returns them trimmed. An empty text, a text longer than
// MaxNoteLen or a missing author is a fault.ErrInvalid with the sentence
// in English and Chinese.
func CheckNote(author, text string) (string, string, error) {
	author, text = strings.TrimSpace(author), strings.TrimSpace(text)
	if author == "" {
		return author, text, fault.Refuse(fault.ErrInvalid, "who writes the note is required",
			"请注明备注人", ErrNoActor)
	}
	if text == "" {
		return author, text, fault.Refuse(fault.ErrInvalid, "the note is empty: write what the other staff should know",
			"备注内容不能为空", nil)
	}
	if n := utf8.RuneCountInString(text); n > MaxNoteLen {
		return author, text, fault.Refuse(fault.ErrInvalid,
			fmt.Sprintf("the note has %d characters, at most %d", n, MaxNoteLen),
			fmt.Sprintf("备注有 %d 个字，最多 %d 个字", n, MaxNoteLen), nil)
	}
	return author, text, nil
}
