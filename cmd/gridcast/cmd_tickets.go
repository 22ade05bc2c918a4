package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/gridcast/gridcast/audit"
	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/store"
	"github.com/gridcast/gridcast/tickets"
)

func (a *app) ticketsCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "tickets",
		Short: "Work the ticket desk: list, show, answer, resolve and route residents' tickets",
		Long: `Residents' replies that ask for a person become tickets for their grid worker.
Names and phone numbers are masked on every screen. Commands that change a ticket
record who did it (--by, default $USER); the messages they queue (a reply, a rating
request, a notification) are sent by the workers of "gridcast serve" / "gridcast worker":
through Redis when redis.addr is set, else by the workers' per-minute sweep of the store.`,
	}
	c.AddCommand(a.ticketsList(), a.ticketsShow(), a.ticketsQuick(), a.ticketsReply(), a.ticketsStats(), a.ticketsResolve(),
		a.ticketsMove("start", "Mark a ticket in progress", func(ctx context.Context, d *cliDesk, id int64, by, _ string) (tickets.Ticket, error) {
			return d.Start(ctx, id, by)
		}),
		a.ticketsMove("close", "Close a ticket (withdrawn, or resolved and not to be rated)", func(ctx context.Context, d *cliDesk, id int64, by, note string) (tickets.Ticket, error) {
			return d.Close(ctx, id, by, note)
		}),
		a.ticketsMove("reopen", "Reopen a resolved or closed ticket: back to its worker with a new deadline; they are notified", func(ctx context.Context, d *cliDesk, id int64, by, note string) (tickets.Ticket, error) {
			return d.Reopen(ctx, id, by, note)
		}),
		a.ticketsReassign(), a.ticketsRecategorise(), a.ticketsUrgency(), a.ticketsMerge(), a.ticketsUnknown(), a.ticketsAnswers(),
		a.ticketsClassify(), a.ticketsDispatch(), a.ticketsSupervise(), a.ticketsReport(), a.ticketsNote())
	return c
}

// parseID reads a positive id argument.
func parseID(what, arg string) (int64, error) {
	id, err := strconv.ParseInt(arg, 10, 64)
	if err != nil || id <= 0 {
		return 0, usageError{fmt.Errorf("%s id %q: want a positive number", what, arg)}
	}
	return id, nil
}

// loadTicket reads ticket id, with an error a user reads as such when
// there is none.
func loadTicket(ctx context.Context, st *store.Store, id int64) (tickets.Ticket, error) {
	t, err := st.Ticket(ctx, id)
	if errors.Is(err, fault.ErrNotFound) {
		return t, fmt.Errorf("ticket %d not found", id)
	}
	return t, err
}

func (a *app) ticketsList() *cobra.Command {
	var grid, stat, assignee string
	var asJSON bool
	var limit int
	var after int64
	cmd := &cobra.Command{
		Use:   "list [--grid G] [--status S] [--assignee CODE] [--limit N] [--after ID] [--json]",
		Short: "List tickets by id, with masked residents",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			f := store.TicketFilter{GridCode: grid, Limit: limit, AfterID: after}
			if stat != "" {
				f.Status = tickets.Status(stat)
				if !slices.Contains(tickets.Statuses, f.Status) {
					var names []string
					for _, s := range tickets.Statuses {
						names = append(names, string(s))
					}
					return usageError{fmt.Errorf("--status %q: want one of %s", stat, strings.Join(names, ", "))}
				}
			}
			if limit < 1 {
				return usageError{fmt.Errorf("--limit %d: want at least 1", limit)}
			}
			return a.withStore(ctx, func(st *store.Store) error {
				if assignee != "" {
					w, err := st.WorkerByCode(ctx, assignee)
					if errors.Is(err, fault.ErrNotFound) {
						return fmt.Errorf("--assignee %s: no worker has that code (see gridcast workers list)", assignee)
					}
					if err != nil {
						return err
					}
					f.AssigneeID = w.ID
				}
				ts, err := st.Tickets(ctx, f)
				if err != nil {
					return err
				}
				p, now := a.newPeople(st), time.Now()
				vs := make([]ticketView, 0, len(ts))
				for _, t := range ts {
					v, err := p.view(ctx, t, now)
					if err != nil {
						return err
					}
					vs = append(vs, v)
				}
				if asJSON {
					enc := json.NewEncoder(a.stdout)
					enc.SetIndent("", "  ")
					return enc.Encode(vs)
				}
				if len(vs) == 0 {
					fmt.Fprintln(a.stdout, "no tickets")
					return nil
				}
				return printTicketTable(a.stdout, vs)
			})
		},
	}
	cmd.Flags().StringVar(&grid, "grid", "", "only this grid (exact code)")
	cmd.Flags().StringVar(&stat, "status", "", "only this status: new, assigned, in_progress, replied, resolved, closed, archived")
	cmd.Flags().StringVar(&assignee, "assignee", "", "only tickets assigned to this worker code")
	cmd.Flags().IntVar(&limit, "limit", 50, "at most this many tickets")
	cmd.Flags().Int64Var(&after, "after", 0, "only tickets after this id (the next page)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON (personal data masked)")
	return cmd
}

func (a *app) ticketsShow() *cobra.Command {
	return &cobra.Command{
		Use:   "show ID",
		Short: "Show a ticket: its fields, timeline and conversation (masked)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID("ticket", args[0])
			if err != nil {
				return err
			}
			return a.withStore(cmd.Context(), func(st *store.Store) error {
				t, err := loadTicket(cmd.Context(), st, id)
				if err != nil {
					return err
				}
				p := a.newPeople(st)
				if err := p.printTicket(cmd.Context(), a.stdout, t, time.Now()); err != nil {
					return err
				}
				return p.printNotes(cmd.Context(), a.stdout, t)
			})
		},
	}
}

// printQueued lists the messages a command queued, recipients masked.
func (a *app) printQueued(d *cliDesk, outs []outbound.Message) {
	for _, o := range outs {
		fmt.Fprintf(a.stdout, "  message %d: %s %s → %s\n", o.ID, o.Purpose, o.Route, maskedTo(o.Route, o.To))
	}
	if len(outs) > 0 {
		fmt.Fprintf(a.stdout, "  %s\n", d.queued)
	}
}

func (a *app) ticketsQuick() *cobra.Command {
	return &cobra.Command{
		Use:   "quick ID",
		Short: "List the ready answers for a ticket's category, numbered for reply --quick N",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID("ticket", args[0])
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			return a.withDesk(ctx, func(st *store.Store, d *cliDesk) error {
				t, err := loadTicket(ctx, st, id)
				if err != nil {
					return err
				}
				list, err := d.QuickReplies(ctx, id)
				if err != nil {
					return fmt.Errorf("ticket %d: %w", id, err)
				}
				w, err := a.newPeople(st).Worker(ctx, t.AssigneeWorkerID)
				if err != nil {
					return err
				}
				for i, s := range list {
					fmt.Fprintf(a.stdout, "%2d  %s\n", i+1, pii.MaskText(s, w.Name))
				}
				return nil
			})
		},
	}
}

func (a *app) ticketsReply() *cobra.Command {
	var by string
	var quick int
	cmd := &cobra.Command{
		Use:   "reply ID (TEXT | --quick N) --by NAME",
		Short: "Answer the resident: WeChat within 48 h of their last message, else a template message, else SMS",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID("ticket", args[0])
			if err != nil {
				return err
			}
			text := strings.TrimSpace(strings.Join(args[1:], " "))
			switch {
			case quick != 0 && text != "":
				return usageError{errors.New("reply: give a TEXT or --quick N, not both")}
			case quick == 0 && text == "":
				return usageError{errors.New("reply: the text is empty (or pick a ready answer with --quick N; see tickets quick ID)")}
			}
			ctx := cmd.Context()
			return a.withDesk(ctx, func(st *store.Store, d *cliDesk) error {
				t, err := loadTicket(ctx, st, id)
				if err != nil {
					return err
				}
				if !ticketStatus(t).Open() {
					return fmt.Errorf("ticket %d is %s: only an open ticket can be answered; reopen it first (gridcast tickets reopen %d)", id, ticketStatus(t), id)
				}
				var outs []outbound.Message
				if quick != 0 {
					outs, err = d.ReplyQuick(ctx, id, by, quick)
				} else {
					outs, err = d.Reply(ctx, id, by, text)
				}
				if err != nil {
					return fmt.Errorf("ticket %d: %w", id, err)
				}
				fmt.Fprintf(a.stdout, "ticket %d: reply by %s\n", id, by)
				a.printQueued(d, outs)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&by, "by", a.defaultActor(), "who answers (recorded on the ticket)")
	cmd.Flags().IntVar(&quick, "quick", 0, "send ready answer N of `gridcast tickets quick ID` instead of a text")
	return cmd
}

func (a *app) ticketsResolve() *cobra.Command {
	var by, note string
	cmd := &cobra.Command{
		Use:   "resolve ID --by NAME [--note TEXT]",
		Short: "Resolve a ticket; the resident is asked to rate it 1–5",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID("ticket", args[0])
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			return a.withDesk(ctx, func(st *store.Store, d *cliDesk) error {
				before, err := loadTicket(ctx, st, id)
				if err != nil {
					return err
				}
				_, err = d.Resolve(ctx, id, by, note)
				if err != nil {
					// Resolve moves the ticket, then queues the rating request;
					// when only the latter failed the ticket is resolved.
					if after, rerr := st.Ticket(ctx, id); rerr == nil && after.Status == tickets.StatusResolved && before.Status != tickets.StatusResolved {
						fmt.Fprintf(a.stdout, "ticket %d: %s → resolved by %s\n", id, ticketStatus(before), by)
						fmt.Fprintf(a.stderr, "gridcast: ticket %d: no rating request: %v\n", id, err)
						return nil
					}
					return fmt.Errorf("ticket %d: %w", id, err)
				}
				fmt.Fprintf(a.stdout, "ticket %d: %s → resolved by %s; the resident is asked for a rating\n", id, ticketStatus(before), by)
				fmt.Fprintf(a.stdout, "  %s\n", d.queued)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&by, "by", a.defaultActor(), "who resolves (recorded on the ticket)")
	cmd.Flags().StringVar(&note, "note", "", "what was done (recorded on the timeline)")
	return cmd
}

// ticketsMove builds a command that moves a ticket to another status.
func (a *app) ticketsMove(use, short string, move func(context.Context, *cliDesk, int64, string, string) (tickets.Ticket, error)) *cobra.Command {
	var by, note string
	cmd := &cobra.Command{
		Use:   use + " ID [--by NAME]",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID("ticket", args[0])
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			return a.withDesk(ctx, func(st *store.Store, d *cliDesk) error {
				before, err := loadTicket(ctx, st, id)
				if err != nil {
					return err
				}
				t, err := move(ctx, d, id, by, note)
				if err != nil {
					return fmt.Errorf("ticket %d: %w", id, err)
				}
				fmt.Fprintf(a.stdout, "ticket %d: %s → %s by %s\n", id, ticketStatus(before), ticketStatus(t), by)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&by, "by", a.defaultActor(), "who does this (recorded on the ticket)")
	if use == "close" || use == "reopen" {
		cmd.Flags().StringVar(&note, "note", "", "why (recorded on the timeline)")
	}
	return cmd
}

func (a *app) ticketsReassign() *cobra.Command {
	var by, to string
	cmd := &cobra.Command{
		Use:   "reassign ID --to WORKER_CODE [--by NAME]",
		Short: "Give a ticket to another worker at its level; they are notified",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID("ticket", args[0])
			if err != nil {
				return err
			}
			if to == "" {
				return usageError{errors.New("--to WORKER_CODE is required")}
			}
			ctx := cmd.Context()
			return a.withDesk(ctx, func(st *store.Store, d *cliDesk) error {
				if _, err := loadTicket(ctx, st, id); err != nil {
					return err
				}
				w, err := st.WorkerByCode(ctx, to)
				if errors.Is(err, fault.ErrNotFound) {
					return fmt.Errorf("--to %s: no worker has that code (see gridcast workers list)", to)
				}
				if err != nil {
					return err
				}
				if _, err := d.Reassign(ctx, id, to, by); err != nil {
					return fmt.Errorf("ticket %d: %w", id, err)
				}
				fmt.Fprintf(a.stdout, "ticket %d: assigned to %s %s by %s; they are notified\n  %s\n", id, w.Code, string(w.Name), by, d.queued)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "the worker's code")
	cmd.Flags().StringVar(&by, "by", a.defaultActor(), "who does this (recorded on the ticket)")
	return cmd
}

// ticketsNote leaves an internal note on a ticket: for the staff only,
// sent to no one.
func (a *app) ticketsNote() *cobra.Command {
	var by string
	cmd := &cobra.Command{
		Use:   "note ID TEXT [--by NAME]",
		Short: "Leave an internal note (内部备注) on a ticket: staff only, never sent to the resident",
		Long: `A note tells the other staff on a ticket what they should know (who was called, what
was promised). It is shown with the ticket (gridcast tickets show, the console, the API),
never sent to the resident and never part of their history; it cannot be edited. The audit
log records who noted on which ticket, not the text. At most 1000 characters.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID("ticket", args[0])
			if err != nil {
				return err
			}
			text := strings.TrimSpace(strings.Join(args[1:], " "))
			if text == "" {
				return usageError{errors.New("note: the text is empty: write what the other staff should know")}
			}
			if n := utf8.RuneCountInString(text); n > tickets.MaxNoteLen {
				return usageError{fmt.Errorf("note: %d characters, at most %d", n, tickets.MaxNoteLen)}
			}
			ctx := cmd.Context()
			return a.withDesk(ctx, func(st *store.Store, d *cliDesk) error {
				if _, err := loadTicket(ctx, st, id); err != nil {
					return err
				}
				n, err := d.AddNote(ctx, id, by, text)
				if err != nil {
					return fmt.Errorf("ticket %d: %w", id, err)
				}
				if err := a.record(ctx, st, audit.Entry{Actor: by, Action: audit.ActionTicketNote, Subject: fmt.Sprintf("ticket:%d", id),
					Detail: fmt.Sprintf(`{"note":%d,"chars":%d}`, n.ID, utf8.RuneCountInString(n.Text))}); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "ticket %d: note %d by %s (internal, not sent)\n", id, n.ID, n.Author)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&by, "by", a.defaultActor(), "who writes the note (shown with it)")
	return cmd
}

// printNotes writes the ticket's internal notes, names and numbers
// masked, after its card.
func (p *people) printNotes(ctx context.Context, w io.Writer, t tickets.Ticket) error {
	ns, err := p.st.TicketNotes(ctx, t.ID)
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
	fmt.Fprintln(w, "\ninternal notes (staff only, never sent)")
	if len(ns) == 0 {
		fmt.Fprintln(w, "  none")
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, n := range ns {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", shTime(n.At, "01-02 15:04"), n.Author, pii.MaskText(n.Text, r.Name, as.Name))
	}
	return tw.Flush()
}

func (a *app) ticketsMerge() *cobra.Command {
	var by, into string
	cmd := &cobra.Command{
		Use:   "merge DUP_ID --into KEEP_ID [--by NAME]",
		Short: "Fold a duplicate ticket of the same resident into another; the duplicate closes",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dup, err := parseID("ticket", args[0])
			if err != nil {
				return err
			}
			if into == "" {
				return usageError{errors.New("--into KEEP_ID is required")}
			}
			keep, err := parseID("--into ticket", into)
			if err != nil {
				return err
			}
			if dup == keep {
				return usageError{fmt.Errorf("cannot merge ticket %d into itself", dup)}
			}
			ctx := cmd.Context()
			return a.withDesk(ctx, func(st *store.Store, d *cliDesk) error {
				for _, id := range []int64{dup, keep} {
					if _, err := loadTicket(ctx, st, id); err != nil {
						return err
					}
				}
				t, err := d.Merge(ctx, dup, keep, by)
				if err != nil {
					return fmt.Errorf("merge ticket %d into %d: %w", dup, keep, err)
				}
				fmt.Fprintf(a.stdout, "ticket %d merged into %d by %s and closed; ticket %d is %s, due %s\n",
					dup, keep, by, keep, ticketStatus(t), shTime(t.DueAt, "2006-01-02 15:04"))
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&into, "into", "", "the ticket to keep")
	cmd.Flags().StringVar(&by, "by", a.defaultActor(), "who does this (recorded on both tickets)")
	return cmd
}

// unknownView is a message from an unknown sender, masked.
type unknownView struct {
	ID         int64     `json:"id"`
	Channel    string    `json:"channel"`
	From       string    `json:"from"`
	ReceivedAt time.Time `json:"received_at"`
	Intent     string    `json:"intent,omitempty"`
	CampaignID int64     `json:"campaign_id,omitempty"`
	Text       string    `json:"text"`
}

func (a *app) ticketsUnknown() *cobra.Command {
	var limit int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "unknown [--limit N] [--json]",
		Short: "List messages from senders who match no resident (newest first, masked)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if limit < 1 {
				return usageError{fmt.Errorf("--limit %d: want at least 1", limit)}
			}
			return a.withStore(cmd.Context(), func(st *store.Store) error {
				ins, err := st.UnknownSenders(cmd.Context(), limit)
				if err != nil {
					return err
				}
				vs := make([]unknownView, 0, len(ins))
				for _, in := range ins {
					vs = append(vs, unknownView{ID: in.ID, Channel: string(in.Channel), From: maskedSender(in.Channel, in.FromKey),
						ReceivedAt: in.ReceivedAt.In(campaigns.Shanghai()), Intent: string(in.Intent), CampaignID: in.CampaignID,
						Text: pii.MaskText(in.Content)})
				}
				if asJSON {
					enc := json.NewEncoder(a.stdout)
					enc.SetIndent("", "  ")
					return enc.Encode(vs)
				}
				if len(vs) == 0 {
					fmt.Fprintln(a.stdout, "no messages from unknown senders")
					return nil
				}
				tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tCHANNEL\tFROM\tRECEIVED\tINTENT\tTEXT")
				for _, v := range vs {
					fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", v.ID, v.Channel, v.From, v.ReceivedAt.Format("01-02 15:04"),
						orDash(v.Intent), oneLine(v.Text, 40))
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 50, "at most this many messages")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON (senders masked)")
	return cmd
}
