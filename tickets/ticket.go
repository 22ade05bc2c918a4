package tickets

import (
	"fmt"
	"strings"
	"time"

	"github.com/gridcast/gridcast/population"
)

// Level is the rung of the escalation ladder that owns a ticket: 网格内能
// 解决的问题及时解决, 不能解决的上报.
type Level string

// The levels, from the grid up. The zero value "" is LevelGridWorker.
const (
	LevelGridWorker Level = "grid_worker" // 网格员
	LevelGridLeader Level = "grid_leader" // 网格长
	LevelCommunity  Level = "community"   // 社区
	LevelStreet     Level = "street"      // 街道
)

// Levels is the escalation ladder, from the grid up.
var Levels = []Level{LevelGridWorker, LevelGridLeader, LevelCommunity, LevelStreet}

// Label is the level in Chinese, for screens and refusals.
func (l Level) Label() string {
	switch l.orDefault() {
	case LevelGridWorker:
		return "网格员"
	case LevelGridLeader:
		return "网格长"
	case LevelCommunity:
		return "社区工作人员"
	case LevelStreet:
		return "街道工作人员"
	}
	return string(l)
}

func (l Level) orDefault() Level {
	if l == "" {
		return LevelGridWorker
	}
	return l
}

// Rank is l's position on the ladder (grid worker = 0), or -1 if unknown.
func (l Level) Rank() int {
	l = l.orDefault()
	for i, x := range Levels {
		if x == l {
			return i
		}
	}
	return -1
}

// Next is the level above l; false at the street (the top) or for an
// unknown level.
func (l Level) Next() (Level, bool) {
	i := l.Rank()
	if i < 0 || i+1 >= len(Levels) {
		return "", false
	}
	return Levels[i+1], true
}

// Role is the population.Role of the workers who handle tickets at l.
func (l Level) Role() population.Role {
	switch l.orDefault() {
	case LevelGridLeader:
		return population.RoleGridLeader
	case LevelCommunity:
		return population.RoleCommunity
	case LevelStreet:
		return population.RoleStreet
	}
	return population.RoleGridWorker
}

// ParseLevel returns the level named s.
func ParseLevel(s string) (Level, error) {
	for _, l := range Levels {
		if string(l) == s {
			return l, nil
		}
	}
	return "", fmt.Errorf("tickets: level %q: want grid_worker, grid_leader, community or street", s)
}

// Ticket is one grid ticket (网格工单): a resident's question or request,
// owned by a worker at a level, with a deadline and a timeline of Events.
// A Ticket is a plain value: methods with a pointer receiver change it,
// return the Event for the timeline, leave it unchanged on error, and are
// not safe for concurrent use.
type Ticket struct {
	ID         int64
	ResidentID int64              // 0 when the sender matches no resident
	GridCode   string             // the resident's grid; decides the grid worker
	Channel    population.Channel // where the first message came in
	// Text is the resident's first message as received. It is personal
	// data: log it only at debug level, truncated.
	Text     string
	Category Category
	// AssigneeWorkerID is the population.Worker handling the ticket; 0 while
	// unassigned.
	AssigneeWorkerID int64
	Level            Level  // "" is LevelGridWorker
	Status           Status // "" is StatusNew
	// DueAt is the deadline at the current level: the SLA from CreatedAt
	// at first, then one escalation step further at each escalation.
	DueAt time.Time
	// Rating is the resident's rating 1–5 of the handling, 0 for none.
	Rating int
	// CampaignID is the campaign the first message answered, 0 if none.
	CampaignID int64
	// Slot is the visit time the resident asked for, for a reschedule
	// request; zero otherwise.
	Slot time.Time
	// MergedInto is the ticket this one was merged into as a duplicate, 0
	// if none. A merged ticket is closed and never reopens.
	MergedInto int64

	// Source is where the ticket came from; "" is SourceResident.
	Source Source
	// Reporter is the user who reported an event (patrol, hotline); ""
	// for a resident's reply.
	Reporter string
	// ReporterWorkerID is the worker who reported the event, when the
	// report named one; 0 otherwise. The store keeps it for 考核 (events
	// reported, ticket_reporters) and does not read it back with the
	// ticket.
	ReporterWorkerID int64
	// Location is where a reported event is; zero for a resident's reply.
	Location Location
	// Place names the public place concerned ("3号楼电梯", "东门消防通道");
	// HouseholdID the household concerned, 0 for none. ResidentID names
	// the resident concerned of a reported event.
	Place       string
	HouseholdID int64

	CreatedAt  time.Time
	UpdatedAt  time.Time
	ResolvedAt time.Time // the last move to resolved; zero if never
	ClosedAt   time.Time // the last move to closed; zero if never
}

// EventKind is what an Event records.
type EventKind string

// The event kinds. From and To hold statuses for EventStatus and
// EventReopened, levels for EventEscalated, worker ids for EventAssigned,
// the rating for EventRated and ticket ids for EventMerged.
const (
	EventCreated   EventKind = "created"   // To: the category
	EventStatus    EventKind = "status"    // a status change
	EventAssigned  EventKind = "assigned"  // a (re)assignment at the same or a lower level
	EventEscalated EventKind = "escalated" // moved up the ladder
	EventReopened  EventKind = "reopened"  // resolved/closed → assigned
	EventRated     EventKind = "rated"     // the resident's rating
	EventMerged    EventKind = "merged"    // From: the duplicate, To: the kept ticket
	// EventRecategorised: a worker filed the ticket under another
	// category. From and To are the categories.
	EventRecategorised EventKind = "recategorised"
	// EventUrgency: a worker changed the ticket's urgency. From and To are
	// the urgencies.
	EventUrgency EventKind = "urgency"
)

// Event is one entry of a ticket's timeline (台账).
type Event struct {
	TicketID int64
	At       time.Time
	Actor    string // the user, "resident" or "system"
	Kind     EventKind
	From, To string
	Note     string
}

// ActorResident and ActorSystem name the actors that are not users.
const (
	ActorResident = "resident"
	ActorSystem   = "system"
)

// Open returns a new ticket from t's fields (resident, grid, channel,
// text, category, campaign, slot): status new at LevelGridWorker, created
// now, due by the SLA of its category; and the timeline's first Event,
// whose note names the words that decided the category, if any.
func (p SLA) Open(t Ticket, matched []string, now time.Time) (Ticket, Event) {
	t.Status, t.Level = StatusNew, LevelGridWorker
	t.AssigneeWorkerID, t.Rating, t.MergedInto = 0, 0, 0
	t.ResolvedAt, t.ClosedAt = time.Time{}, time.Time{}
	if t.Category == "" {
		t.Category = CategoryOther
	}
	t.CreatedAt, t.UpdatedAt = now, now
	t.DueAt = p.DueAt(t.Category, now)
	note := ""
	if len(matched) > 0 {
		note = "keywords: " + strings.Join(matched, ", ")
	}
	return t, Event{TicketID: t.ID, At: now, Actor: ActorSystem, Kind: EventCreated, To: string(t.Category), Note: note}
}
