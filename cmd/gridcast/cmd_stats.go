package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/desk"
	"github.com/gridcast/gridcast/store"
)

// statsRow is one line of `tickets stats --json`.
type statsRow struct {
	Key            string  `json:"key"`
	Opened         int     `json:"opened"`
	Resolved       int     `json:"resolved"`
	ResolvedOnTime int     `json:"resolved_on_time"`
	OnTimeRate     float64 `json:"on_time_rate"`
	Open           int     `json:"open"`
	Overdue        int     `json:"overdue"`
	Escalated      int     `json:"escalated"`
	Rated          int     `json:"rated"`
	MeanRating     float64 `json:"mean_rating"`
	MeanResolveH   float64 `json:"mean_resolve_hours"`
}

func (a *app) ticketsStats() *cobra.Command {
	var since, until, by string
	var asJSON, dispatchOnly bool
	cmd := &cobra.Command{
		Use:   "stats [--since DATE] [--until DATE] [--by grid|worker] [--dispatch] [--json]",
		Short: "Evaluate grids or workers (考核测评): tickets opened, resolved on time, overdue, escalated, ratings",
		Long: `Counts the tickets created in the period (default: this calendar month so far,
Asia/Shanghai): how many were resolved and how many of those within their
category's deadline, how many are still open and overdue, how many escalated
above the grid worker, and the residents' mean rating. Then the departments' figures:
the tickets dispatched in the period, each department's tasks dispatched then by where
they stand (open, overdue, returned, resolved, cancelled), and the tickets flagged 督办
(by a supervisor or the escalation policy). --dispatch prints those only (with --json,
as one object).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			now := time.Now().In(campaigns.Shanghai())
			from := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, campaigns.Shanghai())
			to := now.Add(time.Second)
			var err error
			if since != "" {
				if from, err = parseDay("--since", since, false); err != nil {
					return err
				}
			}
			if until != "" {
				if to, err = parseDay("--until", until, true); err != nil {
					return err
				}
			}
			if by != desk.ByGrid && by != desk.ByWorker {
				return usageError{fmt.Errorf("--by %q: want grid or worker", by)}
			}
			if !to.After(from) {
				return usageError{fmt.Errorf("--until %s is not after --since %s", shTime(to, "2006-01-02 15:04"), shTime(from, "2006-01-02 15:04"))}
			}
			ctx := cmd.Context()
			return a.withDesk(ctx, func(_ *store.Store, d *cliDesk) error {
				stats, err := d.Stats(ctx, from, to, by)
				if err != nil {
					return err
				}
				rows := make([]statsRow, len(stats))
				for i, s := range stats {
					rows[i] = statsRow{Key: s.Key, Opened: s.Opened, Resolved: s.Resolved, ResolvedOnTime: s.ResolvedOnTime,
						OnTimeRate: s.OnTimeRate(), Open: s.Open, Overdue: s.Overdue, Escalated: s.Escalated, Rated: s.Rated,
						MeanRating: s.MeanRating(), MeanResolveH: s.MeanResolve().Hours()}
				}
				if dispatchOnly {
					return a.printDispatchStats(ctx, d, from, to, asJSON)
				}
				if asJSON {
					enc := json.NewEncoder(a.stdout)
					enc.SetIndent("", "  ")
					return enc.Encode(rows)
				}
				fmt.Fprintf(a.stdout, "tickets created %s – %s, by %s\n", shTime(from, "2006-01-02 15:04"), shTime(to, "2006-01-02 15:04"), by)
				if len(rows) == 0 {
					fmt.Fprintln(a.stdout, "no tickets in the period")
					return a.printDispatchStats(ctx, d, from, to, false)
				}
				tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "KEY\tOPENED\tRESOLVED\tON TIME\tOPEN\tOVERDUE\tESCALATED\tRATING\tMEAN RESOLVE")
				for _, r := range rows {
					rating := "-"
					if r.Rated > 0 {
						rating = fmt.Sprintf("%.1f (%d)", r.MeanRating, r.Rated)
					}
					onTime := "-"
					if r.Resolved > 0 {
						onTime = fmt.Sprintf("%.0f%%", 100*r.OnTimeRate)
					}
					resolve := "-"
					if r.Resolved > 0 {
						resolve = fmt.Sprintf("%.1f h", r.MeanResolveH)
					}
					fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%d\t%d\t%d\t%s\t%s\n", r.Key, r.Opened, r.Resolved, onTime, r.Open, r.Overdue, r.Escalated, rating, resolve)
				}
				if err := tw.Flush(); err != nil {
					return err
				}
				return a.printDispatchStats(ctx, d, from, to, false)
			})
		},
	}
	cmd.Flags().StringVar(&since, "since", "", "first day (default the 1st of this month)")
	cmd.Flags().StringVar(&until, "until", "", "last day (default now)")
	cmd.Flags().StringVar(&by, "by", desk.ByGrid, "grid or worker")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&dispatchOnly, "dispatch", false, "print the departments' and 督办 figures only")
	return cmd
}
