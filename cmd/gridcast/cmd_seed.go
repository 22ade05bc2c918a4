package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/gridcast/gridcast/population/synth"
	"github.com/gridcast/gridcast/store"
)

func (a *app) seedCommand() *cobra.Command {
	var n int
	var seed int64
	var quiet bool
	c := &cobra.Command{
		Use:   "seed",
		Short: "Generate a synthetic population (grids, workers, residents) into the store",
		Long: `Generates a realistic, deterministic population: the grid hierarchy sized for
N residents (~1,000 per grid), one grid worker per grid, a grid leader per
community, and residents with valid-format phones and ID numbers. The same
--seed always gives the same population. Seeding is meant for an empty store.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if n < 1 {
				return usageError{fmt.Errorf("--residents %d: want at least 1", n)}
			}
			return a.withStore(cmd.Context(), func(st *store.Store) error {
				var progress io.Writer = a.stderr
				if quiet {
					progress = io.Discard
				}
				res, err := seedPopulation(cmd.Context(), st, synth.Config{Residents: n, Seed: seed}, progress)
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "seeded %d grids, %d workers, %d residents in %s (%.0f residents/s)\n",
					res.grids, res.workers, res.residents, res.elapsed.Round(time.Millisecond), float64(res.residents)/res.elapsed.Seconds())
				return nil
			})
		},
	}
	c.Flags().IntVar(&n, "residents", 10000, "how many residents to generate")
	c.Flags().Int64Var(&seed, "seed", 1, "random seed; the same seed gives the same population")
	c.Flags().BoolVar(&quiet, "quiet", false, "no progress bar")
	return c
}

type seedResult struct {
	grids, workers, residents int
	elapsed                   time.Duration
}

// seedPopulation generates cfg's population and bulk-loads it, drawing a
// progress bar on w.
func seedPopulation(ctx context.Context, st *store.Store, cfg synth.Config, w io.Writer) (seedResult, error) {
	start := time.Now()
	gen, err := synth.New(cfg)
	if err != nil {
		return seedResult{}, err
	}
	grids, workers := gen.Grids(), gen.Workers()
	if err := st.UpsertGrids(ctx, grids); err != nil {
		return seedResult{}, err
	}
	if err := st.UpsertWorkers(ctx, workers); err != nil {
		return seedResult{}, err
	}
	bar := progressbar.NewOptions(cfg.Residents,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("residents"),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("rows"),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
	last := 0
	n, err := st.BulkInsertResidents(ctx, gen.Next, func(done int) {
		_ = bar.Add(done - last)
		last = done
	})
	_ = bar.Finish()
	if err != nil {
		return seedResult{}, err
	}
	return seedResult{grids: len(grids), workers: len(workers), residents: n, elapsed: time.Since(start)}, nil
}
