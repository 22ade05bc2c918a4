package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gridcast/gridcast/faults"
)

func (a *app) faultsCommand() *cobra.Command {
	var o faults.Options
	var list bool
	c := &cobra.Command{
		Use:   "faults [--quick] [--scenario NAME]...",
		Short: "Run the fault suite: real processes, injected faults, what residents received",
		Long: `Starts a PostgreSQL and a Redis of its own (initdb, postgres and redis-server
must be installed), and for each scenario a shared sandbox, serve and two
workers of this binary; sends a campaign to a seeded population, injects the
scenario's fault from outside (kill -9 of a worker, Redis FLUSHALL or restart,
PostgreSQL restart, lost answers, hangs, 5xx, throttling, duplicated or
reordered receipts) and prints, from the sandbox's record of what the
providers accepted, how many residents were reached, sent to twice, or missed.
Exits 1 unless every row has 0 duplicates and 0 lost. The work directory
(configurations, logs of every process) is kept.`,
		Example:     "  gridcast faults --quick\n  gridcast faults --scenario kill9-worker --residents 2000",
		Args:        cobra.NoArgs,
		Annotations: map[string]string{"noconfig": "true"},
		RunE: func(cmd *cobra.Command, _ []string) error {
			if list {
				for _, s := range faults.Scenarios() {
					q := ""
					if s.Quick {
						q = " (quick)"
					}
					fmt.Fprintf(a.stdout, "%-22s %s%s\n", s.Name, s.What, q)
				}
				return nil
			}
			bin, err := os.Executable()
			if err != nil {
				return err
			}
			o.Bin = bin
			if o.Dir == "" {
				if o.Dir, err = os.MkdirTemp("", "gridcast-faults-"); err != nil {
					return err
				}
			}
			o.Progress = a.stderr
			rs, err := faults.Run(cmd.Context(), o)
			if err != nil {
				return err
			}
			if err := faults.WriteTable(a.stdout, rs); err != nil {
				return err
			}
			fmt.Fprintf(a.stderr, "faults: logs and configurations in %s\n", o.Dir)
			if err := faults.Failed(rs); err != nil {
				return errors.New(strings.Replace(err.Error(), "\n", "; ", -1))
			}
			return nil
		},
	}
	c.Flags().BoolVar(&o.Quick, "quick", false, "run the quick set (what CI runs)")
	c.Flags().StringSliceVar(&o.Only, "scenario", nil, "run only this scenario (repeatable; see --list)")
	c.Flags().BoolVar(&list, "list", false, "list the scenarios")
	c.Flags().IntVar(&o.Residents, "residents", 400, "residents seeded per scenario")
	c.Flags().StringVar(&o.Dir, "dir", "", "work directory (default a new one under $TMPDIR)")
	c.Flags().DurationVar(&o.Timeout, "timeout", 4*time.Minute, "the longest one scenario may take")
	return c
}
