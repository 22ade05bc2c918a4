package tickets

import (
	"fmt"
	"strings"
	"time"

	"github.com/gridcast/gridcast/fault"
)

// Recategorise files t under category c on behalf of actor: a worker
// corrects the classifier. It returns the EventRecategorised for the
// timeline (From and To the categories). Refused without an actor
// (ErrNoActor), for an empty or unchanged category, and for an archived
// ticket (ErrBadTransition: the record is filed). It changes the category
// only: the caller decides what the new category means for the level and
// the deadline.
func (t *Ticket) Recategorise(c Category, actor, note string, now time.Time) (Event, error) {
	actor = strings.TrimSpace(actor)
	from := t.Category
	if from == "" {
		from = CategoryOther
	}
	switch {
	case actor == "":
		return Event{}, ErrNoActor
	case c == "":
		return Event{}, fault.Refuse(fault.ErrInvalid, "say which category", "请选择分类", nil)
	case c == from:
		return Event{}, fault.Refuse(fault.ErrInvalid,
			fmt.Sprintf("ticket %d is filed under %s already", t.ID, c), fmt.Sprintf("工单 #%d 已是%s", t.ID, c.Label()), nil)
	case t.Status.orDefault() == StatusArchived:
		return Event{}, fault.Refuse(fault.ErrConflict, fmt.Sprintf("ticket %d is archived and keeps its category", t.ID),
			fmt.Sprintf("工单 #%d 已归档，不能改分类", t.ID), ErrBadTransition)
	}
	t.Category, t.UpdatedAt = c, now
	return Event{TicketID: t.ID, At: now, Actor: actor, Kind: EventRecategorised, From: string(from), To: string(c), Note: strings.TrimSpace(note)}, nil
}
