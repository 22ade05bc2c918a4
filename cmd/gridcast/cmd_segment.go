package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gridcast/gridcast/segments"
	"github.com/gridcast/gridcast/store"
)

func (a *app) segmentCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "segment",
		Short: "Count, sample and save segments of residents",
		Long: `Segments select residents with expressions such as

  category:unemployed AND age:18..45 AND skill:(电工 OR 焊工) AND grid:NY-03*
  category:elderly_alone AND NOT channel:wechat

Run "gridcast segment fields" for every field.`,
	}
	c.AddCommand(
		&cobra.Command{
			Use:   "count EXPR",
			Short: "Print how many residents the expression selects",
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				return a.withStore(cmd.Context(), func(st *store.Store) error {
					n, err := st.CountSegment(cmd.Context(), args[0])
					if err != nil {
						return segmentError(err)
					}
					fmt.Fprintln(a.stdout, n)
					return nil
				})
			},
		},
		a.segmentSampleCommand(),
		a.segmentSaveCommand(),
		&cobra.Command{
			Use:   "list",
			Short: "List saved segments",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return a.withStore(cmd.Context(), func(st *store.Store) error {
					segs, err := st.Segments(cmd.Context())
					if err != nil {
						return err
					}
					tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
					fmt.Fprintln(tw, "NAME\tEXPRESSION\tOWNER\tDESCRIPTION")
					for _, s := range segs {
						fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Name, s.Expr, s.Owner, s.Description)
					}
					return tw.Flush()
				})
			},
		},
		&cobra.Command{
			Use:   "delete NAME",
			Short: "Delete a saved segment",
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				return a.withStore(cmd.Context(), func(st *store.Store) error {
					return st.DeleteSegment(cmd.Context(), args[0])
				})
			},
		},
		&cobra.Command{
			Use:         "fields",
			Short:       "Describe every field of the segment language",
			Args:        cobra.NoArgs,
			Annotations: map[string]string{"noconfig": "true"},
			RunE: func(cmd *cobra.Command, _ []string) error {
				tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "FIELD\tMEANING\tEXAMPLE")
				for _, f := range segments.Fields() {
					fmt.Fprintf(tw, "%s\t%s\t%s\n", f.Name, f.Description, f.Example)
				}
				return tw.Flush()
			},
		},
	)
	return c
}

// segmentError shows a parse error with a caret under the column.
func segmentError(err error) error {
	if pe, ok := asSegqlError(err); ok {
		return usageError{fmt.Errorf("%w\n%s", err, pe.Pretty())}
	}
	return err
}

func (a *app) segmentSampleCommand() *cobra.Command {
	var n int
	var asJSON bool
	c := &cobra.Command{
		Use:   "sample EXPR",
		Short: "Show a few residents the expression selects, masked",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if n < 1 || n > 1000 {
				return usageError{fmt.Errorf("--n %d: want 1 to 1000", n)}
			}
			return a.withStore(cmd.Context(), func(st *store.Store) error {
				rs, err := st.SampleSegment(cmd.Context(), args[0], n)
				if err != nil {
					return segmentError(err)
				}
				if asJSON {
					out := make([]maskedResident, len(rs))
					for i, r := range rs {
						out[i] = newMaskedResident(r, time.Now())
					}
					enc := json.NewEncoder(a.stdout)
					enc.SetIndent("", "  ")
					return enc.Encode(out)
				}
				printResidents(a.stdout, rs, time.Now())
				return nil
			})
		},
	}
	c.Flags().IntVar(&n, "n", 10, "how many residents to show")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func (a *app) segmentSaveCommand() *cobra.Command {
	var desc, owner string
	c := &cobra.Command{
		Use:   "save NAME EXPR",
		Short: "Save a named segment (reuse it as segment:NAME)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withStore(cmd.Context(), func(st *store.Store) error {
				if err := st.SaveSegment(cmd.Context(), segments.SavedSegment{Name: args[0], Expr: args[1], Description: desc, Owner: owner}); err != nil {
					return segmentError(err)
				}
				n, err := st.CountSegment(cmd.Context(), "segment:"+args[0])
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "saved segment %s (%s residents now)\n", args[0], strconv.FormatInt(n, 10))
				return nil
			})
		},
	}
	c.Flags().StringVar(&desc, "description", "", "what the segment is for")
	c.Flags().StringVar(&owner, "owner", "", "who maintains it")
	return c
}
