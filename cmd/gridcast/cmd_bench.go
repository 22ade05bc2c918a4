package main

import (
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gridcast/gridcast/bench"
)

func (a *app) benchCommand() *cobra.Command {
	var o bench.Options
	var list, verbose bool
	c := &cobra.Command{
		Use:   "bench [--quick] [--case NAME]... [--driver sqlite|postgres]...",
		Short: "Measure GridCast against its ceilings on real Redis and the chosen store",
		Long: `Runs each benchmark case on real services, with its data set up from the
synthetic city: the fan-out of an SMS and of a WeChat campaign to the
emulators, segment streaming, residents' WeChat replies to tickets, import,
and peak memory. Each case measures, in the same run on the same services, a
baseline of what the machine can do at best (bare Asynq, the SDK with no
ledger, the query written by hand, the driver's bulk path), and prints one
line:

  BENCH <case> driver=<d> <metric>=<value> … baseline=<value> ratio=<value> target=<op><value> met=<yes|no>

The figures are printed, not judged: the command fails only when a case
cannot run. --quick runs each case at its small size (100k residents; the set
in a few minutes); the full set runs at city scale (1M). The Redis database
--redis-db is emptied first; one holding keys the bench did not write is
refused. PostgreSQL cases run in schemas of their own, dropped afterwards.
BENCHMARKS.md explains each case and the latest figures.`,
		Example: "  gridcast bench --quick --postgres postgres://postgres@127.0.0.1:5432/test?sslmode=disable\n" +
			"  gridcast bench --case fanout-sms --driver sqlite --profile /tmp/prof",
		Args:        cobra.NoArgs,
		Annotations: map[string]string{"noconfig": "true"},
		RunE: func(cmd *cobra.Command, _ []string) error {
			if list {
				fmt.Fprintln(a.stdout, strings.Join(bench.Names(), "\n"))
				return nil
			}
			level := slog.LevelWarn
			if verbose {
				level = slog.LevelInfo
			}
			o.Log = slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: level}))
			bin, err := os.Executable()
			if err != nil {
				return err
			}
			o.Bin = bin
			_, err = bench.Run(cmd.Context(), o, a.stdout)
			return err
		},
	}
	c.Flags().BoolVar(&o.Quick, "quick", false, "run each case at its small size (what CI runs)")
	c.Flags().StringSliceVar(&o.Cases, "case", nil, "run only this case (repeatable; see --list)")
	c.Flags().StringSliceVar(&o.Drivers, "driver", nil, "store driver to run the store cases on (repeatable; default sqlite, and postgres when --postgres is set)")
	c.Flags().StringVar(&o.Postgres, "postgres", os.Getenv("GRIDCAST_BENCH_POSTGRES"), "PostgreSQL URL (env GRIDCAST_BENCH_POSTGRES)")
	c.Flags().StringVar(&o.RedisAddr, "redis", envOr("GRIDCAST_BENCH_REDIS", "127.0.0.1:6379"), "Redis address (env GRIDCAST_BENCH_REDIS)")
	c.Flags().IntVar(&o.RedisDB, "redis-db", 15, "Redis database the bench empties and uses")
	c.Flags().StringVar(&o.Dir, "dir", "", "scratch directory for SQLite files and CSVs (default a new one under $TMPDIR, removed after)")
	c.Flags().StringVar(&o.Profile, "profile", "", "write a CPU and an allocation profile per case and driver into this directory")
	c.Flags().IntVar(&o.Residents, "residents", 0, "city size of the fan-out cases (fanout-sms, fanout-wechat, workers) instead of their quick or full size")
	c.Flags().BoolVar(&list, "list", false, "list the cases")
	c.Flags().BoolVarP(&verbose, "verbose", "v", false, "log each case's progress")
	return c
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
