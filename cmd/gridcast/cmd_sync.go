package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gridcast/gridcast/population/extsync"
	"github.com/gridcast/gridcast/store"
)

func (a *app) syncCommand() *cobra.Command {
	var only string
	var loop, asJSON bool
	c := &cobra.Command{
		Use:   "sync",
		Short: "Pull residents from the external population databases in sync.sources",
		Long: `Runs each source's query against its database (PostgreSQL or MySQL/MariaDB),
maps the columns onto resident fields, checks every row as an import does and
upserts by ID number. With updated_at_column set only rows changed since the last
run are read. --loop repeats each source every sync.sources[].interval.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var sources []extsync.Config
			for _, s := range a.cfg.syncSources() {
				if only == "" || s.Name == only {
					sources = append(sources, s)
				}
			}
			if len(sources) == 0 {
				if only != "" {
					return usageError{fmt.Errorf("no sync source named %q in sync.sources", only)}
				}
				return usageError{fmt.Errorf("no sync.sources configured (see config.example.yaml)")}
			}
			return a.withStore(cmd.Context(), func(st *store.Store) error {
				if loop {
					errs := make(chan error, len(sources))
					for _, src := range sources {
						go func() { errs <- extsync.Loop(cmd.Context(), src, st, a.log) }()
					}
					var first error
					for range sources {
						if err := <-errs; err != nil && first == nil {
							first = err
						}
					}
					if cmd.Context().Err() != nil {
						return nil // stopped by a signal
					}
					return first
				}
				for _, src := range sources {
					res, err := extsync.Run(cmd.Context(), src, st, a.log)
					if err != nil {
						return fmt.Errorf("sync %s: %w", src.Name, err)
					}
					if asJSON {
						if err := json.NewEncoder(a.stdout).Encode(res); err != nil {
							return err
						}
						continue
					}
					fmt.Fprintf(a.stdout, "%s: %d rows, %d new, %d updated, %d unchanged, %d invalid, cursor %q\n",
						res.Source, res.Rows, res.Imported.Inserted, res.Imported.Updated, res.Imported.Unchanged, res.Invalid, res.Cursor)
					if n := res.Imported.Erased; n > 0 {
						fmt.Fprintf(a.stdout, "  %d erased on request, not re-added\n", n)
					}
					for _, e := range res.Errors {
						fmt.Fprintf(a.stdout, "  %v\n", e)
					}
				}
				return nil
			})
		},
	}
	c.Flags().StringVar(&only, "source", "", "sync only this source")
	c.Flags().BoolVar(&loop, "loop", false, "keep running, each source on its interval")
	c.Flags().BoolVar(&asJSON, "json", false, "print each result as JSON")
	return c
}
