package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/store"
	"github.com/gridcast/gridcast/tickets"
)

// people looks up, once each, the residents and workers a screen names,
// and reads what else the screens show from the store.
type people struct {
	*population.Directory
	st *store.Store
	// label names a category in Chinese, a configured one included.
	label func(tickets.Category) string
}

// newPeople looks up residents and workers in st, and names categories
// with the configured classifier's labels (the built-in ones when the
// configuration names none, or names them wrongly: config check says so).
func (a *app) newPeople(st *store.Store) *people {
	label := tickets.Category.Label
	if cls, err := a.cfg.Tickets.Classify.classifier(); err == nil {
		label = cls.Label
	}
	return &people{population.NewDirectory(st), st, label}
}

// workerCode names a worker by code, "-" for none.
func (p *people) workerCode(ctx context.Context, id int64) (string, error) {
	if id == 0 {
		return "-", nil
	}
	w, err := p.Worker(ctx, id)
	return w.Code, err
}

// maskedTo is an outbound message's recipient, masked.
func maskedTo(r outbound.Route, to string) string {
	if to == "" {
		return "-"
	}
	if r.Channel() == population.ChannelWeChat {
		return pii.OpenID(to).Masked()
	}
	return pii.Phone(to).Masked()
}

// maskedSender is an inbound message's sender, masked.
func maskedSender(ch population.Channel, from string) string {
	if ch == population.ChannelWeChat {
		return pii.OpenID(from).Masked()
	}
	return pii.Phone(from).Masked()
}

// oneLine keeps at most n runes of s on one line.
func oneLine(s string, n int) string {
	return truncate(strings.Join(strings.Fields(s), " "), n)
}

func shTime(t time.Time, layout string) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(campaigns.Shanghai()).Format(layout)
}

func overdue(t tickets.Ticket, now time.Time) bool {
	return t.Status.Open() && !t.DueAt.IsZero() && !now.Before(t.DueAt)
}

func ticketStatus(t tickets.Ticket) tickets.Status {
	if t.Status == "" {
		return tickets.StatusNew
	}
	return t.Status
}

func ticketLevel(t tickets.Ticket) tickets.Level {
	if t.Level == "" {
		return tickets.LevelGridWorker
	}
	return t.Level
}

// ticketView is a ticket as `tickets list --json` prints it: personal
// data masked, times in Asia/Shanghai.
type ticketView struct {
	ID            int64      `json:"id"`
	Status        string     `json:"status"`
	Level         string     `json:"level"`
	Category      string     `json:"category"`
	CategoryLabel string     `json:"category_label"`
	Grid          string     `json:"grid"`
	Channel       string     `json:"channel"`
	Assignee      string     `json:"assignee,omitempty"`
	AssigneeName  string     `json:"assignee_name,omitempty"`
	DueAt         *time.Time `json:"due_at,omitempty"`
	Overdue       bool       `json:"overdue"`
	ResidentID    int64      `json:"resident_id,omitempty"`
	Resident      string     `json:"resident,omitempty"`
	Phone         string     `json:"phone,omitempty"`
	Text          string     `json:"text"`
	CampaignID    int64      `json:"campaign_id,omitempty"`
	Rating        int        `json:"rating,omitempty"`
	Satisfaction  string     `json:"satisfaction,omitempty"` // 满意, 基本满意 or 不满意
	MergedInto    int64      `json:"merged_into,omitempty"`
	CreatedAt     *time.Time `json:"created_at,omitempty"`
	ResolvedAt    *time.Time `json:"resolved_at,omitempty"`
	ClosedAt      *time.Time `json:"closed_at,omitempty"`
}

func jsonTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.In(campaigns.Shanghai())
	return &t
}

func (p *people) view(ctx context.Context, t tickets.Ticket, now time.Time) (ticketView, error) {
	r, err := p.Resident(ctx, t.ResidentID)
	if err != nil {
		return ticketView{}, err
	}
	w, err := p.Worker(ctx, t.AssigneeWorkerID)
	if err != nil {
		return ticketView{}, err
	}
	v := ticketView{
		ID: t.ID, Status: string(ticketStatus(t)), Level: string(ticketLevel(t)), Category: string(t.Category),
		CategoryLabel: p.label(t.Category), Grid: t.GridCode, Channel: string(t.Channel),
		Assignee: w.Code, AssigneeName: string(w.Name), DueAt: jsonTime(t.DueAt), Overdue: overdue(t, now),
		ResidentID: t.ResidentID, Resident: r.Name.Masked(), Phone: r.Phone.Masked(),
		Text: pii.MaskText(t.Text, r.Name, w.Name), CampaignID: t.CampaignID, Rating: t.Rating, Satisfaction: tickets.RatingLabel(t.Rating), MergedInto: t.MergedInto,
		CreatedAt: jsonTime(t.CreatedAt), ResolvedAt: jsonTime(t.ResolvedAt), ClosedAt: jsonTime(t.ClosedAt),
	}
	return v, nil
}

func printTicketTable(w io.Writer, vs []ticketView) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATUS\tLEVEL\tCATEGORY\tGRID\tASSIGNEE\tDUE\t\tRESIDENT\tTEXT")
	for _, v := range vs {
		due, late := "-", ""
		if v.DueAt != nil {
			due = v.DueAt.Format("01-02 15:04")
		}
		if v.Overdue {
			late = "overdue"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", v.ID, v.Status, v.Level, v.CategoryLabel, v.Grid,
			orDash(v.Assignee), due, late, orDash(v.Resident), oneLine(v.Text, 20))
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// printTicket writes the ticket's card, timeline and conversation.
func (p *people) printTicket(ctx context.Context, w io.Writer, t tickets.Ticket, now time.Time) error {
	v, err := p.view(ctx, t, now)
	if err != nil {
		return err
	}
	r, err := p.Resident(ctx, t.ResidentID)
	if err != nil {
		return err
	}
	as, err := p.Worker(ctx, t.AssigneeWorkerID)
	if err != nil {
		return err
	}
	gw, err := p.st.WorkerForGrid(ctx, t.GridCode, population.RoleGridWorker) // named in canned replies
	if err != nil && !errors.Is(err, fault.ErrNotFound) {
		return err
	}
	names := []pii.Name{r.Name, as.Name, gw.Name}

	fmt.Fprintf(w, "ticket %d — %s, %s level, %s (%s)\n", t.ID, v.Status, v.Level, v.CategoryLabel, v.Category)
	if t.ResidentID != 0 {
		fmt.Fprintf(w, "resident %d %s %s, grid %s\n", t.ResidentID, orDash(v.Resident), orDash(v.Phone), t.GridCode)
	} else {
		fmt.Fprintf(w, "no resident on record, grid %s\n", orDash(t.GridCode))
	}
	owner := "nobody yet"
	if v.Assignee != "" {
		owner = fmt.Sprintf("%s %s (%s)", v.Assignee, orDash(v.AssigneeName), as.Role)
	}
	late := ""
	if v.Overdue {
		late = " — overdue"
	}
	fmt.Fprintf(w, "assigned to %s, due %s%s\n", owner, shTime(t.DueAt, "2006-01-02 15:04"), late)
	fmt.Fprintf(w, "came by %s %s", t.Channel, shTime(t.CreatedAt, "2006-01-02 15:04"))
	if t.CampaignID != 0 {
		fmt.Fprintf(w, ", answering campaign %d", t.CampaignID)
		if c, err := p.st.Campaign(ctx, t.CampaignID); err == nil {
			fmt.Fprintf(w, " (%s)", c.Name)
		}
	}
	fmt.Fprintln(w)
	if !t.Slot.IsZero() {
		fmt.Fprintf(w, "visit to move: %s\n", shTime(t.Slot, "2006-01-02 15:04"))
	}
	if t.Rating != 0 {
		fmt.Fprintf(w, "rated %s (%d of 5)\n", tickets.SatisfactionOf(t.Rating).Label(), t.Rating)
	}
	if t.MergedInto != 0 {
		fmt.Fprintf(w, "merged into ticket %d\n", t.MergedInto)
	}
	fmt.Fprintf(w, "text: %s\n", pii.MaskText(t.Text, names...))

	evs, err := p.st.TicketEvents(ctx, t.ID)
	if err != nil {
		return err
	}
	rows := make([]timelineRow, 0, len(evs))
	for _, ev := range evs {
		what, err := p.eventChange(ctx, ev)
		if err != nil {
			return err
		}
		rows = append(rows, timelineRow{ev.At, ev.Actor, string(ev.Kind), what, ev.Note})
	}
	more, err := p.dispatchRows(ctx, t.ID)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "\ntimeline")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, r := range mergeRows(rows, more) {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", shTime(r.at, "01-02 15:04"), r.actor, r.kind, r.what, pii.MaskText(r.note, names...))
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	conv, err := p.st.Conversation(ctx, t.ID)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "\nconversation (⇠ from the resident, ⇢ to them)")
	if len(conv) == 0 {
		fmt.Fprintln(w, "  none")
	}
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, e := range conv {
		if e.Inbound {
			fmt.Fprintf(tw, "  %s\t⇠ %s\t\t%s\n", shTime(e.At, "01-02 15:04"), e.Channel, pii.MaskText(e.Text, names...))
			continue
		}
		state := string(e.Status)
		if e.Status == outbound.StatusFailed {
			// The provider's code says why (43004: not following, …).
			if o, err := p.st.Message(ctx, e.ID); err == nil && o.ProviderCode != "" {
				state += " " + o.ProviderCode
			}
		}
		fmt.Fprintf(tw, "  %s\t⇢ %s\t%s, %s by %s\t%s\n", shTime(e.At, "01-02 15:04"), e.Route, e.Purpose, state,
			orDash(e.Actor), pii.MaskText(e.Text, names...))
	}
	return tw.Flush()
}

// eventChange says what an event changed, in a worker's words: statuses,
// worker codes, levels, a rating or ticket ids.
func (p *people) eventChange(ctx context.Context, ev tickets.Event) (string, error) {
	switch ev.Kind {
	case tickets.EventCreated:
		return tickets.Category(ev.To).Label(), nil
	case tickets.EventAssigned:
		from, err := p.workerRef(ctx, ev.From)
		if err != nil {
			return "", err
		}
		to, err := p.workerRef(ctx, ev.To)
		return from + " → " + to, err
	case tickets.EventRated:
		return ev.To + " of 5", nil
	case tickets.EventMerged:
		return "#" + ev.From + " → #" + ev.To, nil
	case tickets.EventRecategorised:
		return tickets.Category(ev.From).Label() + " → " + tickets.Category(ev.To).Label(), nil
	}
	if ev.From == "" {
		return ev.To, nil
	}
	return ev.From + " → " + ev.To, nil
}

func (p *people) workerRef(ctx context.Context, id string) (string, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return orDash(id), nil
	}
	return p.workerCode(ctx, n)
}
