package main

import (
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/store"
	"github.com/gridcast/gridcast/tickets"
)

func (a *app) workersCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "workers",
		Short: "Grid workers and staff: list them, record leave, hand a grid over",
		Long: `Tickets go to the grid worker of the resident's grid, and up the ladder to the
grid leader, community and street staff. While a worker is on leave their new and
escalated tickets go to their backup. (The queue workers are "gridcast worker".)`,
	}
	c.AddCommand(a.workersList(), a.workersLeave(), a.workersBack(), a.workersHandover())
	return c
}

// workerByCode reads a worker, with an error a user reads as such when
// there is none.
func workerByCode(cmd *cobra.Command, st *store.Store, flag, code string) (population.Worker, error) {
	w, err := st.WorkerByCode(cmd.Context(), code)
	if errors.Is(err, fault.ErrNotFound) {
		return w, fmt.Errorf("%s%s: no worker has that code (see gridcast workers list)", flag, code)
	}
	return w, err
}

func (a *app) workersList() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List workers by code: masked name, role, grid, leave",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			return a.withStore(ctx, func(st *store.Store) error {
				ws, err := st.Workers(ctx)
				if err != nil {
					return err
				}
				now := time.Now()
				ls, err := st.Leaves(ctx, now)
				if err != nil {
					return err
				}
				codes := map[int64]string{}
				for _, w := range ws {
					codes[w.ID] = w.Code
				}
				leave := map[int64]string{}
				for _, l := range ls {
					if _, ok := leave[l.WorkerID]; ok {
						continue // the earliest is the one that matters now
					}
					from, until := shTime(l.From, "2006-01-02 15:04"), shTime(l.Until, "2006-01-02 15:04")
					if l.From.After(now) {
						leave[l.WorkerID] = fmt.Sprintf("from %s until %s, backup %s", from, until, codes[l.BackupID])
					} else {
						leave[l.WorkerID] = fmt.Sprintf("ON LEAVE until %s, backup %s", until, codes[l.BackupID])
					}
				}
				tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "CODE\tNAME\tROLE\tGRID\tLEAVE")
				for _, w := range ws {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", w.Code, orDash(string(w.Name)), w.Role, orDash(w.GridCode), orDash(leave[w.ID]))
				}
				return tw.Flush()
			})
		},
	}
}

// parseDay reads a --from/--until value in Asia/Shanghai. A bare date
// means the start of that day, or with endOfDay the start of the next, so
// --until 2026-03-05 covers the 5th.
func parseDay(flag, v string, endOfDay bool) (time.Time, error) {
	v = strings.TrimSpace(v)
	if t, err := time.ParseInLocation("2006-01-02", v, campaigns.Shanghai()); err == nil {
		if endOfDay {
			t = t.AddDate(0, 0, 1)
		}
		return t, nil
	}
	for _, layout := range []string{"2006-01-02 15:04", time.RFC3339} {
		if t, err := time.ParseInLocation(layout, v, campaigns.Shanghai()); err == nil {
			return t, nil
		}
	}
	return time.Time{}, usageError{fmt.Errorf("%s %q: want 2006-01-02 or \"2006-01-02 15:04\" (Asia/Shanghai)", flag, v)}
}

func (a *app) workersLeave() *cobra.Command {
	var backup, from, until, note, by string
	var keepOpen bool
	cmd := &cobra.Command{
		Use:   "leave CODE --backup CODE2 [--from DATE] --until DATE [--note TEXT] [--keep-open]",
		Short: "Record a worker's leave: meanwhile their tickets go to the backup",
		Long: `Dates are Asia/Shanghai: 2026-03-01 or "2026-03-01 14:00". --from defaults to now;
a bare --until date covers that whole day. While the leave lasts, new and
escalated tickets go to the backup; a leave that starts now also hands the
worker's open tickets to the backup (each on its timeline, the backup
notified) unless --keep-open.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var errs []error
			if backup == "" {
				errs = append(errs, errors.New("--backup CODE is required"))
			} else if backup == args[0] {
				errs = append(errs, fmt.Errorf("--backup %s: a worker cannot be their own backup", backup))
			}
			start := time.Now()
			if from != "" {
				t, err := parseDay("--from", from, false)
				if err != nil {
					errs = append(errs, err)
				}
				start = t
			}
			var end time.Time
			if until == "" {
				errs = append(errs, errors.New("--until DATE is required"))
			} else if t, err := parseDay("--until", until, true); err != nil {
				errs = append(errs, err)
			} else {
				end = t
			}
			if len(errs) == 0 && !end.After(start) {
				errs = append(errs, fmt.Errorf("--until %s is not after --from %s", shTime(end, "2006-01-02 15:04"), shTime(start, "2006-01-02 15:04")))
			}
			if len(errs) > 0 {
				var msgs []string
				for _, e := range errs {
					var ue usageError
					if errors.As(e, &ue) {
						e = ue.error
					}
					msgs = append(msgs, e.Error())
				}
				return usageError{errors.New(strings.Join(msgs, "\n"))}
			}
			ctx := cmd.Context()
			return a.withDesk(ctx, func(st *store.Store, d *cliDesk) error {
				w, err := workerByCode(cmd, st, "", args[0])
				if err != nil {
					return err
				}
				b, err := workerByCode(cmd, st, "--backup ", backup)
				if err != nil {
					return err
				}
				if err := st.SetLeave(ctx, tickets.Leave{WorkerID: w.ID, BackupID: b.ID, From: start, Until: end, Note: note}); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "%s %s on leave %s – %s; backup %s %s\n", w.Code, string(w.Name),
					shTime(start, "2006-01-02 15:04"), shTime(end, "2006-01-02 15:04"), b.Code, string(b.Name))
				if keepOpen || start.After(time.Now()) {
					return nil
				}
				n, err := d.CoverLeave(ctx, w.ID, by)
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "%d open tickets handed to the backup\n", n)
				if n > 0 {
					fmt.Fprintf(a.stdout, "  %s\n", d.queued)
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&backup, "backup", "", "the worker code who covers")
	cmd.Flags().StringVar(&from, "from", "", "first day or time (default now)")
	cmd.Flags().StringVar(&until, "until", "", "last day, or the time the leave ends")
	cmd.Flags().StringVar(&note, "note", "", "why (shown on the record)")
	cmd.Flags().BoolVar(&keepOpen, "keep-open", false, "leave the worker's open tickets with them")
	cmd.Flags().StringVar(&by, "by", a.defaultActor(), "who records the leave (on the moved tickets' timelines)")
	return cmd
}

func (a *app) workersBack() *cobra.Command {
	return &cobra.Command{
		Use:   "back CODE",
		Short: "End a worker's current leave now",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return a.withStore(ctx, func(st *store.Store) error {
				w, err := workerByCode(cmd, st, "", args[0])
				if err != nil {
					return err
				}
				err = st.EndLeave(ctx, w.ID, time.Now())
				if errors.Is(err, fault.ErrNotFound) {
					return fmt.Errorf("%s is not on leave now", w.Code)
				}
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "%s %s is back; new tickets go to them again\n", w.Code, string(w.Name))
				return nil
			})
		},
	}
}

func (a *app) workersHandover() *cobra.Command {
	var grid, to, by string
	cmd := &cobra.Command{
		Use:   "handover --grid G --to CODE [--by NAME]",
		Short: "Make a worker the grid worker of a grid and move its open tickets to them",
		Long: `Records CODE as the grid worker of grid G (the previous one is released from the
grid; their record and history stay) and moves the grid's open tickets at the grid
worker level to CODE — or to their backup while they are on leave — each on its
timeline, notifying them.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if grid == "" || to == "" {
				return usageError{errors.New("--grid G and --to CODE are required")}
			}
			ctx := cmd.Context()
			return a.withDesk(ctx, func(st *store.Store, d *cliDesk) error {
				g, err := st.Grid(ctx, grid)
				if errors.Is(err, fault.ErrNotFound) {
					return fmt.Errorf("--grid %s: no such grid", grid)
				}
				if err != nil {
					return err
				}
				w, err := workerByCode(cmd, st, "--to ", to)
				if err != nil {
					return err
				}
				prev, err := st.WorkerForGrid(ctx, g.Code, population.RoleGridWorker)
				if err != nil && !errors.Is(err, fault.ErrNotFound) {
					return err
				}
				if w.GridCode != "" && (w.GridCode != g.Code || w.Role != population.RoleGridWorker) {
					fmt.Fprintf(a.stderr, "gridcast: %s leaves their post as %s of %s; hand it to someone else\n", w.Code, w.Role, w.GridCode)
				}
				w.Role, w.GridCode = population.RoleGridWorker, g.Code
				if err := st.UpsertWorkers(ctx, []population.Worker{w}); err != nil {
					return err
				}
				if prev.ID != 0 && prev.ID != w.ID && prev.GridCode == g.Code {
					fmt.Fprintf(a.stdout, "grid %s: %s → %s %s\n", g.Code, prev.Code, w.Code, string(w.Name))
				} else {
					fmt.Fprintf(a.stdout, "grid %s: grid worker %s %s\n", g.Code, w.Code, string(w.Name))
				}
				n, err := d.Handover(ctx, g.Code, by)
				if err != nil {
					return fmt.Errorf("grid %s: %d open tickets moved, then: %w", g.Code, n, err)
				}
				fmt.Fprintf(a.stdout, "%d open tickets moved by %s", n, by)
				if n > 0 {
					fmt.Fprintf(a.stdout, "; the new owner is notified (%s)", d.queued)
				}
				fmt.Fprintln(a.stdout)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&grid, "grid", "", "the grid's code")
	cmd.Flags().StringVar(&to, "to", "", "the worker who takes it over")
	cmd.Flags().StringVar(&by, "by", a.defaultActor(), "who does this (recorded on each ticket)")
	return cmd
}
