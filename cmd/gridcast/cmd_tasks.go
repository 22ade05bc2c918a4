package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gridcast/gridcast/dispatch"
	"github.com/gridcast/gridcast/store"
)

// The departments' side of the desk from the command line: dispatching a
// ticket (分拨, 吹哨报到), the departments' task lists and steps, and 督办.
// Every change goes through the desk, as the API's do, so that the
// ticket, its handler and its resident hear of it the same way.

// ticketsDispatch hands a ticket to one or more departments.
func (a *app) ticketsDispatch() *cobra.Command {
	var depts []string
	var due, note, by string
	cmd := &cobra.Command{
		Use:   "dispatch ID --dept CODE[,CODE…] [--due 72h|DATE] [--note TEXT] [--by NAME]",
		Short: "Hand a ticket to departments (分拨; several at once for 吹哨报到), each with its own task",
		Long: `Dispatch ticket ID to the departments named by code (gridcast departments lists
them): one task each, with the deadline --due — a duration from now (72h, the default) or a
date, 2026-03-01 (the end of that day) or "2026-03-01 14:00" (Asia/Shanghai). An assigned
ticket moves to in progress; its handler keeps it. When every task is done, the ticket is
resolved with the departments' feedback and its resident is told.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID("ticket", args[0])
			if err != nil {
				return err
			}
			at, err := parseDue(due, time.Now())
			if err != nil {
				return err
			}
			var ts []dispatch.Task
			for _, d := range depts {
				if d = strings.TrimSpace(d); d != "" {
					ts = append(ts, dispatch.Task{Department: d, DueAt: at, Note: note})
				}
			}
			if len(ts) == 0 {
				return usageError{fmt.Errorf("--dept: name at least one department code")}
			}
			ctx := cmd.Context()
			return a.withDesk(ctx, func(st *store.Store, d *cliDesk) error {
				if _, err := loadTicket(ctx, st, id); err != nil {
					return err
				}
				made, err := d.Dispatch(ctx, id, ts, by)
				if err != nil {
					return fmt.Errorf("ticket %d: %w", id, err)
				}
				for _, t := range made {
					fmt.Fprintf(a.stdout, "task %d: ticket %d to %s, due %s\n", t.ID, id, d.DepartmentName(t.Department), shTime(t.DueAt, "2006-01-02 15:04"))
				}
				return nil
			})
		},
	}
	cmd.Flags().StringSliceVar(&depts, "dept", nil, "department codes, comma-separated (required)")
	cmd.Flags().StringVar(&due, "due", "72h", "the departments' deadline: a duration from now or a date (Asia/Shanghai)")
	cmd.Flags().StringVar(&note, "note", "", "the instruction to the departments")
	cmd.Flags().StringVar(&by, "by", a.defaultActor(), "who dispatches (recorded on the tasks)")
	return cmd
}

// parseDue reads --due: a duration from now, or a day or time in
// Asia/Shanghai.
func parseDue(v string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(strings.TrimSpace(v)); err == nil {
		if d <= 0 {
			return time.Time{}, usageError{fmt.Errorf("--due %s: want a positive duration", v)}
		}
		return now.Add(d), nil
	}
	t, err := parseDay("--due", v, true)
	if err != nil {
		return t, usageError{fmt.Errorf("--due %q: want a duration (72h) or 2006-01-02 or \"2006-01-02 15:04\" (Asia/Shanghai)", v)}
	}
	return t, nil
}

// ticketsSupervise flags a ticket 督办, or lifts its flags.
func (a *app) ticketsSupervise() *cobra.Command {
	var note, by string
	var lift bool
	cmd := &cobra.Command{
		Use:   "supervise ID [--note TEXT] [--lift] [--by NAME]",
		Short: "Flag a ticket 督办 (its handler is notified), or --lift its flags",
		Long: `A 督办 flag says a supervisor watches the case: the handler keeps it and is notified
with the note; the flag shows with the ticket in the lists, on its page and timeline, and in
the figures. --lift lifts every standing flag, the system's too (see tickets.escalation).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID("ticket", args[0])
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			return a.withDesk(ctx, func(st *store.Store, d *cliDesk) error {
				if _, err := loadTicket(ctx, st, id); err != nil {
					return err
				}
				if lift {
					n, err := d.Unsupervise(ctx, id, by, note)
					if err != nil {
						return fmt.Errorf("ticket %d: %w", id, err)
					}
					fmt.Fprintf(a.stdout, "ticket %d: %d 督办 flag(s) lifted by %s\n", id, n, by)
					return nil
				}
				if _, err := d.Supervise(ctx, id, by, note); err != nil {
					return fmt.Errorf("ticket %d: %w", id, err)
				}
				fmt.Fprintf(a.stdout, "ticket %d: 督办 by %s; the handler is notified\n  %s\n", id, by, d.queued)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&note, "note", "", "what the supervisor asks (sent to the handler)")
	cmd.Flags().BoolVar(&lift, "lift", false, "lift the ticket's flags instead")
	cmd.Flags().StringVar(&by, "by", a.defaultActor(), "who supervises (recorded with the flag)")
	return cmd
}

func (a *app) tasksCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "tasks",
		Short: "Departments' tasks (分拨, 吹哨报到): list them and take their steps",
		Long: `A ticket dispatched to departments (gridcast tickets dispatch) becomes one task per
department. The department accepts, returns (退回, with a reason), asks for an extension
(延期, with a reason and --extend-to) or resolves it (办结, with feedback); the dispatcher
approves or refuses an extension, or cancels a task. The grid worker is told of each
department's answer; when every task is done the ticket is resolved and its resident told.`,
	}
	c.AddCommand(a.tasksList(), a.tasksAct())
	return c
}

func (a *app) tasksList() *cobra.Command {
	var dept string
	var ticket int64
	var limit int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list --dept CODE | --ticket ID [--json]",
		Short: "A department's open tasks, soonest deadline first; or every task of a ticket",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (dept == "") == (ticket == 0) {
				return usageError{fmt.Errorf("give --dept CODE or --ticket ID")}
			}
			ctx := cmd.Context()
			return a.withDesk(ctx, func(st *store.Store, d *cliDesk) error {
				var ts []dispatch.Task
				var err error
				if ticket != 0 {
					if _, err := loadTicket(ctx, st, ticket); err != nil {
						return err
					}
					ts, err = st.TasksOfTicket(ctx, ticket)
				} else {
					if d.DepartmentName(dept) == dept && !knownDepartment(d.Departments(), dept) {
						return usageError{fmt.Errorf("--dept %q: not a known department (gridcast departments)", dept)}
					}
					ts, err = st.DepartmentTasks(ctx, dept, limit)
				}
				if err != nil {
					return err
				}
				if asJSON {
					enc := json.NewEncoder(a.stdout)
					enc.SetIndent("", "  ")
					return enc.Encode(ts)
				}
				if len(ts) == 0 {
					fmt.Fprintln(a.stdout, "no tasks")
					return nil
				}
				now := time.Now()
				tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "TASK\tTICKET\tDEPARTMENT\tSTATE\tDUE\tNOTE")
				for _, t := range ts {
					due := shTime(t.DueAt, "01-02 15:04")
					if t.Overdue(now) {
						due += " 超期"
					}
					text := t.Note
					switch {
					case t.Feedback != "":
						text = t.Feedback
					case t.Reason != "":
						text = t.Reason
					}
					fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%s\t%s\n", t.ID, t.TicketID, d.DepartmentName(t.Department), t.State.Label(), due, cutText(text, 40))
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().StringVar(&dept, "dept", "", "the department's code")
	cmd.Flags().Int64Var(&ticket, "ticket", 0, "a ticket's id: all its tasks")
	cmd.Flags().IntVar(&limit, "limit", 100, "at most this many")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func knownDepartment(ds []dispatch.Department, code string) bool {
	for _, d := range ds {
		if d.Code == code {
			return true
		}
	}
	return false
}

// cutText keeps at most n runes of s, marking a cut.
func cutText(s string, n int) string {
	r := []rune(strings.ReplaceAll(s, "\n", " "))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:n]) + "…"
}

func (a *app) tasksAct() *cobra.Command {
	var note, extendTo, by string
	cmd := &cobra.Command{
		Use:   "act ID ACTION [--note TEXT] [--extend-to DATE] [--by NAME]",
		Short: "Take a step on a task: accept, return, request_extension, resolve, approve_extension, refuse_extension, cancel",
		Long: `return and request_extension need --note (the reason), resolve needs --note (the
feedback, sent to the grid worker and, when the ticket's last task is done, to the resident),
request_extension needs --extend-to (2026-03-01 or "2026-03-01 14:00", Asia/Shanghai).`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID("task", args[0])
			if err != nil {
				return err
			}
			m := dispatch.Move{Action: dispatch.Action(strings.TrimSpace(args[1])), By: by, Note: note}
			if extendTo != "" {
				if m.ExtendTo, err = parseDay("--extend-to", extendTo, true); err != nil {
					return err
				}
			}
			ctx := cmd.Context()
			return a.withDesk(ctx, func(st *store.Store, d *cliDesk) error {
				before, err := st.Task(ctx, id)
				if err != nil {
					return err
				}
				t, err := d.MoveTask(ctx, id, m)
				if err != nil {
					return fmt.Errorf("task %d: %w", id, err)
				}
				fmt.Fprintf(a.stdout, "task %d (%s, ticket %d): %s → %s by %s\n", id, d.DepartmentName(t.Department), t.TicketID,
					before.State.Label(), t.State.Label(), by)
				if tk, err := st.Ticket(ctx, t.TicketID); err == nil && !tk.Status.Open() && before.TicketID == tk.ID && (m.Action == dispatch.ActionResolve || m.Action == dispatch.ActionCancel) {
					fmt.Fprintf(a.stdout, "  every task is done: ticket %d %s\n", tk.ID, tk.Status.Label())
				}
				fmt.Fprintf(a.stdout, "  %s\n", d.queued)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&note, "note", "", "the reason (return, request_extension) or the feedback (resolve)")
	cmd.Flags().StringVar(&extendTo, "extend-to", "", "the deadline an extension asks for")
	cmd.Flags().StringVar(&by, "by", a.defaultActor(), "who takes the step")
	return cmd
}

// printDispatchStats writes the dispatch and 督办 figures of [from, to):
// JSON when asJSON, else a table after the tickets' figures.
func (a *app) printDispatchStats(ctx context.Context, d *cliDesk, from, to time.Time, asJSON bool) error {
	sum, err := d.DispatchStats(ctx, from, to)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(sum)
	}
	fmt.Fprintf(a.stdout, "\ndispatched %s – %s: %d ticket(s); 督办 %d ticket(s), %d of them by the escalation policy\n",
		shTime(from, "2006-01-02 15:04"), shTime(to, "2006-01-02 15:04"), sum.Dispatched, sum.Supervised, sum.SupervisedBySystem)
	if len(sum.Departments) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DEPARTMENT\tTASKS\tOPEN\tOVERDUE\tRETURNED\tRESOLVED\tCANCELLED")
	for _, f := range sum.Departments {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\n", d.DepartmentName(f.Department), f.Tasks, f.Open, f.Overdue, f.Returned, f.Resolved, f.Cancelled)
	}
	return tw.Flush()
}

// timelineRow is one line of a ticket's timeline as `tickets show`
// prints it.
type timelineRow struct {
	at                      time.Time
	actor, kind, what, note string
}

// dispatchRows are ticket id's steps kept outside its own events: its
// department tasks' steps and its 督办 flags, as the API's timeline shows
// them.
func (p *people) dispatchRows(ctx context.Context, id int64) ([]timelineRow, error) {
	var out []timelineRow
	ts, err := p.st.TasksOfTicket(ctx, id)
	if err != nil {
		return nil, err
	}
	for _, t := range ts {
		evs, err := p.st.TaskEvents(ctx, t.ID)
		if err != nil {
			return nil, err
		}
		for _, ev := range evs {
			kind, what := "task", fmt.Sprintf("task %d %s: %s → %s", t.ID, t.Department, ev.From.Label(), ev.To.Label())
			if ev.Action == dispatch.ActionDispatch {
				kind, what = "dispatch", fmt.Sprintf("task %d to %s, due %s", t.ID, t.Department, shTime(t.DueAt, "01-02 15:04"))
			}
			out = append(out, timelineRow{ev.At, ev.Actor, kind, what, ev.Note})
		}
	}
	flags, err := p.st.Supervisions(ctx, id)
	if err != nil {
		return nil, err
	}
	for _, f := range flags {
		what := "督办"
		if f.Level != "" {
			what = "督办, " + f.Level.Label() + " told"
		}
		out = append(out, timelineRow{f.At, f.By, "supervised", what, f.Note})
		if !f.Active() && !f.Raised() {
			out = append(out, timelineRow{f.ClearedAt, f.ClearedBy, "unsupervised", "督办 lifted", f.ClearedNote})
		}
	}
	return out, nil
}

// mergeRows puts more among rows by time, after the rows of the same time.
func mergeRows(rows, more []timelineRow) []timelineRow {
	out := append(rows, more...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].at.Before(out[j].at) })
	return out
}
